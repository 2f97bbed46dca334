//! Top-k retrieval that prunes: a flat OR of terms picks the candidates,
//! the whole query scores them.
//!
//! tantivy skips blocks of postings that cannot reach the top k (block-max
//! WAND) only for a lone `TopDocs` over a flat, boosted OR of term queries.
//! The query [`super::query`] builds is a tree (each word a disjunction over
//! fields, synonym groups, proximity phrases), which it would score in full
//! for every matching passage: at x10 (291k passages) queries match 117k on
//! average. So a search runs in two phases. The first is the [`Node::terms`]
//! of the query as a flat OR, pruned, for the best [`super::ranking::CANDIDATES`];
//! the second scores just those by the whole tree ([`rescore`]), seeking
//! each leaf to them, with the same BM25 weights the whole query has. Their
//! ranking is then exactly the whole query's ranking of those passages; only
//! which passages are looked at changes. The count of matches has its own
//! capped pass ([`count`]), since no tantivy collector counts while it prunes.

use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, EnableScoring, Occur, Query, Scorer, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, TERMINATED, Term};

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::filter::Resolved;
use super::stats::KeptStats;

/// Passages counted exactly; past it the count is a lower bound, as
/// Elasticsearch's `track_total_hits` default.
pub const EXACT_TOTAL_UP_TO: usize = 10_000;

/// How the number of matching passages relates to the one reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalRelation {
    /// Exactly that many.
    Eq,
    /// At least that many ([`EXACT_TOTAL_UP_TO`]).
    Gte,
}

impl TotalRelation {
    /// As the JSON writes it, after Elasticsearch.
    pub fn as_str(self) -> &'static str {
        match self {
            TotalRelation::Eq => "eq",
            TotalRelation::Gte => "gte",
        }
    }
}

/// A count of matching passages and whether it is exact.
pub type Total = (usize, TotalRelation);

/// A query as a tree whose score can be computed for chosen passages: the
/// shapes [`super::query`] builds, each of which [`Node::query`] turns into
/// the tantivy query with the same score.
#[derive(Debug)]
pub enum Node {
    /// One term (a leaf the first phase can use).
    Term(Term, IndexRecordOption),
    /// Any other query whose scorer seeks cheaply (a prefix, a phrase).
    Leaf(Box<dyn Query>),
    /// The child's score times a weight.
    Boost(Box<Node>, f32),
    /// The best child's score plus `tie` times the others' (tantivy's
    /// `DisjunctionMaxQuery`); matches when any child does.
    Max(Vec<Node>, f32),
    /// The sum of the matching children (a `BooleanQuery` of `Should`).
    Sum(Vec<Node>),
    /// The sum of the children, matching only when all do (of `Must`).
    All(Vec<Node>),
}

impl Clone for Node {
    fn clone(&self) -> Self {
        match self {
            Node::Term(term, option) => Node::Term(term.clone(), *option),
            Node::Leaf(query) => Node::Leaf(query.box_clone()),
            Node::Boost(child, boost) => Node::Boost(child.clone(), *boost),
            Node::Max(children, tie) => Node::Max(children.clone(), *tie),
            Node::Sum(children) => Node::Sum(children.clone()),
            Node::All(children) => Node::All(children.clone()),
        }
    }
}

impl Node {
    /// The tantivy query that scores as this tree does.
    pub fn query(&self) -> Box<dyn Query> {
        match self {
            Node::Term(term, option) => Box::new(TermQuery::new(term.clone(), *option)),
            Node::Leaf(query) => query.box_clone(),
            Node::Boost(child, boost) => Box::new(BoostQuery::new(child.query(), *boost)),
            Node::Max(children, tie) => Box::new(DisjunctionMaxQuery::with_tie_breaker(
                children.iter().map(Node::query).collect(),
                *tie,
            )),
            Node::Sum(children) => Box::new(BooleanQuery::new(
                children
                    .iter()
                    .map(|c| (Occur::Should, c.query()))
                    .collect(),
            )),
            Node::All(children) => Box::new(BooleanQuery::new(
                children.iter().map(|c| (Occur::Must, c.query())).collect(),
            )),
        }
    }

    /// Every term of the tree with the product of the weights above it,
    /// each once (at its highest weight): summed, they are the first
    /// phase's flat OR. A maximum becomes a sum there, which only changes
    /// which candidates are looked at, not their final scores.
    pub fn terms(&self, out: &mut Vec<(Term, f32)>) {
        self.collect_terms(1.0, out);
    }

    /// Terms any of which alone makes the tree match (none under an
    /// [`Node::All`]): a lower bound of its count is the largest of theirs.
    pub fn sufficient_terms(&self, out: &mut Vec<Term>) {
        match self {
            Node::Term(term, _) => out.push(term.clone()),
            Node::Leaf(_) | Node::All(_) => {}
            Node::Boost(child, _) => child.sufficient_terms(out),
            Node::Max(children, _) | Node::Sum(children) => {
                for child in children {
                    child.sufficient_terms(out);
                }
            }
        }
    }

    fn collect_terms(&self, weight: f32, out: &mut Vec<(Term, f32)>) {
        match self {
            Node::Term(term, _) => match out.iter_mut().find(|(t, _)| t == term) {
                Some((_, w)) => *w = w.max(weight),
                None => out.push((term.clone(), weight)),
            },
            Node::Leaf(_) => {}
            Node::Boost(child, boost) => child.collect_terms(weight * boost, out),
            Node::Max(children, _) | Node::Sum(children) | Node::All(children) => {
                for child in children {
                    child.collect_terms(weight, out);
                }
            }
        }
    }
}

/// The first phase's query: `terms`, each boosted, as one flat OR that
/// tantivy prunes.
pub fn flat_query(terms: &[(Term, f32)]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        terms
            .iter()
            .map(|(term, weight)| {
                let query: Box<dyn Query> = Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                    *weight,
                ));
                (Occur::Should, query)
            })
            .collect(),
    ))
}

/// The best `limit` passages of `flat` (the first phase's OR) inside
/// `inside`, best first, as `TopDocs` would order them: block-max WAND runs
/// as without the filter, and a passage outside it is skipped before it can
/// raise the threshold. Deleted passages are never inside.
pub fn top_pruned_inside(
    searcher: &Searcher,
    stats: &KeptStats,
    flat: &dyn Query,
    inside: &Resolved,
    limit: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let enable = EnableScoring::enabled_from_statistics_provider(stats, searcher);
    let weight = flat.weight(enable)?;
    let mut best = Vec::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let segment = reader.segment_id();
        // The lowest kept score once `limit` are kept, as a min-heap.
        let mut heap: BinaryHeap<Reverse<Ranked>> = BinaryHeap::with_capacity(limit + 1);
        let mut threshold = Score::MIN;
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            if inside.contains(segment, doc) {
                heap.push(Reverse(Ranked(score, doc)));
                if heap.len() > limit {
                    heap.pop();
                }
                if heap.len() == limit {
                    threshold = heap.peek().map_or(Score::MIN, |r| r.0.0);
                }
            }
            threshold
        })?;
        let ord = ord as u32;
        best.extend(
            heap.into_iter()
                .map(|Reverse(Ranked(score, doc))| (score, DocAddress::new(ord, doc))),
        );
    }
    best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    best.truncate(limit);
    Ok(best)
}

/// A passage of one segment by score, a lower document first among equal
/// scores (as tantivy keeps them).
#[derive(Debug, Clone, Copy)]
struct Ranked(Score, DocId);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// The score of each of `addresses` under `node`, `None` where it does not
/// match: exactly what running `node.query()` would score them.
pub fn rescore(
    searcher: &Searcher,
    stats: &KeptStats,
    node: &Node,
    addresses: &[DocAddress],
) -> tantivy::Result<Vec<Option<Score>>> {
    let mut scores = vec![None; addresses.len()];
    let mut order: Vec<usize> = (0..addresses.len()).collect();
    order.sort_by_key(|&i| addresses[i]);
    let enable = EnableScoring::enabled_from_statistics_provider(stats, searcher);
    let mut weights = Vec::new();
    let tree = Tree::new(node, enable, &mut weights)?;
    for in_segment in order.chunk_by(|&a, &b| addresses[a].segment_ord == addresses[b].segment_ord)
    {
        let reader = searcher.segment_reader(addresses[in_segment[0]].segment_ord);
        let mut scorers = Vec::with_capacity(weights.len());
        for weight in &weights {
            let weight: &dyn tantivy::query::Weight = weight.as_ref();
            scorers.push(weight.scorer(reader, 1.0)?);
        }
        for &i in in_segment {
            scores[i] = tree.score(addresses[i].doc_id, &mut scorers);
        }
    }
    Ok(scores)
}

/// A [`Node`] with its leaves numbered, for the leaves' scorers.
enum Tree {
    Leaf(usize),
    Boost(Box<Tree>, f32),
    Max(Vec<Tree>, f32),
    Sum(Vec<Tree>),
    All(Vec<Tree>),
}

impl Tree {
    fn new(
        node: &Node,
        enable: EnableScoring<'_>,
        weights: &mut Vec<Box<dyn tantivy::query::Weight>>,
    ) -> tantivy::Result<Tree> {
        let mut children = |nodes: &[Node]| -> tantivy::Result<Vec<Tree>> {
            nodes
                .iter()
                .map(|n| Tree::new(n, enable, weights))
                .collect()
        };
        Ok(match node {
            Node::Term(..) | Node::Leaf(_) => {
                weights.push(node.query().weight(enable)?);
                Tree::Leaf(weights.len() - 1)
            }
            Node::Boost(child, boost) => {
                Tree::Boost(Box::new(Tree::new(child, enable, weights)?), *boost)
            }
            Node::Max(nodes, tie) => Tree::Max(children(nodes)?, *tie),
            Node::Sum(nodes) => Tree::Sum(children(nodes)?),
            Node::All(nodes) => Tree::All(children(nodes)?),
        })
    }

    /// The score of `doc`, `None` when it does not match. Documents must
    /// come in increasing order: the leaves' scorers only move forward.
    fn score(&self, doc: DocId, scorers: &mut [Box<dyn Scorer>]) -> Option<Score> {
        match self {
            Tree::Leaf(i) => {
                let scorer = &mut scorers[*i];
                if scorer.doc() < doc {
                    scorer.seek(doc);
                }
                (scorer.doc() == doc && doc != TERMINATED).then(|| scorer.score())
            }
            Tree::Boost(child, boost) => child.score(doc, scorers).map(|s| s * boost),
            Tree::Max(children, tie) => {
                let (mut max, mut sum, mut any) = (Score::MIN, 0.0, false);
                for child in children {
                    if let Some(s) = child.score(doc, scorers) {
                        max = max.max(s);
                        sum += s;
                        any = true;
                    }
                }
                any.then(|| max + (sum - max) * tie)
            }
            Tree::Sum(children) => {
                let mut total: Option<Score> = None;
                for child in children {
                    if let Some(s) = child.score(doc, scorers) {
                        *total.get_or_insert(0.0) += s;
                    }
                }
                total
            }
            Tree::All(children) => {
                let mut total = 0.0;
                let mut all = true;
                // Every child is asked, so each leaf's scorer keeps moving forward.
                for child in children {
                    match child.score(doc, scorers) {
                        Some(s) => total += s,
                        None => all = false,
                    }
                }
                all.then_some(total)
            }
        }
    }
}

/// How many passages `query` matches, exactly up to `limit` (the engine's
/// is [`EXACT_TOTAL_UP_TO`]) and `limit` as a lower bound past it. `terms`
/// are terms the query matches every passage of (any one of them alone):
/// when one of them is in more than `limit` passages, the answer is known
/// without iterating.
pub fn count(
    searcher: &Searcher,
    query: &dyn Query,
    terms: &[Term],
    limit: usize,
) -> tantivy::Result<Total> {
    for term in terms {
        let mut docs = 0u64;
        for reader in searcher.segment_readers() {
            // A segment with deletions counts some passages that are gone.
            if reader.alive_bitset().is_none() {
                docs += u64::from(reader.inverted_index(term.field())?.doc_freq(term)?);
            }
        }
        if docs > limit as u64 {
            return Ok((limit, TotalRelation::Gte));
        }
    }
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut found = 0usize;
    for reader in searcher.segment_readers() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                found += 1;
                if found > limit {
                    return Ok((limit, TotalRelation::Gte));
                }
            }
            doc = scorer.advance();
        }
    }
    Ok((found, TotalRelation::Eq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::stats::DocFreqs;
    use crate::search::testing::TestIndex;
    use tantivy::collector::TopDocs;

    fn term(index: &TestIndex, text: &str) -> Node {
        Node::Term(
            Term::from_field_text(index.fields.text, text),
            IndexRecordOption::WithFreqsAndPositions,
        )
    }

    #[test]
    fn rescore_gives_the_scores_of_the_whole_query() {
        let index = TestIndex::new(&[
            "注销 手机 注销",
            "手机 流程",
            "在线 注销 流程",
            "营业厅 办理",
            "在线 手机",
        ]);
        let node = Node::Sum(vec![
            Node::Boost(Box::new(term(&index, "注销")), 1.5),
            Node::Max(vec![term(&index, "手机"), term(&index, "流程")], 0.2),
            Node::All(vec![term(&index, "在线"), term(&index, "流程")]),
        ]);
        let searcher = index.searcher();
        let doc_freqs = DocFreqs::default();
        let stats = KeptStats {
            searcher: &searcher,
            doc_freqs: &doc_freqs,
        };
        let whole = searcher
            .search(&*node.query(), &TopDocs::with_limit(10).order_by_score())
            .unwrap();
        let mut addresses: Vec<DocAddress> = whole.iter().map(|(_, a)| *a).collect();
        addresses.push(DocAddress::new(0, 3)); // 营业厅 办理 matches nothing
        addresses.reverse(); // any order
        let scores = rescore(&searcher, &stats, &node, &addresses).unwrap();
        for (address, score) in addresses.iter().zip(&scores) {
            let expected = whole.iter().find(|(_, a)| a == address).map(|(s, _)| *s);
            match (expected, score) {
                (Some(e), Some(s)) => assert!((e - s).abs() < 1e-5, "{address:?}: {e} vs {s}"),
                (None, None) => {}
                other => panic!("{address:?}: {other:?}"),
            }
        }
        assert_eq!(whole.len(), 4);
    }

    #[test]
    fn terms_are_flat_with_their_weights_each_once() {
        let index = TestIndex::new(&["注销"]);
        let node = Node::Sum(vec![
            Node::Boost(
                Box::new(Node::Max(
                    vec![term(&index, "注销"), term(&index, "在线")],
                    0.2,
                )),
                2.0,
            ),
            Node::Boost(Box::new(term(&index, "注销")), 0.5),
        ]);
        let mut terms = Vec::new();
        node.terms(&mut terms);
        let texts: Vec<(String, f32)> = terms
            .iter()
            .map(|(t, w)| (t.value().as_str().unwrap().to_string(), *w))
            .collect();
        assert_eq!(
            texts,
            [("注销".to_string(), 2.0), ("在线".to_string(), 2.0)]
        );
    }

    #[test]
    fn the_pruned_top_inside_a_filter_is_the_intersected_top() {
        let mut articles = Vec::new();
        for i in 0..60 {
            let path = format!("{}/{i}.md", ["a", "b", "c"][i % 3]);
            let text = match i % 4 {
                0 => "注销 手机 注销",
                1 => "手机 流程",
                2 => "在线 注销 流程",
                _ => "营业厅 办理",
            };
            articles.push((path, text.to_string()));
        }
        let articles: Vec<(&str, &str)> = articles
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let index = TestIndex::with_paths(&articles);
        let searcher = index.searcher();
        let doc_freqs = DocFreqs::default();
        let stats = KeptStats {
            searcher: &searcher,
            doc_freqs: &doc_freqs,
        };
        let terms: Vec<(Term, f32)> = [("注销", 1.5), ("手机", 1.0), ("流程", 0.5)]
            .iter()
            .map(|(t, w)| (Term::from_field_text(index.fields.text, t), *w))
            .collect();
        let flat = flat_query(&terms);
        let inside = crate::search::Filters::parse(&["a", "c/5.md"])
            .unwrap()
            .resolve(&searcher, index.fields.path)
            .unwrap();
        assert_eq!(inside.passages, 21);
        for limit in [1, 5, 100] {
            let pruned =
                top_pruned_inside(&searcher, &stats, flat.as_ref(), &inside, limit).unwrap();
            let intersected = BooleanQuery::new(vec![
                (Occur::Must, flat.box_clone()),
                (Occur::Must, inside.query()),
            ]);
            let expected = searcher
                .search_with_statistics_provider(
                    &intersected,
                    &TopDocs::with_limit(limit).order_by_score(),
                    &stats,
                )
                .unwrap();
            assert_eq!(pruned.len(), expected.len(), "{limit}");
            for (p, e) in pruned.iter().zip(&expected) {
                assert!((p.0 - e.0).abs() < 1e-5, "{limit}: {p:?} {e:?}");
            }
        }
    }

    #[test]
    fn count_is_exact_up_to_the_limit_then_a_lower_bound() {
        let index = TestIndex::new(&["注销 卡", "卡", "流程"]);
        let searcher = index.searcher();
        let card = Term::from_field_text(index.fields.text, "卡");
        let query = TermQuery::new(card.clone(), IndexRecordOption::WithFreqs);
        let count = |terms: &[Term], limit| count(&searcher, &query, terms, limit).unwrap();
        assert_eq!(
            count(std::slice::from_ref(&card), 10),
            (2, TotalRelation::Eq)
        );
        assert_eq!(
            count(std::slice::from_ref(&card), 2),
            (2, TotalRelation::Eq)
        );
        assert_eq!(
            count(&[card], 1),
            (1, TotalRelation::Gte),
            "known from 卡's postings"
        );
        assert_eq!(count(&[], 1), (1, TotalRelation::Gte), "found by iterating");
    }
}
