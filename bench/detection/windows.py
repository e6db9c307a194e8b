#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Nightly slow windows through the latency model, with `telltale replay`:
a service the agent sees at 1 s, 10 s or 60 s whose latency is slower
every night from 01:00 for 2, 3 or 6 hours at the same load (a batch
window, a backup longer than the job rule's hour), with a flat load or one
that follows the day; and a window on Saturdays and Sundays only, at 60 s
and 5 min for 24 days (to a Saturday).

  bench/detection/windows.py [--telltale build/telltale] [--days 7]

Printed, per case: the latency alerts after the second night, or the
second weekend (the window is the service's normal by then: wanted none);
then the same service with a lasting slowdown of 1.5 from 14:00 on its
last day (the daily peak) or from 02:00 (inside the window): the minutes
from its start to the first latency alert (wanted: one, soon). The model
alone sees either: the latency detectors do not alert themselves
(docs/alerts.md), so these are the agent's latency alerts. At 1 s, only
3 hours x1.5 and for 4 days (691,200 lines a case)."""
import argparse
import concurrent.futures
import json
import math
import random
import subprocess
import zlib

DAY = 86400
T0 = 1767225600  # a midnight, UTC


def stamp(t):
    days, s = divmod(int(t), DAY)
    y, mo, d = 2026, 1, 1 + days  # January (days < 31)
    return f"{y}-{mo:02d}-{d:02d}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000Z"


def lines(dt, days, hours, factor, cycle, slow_at, seed, weekends=False, slow_by=1.5, ramp_s=0,
          amp=200, capacity=0):
    """The agent's metrics and host lines for the case; with weekends the
    window comes on Saturdays and Sundays only (T0 is a Thursday). From
    slow_at (hours) the latency is slow_by times slower, reached over
    ramp_s seconds. The daily cycle swings the load by amp requests/s;
    with a capacity (requests/s) the latency is a queue's, 50 + 40 / (1 -
    load / capacity) us, which bends up at the peak, not a line."""
    rng = random.Random(seed)
    out = []
    for i in range(int(days * DAY / dt)):
        t = i * dt
        hour = t % DAY / 3600
        rps = 300 + amp * math.sin(2 * math.pi * (hour - 8) / 24) if cycle else 400
        rps = max(1.0, rps + 5 * rng.gauss(0, 1))
        day = (4 + int(t // DAY)) % 7  # 0 Sunday
        slow = factor if 1 < hour < 1 + hours and (not weekends or day in (0, 6)) else 1
        if slow_at is not None and t >= slow_at * 3600:
            part = min(1.0, (t - slow_at * 3600) / ramp_s) if ramp_s else 1.0
            slow *= 1 + (slow_by - 1) * part
        base = 50 + 40 / (1 - rps / capacity) if capacity else 60 + 0.08 * rps
        mean = base * slow * (1 + 0.03 * rng.gauss(0, 1))
        p99 = 2.2 * mean * (1 + 0.03 * rng.gauss(0, 1))
        ts = stamp(t)
        out.append(f'{{"ts":"{ts}","type":"metrics","schema":"1.3","host":"bench",'
                   f'"service":{{"role":"server","port":8080,"comm":"api"}},"interval_s":{dt},'
                   f'"requests":{round(rps * dt)},"rps":{rps:.1f},"latency_us":{{"mean":{mean:.1f},'
                   f'"p50":{0.8 * mean:.1f},"p90":{1.5 * mean:.1f},"p99":{p99:.1f},'
                   f'"max":{3 * mean:.1f}}},"connections":{{"active":8,"opened":0,"closed":0,'
                   f'"failed":0,"resets":0,"retransmits":0}}}}')
        out.append(f'{{"ts":"{ts}","type":"host","schema":"1.3","host":"bench","interval_s":{dt},'
                   f'"cpu_pct":{20 + rng.gauss(0, 1):.1f},"mem_pct":40,"load1":1}}')
    return "\n".join(out) + "\n"


def firings(binary, text, config=None):
    """Seconds from the first line of each latency alert's firing."""
    args = [binary, "replay"] + (["--config", config] if config else []) + ["-"]
    p = subprocess.run(args, input=text, capture_output=True, text=True, check=True)
    out = []
    for line in p.stdout.splitlines():
        a = json.loads(line)
        if a.get("state") == "firing" and a.get("metric", "").startswith("latency_"):
            day, clock = a["ts"][8:10], a["ts"][11:19]
            h, m, s = map(int, clock.split(":"))
            out.append((int(day) - 1) * DAY + h * 3600 + m * 60 + s)
    return out


def run(binary, case):
    dt, days, hours, factor, cycle, weekends, slow_at = case
    seed = zlib.crc32(repr(case[:1] + case[2:]).encode())
    t = firings(binary, lines(dt, days, hours, factor, cycle, slow_at, seed, weekends))
    if slow_at is None:
        # After the second night, or the second weekend (days 9 and 10).
        return str(sum(1 for x in t if x >= (11 if weekends else 2) * DAY))
    after = [x for x in t if x >= slow_at * 3600]
    return f"{(after[0] - slow_at * 3600) / 60:.0f}" if after else "none"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--days", type=int, default=7)
    a = ap.parse_args()
    rows = [(1, 3, 1.5, cycle, False) for cycle in (False, True)]
    rows += [(dt, hours, factor, cycle, False) for dt in (10, 60) for cycle in (False, True)
             for hours, factor in ((2, 1.5), (3, 1.5), (3, 2), (6, 1.5))]
    rows += [(dt, 3, 1.5, cycle, True) for dt in (60, 300) for cycle in (False, True)]
    cases = []
    for dt, hours, factor, cycle, weekends in rows:
        # 4 weeks to a Saturday for a weekends' window (its last day has one).
        days = 24 if weekends else min(a.days, 4) if dt == 1 else a.days
        for slow_at in (None, (days - 1) * 24 + 14, (days - 1) * 24 + 2):
            cases.append((dt, days, hours, factor, cycle, weekends, slow_at))
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        got = list(ex.map(lambda c: run(a.telltale, c), cases))
    print("| interval | load | window | latency alerts after the 2nd night (weekend) | "
          "x1.5 from 14:00, minutes to alert | x1.5 from 02:00 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for k, (dt, hours, factor, cycle, weekends) in enumerate(rows):
        late, peak, inside = got[3 * k:3 * k + 3]
        when = ", weekends" if weekends else ""
        print(f"| {dt} s | {'daily cycle' if cycle else 'flat'} | {hours} h x{factor}{when} | "
              f"{late} | {peak} | {inside} |")


if __name__ == "__main__":
    main()
