#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A business week whose hours are its users' across a daylight-saving
change, through `telltale score` with the profiles kept in UTC (the
default) and in the users' zone (`detector.timezone`).

  bench/detection/dst.py [--telltale build/telltale] [--seeds 10] [--step 300]
                         [--zone Europe/Berlin]

The issue's business week in the zone's hours: 200/s at night, a
30-minute ramp to 2,000/s at 09:00 and a fall at 18:00 on working days,
300/s at weekends, 5 % noise; timestamps in UTC, as the agent and most
exports write them. Eight weeks, from four before each of the zone's
changes in 2026 (a zone without any: from 2026-06-01, the "change" four
weeks in); there is no anomaly in them, so every alert after the first two
weeks is a false one. Printed per change and clock: the alerts in the two
weeks before the change and in the three after it."""
import argparse
import datetime
import json
import os
import random
import subprocess
import tempfile
import zoneinfo

UTC = datetime.timezone.utc


def changes(zone):
    """The instants of 2026 at which the zone's offset from UTC changes."""
    out, t = [], datetime.datetime(2026, 1, 1, tzinfo=UTC)
    while t.year == 2026:
        n = t + datetime.timedelta(minutes=15)
        if t.astimezone(zone).utcoffset() != n.astimezone(zone).utcoffset():
            out.append(n)
        t = n
    return out


def rate(local):
    if local.weekday() >= 5:
        return 300.0
    h = local.hour + local.minute / 60
    if h < 9 or h >= 18.5:
        return 200.0
    if h < 9.5:
        return 200 + 1800 * (h - 9) / 0.5
    if h < 18:
        return 2000.0
    return 2000 - 1800 * (h - 18) / 0.5


def series(seed, t0, step, zone):
    rng = random.Random(seed)
    rows = []
    for i in range(56 * 86400 // step):
        t = t0 + datetime.timedelta(seconds=i * step)
        v = rate(t.astimezone(zone)) * (1 + 0.05 * rng.gauss(0, 1))
        rows.append(f"{int(t.timestamp())},{v:.2f}\n")
    return "".join(rows)


def alerts(binary, config, text):
    cmd = [binary, "score"] + (["--config", config] if config else []) + ["-"]
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, check=True)
    return [int(l.split(",")[0]) for l in out.stdout.splitlines() if l.split(",")[3:4] == ["1"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--step", type=int, default=300, help="seconds between points")
    ap.add_argument("--zone", default="Europe/Berlin", help="the users' time zone")
    a = ap.parse_args()
    zone = zoneinfo.ZoneInfo(a.zone)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"detector": {"timezone": a.zone}}, f)
        zoned = f.name
    try:
        for change in changes(zone) or [datetime.datetime(2026, 6, 29, tzinfo=UTC)]:
            name = f"{change:%Y-%m-%d %H:%M} UTC"
            t0 = change - datetime.timedelta(days=28)
            before, after = change.timestamp() - 14 * 86400, change.timestamp() + 21 * 86400
            for clock, config in (("UTC", None), (a.zone, zoned)):
                b = c = 0
                for seed in range(1, a.seeds + 1):
                    for ts in alerts(a.telltale, config, series(seed, t0, a.step, zone)):
                        b += before <= ts < change.timestamp()
                        c += change.timestamp() <= ts < after
                print(f"{a.zone} hours, change at {name}, {a.step} s, {a.seeds} series, profiles in "
                      f"{clock}: {b} alerts in the two weeks before the change, {c} in the "
                      f"three after")
    finally:
        os.unlink(zoned)


if __name__ == "__main__":
    main()
