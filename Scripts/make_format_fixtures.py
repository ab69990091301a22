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
(out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"wrote {len(manifest)} fixtures to {out}")
