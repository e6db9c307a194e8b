#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Shapes every monitoring series meets, through `telltale score`: how many
alerts each raises against how many an operator would want, and where.

  bench/detection/shapes.py [--telltale build/telltale]

Each shape is 4,000 points at 5 min (two weeks), seeded, so two builds see
the same series. "wanted" is what a person watching the series would ask
for: one alert for one change, none for what the series always does. The
detector is not held to it (a heavy-tailed series alerts while its tail is
young); this prints where it stands."""
import argparse
import math
import random
import subprocess

N = 4000


def flat_step(before, after):
    return [before] * 3000 + [after] * 1000


def shapes(rng):
    def gauss(mu, sd):
        return mu + rng.gauss(0, sd)

    def walk():
        x, out = 50.0, []
        for _ in range(N):
            out.append(x)
            x += rng.gauss(0, 0.5)
        return out

    return [
        ("a setting steps 0.25 -> 0.3", 1, flat_step(0.25, 0.3)),
        ("a count at 5 steps to 10", 1, flat_step(5, 10)),
        ("a count at 0 counts 1 once", 0, [1 if i == 2500 else 0 for i in range(N)]),
        ("noise, +10 sd for good", 1, [gauss(100 if i < 3000 else 110, 1) for i in range(N)]),
        ("noise, its sd x4 for good", 1, [gauss(50, 1 if i < 2000 else 4) for i in range(N)]),
        ("flat for a week, then noisy", 1, [5.0] * 2000 + [gauss(5, 0.5) for _ in range(2000)]),
        ("noise stuck for 300 points", 1,
         [50.3 if 3000 <= i < 3300 else gauss(50, 2) for i in range(N)]),
        ("drops to 0 for 50 points", 1, [0 if 3000 <= i < 3050 else gauss(100, 5) for i in range(N)]),
        ("one +20 sd spike", 1, [200 if i == 3000 else gauss(100, 5) for i in range(N)]),
        ("a daily cycle, 20 points +8 sd", 1,
         [50 + 30 * math.sin(2 * math.pi * i / 288) + gauss(0, 2) + (16 if 3500 <= i < 3520 else 0)
          for i in range(N)]),
        ("a linear trend", 0, [10 + 0.01 * i + gauss(0, 0.5) for i in range(N)]),
        ("exponential growth, 2 % noise", 0, [math.exp(i / 1000) * (1 + gauss(0, 0.02)) for i in range(N)]),
        ("two levels, 10 and 90, at random", 0, [rng.choice([10, 90]) + gauss(0, 1) for _ in range(N)]),
        ("iid lognormal (latency)", 0, [math.exp(gauss(3, 0.6)) for _ in range(N)]),
        ("a random walk", 0, walk()),
        ("+13 sd every hour (a cron job)", 0,
         [gauss(100, 3) + (40 if i % 12 == 0 else 0) for i in range(N)]),
        ("a daily sawtooth", 0, [(i % 288) * 0.3 + gauss(0, 1) for i in range(N)]),
    ]


def alerts(telltale, values):
    t0 = 1700000000 - 1700000000 % 86400
    csv = "timestamp,value\n" + "".join(f"{t0 + 300 * i},{v}\n" for i, v in enumerate(values))
    out = subprocess.run([telltale, "score", "-"], input=csv, capture_output=True, text=True,
                         check=True).stdout.splitlines()[1:]
    return [i for i, line in enumerate(out) if line.split(",")[3] == "1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--telltale", default="build/telltale")
    a = ap.parse_args()
    rng = random.Random(5)
    print("| shape | wanted | alerts | at rows |")
    print("| --- | --- | --- | --- |")
    off = 0
    for name, wanted, values in shapes(rng):
        rows = alerts(a.telltale, values)
        off += abs(len(rows) - wanted)
        print(f"| {name} | {wanted} | {len(rows)} | {' '.join(map(str, rows)) or '-'} |")
    print(f"alerts off what was wanted, summed: {off}")


if __name__ == "__main__":
    main()
