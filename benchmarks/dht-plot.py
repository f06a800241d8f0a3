#!/usr/bin/env python3
"""Plots the DHT simulation figures (CSV from benchmarks/DhtSimulation --out) as SVG, then PNG via ImageMagick.

Usage: python3 benchmarks/dht-plot.py docs/dht-simulation.csv docs/dht-simulation.png
No matplotlib needed: the SVG is written by hand and `convert` (ImageMagick) rasterises it.
"""
import csv
import math
import subprocess
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
out_png = sys.argv[2]
out_svg = out_png[:-4] + ".svg"
W, H = 900, 420
panels = [
    ("rounds (mean) vs log2(n)", "mean_rounds", "#1f77b4"),
    ("queries per lookup", "queries_per_lookup", "#d62728"),
    ("success rate %", "success_rate", "#2ca02c"),
]
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="DejaVu Sans, sans-serif">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       '<text x="450" y="24" font-size="16" text-anchor="middle">WebTorrent.Dht simulation: get_peers lookups, 10% loss, 10% churn</text>']
pw, ph, top = 260, 280, 60
xs = [math.log2(float(r["nodes"])) for r in rows]
xmin, xmax = math.floor(min(xs)) - 1, math.ceil(max(xs)) + 1
for i, (title, key, color) in enumerate(panels):
    left = 40 + i * 290
    ys = [float(r[key]) * (100 if key == "success_rate" else 1) for r in rows]
    ymin = 90 if key == "success_rate" else 0
    ymax = 100 if key == "success_rate" else max(ys) * 1.3 + 1
    X = lambda v: left + 30 + (v - xmin) / (xmax - xmin) * (pw - 40)
    Y = lambda v: top + ph - (v - ymin) / (ymax - ymin) * (ph - 20)
    svg.append(f'<text x="{left + pw / 2}" y="{top - 10}" font-size="13" text-anchor="middle">{title}</text>')
    svg.append(f'<line x1="{left + 30}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="black"/>')
    svg.append(f'<line x1="{left + 30}" y1="{top}" x2="{left + 30}" y2="{top + ph}" stroke="black"/>')
    for t in range(5):
        v = ymin + (ymax - ymin) * t / 4
        svg.append(f'<text x="{left + 26}" y="{Y(v) + 4}" font-size="10" text-anchor="end">{v:.0f}</text>')
        svg.append(f'<line x1="{left + 30}" y1="{Y(v)}" x2="{left + pw}" y2="{Y(v)}" stroke="#ddd"/>')
    for r, x, y in zip(rows, xs, ys):
        svg.append(f'<text x="{X(x)}" y="{top + ph + 14}" font-size="10" text-anchor="middle">{int(r["nodes"]):,}</text>')
    pts = " ".join(f"{X(x)},{Y(y)}" for x, y in zip(xs, ys))
    svg.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
    for x, y in zip(xs, ys):
        svg.append(f'<circle cx="{X(x)}" cy="{Y(y)}" r="4" fill="{color}"/>')
        svg.append(f'<text x="{X(x) + 6}" y="{Y(y) - 6}" font-size="11">{y:.1f}</text>')
    svg.append(f'<text x="{left + pw / 2}" y="{top + ph + 30}" font-size="11" text-anchor="middle">nodes (log scale)</text>')
svg.append("</svg>")
open(out_svg, "w").write("\n".join(svg))
subprocess.run(["convert", out_svg, out_png], check=True)
print(out_png)
