#!/usr/bin/env python3
"""Asserts bench/metrics.py on three cases computed by hand, so that a disagreement with
`zhsearch eval` can be blamed on the right side. Run: python3 bench/check_metrics.py"""
import math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics import mrr_at_k, recall_at_k, ndcg_at_k, evaluate

L = math.log2
close = lambda a, b: abs(a - b) < 1e-12

# Case 1: one relevant doc, found at rank 3.
#   MRR = 1/3; R@10 = 1; nDCG = (1/log2 4) / (1/log2 2) = 0.5
r1, g1 = ["a", "b", "x", "c"], ["x"]
assert close(mrr_at_k(r1, g1), 1 / 3)
assert close(recall_at_k(r1, g1, 10), 1.0)
assert close(ndcg_at_k(r1, g1), 0.5)

# Case 2: three relevant docs; two retrieved at ranks 2 and 5, the third is missing.
#   MRR = 1/2; R@10 = 2/3; R@1 = 0
#   DCG = 1/log2 3 + 1/log2 6; IDCG = 1 + 1/log2 3 + 1/log2 4 = 1 + 1/log2 3 + 0.5
r2, g2 = ["a", "p", "b", "c", "q", "d"], ["p", "q", "z"]
assert close(mrr_at_k(r2, g2), 0.5)
assert close(recall_at_k(r2, g2, 10), 2 / 3)
assert close(recall_at_k(r2, g2, 1), 0.0)
assert close(ndcg_at_k(r2, g2), (1 / L(3) + 1 / L(6)) / (1 + 1 / L(3) + 0.5))

# Case 3: the relevant doc sits at rank 11: outside every @10 metric, inside @100.
#   Also 12 relevant docs, of which only rank 11 is retrieved: IDCG is capped at 10 hits.
r3 = [f"n{i}" for i in range(10)] + ["hit"] + [f"n{i}" for i in range(10, 200)]
g3 = ["hit"] + [f"m{i}" for i in range(11)]
assert mrr_at_k(r3, g3) == 0.0 and ndcg_at_k(r3, g3) == 0.0
assert recall_at_k(r3, g3, 10) == 0.0
assert close(recall_at_k(r3, g3, 100), 1 / 12)

# Means over the three queries.
m = evaluate([(r1, g1), (r2, g2), (r3, g3)])
assert close(m["MRR@10"], (1 / 3 + 1 / 2 + 0) / 3)
assert close(m["Recall@100"], (1 + 2 / 3 + 1 / 12) / 3)
print("check_metrics: 3 passed, 0 failed")
