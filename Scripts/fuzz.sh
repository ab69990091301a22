#!/usr/bin/env bash
# libFuzzer + AddressSanitizer (LeakSanitizer included) over everything Sieve reads from
# outside: the image decoders, the text hash-set readers, the .sieveset reader, the
# service's JSON request bodies, the picture carver, the archive reader, the video
# containers (through FFmpeg) and vPDQ's text. One binary,
# one target per run
# (Fuzz/FuzzTargets.swift).
#
#   Scripts/fuzz.sh build                    build .build-fuzz/sieve-fuzz
#   Scripts/fuzz.sh run TARGET [ARGS...]     fuzz one target; ARGS go to libFuzzer
#                                            (e.g. -runs=1000000, -max_total_time=600)
#   Scripts/fuzz.sh smoke [RUNS]             every target for RUNS runs (default 2000; CI)
#   Scripts/fuzz.sh targets                  list the targets
#
# Seeds come from Fuzz/corpus/TARGET (committed); what libFuzzer finds grows
# .build-fuzz/corpus/TARGET. Crashing inputs go to .build-fuzz/crashes/TARGET-*.
# Needs clang's fuzzer runtime (Swift's toolchain ships it) and the codec -dev packages.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SIEVE_FUZZ_OUT:-.build-fuzz}
targets=(jpeg png gif webp bmp tiff heif text-hashset sieveset service-json carver archive video vpdq-text)
flags=(-sanitize=fuzzer,address -O -g -parse-as-library -enable-testing -swift-version 6 -package-name sieve)

build() {
  mkdir -p "$out/modules" "$out/lib" "$out/crashes"
  for shim in CJPEG:jpeg CPNG:png CTIFF:tiff CVideo:video; do
    name=${shim%%:*} src=${shim##*:}
    mkdir -p "$out/cmodules/$name"
    printf 'module %s [system] {\n  header "%s"\n  export *\n}\n' "$name" "$PWD/Sources/$name/include/sieve_$src.h" \
      > "$out/cmodules/$name/module.modulemap"
    clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/$name/include "Sources/$name/sieve_$src.c" -o "$out/lib/sieve_$src.o"
  done
  # The pixel kernels: one C file compiled at three vector widths inside.
  mkdir -p "$out/cmodules/CHashKernels"
  printf 'module CHashKernels [system] {\n  header "%s"\n  export *\n}\n' \
    "$PWD/Sources/CHashKernels/include/sieve_hash_kernels.h" > "$out/cmodules/CHashKernels/module.modulemap"
  clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/CHashKernels/include Sources/CHashKernels/hash_kernels.c \
    -o "$out/lib/sieve_hash_kernels.o"
  # Read-only mappings and their SIGBUS guard (one of SieveSystem's C parts).
  mkdir -p "$out/cmodules/CMappedFile"
  printf 'module CMappedFile [system] {\n  header "%s"\n  export *\n}\n' \
    "$PWD/Sources/CMappedFile/include/sieve_mapped_file.h" > "$out/cmodules/CMappedFile/module.modulemap"
  clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/CMappedFile/include Sources/CMappedFile/mapped_file.c \
    -o "$out/lib/sieve_mapped_file.o"
  # Direct I/O switched on an open file (SieveSystem's third C part, for SequentialFileWriter).
  mkdir -p "$out/cmodules/CDirectIO"
  printf 'module CDirectIO [system] {\n  header "%s"\n  export *\n}\n' \
    "$PWD/Sources/CDirectIO/include/sieve_direct_io.h" > "$out/cmodules/CDirectIO/module.modulemap"
  clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/CDirectIO/include Sources/CDirectIO/direct_io.c \
    -o "$out/lib/sieve_direct_io.o"
  # The on-demand libraries' loader (SieveSystem's other C part): libheif and libarchive
  # are loaded through it, as in sieve, not linked.
  mkdir -p "$out/cmodules/CLibraryLoader"
  printf 'module CLibraryLoader [system] {\n  header "%s"\n  export *\n}\n' \
    "$PWD/Sources/CLibraryLoader/include/sieve_library_loader.h" > "$out/cmodules/CLibraryLoader/module.modulemap"
  for source in Sources/CLibraryLoader/*.c; do
    clang -c -g -O1 -fsanitize=fuzzer-no-link,address -ISources/CLibraryLoader/include "$source" \
      -o "$out/lib/sieve_loader_$(basename "$source" .c).o"
  done
  # The indexes' prefetch hint (SieveCore's one C part: an inline function in a header).
  mkdir -p "$out/cmodules/CIndexKernels"
  printf 'module CIndexKernels [system] {\n  header "%s"\n  export *\n}\n' \
    "$PWD/Sources/CIndexKernels/include/sieve_index_kernels.h" > "$out/cmodules/CIndexKernels/module.modulemap"
  local includes=(-I "$out/modules" -I "$out/cmodules/CJPEG" -I "$out/cmodules/CPNG" -I "$out/cmodules/CTIFF" -I "$out/cmodules/CVideo"
    -I "$out/cmodules/CHashKernels" -I "$out/cmodules/CMappedFile" -I "$out/cmodules/CDirectIO" -I "$out/cmodules/CIndexKernels" -I "$out/cmodules/CLibraryLoader" -I Sources/CWebP -I Sources/CGIF -I Sources/CHeif -I Sources/CArchive)
  # The library modules, in dependency order, each a static library of its own.
  for module in SieveSystem SieveCore SieveImaging SieveHashing SieveVideo SieveHashSets SieveMatching; do
    swiftc "${flags[@]}" "${includes[@]}" -module-name "$module" -emit-library -static \
      -emit-module-path "$out/modules/$module.swiftmodule" -o "$out/lib/lib$module.a" \
      $(find "Sources/$module" -name '*.swift' | sort)
  done
  # (The linker warns once per sanitizer symbol it cannot export: kept in a log, shown
  # only when the link fails.)
  if ! swiftc "${flags[@]}" "${includes[@]}" -module-name SieveFuzz \
    Fuzz/FuzzTargets.swift Sources/SieveServer/API/APIRequests.swift Sources/SieveEvidence/Carving/PictureCarver.swift \
    Sources/SieveEvidence/Archives/ArchiveReader.swift Sources/SievePipeline/ArchiveMember.swift \
    Sources/SievePipeline/ContainerOutcome.swift \
    -L "$out/lib" -lSieveMatching -lSieveHashSets -lSieveVideo -lSieveHashing -lSieveImaging -lSieveCore -lSieveSystem "$out"/lib/sieve_*.o \
    -ljpeg -lpng16 -lwebp -lwebpdemux -lgif -ltiff -lavformat -lavcodec -lswscale -lavutil -o "$out/sieve-fuzz" 2> "$out/link.log"; then
    grep -v "Cannot export local symbol" "$out/link.log" >&2
    exit 1
  fi
  echo "built $out/sieve-fuzz"
}

run() {
  local target=$1
  shift
  [ -x "$out/sieve-fuzz" ] || build
  mkdir -p "$out/corpus/$target"
  # Fuzz/lsan.supp: leaks inside system libraries that Sieve cannot free (each is explained there).
  SIEVE_FUZZ_TARGET=$target LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0" "$out/sieve-fuzz" -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$out/crashes/$target-" "$@" "$out/corpus/$target" "Fuzz/corpus/$target"
}

case "${1:-}" in
  build) build ;;
  run) [ $# -ge 2 ] || { echo "usage: $0 run TARGET [libFuzzer args]" >&2; exit 2; }; shift; run "$@" ;;
  smoke)
    runs=${2:-2000}
    build
    for target in "${targets[@]}"; do
      echo "== $target: $runs runs"
      status=0
      run "$target" -runs="$runs" > "$out/$target.log" 2>&1 || status=$?
      grep -E "^(#[0-9]+\s+DONE|==[0-9]+==ERROR|SUMMARY|Done )" "$out/$target.log" || true
      if [ "$status" -ne 0 ]; then
        tail -40 "$out/$target.log" >&2
        echo "fuzz target $target failed (status $status); the input is in $out/crashes" >&2
        exit 1
      fi
    done
    ;;
  targets) printf '%s\n' "${targets[@]}" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
