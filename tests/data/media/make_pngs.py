#!/usr/bin/env python3
"""Writes the tiny PNG fixtures for tests/media (standard library only: zlib + struct).

Every image is 4x3 and derived from the same RGB pattern, so the test knows the exact
pixels each file must decode to. Run from this folder: python3 make_pngs.py
"""
import struct
import zlib

W, H = 4, 3
# RGB8 pattern, row-major.
RGB = [((x * 80) % 256, (y * 100 + 20) % 256, (x * 30 + y * 60) % 256)
       for y in range(H) for x in range(W)]
GRAY = [(x * 70 + y * 20) % 256 for y in range(H) for x in range(W)]
ALPHA = [(x * 85 + y * 5) % 256 for y in range(H) for x in range(W)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(color_type, bit_depth, rows, extra=b"", interlace=0):
    """rows: list of bytes objects, already packed for the bit depth (no filter byte)."""
    ihdr = struct.pack(">IIBBBBB", W, H, bit_depth, color_type, 0, 0, interlace)
    if interlace:
        raw = adam7(rows, color_type, bit_depth)
    else:
        raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def adam7(rows, color_type, bit_depth):
    # Only used for 8-bit RGB: whole bytes per pixel.
    assert color_type == 2 and bit_depth == 8
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
              (1, 0, 2, 2), (0, 1, 1, 2)]
    out = b""
    for x0, y0, dx, dy in passes:
        for y in range(y0, H, dy):
            line = b"".join(rows[y][x * 3:x * 3 + 3] for x in range(x0, W, dx))
            if line:
                out += b"\x00" + line
    return out


def rows_of(values, bpp_fn):
    return [b"".join(bpp_fn(values[y * W + x]) for x in range(W)) for y in range(H)]


def pack_bits(indices, bits):
    rows = []
    for y in range(H):
        acc, n, out = 0, 0, bytearray()
        for x in range(W):
            acc = (acc << bits) | indices[y * W + x]
            n += bits
            if n == 8:
                out.append(acc)
                acc, n = 0, 0
        if n:
            out.append(acc << (8 - n))
        rows.append(bytes(out))
    return rows


files = {}
files["rgb8.png"] = png(2, 8, rows_of(RGB, bytes))
files["rgb8_interlaced.png"] = png(2, 8, rows_of(RGB, bytes), interlace=1)
files["rgba8.png"] = png(6, 8, rows_of(list(zip(RGB, ALPHA)), lambda p: bytes(p[0]) + bytes([p[1]])))
files["rgb16.png"] = png(2, 16, rows_of(RGB, lambda p: struct.pack(">HHH", *(v * 257 for v in p))))
files["gray8.png"] = png(0, 8, rows_of(GRAY, lambda g: bytes([g])))
files["gray16.png"] = png(0, 16, rows_of(GRAY, lambda g: struct.pack(">H", g * 257)))
files["gray1.png"] = png(0, 1, pack_bits([1 if g >= 128 else 0 for g in GRAY], 1))
# Gray + alpha with one gray value: an alpha-only mask.
files["graya8_alpha_mask.png"] = png(4, 8, rows_of(ALPHA, lambda a: bytes([0, a])))
# Gray + alpha with varying gray: the gray value is the mask, alpha is ignored.
files["graya8.png"] = png(4, 8, rows_of(list(zip(GRAY, ALPHA)), lambda p: bytes(p)))
# RGBA with a constant colour and varying alpha: alpha mask exported from an editor.
files["rgba8_alpha_mask.png"] = png(6, 8, rows_of(ALPHA, lambda a: bytes([255, 255, 255, a])))
# 2-bit palette with transparency on entry 1; indices cycle through the palette.
PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 100, 50)]
INDICES = [(x + y) % 4 for y in range(H) for x in range(W)]
plte = chunk(b"PLTE", b"".join(bytes(c) for c in PALETTE)) + chunk(b"tRNS", bytes([255, 0]))
files["palette2.png"] = png(3, 2, pack_bits(INDICES, 2), extra=plte)

# Broken files for the error paths.
good = files["rgb8.png"]
idat = good.index(b"IDAT")
files["truncated.png"] = good[:idat + 12]  # cut inside the image data
files["not_a_png.png"] = b"this is a text file, not an image\n"
# A valid header claiming 20000x20000 (400 Mpx) over almost no data: a decompression bomb.
files["huge_header.png"] = (b"\x89PNG\r\n\x1a\n" +
                            chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)) +
                            chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))

for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
    print(name, len(data), "bytes")
