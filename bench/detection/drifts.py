#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Latency that creeps up, through the latency model, with `telltale
replay`: a service seen at 1 s, 5 s or 10 s, at a flat 400 requests/s or a
daily cycle of 300 +- 200, whose latency follows its load with 3 % noise;
from 06:00 on its second day it grows, at the same load, to 1.5 or 2 times
its level over 15 minutes to 2 hours, and stays.

  bench/detection/drifts.py [--telltale build/telltale] [--config PATH]

Printed, per case: the minutes from the start of the rise to the first
latency alert, and how far the latency had risen by then ("none": no alert
within 6 hours); and the latency alerts in the 30 hours before the rise
(wanted: none). The model's forgetting sets what it finds: a fit that
remembers 8 minutes learns an hour's rise as it comes (model.lambda,
model.lambda_interval_s; docs/alerts.md).

Then the other side of that memory: the same service with no anomaly, at
1 s and 10 s for 3 and 5 days, whose latency is a queue's (50 + 40 / (1 -
load / 600) us) under a daily cycle that takes it to 83 % or 88 % of that
capacity at its peak, where the latency is 2.2 or 2.8 times what it is at
the mean load; three seeds each. A line that remembers longer is a worse
tangent to the curve at the peak. Printed: the latency alerts (wanted: none). --config PATH runs
both tables on those settings (say {"model": {"lambda_interval_s": 60}})."""
import argparse
import concurrent.futures

from windows import firings, lines

START_H = 30  # 06:00 on the second day
RAMPS_MIN = (15, 30, 60, 120)


def run(binary, config, case):
    dt, cycle, by, ramp_min = case
    hours = START_H + 6
    text = lines(dt, hours / 24, 0, 1, cycle, START_H, dt * 1000 + ramp_min + int(by * 10),
                 slow_by=by, ramp_s=ramp_min * 60)
    t = firings(binary, text, config)
    before = sum(1 for x in t if x < START_H * 3600)
    after = [x - START_H * 3600 for x in t if x >= START_H * 3600]
    if not after:
        return before, "none"
    rise = (by - 1) * min(1.0, after[0] / (ramp_min * 60))
    return before, f"{after[0] / 60:.0f} (+{100 * rise:.0f} %)"


def queue(binary, config, case):
    """Latency alerts on a queue's latency, no anomaly."""
    dt, amp, seed = case
    days = 3 if dt == 1 else 5
    return len(firings(binary, lines(dt, days, 0, 1, True, None, seed, amp=amp, capacity=600),
                       config))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--config", help="the anomaly core's settings (default: the built-in ones)")
    a = ap.parse_args()
    rows = [(dt, cycle, by) for dt in (1, 5, 10) for cycle in (False, True) for by in (1.5, 2)]
    cases = [row + (r,) for row in rows for r in RAMPS_MIN]
    qrows = [(dt, amp) for dt in (1, 10) for amp in (200, 225)]
    qcases = [row + (seed,) for row in qrows for seed in (1, 2, 3)]
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        got = list(ex.map(lambda c: run(a.telltale, a.config, c), cases))
        qgot = list(ex.map(lambda c: queue(a.telltale, a.config, c), qcases))
    print("| interval | load | rise to | " +
          " | ".join(f"over {r} min" for r in RAMPS_MIN) + " | alerts before |")
    print("| --- | --- | --- |" + " --- |" * (len(RAMPS_MIN) + 1))
    for k, (dt, cycle, by) in enumerate(rows):
        cells = got[k * len(RAMPS_MIN):(k + 1) * len(RAMPS_MIN)]
        print(f"| {dt} s | {'daily cycle' if cycle else 'flat'} | x{by} | " +
              " | ".join(c[1] for c in cells) + f" | {sum(c[0] for c in cells)} |")
    print("found:", sum(1 for c in got if c[1] != "none"), "of", len(got))
    print()
    print("| interval | a queue's latency, peak at | latency alerts, seeds 1-3 (wanted: none) |")
    print("| --- | --- | --- |")
    for k, (dt, amp) in enumerate(qrows):
        n = qgot[k * 3:(k + 1) * 3]
        print(f"| {dt} s | {100 * (300 + amp) / 600:.0f} % of capacity | "
              f"{', '.join(map(str, n))} |")
    print("queue alerts:", sum(qgot))


if __name__ == "__main__":
    main()
