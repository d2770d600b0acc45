#!/usr/bin/env python3
"""A file with one dimension of many distinct values, for the engine's group-table memory.

Usage: python3 bench/gen_groups.py --rows 3000000 --distinct 1000000 --out /tmp/groups_1m.csv

Columns: day, customer (cust0000000.., every one of --distinct values appears once in the first
--distinct rows, then at random), channel (3 values), revenue (2 dp), units. Deterministic.
Measure with: engine_bench FILE --role customer=dimension   (peak RSS is printed).
"""
import argparse
import random

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, default=3_000_000)
p.add_argument("--distinct", type=int, default=1_000_000)
p.add_argument("--out", required=True)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rng = random.Random(a.seed)
with open(a.out, "w") as f:
    f.write("day,customer,channel,revenue,units\n")
    for i in range(a.rows):
        c = i if i < a.distinct else rng.randrange(a.distinct)
        f.write("2024-%02d-%02d,cust%07d,%s,%d.%02d,%d\n"
                % (i % 12 + 1, i % 28 + 1, c, ("web", "shop", "app")[i % 3], i % 500, i % 100, i % 9 + 1))
