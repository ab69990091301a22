#!/usr/bin/env python3
"""Measures "declared pixels per encoded byte" to choose DecodingLimits.maxPixelsPerByte:
for the crafted bombs in Tests/Fixtures/bombs/ (written by Scripts/make_bomb_fixtures.py)
and for legitimate content re-encoded here in memory. Prints tables; writes no files.

Usage:
    python3 Scripts/measure_pixels_per_byte.py [--photos N] [--corpus DIR]

Legitimate content:
  * N photos (default 20) from the benign photo corpus (default ../shared/corpus/dev beside the repository,
    every k-th file in name order, so several sources are covered), each re-saved as PNG
    (compress_level 9), JPEG quality 90, lossless WebP (quality 100, method 6: the
    smallest files libwebp makes) and GIF (Pillow's default adaptive palette);
  * a synthetic 2550×3300 (8.5×11 in at 300 dpi) 1-bit "scanned page": white, with lines of
    black letter-sized rectangles; saved as 1-bit PNG (Pillow's gray one, where white is 1,
    and a palette one written here where white is index 0), GIF, lossless WebP, TIFF G4;
  * the same page blank, and with only a heading (digital-born blank pages are real);
  * a synthetic 4000×3000 "screenshot": flat desktop, windows with title bars, grey text
    bars, buttons; saved as PNG, GIF and lossless WebP; plus an all-white 4000×3000.
All synthetic images come from a seeded generator, so numbers repeat for a given
Pillow/libwebp/libtiff/zlib (Pillow 13.0.0, libwebp 1.6.0, libtiff 4.7.2, zlib 1.2.13).
Needs Pillow, numpy, pillow-heif (for the HEIC fixture's header).
"""
import argparse
import io
import pathlib
import statistics
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOMBS = ROOT / "Tests/Fixtures/bombs"
Image.MAX_IMAGE_PIXELS = None


def encode(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def inflated_size(stream):
    """Bytes a zlib stream inflates to, counted in 1 MiB steps (never held at once)."""
    d = zlib.decompressobj()
    total = 0
    data = stream
    while data:
        total += len(d.decompress(data, 1 << 20))
        data = d.unconsumed_tail
    return total + len(d.flush())


def png_ancillary_inflated(data):
    """Largest inflated zTXt/iCCP payload in a PNG, in bytes."""
    pos, best = 8, 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind in (b"zTXt", b"iCCP"):
            nul = body.index(b"\0")
            best = max(best, inflated_size(body[nul + 2:]))
        pos += 12 + length
    return best


def gif_sizes(data):
    """(screen w, h), (first frame w, h) read from the GIF's own fields."""
    sw, sh, flags = struct.unpack("<HHB", data[6:11])
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while data[pos] == 0x21:                 # skip extensions
        pos += 2
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    fw, fh = struct.unpack("<HH", data[pos + 5:pos + 9])
    return (sw, sh), (fw, fh)


def bomb_rows():
    """(file, bytes, declared image pixels, pixels a naive decoder allocates, note)."""
    import pillow_heif
    pillow_heif.register_heif_opener()
    rows = []
    for path in sorted(BOMBS.glob("*")):
        if path.suffix == ".md":
            continue
        data = path.read_bytes()
        note = ""
        if path.suffix == ".gif":
            (sw, sh), (fw, fh) = gif_sizes(data)
            declared, naive = sw * sh, max(sw * sh, fw * fh)
            note = f"screen {sw}x{sh}, frame {fw}x{fh}"
        else:
            ImageFile.LOAD_TRUNCATED_IMAGES = True   # Pillow refuses the zTXt/iCCP bombs
            with Image.open(path) as im:
                w, h = im.size
                tags = getattr(im, "tag_v2", {})
                declared = naive = w * h
                note = f"{w}x{h}"
                if path.suffix == ".tif" and 322 in tags:
                    naive = tags[322] * tags[323]
                    note += f", tile {tags[322]}x{tags[323]}"
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            if path.suffix == ".png":
                extra = png_ancillary_inflated(data)
                if extra:
                    note += f", ancillary chunk inflates to {extra:,} B ({extra / len(data):,.0f} B/B)"
        rows.append((path.name, len(data), declared, naive, note))
    for name, opts in [("(jpeg 15000x15000 q75 baseline)", {}),
                       ("(jpeg 15000x15000 q75 optimized)", {"optimize": True})]:
        data = encode(Image.new("RGB", (15000, 15000), (128, 128, 128)), "JPEG", quality=75, **opts)
        rows.append((name, len(data), 15000 * 15000, 15000 * 15000, "not a fixture (> 300 KB)"))
    for name, mode, bits in [("(png 15000x15000 1-bit zeros)", "1", 1)]:
        raw_row = bytes(1 + (15000 * bits + 7) // 8)
        c = zlib.compressobj(9)
        body = b"".join(c.compress(raw_row * 1000) for _ in range(15)) + c.flush()
        rows.append((name, len(body) + 57, 15000 * 15000, 15000 * 15000, "not a fixture; IDAT + 57 B of PNG framing"))
    return rows


# ------------------------------------------------------------ synthetic legit content

def scanned_page(kind="text", seed=7):
    """2550×3300 mode "1": white page, black letter rectangles in lines of words."""
    page = Image.new("1", (2550, 3300), 1)
    draw = ImageDraw.Draw(page)
    if kind == "blank":
        return page
    rng = np.random.default_rng(seed)
    margin, line_height = 300, 62
    lines = 2 if kind == "heading" else (3300 - 2 * margin) // line_height
    y = margin
    for line in range(lines):
        x = margin
        big = line == 0
        right = 2550 - margin - (int(rng.integers(0, 900)) if line % 9 == 8 else 0)   # paragraph ends
        while x < right - 60:
            for _ in range(int(rng.integers(2, 10))):                       # one word
                w = int(rng.integers(14, 26) if big else rng.integers(9, 19))
                tall = rng.random() < 0.3
                top = y + (0 if tall or big else 10)
                bottom = y + (44 if big else 32) + (8 if rng.random() < 0.1 else 0)
                if x + w > right:
                    break
                draw.rectangle([x, top, x + w - 1, bottom], fill=0)
                x += w + 4
            x += 18
        y += line_height + (40 if big else 0)
        if line % 9 == 8:
            y += 30
    return page


def screenshot(seed=3):
    """4000×3000 RGB: flat desktop, windows with title bars, text bars, buttons."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (4000, 3000), (40, 90, 140))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 2920, 3999, 2999], fill=(30, 30, 30))                  # task bar
    for i in range(12):
        d.rectangle([20 + i * 90, 2935, 85 + i * 90, 2985], fill=tuple(int(v) for v in rng.integers(60, 255, 3)))
    for win in range(5):
        x0, y0 = int(rng.integers(0, 2400)), int(rng.integers(0, 1600))
        x1, y1 = x0 + int(rng.integers(900, 1600)), y0 + int(rng.integers(700, 1300))
        d.rectangle([x0, y0, x1, y1], fill=(250, 250, 250), outline=(120, 120, 120), width=2)
        d.rectangle([x0, y0, x1, y0 + 48], fill=(225, 225, 230))
        for b in range(3):
            d.ellipse([x1 - 40 - 36 * b, y0 + 14, x1 - 20 - 36 * b, y0 + 34], fill=[(230, 80, 70), (240, 190, 50), (90, 190, 80)][b])
        d.rectangle([x0 + 2, y0 + 50, x0 + 260, y1 - 2], fill=(238, 240, 243))  # side bar
        for r in range(y0 + 70, y1 - 40, 34):
            d.rectangle([x0 + 20, r, x0 + 20 + int(rng.integers(80, 220)), r + 14], fill=(110, 110, 120))
            text_end = x0 + 290 + int(rng.integers(200, x1 - x0 - 320))
            d.rectangle([x0 + 290, r, text_end, r + 14], fill=(60, 60, 60))
        d.rectangle([x1 - 240, y1 - 70, x1 - 30, y1 - 20], fill=(40, 110, 220))
    return im


def png_white_zero(page):
    """A 1-bit page as a palette PNG whose index 0 is white (PLTE white, black), filter 0 on
    every row, one zlib level-9 stream: a blank page is then all zero bytes, the best case
    for deflate (1-bit writers that store white as 0 exist, e.g. MinIsWhite TIFF habits)."""
    a = np.asarray(page)                                   # True = white
    rows = np.packbits(~a, axis=1)                         # white -> bit 0
    raw = np.hstack([np.zeros((rows.shape[0], 1), np.uint8), rows]).tobytes()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", page.width, page.height, 1, 3, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"PLTE", b"\xff\xff\xff\x00\x00\x00")
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with Image.open(io.BytesIO(data)) as check:          # must decode to the same page
        assert np.array_equal(np.asarray(check.convert("L")) > 127, a)
    return data


def ratio_row(name, pixels, data):
    return (name, len(data), pixels, pixels / len(data))


def legit_rows(corpus, n_photos):
    photo_rows = []      # (format, ratio)
    files = sorted(p for p in pathlib.Path(corpus).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    step = max(1, len(files) // n_photos)
    chosen = files[::step][:n_photos]
    for path in chosen:
        im = Image.open(path).convert("RGB")
        px = im.width * im.height
        photo_rows.append(("original JPEG (q92)", px / path.stat().st_size))
        photo_rows.append(("PNG level 9", px / len(encode(im, "PNG", compress_level=9))))
        photo_rows.append(("JPEG q90", px / len(encode(im, "JPEG", quality=90))))
        photo_rows.append(("WebP lossless m6", px / len(encode(im, "WEBP", lossless=True, quality=100, method=6))))
        photo_rows.append(("GIF (adaptive palette)", px / len(encode(im, "GIF"))))
    synthetic = []
    for kind in ("text", "heading", "blank"):
        page = scanned_page(kind)
        px = page.width * page.height
        label = f"page 2550x3300 1-bit, {kind}"
        synthetic.append(ratio_row(f"{label}: PNG level 9", px, encode(page, "PNG", compress_level=9)))
        synthetic.append(ratio_row(f"{label}: PNG palette, white = 0", px, png_white_zero(page)))
        synthetic.append(ratio_row(f"{label}: GIF", px, encode(page, "GIF")))
        synthetic.append(ratio_row(f"{label}: WebP lossless m6", px, encode(page.convert("L"), "WEBP", lossless=True, quality=100, method=6)))
        synthetic.append(ratio_row(f"{label}: TIFF G4", px, encode(page, "TIFF", compression="group4")))
        if kind == "text":
            synthetic.append(ratio_row(f"{label}: JPEG q90 (gray)", px, encode(page.convert("L"), "JPEG", quality=90)))
    shot = screenshot()
    px = shot.width * shot.height
    synthetic.append(ratio_row("screenshot 4000x3000: PNG level 9", px, encode(shot, "PNG", compress_level=9)))
    synthetic.append(ratio_row("screenshot 4000x3000: PNG default (6)", px, encode(shot, "PNG")))
    synthetic.append(ratio_row("screenshot 4000x3000: GIF", px, encode(shot, "GIF")))
    synthetic.append(ratio_row("screenshot 4000x3000: WebP lossless m6", px, encode(shot, "WEBP", lossless=True, quality=100, method=6)))
    synthetic.append(ratio_row("screenshot 4000x3000: JPEG q90", px, encode(shot, "JPEG", quality=90)))
    white = Image.new("RGB", (4000, 3000), (255, 255, 255))
    synthetic.append(ratio_row("all-white 4000x3000 RGB: PNG level 9", px, encode(white, "PNG", compress_level=9)))
    synthetic.append(ratio_row("all-white 4000x3000 RGB: GIF", px, encode(white, "GIF")))
    synthetic.append(ratio_row("all-white 4000x3000 RGB: WebP lossless", px, encode(white, "WEBP", lossless=True, quality=100, method=0)))
    synthetic.append(ratio_row("all-white 4000x3000 RGB: JPEG q90", px, encode(white, "JPEG", quality=90)))
    return chosen, photo_rows, synthetic


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "dev"))
    args = parser.parse_args()

    print("Bomb fixtures (Tests/Fixtures/bombs) -- pixels per byte")
    print(f"| {'file':34} | {'bytes':>10} | {'declared px':>14} | {'px/byte':>12} | {'naive-alloc px/byte':>19} | notes |")
    print(f"| {'-' * 34} | {'-' * 10:>10} | {'-' * 14} | {'-' * 12} | {'-' * 19} | --- |")
    for name, size, declared, naive, note in bomb_rows():
        print(f"| {name:34} | {size:>10,} | {declared:>14,} | {declared / size:>12,.1f} | {naive / size:>19,.1f} | {note} |")

    chosen, photo_rows, synthetic = legit_rows(args.corpus, args.photos)
    print(f"\n{len(chosen)} corpus photos ({chosen[0].name} ... {chosen[-1].name}), px/byte per format")
    print(f"| {'format':24} | {'min':>8} | {'median':>8} | {'max':>8} |")
    print(f"| {'-' * 24} | {'-' * 8} | {'-' * 8} | {'-' * 8} |")
    for fmt in dict.fromkeys(f for f, _ in photo_rows):
        values = [r for f, r in photo_rows if f == fmt]
        print(f"| {fmt:24} | {min(values):>8.2f} | {statistics.median(values):>8.2f} | {max(values):>8.2f} |")

    print("\nSynthetic legitimate content, px/byte")
    print(f"| {'image: encoding':54} | {'bytes':>10} | {'pixels':>11} | {'px/byte':>10} |")
    print(f"| {'-' * 54} | {'-' * 10} | {'-' * 11} | {'-' * 10} |")
    for name, size, px, ratio in synthetic:
        print(f"| {name:54} | {size:>10,} | {px:>11,} | {ratio:>10,.1f} |")


if __name__ == "__main__":
    main()
