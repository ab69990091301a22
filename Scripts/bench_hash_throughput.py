#!/usr/bin/env python3
"""End-to-end hashing throughput: `sieve hash` against the Python PDQ baseline
(what python-threatexchange does per file: Pillow decode, numpy array,
pdqhash.compute), plus a check that both give the same PDQ hashes.

Python baseline, per file:
    img = Image.open(path); arr = numpy.asarray(img.convert("RGB"))
    bits, quality = pdqhash.compute(arr); hex = '%064x' % int(''.join(map(str, bits)), 2)
    (+ str(imagehash.phash(img)) with --with-phash)
run (a) in this process, one file after another, and (b) over a
multiprocessing.Pool(--pool, default 2); the pool start-up and shutdown are inside
the timed region. Python is timed in-process, so interpreter start-up and imports
(numpy, Pillow, pdqhash) are NOT counted; sieve is timed as a whole process.

Sieve: `sieve hash --quiet --format csv CORPUS` with default jobs (all cores), with
--no-phash, and with --jobs 1 (with and without pHash). Images/s = CSV data rows /
wall-clock seconds, from the process start to its exit.

Every method runs once as a warm-up (fills the page cache; the Python warm-up also
gives the hashes for the correctness check), then --repeat rounds in which every
method runs once, in turn, so that load changes on the machine hit all methods alike.

Usage: python3 Scripts/bench_hash_throughput.py [--corpus DIR] [--sieve PATH]
                                               [--repeat N] [--pool N] [--with-phash]
"""
import argparse
import csv
import io
import multiprocessing
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata

import numpy
import pdqhash
from PIL import Image, features

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WITH_PHASH = False  # set in main(); inherited by forked pool workers


# --------------------------------------------------------------------------- files

def is_image(path):
    """JPEG or PNG by the first bytes: the two formats sieve decodes."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return head[:3] == b"\xff\xd8\xff" or head == b"\x89PNG\r\n\x1a\n"


def list_images(corpus):
    """Recursive walk, symbolic links not followed (as sieve does by default)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames.sort()
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            if not os.path.islink(p) and is_image(p):
                out.append(p)
    return out


def key(path):
    return os.path.normpath(os.path.abspath(path))


# --------------------------------------------------------------- Python baseline

def hash_file(path):
    img = Image.open(path)
    arr = numpy.asarray(img.convert("RGB"))
    bits, quality = pdqhash.compute(arr)
    pdq_hex = "%064x" % int("".join(map(str, bits)), 2)
    ph = str(__import__("imagehash").phash(img)) if WITH_PHASH else None
    return path, pdq_hex, int(quality), ph


def python_single(files):
    t0 = time.perf_counter()
    res = [hash_file(p) for p in files]
    return time.perf_counter() - t0, res


def python_pool(files, n):
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() \
        else multiprocessing.get_context()
    t0 = time.perf_counter()
    with ctx.Pool(n) as pool:
        res = pool.map(hash_file, files, chunksize=1)
    dt = time.perf_counter() - t0
    return dt, res


# -------------------------------------------------------------------------- sieve

def run_sieve(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    rows = list(csv.DictReader(io.StringIO(p.stdout.decode("utf-8", "surrogateescape"))))
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        print(f"WARNING: exit status {p.returncode} from {shlex.join(cmd)}; "
              f"{len(rows)} rows. stderr: {' | '.join(err[:5])}", file=sys.stderr)
    return dt, rows


# ------------------------------------------------------------------------- report

def hamming(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def nproc():
    if shutil.which("nproc"):
        try:
            return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def main():
    global WITH_PHASH
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "dev"),
                    help="folder of images (default: ../shared/corpus/dev from the repo root)")
    ap.add_argument("--sieve", default=os.path.join(ROOT, ".build", "release", "sieve"),
                    help="sieve binary (default: .build/release/sieve in the repo)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per method after the warm-up (default 3)")
    ap.add_argument("--pool", type=int, default=2, help="processes in the Python pool (default 2)")
    ap.add_argument("--with-phash", action="store_true",
                    help="also run a Python PDQ+pHash baseline (imagehash.phash per file)")
    args = ap.parse_args()
    if args.repeat < 1 or args.pool < 1:
        ap.error("--repeat and --pool must be at least 1")
    WITH_PHASH = args.with_phash

    corpus = os.path.normpath(args.corpus)
    sieve = os.path.abspath(args.sieve)
    if not os.path.isdir(corpus):
        sys.exit(f"corpus folder not found: {corpus}")
    if not os.access(sieve, os.X_OK):
        sys.exit(f"sieve binary not found: {sieve} (build it, or pass --sieve .build/debug/sieve)")
    files = list_images(corpus)
    if not files:
        sys.exit(f"no JPEG/PNG files in {corpus}")
    if WITH_PHASH:
        import imagehash  # noqa: F401  (import cost kept out of the timings; forked workers inherit it)
        import scipy.fftpack  # noqa: F401  (imagehash.phash imports it lazily)

    sieve_version = subprocess.run([sieve, "--version"], capture_output=True, text=True).stdout.strip()
    ncpu = nproc()
    debug = "/debug/" in sieve.replace(os.sep, "/")

    # ---------------------------------------------------------------- methods
    base = [sieve, "hash", "--quiet", "--format", "csv"]
    sieve_methods = [  # (label, hashes, jobs, command)
        ("sieve hash", "PDQ+pHash", f"default ({ncpu})", base + [corpus]),
        ("sieve hash --no-phash", "PDQ", f"default ({ncpu})", base + ["--no-phash", corpus]),
        ("sieve hash --jobs 1", "PDQ+pHash", "1", base + ["--jobs", "1", corpus]),
        ("sieve hash --jobs 1 --no-phash", "PDQ", "1", base + ["--jobs", "1", "--no-phash", corpus]),
    ]
    py_hashes = ["PDQ"] + (["PDQ+pHash"] if WITH_PHASH else [])

    def py_method(hashes, procs):
        def run():
            global WITH_PHASH
            WITH_PHASH = hashes == "PDQ+pHash"
            return python_single(files) if procs == 1 else python_pool(files, procs)
        return run

    methods = []  # dicts: label, hashes, jobs, kind, run -> (seconds, n_images, payload)
    for h in py_hashes:
        for procs in (1, args.pool):
            label = "Python single process" if procs == 1 else f"Python multiprocessing.Pool({procs})"
            fn = py_method(h, procs)
            methods.append(dict(label=label, hashes=h, jobs=str(procs), kind="py", procs=procs,
                                run=lambda fn=fn: (lambda r: (r[0], len(r[1]), r[1]))(fn())))
    for label, h, jobs, cmd in sieve_methods:
        methods.append(dict(label=label, hashes=h, jobs=jobs, kind="sieve", cmd=cmd,
                            run=lambda cmd=cmd: (lambda r: (r[0], len(r[1]), r[1]))(run_sieve(cmd))))

    print(f"# Sieve hashing throughput: {len(files)} images in {corpus}")
    print(f"load average before: {loadavg()}", flush=True)
    if debug:
        print("WARNING: this is a DEBUG sieve build; its numbers say nothing about release speed.")

    # ---------------------------------------------------------------- warm-up
    warm = {}
    for m in methods:
        dt, n, payload = m["run"]()
        warm[id(m)] = payload
        print(f"warm-up  {m['label']:<38} {m['hashes']:<9} {n:>5} images  {dt:7.2f} s", flush=True)
    times = {id(m): [] for m in methods}
    counts = {id(m): set() for m in methods}
    for r in range(args.repeat):
        for m in methods:
            dt, n, _ = m["run"]()
            times[id(m)].append(dt)
            counts[id(m)].add(n)
        print(f"round {r + 1}/{args.repeat} done", flush=True)
    print(f"load average after: {loadavg()}")

    # ---------------------------------------------------------------- correctness
    def py_run(hashes, procs):
        return next(m for m in methods if m["kind"] == "py" and m["hashes"] == hashes and m["procs"] == procs)

    py_pdq = {key(p): (h, q) for p, h, q, _ in warm[id(py_run("PDQ", 1))]}
    py_ph = {key(p): ph for p, _, _, ph in warm[id(py_run("PDQ+pHash", 1))]} if "PDQ+pHash" in py_hashes else None
    sv = {key(r["path"]): r for r in warm[id(next(m for m in methods if m["kind"] == "sieve"))]}
    sv_nophash = {key(r["path"]): r for r in warm[id(next(m for m in methods if m.get("cmd") and "--no-phash" in m["cmd"]))]}
    common = sorted(set(py_pdq) & set(sv))
    only_py, only_sv = sorted(set(py_pdq) - set(sv)), sorted(set(sv) - set(py_pdq))
    dists = [hamming(sv[k]["pdq"], py_pdq[k][0]) for k in common]
    qdiff = [abs(int(sv[k]["pdq_quality"]) - py_pdq[k][1]) for k in common]
    same_runs = sum(sv[k]["pdq"] == sv_nophash.get(k, {}).get("pdq") for k in common)

    print()
    print("## PDQ agreement: sieve (fullres, default) vs. pdqhash.compute on Pillow RGB")
    print(f"- files compared: {len(common)} (only Python: {len(only_py)}, only sieve: {len(only_sv)})")
    for k in only_py[:5]:
        print(f"  - only Python: {k}")
    for k in only_sv[:5]:
        print(f"  - only sieve: {k}")
    if common:
        print(f"- identical PDQ hashes: {sum(d == 0 for d in dists)}/{len(common)}; "
              f"Hamming distance max {max(dists)}, median {statistics.median(dists):g}, "
              f"mean {statistics.fmean(dists):.2f}")
        print(f"- identical quality: {sum(q == 0 for q in qdiff)}/{len(common)}; max |difference| {max(qdiff)}")
        print(f"- sieve PDQ identical with and without --no-phash: {same_runs}/{len(common)}")
        worst = sorted(((d, k) for d, k in zip(dists, common) if d), reverse=True)[:5]
        for d, k in worst:
            print(f"  - {d:3d} bits: {os.path.relpath(k)}")
    if py_ph is not None and common:
        pd = [hamming(sv[k]["phash"], py_ph[k]) for k in common if sv[k].get("phash")]
        if pd:
            print(f"- pHash vs. imagehash.phash: {sum(d == 0 for d in pd)}/{len(pd)} identical; "
                  f"max distance {max(pd)}, median {statistics.median(pd):g}")

    # ---------------------------------------------------------------- table
    def ips(m):
        n = max(counts[id(m)])
        ts = times[id(m)]
        return n / min(ts), n / statistics.median(ts)

    def baseline(hashes, procs):
        return py_run(hashes if hashes in py_hashes else "PDQ", procs)

    print()
    print(f"## Throughput (best and median of {args.repeat} runs after one warm-up; "
          f"ratios = best / best and median / median)")
    if debug:
        print("**DEBUG build of sieve: not representative.**")
    print()
    print(f"| method | hashes | jobs | images/s best | images/s median | × Python 1 process | × Python Pool({args.pool}) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    footnote = False
    for m in methods:
        b, med = ips(m)
        b1, m1 = ips(baseline(m["hashes"], 1))
        bp, mp = ips(baseline(m["hashes"], args.pool))
        mark = ""
        if m["hashes"] not in py_hashes:
            mark, footnote = " †", True
        print(f"| {m['label']} | {m['hashes']}{mark} | {m['jobs']} | {b:.1f} | {med:.1f} | "
              f"{b / b1:.2f} / {med / m1:.2f} | {b / bp:.2f} / {med / mp:.2f} |")
    print()
    print("Ratios compare with the Python baseline that computes the same hashes.")
    if footnote:
        print("† no Python PDQ+pHash baseline was run (use --with-phash): ratio against the PDQ-only "
              "Python baseline, which does less work than sieve here.")
    bad = [m["label"] for m in methods if len(counts[id(m)]) > 1 or max(counts[id(m)]) != len(files)]
    if bad:
        print(f"WARNING: image count differs from the {len(files)} JPEG/PNG files found for: {', '.join(bad)}")

    # ---------------------------------------------------------------- setup
    print()
    print("## Commands")
    print(f"- this script: `{shlex.join([sys.executable] + sys.argv)}`")
    print("- Python per file: `img = Image.open(path); bits, q = pdqhash.compute(numpy.asarray(img.convert('RGB'))); "
          "'%064x' % int(''.join(map(str, bits)), 2)`" + (" (+ `str(imagehash.phash(img))` for PDQ+pHash)" if WITH_PHASH else ""))
    print(f"  over {len(files)} files: a plain loop in one process, and `multiprocessing.Pool({args.pool}).map(..., chunksize=1)` "
          "(fork; pool start-up included; interpreter start-up and imports not included)")
    for _, _, _, cmd in sieve_methods:
        print(f"- `{shlex.join(cmd)}`")
    print()
    print("## Versions")
    print(f"- Python {platform.python_version()} ({platform.python_implementation()}), "
          f"Pillow {metadata.version('Pillow')} (libjpeg-turbo {features.version('libjpeg_turbo') or 'n/a'}, "
          f"zlib {features.version('zlib') or 'n/a'}), numpy {numpy.__version__}, pdqhash {metadata.version('pdqhash')}"
          + (f", ImageHash {metadata.version('ImageHash')}, scipy {metadata.version('scipy')}" if WITH_PHASH else ""))
    print(f"- {sieve_version} at {os.path.relpath(sieve, ROOT) if sieve.startswith(ROOT) else sieve}")
    print(f"- nproc: {ncpu}; {platform.machine()}, {platform.system()} {platform.release()}")


if __name__ == "__main__":
    main()
