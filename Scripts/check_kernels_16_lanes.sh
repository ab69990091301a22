#!/usr/bin/env bash
# Runs the 16-lane (AVX-512) build of the PDQ blur stream on a CPU without AVX-512.
#
# CHashKernels' stream code is generic over the vector width; on an AVX2-only machine the
# tests can only run the 4- and 8-lane builds. This script compiles the same source a
# second time with 16-lane vectors for an AVX2 target (the compiler splits each vector in
# two), with the hand-written AVX-512 intrinsics of luma and resampling switched off, and
# checks that every blurred value of the 16-lane and 8-lane builds equals the portable
# build's (which the Swift tests check against the reference), on 25 sizes, with every
# column and with PDQ's 64. (At 6144 and 14336 wide the first pass's circular buffers are
# exactly two blocks longer than its window, the least they may be.)
#
# Usage: Scripts/check_kernels_16_lanes.sh        (needs clang; prints OK or FAIL)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src="$root/Sources/CHashKernels"
python3 - "$src" "$work" <<'PY'
import sys
src, work = sys.argv[1], sys.argv[2]
impl = open(f"{src}/kernels_impl.h").read()
for marker in ("#if SK_LANES == 16\n  // 16 pixels a step", "#if SK_LANES == 16\n    // 32 pixels a step"):
    assert marker in impl, marker
    impl = impl.replace(marker, marker.replace("#if SK_LANES == 16", "#if 0"))
open(f"{work}/kernels_impl_16.h", "w").write(impl)
c = open(f"{src}/hash_kernels.c").read()
wide = '#define SK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))\n#include "kernels_impl.h"'
assert wide in c
c = c.replace(wide, '#define SK_TARGET __attribute__((target("avx2,fma")))\n#include "kernels_impl_16.h"')
level = "static int sk_read_cpu_level(void) {"
assert level in c
c = c.replace(level, level + "\n  if (__builtin_cpu_supports(\"avx2\") && __builtin_cpu_supports(\"fma\")) return 3;")
open(f"{work}/hash_kernels_16.c", "w").write(c)
PY
cp "$src/kernels_impl.h" "$work/"
clang -O2 -Wno-psabi -I"$src/include" -I"$work" "$root/Scripts/kernels16/stream_levels.c" "$work/hash_kernels_16.c" -lm \
  -o "$work/stream_levels"
"$work/stream_levels"
