#!/usr/bin/env bash
# 5. Memory. (a) the idle daemon's RSS, no containers (target ≤ 25 MiB) vs dockerd+containerd.
#    (b) with 10 running `sleep 1000`, everything the engine adds per container: the sum over
#    its per-container monitors (berth-shim / containerd-shim-runc-v2 / conmon) of PSS and RSS
#    from /proc/PID/smaps_rollup, divided by 10 (targets ≤ 0.5 MiB PSS, ≤ 3 MiB RSS).
#    run.sh runs this first so the daemon is freshly started.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

N=10
# kib FIELD PID...: sum of an smaps_rollup field (kB) over the pids.
kib() {
	local f=$1 p sum=0 v
	shift
	for p in "$@"; do
		v=$(awk -v f="$f:" '$1 == f {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}
mib() { awk -v k="$1" -v n="${2:-1}" 'BEGIN {printf "%.3f", k / 1024 / n}'; }

berth_rm_all
sleep 1
berth_idle=$(mib "$(kib Rss "$BERTH_PID")")
dpids=$(cat /tmp/peers/dockerd.pid /tmp/peers/containerd.pid 2>/dev/null)
docker_idle=$(mib "$(kib Rss $dpids)")
log "idle: berth daemon $berth_idle MiB RSS, dockerd+containerd $docker_idle MiB RSS"
record 5a 'idle daemon RSS (docker: dockerd+containerd)' MiB "$berth_idle" "$docker_idle" '' '' '' '≤25'

# start N sleepers on an engine; print their ids
start_sleepers() {
	local i
	for i in $(seq $N); do
		timeout -s KILL 60 "$@" run -d --network none --label $LABEL bb sleep 1000 || log "run -d failed: $*"
	done
}
bids=$(start_sleepers "${BERTH[@]}")
dids=$(start_sleepers "${DOCKER[@]}")
pids_=$(start_sleepers "${PODMAN[@]}")
sleep 2
bshims=$(pids_matching berth-shim $bids)
dshims=$(pids_matching containerd-shim $dids)
pshims=$(pids_matching conmon $pids_)
log "monitors: berth-shim $(echo $bshims | wc -w), containerd-shim $(echo $dshims | wc -w), conmon $(echo $pshims | wc -w) (want $N each)"
for e in bshims dshims pshims; do
	[ "$(echo ${!e} | wc -w)" -eq $N ] || printf -- '- memory: found %s monitor processes for %s, expected %s\n' "$(echo ${!e} | wc -w)" "$e" $N >>"$BENCH_OUT/failures.md"
done
# The daemon's own growth with N running containers, for context.
log "berth daemon with $N running: $(mib "$(kib Rss "$BERTH_PID")") MiB RSS"
record 5b "per-container PSS, $N × sleep (shim / containerd-shim / conmon)" MiB \
	"$(mib "$(kib Pss $bshims)" $N)" "$(mib "$(kib Pss $dshims)" $N)" "$(mib "$(kib Pss $pshims)" $N)" '' '' '≤0.5'
record 5c "per-container RSS, $N × sleep (shim / containerd-shim / conmon)" MiB \
	"$(mib "$(kib Rss $bshims)" $N)" "$(mib "$(kib Rss $dshims)" $N)" "$(mib "$(kib Rss $pshims)" $N)" '' '' '≤3'

timeout -s KILL 60 "${BERTH[@]}" rm -f $bids >/dev/null 2>&1
timeout -s KILL 60 "${DOCKER[@]}" rm -f $dids >/dev/null 2>&1
timeout -s KILL 60 podman rm -f $pids_ >/dev/null 2>&1
bench_finish
