"""Ranking metrics shared by the Python baseline and the cross-check of `zhsearch eval`.

Binary relevance only: a document is relevant iff its id is in the query's `relevant` list.
`ranked` is the system's result list, best first (ids as strings); `relevant` is any iterable.
Every function returns a float in [0, 1]; a query with an empty relevant set scores 0 (it is
still counted in the mean, so the Rust side must do the same for the numbers to match).
Duplicate ids in `ranked` only count at their first position (a retriever should not emit
them, but this keeps the metrics bounded by 1 if one does).
"""
import math


def _dedup(ranked, k):
    seen, out = set(), []
    for d in ranked[:k]:
        if d not in seen:
            seen.add(d)
            out.append(d)
        else:
            out.append(None)  # keep positions so ranks are not shifted
    return out


def mrr_at_k(ranked, relevant, k=10):
    """1/rank of the first relevant document within the top k, else 0."""
    rel = set(relevant)
    for i, d in enumerate(_dedup(ranked, k), start=1):
        if d is not None and d in rel:
            return 1.0 / i
    return 0.0


def recall_at_k(ranked, relevant, k):
    """|relevant ∩ top k| / |relevant|."""
    rel = set(relevant)
    if not rel:
        return 0.0
    hits = sum(1 for d in _dedup(ranked, k) if d is not None and d in rel)
    return hits / len(rel)


def ndcg_at_k(ranked, relevant, k=10):
    """DCG with gain 1 and discount 1/log2(rank+1), over the ideal DCG of min(|relevant|, k) hits."""
    rel = set(relevant)
    if not rel:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1)
              for i, d in enumerate(_dedup(ranked, k), start=1) if d is not None and d in rel)
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(rel), k) + 1))
    return dcg / idcg


def evaluate(runs):
    """runs: iterable of (ranked, relevant). Returns the means over all queries."""
    runs = list(runs)
    n = len(runs) or 1
    return {
        "MRR@10": sum(mrr_at_k(r, g, 10) for r, g in runs) / n,
        "Recall@10": sum(recall_at_k(r, g, 10) for r, g in runs) / n,
        "Recall@100": sum(recall_at_k(r, g, 100) for r, g in runs) / n,
        "nDCG@10": sum(ndcg_at_k(r, g, 10) for r, g in runs) / n,
        "queries": len(runs),
    }
