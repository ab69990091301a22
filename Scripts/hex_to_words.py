#!/usr/bin/env python3
"""Writes a text list of PDQ hashes (64 hex digits a line, anything after a comma ignored)
as the raw little-endian words Benchmarks' IndexCompare reads: per hash w0, w1, w2, w3
(w0 holds bits 0-63, the last 16 hex digits), 32 bytes.

Usage: python3 Scripts/hex_to_words.py LIST OUT.bin

For example, the service benchmark's clustered set and its queries, for IndexCompare:
  python3 Scripts/hex_to_words.py /tmp/sieve-bench-work/pdq-1000000-seed20240611-clustered.txt /tmp/clu1m.bin
  python3 Scripts/hex_to_words.py /tmp/sieve-bench-work/queries.txt /tmp/clq.bin
  Benchmarks/.build/release/IndexCompare /tmp/clu1m.bin /tmp/clq.bin 256 31 mih
"""
import struct
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    written = skipped = 0
    with open(sys.argv[1]) as lines, open(sys.argv[2], "wb") as out:
        for line in lines:
            text = line.split(",")[0].strip()
            if len(text) != 64:
                skipped += 1
                continue
            words = [int(text[i:i + 16], 16) for i in range(0, 64, 16)]  # w3, w2, w1, w0
            out.write(struct.pack("<4Q", words[3], words[2], words[1], words[0]))
            written += 1
    print(f"{written} hashes written, {skipped} lines skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
