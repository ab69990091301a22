#!/usr/bin/env python3
"""Writes small crafted "decompression bomb" images into Tests/Fixtures/bombs/: files of a
few bytes to about a megabyte whose headers or compressed payloads make a naive decoder
allocate or inflate hundreds of megabytes to gigabytes. Everything is synthetic: solid
colours, runs of zeros or spaces, an 8×8 gradient. Nothing is downloaded.

Usage:
    python3 Scripts/make_bomb_fixtures.py            # ~20 s on 2 cores, peak RSS ~3.2 GB
    python3 Scripts/make_bomb_fixtures.py --quick    # skip the slow WebP/HEIF encodes

Needs Python 3 with Pillow (13.0.0 was used) and pillow-heif (1.8.1, libheif 1.23.6 with
x265) for the HEIC. TIFF, GIF and PNG files are written byte by byte here (struct + zlib),
so they are exactly what is described below; their bytes depend only on zlib (1.2.13 was
used; level 9, default strategy). The WebP and HEIC files come from Pillow's libwebp
(1.6.0) and pillow-heif's x265 (4.3), so their bytes can change with those versions (two
runs with the same versions gave identical bytes for every file). The script
overwrites only the files it writes; Tests/Fixtures/bombs/README.md is kept by hand and
describes each file (declared size, what naive decoding costs, what a safe decoder must do).

Files:
  tiff_tile_bomb.tif      16×16 8-bit gray TIFF with ONE 32768×32768 deflate tile (1 GiB
                          of zeros). Deflated with a Z_SYNC_FLUSH every 256 KiB so the
                          ratio is ~957:1, under libtiff's 1000:1 "likely invalid tile byte
                          count" heuristic: libtiff's own RGBA path really allocates 1 GiB.
  gif_screen_bomb.gif     GIF89a, logical screen 15000×15000, 2-colour table, one 1×1 frame.
  gif_frame_bomb.gif      GIF89a, logical screen 1×1, one 15000×15000 frame whose LZW data
                          holds 6 pixels and no end code (truncated).
  gif_lzw_long.gif        GIF89a 4000×4000, one frame of a single colour, complete LZW data
                          at the best ratio LZW allows (table grown to 4096 codes, then no
                          clear code: every later 12-bit code gives 4091 pixels).
  webp_lossless_solid.webp  lossless WebP 16383×16383 (libwebp's largest side), one grey.
  webp_lossy_solid.webp   lossy WebP 7168×7168, one grey (a 16383×16383 lossy WebP is
                          475 KB at best: VP8 spends ~3.6 bits per 16×16 macroblock).
  png_solid_bomb.png      1-bit gray PNG 20000×20000 (400 M pixels), all zeros.
  png_solid_15000.png     8-bit gray PNG 15000×15000 (225 M pixels, under a 250 M limit),
                          all zeros: the best ratio deflate gives 8-bit pixels (~1030:1).
  png_ztxt_bomb.png       valid 8×8 gray PNG with a zTXt chunk inflating to 100,000,000
                          spaces.
  png_iccp_bomb.png       valid 8×8 gray PNG with an iCCP chunk inflating to a
                          100,000,000-byte "profile" (valid GRAY ICC header, then zeros).
  heif_large_solid.heic   HEIC 16384×8704 one grey: 142,606,336 luma samples, the most
                          x265 accepts (HEVC level 7.2).
A 15000×15000 grey baseline JPEG (quality 75) is only measured, not written: it is 3.5 MB.
"""
import argparse
import io
import pathlib
import struct
import sys
import zlib

from PIL import Image, ImageFile

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/bombs"
ZERO_CHUNK = 16 << 20


def deflate_run(count, byte=0, flush_every=None, wbits=15):
    """zlib stream (level 9) of `count` copies of `byte`, built in 16 MiB pieces so memory
    stays small. With flush_every, a Z_SYNC_FLUSH after every that many input bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits, 9)
    piece = bytes([byte]) * (flush_every or ZERO_CHUNK)
    out = []
    left = count
    while left > 0:
        k = min(left, len(piece))
        out.append(c.compress(piece if k == len(piece) else piece[:k]))
        left -= k
        if flush_every and left > 0:
            out.append(c.flush(zlib.Z_SYNC_FLUSH))
    out.append(c.flush())
    return b"".join(out)


# ---------------------------------------------------------------- TIFF

def tiff_tile_bomb():
    tile = 32768
    data = deflate_run(tile * tile, flush_every=256 << 10)
    # Classic little-endian TIFF: header, the tile's data at offset 8, then the IFD.
    entries = [  # (tag, type, value); 3 = SHORT, 4 = LONG; all single values
        (256, 3, 16),          # ImageWidth
        (257, 3, 16),          # ImageLength
        (258, 3, 8),           # BitsPerSample
        (259, 3, 8),           # Compression: Adobe deflate
        (262, 3, 1),           # Photometric: BlackIsZero
        (277, 3, 1),           # SamplesPerPixel
        (284, 3, 1),           # PlanarConfig: contiguous
        (322, 4, tile),        # TileWidth
        (323, 4, tile),        # TileLength
        (324, 4, 8),           # TileOffsets
        (325, 4, len(data)),   # TileByteCounts
    ]
    pad = len(data) & 1
    ifd_offset = 8 + len(data) + pad
    out = bytearray(b"II" + struct.pack("<HI", 42, ifd_offset)) + data + b"\0" * pad
    out += struct.pack("<H", len(entries))
    for tag, typ, value in entries:
        if typ == 3:
            out += struct.pack("<HHIHH", tag, 3, 1, value, 0)
        else:
            out += struct.pack("<HHII", tag, 4, 1, value)
    out += struct.pack("<I", 0)  # no next IFD
    return bytes(out)


# ---------------------------------------------------------------- GIF

class BitWriter:
    """GIF LZW codes, least significant bit first."""

    def __init__(self):
        self.bytes = bytearray()
        self.acc = 0
        self.nbits = 0

    def write(self, code, width):
        self.acc |= code << self.nbits
        self.nbits += width
        while self.nbits >= 8:
            self.bytes.append(self.acc & 0xFF)
            self.acc >>= 8
            self.nbits -= 8

    def finish(self):
        if self.nbits:
            self.bytes.append(self.acc & 0xFF)
        return bytes(self.bytes)


def gif_sub_blocks(data):
    out = bytearray()
    for i in range(0, len(data), 255):
        part = data[i:i + 255]
        out += bytes([len(part)]) + part
    return bytes(out + b"\0")


def lzw_solid(pixels, colour, min_code_size=2, end=True):
    """LZW codes for `pixels` copies of one palette index. After the clear code, the k-th
    code stands for a run of k pixels and adds the entry for a run of k + 1; once the table
    holds 4096 entries no clear code is sent (a "deferred clear", allowed by GIF89a) and
    every further code is the longest run. Code widths follow giflib's encoder (wider
    codes after any code once the next entry would not fit in the current width)."""
    clear = 1 << min_code_size
    eoi = clear + 1
    w = BitWriter()
    width = min_code_size + 1
    next_code = eoi + 1           # the entry for a run of 2
    longest = 1                   # longest run with a code
    w.write(clear, width)
    left = pixels
    while left > 0:
        run = min(longest, left)
        w.write(colour if run == 1 else eoi + run - 1, width)
        left -= run
        if next_code == (1 << width) and width < 12:
            width += 1            # the next entry no longer fits: wider codes from now on
        if left > 0 and run == longest and next_code < 4096:
            next_code += 1
            longest += 1
    if end:
        w.write(eoi, width)
    return w.finish()


def gif(screen, frame, lzw, min_code_size=2, palette=b"\x80\x80\x80\x00\x00\x00"):
    sw, sh = screen
    fw, fh = frame
    gct_bits = (len(palette) // 3).bit_length() - 2        # 2 colours -> 0
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", sw, sh, 0x80 | 0x70 | gct_bits, 0, 0)  # GCT, 8-bit colour res.
    out += palette
    out += b"\x2c" + struct.pack("<HHHHB", 0, 0, fw, fh, 0)         # image descriptor
    out += bytes([min_code_size]) + gif_sub_blocks(lzw)
    out += b"\x3b"
    return bytes(out)


def gif_frame_bomb_lzw():
    """Six pixels of index 0 (codes clear, 0, run 2, run 3), no end code."""
    w = BitWriter()
    for code in (4, 0, 6, 7):
        w.write(code, 3)
    return w.finish()


# ---------------------------------------------------------------- PNG

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_ihdr(width, height, bit_depth, colour_type=0):
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))


def png_solid_zero(width, height, bit_depth):
    """Gray PNG of zeros; the IDAT stream is built a block of rows at a time."""
    row = bytes(1 + (width * bit_depth + 7) // 8)   # filter type 0 + zero samples
    c = zlib.compressobj(9, zlib.DEFLATED, 15, 9)
    rows_per_piece = max(1, ZERO_CHUNK // len(row))
    piece = row * rows_per_piece
    parts = []
    left = height
    while left > 0:
        k = min(left, rows_per_piece)
        parts.append(c.compress(piece if k == rows_per_piece else row * k))
        left -= k
    parts.append(c.flush())
    return (PNG_SIGNATURE + png_ihdr(width, height, bit_depth)
            + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b""))


def png_small_with(extra_chunk):
    """Valid 8×8 8-bit gray PNG (a diagonal gradient) with one extra chunk before IDAT."""
    raw = b"".join(b"\0" + bytes((x + y) * 16 for x in range(8)) for y in range(8))
    return (PNG_SIGNATURE + png_ihdr(8, 8, 8) + extra_chunk
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


BIG_ANCILLARY = 100_000_000   # bytes a zTXt / iCCP chunk inflates to


def png_ztxt_bomb():
    body = b"Comment\0\0" + deflate_run(BIG_ANCILLARY, byte=0x20)  # keyword, NUL, method 0
    return png_small_with(png_chunk(b"zTXt", body))


def png_iccp_bomb():
    # ICC v2.1 display profile header for a GRAY device with an XYZ PCS, declaring the
    # full 100,000,000-byte length; tag count 0; then zeros.
    header = struct.pack(">I4sI4s4s4s12s4s4sI4s4sQI12s4s44s",
                         BIG_ANCILLARY, b"\0\0\0\0", 0x02100000, b"mntr", b"GRAY", b"XYZ ",
                         bytes(12), b"acsp", b"\0\0\0\0", 0, b"\0\0\0\0", b"\0\0\0\0", 0, 0,
                         struct.pack(">iii", 0xF6D6, 0x10000, 0xD32D), b"\0\0\0\0", bytes(44))
    assert len(header) == 128 and header[36:40] == b"acsp"
    c = zlib.compressobj(9, zlib.DEFLATED, 15, 9)
    parts = [c.compress(header)]
    left = BIG_ANCILLARY - len(header)
    zeros = bytes(ZERO_CHUNK)
    while left > 0:
        k = min(left, len(zeros))
        parts.append(c.compress(zeros if k == len(zeros) else zeros[:k]))
        left -= k
    parts.append(c.flush())
    body = b"ICC profile\0\0" + b"".join(parts)
    return png_small_with(png_chunk(b"iCCP", body))


# ---------------------------------------------------------------- Pillow-made

def pillow_bytes(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def webp_lossless_solid():
    # method 0 gives 38 bytes; method 6 gives ~10 KB (and takes 90 s).
    return pillow_bytes(Image.new("RGB", (16383, 16383), (128, 128, 128)), "WEBP",
                        lossless=True, quality=100, method=0)


def webp_lossy_solid():
    return pillow_bytes(Image.new("RGB", (7168, 7168), (128, 128, 128)), "WEBP",
                        quality=75, method=6)


def heif_large_solid():
    import pillow_heif
    pillow_heif.register_heif_opener()
    return pillow_bytes(Image.new("RGB", (16384, 8704), (128, 128, 128)), "HEIF", quality=50)


def jpeg_solid_large():
    return pillow_bytes(Image.new("RGB", (15000, 15000), (128, 128, 128)), "JPEG", quality=75)


# ---------------------------------------------------------------- HEIF and AVIF by hand
# Containers whose boxes declare one size while their streams code another. The coded
# pictures come from pillow-heif (HEVC) and Debian's heif-enc (AV1, libheif-examples
# 1.15.1 with libaom 3.6.0); the boxes around them are patched or written here.

def box(kind, payload):
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind, version, flags, payload):
    return box(kind, struct.pack(">I", version << 24 | flags) + payload)


def child_boxes(data):
    """{type: [whole box bytes]} of the boxes laid end to end in `data`."""
    found, offset = {}, 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        found.setdefault(kind, []).append(data[offset:offset + size])
        offset += size
    return found


def item_properties(data):
    """{type: [box bytes]} of the ipco children of a HEIF file written by libheif."""
    meta = child_boxes(data)[b"meta"][0]
    iprp = child_boxes(meta[12:])[b"iprp"][0]
    return child_boxes(child_boxes(iprp[8:])[b"ipco"][0][8:])


def patch_ispe(data, width, height):
    """`data` with its (only) ispe box declaring width×height."""
    at = data.index(b"ispe")
    assert data.count(b"ispe") == 1
    return data[:at + 8] + struct.pack(">II", width, height) + data[at + 16:]


def heif_enc_avif(width, height):
    """Debian's heif-enc (libaom) AVIF of a width×height grey picture."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        png, avif = pathlib.Path(folder) / "in.png", pathlib.Path(folder) / "out.avif"
        Image.new("RGB", (width, height), (128, 128, 128)).save(png)
        subprocess.run(["heif-enc", "-A", "-q", "50", "-p", "speed=9", "-o", str(avif), str(png)],
                       check=True, capture_output=True)
        return avif.read_bytes()


def heif_ispe_lie():
    return patch_ispe(heif_large_solid(), 2048, 2048)


def avif_ispe_lie():
    return patch_ispe(heif_enc_avif(16384, 8704), 2048, 2048)


def heif_sps_in_data():
    """The 64×48 photo.heic of Tests/Fixtures/formats with the SPS of the 16384×8704 HEIC
    put in front of its coded data (as 4-byte-length NAL unit): what libde265 is handed
    after the small SPS of the hvcC box."""
    small = bytearray((OUT.parent / "formats/photo.heic").read_bytes())
    hvcc = item_properties(heif_large_solid())[b"hvcC"][0]
    at, arrays = 8 + 23, hvcc[8 + 22]
    sps = None
    for _ in range(arrays):
        nal_type, count = hvcc[at] & 0x3F, struct.unpack(">H", hvcc[at + 1:at + 3])[0]
        at += 3
        for _ in range(count):
            length = struct.unpack(">H", hvcc[at:at + 2])[0]
            if nal_type == 33:
                sps = hvcc[at + 2:at + 2 + length]
            at += 2 + length
    nal = struct.pack(">I", len(sps)) + sps
    # photo.heic: one item in one extent at the start of mdat's payload, mdat last.
    iloc = small.index(b"iloc") - 4
    base, = struct.unpack(">I", small[iloc + 20:iloc + 24])
    extent, length = struct.unpack(">II", small[iloc + 26:iloc + 34])
    offset = base + extent
    mdat = small.index(b"mdat") - 4
    assert mdat + 8 == offset and mdat + 8 + length == len(small)
    small[iloc + 30:iloc + 34] = struct.pack(">I", length + len(nal))
    small[mdat:mdat + 4] = struct.pack(">I", 8 + length + len(nal))
    return bytes(small[:offset]) + nal + bytes(small[offset:])


def avif_grid(tile, rows, canvas, declared, tile_declared=None):
    """An AVIF whose primary item is a rows×rows grid of one grey tile×tile AV1 still (every
    tile the same bytes), its canvas canvas×canvas in the grid data and declared×declared
    in its ispe box; each tile's ispe declares tile_declared×tile_declared (default: tile)."""
    tile_declared = tile_declared or tile
    still = heif_enc_avif(tile, tile)
    av1c = item_properties(still)[b"av1C"][0]
    payload = child_boxes(still)[b"mdat"][0][8:]
    tiles = list(range(2, rows * rows + 2))
    grid = struct.pack(">BBBBHH", 0, 0, rows - 1, rows - 1, canvas, canvas)
    ftyp = box(b"ftyp", b"avif" + struct.pack(">I", 0) + b"avifmif1miaf")

    def meta(mdat_payload):
        hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I", 0) + b"pict" + bytes(13))
        pitm = full_box(b"pitm", 0, 0, struct.pack(">H", 1))
        infe = full_box(b"infe", 2, 0, struct.pack(">HH", 1, 0) + b"grid\0")
        infe += b"".join(full_box(b"infe", 2, 1, struct.pack(">HH", i, 0) + b"av01\0") for i in tiles)
        iinf = full_box(b"iinf", 0, 0, struct.pack(">H", len(tiles) + 1) + infe)
        dimg = box(b"dimg", struct.pack(">HH", 1, len(tiles)) + b"".join(struct.pack(">H", i) for i in tiles))
        iref = full_box(b"iref", 0, 0, dimg)
        items = struct.pack(">HHHII", 1, 0, 1, mdat_payload, len(grid))
        items += b"".join(struct.pack(">HHHII", i, 0, 1, mdat_payload + len(grid), len(payload)) for i in tiles)
        iloc = full_box(b"iloc", 0, 0, struct.pack(">BBH", 0x44, 0, len(tiles) + 1) + items)
        ipco = box(b"ipco", av1c + full_box(b"ispe", 0, 0, struct.pack(">II", tile_declared, tile_declared))
                   + full_box(b"ispe", 0, 0, struct.pack(">II", declared, declared)))
        ipma = struct.pack(">I", len(tiles) + 1) + struct.pack(">HBB", 1, 1, 3)
        ipma += b"".join(struct.pack(">HBBB", i, 2, 0x81, 2) for i in tiles)
        iprp = box(b"iprp", ipco + full_box(b"ipma", 0, 0, ipma))
        return full_box(b"meta", 0, 0, hdlr + pitm + iloc + iinf + iref + iprp)

    start = len(ftyp) + len(meta(0)) + 8
    return ftyp + meta(start) + box(b"mdat", grid + payload)


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the WebP and HEIF encodes")
    args = parser.parse_args()
    Image.MAX_IMAGE_PIXELS = None    # the headers below are meant to be huge
    OUT.mkdir(parents=True, exist_ok=True)

    # (file, bytes maker, what the header declares, the size Pillow reports on open)
    files = [
        ("tiff_tile_bomb.tif", tiff_tile_bomb, "16x16, one 32768x32768 tile", (16, 16)),
        ("gif_screen_bomb.gif", lambda: gif((15000, 15000), (1, 1), lzw_solid(1, 0)),
         "screen 15000x15000, frame 1x1", (15000, 15000)),
        ("gif_frame_bomb.gif", lambda: gif((1, 1), (15000, 15000), gif_frame_bomb_lzw()),
         "screen 1x1, frame 15000x15000", (15000, 15000)),  # Pillow grows the canvas to the frame
        ("gif_lzw_long.gif", lambda: gif((4000, 4000), (4000, 4000), lzw_solid(4000 * 4000, 0)),
         "4000x4000", (4000, 4000)),
        ("png_solid_bomb.png", lambda: png_solid_zero(20000, 20000, 1), "20000x20000 1-bit", (20000, 20000)),
        ("png_solid_15000.png", lambda: png_solid_zero(15000, 15000, 8), "15000x15000 8-bit", (15000, 15000)),
        ("png_ztxt_bomb.png", png_ztxt_bomb, "8x8, zTXt of 100 MB", (8, 8)),
        ("png_iccp_bomb.png", png_iccp_bomb, "8x8, iCCP of 100 MB", (8, 8)),
    ]
    if not args.quick:
        files += [
            ("webp_lossless_solid.webp", webp_lossless_solid, "16383x16383", (16383, 16383)),
            ("webp_lossy_solid.webp", webp_lossy_solid, "7168x7168", (7168, 7168)),
            ("heif_large_solid.heic", heif_large_solid, "16384x8704", (16384, 8704)),
            ("heif_ispe_lie.heic", heif_ispe_lie, "ispe 2048x2048, SPS 16384x8704", (2048, 2048)),
            ("heif_sps_in_data.heic", heif_sps_in_data, "64x64 (hvcC 64x64, item data SPS 16384x8704)",
             (64, 48)),
            ("avif_ispe_lie.avif", avif_ispe_lie, "ispe 2048x2048, sequence header 16384x8704", (2048, 2048)),
            ("avif_grid_canvas_lie.avif", lambda: avif_grid(2048, 8, 16384, 2048),
             "ispe 2048x2048, grid 16384x16384 of 8x8 tiles of 2048x2048", (2048, 2048)),
            ("avif_grid_tiles_lie.avif", lambda: avif_grid(2048, 16, 2048, 2048, tile_declared=128),
             "2048x2048 grid of 16x16 tiles declared 128x128, each coding 2048x2048", (2048, 2048)),
            ("avif_grid_2x2.avif", lambda: avif_grid(512, 2, 1024, 1024),
             "1024x1024 grid of 2x2 tiles of 512x512 (a control)", (1024, 1024)),
        ]
    total = 0
    for name, make, declares, pillow_size in files:
        data = make()
        (OUT / name).write_bytes(data)
        total += len(data)
        # Header check only (no pixel decode): Pillow must see the declared size.
        # Pillow refuses the zTXt/iCCP files on open (its own 1 MB limit), so those
        # are parsed with LOAD_TRUNCATED_IMAGES, which makes Pillow skip the chunk.
        ImageFile.LOAD_TRUNCATED_IMAGES = name in ("png_ztxt_bomb.png", "png_iccp_bomb.png")
        if name.endswith((".heic", ".avif")):
            import pillow_heif
            pillow_heif.register_heif_opener()
        with Image.open(OUT / name) as im:
            assert im.size == pillow_size, (name, im.size)
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        print(f"{name:26} {len(data):>10,} bytes  {declares}")
    if not args.quick:
        jpeg = jpeg_solid_large()
        print(f"{'(jpeg_solid_large.jpg)':26} {len(jpeg):>10,} bytes  15000x15000 q75, not written (> 300 KB)")
    print(f"total written: {total:,} bytes in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
