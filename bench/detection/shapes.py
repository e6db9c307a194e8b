#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Shapes every monitoring series meets, through `telltale score`: how many
alerts each raises against how many an operator would want, and where.

  bench/detection/shapes.py [--telltale build/telltale] [--config PATH] [--seeds N]

Each shape is 4,000 points, at 5 min (two weeks) unless its entry gives
another interval, drawn with --seeds seeds (5) fixed by its name, so two
builds see the same series. "wanted" is what a person watching the series
would ask for: one alert for one change, none for what the series always
does. The detector is not held to it (a heavy-tailed series alerts while
its tail is young); this prints where it stands."""
import argparse
import math
import random
import subprocess
import zlib

N = 4000


def flat_step(before, after):
    return [before] * 3000 + [after] * 1000


def walk(rng):
    x, out = 50.0, []
    for _ in range(N):
        out.append(x)
        x += rng.gauss(0, 0.5)
    return out


# (name, alerts wanted, the series from a seeded random.Random[, interval s, 300])
SHAPES = [
    ("a setting steps 0.25 -> 0.3", 1, lambda r: flat_step(0.25, 0.3)),
    ("a count at 5 steps to 10", 1, lambda r: flat_step(5, 10)),
    ("a count at 5 steps to 8", 1, lambda r: flat_step(5, 8)),
    ("a count at 0 counts 1 once", 0, lambda r: [1 if i == 2500 else 0 for i in range(N)]),
    ("noise, +10 sd for good", 1,
     lambda r: [r.gauss(100 if i < 3000 else 110, 1) for i in range(N)]),
    ("noise, its sd x4 for good", 1, lambda r: [r.gauss(50, 1 if i < 2000 else 4) for i in range(N)]),
    ("flat for a week, then noisy", 1, lambda r: [5.0] * 2000 + [r.gauss(5, 0.5) for _ in range(2000)]),
    ("noise stuck for 300 points", 1,
     lambda r: [50.3 if 3000 <= i < 3300 else r.gauss(50, 2) for i in range(N)]),
    ("drops to 0 for 50 points", 1,
     lambda r: [0 if 3000 <= i < 3050 else r.gauss(100, 5) for i in range(N)]),
    ("one +20 sd spike", 1, lambda r: [200 if i == 3000 else r.gauss(100, 5) for i in range(N)]),
    ("1e6 in the warm-up (a reset), +12 sd at 300", 1,
     lambda r: [1e6 if i == 50 else 160 if i == 300 else r.gauss(100, 5) for i in range(N)]),
    ("a daily cycle, 20 points +8 sd", 1,
     lambda r: [50 + 30 * math.sin(2 * math.pi * i / 288) + r.gauss(0, 2) +
                (16 if 3500 <= i < 3520 else 0) for i in range(N)]),
    ("a daily sine at 1 min, +13 sd at 2.4 days", 1,
     lambda r: [100 + 50 * math.sin(2 * math.pi * i / 1440) + r.gauss(0, 3) + (40 if i == 3500 else 0)
                for i in range(N)], 60),
    ("a linear trend", 0, lambda r: [10 + 0.01 * i + r.gauss(0, 0.5) for i in range(N)]),
    ("exponential growth, 2 % noise", 0,
     lambda r: [math.exp(i / 1000) * (1 + r.gauss(0, 0.02)) for i in range(N)]),
    ("two levels, 10 and 90, at random", 0,
     lambda r: [r.choice([10, 90]) + r.gauss(0, 1) for _ in range(N)]),
    ("iid lognormal (latency)", 0, lambda r: [math.exp(r.gauss(3, 0.6)) for _ in range(N)]),
    ("a random walk", 0, walk),
    ("+13 sd every hour (a cron job)", 0,
     lambda r: [r.gauss(100, 3) + (40 if i % 12 == 0 else 0) for i in range(N)]),
    ("a daily sawtooth", 0, lambda r: [(i % 288) * 0.3 + r.gauss(0, 1) for i in range(N)]),
]


def alerts(telltale, config, values, dt=300):
    t0 = 1700000000 - 1700000000 % 86400
    csv = "timestamp,value\n" + "".join(f"{t0 + dt * i},{v}\n" for i, v in enumerate(values))
    args = [telltale, "score"] + (["--config", config] if config else []) + ["-"]
    out = subprocess.run(args, input=csv, capture_output=True, text=True,
                         check=True).stdout.splitlines()[1:]
    return [i for i, line in enumerate(out) if line.split(",")[3] == "1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--config", help="the anomaly core's settings (telltale score --config)")
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    print(f"| shape | wanted | alerts, each of {a.seeds} seeds | rows of the first |")
    print("| --- | --- | --- | --- |")
    off = 0
    for name, wanted, make, *dt in SHAPES:
        runs = [alerts(a.telltale, a.config, make(random.Random(zlib.crc32(f"{name}/{k}".encode()))), *dt)
                for k in range(a.seeds)]
        off += sum(abs(len(rows) - wanted) for rows in runs)
        counts = " ".join(str(len(rows)) for rows in runs)
        print(f"| {name} | {wanted} | {counts} | {' '.join(map(str, runs[0])) or '-'} |")
    print(f"alerts off what was wanted, summed over shapes and seeds: {off}")


if __name__ == "__main__":
    main()
