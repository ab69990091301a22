#!/usr/bin/env bash
# Builds a libFuzzer + AddressSanitizer binary from SieveImaging's sources and the C
# shims, and fuzzes the JPEG/PNG decoders, seeded with the repo's decoder fixtures.
#   Scripts/fuzz_decoder.sh [seconds]        (default 60)
# Crashing inputs are written to .build-fuzz/crashes/. Needs clang's fuzzer runtime
# (Swift's toolchain ships it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=.build-fuzz
mkdir -p "$out/modules/CJPEG" "$out/modules/CPNG" "$out/modules/CTIFF" "$out/corpus" "$out/crashes"
printf 'module CJPEG [system] {\n  header "%s"\n  link "jpeg"\n  export *\n}\n' "$PWD/Sources/CJPEG/include/sieve_jpeg.h" > "$out/modules/CJPEG/module.modulemap"
printf 'module CPNG [system] {\n  header "%s"\n  link "png16"\n  export *\n}\n' "$PWD/Sources/CPNG/include/sieve_png.h" > "$out/modules/CPNG/module.modulemap"
printf 'module CTIFF [system] {\n  header "%s"\n  link "tiff"\n  export *\n}\n' "$PWD/Sources/CTIFF/include/sieve_tiff.h" > "$out/modules/CTIFF/module.modulemap"
clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/CJPEG/include Sources/CJPEG/sieve_jpeg.c -o "$out/sieve_jpeg.o"
clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/CPNG/include Sources/CPNG/sieve_png.c -o "$out/sieve_png.o"
clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/CTIFF/include Sources/CTIFF/sieve_tiff.c -o "$out/sieve_tiff.o"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name SieveImagingFuzz \
  -I "$out/modules/CJPEG" -I "$out/modules/CPNG" -I "$out/modules/CTIFF" -I Sources/CWebP -I Sources/CGIF -I Sources/CHeif \
  Sources/SieveImaging/*.swift Fuzz/DecoderFuzzer.swift "$out/sieve_jpeg.o" "$out/sieve_png.o" "$out/sieve_tiff.o" \
  -ljpeg -lpng16 -lwebp -lgif -ltiff -lheif -o "$out/decoder-fuzzer"
cp Tests/Fixtures/decoding/*.jpg Tests/Fixtures/decoding/*.png Tests/Fixtures/formats/*.gif Tests/Fixtures/formats/*.webp Tests/Fixtures/formats/*.bmp Tests/Fixtures/formats/*.tif Tests/Fixtures/formats/*.heic Tests/Fixtures/formats/*.avif \
  Tests/Fixtures/vectors/pdq/images/misc-images/wee.jpg "$out/corpus/" 2>/dev/null || true
"$out/decoder-fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$out/crashes/" "$out/corpus"
