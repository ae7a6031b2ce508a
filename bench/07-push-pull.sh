#!/usr/bin/env bash
# 7. Push and pull of a 200 MB incompressible single-layer image through a local registry
#    (Debian's docker-registry, distribution 2.8, on loopback; our own instances on free ports
#    with temp storage, stopped by pid).
#    - push: `berth push` of an image whose layer is stored compressed (pulled once) vs
#      `skopeo copy dir:... docker://...` of the same image (target ≤ 1.0x); the push registry
#      is wiped before every run, so every blob goes up.
#    - pull: `berth pull` (download + unpack) vs `podman pull` (target ≤ 0.7x); the image is
#      removed from each engine before every run.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

RUNS_BIG=${BENCH_RUNS_BIG:-5}
REGBIN=$(command -v docker-registry) || die "docker-registry not installed (apt-get install docker-registry)"
PP=$BENCH_DIR/pushpull
mkdir -p "$PP"
REG_PIDS=()

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry NAME: prints HOST:PORT; storage in $PP/NAME/data, no blob descriptor cache so a
# wiped storage dir really is empty.
start_registry() {
	local dir=$PP/$1 port
	port=$(free_port)
	mkdir -p "$dir/data"
	printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' "$dir/data" "$port" >"$dir/config.yml"
	setsid "$REGBIN" serve "$dir/config.yml" </dev/null >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
	echo "127.0.0.1:$port"
}
stop_registries() {
	for f in "$PP"/*/pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
}
trap 'stop_registries; bench_teardown' EXIT

SRC=$(start_registry src)   # holds the image for the pulls
DST=$(start_registry dst)   # wiped before every push
log "registries: src $SRC, dst $DST"

# The image: one layer, one 200 MB file of random bytes.
mkdir -p "$PP/rootfs"
head -c 209715200 /dev/urandom >"$PP/rootfs/random.bin"
tar -C "$PP/rootfs" -cf "$PP/layer.tar" .
rm -rf "$PP/rootfs"
"${BERTH[@]}" import "$PP/layer.tar" "$SRC/big:v1" >/dev/null
"${BERTH[@]}" push -q "$SRC/big:v1" >/dev/null || die "berth push to $SRC failed"
# From here on berth holds the layer as the registry has it (compressed): pull it back.
"${BERTH[@]}" rmi "$SRC/big:v1" >/dev/null
"${BERTH[@]}" pull -q "$SRC/big:v1" >/dev/null || die "berth pull failed"
"${BERTH[@]}" tag "$SRC/big:v1" "$DST/big:v1"
skopeo copy -q --src-tls-verify=false "docker://$SRC/big:v1" "dir:$PP/skopeo-dir" || die "skopeo copy to dir failed"
podman pull -q --tls-verify=false "$SRC/big:v1" >/dev/null && podman tag "$SRC/big:v1" "$DST/big:v1"
"${DOCKER[@]}" pull -q "$SRC/big:v1" >/dev/null && "${DOCKER[@]}" tag "$SRC/big:v1" "$DST/big:v1"

wipe="sh -c 'rm -rf $PP/dst/data/docker'"
hf push --prepare "$wipe" --warmup 1 --runs "$RUNS_BIG" -- \
	"berth" "$(cmdstr "${BERTH[@]}") push -q $DST/big:v1" \
	"skopeo" "skopeo copy -q --dest-tls-verify=false dir:$PP/skopeo-dir docker://$DST/big:v1" \
	"podman" "podman push -q --tls-verify=false $DST/big:v1" \
	"docker" "$(cmdstr "${DOCKER[@]}") push -q $DST/big:v1"

rmall="sh -c '$(cmdstr "${BERTH[@]}") rmi -f $SRC/big:v1 $DST/big:v1; podman rmi -f $SRC/big:v1 $DST/big:v1; $(cmdstr "${DOCKER[@]}") rmi -f $SRC/big:v1 $DST/big:v1' >/dev/null 2>&1"
hf pull --prepare "$rmall" --warmup 1 --runs "$RUNS_BIG" -- \
	"berth" "$(cmdstr "${BERTH[@]}") pull -q $SRC/big:v1" \
	"podman" "podman pull -q --tls-verify=false $SRC/big:v1" \
	"docker" "$(cmdstr "${DOCKER[@]}") pull -q $SRC/big:v1"

record 7a 'push 200 MB incompressible layer to a local registry' ms "$(median_ms push berth)" "$(median_ms push docker)" "$(median_ms push podman)" 'skopeo copy dir:' "$(median_ms push skopeo)" '≤1.0x'
record 7b 'pull 200 MB incompressible layer (download + unpack)' ms "$(median_ms pull berth)" "$(median_ms pull docker)" "$(median_ms pull podman)" 'podman pull' "$(median_ms pull podman)" '≤0.7x'

"${BERTH[@]}" rmi -f "$SRC/big:v1" "$DST/big:v1" >/dev/null 2>&1
podman rmi -f "$SRC/big:v1" "$DST/big:v1" >/dev/null 2>&1
"${DOCKER[@]}" rmi -f "$SRC/big:v1" "$DST/big:v1" >/dev/null 2>&1
stop_registries
bench_finish
