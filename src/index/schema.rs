//! The index schema: one tantivy document per passage.

use std::path::Path;
use std::sync::Arc;

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{Index, IndexBuilder, IndexSettings};

use super::passages::PassagePlugin;
use crate::analysis;

/// Bumped whenever the fields change, or what they hold, so an index from an
/// older zhsearch is detected and rebuilt rather than read wrongly. 4: damaged
/// UTF-8 is stored with U+FFFD instead of as mojibake, and a file name that
/// is not UTF-8 has an escaped document id instead of a lossy one. 5: the
/// manifest stores each skipped file's reason as a typed value (packing
/// format 2). 6: `line` is also a column, to order tied passages. 7: the
/// title and heading have no positions. 8: passages are stored in the
/// passage store ([`super::passages`]), not in tantivy's. 9: a word's
/// position is its stretch of characters
/// ([`analysis::WORD_POSITION_CHARS`]), not its first character.
pub const SCHEMA_VERSION: u32 = 9;

/// Name of the path field, also a column: ranking articles reads each
/// candidate's path from it rather than from its stored passage.
pub const PATH_COLUMN: &str = "path";
/// The column of passage lines: with [`PATH_COLUMN`], the order of passages
/// whose scores tie.
pub const LINE_COLUMN: &str = "line";

/// Named handles of every field, so no code looks a field up by string twice.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The article's path relative to the corpus: the document id, untokenized
    /// so an article's passages can be deleted by path.
    pub path: Field,
    /// 1-based line where the passage starts (stored, and a column for
    /// breaking ties).
    pub line: Field,
    /// The article title (words, no positions).
    pub title: Field,
    /// The heading breadcrumb (words, no positions).
    pub heading: Field,
    /// The passage text (words with positions).
    pub text: Field,
    /// The passage text again as Han bigrams (not stored, no positions; see
    /// [`analysis::char_tokens`]).
    pub chars: Field,
}

impl Fields {
    /// The schema and its field handles.
    pub fn build_schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let words = |record| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analysis::WORDS)
                    .set_index_option(record),
            )
        };
        let chars = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::CHARS)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        // Untokenized, to delete an article's passages by path and to group
        // them by article; no field norms, as nothing scores on it.
        let path = (STRING | FAST).set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_fieldnorms(false)
                .set_index_option(IndexRecordOption::Basic),
        );
        let fields = Fields {
            path: builder.add_text_field(PATH_COLUMN, path),
            line: builder.add_u64_field(LINE_COLUMN, FAST),
            // Only the text has positions: proximity looks at nothing else
            // (phrases are checked against the stored text), and the title's
            // and heading's were 1.5% of x1's index (0.32 of 21.4 MB).
            title: builder.add_text_field("title", words(IndexRecordOption::WithFreqs)),
            heading: builder.add_text_field("heading", words(IndexRecordOption::WithFreqs)),
            text: builder.add_text_field("text", words(IndexRecordOption::WithFreqsAndPositions)),
            chars: builder.add_text_field("chars", chars),
        };
        (builder.build(), fields)
    }

    /// How a new index is set: tantivy's document store holds an empty
    /// record per passage (they are in the passage store), which its
    /// default of lz4 in 16 KB blocks kept in 117 KB on x1, and zstd in
    /// 1 MB blocks in 70 KB.
    pub fn index_settings() -> IndexSettings {
        IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor {
                compression_level: Some(3),
            }),
            docstore_blocksize: 1 << 20,
            ..IndexSettings::default()
        }
    }

    /// Handles of an opened index's schema; fails when a field is missing
    /// (an index written by another version).
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        Ok(Fields {
            path: schema.get_field(PATH_COLUMN)?,
            line: schema.get_field(LINE_COLUMN)?,
            title: schema.get_field("title")?,
            heading: schema.get_field("heading")?,
            text: schema.get_field("text")?,
            chars: schema.get_field("chars")?,
        })
    }
}

/// A builder for a new index with the passage store.
pub fn builder() -> IndexBuilder {
    Index::builder()
        .settings(Fields::index_settings())
        .register_plugin(Arc::new(PassagePlugin::default()))
}

/// Opens the index in `dir` with the passage store, which tantivy needs to
/// write or merge its segments.
pub fn open(dir: &Path) -> tantivy::Result<Index> {
    let mut index = Index::open_in_dir(dir)?;
    index.register_plugin(Arc::new(PassagePlugin::default()));
    Ok(index)
}
