#!/usr/bin/env python3
"""How often the tp_btf socket table turns a socket away, by how full it is.

The table (bpf/sock.bpf.h) is sets of 8 ways. A socket's address, hashed two
ways, names two sets; it takes a way of the first, or of the second when
the first is half full and the second less so, or of the other when the one
chosen is full, and is not tracked (counted in socket_table_full) when both
are. A socket in its second set costs every lookup of it a scan of the
first: the last column says how many are there. This simulates that policy beside one set per socket (the
table before it), with sockets placed at random, which is how scattered
socket addresses hash; addresses in a row, as a fresh slab hands them out,
spread more evenly still under the multiplicative hash.

Prints, for each fill (sockets open over ways), the share of sockets turned
away and the share of tables (runs) that turned any away, per policy, and
the share of sockets in their second set.

usage: bench/sock_table.py [--sets 6144] [--runs 20] [--seed 1]
"""
import argparse
import random

WAYS = 8


def fill(sets, sockets, two, rng):
    """Places sockets one by one; returns how many found no way and how
    many took a way in their second set."""
    used = [0] * sets
    lost = second = 0
    for _ in range(sockets):
        first = rng.randrange(sets)
        other = rng.randrange(sets) if two else first
        a, b = first, other
        if used[a] >= WAYS // 2 and used[b] < used[a]:
            a, b = b, a
        placed = a if used[a] < WAYS else b if used[b] < WAYS else None
        if placed is None:
            lost += 1
            continue
        used[placed] += 1
        second += placed != first
    return lost, second


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", type=int, default=6144)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    ways = args.sets * WAYS
    print("%d sets of %d ways, %d runs a row" % (args.sets, WAYS, args.runs))
    print("| sockets open / ways | one set: sockets lost | runs losing any "
          "| two sets: sockets lost | runs losing any | in their second set |")
    print("| --- | --- | --- | --- | --- | --- |")
    for frac in (0.05, 0.25, 0.5, 0.6, 0.75, 0.9):
        n = int(ways * frac)
        row = ["%.2f" % frac]
        for two in (False, True):
            runs = [fill(args.sets, n, two, rng) for _ in range(args.runs)]
            lost = [r[0] for r in runs]
            row.append("1 in %.0f" % (n * args.runs / sum(lost)) if sum(lost) else "none")
            row.append("%d of %d" % (sum(1 for x in lost if x), args.runs))
        row.append("%.0f %%" % (100.0 * sum(r[1] for r in runs) / (n * args.runs)))
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
