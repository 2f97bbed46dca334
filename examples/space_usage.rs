//! Bytes of an index by field and by kind (term dictionary, postings,
//! positions, field norms, stored passages), for BENCHMARKS.md: where the
//! size of an index goes.
//!
//! `cargo run --release --example space_usage -- INDEX_DIR`

use std::collections::BTreeMap;

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .context("usage: space_usage INDEX_DIR")?;
    let index = tantivy::Index::open_in_dir(&dir).with_context(|| format!("cannot open {dir}"))?;
    let usage = index.reader()?.searcher().space_usage()?;
    // field -> [terms, postings, positions, fieldnorms]
    let mut by_field: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    let mut store = 0;
    for segment in usage.segments() {
        let kinds = [
            segment.termdict(),
            segment.postings(),
            segment.positions(),
            segment.fieldnorms(),
        ];
        for (kind, fields) in kinds.into_iter().enumerate() {
            for field in fields.fields() {
                by_field.entry(field.field_name().to_string()).or_default()[kind] +=
                    field.total().get_bytes();
            }
        }
        store += segment.store().total().get_bytes();
    }
    println!("field\tterms\tpostings\tpositions\tfieldnorms");
    for (field, [terms, postings, positions, norms]) in by_field {
        println!("{field}\t{terms}\t{postings}\t{positions}\t{norms}");
    }
    println!("stored passages\t{store}");
    Ok(())
}
