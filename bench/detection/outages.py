#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A series with an outage every night, through `telltale score`: how many
spikes the detector finds and how many other alerts it raises.

  bench/detection/outages.py [--telltale build/telltale] [--no-outage]
                             [--cycle 30] [--spike 45] [--interval 300]

Ten series of 21 days at 5 min: a daily sine of amplitude 30 around 100,
Gaussian noise of sd 3, no rows from 02:00 to 05:00 (a silence of 36
intervals, past detector.gap_restart), and a +15 sd spike every other day
from day 3: 60 % of them 0.5-2.5 hours after the outage, the rest between
08:00 and 23:00. A spike is found if an alert comes within two points.
--cycle and --spike change the sine's amplitude and the spike's height,
--interval the series' interval (s; the outage stays three hours)."""
import argparse
import math
import random
import subprocess


def series(seed, outage, cycle=30, spike=45, dt=300):
    rng = random.Random(seed)
    t0 = 1700000000 - 1700000000 % 86400
    spikes = set()
    for day in range(3, 21, 2):
        early = rng.random() < 0.6
        h = rng.choice([5.5, 6, 6.5, 7, 7.5]) if early else rng.uniform(8, 23)
        spikes.add(t0 + day * 86400 + int(h * 3600 // dt) * dt)
    rows = []
    for i in range(21 * 86400 // dt):
        ts = t0 + dt * i
        h = (ts % 86400) / 3600
        if outage and 2 <= h < 5:
            continue
        v = 100 + cycle * math.sin(2 * math.pi * h / 24) + 3 * rng.gauss(0, 1)
        rows.append((ts, v + (spike if ts in spikes else 0)))
    return rows, sorted(spikes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--no-outage", action="store_true", help="the same series without outages")
    ap.add_argument("--cycle", type=float, default=30, help="amplitude of the daily sine")
    ap.add_argument("--spike", type=float, default=45, help="height of a spike (noise sd 3)")
    ap.add_argument("--interval", type=int, default=300, help="seconds between points")
    a = ap.parse_args()
    found = total = other = 0
    for seed in range(10):
        rows, spikes = series(seed, not a.no_outage, a.cycle, a.spike, a.interval)
        text = "timestamp,value\n" + "".join(f"{t},{v:.3f}\n" for t, v in rows)
        out = subprocess.run([a.telltale, "score", "-"], input=text, capture_output=True,
                             text=True, check=True).stdout.splitlines()[1:]
        alerts = [int(line.split(",")[0]) for line in out if line.endswith(",1")]
        hit = sum(1 for s in spikes if any(s <= t <= s + 2 * a.interval for t in alerts))
        found += hit
        total += len(spikes)
        other += len(alerts) - hit
    print(f"{'without' if a.no_outage else 'with'} nightly outages, cycle {a.cycle:g}, spike "
          f"{a.spike:g}, every {a.interval} s: {found} of {total} spikes found, {other} other alerts")


if __name__ == "__main__":
    main()
