#!/usr/bin/env python3
"""Python BM25 baseline for zhsearch: the jieba + bm25s pipeline a user would otherwise pick.

Usage (inside the venv made by bench/setup.sh):
  baseline_bm25s.py CORPUS_DIR QUERIES.jsonl [--k 100] [--run-out RUN.jsonl] [--unique-query-terms]
CORPUS_DIR holds <doc id>.txt files; QUERIES.jsonl has {"qid","query","relevant":[ids]} lines.
Prints one JSON object with timings and MRR@10, Recall@10, Recall@100, nDCG@10.

Choices, and why:
- jieba.cut_for_search (HMM on, default dictionary): search mode also emits the shorter words
  inside long ones (医疗保险 -> 医疗, 保险, 医疗保险), which is what zhsearch indexes too.
- lowercase, drop tokens that are only whitespace/punctuation/symbols, drop stop words from
  stopwords_zh.txt: question words (什么, 如何, 请问...) are in every query and would otherwise
  dominate the scores of short questions.
- bm25s defaults (method "lucene", k1=1.5, b=0.75): the same BM25 variant as Lucene/tantivy,
  so the numbers are comparable with zhsearch's tantivy ranking.
- Query terms are kept with their repeats by default (a plain user passes the token list as
  is; bm25s then counts a repeated term once per occurrence). --unique-query-terms dedups.
- Documents scoring 0 are cut from the result list: bm25s pads top-k with non-matching docs
  in arbitrary order, which a search engine would not return and which would inflate Recall@100.
- jieba's dictionary load (~1 s, once per process) is timed apart from index_seconds.
"""
import argparse, json, os, sys, time, unicodedata

import bm25s
import jieba
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from metrics import evaluate  # noqa: E402

jieba.setLogLevel(60)  # silence "Building prefix dict..." on stderr


def load_stopwords(path):
    with open(path, encoding="utf-8") as f:
        return {w.strip().lower() for w in f if w.strip()}


def is_junk(tok):
    # whitespace (Z*), punctuation (P*), symbols (S*) and control chars (C*) only
    return all(unicodedata.category(c)[0] in "ZPSC" for c in tok)


def tokenize(text, stop):
    out = []
    for t in jieba.cut_for_search(text, HMM=True):
        t = t.strip().lower()
        if t and not is_junk(t) and t not in stop:
            out.append(t)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus_dir")
    ap.add_argument("queries")
    ap.add_argument("--k", type=int, default=100, help="results retrieved per query")
    ap.add_argument("--stopwords", default=os.path.join(HERE, "stopwords_zh.txt"))
    ap.add_argument("--run-out", help="write {query, ranked} JSONL here for cross-checking")
    ap.add_argument("--unique-query-terms", action="store_true")
    a = ap.parse_args()

    stop = load_stopwords(a.stopwords)

    # Reading files is I/O, not the work being compared, so it sits outside index_seconds.
    t0 = time.perf_counter()
    names = sorted(n for n in os.listdir(a.corpus_dir) if n.endswith(".txt"))
    ids = [n[:-4] for n in names]
    texts = []
    for n in names:
        with open(os.path.join(a.corpus_dir, n), encoding="utf-8") as f:
            texts.append(f.read())
    read_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    jieba.initialize()
    jieba_init_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    corpus_tokens = [tokenize(t, stop) for t in texts]
    tok_s = time.perf_counter() - t0
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(corpus_tokens, show_progress=False)
    index_s = time.perf_counter() - t0

    with open(a.queries, encoding="utf-8") as f:
        queries = [json.loads(l) for l in f if l.strip()]
    k = min(a.k, len(ids))

    runs, lat = [], []
    run_out = open(a.run_out, "w", encoding="utf-8") if a.run_out else None
    t_all = time.perf_counter()
    for q in queries:
        t0 = time.perf_counter()
        qt = tokenize(q["query"], stop)
        if a.unique_query_terms:
            qt = list(dict.fromkeys(qt))
        docs, scores = retriever.retrieve([qt], k=k, show_progress=False, n_threads=1)
        ranked = [ids[d] for d, s in zip(docs[0], scores[0]) if s > 0]
        lat.append(time.perf_counter() - t0)
        runs.append((ranked, q["relevant"]))
        if run_out:
            run_out.write(json.dumps({"qid": q.get("qid"), "query": q["query"], "ranked": ranked},
                                     ensure_ascii=False) + "\n")
    query_total = time.perf_counter() - t_all
    if run_out:
        run_out.close()

    lat_ms = np.array(lat) * 1000.0
    res = {
        "system": "jieba.cut_for_search + bm25s (lucene, k1=1.5, b=0.75)",
        "passages": len(ids),
        "queries": len(queries),
        "vocab": len(retriever.vocab_dict),
        "read_seconds": round(read_s, 3),
        "jieba_init_seconds": round(jieba_init_s, 3),
        "tokenize_seconds": round(tok_s, 3),
        "index_seconds": round(index_s, 3),
        "query_seconds_total": round(query_total, 3),
        "query_ms_p50": round(float(np.percentile(lat_ms, 50)), 3),
        "query_ms_p99": round(float(np.percentile(lat_ms, 99)), 3),
        "unique_query_terms": a.unique_query_terms,
        "k": k,
    }
    m = evaluate(runs)
    for key in ("MRR@10", "Recall@10", "Recall@100", "nDCG@10"):
        res[key] = round(m[key], 4)
    print(json.dumps(res, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
