#!/usr/bin/env python3
"""Sieve's indexes against faiss on the same hashes and queries, in one run.

For each N, kind (PDQ r=31, pHash r=8) and shape it writes hashes (seeded) and queries
(half near planted entries, half random) as raw little-endian words, times faiss
IndexBinaryFlat.range_search (one query at a time, and a block of queries), then runs
Benchmarks' IndexCompare on the same files, and prints one table.

Shapes (--shapes): `random`, uniformly random hashes; `clustered`, hashes in series of
near-duplicates as real lists hold them: a random centre and 1-100 members, each the
centre with 0-48 random bits flipped (--spread; pHash a quarter of it). The generator is
Scripts/hash_shapes.py; the benchmarks' Swift twin is BenchmarkSupport's ClusteredHashes.

Usage: python3 Scripts/bench_index_vs_faiss.py [--sizes 100000,1000000,10000000] [--queries 200]
                                              [--shapes random,clustered] [--indexes linear,mih,mih-wide]
The 100M-entry run of issue 14 (about 14 GB at its peak, the hashes written in 1M chunks):
       python3 Scripts/bench_index_vs_faiss.py --kinds pdq --shapes clustered --sizes 100000000 \
           --queries 100 --indexes mih,linear
Needs: pip install faiss-cpu numpy; and
       swift build -c release --package-path Benchmarks --product IndexCompare
"""
import argparse, json, os, pathlib, subprocess, sys, tempfile, time
import numpy as np
import faiss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hash_shapes  # noqa: E402

root = pathlib.Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser()
parser.add_argument("--sizes", default="100000,1000000,10000000")
parser.add_argument("--queries", type=int, default=200)
parser.add_argument("--kinds", default="pdq,phash")
parser.add_argument("--indexes", default="linear,mih,bk-tree")
parser.add_argument("--shapes", default="random,clustered")
parser.add_argument("--spread", type=int, default=48, help="clustered: most bits a member differs from its centre (PDQ)")
args = parser.parse_args()
tool = root / "Benchmarks/.build/release/IndexCompare"
if not tool.exists():
    sys.exit(f"build it first: swift build -c release --package-path Benchmarks --product IndexCompare")
faiss.omp_set_num_threads(1)
rng = np.random.default_rng(20261123)
rows = []
tmp = pathlib.Path(tempfile.mkdtemp())


for kind, shape in [(k, s) for k in args.kinds.split(",") for s in args.shapes.split(",")]:
    bits, radius = (256, 31) if kind == "pdq" else (64, 8)
    nbytes = bits // 8
    for n in map(int, args.sizes.split(",")):
        spread = args.spread if bits == 256 else max(1, args.spread // 4)
        # Written in chunks of 1M (each its own series), so that 100M hashes (3.2 GB)
        # need no more than one chunk's working memory to generate.
        chunk = 1_000_000
        if shape == "clustered" and bits == 256 and n > 20_000_000 and args.spread == 48:
            # The same shape from IndexCompare's generator: numpy's takes many minutes.
            subprocess.run([str(tool), "--generate-clustered", str(n), str(int(rng.integers(1 << 62))), str(tmp / "h.bin")], check=True)
        else:
            with open(tmp / "h.bin", "wb") as f:
                for start in range(0, n, chunk):
                    f.write(hash_shapes.make(shape, min(chunk, n - start), nbytes, rng, spread=spread).tobytes())
        base = np.memmap(tmp / "h.bin", dtype=np.uint8, mode="r", shape=(n, nbytes))
        q = args.queries
        queries = rng.integers(0, 256, size=(q, nbytes), dtype=np.uint8)
        # Half the queries: an entry with a few bits flipped (a planted match).
        for i in range(q // 2):
            queries[i] = base[rng.integers(0, n)]
            for b in rng.choice(bits, size=int(rng.integers(0, radius + 1)), replace=False):
                queries[i, b // 8] ^= 1 << (b % 8)
        (tmp / "q.bin").write_bytes(queries.tobytes())
        # faiss: bytes are the same words read as little-endian, so distances agree.
        t0 = time.perf_counter()
        index = faiss.IndexBinaryFlat(bits)
        for start in range(0, n, 10 * chunk):
            index.add(np.ascontiguousarray(base[start:start + 10 * chunk]))
        build = time.perf_counter() - t0
        times, total = [], 0
        for i in range(q):
            s = time.perf_counter()
            lims, D, I = index.range_search(queries[i:i + 1], radius + 1)
            times.append(time.perf_counter() - s)
            total += len(I)
        s = time.perf_counter()
        lims, D, I = index.range_search(queries, radius + 1)
        block = (time.perf_counter() - s) / q / n * 1e9
        times.sort()
        rows.append(dict(index="faiss-flat", shape=shape, n=n, bits=bits, radius=radius, build_s=build, bytes_per_entry=nbytes,
                         p50_us=times[len(times) // 2] * 1e6, p99_us=times[min(len(times) - 1, int(len(times) * 0.99))] * 1e6,
                         qps=len(times) / sum(times), block_ns_per_pair=block, matches=total))
        del index, base  # faiss's copy of the hashes is freed before Sieve's tool runs
        out = subprocess.run([str(tool), str(tmp / "h.bin"), str(tmp / "q.bin"), str(bits), str(radius), *args.indexes.split(",")],
                             capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            rows.append(dict(json.loads(line), shape=shape))
print(f"faiss {faiss.__version__} (1 thread), numpy {np.__version__}, nproc {os.cpu_count()}, {args.queries} queries")
print("| kind | shape | N | index | build s | bytes/entry | p50 µs | p99 µs | queries/s | block ns/pair | matches | p50 vs faiss |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    faiss_row = next(x for x in rows if x["index"] == "faiss-flat" and x["n"] == r["n"] and x["bits"] == r["bits"]
                     and x["shape"] == r["shape"])
    if r.get("queries", args.queries) < args.queries:
        ok = f" ({r['queries']} of {args.queries} queries in the 20 s cap)"
    else:
        ok = "" if r["matches"] == faiss_row["matches"] else " (MISMATCH)"
    blk = f"{r['block_ns_per_pair']:.2f}" if r["block_ns_per_pair"] >= 0 else ""
    print(f"| {'PDQ r31' if r['bits'] == 256 else 'pHash r8'} | {r['shape']} | {r['n']:,} | {r['index']} | {r['build_s']:.2f} | {r['bytes_per_entry']} | "
          f"{r['p50_us']:.0f} | {r['p99_us']:.0f} | {r['qps']:.0f} | {blk} | {r['matches']}{ok} | {r['p50_us'] / faiss_row['p50_us']:.2f} |")
