#!/usr/bin/env bash
# 4b. `logs CTR` of a container that wrote 100 MB (1 Mi lines of 100 'a') vs a plain read of
#     its json log file, `cat FILE | cat` (target ≤ 1.5x). berth rotates at 10m x 3 by default, so these
#     containers are created with --log-opt max-size=200m to keep all 100 MB (docker gets the
#     same option; podman uses k8s-file, unrotated by default).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

PAYLOAD="head -c 104857600 /dev/zero | tr '\\0' a | fold -w 100"
RUNS_BIG=${BENCH_RUNS_BIG:-10}
name=bench-logs
"${BERTH[@]}" run --name $name --network none --log-opt max-size=200m bb sh -c "$PAYLOAD" >/dev/null
"${DOCKER[@]}" run --name $name --network none --label $LABEL --log-opt max-size=200m bb sh -c "$PAYLOAD" >/dev/null
podman run --name $name --network none --label $LABEL --log-driver k8s-file bb sh -c "$PAYLOAD" >/dev/null

logfile=$("${BERTH[@]}" inspect -f '{{.LogPath}}' $name)
# Sanity: berth logs must give back every byte, or the timing means nothing.
got=$(timeout -s KILL 120 "${BERTH[@]}" logs $name 2>/dev/null | wc -c)
if [ "$got" -ne 105906175 ] && [ "$got" -ne 105906176 ]; then
	log "berth logs $name returned $got bytes, expected 105906176"
	printf -- '- logs: `berth logs %s` returned %s bytes, expected 105906176 (log file %s: %s bytes)\n' \
		"$name" "$got" "$logfile" "$(stat -c %s "$logfile" 2>/dev/null)" >>"$BENCH_OUT/failures.md"
fi

hf logs --warmup 1 --runs "$RUNS_BIG" -- \
	"berth" "$(cmdstr "${BERTH[@]}") logs $name" \
	"cat" "cat $logfile" \
	"cat-pipe" "sh -c 'cat $logfile | cat'" \
	"docker-cli-berth" "$(cmdstr "${DOCKER_BERTH[@]}") logs $name" \
	"docker" "$(cmdstr "${DOCKER[@]}") logs $name" \
	"podman" "podman logs $name"

# The baseline is a plain read of the file's bytes into a process: `cat FILE | cat`. A bare
# `cat FILE` to /dev/null (hyperfine's default output) is recorded too, but the kernel splices
# it: no byte reaches a process, which is no fair bar for anything that has to read the log.
c=$(median_ms logs cat-pipe)
dk=$(median_ms logs docker)
pm=$(median_ms logs podman)
record 4c 'logs of 100 MB, --log-opt max-size=200m (berth CLI)' ms "$(median_ms logs berth)" "$dk" "$pm" 'plain read (cat FILE piped to cat)' "$c" '≤1.5x'
record 4d 'logs of 100 MB, --log-opt max-size=200m (docker CLI → berth)' ms "$(median_ms logs docker-cli-berth)" "$dk" "$pm" 'plain read (cat FILE piped to cat)' "$c" '≤1.5x'

"${BERTH[@]}" rm -f $name >/dev/null 2>&1
"${DOCKER[@]}" rm -f $name >/dev/null 2>&1
podman rm -f $name >/dev/null 2>&1
bench_finish
