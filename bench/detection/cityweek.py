#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A city's trips every 30 min for 215 days, through `telltale score`: where
the detector raises alerts on a series with no anomaly in it.

  bench/detection/cityweek.py [--telltale build/telltale] [--seeds 20]

A working day has a morning and an evening peak (20,000 and 23,000 from a
night of 2,000), a weekend day one peak of 20,000 at 14:00 and a late night
out; the noise is 5 % of the value, so the weekend's peak is twice as noisy
as a working afternoon at that hour. Alerts are counted on working days and
weekend days, in the first three weeks (the weekend's first days are new
to the detector) and after them (every one a false alert)."""
import argparse
import datetime
import math
import random
import subprocess


def value(t):
    h = t.hour + t.minute / 60
    if t.weekday() < 5:
        return (8000 + 12000 * math.exp(-((h - 8.5) / 1.5) ** 2) +
                15000 * math.exp(-((h - 19) / 3) ** 2) - 6000 * math.exp(-((h - 4) / 1.5) ** 2))
    return 12000 + 8000 * math.exp(-((h - 14) / 4) ** 2) + 6000 * math.exp(-((h - 1) / 2) ** 2)


def series(seed, t0, days=215, step=1800):
    rng = random.Random(seed)
    rows = []
    for i in range(days * 86400 // step):
        t = t0 + datetime.timedelta(seconds=i * step)
        rows.append(f"{t:%Y-%m-%d %H:%M:%S},{value(t) * (1 + 0.05 * rng.gauss(0, 1)):.1f}\n")
    return "timestamp,value\n" + "".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args()
    t0 = datetime.datetime(2014, 7, 1)  # a Tuesday
    late = t0 + datetime.timedelta(days=21)
    count = {(w, p): 0 for w in ("working", "weekend") for p in ("first", "later")}
    for seed in range(1, a.seeds + 1):
        out = subprocess.run([a.telltale, "score", "-"], input=series(seed, t0),
                             capture_output=True, text=True, check=True).stdout.splitlines()[1:]
        for line in out:
            f = line.split(",")
            if f[3] != "1":
                continue
            t = datetime.datetime.strptime(f[0], "%Y-%m-%d %H:%M:%S")
            count[("weekend" if t.weekday() >= 5 else "working", "later" if t >= late else "first")] += 1
    print(f"city week, 30 min, {a.seeds} series of 215 days, no anomaly: alerts on weekend days "
          f"{count['weekend', 'first']} in the first three weeks, {count['weekend', 'later']} after; "
          f"on working days {count['working', 'first']} and {count['working', 'later']}")


if __name__ == "__main__":
    main()
