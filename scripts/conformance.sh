#!/usr/bin/env bash
# conformance.sh: the OCI distribution-spec conformance suite against `berth registry serve`,
# with every API and data toggle on (spec 1.1, sha512, referrers, chunked/streamed uploads,
# upload cancel, tag parameters, sparse manifests). Exits non-zero on any failure.
#
#   bash scripts/conformance.sh [RESULTS_DIR]
#
# Env: BERTH_BIN (a built berth binary; default: build one), CONFORMANCE_BIN (default
# $(go env GOPATH)/bin/conformance, installed at the pinned version when missing).
# The server runs on a temp data root and a free loopback port, and is stopped by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

CONFORMANCE_VERSION=v0.0.0-20260831232431-97274622c111
work=$(mktemp -d /tmp/berth-conformance.XXXXXX)
results=${1:-$work/results}
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work/data" "$work/bin"
}
trap cleanup EXIT

bin=${CONFORMANCE_BIN:-$(go env GOPATH)/bin/conformance}
if [ ! -x "$bin" ]; then
	echo "installing the conformance suite ($CONFORMANCE_VERSION)"
	(cd "$work" && GOFLAGS= go install "github.com/opencontainers/distribution-spec/conformance@$CONFORMANCE_VERSION")
fi
berth=${BERTH_BIN:-}
if [ -z "$berth" ]; then
	CGO_ENABLED=0 go build -o "$work/bin/berth" ./cmd/berth
	berth=$work/bin/berth
fi

# Port 0: the kernel picks a free loopback port; the server prints the address it got.
"$berth" registry serve --addr 127.0.0.1:0 --data-root "$work/data" >"$work/server.log" 2>&1 </dev/null &
pid=$!
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/^berth registry listening on \([^ ]*\) .*/\1/p' "$work/server.log")
	[ -n "$addr" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$addr" ] || { cat "$work/server.log"; echo "conformance: the registry did not start"; exit 1; }

mkdir -p "$results"
status=0
(
	cd "$work"
	export OCI_REGISTRY="$addr" OCI_TLS=disabled OCI_VERSION=1.1
	export OCI_REPO1=myorg/myrepo OCI_REPO2=myorg/other OCI_RESULTS_DIR="$results" OCI_LOG=error
	export OCI_API_PULL=true OCI_API_PUSH=true OCI_API_REFERRER=true
	export OCI_API_BLOBS_ATOMIC=true OCI_API_BLOBS_DELETE=true OCI_API_BLOBS_DIGEST_HEADER=true
	export OCI_API_BLOBS_MOUNT_ANONYMOUS=true OCI_API_BLOBS_UPLOAD_CANCEL=true
	export OCI_API_MANIFESTS_ATOMIC=true OCI_API_MANIFESTS_DELETE=true OCI_API_MANIFESTS_DIGEST_HEADER=true
	export OCI_API_MANIFESTS_TAG_PARAM=true
	export OCI_API_TAGS_ATOMIC=true OCI_API_TAGS_DELETE=true OCI_API_TAGS_LIST=true
	for d in IMAGE INDEX INDEX_LIST SPARSE ARTIFACT SUBJECT SUBJECT_MISSING ARTIFACT_LIST SUBJECT_LIST \
		DATA_FIELD NONDISTRIBUTABLE CUSTOM_FIELDS NO_LAYERS EMPTY_BLOB SHA512; do
		export "OCI_DATA_$d=true"
	done
	"$bin" >"$work/conformance.log" 2>&1
) || status=$?
if [ -f "$results/junit.xml" ]; then
	sed -n 's/.*<testsuite [^>]*tests="\([0-9]*\)" failures="\([0-9]*\)" errors="\([0-9]*\)".*/conformance: \1 checks, \2 failures, \3 errors/p' "$results/junit.xml" | head -1
fi
if [ "$status" -ne 0 ]; then
	grep -E 'FAIL|Error' "$work/conformance.log" | head -40
	echo "conformance: FAILED (exit $status; results in $results; server log $work/server.log)"
	tail -20 "$work/server.log"
	exit "$status"
fi
echo "conformance: passed (results in $results)"
[ "$results" = "$work/results" ] || rm -rf "$work"
