#!/usr/bin/env bash
# 09-monitoring.sh: the monitoring numbers of issue 7, on a private berth daemon.
#
#   bash bench/09-monitoring.sh      # as root; results on stdout (markdown rows)
#
#  - `berth stats --no-stream` and `docker stats --no-stream` (docker CLI → berth) with 50
#    running containers (target < 200 ms)
#  - one metrics scrape (GET /metrics) with 100 running containers (target < 100 ms)
#  - the idle daemon's CPU while scraped every 15 s, from /proc/<pid>/stat over IDLE_SECS
#    (default 60; target < 1%)
#  - a health probe's duration (State.Health.Log End-Start, `true` as the probe) vs one
#    `berth exec CTR true` and vs the runtime's own `runc exec` of the same command
#
# Env: RUNS (10) per timing, IDLE_SECS (60), BERTH_BIN_DIR (prebuilt berth + berth-shim).
# It starts its own daemon on temp roots and a loopback port, and stops it by pid. The peer
# docker daemon is not needed (the docker CLI talks to berth).
set -uo pipefail
cd "$(dirname "$0")"
source ./lib.sh

RUNS=${RUNS:-10}
IDLE_SECS=${IDLE_SECS:-60}
[ "$(id -u)" -eq 0 ] || die "must run as root"

DIR=$(mktemp -d /tmp/berth-bench-mon.XXXXXX)
BIN=${BERTH_BIN_DIR:-$DIR/bin}
SOCK=$DIR/berth.sock
PORT=$((20000 + RANDOM % 20000))
BERTH=("$BIN/berth" -H "unix://$SOCK")
DOCKER_BERTH=(/usr/local/bin/docker -H "unix://$SOCK")
PID=""

teardown() {
	trap - EXIT
	log "teardown"
	ids=$("${BERTH[@]}" ps -aq 2>/dev/null)
	[ -n "$ids" ] && timeout 120 "${BERTH[@]}" rm -f $ids >/dev/null 2>&1
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill "$PID"
		for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
	fi
	for p in $(pids_matching berth-shim "$DIR/"); do
		log "LEAK: berth-shim $p"
		kill -9 "$p" 2>/dev/null
	done
	grep -o " $DIR/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$DIR"
}
trap teardown EXIT

if [ -z "${BERTH_BIN_DIR:-}" ]; then
	log "building berth"
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$BIN/" ./cmd/berth &&
		CGO_ENABLED=1 go build -o "$BIN/" ./cmd/berth-shim) || die "build failed"
fi
bash "$REPO/scripts/mkbase.sh" -o "$DIR/bb.tar" || die "mkbase failed"
mkdir -p "$DIR/data" "$DIR/exec"
setsid "$BIN/berth" daemon -H "unix://$SOCK" --data-root "$DIR/data" --exec-root "$DIR/exec" \
	--runtime "${BENCH_RUNTIME:-runc}" --metrics-addr "127.0.0.1:$PORT" >"$DIR/berth.log" 2>&1 </dev/null &
PID=$!
for _ in $(seq 100); do "${BERTH[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${BERTH[@]}" import - bb <"$DIR/bb.tar" >/dev/null || die "import failed"

# median_ms CMD...: the median wall time of RUNS runs, in ms.
median_ms() {
	local i s e
	for i in $(seq "$RUNS"); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
	done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)/1000}'
}

start_containers() { # N: run until N containers run
	local have
	have=$("${BERTH[@]}" ps -q | wc -l)
	for i in $(seq $((have + 1)) "$1"); do
		"${BERTH[@]}" run -d --label com.docker.compose.project=bench bb sleep 3600 >/dev/null || die "run $i failed"
	done
}

echo "| number | berth | target |"
echo "|---|---|---|"

log "50 containers"
start_containers 50
echo "| stats --no-stream, 50 running (berth CLI) | $(median_ms "${BERTH[@]}" stats --no-stream) ms | < 200 ms |"
echo "| stats --no-stream, 50 running (docker CLI → berth) | $(median_ms "${DOCKER_BERTH[@]}" stats --no-stream) ms | < 200 ms |"

log "100 containers"
start_containers 100
curl -sf "http://127.0.0.1:$PORT/metrics" >"$DIR/scrape.txt" || die "scrape failed"
series=$(grep -c '^berth_container_' "$DIR/scrape.txt")
echo "| metrics scrape, 100 running ($series container series, $(wc -c <"$DIR/scrape.txt") bytes) | $(median_ms curl -sf "http://127.0.0.1:$PORT/metrics") ms | < 100 ms |"

log "idle CPU over ${IDLE_SECS}s, scraped every 15 s"
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
t0=$(ticks)
s0=$(date +%s%N)
elapsed=0
while [ "$elapsed" -lt "$IDLE_SECS" ]; do
	curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null
	sleep $((IDLE_SECS - elapsed < 15 ? IDLE_SECS - elapsed : 15))
	elapsed=$((elapsed + 15))
done
t1=$(ticks)
s1=$(date +%s%N)
hz=$(getconf CLK_TCK)
cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v ns=$((s1 - s0)) 'BEGIN {printf "%.3f", t / hz / (ns / 1e9) * 100}')
echo "| idle daemon CPU, 100 containers, scraped every 15 s (${IDLE_SECS} s) | ${cpu}% | < 1% |"

log "health probe vs exec"
"${BERTH[@]}" ps -q | tail -n +11 | xargs -r "${BERTH[@]}" rm -f >/dev/null
"${BERTH[@]}" run -d --name probe --health-cmd true --health-interval 500ms bb sleep 3600 >/dev/null
sleep 4
# Start/End are RFC 3339 strings: the seconds field is enough for a difference under a minute.
probe=$("${BERTH[@]}" inspect -f '{{range .State.Health.Log}}{{.Start}} {{.End}}{{println}}{{end}}' probe |
	awk 'NF==2 {n=split($1,a,":"); m=split($2,b,":"); s=a[n]; e=b[m]; sub("Z","",s); sub("Z","",e); d=e-s; if (d<0) d+=60; print d*1000}' |
	sort -n | awk '{a[NR]=$1} END {printf "%.1f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
echo "| health probe (CMD true), median of the last 5 | ${probe} ms | ≤ one exec |"
echo "| berth exec CTR true (CLI round trip) | $(median_ms "${BERTH[@]}" exec probe true) ms | |"
rt=${BENCH_RUNTIME:-runc}
echo "$(printf '{"args":["true"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}')" >"$DIR/proc.json"
id=$("${BERTH[@]}" inspect -f '{{.Id}}' probe)
echo "| $rt exec of the same container (runtime alone) | $(median_ms "$rt" --root "$DIR/exec/runtime/$rt" exec --process "$DIR/proc.json" "$id") ms | |"
