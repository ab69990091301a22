#!/usr/bin/env python3
"""Hash drift and speed of `sieve hash --fast` against exact mode.

Runs `sieve hash --format jsonl` with and without --fast over each folder given, and
prints per folder: images, how many were decoded scaled, PDQ and pHash distance between
the two modes (median, p90, max), and wall-clock images/s of each mode (best of --repeat).

  python3 Scripts/measure_fast_drift.py [--sieve .build/release/sieve] DIR...
  python3 Scripts/measure_fast_drift.py --make-upscaled 4 OUT_DIR SRC_DIR   # larger variants (Pillow)
"""
import argparse, json, pathlib, statistics, subprocess, sys, time

root = pathlib.Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--sieve", default=str(root / ".build/release/sieve"))
p.add_argument("--repeat", type=int, default=3)
p.add_argument("--make-upscaled", type=int, metavar="FACTOR")
p.add_argument("dirs", nargs="+")
a = p.parse_args()

if a.make_upscaled:
    from PIL import Image
    out, src = pathlib.Path(a.dirs[0]), pathlib.Path(a.dirs[1])
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.jpg")):
        im = Image.open(f).convert("RGB")
        im.resize((im.width * a.make_upscaled, im.height * a.make_upscaled), Image.Resampling.LANCZOS).save(out / f.name, quality=90)
    sys.exit(0)

def run(args):
    best, rows = None, None
    for _ in range(a.repeat):
        t = time.perf_counter()
        out = subprocess.run([a.sieve, "hash", "--quiet", "--format", "jsonl", *args], capture_output=True, text=True)
        dt = time.perf_counter() - t
        if best is None or dt < best:
            best, rows = dt, [json.loads(l) for l in out.stdout.splitlines()]
    return best, {r["path"]: r for r in rows}

def hd(x, y): return bin(int(x, 16) ^ int(y, 16)).count("1")
def q(v, f): return sorted(v)[min(len(v) - 1, int(len(v) * f))] if v else 0

print("| folder | images | scaled (1/2, 1/4, 1/8) | PDQ drift median / p90 / max | pHash drift median / p90 / max | exact img/s | fast img/s | speed-up |")
print("|---|---:|---|---|---|---:|---:|---:|")
for d in a.dirs:
    te, exact = run([d])
    tf, fast = run(["--fast", d])
    pdq = [hd(exact[k]["pdq"], fast[k]["pdq"]) for k in exact if k in fast]
    ph = [hd(exact[k]["phash"], fast[k]["phash"]) for k in exact if k in fast]
    scales = [fast[k].get("jpeg_scale", 1) for k in fast]
    n = len(exact)
    print(f"| {d} | {n} | {scales.count(2)}, {scales.count(4)}, {scales.count(8)} | {statistics.median(pdq)} / {q(pdq, .9)} / {max(pdq)} | "
          f"{statistics.median(ph)} / {q(ph, .9)} / {max(ph)} | {n / te:.1f} | {n / tf:.1f} | {te / tf:.2f}× |")
