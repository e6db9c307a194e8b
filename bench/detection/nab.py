#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Scores detector output the way Lavin & Ahmad (2015) score streaming
anomaly detectors, written from the method in issue 11:

- Each maximal run of label-1 rows is one anomaly. Its window is
  floor(10 % of the file's rows / number of anomalies) rows wide, centred on
  the run's first row and stretched to cover the run; overlapping windows
  merge; windows are clipped to the file.
- The first min(floor(15 % of rows), 750) rows are probation and not
  scored: a detection there counts for nothing, and a window that ends
  inside probation, all of whose rows are unscored, is not scored either
  (no detector could hit it, so it weighs on no score: not in raw, null or
  perfect). A window that starts in probation and ends after it is scored.
- A detection is a row whose score is at or above the threshold. In a window
  [L, R] of width w the earliest detection at row i earns
  tp * sig(-(R - i + 1) / w) / sig(-1); later ones in the window are free. A
  window without one costs fn. A detection outside every window costs
  fp * sig(|R - i| / (w - 1)) of the window before it (its sig is negative),
  fp * -1 when there is none or y > 3.
- sig(y) = 2 / (1 + e^(5y)) - 1. Standard profile tp = 1, fp = 0.11, fn = 1.
- A set of files scores 100 * (raw - null) / (perfect - null), raw, null
  (no detection at all) and perfect (one detection at the start of every
  window; at its first scored row for a window that starts in probation)
  summed over the files.

Library use: windows(), probation(), score_file(), normalised(), sweep().
"""
import math

TP, FP, FN = 1.0, 0.11, 1.0


def sig(y):
    """The scaled sigmoid: 1 long before a window's end, 0 at it, -1 far after."""
    if y > 3:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation(n):
    """Rows at the start of a file of n rows whose detections are not scored."""
    return min(int(math.floor(0.15 * n)), 750)


def runs(labels):
    """Maximal runs of label 1, as (first, last) row pairs."""
    out, start = [], None
    for i, v in enumerate(labels):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(labels) - 1))
    return out


def windows(labels):
    """The labelled windows of a file, as sorted, disjoint (L, R) row pairs."""
    n = len(labels)
    rs = runs(labels)
    if not rs:
        return []
    w = max(1, int(math.floor(0.10 * n / len(rs))))
    raw = []
    for first, last in rs:
        lo = first - w // 2
        hi = max(lo + w - 1, last)
        raw.append((max(0, lo), min(n - 1, hi)))
    raw.sort()
    merged = [list(raw[0])]
    for lo, hi in raw[1:]:
        if lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [tuple(x) for x in merged]


class File:
    """One scored series: its scored windows (those ending after probation;
    unscored counts the others), probation and, per row, which window
    holds it (index) or which window precedes it (-(index + 2), -1 if none),
    with the sigmoid weight a detection there would earn or cost."""

    def __init__(self, labels, name=""):
        self.name = name
        self.n = len(labels)
        self.prob = probation(self.n)
        every = windows(labels)
        self.win = [w for w in every if w[1] >= self.prob]
        self.unscored = len(every) - len(self.win)
        self.where = [-1] * self.n
        self.weight = [0.0] * self.n
        s1 = sig(-1.0)
        k = 0
        for i in range(self.n):
            while k < len(self.win) and self.win[k][1] < i:
                k += 1
            if k < len(self.win) and self.win[k][0] <= i:
                lo, hi = self.win[k]
                wd = hi - lo + 1
                self.where[i] = k
                self.weight[i] = TP * sig(-(hi - i + 1) / wd) / s1
            elif k > 0:
                lo, hi = self.win[k - 1]
                wd = hi - lo + 1
                self.where[i] = -(k - 1) - 2
                y = abs(hi - i) / (wd - 1) if wd > 1 else 4.0
                self.weight[i] = FP * sig(y)
            else:
                self.weight[i] = -FP

    def null(self):
        return -FN * len(self.win)

    def perfect(self):
        return sum(self.weight[max(lo, self.prob)] for lo, _ in self.win)


def score_file(f, detect):
    """Scores one file for a per-row detection flag list (true = detection).
    Returns a dict: raw score, hits (windows with a detection), fps
    (detections outside every window) and first (per window, the row of its
    earliest detection, or None)."""
    best = [None] * len(f.win)
    first = [None] * len(f.win)
    fp_sum, fps = 0.0, 0
    for i in range(f.prob, f.n):
        if not detect[i]:
            continue
        k = f.where[i]
        if k >= 0:
            if first[k] is None:
                first[k] = i
                best[k] = f.weight[i]
        else:
            fp_sum += f.weight[i]
            fps += 1
    raw = fp_sum
    for b in best:
        raw += b if b is not None else -FN
    return {"raw": raw, "hits": sum(1 for x in first if x is not None), "fps": fps,
            "first": first}


def normalised(raw, null, perfect):
    """100 (raw - null) / (perfect - null); 0 when there is nothing to find."""
    if perfect - null <= 0:
        return 0.0
    return 100.0 * (raw - null) / (perfect - null)


def sweep(files, scores):
    """Best threshold over a set of files: scores[j][i] is row i of file j
    (None for no score). Returns (best normalised score, threshold, raw).
    Lowering the threshold adds rows: a row in a window only matters if it is
    earlier than the window's earliest detection so far; a row outside adds
    its (negative) weight. Rows of equal score enter together."""
    rows = []
    null = perfect = 0.0
    for j, (f, sc) in enumerate(zip(files, scores)):
        null += f.null()
        perfect += f.perfect()
        for i in range(f.prob, f.n):
            s = sc[i]
            if s is not None:
                rows.append((s, j, i))
    rows.sort(key=lambda r: -r[0])
    earliest = {}
    raw = null
    best = (normalised(raw, null, perfect), math.inf, raw)
    k = 0
    while k < len(rows):
        thr = rows[k][0]
        while k < len(rows) and rows[k][0] == thr:
            _, j, i = rows[k]
            f = files[j]
            w = f.where[i]
            if w >= 0:
                key = (j, w)
                old = earliest.get(key)
                if old is None:
                    raw += FN + f.weight[i]
                    earliest[key] = i
                elif i < old:
                    raw += f.weight[i] - f.weight[old]
                    earliest[key] = i
            else:
                raw += f.weight[i]
            k += 1
        s = normalised(raw, null, perfect)
        if s > best[0]:
            best = (s, thr, raw)
    return best
