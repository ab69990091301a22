#!/usr/bin/env python3
"""Writes small synthetic GIF and WebP fixtures with the pixels Pillow decodes
(`Image.open(f).convert("RGB")`, first frame) into Tests/Fixtures/formats/, and a
manifest.json. Benign: gradients and shapes only.

Usage: python3 Scripts/make_format_fixtures.py   (needs Pillow, numpy)
"""
import hashlib, io, json, pathlib
import numpy as np
from PIL import Image

out = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/formats"
out.mkdir(parents=True, exist_ok=True)
manifest = []

def picture(w, h, seed=1):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1)).astype(np.uint8)
    g = (y * 255 // max(h - 1, 1)).astype(np.uint8)
    b = (((x // 6 + y // 5) % 2) * 200 + rng.integers(0, 40, size=(h, w))).astype(np.uint8)
    return np.dstack([r, g, b])

def add(name, data, description, lossless=True):
    (out / name).write_bytes(data)
    im = Image.open(io.BytesIO(data))
    im.seek(0)
    rgb = im.convert("RGB")
    (out / (name + ".rgb")).write_bytes(rgb.tobytes())
    manifest.append(dict(file=name, width=rgb.width, height=rgb.height, expected=name + ".rgb",
                         sha256=hashlib.sha256(rgb.tobytes()).hexdigest(), description=description,
                         max_abs_diff_allowed=0 if lossless else 3))

def save(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()

base = Image.fromarray(picture(45, 31), "RGB")
add("static.gif", save(base.quantize(64), "GIF"), "static GIF, 64-colour global palette, 45x31")
add("interlaced.gif", save(base.quantize(32), "GIF", interlace=True), "interlaced GIF, 45x31")
frames = [Image.fromarray(picture(45, 31, s), "RGB").quantize(16) for s in (2, 3, 4)]
add("animated.gif", save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
    "animated GIF, 3 frames: the first is hashed")
add("transparent.gif", save(base.quantize(16), "GIF", transparency=3), "GIF with a transparent index (ignored)")
add("lossless.webp", save(base, "WEBP", lossless=True), "lossless WebP, 45x31")
add("lossy.webp", save(base, "WEBP", quality=80), "lossy WebP (libwebp versions may differ by a level)", lossless=False)
rgba = Image.fromarray(np.dstack([picture(45, 31), np.full((31, 45), 128, np.uint8)]), "RGBA")
add("alpha.webp", save(rgba, "WEBP", lossless=True), "lossless WebP with alpha (dropped, not composited)")
anim = save(frames[0].convert("RGB"), "WEBP", save_all=True, append_images=[f.convert("RGB") for f in frames[1:]], lossless=True)
(out / "animated.webp").write_bytes(anim)
manifest.append(dict(file="animated.webp", expect_error="unsupported", description="animated WebP: refused for now"))
data = save(base.quantize(64), "GIF")
(out / "truncated.gif").write_bytes(data[: len(data) // 2])
manifest.append(dict(file="truncated.gif", expect_error="truncated_or_corrupt", description="static.gif cut in half"))
data = save(base, "WEBP", lossless=True)
(out / "truncated.webp").write_bytes(data[: len(data) // 2])
manifest.append(dict(file="truncated.webp", expect_error="truncated_or_corrupt", description="lossless.webp cut in half"))
# BMP: Pillow writes 1, 8-bit palette, 24-bit and 32-bit; 16-bit and top-down are built by hand.
import struct
add("rgb24.bmp", save(base, "BMP"), "24-bit BMP, bottom-up, 45x31 (rows padded to 4 bytes)")
add("pal8.bmp", save(base.quantize(200), "BMP"), "8-bit palette BMP")
add("bilevel.bmp", save(base.convert("1"), "BMP"), "1-bit BMP")
add("gray8.bmp", save(base.convert("L"), "BMP"), "8-bit grey-palette BMP")
add("rgba32.bmp", save(Image.fromarray(np.dstack([picture(45, 31), np.full((31, 45), 77, np.uint8)]), "RGBA"), "BMP"),
    "32-bit BMP with alpha (dropped)")
def bmp16(w, h, pix):  # 5-5-5, bottom-up
    stride = (w * 2 + 3) // 4 * 4
    rows = b""
    for y in range(h - 1, -1, -1):
        r = b"".join(struct.pack("<H", ((int(p[0]) >> 3) << 10) | ((int(p[1]) >> 3) << 5) | (int(p[2]) >> 3)) for p in pix[y])
        rows += r + b"\0" * (stride - len(r))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 16, 0, len(rows), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + len(rows), 0, 0, 54) + info + rows
add("rgb16.bmp", bmp16(45, 31, picture(45, 31)), "16-bit (5-5-5) BMP, built by hand")
data = bytearray(save(base, "BMP"))
w, h = 45, 31
stride = (w * 3 + 3) // 4 * 4
off = struct.unpack_from("<I", data, 10)[0]
rows = [bytes(data[off + i * stride: off + (i + 1) * stride]) for i in range(h)]
data[off:] = b"".join(reversed(rows))
struct.pack_into("<i", data, 22, -h)
add("topdown.bmp", bytes(data), "24-bit BMP stored top-down (negative height), built by hand")
(out / "truncated.bmp").write_bytes(save(base, "BMP")[:2000])
manifest.append(dict(file="truncated.bmp", expect_error="truncated_or_corrupt", description="rgb24.bmp cut at 2000 bytes"))

# TIFF: Pillow writes uncompressed, LZW, deflate, JPEG-in-TIFF; grey, RGB, palette, 16-bit grey.
add("rgb.tif", save(base, "TIFF"), "uncompressed RGB TIFF")
add("lzw.tif", save(base, "TIFF", compression="tiff_lzw"), "LZW RGB TIFF")
add("deflate.tif", save(base, "TIFF", compression="tiff_adobe_deflate"), "deflate RGB TIFF")
add("gray.tif", save(base.convert("L"), "TIFF"), "8-bit grey TIFF")
add("palette.tif", save(base.quantize(64), "TIFF"), "palette TIFF")
multi = io.BytesIO()
base.save(multi, "TIFF", save_all=True, append_images=[Image.fromarray(picture(45, 31, 9), "RGB")])
add("multipage.tif", multi.getvalue(), "two-page TIFF: the first page is hashed")
(out / "truncated.tif").write_bytes(save(base, "TIFF")[:1500])
manifest.append(dict(file="truncated.tif", expect_error="truncated_or_corrupt", description="rgb.tif cut at 1500 bytes"))

# HEIF/AVIF: written with pillow-heif (pip install pillow-heif) when it is installed;
# pixels compared with a tolerance (pillow-heif bundles its own libheif and YCbCr conversion).
try:
    import pillow_heif
    pillow_heif.register_heif_opener()
    big = Image.fromarray(picture(64, 48), "RGB")
    add("photo.heic", save(big, "HEIF", quality=90), "HEIC (HEVC) 64x48, pillow-heif", lossless=False)
    add("photo.avif", save(big, "AVIF", quality=90), "AVIF (AV1) 64x48, pillow-heif", lossless=False)
    for m in manifest:
        if m["file"] in ("photo.heic", "photo.avif"):
            # Lossy 4:2:0 chroma is upsampled differently by the two libheif builds: a
            # few samples differ a lot, the mean very little.
            m["max_abs_diff_allowed"] = 255
            m["max_mean_diff"] = 4.0 if m["file"].endswith(".heic") else 12.0
            # AVIF: Debian's libheif 1.15 and pillow-heif's newer libheif convert AV1
            # colour differently (measured mean difference 10.9 levels); PDQ stays close.
    data = (out / "photo.heic").read_bytes()
    (out / "truncated.heic").write_bytes(data[: len(data) // 2])
    manifest.append(dict(file="truncated.heic", expect_error="truncated_or_corrupt", description="photo.heic cut in half"))
except ImportError:
    print("pillow-heif not installed: HEIF/AVIF fixtures not rewritten")

(out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"wrote {len(manifest)} fixtures to {out}")
