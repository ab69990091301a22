"""Hash sets shaped like real lists, for benchmarks: random hashes, or series of
near-duplicates. Shared by Scripts/bench_index_vs_faiss.py and Scripts/bench_service.py;
Benchmarks' BenchmarkSupport has the same generator in Swift (ClusteredHashes).
"""
import numpy as np


def clustered(n, nbytes, rng, members=(1, 100), spread=48):
    """n hashes of nbytes bytes in clusters: a random centre and 1-100 members (the centre
    among them), each the centre with 0-`spread` distinct random bits flipped; the
    clusters in random order, members together."""
    bits = nbytes * 8
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(members[0], members[1] + 1)))
    sizes[-1] -= sum(sizes) - n
    centres = rng.integers(0, 256, size=(len(sizes), nbytes), dtype=np.uint8)
    out = np.repeat(centres, sizes, axis=0)
    flips = rng.integers(0, spread + 1, size=n)
    flips[np.cumsum([0] + sizes[:-1])] = 0
    for count in range(1, spread + 1):
        rows = np.nonzero(flips == count)[0]
        if len(rows) == 0:
            continue
        # `count` distinct bits per row: the first `count` of a random permutation.
        chosen = np.argsort(rng.random((len(rows), bits)), axis=1)[:, :count]
        for c in range(count):
            b = chosen[:, c]
            out[rows, b // 8] ^= (1 << (b % 8)).astype(np.uint8)
    order = rng.permutation(len(sizes))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return np.concatenate([out[starts[i]:starts[i + 1]] for i in order])


def make(shape, n, nbytes, rng, spread=48):
    """`shape` is "random" or "clustered"."""
    if shape == "clustered":
        return clustered(n, nbytes, rng, spread=spread)
    return rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
