#!/usr/bin/env python3
"""Compares `sieve hash` output with the reference vectors in ../shared/vectors and
prints how many match exactly, and the distances where they do not.

Usage: python3 Scripts/compare_vectors.py [path/to/sieve] [path/to/shared]
"""
import csv
import io
import json
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
sieve = sys.argv[1] if len(sys.argv) > 1 else str(root / ".build/release/sieve")
shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else root.parent / "shared"
pdq = shared / "vectors/pdq"
DIH = ["rot90", "rot180", "rot270", "flipx", "flipy", "flip_plus1", "flip_minus1"]


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def run(files, mode):
    out = subprocess.run([sieve, "hash", "--quiet", "--format", "jsonl", "--dihedral", "--pdq-mode", mode, *map(str, files)],
                         capture_output=True, text=True)
    return {pathlib.Path(r["path"]).resolve(): r for r in map(json.loads, out.stdout.splitlines())}


def compare(csv_name, file_col, base, mode):
    rows = list(csv.DictReader(io.StringIO("".join(l for l in open(pdq / csv_name) if not l.startswith("#")))))
    got = run([base / r[file_col] for r in rows], mode)
    exact, off = 0, []
    for r in rows:
        g = got.get((base / r[file_col]).resolve())
        if g is None:
            off.append((r[file_col], "not hashed"))
            continue
        d = hamming(g["pdq"], r["pdq_hex"])
        dd = [hamming(g["pdq_dihedral"][c], r[c]) for c in DIH]
        q = g["pdq_quality"] == int(r["quality"])
        if d == 0 and not any(dd) and q:
            exact += 1
        else:
            off.append((r[file_col], f"hash {d} bits, dihedral {dd}, quality {g['pdq_quality']} vs {r['quality']}"))
    print(f"{csv_name} [{mode}]: {exact}/{len(rows)} exact (hash, quality, 8 dihedral)")
    for o in off:
        print("   ", *o)


compare("expected_decoded_pixels.csv", "decoded_png", pdq / "decoded", "reference-cli")
compare("expected_core_fullres_pillow.csv", "file", pdq / "images", "fullres")
compare("expected_reference_cli.csv", "file", pdq / "images", "reference-cli")

rows = list(csv.DictReader(open(shared / "vectors/phash/expected_imagehash_phash.csv")))
got = run([pdq / "images" / r["file"] for r in rows], "fullres")
dist = [(r["file"], hamming(got[(pdq / "images" / r["file"]).resolve()]["phash"], r["phash_hex"])) for r in rows]
print(f"pHash from image files: {sum(d == 0 for _, d in dist)}/{len(dist)} exact; max distance {max(d for _, d in dist)}")
for f, d in dist:
    if d:
        print("   ", f, d, "bits")
