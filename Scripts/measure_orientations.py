#!/usr/bin/env python3
"""How far the PDQ hashes of turned pictures can be computed from a reduced plane, and
what each way of matching turned copies finds (issue 11, item 1).

Every picture of DIR is converted once to PNG with Pillow (so that Sieve decodes the same
pixels on both sides), and its 7 turned copies are written with Pillow's transpose (PNG,
lossless). Then, for each way — the DCT-domain `--dihedral` variants, `--orientations` from
the one blurred plane, and `--orientations` hashed again from the luma plane turned and
reduced to each `--sides` long side (0: full resolution):

  exact     distance from each turned hash computed from the original to the PDQ of the
            turned file itself (0 means exact);
  query     each turned copy as a query: the smallest distance from its 8 hashes to the
            original's PDQ, and how many are found at <= 31 (the recall of matching a
            turned copy against a plain one-hash-per-image list);
  cost      `sieve hash` seconds over DIR's own files (best of --repeat), against plain.

  python3 Scripts/measure_orientations.py [--sieve .build/release/sieve] DIR
Needs Pillow (for the turned copies only; Sieve does the hashing).
"""
import argparse, json, pathlib, statistics, subprocess, tempfile, time

from PIL import Image

root = pathlib.Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--sieve", default=str(root / ".build/release/sieve"))
p.add_argument("--sides", default="0,512,384,256,128")
p.add_argument("--repeat", type=int, default=3)
p.add_argument("dir")
a = p.parse_args()

TURNS = {  # Sieve's orientation name: the Pillow transpose giving that picture
    "rot90": Image.Transpose.ROTATE_90,  # counter-clockwise
    "rot180": Image.Transpose.ROTATE_180,
    "rot270": Image.Transpose.ROTATE_270,
    "flipx": Image.Transpose.FLIP_TOP_BOTTOM,
    "flipy": Image.Transpose.FLIP_LEFT_RIGHT,
    "flip_plus1": Image.Transpose.TRANSPOSE,
    "flip_minus1": Image.Transpose.TRANSVERSE,
}


def hashes(paths, *options):
    out = subprocess.run([a.sieve, "hash", "--format", "jsonl", "--quiet", *options, *map(str, paths)],
                         capture_output=True, text=True).stdout
    return {json.loads(line)["path"]: json.loads(line) for line in out.splitlines()}


def distance(x, y):
    return bin(int(x, 16) ^ int(y, 16)).count("1")


def summary(values):
    values = sorted(values)
    return f"mean {statistics.mean(values):.2f}, median {values[len(values) // 2]}, p95 {values[int(len(values) * 0.95)]}, max {values[-1]}"


sources = [f for f in sorted(pathlib.Path(a.dir).rglob("*")) if f.is_file()]
with tempfile.TemporaryDirectory() as tmp:
    work = pathlib.Path(tmp)
    originals, turned = [], {}
    for i, f in enumerate(sources):
        try:
            image = Image.open(f)
            image.load()
        except Exception:
            continue
        image = image.convert("RGB")
        original = work / f"{i}.png"
        image.save(original)
        originals.append(original)
        for name, op in TURNS.items():
            path = work / f"{i}.{name}.png"
            image.transpose(op).save(path)
            turned[(str(original), name)] = path
    plain = hashes(originals + list(turned.values()))
    ways = [("dihedral", ["--dihedral"], "pdq_dihedral"), ("orientations, from the blurred plane", ["--orientations"], "pdq_turned")] + [
        (f"orientations, turned plane {'at full resolution' if s == '0' else 'of ' + s + ' px'}",
         ["--orientations", f"--orientation-side={s}"], "pdq_turned")
        for s in a.sides.split(",")]
    print(f"{len(originals)} pictures, {len(turned)} turned copies")
    print("| way | exact: bits off the turned file's PDQ | query: turned copies found at <= 31 | query: distance |")
    print("|---|---|---:|---|")
    found_plain = sum(distance(plain[str(t)]["pdq"], plain[o]["pdq"]) <= 31 for (o, _), t in turned.items())
    print(f"| plain PDQ | - | {found_plain}/{len(turned)} | - |")
    for label, options, key in ways:
        computed = hashes(originals + list(turned.values()), *options)
        exact = [distance(computed[o][key][name], plain[str(t)]["pdq"]) for (o, name), t in turned.items()]
        query = []
        for (o, _), t in turned.items():
            mine = computed[str(t)]
            candidates = [mine["pdq"]] + list(mine[key].values())
            query.append(min(distance(c, plain[o]["pdq"]) for c in candidates))
        found = sum(d <= 31 for d in query)
        print(f"| {label} | {summary(exact)} | {found}/{len(query)} | {summary(query)} |")

    def timed(*options):
        best = None
        for _ in range(a.repeat):
            start = time.perf_counter()
            subprocess.run([a.sieve, "hash", "--quiet", *options, a.dir], capture_output=True)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        return best

    base = timed()
    print(f"\ncost over {len(sources)} files of {a.dir} (best of {a.repeat}):")
    print("| way | seconds | of plain |")
    print("|---|---:|---:|")
    print(f"| plain | {base:.2f} | 1.00 |")
    for label, options, _ in ways:
        t = timed(*options)
        print(f"| {label} | {t:.2f} | {t / base:.2f} |")
