#!/usr/bin/env bash
# 10. Builds (issue 5): FROM bb, five RUN steps (a small file; seq 1 100000; dd 8 MB of zeros;
#     200 small files; 1 MB of random bytes), then COPY of a 50 MB random file.
#     a) cold build (--no-cache)                      target ≤ 0.8x docker BuildKit
#     b) rebuild after a 16-byte change to the file   target ≤ 0.5x docker legacy (only the COPY re-runs)
#     c) rebuild after `touch` of every context file  target < 0.2 s, no step re-run
#     berth through its own CLI and through the docker CLI (classic API); docker 20.10's BuildKit
#     (DOCKER_BUILDKIT=1) and legacy builder (DOCKER_BUILDKIT=0); podman (buildah, --layers).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

RUNS_BUILD=${BENCH_RUNS_BUILD:-5}
ctx=$BENCH_DIR/buildctx
mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM bb
RUN echo hello > /hello.txt
RUN seq 1 100000 > /seq.txt
RUN dd if=/dev/zero of=/zeros bs=1M count=8 2>/dev/null
RUN mkdir /many && for i in $(seq 1 200); do echo $i > /many/f$i; done
RUN head -c 1048576 /dev/urandom > /random.bin
COPY big.bin /big.bin
DOCKERFILE
head -c $((50 * 1024 * 1024)) /dev/urandom >"$ctx/big.bin"

# A different 16 bytes at a fixed offset each time: the file's size stays, its content changes.
change="date +%s%N%N | head -c 16 | dd of=$ctx/big.bin bs=1 seek=1000000 conv=notrunc status=none"
touchall="touch $ctx/Dockerfile $ctx/big.bin"

berth_b="$(cmdstr "${BERTH[@]}") build -q -t bench-build $ctx"
dcb_b="DOCKER_BUILDKIT=0 $(cmdstr "${DOCKER_BERTH[@]}") build -q -t bench-build $ctx"
bk_b="DOCKER_BUILDKIT=1 $(cmdstr "${DOCKER[@]}") build -q -t bench-build $ctx"
leg_b="DOCKER_BUILDKIT=0 $(cmdstr "${DOCKER[@]}") build -q -t bench-build $ctx"
pm_b="podman build -q --layers -t bench-build $ctx"
sh_c() { printf 'sh -c %q' "$1"; }

# Warm every cache once so b) and c) measure rebuilds.
for c in "$berth_b" "$dcb_b" "$bk_b" "$leg_b" "$pm_b"; do sh -c "$c" >/dev/null 2>&1 || log "warm-up failed: $c"; done

hf build-cold --runs "$RUNS_BUILD" -- \
	"berth" "$(sh_c "${berth_b/build -q/build -q --no-cache}")" \
	"docker-cli-berth" "$(sh_c "${dcb_b/build -q/build -q --no-cache}")" \
	"docker-buildkit" "$(sh_c "${bk_b/build -q/build -q --no-cache}")" \
	"docker-legacy" "$(sh_c "${leg_b/build -q/build -q --no-cache}")" \
	"podman" "$(sh_c "${pm_b/build -q/build -q --no-cache}")"

hf build-change --runs "$((RUNS_BUILD * 2))" --prepare "$(sh_c "$change")" -- \
	"berth" "$(sh_c "$berth_b")" \
	"docker-cli-berth" "$(sh_c "$dcb_b")" \
	"docker-buildkit" "$(sh_c "$bk_b")" \
	"docker-legacy" "$(sh_c "$leg_b")" \
	"podman" "$(sh_c "$pm_b")"

hf build-touch --runs "$((RUNS_BUILD * 2))" --prepare "$(sh_c "$touchall")" -- \
	"berth" "$(sh_c "$berth_b")" \
	"docker-cli-berth" "$(sh_c "$dcb_b")" \
	"docker-buildkit" "$(sh_c "$bk_b")" \
	"docker-legacy" "$(sh_c "$leg_b")" \
	"podman" "$(sh_c "$pm_b")"

# c) must re-run nothing: check once, outside the timing.
$touchall
if "${BERTH[@]}" build -t bench-build "$ctx" | grep -q 'Running in'; then
	log "FAILED 10c: a step re-ran after touch"
	echo "- 10c: a step re-ran after touch" >>"$BENCH_OUT/failures.md"
fi

for n in cold change touch; do
	bk=$(median_ms build-$n docker-buildkit)
	lg=$(median_ms build-$n docker-legacy)
	pm=$(median_ms build-$n podman)
	case $n in
	cold) base=docker-buildkit bv=$bk target='≤0.8x' id=10a ;;
	change) base=docker-legacy bv=$lg target='≤0.5x' id=10b ;;
	touch) base='' bv='' target='≤200' id=10c ;;
	esac
	record "$id" "build $n (berth CLI)" ms "$(median_ms build-$n berth)" "$bk" "$pm" "$base" "$bv" "$target"
	record "${id}'" "build $n (docker CLI → berth)" ms "$(median_ms build-$n docker-cli-berth)" "$bk" "$pm" "$base" "$bv" "$target"
	log "10 $n: docker legacy median ${lg} ms"
done

"${BERTH[@]}" rmi -f bench-build >/dev/null 2>&1
"${DOCKER[@]}" rmi -f bench-build >/dev/null 2>&1
podman rmi -f bench-build >/dev/null 2>&1
bench_finish
