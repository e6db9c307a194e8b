#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""The NAB-method scorer of bench/detection (nab.py) on small cases worked
by hand. Exits non-zero when a figure differs."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bench", "detection"))
import nab  # noqa: E402
import run  # noqa: E402

# e^-3.75 = 0.0235177, e^-5 = 0.0067379, e^(10/3) = 28.031625 (by hand, a
# calculator's exp): sig(-0.75) = 2/1.0235177 - 1, sig(-1) = 2/1.0067379 - 1,
# sig(2/3) = 2/29.031625 - 1.
SIG_075 = 2 / 1.0235177 - 1      # 0.954045
SIG_1 = 2 / 1.0067379 - 1        # 0.986614
SIG_23 = 2 / 29.031625 - 1       # -0.931110


def labels(n, ones):
    return [1 if i in ones else 0 for i in range(n)]


class Windows(unittest.TestCase):
    def test_one_run(self):
        # 40 rows, one anomaly at rows 20-21: width floor(4 / 1) = 4, centred
        # on row 20 -> rows 18..21, which already covers the run.
        self.assertEqual(nab.windows(labels(40, {20, 21})), [(18, 21)])

    def test_stretched(self):
        # Width 4 at row 20 is 18..21; the run goes on to 25.
        self.assertEqual(nab.windows(labels(40, set(range(20, 26)))), [(18, 25)])

    def test_overlap_and_touch_merge(self):
        # 100 rows, 2 anomalies: width 5. Rows 50 and 53-55: 48..52 and
        # 51..55 overlap -> 48..55.
        self.assertEqual(nab.windows(labels(100, {50, 53, 54, 55})), [(48, 55)])
        # Rows 40 and 45: 38..42 and 43..47 touch -> one window 38..47.
        self.assertEqual(nab.windows(labels(100, {40, 45})), [(38, 47)])
        # Rows 40 and 46: 38..42 and 44..48 stay apart.
        self.assertEqual(nab.windows(labels(100, {40, 46})), [(38, 42), (44, 48)])

    def test_clipped(self):
        # Row 1 of 50: width 5 -> -1..3, clipped to 0..3.
        self.assertEqual(nab.windows(labels(50, {1})), [(0, 3)])

    def test_probation(self):
        self.assertEqual(nab.probation(40), 6)
        self.assertEqual(nab.probation(12960), 750)


class Score(unittest.TestCase):
    def setUp(self):
        self.f = nab.File(labels(40, {20, 21}))

    def det(self, rows):
        return [i in rows for i in range(40)]

    def test_hand_case(self):
        # Window 18..21 (w = 4), probation rows 0..5.
        #  row 3: in probation, nothing;
        #  row 10: before the first window: -0.11;
        #  row 19: first in the window, y = -(21 - 19 + 1)/4 = -0.75:
        #          +sig(-0.75)/sig(-1) = 0.966989;
        #  row 20: a later detection in the same window: nothing;
        #  row 23: after the window, y = |21 - 23|/(4 - 1) = 2/3: 0.11 sig(2/3)
        #          = -0.102422;
        #  row 35: y = 14/3 > 3: -0.11.
        r = nab.score_file(self.f, self.det({3, 10, 19, 20, 23, 35}))
        raw = -0.11 + SIG_075 / SIG_1 + 0.11 * SIG_23 - 0.11
        self.assertAlmostEqual(raw, 0.644567, places=5)
        self.assertAlmostEqual(r["raw"], raw, places=5)
        self.assertEqual((r["hits"], r["fps"], r["first"]), (1, 3, [19]))
        # null -1, perfect +1: 100 (0.644567 + 1) / 2.
        self.assertAlmostEqual(nab.normalised(r["raw"], self.f.null(), self.f.perfect()),
                               82.2284, places=3)

    def test_miss_and_perfect(self):
        r = nab.score_file(self.f, self.det(set()))
        self.assertEqual(r["raw"], -1.0)
        r = nab.score_file(self.f, self.det({18}))
        self.assertAlmostEqual(r["raw"], 1.0, places=9)
        # The window's last row: y = -1/4, sig = 2/(1 + e^-1.25) - 1 = 0.55473.
        r = nab.score_file(self.f, self.det({21}))
        self.assertAlmostEqual(r["raw"], (2 / (1 + 0.2865048) - 1) / SIG_1, places=5)

    def test_sweep(self):
        # Scores: row 35 0.95 (far false alert), row 19 0.9 (in the window),
        # row 10 0.5 (before it), every other row 0.
        sc = [0.0] * 40
        sc[35], sc[19], sc[10] = 0.95, 0.9, 0.5
        # At 0.95: -1 - 0.11 = -1.11 -> -5.5. At 0.9: -0.11 + 0.966989 =
        # 0.856989 -> 92.85. At 0.5: 0.746989 -> 87.35. At 0: every row from
        # 6 on fires: worse. The best is 0.9.
        best, thr, raw = nab.sweep([self.f], [sc])
        self.assertEqual(thr, 0.9)
        self.assertAlmostEqual(raw, -0.11 + SIG_075 / SIG_1, places=5)
        self.assertAlmostEqual(best, 100 * (raw + 1) / 2, places=6)
        self.assertAlmostEqual(best, 92.8494, places=3)

    def test_window_in_probation(self):
        # 40 rows, probation rows 0..5. A run at row 2: window 0..3 ends in
        # probation: not scored (no window, null 0, perfect 0, unscored 1).
        f = nab.File(labels(40, {2}))
        self.assertEqual((f.win, f.unscored, f.null(), f.perfect()), ([], 1, 0, 0))
        self.assertEqual(nab.score_file(f, [True] * 40)["hits"], 0)
        # A run at row 5: window 3..6 ends at row 6, the first scored row: it
        # is scored, and the best a detector can do there is row 6, y = -1/4.
        f = nab.File(labels(40, {5}))
        self.assertEqual((f.win, f.unscored), ([(3, 6)], 0))
        best = (2 / (1 + 0.2865048) - 1) / SIG_1
        self.assertAlmostEqual(f.perfect(), best, places=5)
        r = nab.score_file(f, [i == 4 or i == 6 for i in range(40)])
        self.assertAlmostEqual(r["raw"], best, places=5)
        self.assertEqual(r["first"], [6])

    def test_sweep_gap_rows(self):
        # A row without a score (a gap) never detects, at any threshold.
        sc = [None] * 40
        sc[18] = 0.3
        best, thr, _ = nab.sweep([self.f], [sc])
        self.assertEqual((round(best, 6), thr), (100.0, 0.3))


class Pieces(unittest.TestCase):
    def test_cut(self):
        # 10,000 rows in files of 4,000: one of 4,000, the last takes 6,000
        # (a piece of 2,000 would be shorter than the cut).
        self.assertEqual(run.pieces(10000, 4000), [(0, 4000), (4000, 10000)])
        self.assertEqual(run.pieces(12960, 4000), [(0, 4000), (4000, 8000), (8000, 12960)])
        self.assertEqual(run.pieces(7999, 4000), [(0, 7999)])
        self.assertEqual(run.pieces(500, 0), [(0, 500)])


class ScoreFrom(unittest.TestCase):
    def test_training_part_left_out(self):
        # 1,000 rows, the first 500 an unlabelled training part with an alert
        # at row 300; a label at 800, found there. Scored from row 500 on,
        # the training part's alert is not a false one and the window (of
        # the 500 rows' 10 %) is hit at its labelled point.
        labels, alerts = [0] * 1000, [0] * 1000
        labels[800] = alerts[800] = alerts[300] = 1
        scores = [float(a) for a in alerts]
        whole = run.scored("c", "c", "p", labels, scores, alerts)
        part = run.scored("c", "c", "p", labels[500:], scores[500:], alerts[500:])
        self.assertEqual((whole["res"]["hits"], whole["res"]["fps"]), (1, 1))
        self.assertEqual((part["res"]["hits"], part["res"]["fps"]), (1, 0))
        self.assertEqual(part["file"].win, [(275, 324)])
        b = run.before_part("p", labels, alerts, 500, part["file"])
        # 350 rows after the whole file's 150 of probation, one alert; the
        # scored rows outside their window: 450, no alert.
        self.assertEqual((b["rows"], b["alerts"], b["out_rows"], b["out_alerts"]), (350, 1, 450, 0))
        self.assertLess(b["raw"], b["raw_without"])
        self.assertEqual(b["raw_without"], run.scored("c", "c", "p", labels, scores,
                                                      [0] * 500 + alerts[500:])["res"]["raw"])


class ReadSeries(unittest.TestCase):
    """Corpora come in several shapes: the columns are found by name when
    there is a header, and labels may be 1, 1.0 or true."""

    def read(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write(text)
        try:
            return run.read_series(f.name)
        finally:
            os.unlink(f.name)

    def test_plain(self):
        self.assertEqual(self.read("1,5,0\n2,6,1\n"), (["1", "2"], ["5", "6"], [0, 1]))

    def test_header_quotes(self):
        got = self.read('TimeStamp,Value,Label\n"2018-01-01T00:00:00Z","7",0\n2018-01-01T00:01:00Z,,1\n')
        self.assertEqual(got, (["2018-01-01T00:00:00Z", "2018-01-01T00:01:00Z"], ["7", ""], [0, 1]))

    def test_named_columns(self):
        got = self.read("kpi,is_anomaly,value,timestamp\nA,1.0,3.5,100\nA,0.0,4,160\nA,true,5,220\n")
        self.assertEqual(got, (["100", "160", "220"], ["3.5", "4", "5"], [1, 0, 1]))


if __name__ == "__main__":
    unittest.main()
