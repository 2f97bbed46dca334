//! Bytes of an index by field and by kind (term dictionary, postings,
//! positions, field norms, stored passages), and the tokens each field
//! indexed, for BENCHMARKS.md: where the size and the build time of an
//! index go. Reads any tantivy index (the scale peer's too).
//!
//! `cargo run --release --example space_usage -- INDEX_DIR`

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use tantivy::index::SegmentComponent;

fn main() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .context("usage: space_usage INDEX_DIR")?;
    let open = || format!("cannot open {dir}");
    let mut index = tantivy::Index::open_in_dir(&dir).with_context(open)?;
    let passages = zhsearch::index::passages::EXTENSION;
    if index
        .load_metas()?
        .persisted_custom_extensions
        .iter()
        .any(|e| e == passages)
    {
        // A zhsearch index: with its passage store registered, to count its files.
        index =
            zhsearch::index::open_tantivy_index(std::path::Path::new(&dir)).with_context(open)?;
    }
    let searcher = index.reader()?.searcher();
    let usage = searcher.space_usage()?;
    // field -> tokens indexed, over the segments
    let mut tokens: BTreeMap<String, u64> = BTreeMap::new();
    for (field, entry) in index.schema().fields() {
        if !entry.is_indexed() {
            continue;
        }
        for reader in searcher.segment_readers() {
            *tokens.entry(entry.name().to_string()).or_default() +=
                reader.inverted_index(field)?.total_num_tokens();
        }
    }
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
        store += segment
            .component(SegmentComponent::Custom(passages.into()))
            .total()
            .get_bytes();
    }
    println!("field\tterms\tpostings\tpositions\tfieldnorms\ttokens");
    for (field, [terms, postings, positions, norms]) in by_field {
        let tokens = tokens.get(&field).copied().unwrap_or(0);
        println!("{field}\t{terms}\t{postings}\t{positions}\t{norms}\t{tokens}");
    }
    println!("stored passages\t{store}");
    Ok(())
}
