#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Nightly jobs at the agent's own intervals, through `telltale score`: a
series at 20 that a job raises from 02:15 every night, at 1 s and 10 s.

  bench/detection/jobs.py [--telltale build/telltale] [--seeds 3] [--days 10]

Jobs of 15, 20, 40 and 55 minutes, to 80 (far past the noise), 21 (5
sigmas of its 1 % noise) or 20.6 (3 sigmas), each seed with its own noise.
Nothing in them is an anomaly: every alert after the second night is a
false one (the issue asks for none once a series has repeated twice).
Printed: those alerts, summed over the seeds, per interval, length and
height. jumps.py does the same at 5 min and 1 min for longer jumps too;
a job's run at its time of day is quiet from its third night
(user/core/recur.h, docs/detectors.md "Jobs at 1 s")."""
import argparse
import concurrent.futures
import random

from shapes import alerts

DAY = 86400
START_MIN = 135  # 02:15
HEIGHTS = ((80, "80"), (21, "21 (5 sd)"), (20.6, "20.6 (3 sd)"))


def series(minutes, height, dt, days, seed):
    """The series' values, from a midnight (shapes.alerts)."""
    rng = random.Random(seed * 7919 + int(minutes) * 31 + int(height * 10) + dt)
    values = []
    for i in range(days * DAY // dt):
        m = (i * dt % DAY) / 60 - START_MIN
        v = height if 0 <= m < minutes else 20
        values.append(round(v * (1 + 0.01 * rng.gauss(0, 1)), 4))
    return values


def late_alerts(binary, case):
    """Alerts after the series' second night."""
    dt = case[2]
    return sum(1 for i in alerts(binary, None, series(*case), dt) if i * dt >= 2 * DAY)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--days", type=int, default=10)
    a = ap.parse_args()
    cells = [(dt, minutes, height) for dt in (1, 10) for minutes in (15, 20, 40, 55)
             for height, _ in HEIGHTS]
    cases = [(minutes, height, dt, a.days, seed) for dt, minutes, height in cells
             for seed in range(a.seeds)]
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        late = list(ex.map(lambda c: late_alerts(a.telltale, c), cases))
    total = {}
    for (minutes, height, dt, _, _), n in zip(cases, late):
        total[(dt, minutes, height)] = total.get((dt, minutes, height), 0) + n
    print(f"nightly jobs from 02:15, {len(cases)} series of {a.days} days: {sum(late)} alerts "
          f"after the second night, {a.seeds} seeds summed (wanted: none)")
    print("| interval | job | " + " | ".join(f"to {name}" for _, name in HEIGHTS) + " |")
    print("| --- | --- |" + " --- |" * len(HEIGHTS))
    for dt in (1, 10):
        for minutes in (15, 20, 40, 55):
            print(f"| {dt} s | {minutes} min | " +
                  " | ".join(str(total[(dt, minutes, h)]) for h, _ in HEIGHTS) + " |")


if __name__ == "__main__":
    main()
