#!/usr/bin/env bash
# 08-network.sh: published-port throughput and the start cost of the bridge network.
#
#   bash bench/08-network.sh     # as root; results on stdout
#
# 1. busybox httpd serving a 1 MiB file, `wrk -t2 -c8 -d5s` against
#    - the same httpd on the host (127.0.0.1), the baseline: the same static busybox, the same
#      file, no CPU pinning for either;
#    - httpd in a berth container through a port published on 127.0.0.1 (nftables DNAT);
#    - podman's, when podman and its "bb" image are there (optional);
#    in NET_ROUNDS (3) alternating rounds.
# 2. `run --rm bb true` on the default bridge vs `--network none` (hyperfine medians), in
#    NET_ROUNDS alternating rounds of BENCH_RUNS (20) runs each.
# Everything runs on its own temp roots, bridge, subnet and nftables table; it stops what it
# started by pid and removes its files.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d /tmp/berth-bench-net.XXXXXX)
SOCK=$DIR/berth.sock
BR=bbn$$
TABLE=berth_bench_$$
BIP=10.$((200 + RANDOM % 50)).$((RANDOM % 256)).1/24
DURATION=${WRK_DURATION:-5s}
RUNS=${BENCH_RUNS:-20}
PIDS=()

cleanup() {
	set +e
	[ -n "${pod_cid:-}" ] && podman rm -f "$pod_cid" >/dev/null 2>&1
	[ -n "${DOCKER_HOST:-}" ] && docker rm -f $(docker ps -aq) >/dev/null 2>&1
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "${HOST_CG:-}" ] && rmdir "$HOST_CG" 2>/dev/null
	if [ -f "$DIR/exec/berth.pid" ]; then
		kill "$(cat "$DIR/exec/berth.pid")" 2>/dev/null
		sleep 1
	fi
	grep " $DIR" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
	ip link del "$BR" 2>/dev/null
	nft delete table ip "$TABLE" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

mkdir -p "$DIR/bin" "$DIR/www"
(cd "$REPO" && go build -o "$DIR/bin" ./cmd/...)
head -c 1048576 /dev/urandom >"$DIR/www/f.bin"
"$REPO/scripts/mkbase.sh" -o "$DIR/bb.tar" >/dev/null

"$DIR/bin/berth" daemon -H "unix://$SOCK" --data-root "$DIR/data" --exec-root "$DIR/exec" \
	--runtime runc -b "$BR" --bip "$BIP" --nft-table "$TABLE" >"$DIR/daemon.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
export DOCKER_HOST=unix://$SOCK
docker import -c 'CMD ["sh"]' "$DIR/bb.tar" bb >/dev/null

rps() { awk '/Requests\/sec/ {print $2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

HOST_PORT=$(free_port)
/bin/busybox httpd -f -p "127.0.0.1:$HOST_PORT" -h "$DIR/www" &
PIDS+=($!)
# The same scheduling as a container: berth puts each container in the cpu cgroup
# /berth/<id>, one group entity that competes with every task of the root group; an httpd
# left in the root group would get a share per forked child on a loaded machine. The host
# httpd (and the children it forks) goes into a sibling cgroup, /berth/bench-host-PID.
HOST_CG=""
if [ -d /sys/fs/cgroup/cpu ] && [ "${BENCH_HOST_CGROUP:-1}" = 1 ]; then
	HOST_CG=/sys/fs/cgroup/cpu/berth/bench-host-$$
	mkdir -p "$HOST_CG" && echo "${PIDS[-1]}" >"$HOST_CG/cgroup.procs" || HOST_CG=""
fi
CTR_PORT=$(free_port)
docker run -d -p "127.0.0.1:$CTR_PORT:80" -v "$DIR/www:/www:ro" bb httpd -f -p 80 -h /www >/dev/null
sleep 0.5
curl_ok() { wget -qO /dev/null "http://127.0.0.1:$1/f.bin"; }
curl_ok "$HOST_PORT" && curl_ok "$CTR_PORT"

ROUNDS=${NET_ROUNDS:-3}
POD_PORT=""
if command -v podman >/dev/null && podman image exists bb 2>/dev/null; then
	POD_PORT=$(free_port)
	pod_cid=$(podman run -d --rm -p "127.0.0.1:$POD_PORT:80" -v "$DIR/www:/www:ro" bb httpd -f -p 80 -h /www)
	sleep 1
	curl_ok "$POD_PORT"
fi

# Rounds alternate host / berth / podman, so load from other work on the machine hits all of
# them alike; each round's ratios are to that round's host run, and the medians are reported.
echo "## published port throughput (1 MiB file, wrk -t2 -c8 -d$DURATION, $ROUNDS alternating rounds)"
echo "round host_rps berth_rps podman_rps berth_ratio podman_ratio"
for i in $(seq "$ROUNDS"); do
	host=$(wrk -t2 -c8 -d"$DURATION" "http://127.0.0.1:$HOST_PORT/f.bin" | rps)
	berth=$(wrk -t2 -c8 -d"$DURATION" "http://127.0.0.1:$CTR_PORT/f.bin" | rps)
	pod=0
	[ -n "$POD_PORT" ] && pod=$(wrk -t2 -c8 -d"$DURATION" "http://127.0.0.1:$POD_PORT/f.bin" | rps)
	echo "$i $host $berth $pod $(echo "scale=2; $berth/$host" | bc) $(echo "scale=2; $pod/$host" | bc)"
done | tee "$DIR/wrk.txt"
[ -n "$POD_PORT" ] && podman rm -f "$pod_cid" >/dev/null && pod_cid=""
awk '{print $5}' "$DIR/wrk.txt" | sort -n | awk '{a[NR]=$1} END {print "median berth ratio:", a[int((NR+1)/2)]}'
awk '{print $6}' "$DIR/wrk.txt" | sort -n | awk '{a[NR]=$1} END {print "median podman ratio:", a[int((NR+1)/2)]}'

echo
echo "## run --rm: bridge vs --network none (hyperfine, $ROUNDS alternating rounds of $RUNS runs)"
for i in $(seq "$ROUNDS"); do
	hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$DIR/run$i.json" \
		"$DIR/bin/berth -H unix://$SOCK run --rm --network none bb true" \
		"$DIR/bin/berth -H unix://$SOCK run --rm bb true" >/dev/null
done
python3 - "$DIR" "$ROUNDS" <<'PY'
import json, statistics, sys
d, n = sys.argv[1], int(sys.argv[2])
deltas = []
for i in range(1, n + 1):
    r = json.load(open(f"{d}/run{i}.json"))["results"]
    none, br = r[0]["median"] * 1000, r[1]["median"] * 1000
    deltas.append(br - none)
    print(f"round {i}: --network none {none:.1f} ms, bridge {br:.1f} ms median: bridge costs {br - none:+.1f} ms")
print(f"median over rounds: bridge costs {statistics.median(deltas):+.1f} ms")
PY
