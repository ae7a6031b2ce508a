#!/usr/bin/env bash
# 4a. A container writing 100 MB to stdout (1 Mi lines of 100 'a'), attached, output to
#     /dev/null, vs the same busybox pipeline on the host (target ≤ 1.3x). network none
#     everywhere; each engine also logs the stream (its default json-file/k8s-file driver;
#     berth's default rotation 10m x 3 applies).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

PAYLOAD="head -c 104857600 /dev/zero | tr '\\\\0' a | fold -w 100"
RUNS_BIG=${BENCH_RUNS_BIG:-10}
hf stdout --warmup 1 --runs "$RUNS_BIG" -- \
	"berth" "$(cmdstr "${BERTH[@]}") run --rm --network none bb sh -c \"$PAYLOAD\"" \
	"host" "env PATH=$BENCH_ROOTFS/bin $BENCH_ROOTFS/bin/sh -c \"$PAYLOAD\"" \
	"docker-cli-berth" "$(cmdstr "${DOCKER_BERTH[@]}") run --rm --network none bb sh -c \"$PAYLOAD\"" \
	"docker" "$(cmdstr "${DOCKER[@]}") run --rm --network none --label $LABEL bb sh -c \"$PAYLOAD\"" \
	"podman" "podman run --rm --network none --label $LABEL bb sh -c \"$PAYLOAD\""

host=$(median_ms stdout host)
dk=$(median_ms stdout docker)
pm=$(median_ms stdout podman)
record 4a '100 MB to stdout, attached (berth CLI)' ms "$(median_ms stdout berth)" "$dk" "$pm" 'host' "$host" '≤1.3x'
record 4b '100 MB to stdout, attached (docker CLI → berth)' ms "$(median_ms stdout docker-cli-berth)" "$dk" "$pm" 'host' "$host" '≤1.3x'
bench_finish
