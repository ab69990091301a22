#!/usr/bin/env python3
"""`sieve scan` on a disk image against the same files scanned as a folder, and carving
speed over space without a file system.

1. The folder DIR is copied into an ext4 image (mkfs.ext4 -d, no mounting) sized 1.5×
   the files; `sieve scan DIR` and `sieve scan IMAGE` run alternately, best of --repeat;
   files/s of each and their ratio (target: the image at ≥ 80 % of the folder's rate).
2. --copies copies of the folder's files (each with one byte appended, so that no two are
   alike) as a folder, as one zip (stored, as pictures are compressed already) and as one
   tar.gz: `sieve scan` of each, best of --repeat, files/s of each archive against the
   folder's (members and the archive counted as files); and the zip read in place
   (`--max-bytes` below the zip's size, above its largest member's), as archives too large
   to hold are read.
3. A raw image of --carve-mb MiB of non-picture bytes with the pictures of DIR planted at
   4 KiB boundaries (every --every MiB): `sieve scan --carve IMAGE`, best of --repeat;
   MB/s of raw space carved (hashing the carved pictures included) and pictures found.

  python3 Scripts/bench_image_scan.py [--sieve .build/release/sieve] DIR
Needs e2fsprogs.
"""
import argparse, os, pathlib, shutil, sqlite3, subprocess, tarfile, tempfile, time, zipfile

root = pathlib.Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--sieve", default=str(root / ".build/release/sieve"))
p.add_argument("--hashset", default=str(root / "hashsets/sample-fixtures.sieveset"))
p.add_argument("--repeat", type=int, default=3)
p.add_argument("--carve-mb", type=int, default=512)
p.add_argument("--every", type=int, default=4)
p.add_argument("--copies", type=int, default=8)
p.add_argument("dir")
a = p.parse_args()

files = [f for f in sorted(pathlib.Path(a.dir).rglob("*")) if f.is_file()]
size = sum(f.stat().st_size for f in files)
work = pathlib.Path(tempfile.mkdtemp())
try:
    image = work / "corpus.ext4"
    with open(image, "wb") as f:
        f.truncate(max(64 << 20, int(size * 1.5)) // 4096 * 4096)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", a.dir, str(image)], check=True)

    def scan(evidence, *extra):
        case = work / "case"
        shutil.rmtree(case, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([a.sieve, "scan", str(evidence), "--case", str(case), "--hashset", a.hashset, "--quiet", *extra])
        elapsed = time.perf_counter() - t
        db = sqlite3.connect(case / "case.sqlite")
        rows = db.execute("SELECT COUNT(*), SUM(status = 'hashed') FROM files").fetchone()
        db.close()
        return elapsed, rows

    scan(a.dir), scan(image)  # warm the page cache
    folder_times, image_times = [], []
    for _ in range(a.repeat):
        folder_times.append(scan(a.dir))
        image_times.append(scan(image))
    tf, (nf, hf) = min(folder_times)
    ti, (ni, hi) = min(image_times)
    print(f"files: {len(files)}, {size / 1e6:.1f} MB; ext4 image {image.stat().st_size / 1e6:.0f} MB")
    print("| evidence | files recorded | hashed | best of | seconds | files/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| folder | {nf} | {hf} | {a.repeat} | {tf:.2f} | {nf / tf:.1f} |")
    print(f"| ext4 image | {ni} | {hi} | {a.repeat} | {ti:.2f} | {ni / ti:.1f} |")
    print(f"image / folder: {(ni / ti) / (nf / tf) * 100:.0f} %")

    copies, zipped, tarred = work / "copies", work / "copies.zip", work / "copies.tar.gz"
    copies.mkdir()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_STORED) as z, tarfile.open(tarred, "w:gz") as t:
        for i in range(a.copies):
            for f in files:
                name = f"{i}/{f.relative_to(a.dir)}"
                (copies / name).parent.mkdir(parents=True, exist_ok=True)
                (copies / name).write_bytes(f.read_bytes() + bytes([i]))
                z.write(copies / name, name)
                t.add(copies / name, name)
    largest = max(f.stat().st_size for f in files) + 1
    scan(copies)
    tc, (nc, hc) = min(scan(copies) for _ in range(a.repeat))
    print(f"{a.copies} copies: {nc} files, {nc * size / len(files) / 1e6:.0f} MB")
    print("| evidence | files recorded | hashed | best of | seconds | files/s | of the folder's |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| folder | {nc} | {hc} | {a.repeat} | {tc:.2f} | {nc / tc:.1f} | 100 % |")
    for label, archive, extra in (("zip, stored", zipped, ()), ("tar.gz", tarred, ()),
                                  ("zip, read in place", zipped, ("--max-bytes", str(largest)))):
        scan(archive, *extra)
        ta, (na, ha) = min(scan(archive, *extra) for _ in range(a.repeat))
        print(f"| {label} ({archive.stat().st_size / 1e6:.0f} MB) | {na} | {ha} | {a.repeat} | {ta:.2f} | {na / ta:.1f} "
              f"| {(na / ta) / (nc / tc) * 100:.0f} % |")
    shutil.rmtree(copies)

    pictures = [f.read_bytes() for f in files if f.suffix.lower() in (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp")]
    raw = work / "blob.raw"
    filler = bytes((i * 7 + 3) % 251 for i in range(1 << 20))
    planted = 0
    with open(raw, "wb") as f:
        for mib in range(a.carve_mb):
            f.write(filler)
        step = a.every << 20
        for i, offset in enumerate(range(4096, a.carve_mb << 20, step)):
            data = pictures[i % len(pictures)]
            if offset + len(data) > a.carve_mb << 20:
                break
            f.seek(offset)
            f.write(data)
            planted += 1
    scan(raw, "--carve")
    times = [scan(raw, "--carve") for _ in range(a.repeat)]
    tc, (nc, hc) = min(times)
    print(f"carving: {a.carve_mb} MiB raw, {planted} pictures planted: {nc} carved, {hc} hashed; "
          f"best {tc:.2f} s of {a.repeat}: {a.carve_mb * 1.048576 / tc:.0f} MB/s")
finally:
    shutil.rmtree(work)
