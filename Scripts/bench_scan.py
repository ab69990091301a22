#!/usr/bin/env python3
"""`sieve scan` throughput against a Python baseline doing the same per-file work.

Python baseline (multiprocessing.Pool(2), one task per file): read the file; MD5, SHA-1
and SHA-256 with hashlib; if it is an image, Pillow decode, convert("RGB"), pdqhash
compute_dihedral (PDQ and its 8 orientations) and imagehash.phash. Sieve: `sieve scan DIR
--case <temporary> --quiet`, exact and --fast, which does that plus matching against a
hash set and writing the case database. Prints files/s and MB/s, best of --repeat.

  python3 Scripts/bench_scan.py [--sieve .build/release/sieve] DIR...
"""
import argparse, hashlib, multiprocessing, os, pathlib, shutil, subprocess, tempfile, time

root = pathlib.Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--sieve", default=str(root / ".build/release/sieve"))
p.add_argument("--hashset", default=str(root / "hashsets/sample-fixtures.sieveset"))
p.add_argument("--repeat", type=int, default=3)
p.add_argument("dirs", nargs="+")
a = p.parse_args()


def work(path):
    import numpy, pdqhash, imagehash
    from PIL import Image
    data = open(path, "rb").read()
    digests = (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest())
    try:
        im = Image.open(path)
        rgb = im.convert("RGB")
        pdq = pdqhash.compute_dihedral(numpy.asarray(rgb))
        ph = str(imagehash.phash(im))
        return digests, len(data), True
    except Exception:
        return digests, len(data), False


def files_of(d):
    return [str(f) for f in sorted(pathlib.Path(d).rglob("*")) if f.is_file()]


def best(fn):
    times = []
    for _ in range(a.repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


print("| tree | files | MB | Python Pool(2) files/s | sieve scan files/s (MB/s) | × | sieve scan --fast files/s (MB/s) | × |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for d in a.dirs:
    files = files_of(d)
    mb = sum(os.path.getsize(f) for f in files) / 1e6
    with multiprocessing.Pool(2) as pool:
        pool.map(work, files[:4])  # warm-up (imports)
        tp = best(lambda: pool.map(work, files, chunksize=1))

    def scan(extra):
        case = tempfile.mkdtemp()
        try:
            subprocess.run([a.sieve, "scan", d, "--case", case + "/c", "--hashset", a.hashset, "--quiet", *extra], check=True)
        finally:
            shutil.rmtree(case)
    scan([])  # warm the page cache
    te = best(lambda: scan([]))
    tf = best(lambda: scan(["--fast"]))
    n = len(files)
    print(f"| {d} | {n} | {mb:.0f} | {n / tp:.1f} | {n / te:.1f} ({mb / te:.1f}) | {tp / te:.1f} | {n / tf:.1f} ({mb / tf:.1f}) | {tp / tf:.1f} |")
