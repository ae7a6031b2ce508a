#!/usr/bin/env bash
# 2. `exec CTR true` into a running container vs docker's and podman's exec (target ≤ 0.7x
#    docker's). berth is measured through its own CLI and through the docker CLI.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

name=bench-exec
"${BERTH[@]}" run -d --network none --name $name bb sleep 1000 >/dev/null || log "berth: run -d $name failed"
"${DOCKER[@]}" run -d --network none --label $LABEL --name $name bb sleep 1000 >/dev/null || log "docker: run -d failed"
podman run -d --network none --label $LABEL --name $name bb sleep 1000 >/dev/null || log "podman: run -d failed"

hf exec --warmup "$WARMUP" --runs "$RUNS" -- \
	"berth" "$(cmdstr "${BERTH[@]}") exec $name true" \
	"docker-cli-berth" "$(cmdstr "${DOCKER_BERTH[@]}") exec $name true" \
	"docker" "$(cmdstr "${DOCKER[@]}") exec $name true" \
	"podman" "podman exec $name true"

dk=$(median_ms exec docker)
pm=$(median_ms exec podman)
record 2a 'exec CTR true (berth CLI)' ms "$(median_ms exec berth)" "$dk" "$pm" 'docker exec' "$dk" '≤0.7x'
record 2b 'exec CTR true (docker CLI → berth)' ms "$(median_ms exec docker-cli-berth)" "$dk" "$pm" 'docker exec' "$dk" '≤0.7x'

"${BERTH[@]}" rm -f $name >/dev/null 2>&1
"${DOCKER[@]}" rm -f $name >/dev/null 2>&1
podman rm -f $name >/dev/null 2>&1
bench_finish
