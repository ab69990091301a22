#!/usr/bin/env python3
"""Exact-mode hashing against the decoder's floor: `sieve hash --jobs 1` per 12 MP JPEG
against libjpeg-turbo decoding the same files alone (`djpeg` to /dev/null), on one core.

The JPEGs are made once from the dev corpus: photos upscaled to 4000x3000 with a little
noise (so they compress like camera photos, about 2 MB each), quality 92. Each tool runs
over all of them in one process per round, best of --rounds; `sieve hash` includes its
start-up (once per round), djpeg its own start-up per file.

Usage: python3 Scripts/bench_decode_floor.py [--sieve PATH] [--count 12] [--rounds 3]
Needs: djpeg (Debian: libjpeg-turbo-progs), Pillow, numpy.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import time

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make(out, corpus, count, seed=20261201):
    os.makedirs(out, exist_ok=True)
    files = sorted(glob.glob(os.path.join(corpus, "*.jpg")))
    if not files:
        sys.exit(f"no JPEGs in {corpus}")
    rng = np.random.default_rng(seed)
    made = []
    for i in range(count):
        path = os.path.join(out, f"photo12mp-{i:02d}.jpg")
        if not os.path.exists(path):
            src = files[(i * 37) % len(files)]
            im = Image.open(src).convert("RGB").resize((4000, 3000), Image.LANCZOS)
            a = np.asarray(im).astype(np.int16) + rng.integers(-6, 7, size=(3000, 4000, 3))
            Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(path, quality=92)
        made.append(path)
    return made


def timed(cmds):
    t0 = time.perf_counter()
    for cmd in cmds:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sieve", default=os.path.join(ROOT, ".build", "release", "sieve"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "dev"))
    ap.add_argument("--work", default="/tmp/sieve-decode-floor")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    djpeg = shutil.which("djpeg")
    if not djpeg:
        sys.exit("djpeg not found (Debian: apt-get install libjpeg-turbo-progs)")
    files = make(a.work, a.corpus, a.count)
    mb = sum(os.path.getsize(f) for f in files) / len(files) / 1e6
    # Both on one core: taskset pins each run to CPU 0.
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    runs = {"djpeg": [], "sieve": [], "sieve_pdq": []}
    for _ in range(a.rounds):
        runs["djpeg"].append(timed([pin + [djpeg, "-outfile", os.devnull, f] for f in files]))
        runs["sieve"].append(timed([pin + [a.sieve, "hash", "--quiet", "--jobs", "1", "--format", "csv", *files]]))
        runs["sieve_pdq"].append(timed([pin + [a.sieve, "hash", "--quiet", "--jobs", "1", "--no-phash", "--format", "csv", *files]]))
    per = {k: min(v) / len(files) * 1000 for k, v in runs.items()}
    print(f"{len(files)} JPEGs of 4000x3000 ({mb:.1f} MB each), one core, best of {a.rounds} rounds")
    print("| run | ms per image | × djpeg |")
    print("|---|---:|---:|")
    print(f"| djpeg -outfile /dev/null (libjpeg-turbo decode alone) | {per['djpeg']:.1f} | 1.00 |")
    print(f"| sieve hash --jobs 1 (PDQ + pHash) | {per['sieve']:.1f} | {per['sieve'] / per['djpeg']:.2f} |")
    print(f"| sieve hash --jobs 1 --no-phash (PDQ) | {per['sieve_pdq']:.1f} | {per['sieve_pdq'] / per['djpeg']:.2f} |")
    print(f"\n`{' '.join(pin + [djpeg, '-outfile', os.devnull, 'FILE'])}` per file; "
          f"`{' '.join(pin + [a.sieve, 'hash', '--quiet', '--jobs', '1', '--format', 'csv', 'FILES...'])}`")


if __name__ == "__main__":
    main()
