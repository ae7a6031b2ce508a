#!/usr/bin/env bash
# 4a. A container writing 100 MB to stdout (1 Mi lines of 100 'a'), attached, output to
#     /dev/null, vs the same busybox pipeline on the host (target ≤ 1.3x). network none
#     everywhere; each engine also logs the stream (its default json-file/k8s-file driver;
#     berth's default rotation 10m x 3 applies).
#     The commands alternate run by run (one warm-up round, then BENCH_RUNS_BIG rounds): at
#     ~0.5–4 s a run, the machine's state drifts over a benchmark this long, and hyperfine's
#     one-command-after-the-other order handed that drift to whichever came last.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

PAYLOAD="head -c 104857600 /dev/zero | tr '\\\\0' a | fold -w 100"
ROUNDS=${BENCH_RUNS_BIG:-10}
names=(berth host docker-cli-berth docker podman)
declare -A cmd=(
	[berth]="$(cmdstr "${BERTH[@]}") run --rm --network none bb sh -c \"$PAYLOAD\""
	[host]="env PATH=$BENCH_ROOTFS/bin $BENCH_ROOTFS/bin/sh -c \"$PAYLOAD\""
	[docker-cli-berth]="$(cmdstr "${DOCKER_BERTH[@]}") run --rm --network none bb sh -c \"$PAYLOAD\""
	[docker]="$(cmdstr "${DOCKER[@]}") run --rm --network none --label $LABEL bb sh -c \"$PAYLOAD\""
	[podman]="podman run --rm --network none --label $LABEL bb sh -c \"$PAYLOAD\""
)
live=()
for n in "${names[@]}"; do
	preflight "stdout/$n" "${cmd[$n]}" && live+=("$n")
	: >"$BENCH_OUT/stdout-$n.ms"
done
for r in $(seq 0 "$ROUNDS"); do
	line="round $r:"
	for n in "${live[@]}"; do
		sleep 1 # what the last run left to clean up in the background is not charged to this one
		t0=$(now_ns)
		eval "${cmd[$n]}" >/dev/null 2>&1 </dev/null
		rc=$?
		t1=$(now_ns)
		if [ $rc -ne 0 ]; then
			printf -- '- stdout/%s: exited %s in round %s\n' "$n" "$rc" "$r" >>"$BENCH_OUT/failures.md"
			continue
		fi
		[ "$r" -eq 0 ] && continue # warm-up
		echo $(((t1 - t0) / 1000000)) >>"$BENCH_OUT/stdout-$n.ms"
		line+=" $n $(((t1 - t0) / 1000000))"
	done
	log "$line"
done

med() { median <"$BENCH_OUT/stdout-$1.ms" 2>/dev/null; }
host=$(med host)
dk=$(med docker)
pm=$(med podman)
record 4a '100 MB to stdout, attached (berth CLI)' ms "$(med berth)" "$dk" "$pm" 'host' "$host" '≤1.3x'
record 4b '100 MB to stdout, attached (docker CLI → berth)' ms "$(med docker-cli-berth)" "$dk" "$pm" 'host' "$host" '≤1.3x'
bench_finish
