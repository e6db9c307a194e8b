#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""bench/detection: runs `telltale score` on every series of the labelled
corpora and scores its output with bench/detection/nab.py.

  bench/detection/run.py [--telltale build/telltale] [--corpora build/corpora]
                         [--config PATH] [--files] [--only CORPUS] [--cut ROWS]
                         [--score-from ROWS]

A corpus is a folder under --corpora (any folder of labelled CSVs works;
see read_series for the columns). Per corpus and per category (mscloud: its
domain folder; asd: the metric index, metric-01 ... metric-19, across the
12 servers; other corpora: the folder of each file) it prints the series,
labelled windows, windows hit by the `alert` column, false alerts, the mean
detection delay (points from a window's first labelled point to its first
alert; negative = before it, inside the window; windows that end in
probation are not scored and are counted apart), the NAB standard score of
`alert` and, for the corpus, the best-threshold score of `anomaly_score`
with its threshold (one threshold per corpus, swept over every value).

--cut ROWS scores every series cut into files of ROWS rows (the last one
takes the rest), each from a fresh detector with its own windows and
probation: short series like most public benchmark files, where what a
detector does in its first days weighs as much as the rest.

--score-from ROWS runs the detector over every whole series but scores
only its rows from ROWS on, as a file of their own (windows and probation
from those rows): for a corpus whose first rows are a training part nobody
labelled, like asd's first 8,640 (../shared/corpora/README.md: "assumed
normal"), where an alert counts as false whatever it saw. A series of
ROWS rows or fewer has none scored.
"""
import argparse
import concurrent.futures
import csv
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nab  # noqa: E402


TS_NAMES = ("timestamp", "time", "ts", "date", "datetime")
VALUE_NAMES = ("value", "val", "y")
LABEL_NAMES = ("label", "labels", "is_anomaly", "anomaly")


def is_label(text):
    """Whether a field reads as a label: 0/1 (any number) or true/false."""
    t = text.strip().lower()
    if t in ("true", "false"):
        return True
    try:
        float(t)
        return True
    except ValueError:
        return False


def column(header, names, default):
    low = [h.strip().lower() for h in header]
    return next((low.index(n) for n in names if n in low), default)


def read_series(path):
    """Timestamps (text), values (text) and labels of a labelled CSV:
    timestamp,value,label, or any columns with a header naming them
    (timestamp/time, value, label/is_anomaly); a label is true when it is a
    non-zero number or "true"."""
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    cols = (0, 1, 2)
    if rows and len(rows[0]) >= 3 and not is_label(rows[0][2]):
        h = rows.pop(0)
        cols = (column(h, TS_NAMES, 0), column(h, VALUE_NAMES, 1), column(h, LABEL_NAMES, 2))
    ts, vals, labels = [], [], []
    for k, r in enumerate(rows):
        if len(r) <= max(cols):
            raise SystemExit(f"{path}:{k + 1}: expected timestamp,value,label")
        lab = r[cols[2]].strip().lower()
        ts.append(r[cols[0]].strip())
        vals.append(r[cols[1]].strip())
        labels.append(1 if lab == "true" or (is_label(lab) and float(lab) != 0) else 0)
    return ts, vals, labels


def run_score(binary, config, ts, vals):
    """Runs telltale score on the series; returns per input row (score or
    None, alert 0/1). Output rows are matched to input rows by timestamp,
    so a row the command leaves out is simply not a detection."""
    args = [binary, "score"] + (["--config", config] if config else []) + ["-"]
    text = "timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in zip(ts, vals))
    p = subprocess.run(args, input=text, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    out = p.stdout.splitlines()[1:]
    scores, alerts = [None] * len(ts), [0] * len(ts)
    j = 0
    for line in out:
        t, _, s, a = line.rsplit(",", 3)
        t = t.strip().strip('"')
        while j < len(ts) and ts[j] != t:
            j += 1
        if j == len(ts):
            raise SystemExit(f"telltale score wrote a row for {t!r} that is not in the input")
        scores[j] = float(s) if s.strip() else None
        alerts[j] = 1 if a.strip() == "1" else 0
        j += 1
    return scores, alerts


def natural(name):
    """Sort key: omi-2 before omi-10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def series_list(corpora, only):
    """(corpus, category, path) of every series, in a stable order. A corpus
    is a folder under corpora; mscloud's categories are its domains (under
    data/), asd's the metric index across its servers, any other corpus's
    the folder of each CSV within it (every CSV under it, at any depth, is
    a timestamp,value,label series)."""
    out = []
    names = sorted(d for d in os.listdir(corpora) if os.path.isdir(os.path.join(corpora, d)))
    for corpus in names:
        if only not in (None, corpus):
            continue
        root = os.path.join(corpora, corpus)
        if corpus == "mscloud":
            root = os.path.join(root, "data")
        for d, dirs, files in os.walk(root):
            dirs.sort(key=natural)
            rel = os.path.relpath(d, root)
            for f in sorted(files):
                if not f.endswith(".csv"):
                    continue
                if corpus == "asd":
                    cat = f[:-4]
                else:
                    cat = rel if rel != "." else "all"
                out.append((corpus, cat, os.path.join(d, f)))
    return out


def corpus_order(items):
    """The corpora of items, mscloud and asd first (the table's usual order)."""
    names = sorted({c for c, _, _ in items})
    return [c for c in ("mscloud", "asd") if c in names] + \
        [c for c in names if c not in ("mscloud", "asd")]


def pieces(n, cut):
    """(start, end) row ranges of a series of n rows cut into files of cut
    rows, the last one taking the rest; the whole series when cut is 0."""
    if not cut:
        return [(0, n)]
    out, at = [], 0
    while n - at >= 2 * cut:
        out.append((at, at + cut))
        at += cut
    return out + [(at, n)]


def one(binary, config, item, cut=0, score_from=0):
    """The results of one series, one per piece (see pieces())."""
    corpus, cat, path = item
    ts, vals, labels = read_series(path)
    if score_from:
        scores, alerts = run_score(binary, config, ts, vals)
        k = min(score_from, len(ts))
        x = scored(corpus, cat, path, labels[k:], scores[k:], alerts[k:])
        x["before"] = before_part(path, labels, alerts, k, x["file"])
        return [x]
    return [one_piece(binary, config, corpus, cat, path, ts[lo:hi], vals[lo:hi], labels[lo:hi])
            for lo, hi in pieces(len(ts), cut)]


def before_part(path, labels, alerts, k, part):
    """What the rows before k hold under --score-from: the alerts there
    after probation, against those of the scored part outside its windows
    (per row), and NAB's raw score of the whole series with and without
    them."""
    whole = nab.File(labels, path)
    inside = set()
    for lo, hi in part.win:
        inside.update(range(k + lo, k + hi + 1))
    out = [i for i in range(k, len(alerts)) if i not in inside]
    return {"rows": max(0, k - whole.prob), "alerts": sum(alerts[whole.prob:k]),
            "out_rows": len(out), "out_alerts": sum(alerts[i] for i in out),
            "raw": nab.score_file(whole, alerts)["raw"],
            "raw_without": nab.score_file(whole, [0] * k + alerts[k:])["raw"],
            "null": whole.null(), "perfect": whole.perfect()}


def one_piece(binary, config, corpus, cat, path, ts, vals, labels):
    scores, alerts = run_score(binary, config, ts, vals)
    return scored(corpus, cat, path, labels, scores, alerts)


def scored(corpus, cat, path, labels, scores, alerts):
    """NAB's result for one file: labels and the detector's output on them."""
    f = nab.File(labels, path)
    r = nab.score_file(f, alerts)
    delays = []
    for k, first in enumerate(r["first"]):
        if first is None:
            continue
        lo, hi = f.win[k]
        lab = next((i for i in range(lo, hi + 1) if labels[i]), lo)
        delays.append(first - lab)
    return {"corpus": corpus, "cat": cat, "path": path, "file": f, "scores": scores,
            "alerts": alerts, "res": r, "delays": delays}


class Tally:
    def __init__(self):
        self.series = self.windows = self.unscored = self.hits = self.fps = 0
        self.raw = self.null = self.perfect = 0.0
        self.delays = []

    def add(self, x):
        f, r = x["file"], x["res"]
        self.series += 1
        self.windows += len(f.win)
        self.unscored += f.unscored
        self.hits += r["hits"]
        self.fps += r["fps"]
        self.raw += r["raw"]
        self.null += f.null()
        self.perfect += f.perfect()
        self.delays += x["delays"]

    def row(self, name, extra=""):
        d = sum(self.delays) / len(self.delays) if self.delays else float("nan")
        s = nab.normalised(self.raw, self.null, self.perfect)
        return (f"| {name} | {self.series} | {self.windows} | {self.hits} | {self.fps} | "
                f"{d:.1f} | {s:.1f} | {extra} |")


def print_before(corpus, k, bs):
    """The --score-from lines: the alerts per 1,000 rows before row k (after
    probation) and in the scored rows outside every window, and the whole
    series scored with and without the alerts before k."""
    t = {key: sum(b[key] for b in bs) for key in bs[0]}
    rate = lambda n, rows: 1000 * n / rows if rows else float("nan")  # noqa: E731
    print(f"| {corpus}: alerts per 1,000 rows: {rate(t['alerts'], t['rows']):.2f} before row {k} "
          f"({t['alerts']} after probation), {rate(t['out_alerts'], t['out_rows']):.2f} in the "
          f"scored rows outside every window ({t['out_alerts']}) | | | | | | | |")
    whole = nab.normalised(t["raw"], t["null"], t["perfect"])
    without = nab.normalised(t["raw_without"], t["null"], t["perfect"])
    print(f"| {corpus}: NAB score of `alert` on whole series {whole:.1f}, with the alerts "
          f"before row {k} left out {without:.1f} | | | | | | | |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--telltale", default="build/telltale")
    ap.add_argument("--corpora", default="build/corpora")
    ap.add_argument("--config")
    ap.add_argument("--only", metavar="CORPUS", help="one corpus (a folder under --corpora)")
    ap.add_argument("--files", action="store_true", help="also one row per series")
    ap.add_argument("--cut", type=int, default=0, metavar="ROWS",
                    help="score each series cut into files of ROWS rows")
    ap.add_argument("--score-from", type=int, default=0, metavar="ROWS",
                    help="run on whole series, score their rows from ROWS on")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    if a.cut and a.score_from:
        raise SystemExit("--cut and --score-from do not go together: pick one view")
    items = series_list(a.corpora, a.only)
    if not items:
        raise SystemExit(f"no series under {a.corpora}: unpack the corpora first "
                         "(see ../shared/corpora/README.md)")
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        done = [x for xs in ex.map(lambda it: one(a.telltale, a.config, it, a.cut, a.score_from), items)
                for x in xs]
    if a.cut:
        print(f"Every series cut into files of {a.cut} rows, each scored from a fresh detector.")
    if a.score_from:
        print(f"Every whole series run, its rows from {a.score_from} on scored as a file of their own.")
    print("| corpus / category | series | windows | hits | false alerts | mean delay, points "
          "| NAB score, alert | best-threshold score, anomaly_score (threshold) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for corpus in corpus_order(items):
        xs = [x for x in done if x["corpus"] == corpus]
        if not xs:
            continue
        total = Tally()
        for x in xs:
            total.add(x)
        best, thr, _ = nab.sweep([x["file"] for x in xs], [x["scores"] for x in xs])
        print(total.row(f"**{corpus}**", f"**{best:.1f}** ({thr:.4f})"))
        cats = {}
        for x in xs:
            cats.setdefault(x["cat"], Tally()).add(x)
        for c, t in cats.items():
            print(t.row(f"{corpus} / {c}"))
        if total.unscored:
            print(f"| {corpus}: {total.unscored} more labelled windows end in probation "
                  "(not scored) | | | | | | | |")
        quiet = [x for x in xs if not x["file"].win and not x["file"].unscored]
        if quiet:
            n = sum(sum(1 for v in x["alerts"] if v) for x in quiet)
            loud = sum(1 for x in quiet if any(x["alerts"]))
            print(f"| {corpus}: {len(quiet)} {'files' if a.cut else 'series'} without labels | {n} alerts "
                  f"(probation included) on {loud} of them | | | | | | |")
        labelled = [x for x in xs if x["file"].win]
        if a.cut and quiet and labelled:
            # Alerts in a file without labels count against the corpus, also
            # where its labellers left a part unlabelled (asd's first month):
            # the files with labels alone show what a cold start costs there.
            t = Tally()
            for x in labelled:
                t.add(x)
            best, thr, _ = nab.sweep([x["file"] for x in labelled], [x["scores"] for x in labelled])
            print(t.row(f"{corpus}: the {len(labelled)} files with labels alone",
                        f"{best:.1f} ({thr:.4f})"))
        if a.score_from:
            print_before(corpus, a.score_from, [x["before"] for x in xs])
        if a.files:
            for x in xs:
                t = Tally()
                t.add(x)
                print(t.row(os.path.relpath(x["path"], a.corpora)))


if __name__ == "__main__":
    main()
