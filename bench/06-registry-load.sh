#!/usr/bin/env bash
# 6. The registry server under load: bench/regload's 8 workers each push a fresh 1 MB random
#    blob (POST + PUT ?digest=) and pull it back (GET), on loopback, for REG_SECONDS (10) per
#    round; berth's `registry serve` and the reference registry (Debian's docker-registry,
#    distribution 2.8) alternate for REG_ROUNDS (3) rounds on fresh temp roots. Target: at
#    least 1.5x the reference's requests per second, with no error. Recorded as time per
#    request (ms = 1000 / rps) so the table's "ratio ≤ target" reads: ≤0.667x.
#
# Needs no engine: it runs on its own (`bash bench/06-registry-load.sh`), or from run.sh
# (reusing its build). Both servers are stopped by pid; their temp roots are removed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${REG_ROUNDS:-3}
SECONDS_PER_ROUND=${REG_SECONDS:-10}
WORKERS=${REG_WORKERS:-8}
REF_BIN=${REF_REGISTRY_BIN:-/usr/bin/docker-registry}
[ -x "$REF_BIN" ] || die "the reference registry is missing: apt-get install docker-registry"

own_setup=0
if [ "${BENCH_READY:-}" != 1 ]; then
	own_setup=1
	BENCH_DIR=$(mktemp -d /tmp/berth-bench.XXXXXX)
	BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/results}
	BENCH_BIN=${BERTH_BIN_DIR:-$BENCH_DIR/bin}
	mkdir -p "$BENCH_OUT"
	: >"$BENCH_OUT/results.tsv"
	BENCH_OWNER=$$
	if [ -z "${BERTH_BIN_DIR:-}" ]; then
		log "building berth into $BENCH_BIN"
		(cd "$REPO" && CGO_ENABLED=0 go build -o "$BENCH_BIN/" ./cmd/berth) || die "build failed"
	fi
fi
REG_DIR=$(mktemp -d "${BENCH_DIR:-/tmp}/regload.XXXXXX")
(cd "$REPO" && CGO_ENABLED=0 go build -o "$REG_DIR/regload" ./bench/regload) || die "regload build failed"

server_pid=
stop_server() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid"
		for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$server_pid" 2>/dev/null && kill -9 "$server_pid"
	fi
	server_pid=
}
cleanup() {
	stop_server
	rm -rf "$REG_DIR"
	if [ "$own_setup" = 1 ] && [ "$BENCH_OUT" = "$BENCH_DIR/results" ]; then
		find "$BENCH_DIR" -mindepth 1 -maxdepth 1 ! -name results -exec rm -rf {} +
	fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "$1/v2/" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_berth ROOT PORT / start_ref ROOT PORT: one server on a fresh root, pid in server_pid.
start_berth() {
	setsid "$BENCH_BIN/berth" registry serve --addr "127.0.0.1:$2" --data-root "$1" >"$1.log" 2>&1 </dev/null &
	server_pid=$!
}
start_ref() {
	mkdir -p "$1"
	cat >"$1.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
YML
	setsid "$REF_BIN" serve "$1.yml" >"$1.log" 2>&1 </dev/null &
	server_pid=$!
}

# one_round NAME START_FN: rps of one round, appended to $REG_DIR/NAME.rps; errors fail it.
one_round() {
	local name=$1 start=$2 port root out
	port=$(free_port)
	root="$REG_DIR/$name-root-$RANDOM"
	"$start" "$root" "$port"
	wait_http "http://127.0.0.1:$port" || { tail "$root.log" >&2; stop_server; die "$name did not start"; }
	out=$("$REG_DIR/regload" -url "http://127.0.0.1:$port" -workers "$WORKERS" -size 1048576 -duration "${SECONDS_PER_ROUND}s")
	local rc=$?
	stop_server
	rm -rf "$root"
	log "$name: $out"
	echo "$out" >>"$REG_DIR/$name.json"
	if [ $rc -ne 0 ]; then
		printf -- '- 6/%s: regload reported errors: %s\n' "$name" "$out" >>"$BENCH_OUT/failures.md"
		return 1
	fi
	echo "$out" | jq -r .rps >>"$REG_DIR/$name.rps"
}

for r in $(seq "$ROUNDS"); do
	log "registry load round $r/$ROUNDS"
	one_round berth start_berth
	one_round reference start_ref
done

b_rps=$(median <"$REG_DIR/berth.rps" 2>/dev/null)
r_rps=$(median <"$REG_DIR/reference.rps" 2>/dev/null)
cp "$REG_DIR/berth.json" "$BENCH_OUT/registry-load-berth.json" 2>/dev/null
cp "$REG_DIR/reference.json" "$BENCH_OUT/registry-load-reference.json" 2>/dev/null
log "median rps: berth ${b_rps:-failed}, reference ${r_rps:-failed}"
ms() { [ -n "$1" ] && awk -v r="$1" 'BEGIN { printf "%.3f", 1000 / r }'; }
record 6 "registry load: 1 MB push+pull, 8 workers (ms/request; rps berth ${b_rps%.*} vs ${r_rps%.*})" ms \
	"$(ms "$b_rps")" '' '' 'docker-registry 2.8' "$(ms "$r_rps")" '≤0.667x'
bench_finish
