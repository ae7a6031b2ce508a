#!/usr/bin/env bash
# run.sh: every benchmark of the engine-core issue in one session, berth and its peers (bare
# runc, docker, podman) alternated, then a markdown table of medians and ratios on stdout.
#
#   bash bench/run.sh            # as root; progress on stderr, table on stdout
#
# Env: BENCH_RUNS (30) and BENCH_WARMUP (3) for the hyperfine benchmarks, BENCH_RUNS_BIG (10)
# for the 100 MB ones, PAR_ROUNDS (5), BENCH_OUT (results dir, default a temp dir that is kept),
# BERTH_BIN_DIR (use prebuilt berth + berth-shim instead of building from this tree).
# It starts its own berth daemon on temp roots and the docker peer, and stops both by pid.
set -uo pipefail
cd "$(dirname "$0")"
source ./lib.sh
bench_init

for s in 05-memory.sh 01-run.sh 02-exec.sh 03-parallel-run.sh 04-stdout.sh 04-logs.sh; do
	log "=== $s"
	bash "./$s" || log "$s exited $?"
done

{
	echo "berth $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet 2>/dev/null || echo '+dirty'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
	echo
	sort -t$'\t' -k1,1 -o "$BENCH_OUT/results.tsv" "$BENCH_OUT/results.tsv"
	render_table
	if [ -s "$BENCH_OUT/failures.md" ]; then
		echo
		echo "Failures:"
		cat "$BENCH_OUT/failures.md"
	fi
} | tee "$BENCH_OUT/table.md"
log "results (hyperfine JSON, table.md) in $BENCH_OUT"
