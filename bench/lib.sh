# lib.sh: shared setup for the benchmarks (sourced, never run).
#
# bench_init starts everything a benchmark needs, once per run: a berth daemon on temp roots,
# the docker peer, podman (daemonless), a busybox rootfs imported as "bb" into each engine, and
# a bare runc bundle of the same rootfs. run.sh calls it and exports BENCH_READY=1 so the
# per-number scripts reuse that setup; a script run on its own sets up and tears down itself.
# Teardown stops only what was started here, by pid.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SRC/.." && pwd)
PEERS_DIR=${PEERS_DIR:-/work/shared/peers}
DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker} # the 20.10 CLI from docker.io, for the docker peer
# The docker CLI that drives berth: 28.2.2, the one the e2e suite uses (the 20.10 CLI takes ~10 ms
# longer to start by itself; DOCKER_BERTH_BIN=/usr/bin/docker measures with it).
DOCKER_BERTH_BIN=${DOCKER_BERTH_BIN:-/usr/local/bin/docker}
[ -x "$DOCKER_BERTH_BIN" ] || DOCKER_BERTH_BIN=$DOCKER_BIN
RUNC_BIN=${RUNC_BIN:-/usr/sbin/runc}
PEER_SOCK=/tmp/peers/docker.sock
LABEL=berth-bench=1 # on every peer container, so cleanup finds exactly ours
RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
export PATH="/usr/local/go/bin:$PATH:/usr/sbin:/sbin"

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# Command prefixes for each engine, as arrays: "${BERTH[@]}" run ...
set_engine_cmds() {
	BERTH=("$BENCH_BIN/berth" -H "unix://$BENCH_SOCK")
	DOCKER_BERTH=("$DOCKER_BERTH_BIN" -H "unix://$BENCH_SOCK") # docker CLI against berth
	DOCKER=("$DOCKER_BIN" -H "unix://$PEER_SOCK")
	PODMAN=(podman)
}

# hyperfine wants one string per command; this quotes an array into one.
cmdstr() { printf '%q ' "$@"; }

bench_init() {
	if [ "${BENCH_READY:-}" = 1 ]; then
		set_engine_cmds
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	for t in hyperfine podman "$DOCKER_BIN" "$RUNC_BIN" jq containerd-shim-runc-v2 conmon; do
		command -v "$t" >/dev/null 2>&1 && continue
		log "installing peers ($t missing)"
		"$PEERS_DIR/install" >&2 || die "peer install failed"
		break
	done

	BENCH_DIR=$(mktemp -d /tmp/berth-bench.XXXXXX)
	BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/results}
	mkdir -p "$BENCH_OUT"
	: >"$BENCH_OUT/results.tsv"
	BENCH_BIN=${BERTH_BIN_DIR:-$BENCH_DIR/bin}
	BENCH_SOCK=$BENCH_DIR/berth.sock
	BENCH_DATA=$BENCH_DIR/data
	BENCH_EXEC=$BENCH_DIR/exec
	BENCH_ROOTFS=$BENCH_DIR/rootfs
	BENCH_BUNDLE=$BENCH_DIR/bundle
	BENCH_RUNC_ROOT=$BENCH_DIR/runc-root
	export BENCH_DIR BENCH_OUT BENCH_BIN BENCH_SOCK BENCH_DATA BENCH_EXEC BENCH_ROOTFS BENCH_BUNDLE BENCH_RUNC_ROOT
	trap bench_teardown EXIT
	trap 'log "interrupted (SIGINT)"; exit 130' INT
	trap 'log "interrupted (SIGTERM)"; exit 143' TERM

	if [ -z "${BERTH_BIN_DIR:-}" ]; then
		log "building berth into $BENCH_BIN"
		(cd "$REPO" && CGO_ENABLED=0 go build -o "$BENCH_BIN/" ./cmd/berth &&
			CGO_ENABLED=1 go build -o "$BENCH_BIN/" ./cmd/berth-shim) || die "build failed"
	fi
	set_engine_cmds

	log "base rootfs (scripts/mkbase.sh) and bare runc bundle"
	bash "$REPO/scripts/mkbase.sh" -o "$BENCH_DIR/bb.tar" || die "mkbase failed"
	mkdir -p "$BENCH_ROOTFS" "$BENCH_BUNDLE/rootfs" "$BENCH_RUNC_ROOT"
	tar -C "$BENCH_ROOTFS" -xf "$BENCH_DIR/bb.tar"
	tar -C "$BENCH_BUNDLE/rootfs" -xf "$BENCH_DIR/bb.tar"
	# runc spec: rootful, namespaces incl. a new network ns (only lo), no terminal.
	(cd "$BENCH_BUNDLE" && "$RUNC_BIN" spec) || die "runc spec failed"
	jq '.process.terminal=false | .process.args=["true"]' "$BENCH_BUNDLE/config.json" >"$BENCH_BUNDLE/c.json" &&
		mv "$BENCH_BUNDLE/c.json" "$BENCH_BUNDLE/config.json"

	log "starting berth daemon on $BENCH_SOCK"
	mkdir -p "$BENCH_DATA" "$BENCH_EXEC"
	setsid "$BENCH_BIN/berth" daemon -H "unix://$BENCH_SOCK" --data-root "$BENCH_DATA" \
		--exec-root "$BENCH_EXEC" --runtime "${BENCH_RUNTIME:-runc}" >"$BENCH_DIR/berth.log" 2>&1 </dev/null &
	BERTH_PID=$!
	echo "$BERTH_PID" >"$BENCH_DIR/berth.pid"
	export BERTH_PID
	for _ in $(seq 100); do "${BERTH[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
	"${BERTH[@]}" version >/dev/null 2>&1 || { tail -20 "$BENCH_DIR/berth.log" >&2; die "berth daemon did not come up"; }

	if [ -S "$PEER_SOCK" ] && "${DOCKER[@]}" version >/dev/null 2>&1; then
		log "docker peer already running (left running at the end)"
		BENCH_STARTED_DOCKER=0
	else
		log "starting docker peer"
		"$PEERS_DIR/docker" start >&2 || die "docker peer did not start"
		BENCH_STARTED_DOCKER=1
	fi
	export BENCH_STARTED_DOCKER

	log "importing bb into berth, docker, podman"
	"${BERTH[@]}" import - bb <"$BENCH_DIR/bb.tar" >/dev/null || die "berth import failed"
	"${DOCKER[@]}" import - bb <"$BENCH_DIR/bb.tar" >/dev/null || die "docker import failed"
	podman import -q - bb <"$BENCH_DIR/bb.tar" >/dev/null || die "podman import failed"
	export BENCH_READY=1
	BENCH_OWNER=$$
}

# berth_rm_all: every container of our private berth daemon (all of them are ours).
berth_rm_all() {
	local ids
	ids=$("${BERTH[@]}" ps -aq 2>/dev/null) || return 0
	[ -n "$ids" ] && timeout 60 "${BERTH[@]}" rm -f $ids >/dev/null 2>&1
	return 0
}

# peers_rm_all: the peer containers carrying our label.
peers_rm_all() {
	local ids
	ids=$("${DOCKER[@]}" ps -aq --filter label=$LABEL 2>/dev/null)
	[ -n "$ids" ] && "${DOCKER[@]}" rm -f $ids >/dev/null 2>&1
	ids=$(podman ps -aq --filter label=$LABEL 2>/dev/null)
	[ -n "$ids" ] && podman rm -f $ids >/dev/null 2>&1
	return 0
}

bench_teardown() {
	local rc=$?
	trap - EXIT
	trap '' PIPE # a reader that went away must not cut the cleanup short
	[ -n "${BENCH_DIR:-}" ] || return $rc
	log "teardown"
	berth_rm_all
	peers_rm_all
	if [ -n "${BERTH_PID:-}" ] && kill -0 "$BERTH_PID" 2>/dev/null; then
		kill "$BERTH_PID"
		for _ in $(seq 100); do kill -0 "$BERTH_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$BERTH_PID" 2>/dev/null && { log "berth daemon $BERTH_PID ignored SIGTERM; killing"; kill -9 "$BERTH_PID"; }
	fi
	# Anything of ours still alive is a leak worth reporting: shims under our exec root.
	local p
	for p in $(pids_matching berth-shim "$BENCH_EXEC/"); do
		log "LEAK: berth-shim $p still running after rm -f; killing it"
		kill -9 "$p" 2>/dev/null
	done
	local r id
	for r in "$BENCH_EXEC/runtime" "$BENCH_RUNC_ROOT"; do
		[ -d "$r" ] || continue
		for id in $("$RUNC_BIN" --root "$r" list -q 2>/dev/null); do
			log "LEAK: runc state $id in $r; deleting"
			"$RUNC_BIN" --root "$r" delete -f "$id" >/dev/null 2>&1
		done
	done
	# Mounts under our temp dir, deepest first.
	grep -o " $BENCH_DIR/[^ ]*" /proc/mounts | sort -r | while read -r m; do
		log "LEAK: mount $m; unmounting"
		umount -l "$m"
	done
	if [ "${BENCH_STARTED_DOCKER:-0}" = 1 ]; then
		"$PEERS_DIR/docker" stop
	fi
	if [ -z "${BENCH_KEEP:-}" ]; then
		# Keep the results (they live under BENCH_DIR unless BENCH_OUT was given).
		if [ "$BENCH_OUT" = "$BENCH_DIR/results" ]; then
			find "$BENCH_DIR" -mindepth 1 -maxdepth 1 ! -name results -exec rm -rf {} +
		else
			rm -rf "$BENCH_DIR"
		fi
	fi
	return $rc
}

# pids_matching COMM SUBSTRING...: pids whose comm is COMM and whose cmdline contains any SUBSTRING.
pids_matching() {
	local comm=$1
	shift
	local d c cmd s
	for d in /proc/[0-9]*; do
		c=$(cat "$d/comm" 2>/dev/null) || continue
		[ "$c" = "$comm" ] || continue
		cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)
		for s in "$@"; do
			if [[ $cmd == *"$s"* ]]; then
				echo "${d#/proc/}"
				break
			fi
		done
	done
}

# hf NAME [FLAGS] -- "label" "command" ["label" "command"...]: one hyperfine run over all
# commands (each checked once by preflight first), exported to $BENCH_OUT/NAME.json.
hf() {
	local name=$1
	shift
	local -a flags=()
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	local -a args=()
	while [ $# -gt 0 ]; do
		preflight "$name/$1" "$2" && args+=(-n "$1" "$2")
		shift 2
	done
	[ ${#args[@]} -gt 0 ] || { echo '{"results":[]}' >"$BENCH_OUT/$name.json"; return 0; }
	hyperfine -N --style basic "${flags[@]}" --export-json "$BENCH_OUT/$name.json" "${args[@]}" >&2 || {
		log "FAILED $name: hyperfine aborted (a command failed during the runs)"
		printf -- '- %s: hyperfine aborted: a command failed during the timed runs (it passed its first run)\n' "$name" >>"$BENCH_OUT/failures.md"
	}
}

# preflight LABEL CMDSTRING: run the command once (killed after 60 s). A command that fails or
# hangs would make hyperfine abort or wait forever, so hf leaves it out and the failure is
# written, with the command and its output, to failures.md next to the results.
preflight() {
	local label=$1 cmd=$2 out rc
	out=$(timeout -s KILL 60 sh -c "$cmd" 2>&1 >/dev/null </dev/null)
	rc=$?
	[ $rc -eq 0 ] && return 0
	[ $rc -eq 137 ] && out="(killed after 60 s: hung) $out"
	log "FAILED $label: exit $rc: $cmd: $out"
	printf -- '- %s: `%s` exited %s: %s\n' "$label" "$cmd" "$rc" "$(echo "$out" | tr '\n' ' ' | cut -c1-400)" >>"$BENCH_OUT/failures.md"
	return 1
}

# median_ms NAME LABEL: the median (ms) of one command in a hyperfine export.
median_ms() {
	[ -s "$BENCH_OUT/$1.json" ] || return 0
	jq -r --arg l "$2" '.results[] | select(.command == $l) | .median * 1000' "$BENCH_OUT/$1.json"
}

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) exit 1; if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

now_ns() { date +%s%N; }

# record ID LABEL UNIT BERTH DOCKER PODMAN BASE_NAME BASE_VALUE TARGET
# TARGET is "≤Nx" (ratio berth/base) or "≤N" (absolute, in UNIT). Empty values print as "—".
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_OUT/results.tsv"
}

# render_table: results.tsv as a markdown table (values are medians; ratio = berth / baseline).
render_table() {
	echo "| # | benchmark | berth | docker | podman | baseline | ratio | target | met |"
	echo "|---|---|---:|---:|---:|---|---:|---|---|"
	awk -F'\t' '
	function fmt(v, u) { if (v == "") return "—"; return sprintf(u == "ms" ? "%.1f %s" : "%.2f %s", v, u) }
	{
		id=$1; lab=$2; u=$3; b=$4; d=$5; p=$6; bn=$7; bv=$8; t=$9
		tv=t; gsub(/[^0-9.]/, "", tv)
		ratio="—"; met="?"
		if (t ~ /x$/) {
			if (b != "" && bv != "" && bv > 0) { r=b/bv; ratio=sprintf("%.3gx", r); met=(r <= tv+0 ? "yes" : "**no**") }
		} else if (b != "") { met=(b+0 <= tv+0 ? "yes" : "**no**") }
		base=(bn == "" ? "—" : (bv == "" ? bn : bn ": " fmt(bv, u)))
		if (b == "") met="**failed**"
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", id, lab, fmt(b, u), fmt(d, u), fmt(p, u), base, ratio, (t ~ /x$/ ? t : t " " u), met
	}' "$BENCH_OUT/results.tsv"
}

# bench_finish: a script run on its own prints its rows.
bench_finish() {
	[ "${BENCH_OWNER:-}" = "$$" ] && render_table
	return 0
}
