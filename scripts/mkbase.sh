#!/usr/bin/env bash
# mkbase.sh: the busybox base image, made from the host's static busybox (no registry needed).
#
#   scripts/mkbase.sh [-o FILE.tar] [IMAGE]
#
# Without -o the rootfs is imported as IMAGE (default busybox:latest) with CMD ["sh"], using
# $BERTH (default: berth) — e.g. BERTH=docker with DOCKER_HOST pointing at berth works too.
# With -o the rootfs tar is written to FILE.tar and nothing is imported.
# README, tests and benchmarks all use this script so they run the same image.
set -euo pipefail

out=""
while getopts "o:" opt; do
	case "$opt" in
	o) out="$OPTARG" ;;
	*) echo "usage: $0 [-o FILE.tar] [IMAGE]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
image="${1:-busybox:latest}"

bb="${BUSYBOX:-/bin/busybox}"
if ! "$bb" --list >/dev/null 2>&1; then
	echo "mkbase: $bb is not a working busybox (apt-get install busybox-static)" >&2
	exit 1
fi

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/proc" "$d/sys" "$d/dev" "$d/root" "$d/home" "$d/var" "$d/run"
chmod 755 "$d"
chmod 1777 "$d/tmp"
chmod 700 "$d/root"
cp "$bb" "$d/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
done
cat >"$d/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat >"$d/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

# Fixed owner and mtime so the same busybox always gives the same layer digest.
mktar() { tar -C "$d" --numeric-owner --owner=0 --group=0 --mtime='2000-01-01 00:00:00' --sort=name -c .; }

if [ -n "$out" ]; then
	mktar >"$out"
	exit 0
fi
mktar | "${BERTH:-berth}" import -c 'CMD ["sh"]' - "$image"
