"""Matplotlib's time for the chart bench/scenarios/chart.ts draws: price line + 20-point trailing moving average
(dashed), title, axis titles and legend, saved as a PNG of the same pixel size. Every point is drawn (no downsampling), as a
plain Matplotlib script would. History is built like the Node bench: the 5-minute CSV looped, each loop shifted in time
by the file's span. Prints JSON: {"version": ..., "timings": [{"points", "p50", "p95"}, ...]} (milliseconds).

Usage: chart-matplotlib.py DATA.csv 1000,10000,100000 WARMUP RUNS WIDTH HEIGHT SCALE
"""
import csv
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

FIVE_MINUTES = 300


def history(path, count):
    with open(path, newline="") as handle:
        rows = [(int(r["unix_timestamp"]), float(r["close"])) for r in csv.DictReader(handle)]
    span = rows[-1][0] - rows[0][0] + FIVE_MINUTES
    times, values = [], []
    for i in range(count):
        t, close = rows[i % len(rows)]
        times.append(datetime.fromtimestamp(t + (i // len(rows)) * span, tz=timezone.utc))
        values.append(close)
    return times, values


def trailing_mean(values, n):
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= n:
            total -= values[i - n]
        out.append(total / n if i >= n - 1 else float("nan"))
    return out


def render(times, values, ma, width, height, scale, path):
    dpi = 100 * scale
    fig, ax = plt.subplots(figsize=(width / 100, height / 100), dpi=dpi)
    ax.plot(times, values, linewidth=1.5, label="Price")
    ax.plot(times, ma, linewidth=1.5, linestyle="--", label="Moving average")
    ax.set_title("Price (USD)", loc="left", fontweight="bold")
    ax.set_xlabel("Time (UTC)")
    ax.set_ylabel("Price (USD)")
    ax.grid(True, color="#dddddd")
    ax.legend(loc="upper left")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def main():
    data, sizes, warmup, runs, width, height, scale = sys.argv[1:8]
    warmup, runs, width, height, scale = int(warmup), int(runs), int(width), int(height), float(scale)
    timings = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "chart.png")
        for points in (int(size) for size in sizes.split(",")):
            times, values = history(data, points)
            ma = trailing_mean(values, 20)
            elapsed = []
            for i in range(warmup + runs):
                started = time.perf_counter()
                render(times, values, ma, width, height, scale, path)
                if i >= warmup:
                    elapsed.append((time.perf_counter() - started) * 1000)
            elapsed.sort()
            timings.append({
                "points": points,
                "p50": elapsed[min(len(elapsed) - 1, len(elapsed) // 2)],
                "p95": elapsed[min(len(elapsed) - 1, int(0.95 * len(elapsed)))],
            })
    json.dump({"version": matplotlib.__version__, "timings": timings}, sys.stdout)


if __name__ == "__main__":
    main()
