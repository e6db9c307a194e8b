#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Anomalies that come often, through `telltale score`: how many the alert
budget lets through.

  bench/detection/bursts.py [--telltale build/telltale] [--config PATH] [--seeds 3]

Each series is a daily sine (100 +- 20, noise sd 2) with a burst of 3
points 12, 24 or 48 hours apart on average (irregular, so not a daily
pattern) after its first 600 points, 20,000 points (14 days at 1 min, 69
at 5 min). Every burst is wanted; one is found when an alert starts within
it or the 7 points after it. Two things keep frequent bursts from all
alerting: the budget raises the bar by a tenfold rarer surprise an episode
and, past three episodes' worth, mutes the series until the raise decays
(docs/detectors.md, item 10: one alert in about 1.25 days at most, however
large the burst); and bursts that make up a share of the points near the
tail's (0.5 %: a 5 min series' burst of 3 points every 12 hours is 2 %)
are the series' own tail, learnt as such."""
import argparse
import math
import random

from shapes import alerts

POINTS = 20000


def series(seed, every, amp_sd, dt):
    """Bursts at irregular times (gaps of 0.5 to 1.5 times every), so they
    are not a daily pattern the profiles would learn."""
    rng = random.Random(seed)
    starts, t = [], 600 + rng.randrange(every)
    while t < POINTS - 10:
        starts.append(t)
        t += int(every * rng.uniform(0.5, 1.5))
    burst = set()
    for t in starts:
        burst.update(range(t, t + 3))
    vals = [100 + 20 * math.sin(2 * math.pi * i * dt / 86400) + rng.gauss(0, 2) +
            (2 * amp_sd if i in burst else 0) for i in range(POINTS)]
    return vals, starts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--config", help="the anomaly core's settings (telltale score --config)")
    ap.add_argument("--seeds", type=int, default=3)
    a = ap.parse_args()
    print("| interval | a burst every | burst size | bursts found, of | alerts | days per alert |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dt in (60, 300):
        for hours in (12, 24, 48):
            every = hours * 3600 // dt
            for amp in (6, 20):
                found = wanted = total = 0
                for seed in range(a.seeds):
                    vals, starts = series(seed, every, amp, dt)
                    rows = alerts(a.telltale, a.config, vals, dt)
                    wanted += len(starts)
                    total += len(rows)
                    found += sum(any(t <= i < t + 10 for i in rows) for t in starts)
                days = POINTS * dt / 86400 * a.seeds / max(total, 1)
                print(f"| {dt} s | {hours} h | +{amp} sd | {found} of {wanted} | "
                      f"{total} | {days:.2f} |")


if __name__ == "__main__":
    main()
