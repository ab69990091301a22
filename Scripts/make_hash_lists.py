#!/usr/bin/env python3
"""Writes large text hash lists, one per format Sieve reads, for parsing and import
benchmarks (Scripts/bench_hash_lists.py). The hashes are random, in series of
near-duplicates as real lists hold them (a centre and 0-9 copies within 16 bits); ids are
made-up file names. Nothing here comes from any real image.

Usage: python3 Scripts/make_hash_lists.py OUT_DIR [--lines N] [--seed S] [--formats a,b]
Writes OUT_DIR/{plain.pdq.txt, md5sum.md5, pdq-cli.txt, threatexchange.csv,
sieve.csv, set.csv, videos.vpdq, media.vics.json} of N data lines each (or only the
--formats named: plain, md5sum, pdq-cli, threatexchange, sieve-csv, set-csv, vpdq, vics;
vPDQ's lines are frames, 60 to a video, each video after a `# name` line; the VICS list is
Project VIC JSON as exporters write it, one field a line, 12 lines a media record of ten
fields, so N lines hold N/12 records).
"""
import argparse
import os
import random


def hashes(rng, n, bits=256):
    """n hashes of `bits` bits in series of near-duplicates."""
    out = []
    while len(out) < n:
        centre = rng.getrandbits(bits)
        out.append(centre)
        for _ in range(rng.randrange(10)):
            h = centre
            for _ in range(rng.randrange(17)):
                h ^= 1 << rng.randrange(bits)
            out.append(h)
    return out[:n]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--formats", default="plain,md5sum,pdq-cli,threatexchange,sieve-csv,set-csv,vpdq,vics")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    n = a.lines
    pdq = ["%064x" % h for h in hashes(rng, n)]
    ph = ["%016x" % h for h in hashes(rng, n, 64)]
    md5 = ["%032x" % rng.getrandbits(128) for _ in range(n)]
    names = ["case%03d/DCIM/IMG_%06d.jpg" % (i // 5000, i) for i in range(n)]
    labels = ["series-%d" % (i // 200) for i in range(n)]

    wanted = set(a.formats.split(","))
    files = {"plain.pdq.txt": "plain", "md5sum.md5": "md5sum", "pdq-cli.txt": "pdq-cli",
             "threatexchange.csv": "threatexchange", "sieve.csv": "sieve-csv", "set.csv": "set-csv",
             "videos.vpdq": "vpdq", "media.vics.json": "vics"}

    def write(name, header, rows):
        if files[name] not in wanted:
            return
        with open(os.path.join(a.out, name), "w") as f:
            if header:
                f.write(header + "\n")
            f.write("\n".join(rows))
            f.write("\n")

    write("plain.pdq.txt", None, pdq)
    write("md5sum.md5", None, ("%s  %s" % (md5[i], names[i]) for i in range(n)))
    write("pdq-cli.txt", None, ("%s,%d,%s" % (pdq[i], 50 + i % 51, names[i]) for i in range(n)))
    write("threatexchange.csv", "signal_type,signal_str,collab,category,tags",
          ("pdq,%s,example-collab,%s," % (pdq[i], labels[i]) for i in range(n)))
    write("sieve.csv", "path,pdq,pdq_quality,phash,width,height,format,pdq_mode",
          ("%s,%s,%d,%s,4000,3000,jpeg,fullres" % (names[i], pdq[i], 50 + i % 51, ph[i]) for i in range(n)))
    write("videos.vpdq", None, (("# video-%d\n" % (i // 60) if i % 60 == 0 else "") +
                                "%d,%d,%s,%.3f" % (i % 60 * 30, 50 + i % 51, pdq[i], (i % 60) * 1.0) for i in range(n)))
    write("set.csv", "id,label,pdq,pdq_quality,phash,md5,sha1,sha256",
          ("%s,%s,%s,%d,%s,%s,," % (names[i], labels[i], pdq[i], 50 + i % 51, ph[i], md5[i]) for i in range(n)))

    if "vics" in wanted:
        records = n // 12
        with open(os.path.join(a.out, "media.vics.json"), "w") as f:
            f.write('{\n  "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media",\n'
                    '  "value": [\n')
            for i in range(records):
                f.write('    {\n      "MediaID": %d,\n      "Category": %d,\n      "MD5": "%s",\n      "SHA1": "%s",\n'
                        '      "MediaSize": %d,\n      "DateUpdated": "2026-01-%02dT02:31:49.8300Z",\n'
                        '      "IsPrecategorized": "%s",\n      "RelativeFilePath": "%s",\n      "FileName": "IMG_%06d.jpg",\n'
                        '      "Tags": []\n    }%s\n'
                        % (i + 1, i % 5, md5[i].upper(), ("%040x" % rng.getrandbits(160)).upper(), 1000 + i * 7 % 900000,
                           1 + i % 28, "true" if i % 3 == 0 else "false", names[i], i, "," if i + 1 < records else ""))
            f.write("  ]\n}\n")


if __name__ == "__main__":
    main()
