#!/usr/bin/env bash
# 1. `run --rm bb true` with network none vs bare `runc run` of the same rootfs (target ≤ 3x),
#    with docker and podman for context. berth is measured through its own CLI and through the
#    docker CLI. The runc baseline goes through `sh -c 'exec runc ...'` only to get a unique id
#    per run ($$); that adds one exec of dash (~1 ms) to the baseline.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

b=$(cmdstr "${BERTH[@]}")
db=$(cmdstr "${DOCKER_BERTH[@]}")
d=$(cmdstr "${DOCKER[@]}")
hf run-rm --warmup "$WARMUP" --runs "$RUNS" -- \
	"berth" "$b run --rm --network none bb true" \
	"runc" "sh -c 'exec $RUNC_BIN --root $BENCH_RUNC_ROOT run --bundle $BENCH_BUNDLE bench-\$\$'" \
	"docker-cli-berth" "$db run --rm --network none bb true" \
	"docker" "$d run --rm --network none --label $LABEL bb true" \
	"podman" "podman run --rm --network none --label $LABEL bb true"

runc_ms=$(median_ms run-rm runc)
dk=$(median_ms run-rm docker)
pm=$(median_ms run-rm podman)
record 1a 'run --rm --network none bb true (berth CLI)' ms "$(median_ms run-rm berth)" "$dk" "$pm" 'runc run' "$runc_ms" '≤3x'
record 1b 'run --rm --network none bb true (docker CLI → berth)' ms "$(median_ms run-rm docker-cli-berth)" "$dk" "$pm" 'runc run' "$runc_ms" '≤3x'
bench_finish
