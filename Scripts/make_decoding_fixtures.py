#!/usr/bin/env python3
"""Writes the image-decoder fixtures in Tests/Fixtures/decoding/: small synthetic
PNG and JPEG files (gradients and flat shapes only), the expected decoded pixels,
a set of damaged or hostile inputs, and manifest.json describing them all.

Usage:
    python3 Scripts/make_decoding_fixtures.py [--check-shims]

Needs Python 3 with numpy and Pillow (13.0.0 was used). The output is
deterministic for a given Pillow/libjpeg-turbo: PNGs are written by the small
encoder below (zlib + struct, Adam7 done here) so that every colour type, bit
depth and tRNS combination is exactly the one intended; JPEGs, the GIF and the
CMYK JPEG are written by Pillow.

Expected pixels follow the semantics of Sieve's decoder (Sources/CPNG, Sources/CJPEG):
output is 8-bit "gray" or "rgb", rows top to bottom, no padding; PNG 1/2/4-bit
gray is scaled to 0..255, 16-bit samples keep their high byte, alpha and tRNS
are dropped without compositing, palettes are expanded to RGB. JPEG pixels come
from Pillow's decode (libjpeg-turbo, ISLOW IDCT, fancy upsampling).

Every PNG is checked against Pillow's own decode before anything is written.
--check-shims also compiles Sources/CPNG/sieve_png.c and Sources/CJPEG/sieve_jpeg.c
with a tiny C driver (cc, -lpng16 -ljpeg; no Swift) and checks every fixture
against what the shims really produce with the system libpng and libjpeg-turbo.
"""
import argparse
import hashlib
import io
import json
import os
import pathlib
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "decoding"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------
# Synthetic pictures: gradients plus a few flat shapes, so that pixels vary.


def coords(w, h):
    y, x = np.mgrid[0:h, 0:w]
    return x.astype(np.int64), y.astype(np.int64)


def rgb_picture(w, h):
    """uint8 (h, w, 3): three gradients, a rectangle, a disc and a stripe."""
    x, y = coords(w, h)
    r = (x * 255) // max(w - 1, 1)
    g = (y * 255) // max(h - 1, 1)
    b = ((x + y) * 255) // max(w + h - 2, 1)
    img = np.stack([r, g, 255 - b], axis=-1)
    rect = (x >= w // 5) & (x < w // 2) & (y >= h // 4) & (y < (3 * h) // 4)
    img[rect] = (200, 30, 60)
    disc = (x - (2 * w) // 3) ** 2 + (y - h // 2) ** 2 <= (min(w, h) // 4) ** 2
    img[disc] = (20, 180, 90)
    stripe = (y == h - 3) | (x == 2)
    img[stripe] = (255, 255, 255)
    img[0, 0] = (0, 0, 0)
    return img.astype(np.uint8)


def gray_picture(w, h):
    """uint8 (h, w): a diagonal gradient, a dark square, a light disc, a stripe."""
    x, y = coords(w, h)
    g = ((x * 3 + y * 5) * 255) // max((w - 1) * 3 + (h - 1) * 5, 1)
    sq = (x >= w // 6) & (x < w // 2) & (y >= h // 5) & (y < h // 2)
    g = np.where(sq, 40, g)
    disc = (x - (2 * w) // 3) ** 2 + (y - (2 * h) // 3) ** 2 <= (min(w, h) // 4) ** 2
    g = np.where(disc, 230, g)
    g = np.where(x == w - 2, 0, g)
    g[0, 0], g[0, 1] = 0, 255
    return g.astype(np.uint8)


def low_bits(w, h):
    """A 16-bit low byte that varies, so "keep the high byte" differs from rounding."""
    x, y = coords(w, h)
    return ((x * 37 + y * 101 + 0x80) & 0xFF).astype(np.uint16)


def widen(img8):
    """8-bit samples -> 16-bit samples whose high byte is the 8-bit value."""
    x_y = img8.shape[:2]
    lo = low_bits(x_y[1], x_y[0])
    if img8.ndim == 3:
        lo = np.stack([(lo + 53 * c) & 0xFF for c in range(img8.shape[2])], axis=-1)
    return (img8.astype(np.uint16) << 8) | lo.astype(np.uint16)


def alpha_picture(w, h):
    x, y = coords(w, h)
    a = ((x * 255) // max(w - 1, 1) + (y * 128) // max(h - 1, 1)) % 256
    a[: h // 3, : w // 3] = 0  # fully transparent corner: pixels must still come out
    return a.astype(np.uint8)


def gray_levels(w, h, depth):
    """uint8 (h, w) samples in 0 .. 2**depth - 1, every level present."""
    levels = 1 << depth
    g = gray_picture(w, h).astype(np.int64)
    v = (g * (levels - 1) + 127) // 255
    x, _ = coords(w, h)
    v[0, : min(levels, w)] = np.arange(min(levels, w))  # every level in row 0
    v[1, :] = x[1, :] % levels
    return v.astype(np.uint8)


def palette_colours(n, seed):
    rnd = random.Random(seed)
    cols = []
    for i in range(n):
        cols.append((rnd.randrange(256), (i * 255) // max(n - 1, 1), 255 - (i * 97) % 256))
    return cols


def palette_indices(w, h, n):
    x, y = coords(w, h)
    idx = (x // 3 + (y // 2) * 5) % n
    disc = (x - w // 2) ** 2 + (y - h // 2) ** 2 <= (min(w, h) // 3) ** 2
    idx = np.where(disc, n - 1, idx)
    idx[0, : min(n, w)] = np.arange(min(n, w))
    return idx.astype(np.uint8)


# ---------------------------------------------------------------------------
# A minimal PNG encoder.


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """One row of samples (1-D array, channels interleaved) -> bytes, MSB first."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    out = bytearray((len(samples) * depth + 7) // 8)
    for i, v in enumerate(samples.tolist()):
        out[i // per_byte] |= int(v) << (8 - depth * (i % per_byte + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(ftype, row: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray([ftype])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[ftype]
        out.append((x - pred) & 0xFF)
    return bytes(out)


def scanlines(samples, depth, channels, row_offset=0):
    """Filtered scanlines of one (sub)image; the filter type cycles 0..4 by row."""
    h = samples.shape[0]
    flat = samples.reshape(h, -1)
    bpp = max(1, channels * depth // 8)
    prev = None
    out = bytearray()
    for r in range(h):
        raw = pack_row(flat[r], depth)
        if prev is None:
            prev = bytes(len(raw))
        out += filter_row((r + row_offset) % 5, raw, prev, bpp)
        prev = raw
    return bytes(out)


def encode_png(samples, depth, color_type, *, palette=None, trns=None, interlace=False, idat_split=None):
    """samples: (h, w) or (h, w, c) array of raw sample values (indices for palette)."""
    h, w = samples.shape[:2]
    channels = CHANNELS[color_type]
    if samples.ndim == 2:
        samples = samples[:, :, None]
    assert samples.shape[2] == channels
    assert int(samples.max()) < (1 << depth)
    if interlace:
        raw = bytearray()
        for p, (sx, sy, dx, dy) in enumerate(ADAM7):
            sub = samples[sy::dy, sx::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue  # empty passes have no scanlines at all
            raw += scanlines(sub, depth, channels, row_offset=p)
        raw = bytes(raw)
    else:
        raw = scanlines(samples, depth, channels)
    z = zlib.compress(raw, 9)
    out = PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette is not None:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    if idat_split:
        for i in range(0, len(z), idat_split):
            out += chunk(b"IDAT", z[i : i + idat_split])
    else:
        out += chunk(b"IDAT", z)
    out += chunk(b"IEND", b"")
    return out


def png_chunks(data: bytes):
    """(offset, length, type) of each chunk."""
    pos, found = 8, []
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        found.append((pos, n, kind))
        pos += 12 + n
    return found


# ---------------------------------------------------------------------------
# Independent check of PNG expectations: Pillow's decode, reduced the same way.


def pillow_png_pixels(data: bytes, layout: str) -> bytes:
    im = Image.open(io.BytesIO(data))
    im.load()
    if im.mode in ("I;16", "I;16B", "I"):  # 16-bit gray: keep the high byte
        a = np.asarray(im).astype(np.uint32)
        return (a >> 8).astype(np.uint8).tobytes()
    if im.mode == "P":
        im = im.convert("RGBA").convert("RGB") if "transparency" in im.info else im.convert("RGB")
        # RGBA -> RGB in Pillow drops alpha without compositing.
    want = "L" if layout == "gray" else "RGB"
    if im.mode == "LA" or im.mode == "RGBA" or im.mode == "1":
        im = im.convert(want)
    assert im.mode == want, (im.mode, want)
    return im.tobytes()


# ---------------------------------------------------------------------------
# Format detection, as ImageFormat.detect does it (used to check the bad inputs).


def detect(b: bytes):
    b = b[:16]
    if b.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if b.startswith(PNG_SIGNATURE):
        return "png"
    if b.startswith(b"GIF87a") or b.startswith(b"GIF89a"):
        return "gif"
    if b.startswith(b"BM") and len(b) >= 14:
        return "bmp"
    if b.startswith(b"RIFF") and b[8:12] == b"WEBP":
        return "webp"
    if b.startswith(b"II*\x00") or b.startswith(b"MM\x00*"):
        return "tiff"
    if b[4:8] == b"ftyp":
        return "heif-ish"
    if b.startswith(b"\x00\x00\x00\x0cjP  ") or b.startswith(b"\xff\x4f\xff\x51"):
        return "jpeg2000"
    if b.startswith(b"\xff\x0a") or b.startswith(b"\x00\x00\x00\x0cJXL "):
        return "jxl"
    return None


def jpeg_segments(data: bytes):
    """(offset, marker, segment length) up to and including SOS; and the scan start."""
    pos, segs = 2, []
    while pos < len(data):
        assert data[pos] == 0xFF, pos
        marker = data[pos + 1]
        n = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segs.append((pos, marker, n))
        pos += 2 + n
        if marker == 0xDA:
            return segs, pos
    raise ValueError("no SOS")


# ---------------------------------------------------------------------------


class Fixtures:
    def __init__(self, out: pathlib.Path):
        self.out = out
        self.manifest = []

    def write(self, name, data: bytes):
        (self.out / name).write_bytes(data)

    def add(self, **entry):
        # "format" is always present (null: no image signature); other unset fields are left out.
        self.manifest.append({k: v for k, v in entry.items() if v is not None or k == "format"})

    # PNG -------------------------------------------------------------------
    def png(self, name, description, samples, depth, color_type, expected, *, palette=None, trns=None,
            interlace=False, idat_split=None):
        data = encode_png(samples, depth, color_type, palette=palette, trns=trns, interlace=interlace,
                          idat_split=idat_split)
        h, w = samples.shape[:2]
        layout = "gray" if color_type in (0, 4) else "rgb"
        expected = np.ascontiguousarray(expected, dtype=np.uint8)
        assert expected.shape == ((h, w) if layout == "gray" else (h, w, 3)), (name, expected.shape)
        exp = expected.tobytes()
        got = pillow_png_pixels(data, layout)
        if got != exp:
            raise SystemExit(f"{name}: Pillow decodes different pixels from the expectation")
        self.write(name, data)
        self.write(name + ".expected", exp)
        self.add(file=name, format="png", width=w, height=h, layout=layout, bit_depth=depth,
                 color_type=color_type, description=description, interlaced=interlace,
                 has_trns=trns is not None, expected=name + ".expected", sha256=sha256(exp),
                 max_abs_diff_allowed=0)
        return data

    # JPEG ------------------------------------------------------------------
    def jpeg(self, name, description, im: Image.Image, checks=(), **save):
        buf = io.BytesIO()
        im.save(buf, "JPEG", **save)
        data = buf.getvalue()
        for check in checks:
            assert check(data), (name, check.__name__)
        self.write(name, data)
        dec = Image.open(io.BytesIO(data))
        dec.load()
        layout = "gray" if dec.mode == "L" else "rgb"
        assert dec.mode in ("L", "RGB"), dec.mode
        self.write(name + ".expected", dec.tobytes())
        self.add(file=name, format="jpeg", width=dec.width, height=dec.height, layout=layout,
                 description=description, progressive=bool(save.get("progressive")), expected=name + ".expected",
                 sha256=sha256(dec.tobytes()), pillow_sha256=sha256(dec.tobytes()), max_abs_diff_allowed=0)
        return data

    def bad(self, name, description, data: bytes, expect_error, fmt=None, **extra):
        self.write(name, data)
        assert detect(data) == fmt, (name, detect(data), fmt)
        self.add(file=name, format=fmt, description=description, expect_error=expect_error, **extra)


def has_marker(code):
    def check(data):
        return bytes([0xFF, code]) in data
    check.__name__ = f"has_marker_{code:02X}"
    return check


def has_restarts(data):
    _, scan = jpeg_segments(data)
    return any(bytes([0xFF, 0xD0 + i]) in data[scan:] for i in range(8))


def is_progressive(data):
    return any(m == 0xC2 for _, m, _ in jpeg_segments(data)[0])


def is_baseline(data):
    return any(m == 0xC0 for _, m, _ in jpeg_segments(data)[0])


def build(out: pathlib.Path):
    f = Fixtures(out)

    # ---- PNG: gray ---------------------------------------------------------
    W, H = 37, 23
    scale = {1: 255, 2: 85, 4: 17}
    for depth in (1, 2, 4):
        v = gray_levels(W, H, depth)
        f.png(f"gray{depth}.png", f"{depth}-bit gray (scaled by {scale[depth]})", v, depth, 0, v * scale[depth])
    g8 = gray_picture(W, H)
    f.png("gray8.png", "8-bit gray", g8, 8, 0, g8)
    g16 = widen(gray_picture(41, 27))
    f.png("gray16.png", "16-bit gray (high byte kept)", g16, 16, 0, g16 >> 8, idat_split=300)
    f.png("gray8_trns.png", "8-bit gray with a tRNS chunk (ignored)", g8, 8, 0, g8,
          trns=struct.pack(">H", int(g8[H // 2, W // 2])))
    v4 = gray_levels(W, H, 4)
    f.png("gray4_trns.png", "4-bit gray with a tRNS chunk (ignored)", v4, 4, 0, v4 * 17, trns=struct.pack(">H", 0))
    g16t = widen(gray_picture(W, H))
    f.png("gray16_trns.png", "16-bit gray with a tRNS chunk (ignored)", g16t, 16, 0, g16t >> 8,
          trns=struct.pack(">H", int(g16t[3, 3])))

    # ---- PNG: gray + alpha -------------------------------------------------
    a8 = alpha_picture(W, H)
    f.png("graya8.png", "8-bit gray+alpha (alpha dropped, not composited)", np.stack([g8, a8], -1), 8, 4, g8)
    ga16 = widen(np.stack([g8, a8], -1))
    f.png("graya16.png", "16-bit gray+alpha (high byte, alpha dropped)", ga16, 16, 4, g8)

    # ---- PNG: RGB / RGBA -----------------------------------------------------
    rgb = rgb_picture(W, H)
    f.png("rgb8.png", "8-bit RGB", rgb, 8, 2, rgb)
    rgb64 = rgb_picture(64, 48)
    f.png("rgb8_64x48.png", "8-bit RGB, 64x48, IDAT split into 1000-byte chunks", rgb64, 8, 2, rgb64,
          idat_split=1000)
    rgb16 = widen(rgb)
    f.png("rgb16.png", "16-bit RGB (high byte kept)", rgb16, 16, 2, rgb)
    f.png("rgb8_trns.png", "8-bit RGB with a tRNS chunk (ignored)", rgb, 8, 2, rgb,
          trns=struct.pack(">HHH", *[int(c) for c in rgb[H // 2, W // 5 + 1]]))
    rgba = np.concatenate([rgb, a8[:, :, None]], -1)
    f.png("rgba8.png", "8-bit RGBA (alpha dropped, not composited)", rgba, 8, 6, rgb)
    rgba16 = widen(rgba)
    f.png("rgba16.png", "16-bit RGBA (high byte, alpha dropped)", rgba16, 16, 6, rgb)

    # ---- PNG: palette ------------------------------------------------------
    pal_sizes = {1: 2, 2: 3, 4: 13, 8: 200}  # 2-bit and 4-bit: fewer entries than indices allow
    for depth, n in pal_sizes.items():
        cols = palette_colours(n, seed=depth)
        idx = palette_indices(W, H, n)
        expected = np.array(cols, dtype=np.uint8)[idx]
        f.png(f"pal{depth}.png", f"{depth}-bit palette, {n} colours", idx, depth, 3, expected, palette=cols)
        alphas = bytes((i * 53) % 256 if i % 3 else 0 for i in range(max(1, n - 1)))  # shorter than PLTE
        f.png(f"pal{depth}_trns.png", f"{depth}-bit palette, {n} colours, tRNS with {len(alphas)} entries (ignored)",
              idx, depth, 3, expected, palette=cols, trns=alphas)

    # ---- PNG: Adam7 interlaced (same pixels as the non-interlaced ones) --------
    f.png("rgb8_interlaced.png", "8-bit RGB, Adam7", rgb, 8, 2, rgb, interlace=True)
    f.png("rgba16_interlaced.png", "16-bit RGBA, Adam7 (high byte, alpha dropped)", rgba16, 16, 6, rgb,
          interlace=True)
    v2 = gray_levels(W, H, 2)
    f.png("gray2_interlaced.png", "2-bit gray, Adam7", v2, 2, 0, v2 * 85, interlace=True)
    cols4 = palette_colours(13, seed=4)
    idx4 = palette_indices(W, H, 13)
    f.png("pal4_interlaced.png", "4-bit palette, 13 colours, Adam7", idx4, 4, 3,
          np.array(cols4, dtype=np.uint8)[idx4], palette=cols4, interlace=True)
    tiny = np.array([[10, 200, 30], [90, 0, 255]], dtype=np.uint8)
    f.png("gray8_interlaced_3x2.png", "8-bit gray 3x2, Adam7 with empty passes", tiny, 8, 0, tiny, interlace=True)

    # ---- JPEG --------------------------------------------------------------
    JW, JH = 61, 45
    jrgb = Image.fromarray(rgb_picture(JW, JH), "RGB")
    base = f.jpeg("baseline_420.jpg", "baseline, YCbCr 4:2:0, 61x45", jrgb, (is_baseline,), quality=90,
                  subsampling=2)
    f.jpeg("baseline_444.jpg", "baseline, YCbCr 4:4:4, 61x45", jrgb, (is_baseline,), quality=90, subsampling=0)
    f.jpeg("baseline_422.jpg", "baseline, YCbCr 4:2:2, 61x45", jrgb, (is_baseline,), quality=85, subsampling=1)
    f.jpeg("progressive.jpg", "progressive, YCbCr 4:2:0, 61x45", jrgb, (is_progressive,), quality=90,
           progressive=True, subsampling=2)
    f.jpeg("gray.jpg", "baseline grayscale (1 component), 61x45", Image.fromarray(gray_picture(JW, JH), "L"),
           (is_baseline,), quality=90)
    f.jpeg("restart.jpg", "baseline 4:2:0 with a restart marker every 2 MCUs (DRI)", jrgb,
           (is_baseline, has_marker(0xDD), has_restarts), quality=90, subsampling=2, restart_marker_blocks=2)
    f.jpeg("progressive_restart.jpg", "progressive 4:2:0 with a restart marker every MCU row (DRI)", jrgb,
           (is_progressive, has_marker(0xDD), has_restarts), quality=90, subsampling=2, progressive=True,
           restart_marker_rows=1)

    # CMYK: Pillow writes inverted (Adobe) CMYK with an APP14 "Adobe" marker.
    x, y = coords(JW, JH)
    cmyk = np.stack([(x * 255) // (JW - 1), (y * 255) // (JH - 1), ((x + y) * 127) // (JW + JH),
                     np.where((x > JW // 3) & (y > JH // 3), 90, (x * 3) % 64)], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(cmyk, "CMYK").save(buf, "JPEG", quality=92)
    cmyk_jpeg = buf.getvalue()
    app14 = [p for p, m, _ in jpeg_segments(cmyk_jpeg)[0] if m == 0xEE]
    assert app14 and cmyk_jpeg[app14[0] + 4 : app14[0] + 9] == b"Adobe", "no Adobe APP14 marker"
    f.write("cmyk.jpg", cmyk_jpeg)
    dec = Image.open(io.BytesIO(cmyk_jpeg))
    dec.load()
    assert dec.mode == "CMYK"
    pil_rgb = dec.convert("RGB").tobytes()
    # The same conversion by formula, on the ink values Pillow decoded (already un-inverted).
    ink = np.asarray(dec).astype(np.int64)
    nk = 255 - ink[..., 3:4]
    t = ink[..., :3] * nk + 128
    formula = np.clip(nk - (((t >> 8) + t) >> 8), 0, 255).astype(np.uint8).tobytes()
    assert formula == pil_rgb, "CMYK formula differs from Pillow's convert('RGB')"
    f.write("cmyk.jpg.rgb", pil_rgb)
    f.add(file="cmyk.jpg", format="jpeg", width=JW, height=JH, layout="rgb",
          description="baseline CMYK (4 components, Adobe-inverted, APP14), saved by Pillow; RGB = Pillow convert('RGB')",
          progressive=False, expected="cmyk.jpg.rgb", sha256=sha256(pil_rgb), pillow_sha256=sha256(pil_rgb),
          max_abs_diff_allowed=2)

    # A JPEG named .png: the format comes from the bytes.
    renamed = io.BytesIO()
    Image.fromarray(rgb_picture(33, 21), "RGB").save(renamed, "JPEG", quality=88)
    renamed = renamed.getvalue()
    f.write("renamed.png", renamed)
    dec = Image.open(io.BytesIO(renamed))
    dec.load()
    f.write("renamed.png.expected", dec.tobytes())
    f.add(file="renamed.png", format="jpeg", width=33, height=21, layout="rgb",
          description="a baseline JPEG with a .png name: detected as JPEG by its signature", progressive=False,
          expected="renamed.png.expected", sha256=sha256(dec.tobytes()), pillow_sha256=sha256(dec.tobytes()),
          max_abs_diff_allowed=0)

    # ---- Bad inputs --------------------------------------------------------
    f.bad("empty.jpg", "zero bytes", b"", "empty")
    rnd = random.Random(20240613)
    garbage = bytes(rnd.randrange(256) for _ in range(512))
    while detect(garbage) is not None or garbage[0] in (0xFF, 0x89):
        garbage = bytes([0x5A]) + garbage[1:]
    f.bad("garbage.jpg", "512 pseudo-random bytes (seeded), no image signature", garbage, "unrecognized")
    f.bad("not_an_image.txt", "plain ASCII text",
          b"This is not an image. Sieve should say it does not recognise the format.\n", "unrecognized")

    segs, scan = jpeg_segments(base)
    cut = (len(base) * 6) // 10
    assert cut > scan + 16, "the 60% cut must fall inside the entropy-coded data"
    f.bad("truncated.jpg", f"baseline_420.jpg cut to its first {cut} of {len(base)} bytes (60%, inside the scan)",
          base[:cut], "truncated", fmt="jpeg", width=JW, height=JH, layout="rgb")

    # Corrupt entropy-coded data: the middle half of the scan overwritten with seeded
    # noise. No byte is 0xFF except in stuffed 0xFF 0x00 pairs, so no marker (and no
    # second EOI) is created; a run of six stuffed 0xFF bytes (48 one-bits) guarantees
    # an invalid Huffman code. libjpeg only *warns* about bad entropy data
    # ("Corrupt JPEG data: ..."), it never fails: see "libjpeg_reports" in the manifest.
    body_end = len(base) - 2  # before EOI
    assert base[body_end:] == b"\xff\xd9"
    start = scan + (body_end - scan) // 4
    stop = scan + (3 * (body_end - scan)) // 4
    if base[start - 1] == 0xFF:  # do not split a stuffed 0xFF 0x00 pair
        start += 1
    if base[stop - 1] == 0xFF:
        stop += 1
    crnd = random.Random(7)
    noise = bytearray(crnd.randrange(0, 255) for _ in range(stop - start))
    mid = len(noise) // 3
    noise[mid : mid + 12] = b"\xff\x00" * 6
    corrupt = base[:start] + bytes(noise) + base[stop:]
    assert len(corrupt) == len(base) and corrupt.count(b"\xff\xd9") == 1 and corrupt.endswith(b"\xff\xd9")
    assert all(corrupt[i + 1] == 0 for i in range(scan, body_end) if corrupt[i] == 0xFF)
    f.bad("corrupt_huffman.jpg",
          f"baseline_420.jpg with scan bytes {start}..{stop - 1} overwritten by seeded noise "
          "(no markers; includes 48 one-bits, an invalid Huffman code)",
          corrupt, "corrupt_or_truncated", fmt="jpeg", width=JW, height=JH, layout="rgb",
          libjpeg_reports="warnings only (e.g. 'Corrupt JPEG data: bad Huffman code'); no fatal error")

    # A Huffman table that cannot be valid: libjpeg fails in jpeg_read_header.
    segs, scan = jpeg_segments(base)
    dht = [p for p, m, _ in segs if m == 0xC4][0]
    bad_dht = bytearray(base)
    bad_dht[dht + 5 : dht + 21] = bytes([200] * 16)  # 16 code-length counts summing to 3200
    f.bad("corrupt_dht.jpg", "baseline_420.jpg with the first DHT's code counts set to 200 each (sum > 256)",
          bytes(bad_dht), "corrupt", fmt="jpeg", width=JW, height=JH, layout="rgb",
          libjpeg_reports="fatal JERR_BAD_HUFF_TABLE 'Bogus Huffman table definition' while reading the header")

    # PNG: cut in the middle of IDAT, and IDAT CRC flipped. One IDAT chunk, so the
    # cut lands in the zlib stream.
    good = encode_png(rgb, 8, 2)
    idat = [c for c in png_chunks(good) if c[2] == b"IDAT"]
    assert len(idat) == 1
    pos, n, _ = idat[0]
    f.bad("truncated.png", f"rgb8.png encoding cut in the middle of its IDAT data ({n} bytes)",
          good[: pos + 8 + n // 2], "truncated", fmt="png", width=W, height=H, layout="rgb")
    crc_at = pos + 8 + n
    bad_crc = bytearray(good)
    bad_crc[crc_at + 3] ^= 0x01
    f.bad("bad_crc.png", "rgb8.png encoding with the last byte of the IDAT CRC flipped", bytes(bad_crc), "corrupt",
          fmt="png", width=W, height=H, layout="rgb")

    # Bombs: valid headers claiming huge sizes, tiny payloads.
    bomb = (PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    f.bad("bomb.png", "PNG header claiming 100000x100000 8-bit RGB, tiny IDAT", bomb, "tooLarge", fmt="png",
          width=100000, height=100000)
    small = io.BytesIO()
    Image.fromarray(rgb_picture(16, 16), "RGB").save(small, "JPEG", quality=75)
    small = small.getvalue()
    segs, scan = jpeg_segments(small)
    sof = [p for p, m, _ in segs if m == 0xC0][0]
    patched = bytearray(small[:scan])
    assert patched[sof + 4] == 8 and patched[sof + 9] == 3  # precision 8, 3 components
    patched[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    scan_bytes = bytes(b for b in small[scan : scan + 24] if b != 0xFF)
    f.bad("bomb.jpg", "baseline JPEG whose SOF0 claims 60000x60000, 3 components; real tables, 24-byte scan",
          bytes(patched) + scan_bytes + b"\xff\xd9", "tooLarge", fmt="jpeg", width=60000, height=60000)

    # A JPEG 2000 signature box followed by filler: recognised, not decoded.
    f.bad("jp2_header.jp2", "JPEG 2000 signature box (recognised, not decoded)",
          b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(range(64)), "unsupportedFormat", fmt="jpeg2000")

    return f.manifest


# ---------------------------------------------------------------------------
# Optional: check every fixture against the real C shims (no Swift involved).

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sieve_png.h"
#include "sieve_jpeg.h"
/* Prints "ok W H CHANNELS ADOBE WARNINGS" and writes the pixels to argv[2], or
   "err STATUS MESSAGE" / "toolarge W H" / "empty" / "unrecognized". Limits as
   DecodingLimits.default: 65535 a side, 250 million pixels. */
static int too_large(unsigned long w, unsigned long h) {
  return w > 65535 || h > 65535 || (unsigned long long)w * h > 250000000ull;
}
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "rb"); fseek(f, 0, SEEK_END); long n = ftell(f); rewind(f);
  unsigned char *d = malloc(n + 1); if (fread(d, 1, n, f) != (size_t)n) return 2; fclose(f);
  FILE *o = fopen(argv[2], "wb");
  if (n == 0) { puts("empty"); return 0; }
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
    sieve_jpeg *j = sieve_jpeg_create(d, n); sieve_jpeg_info in; memset(&in, 0, sizeof in);
    int s = sieve_jpeg_read_header(j, &in);
    if (s) { printf("err %d %s\n", s, sieve_jpeg_message(j)); return 0; }
    if (too_large(in.width, in.height)) { printf("toolarge %u %u\n", in.width, in.height); return 0; }
    s = sieve_jpeg_start(j, 1, 0, 500, &in);
    if (s) { printf("err %d %s\n", s, sieve_jpeg_message(j)); return 0; }
    size_t stride = (size_t)in.output_width * in.output_components;
    unsigned char *buf = malloc(stride * 16);
    for (unsigned row = 0; row < in.output_height;) {
      int want = in.output_height - row < 16 ? in.output_height - row : 16;
      int got = sieve_jpeg_read_rows(j, buf, stride, want);
      if (got <= 0) { printf("err %d %s\n", got, sieve_jpeg_message(j)); return 0; }
      fwrite(buf, 1, stride * got, o); row += got;
    }
    printf("ok %u %u %d %d %d %s\n", in.output_width, in.output_height, in.output_components,
           in.saw_adobe_marker, sieve_jpeg_warning_count(j), sieve_jpeg_message(j));
    fclose(o); sieve_jpeg_destroy(j); return 0;
  }
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 8 && memcmp(d, sig, 8) == 0) {
    sieve_png *p = sieve_png_create(d, n); sieve_png_info in; memset(&in, 0, sizeof in);
    int s = sieve_png_read_header(p, &in);
    if (s) { printf("err %d %s\n", s, sieve_png_message(p)); return 0; }
    if (too_large(in.width, in.height)) { printf("toolarge %u %u\n", in.width, in.height); return 0; }
    s = sieve_png_start(p, 0, &in);
    if (s) { printf("err %d %s\n", s, sieve_png_message(p)); return 0; }
    size_t stride = (size_t)in.width * in.output_channels;
    unsigned char *buf = malloc(stride * in.height);
    if (in.interlaced) s = sieve_png_read_image(p, buf, stride);
    else for (unsigned row = 0; row < in.height && s >= 0; row += 16) {
      int want = in.height - row < 16 ? in.height - row : 16;
      s = sieve_png_read_rows(p, buf + row * stride, stride, want);
    }
    if (s < 0) { printf("err %d %s\n", s, sieve_png_message(p)); return 0; }
    fwrite(buf, 1, stride * in.height, o);
    printf("ok %u %u %d 0 0\n", in.width, in.height, in.output_channels);
    fclose(o); sieve_png_destroy(p); return 0;
  }
  puts("unrecognized");
  return 0;
}
"""


def cmyk_to_rgb(raw: bytes, adobe: bool) -> bytes:
    a = np.frombuffer(raw, np.uint8).reshape(-1, 4).astype(np.int64)
    if adobe:
        a = 255 - a
    nk = 255 - a[:, 3:4]
    t = a[:, :3] * nk + 128
    return np.clip(nk - (((t >> 8) + t) >> 8), 0, 255).astype(np.uint8).tobytes()


def check_shims(out: pathlib.Path, manifest) -> bool:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        print("--check-shims: no C compiler, skipped")
        return True
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "driver.c").write_text(DRIVER)
        exe = tmp / "driver"
        subprocess.run([cc, "-O1", "-o", str(exe), str(tmp / "driver.c"),
                        str(ROOT / "Sources/CPNG/sieve_png.c"), str(ROOT / "Sources/CJPEG/sieve_jpeg.c"),
                        "-I", str(ROOT / "Sources/CPNG/include"), "-I", str(ROOT / "Sources/CJPEG/include"),
                        "-lpng16", "-ljpeg"], check=True)
        for e in manifest:
            if e["file"] == "manifest.json":
                continue
            pix = tmp / "pixels"
            res = subprocess.run([str(exe), str(out / e["file"]), str(pix)], capture_output=True, text=True,
                                 check=True).stdout.strip()
            word = res.split(" ")[0]
            err = e.get("expect_error")
            if err is None:
                if word != "ok":
                    print(f"FAIL {e['file']}: {res}")
                    ok = False
                    continue
                _, w, h, ch, adobe, warnings = res.split(" ")[:6]
                data = pix.read_bytes()
                if ch == "4":
                    data = cmyk_to_rgb(data, adobe == "1")
                want_sha = e.get("sha256") or e.get("pillow_sha256")
                if (int(w), int(h)) != (e["width"], e["height"]):
                    print(f"FAIL {e['file']}: size {w}x{h}")
                    ok = False
                elif sha256(data) != want_sha:
                    ref = (out / e["expected"]).read_bytes() if e.get("expected") else None
                    diff = (int(np.abs(np.frombuffer(data, np.uint8).astype(int)
                                       - np.frombuffer(ref, np.uint8).astype(int)).max())
                            if ref is not None and len(ref) == len(data) else None)
                    if diff is not None and diff <= e.get("max_abs_diff_allowed", 0):
                        print(f"ok   {e['file']}: within {diff} of expected")
                    else:
                        print(f"FAIL {e['file']}: pixels differ (max diff {diff})")
                        ok = False
                else:
                    print(f"ok   {e['file']}" + (f" ({warnings} warnings)" if warnings != "0" else ""))
            else:
                expected_words = {"empty": ["empty"], "unrecognized": ["unrecognized"],
                                  "unsupportedFormat": ["unrecognized"],  # the driver knows only JPEG/PNG
                                  "tooLarge": ["toolarge"], "truncated": ["err -2"], "corrupt": ["err -1"],
                                  "corrupt_or_truncated": ["err -1", "err -2"]}[err]
                if any(res.startswith(x) for x in expected_words):
                    print(f"ok   {e['file']}: {res}")
                elif err == "corrupt_or_truncated" and word == "ok" and res.split(" ")[5] != "0":
                    print(f"WARN {e['file']}: the shim returns pixels with {res.split(' ')[5]} libjpeg warning(s), "
                          f"last: {' '.join(res.split(' ')[6:])!r}; the Swift decoder must turn warnings "
                          "into an error for expect_error to hold")
                else:
                    print(f"FAIL {e['file']}: expected {err}, shim says: {res}")
                    ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-shims", action="store_true",
                    help="also compile the C shims with cc and check every fixture against them")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name != "README.md":
            old.unlink()
    manifest = build(OUT)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(manifest)} fixtures, {len(list(OUT.iterdir()))} files, {total} bytes in {OUT.relative_to(ROOT)}")
    if args.check_shims and not check_shims(OUT, manifest):
        sys.exit(1)


if __name__ == "__main__":
    main()
