#!/usr/bin/env bash
# setup.sh: from a fresh Debian 12 (as root) to a running berth daemon and a first container.
# Idempotent: a second run finds the running daemon by its pid file and leaves it alone.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
SOCK=${BERTH_SOCK:-/run/berth/berth.sock}
DATA_ROOT=${BERTH_DATA_ROOT:-/var/lib/berth}
EXEC_ROOT=${BERTH_EXEC_ROOT:-/run/berth}
PIDFILE=${BERTH_PIDFILE:-/run/berth/berth.pid}
LOG=${BERTH_LOG:-/var/log/berth.log}
RUNTIME=${BERTH_RUNTIME:-}   # empty: the daemon picks crun where it works, else runc
BIN=${BERTH_BIN_DIR:-/usr/local/bin}
export PATH="/usr/local/go/bin:$PATH:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh must run as root" >&2
	exit 1
fi

# 1. Debian packages (only what is missing).
pkgs=()
for p in runc crun busybox-static iproute2 nftables ca-certificates git gcc libc6-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
done
if [ ${#pkgs[@]} -gt 0 ]; then
	say "installing ${pkgs[*]}"
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi

# 2. Go: only from what the machine has (Go itself cannot be downloaded here).
if ! command -v go >/dev/null 2>&1; then
	echo "setup.sh: 'go' not found. Install Go 1.26.8 at /usr/local/go (https://go.dev/dl/) and re-run." >&2
	exit 1
fi

# crun 1.8 refuses cgroup-v1 "hybrid" hosts until hugetlb is mounted as v1 (LIBRARIES.md host
# quirks); with it mounted the daemon picks crun, which starts containers faster than runc.
if [ -d /sys/fs/cgroup/unified ] && [ -s /sys/fs/cgroup/unified/cgroup.controllers ] && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
	say "mounting the hugetlb cgroup (v1) so that crun works on this hybrid host"
	mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || true
fi

# 3. Build berth and berth-shim (they must sit side by side).
say "building berth into $BIN"
# berth is pure Go (static); berth-shim's monitor is C: cgo, gcc, libc6-dev, linked -static.
# -buildvcs=auto: `version` shows the commit and its time even where GOFLAGS turns stamping off;
# where git refuses the checkout (another owner), build without the stamp.
CGO_ENABLED=0 go build -buildvcs=auto -o "$BIN/" ./cmd/berth 2>/dev/null ||
	CGO_ENABLED=0 go build -buildvcs=false -o "$BIN/" ./cmd/berth
CGO_ENABLED=1 go build -buildvcs=false -o "$BIN/" ./cmd/berth-shim

# 4. The daemon, unless ours is already running.
running_pid() {
	[ -s "$PIDFILE" ] || return 1
	local pid
	pid=$(cat "$PIDFILE")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q berth "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
if pid=$(running_pid); then
	say "berth daemon already running (pid $pid)"
else
	say "starting berth daemon (log: $LOG)"
	mkdir -p "$(dirname "$SOCK")" "$DATA_ROOT" "$EXEC_ROOT" "$(dirname "$PIDFILE")" "$(dirname "$LOG")"
	setsid "$BIN/berth" daemon -H "unix://$SOCK" --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
		--pidfile "$PIDFILE" ${RUNTIME:+--runtime "$RUNTIME"} >>"$LOG" 2>&1 </dev/null &
	for _ in $(seq 1 100); do
		"$BIN/berth" -H "unix://$SOCK" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ! "$BIN/berth" -H "unix://$SOCK" version >/dev/null 2>&1; then
		echo "setup.sh: berth daemon did not come up; last lines of $LOG:" >&2
		tail -n 20 "$LOG" >&2
		exit 1
	fi
fi
export BERTH_HOST="unix://$SOCK"

# 5. The busybox base image (no registry needed).
if "$BIN/berth" image inspect busybox:latest >/dev/null 2>&1; then
	say "busybox:latest already present"
else
	say "making busybox:latest from /bin/busybox"
	BERTH="$BIN/berth" bash "$REPO/scripts/mkbase.sh" busybox:latest
fi

# 6. A real container.
say "running a container"
"$BIN/berth" run --rm busybox echo hello from berth

cat <<MSG
==> done. Try:
    export DOCKER_HOST=unix://$SOCK     # the docker CLI talks to berth
    berth run -d --name web busybox sleep 1000; berth ps; berth exec web ps
MSG
