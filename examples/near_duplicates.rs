//! The near-duplicate similarity of passage pairs in an index, for choosing
//! `search::collapse::THRESHOLD`: a histogram of every pair's similarity and
//! the most similar pairs, with where they are.
//!
//! `cargo run --release --example near_duplicates -- INDEX_DIR [TOP]`
//!
//! Every pair is compared, so keep it to small indexes (the seed corpus has
//! 70 passages, 2,415 pairs).

use anyhow::{Context, Result};
use tantivy::{DocSet, TERMINATED};

use zhsearch::analysis::Normalized;
use zhsearch::search::collapse::Shingles;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .context("usage: near_duplicates INDEX_DIR [TOP]")?;
    let top: usize = args.next().map_or(Ok(10), |n| n.parse())?;
    let index = tantivy::Index::open_in_dir(&dir).with_context(|| format!("cannot open {dir}"))?;
    let searcher = index.reader()?.searcher();
    let store = zhsearch::index::Passages::new(1 << 26);
    let mut passages = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let mut docs = tantivy::query::AllScorer::new(segment.max_doc());
        let mut doc = docs.doc();
        while doc != TERMINATED {
            if segment.alive_bitset().is_none_or(|a| a.is_alive(doc)) {
                let stored = store.get(&searcher, tantivy::DocAddress::new(ord as u32, doc))?;
                let at = format!("{}:{}", stored.path, stored.line);
                passages.push((at, Shingles::of(Normalized::new(&stored.text).as_str())));
            }
            doc = docs.advance();
        }
    }
    let mut pairs = Vec::new();
    let mut histogram = [0usize; 10];
    for (i, (a, sa)) in passages.iter().enumerate() {
        for (b, sb) in &passages[i + 1..] {
            let similarity = sa.similarity(sb);
            histogram[((similarity * 10.0) as usize).min(9)] += 1;
            pairs.push((similarity, a.clone(), b.clone()));
        }
    }
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    println!("{} passages, {} pairs", passages.len(), pairs.len());
    for (bucket, count) in histogram.iter().enumerate() {
        println!(
            "  {:.1}–{:.1}: {count}",
            bucket as f32 / 10.0,
            (bucket + 1) as f32 / 10.0
        );
    }
    for (similarity, a, b) in pairs.iter().take(top) {
        println!("{similarity:.3}  {a}  {b}");
    }
    Ok(())
}
