#!/usr/bin/env bash
# 3. 20 `run -d bb sleep 1000` started in parallel, wall time until all have returned (run -d
#    returns once the container is started); then every one is checked running, and removed
#    (untimed). Engines alternate round by round; the median over the rounds is reported.
#    Target ≤ 0.5x podman's. Default network of each engine, as in the issue.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

N=${PAR_N:-20}
ROUNDS=${PAR_ROUNDS:-5}
work=$BENCH_DIR/par
mkdir -p "$work"

# par_round NAME CLI...: prints the wall time in ms, or nothing if any container failed.
par_round() {
	local name=$1
	shift
	local t0 t1 i ok=1 ids running pids=()
	rm -f "$work/$name".out.*
	t0=$(now_ns)
	for i in $(seq "$N"); do
		timeout -s KILL 120 "$@" run -d --label $LABEL bb sleep 1000 >"$work/$name.out.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" # not a bare wait: the berth daemon is a child of this shell too
	t1=$(now_ns)
	ids=$(cat "$work/$name".out.* | grep -E '^[0-9a-f]{64}$')
	if [ "$(echo "$ids" | grep -c .)" -ne "$N" ]; then
		ok=0
		log "$name: only $(echo "$ids" | grep -c .) of $N run -d printed an id: $(grep -hvE '^[0-9a-f]{64}$' "$work/$name".out.* | sort | uniq -c | head -3)"
	fi
	if [ -n "$ids" ]; then
		running=$(timeout -s KILL 60 "$@" inspect -f '{{.State.Running}}' $ids 2>&1 | grep -c '^true$')
		if [ "$running" -ne "$N" ]; then
			ok=0
			log "$name: only $running of $N containers running after run -d returned"
		fi
		timeout -s KILL 120 "$@" rm -f $ids >/dev/null 2>&1 || log "$name: rm -f failed"
	fi
	if [ $ok = 1 ]; then
		echo $(((t1 - t0) / 1000000))
	else
		printf -- '- par/%s: %s parallel `run -d` did not all end up running (see the run log)\n' "$name" "$N" >>"$BENCH_OUT/failures.md"
	fi
}

: >"$work/berth.ms"
: >"$work/docker.ms"
: >"$work/podman.ms"
for r in $(seq "$ROUNDS"); do
	par_round berth "${BERTH[@]}" >>"$work/berth.ms"
	par_round docker "${DOCKER[@]}" >>"$work/docker.ms"
	par_round podman "${PODMAN[@]}" >>"$work/podman.ms"
	log "round $r: berth $(tail -1 "$work/berth.ms") ms, docker $(tail -1 "$work/docker.ms") ms, podman $(tail -1 "$work/podman.ms") ms"
done
cp "$work"/*.ms "$BENCH_OUT/" 2>/dev/null

pm=$(median <"$work/podman.ms")
record 3 "$N × run -d bb sleep 1000 in parallel, until all running" ms \
	"$(median <"$work/berth.ms")" "$(median <"$work/docker.ms")" "$pm" 'podman' "$pm" '≤0.5x'
bench_finish
