#!/usr/bin/env python3
"""What PDQ distance thresholds cost and buy, measured with `sieve hash` on real photos.

(a) Unrelated pairs. Every image of CORPUS is hashed (`sieve hash --format jsonl
    --no-phash --dihedral`) and the PDQ Hamming distance of every pair of different
    images is computed. Pairs whose files are byte-identical, or whose distance is
    <= --dup-distance (10), are treated as duplicates, counted and left out. For the
    rest: min, 1st percentile, median, and the share of pairs within 31, 45, 63 and 70
    bits (false matches at that threshold), for all pairs and for pairs of two hashes of
    quality >= 50 (what `sieve match` compares). Then the same with the query in its 8
    rotations and flips against the other image's hash (what `sieve match` does by
    default), over ordered (query, entry) pairs, listing the closest of them. Beside
    each, the analytic chance that two independent random 256-bit hashes are that
    close: P[X <= t], X ~ Binomial(256, 1/2).

(b) Near-duplicates. --edits (30) of the photos, chosen with --seed, are edited with
    Pillow: JPEG re-encode at quality 50, resize to 50 %, crop 10 % off each side, a 5 %
    black border on each side, rotation by 90 degrees, horizontal mirror, brightness
    +20 %, and a caption bar (a dark rectangle with white text) over the lower left.
    Edits other than the JPEG re-encode are saved as PNG so that only the edit itself
    moves the hash. Per edit: median and max PDQ distance to the original, and recall
    (share within 31 / 45 / 63 / 70). "As stored" compares the edited image's hash with
    the original's, as `sieve match --no-dihedral` does; "8 orientations" takes the closest
    of the edited image's 8 rotations and flips, as `sieve match` does by default.
    The edited images go to a temporary folder outside the repository, removed at the end
    (unless --keep).

Prints Markdown tables on standard output.

  python3 Scripts/measure_thresholds.py [--sieve .build/release/sieve] [--corpus ../shared/corpus/dev]

Needs Python 3 with numpy, scipy and Pillow, and a built `sieve` (release or debug).
The corpus's own README says how it was made: if it was de-duplicated at some PDQ
distance, no unrelated pair can be closer than that, and the low end of (a) is empty by
construction.
"""
import argparse, hashlib, json, pathlib, random, shutil, statistics, subprocess, sys, tempfile

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont
from scipy.stats import binom

root = pathlib.Path(__file__).resolve().parent.parent


def default_sieve() -> str:
    for candidate in (".build/release/sieve", ".build/debug/sieve"):
        if (root / candidate).exists():
            return str(root / candidate)
    return str(root / ".build/release/sieve")


p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--sieve", default=default_sieve(), help="the sieve binary (default: release, else debug build)")
p.add_argument("--corpus", default=str(root.parent / "shared/corpus/dev"), help="folder of photos")
p.add_argument("--thresholds", default="31,45,63,70", help="PDQ distances to report")
p.add_argument("--dup-distance", type=int, default=10, help="pairs at or below this distance are duplicates")
p.add_argument("--edits", type=int, default=30, help="photos to make edited copies of")
p.add_argument("--seed", type=int, default=20261130, help="seed for choosing those photos")
p.add_argument("--min-quality", type=int, default=50, help="PDQ quality sieve match requires")
p.add_argument("--keep", action="store_true", help="keep the edited images and print where they are")
args = p.parse_args()

thresholds = [int(t) for t in args.thresholds.split(",")]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".avif"}


def hash_files(files, dihedral=False):
    """`sieve hash --format jsonl --no-phash` over files: {path: record}."""
    command = [args.sieve, "hash", "--format", "jsonl", "--no-phash", "--quiet"]
    if dihedral:
        command.append("--dihedral")
    out = {}
    # A few hundred paths fit on one command line; chunk anyway for larger corpora.
    for i in range(0, len(files), 200):
        chunk = [str(f) for f in files[i:i + 200]]
        result = subprocess.run(command + chunk, capture_output=True, text=True)
        if result.returncode not in (0, 1):
            sys.exit(f"sieve hash failed ({result.returncode}): {result.stderr.strip()}")
        if result.stderr.strip():
            print(result.stderr.strip(), file=sys.stderr)
        for line in result.stdout.splitlines():
            record = json.loads(line)
            out[record["path"]] = record
    return out


def bits(hex_hash: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(hex_hash), dtype=np.uint8))


def distance(a: str, b: str) -> int:
    return int(np.count_nonzero(bits(a) != bits(b)))


def sha256(path) -> str:
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def pct(count: int, total: int) -> str:
    if total == 0:
        return "–"
    if count == 0:
        return f"0 / {total:,}"
    return f"{count:,} / {total:,} ({100 * count / total:.2g} %)"


def fmt_prob(x: float) -> str:
    return f"{x:.1e}" if x > 0 else "0"


sieve_version = subprocess.run([args.sieve, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
corpus = pathlib.Path(args.corpus)
files = sorted(f for f in corpus.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
if len(files) < 2:
    sys.exit(f"no images in {corpus}")

print(f"<!-- python3 Scripts/measure_thresholds.py --corpus {args.corpus} --seed {args.seed} --edits {args.edits}; "
      f"sieve: {sieve_version[0] if sieve_version else args.sieve} -->")
print()

# ---------------------------------------------------------------- (a) unrelated pairs
records = hash_files(files, dihedral=True)
hashed = [f for f in files if str(f) in records]
if len(hashed) < len(files):
    print(f"{len(files) - len(hashed)} files could not be hashed and are left out", file=sys.stderr)
n = len(hashed)
matrix = np.stack([bits(records[str(f)]["pdq"]) for f in hashed]).astype(np.uint8)
quality = np.array([records[str(f)]["pdq_quality"] for f in hashed])
digests = [sha256(f) for f in hashed]
# Hamming distance of all pairs at once: bits differ where one is 1 and the other 0.
ones = matrix.astype(np.int32)
dist = ones @ (1 - ones).T + (1 - ones) @ ones.T
iu = np.triu_indices(n, k=1)
pair_d = dist[iu]
identical = np.array([digests[i] == digests[j] for i, j in zip(*iu)], dtype=bool)
duplicate = identical | (pair_d <= args.dup_distance)
good_q = (quality[iu[0]] >= args.min_quality) & (quality[iu[1]] >= args.min_quality)
unrelated = pair_d[~duplicate]
unrelated_q = pair_d[~duplicate & good_q]

# As `sieve match` compares by default: the query image in its 8 orientations against an
# entry's hash, the closest counting. Ordered pairs (query i, entry j), i != j.
ORIENTATIONS = ["rot90", "rot180", "rot270", "flipx", "flipy", "flip_plus1", "flip_minus1"]
dihedral_d = dist.copy()
for name in ORIENTATIONS:
    turned = np.stack([bits(records[str(f)]["pdq_dihedral"][name]) for f in hashed]).astype(np.int32)
    dihedral_d = np.minimum(dihedral_d, turned @ (1 - ones).T + (1 - turned) @ ones.T)
dup_matrix = np.zeros((n, n), dtype=bool)
dup_matrix[iu] = duplicate
dup_matrix |= dup_matrix.T
ordered = ~np.eye(n, dtype=bool) & ~dup_matrix
unrelated_dihedral = dihedral_d[ordered]

print(f"**Unrelated pairs** — {n} images ({int(np.sum(quality < args.min_quality))} with PDQ quality "
      f"< {args.min_quality}), {len(pair_d):,} pairs; {int(duplicate.sum())} treated as duplicates and left out "
      f"({int(identical.sum())} byte-identical, {int((pair_d <= args.dup_distance).sum())} within "
      f"{args.dup_distance} bits). Distances of the other {len(unrelated):,}: min {int(unrelated.min())}, "
      f"1st percentile {np.percentile(unrelated, 1):.0f}, median {np.median(unrelated):.0f}, "
      f"mean {unrelated.mean():.1f}, sd {unrelated.std():.1f}. "
      f"With the query in its 8 orientations ({len(unrelated_dihedral):,} ordered pairs): "
      f"min {int(unrelated_dihedral.min())}, 1st percentile {np.percentile(unrelated_dihedral, 1):.0f}.")
print()
print(f"| threshold | unrelated pairs within it | of them, both quality ≥ {args.min_quality} "
      "| query in 8 orientations (ordered pairs) | random 256-bit hashes: P[d ≤ t] "
      "| the same, expected per query against 1M entries |")
print("|---:|---:|---:|---:|---:|---:|")
for t in thresholds:
    prob = float(binom.cdf(t, 256, 0.5))
    print(f"| ≤ {t} | {pct(int((unrelated <= t).sum()), len(unrelated))} "
          f"| {pct(int((unrelated_q <= t).sum()), len(unrelated_q))} "
          f"| {pct(int((unrelated_dihedral <= t).sum()), len(unrelated_dihedral))} "
          f"| {fmt_prob(prob)} | {fmt_prob(prob * 1e6)} |")
print()
close = sorted((int(dihedral_d[i, j]), hashed[i].name, hashed[j].name) for i, j in zip(*np.nonzero(ordered))
               if dihedral_d[i, j] <= max(thresholds))
if close:
    listed = "; ".join(f"{a} → {b}: {d}" for d, a, b in close[:10])
    print(f"Unrelated (query → entry) pairs within {max(thresholds)} with the query in 8 orientations: {listed}"
          + (f"; and {len(close) - 10} more" if len(close) > 10 else "") + ".")
    print()
print(f"Where no pair is within a threshold, the 95 % upper bound on the per-pair rate is about "
      f"{3 / len(unrelated):.1e} (3/n, the rule of three): this corpus cannot show a rate below that. "
      "The random-hash column is a floor: real photos are not independent random bits.")
print()

# ---------------------------------------------------------------- (b) near-duplicates


def caption(img: Image.Image) -> Image.Image:
    """A dark bar with white text over the lower left: 40 % of the width, 8 % of the height."""
    out = img.convert("RGB")
    w, h = out.size
    bw, bh = max(1, int(w * 0.40)), max(1, int(h * 0.08))
    x0, y0 = int(w * 0.03), h - bh - int(h * 0.03)
    draw = ImageDraw.Draw(out)
    draw.rectangle([x0, y0, x0 + bw, y0 + bh], fill=(20, 20, 20))
    font = ImageFont.load_default(size=max(8, int(bh * 0.6)))
    draw.text((x0 + bh * 0.2, y0 + bh * 0.15), "holiday 2026", fill=(255, 255, 255), font=font)
    return out


def border(img: Image.Image) -> Image.Image:
    w, h = img.size
    dx, dy = max(1, round(w * 0.05)), max(1, round(h * 0.05))
    out = Image.new("RGB", (w + 2 * dx, h + 2 * dy), (0, 0, 0))
    out.paste(img.convert("RGB"), (dx, dy))
    return out


def crop(img: Image.Image) -> Image.Image:
    w, h = img.size
    return img.crop((round(w * 0.1), round(h * 0.1), w - round(w * 0.1), h - round(h * 0.1)))


EDITS = [  # name, function, file suffix
    ("JPEG re-encode, quality 50", None, ".jpg"),
    ("resize to 50 %", lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.LANCZOS), ".png"),
    ("crop 10 % off each side", crop, ".png"),
    ("5 % black border on each side", border, ".png"),
    ("brightness +20 %", lambda im: ImageEnhance.Brightness(im).enhance(1.2), ".png"),
    ("caption bar (text) over the lower left", caption, ".png"),
    ("rotate 90°", lambda im: im.transpose(Image.Transpose.ROTATE_90), ".png"),
    ("horizontal mirror", lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ".png"),
]

chosen = sorted(random.Random(args.seed).sample(hashed, min(args.edits, len(hashed))))
work = pathlib.Path(tempfile.mkdtemp(prefix="sieve-thresholds-"))
try:
    if root in work.resolve().parents:
        sys.exit("refusing to write edited images inside the repository")
    made = {}  # (edit index, original) -> edited path
    for original in chosen:
        with Image.open(original) as im:
            im = im.convert("RGB")
            for k, (name, edit, suffix) in enumerate(EDITS):
                target = work / f"{original.stem}.edit{k}{suffix}"
                if edit is None:
                    im.save(target, "JPEG", quality=50)
                else:
                    edit(im).save(target)
                made[(k, original)] = target
    edited = hash_files(sorted(made.values()), dihedral=True)

    print(f"**Near-duplicates** — {len(chosen)} photos (seed {args.seed}), each edited {len(EDITS)} ways; PDQ "
          "distance from the edited copy to the original. *As stored*: the copy's own hash (`--no-dihedral`); "
          "*8 orientations*: the closest of its 8 rotations and flips (the `sieve match` default). Recall: copies "
          "within the threshold in 8 orientations, and as stored in parentheses where that differs.")
    print()
    header = " | ".join(f"≤ {t}" for t in thresholds)
    print(f"| edit | median / max, as stored | median / max, 8 orientations | {header} | copies with quality < {args.min_quality} |")
    print("|---|---:|---:|" + "---:|" * len(thresholds) + "---:|")
    for k, (name, _, _) in enumerate(EDITS):
        plain, turned, low = [], [], 0
        for original in chosen:
            record = edited.get(str(made[(k, original)]))
            if record is None:
                continue
            reference = records[str(original)]["pdq"]
            plain.append(distance(record["pdq"], reference))
            # pdq_dihedral holds the 7 other orientations; "pdq" is the original one.
            turned.append(min(distance(h, reference) for h in [record["pdq"], *record["pdq_dihedral"].values()]))
            low += record["pdq_quality"] < args.min_quality
        if not plain:
            continue
        cells = []
        for t in thresholds:
            a, b = sum(d <= t for d in turned), sum(d <= t for d in plain)
            cells.append(f"{a}/{len(turned)}" + (f" ({b}/{len(plain)})" if a != b else ""))
        print(f"| {name} | {statistics.median(plain):g} / {max(plain)} | {statistics.median(turned):g} / {max(turned)} "
              f"| {' | '.join(cells)} | {low} |")
    print()
finally:
    if args.keep:
        print(f"edited images kept in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
