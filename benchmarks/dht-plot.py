#!/usr/bin/env python3
"""Plots the DHT simulation figures (CSV written by benchmarks/DhtSimulation --out) as a PNG.

Usage: python3 benchmarks/dht-plot.py docs/dht-simulation.csv docs/dht-simulation.png
Standard library only (no matplotlib here): a small rasteriser, a 5x7 bitmap font and zlib for the PNG.
"""
import csv
import math
import struct
import sys
import zlib

FONT = {
    '0': "01110 10001 10011 10101 11001 10001 01110", '1': "00100 01100 00100 00100 00100 00100 01110",
    '2': "01110 10001 00001 00010 00100 01000 11111", '3': "11110 00001 00001 01110 00001 00001 11110",
    '4': "00010 00110 01010 10010 11111 00010 00010", '5': "11111 10000 11110 00001 00001 10001 01110",
    '6': "00110 01000 10000 11110 10001 10001 01110", '7': "11111 00001 00010 00100 01000 01000 01000",
    '8': "01110 10001 10001 01110 10001 10001 01110", '9': "01110 10001 10001 01111 00001 00010 01100",
    '.': "00000 00000 00000 00000 00000 01100 01100", ',': "00000 00000 00000 00000 01100 00100 01000",
    '%': "11001 11010 00010 00100 01000 01011 10011", '/': "00001 00010 00010 00100 01000 01000 10000",
    ' ': "00000 00000 00000 00000 00000 00000 00000", '(': "00010 00100 01000 01000 01000 00100 00010",
    ')': "01000 00100 00010 00010 00010 00100 01000", '-': "00000 00000 00000 11111 00000 00000 00000",
    'A': "01110 10001 10001 11111 10001 10001 10001", 'C': "01110 10001 10000 10000 10000 10001 01110",
    'D': "11110 10001 10001 10001 10001 10001 11110", 'E': "11111 10000 10000 11110 10000 10000 11111",
    'G': "01110 10001 10000 10111 10001 10001 01111", 'H': "10001 10001 10001 11111 10001 10001 10001",
    'I': "01110 00100 00100 00100 00100 00100 01110", 'K': "10001 10010 10100 11000 10100 10010 10001",
    'L': "10000 10000 10000 10000 10000 10000 11111", 'M': "10001 11011 10101 10101 10001 10001 10001",
    'N': "10001 11001 10101 10011 10001 10001 10001", 'O': "01110 10001 10001 10001 10001 10001 01110",
    'P': "11110 10001 10001 11110 10000 10000 10000", 'Q': "01110 10001 10001 10001 10101 10010 01101",
    'R': "11110 10001 10001 11110 10100 10010 10001", 'S': "01111 10000 10000 01110 00001 00001 11110",
    'T': "11111 00100 00100 00100 00100 00100 00100", 'U': "10001 10001 10001 10001 10001 10001 01110",
    'W': "10001 10001 10001 10101 10101 10101 01010", 'X': "10001 10001 01010 00100 01010 10001 10001",
    'Y': "10001 10001 01010 00100 00100 00100 00100", 'B': "11110 10001 10001 11110 10001 10001 11110",
    'F': "11111 10000 10000 11110 10000 10000 10000", 'V': "10001 10001 10001 10001 10001 01010 00100",
}

W, H = 960, 440
pixels = bytearray(b"\xff" * (W * H * 3))


def dot(x, y, color):
    if 0 <= x < W and 0 <= y < H:
        i = (y * W + x) * 3
        pixels[i:i + 3] = bytes(color)


def line(x0, y0, x1, y1, color, width=1):
    steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    for s in range(steps + 1):
        x = x0 + (x1 - x0) * s / steps
        y = y0 + (y1 - y0) * s / steps
        for dx in range(width):
            for dy in range(width):
                dot(int(x) + dx - width // 2, int(y) + dy - width // 2, color)


def disc(cx, cy, r, color):
    for y in range(-r, r + 1):
        for x in range(-r, r + 1):
            if x * x + y * y <= r * r:
                dot(int(cx) + x, int(cy) + y, color)


def text(x, y, s, color=(0, 0, 0), scale=2, anchor="left"):
    s = s.upper()
    width = len(s) * 6 * scale
    if anchor == "middle":
        x -= width // 2
    elif anchor == "right":
        x -= width
    for ch in s:
        rows = FONT.get(ch, FONT[' ']).split()
        for ry, row in enumerate(rows):
            for rx, bit in enumerate(row):
                if bit == '1':
                    for sx in range(scale):
                        for sy in range(scale):
                            dot(int(x) + rx * scale + sx, int(y) + ry * scale + sy, color)
        x += 6 * scale


def write_png(path):
    raw = b"".join(b"\x00" + bytes(pixels[y * W * 3:(y + 1) * W * 3]) for y in range(H))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)


rows = list(csv.DictReader(open(sys.argv[1])))
xs = [math.log10(float(r["nodes"])) for r in rows]
xmin, xmax = math.floor(min(xs)) - 0.5, math.ceil(max(xs)) + 0.5
text(W // 2, 12, "WebTorrent.Dht simulation: 10% loss, 10% churn", anchor="middle")
panels = [("rounds (mean)", "mean_rounds", (31, 119, 180)), ("queries per lookup", "queries_per_lookup", (214, 39, 40)),
          ("success %", "success_rate", (44, 160, 44))]
pw, ph, top = 270, 300, 70
for p, (title, key, color) in enumerate(panels):
    left = 50 + p * 310
    ys = [float(r[key]) * (100 if key == "success_rate" else 1) for r in rows]
    ymin, ymax = (90.0, 102.0) if key == "success_rate" else (0.0, math.ceil(max(ys) * 1.3 + 1))
    X = lambda v: left + (v - xmin) / (xmax - xmin) * pw
    Y = lambda v: top + ph - (v - ymin) / (ymax - ymin) * ph
    text(left + pw // 2, top - 28, title, anchor="middle")
    for t in range(5):
        v = ymin + (ymax - ymin) * t / 4
        line(left, Y(v), left + pw, Y(v), (225, 225, 225))
        text(left - 6, Y(v) - 7, f"{v:.1f}" if ymax - ymin < 20 else f"{v:.0f}", scale=1, anchor="right")
    line(left, top, left, top + ph, (0, 0, 0))
    line(left, top + ph, left + pw, top + ph, (0, 0, 0))
    for r, x in zip(rows, xs):
        text(X(x), top + ph + 8, f"{int(r['nodes']):,}", scale=1, anchor="middle")
    text(left + pw // 2, top + ph + 24, "nodes (log scale)", scale=1, anchor="middle")
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), list(zip(xs, ys))[1:]):
        line(X(x0), Y(y0), X(x1), Y(y1), color, width=2)
    for x, y in zip(xs, ys):
        disc(X(x), Y(y), 4, color)
        text(X(x) + 8, Y(y) - 18, f"{y:.1f}", color=color, scale=1)
write_png(sys.argv[2])
print(sys.argv[2])
