//! A tiny in-RAM index for unit tests, with the real schema and tokenizers.

use std::sync::{Arc, LazyLock};

use tantivy::collector::Count;
use tantivy::query::Query;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument};

use crate::analysis::{self, Dictionary, Segmenters};
use crate::index::Fields;

/// One set of segmenters for every test: loading jieba is the slow part.
pub static SEGMENTERS: LazyLock<Arc<Segmenters>> =
    LazyLock::new(|| Arc::new(Segmenters::new(Dictionary::builtin())));

/// An index of passages given as text, all in one article.
pub struct TestIndex {
    pub fields: Fields,
    pub reader: IndexReader,
    writer: IndexWriter,
}

impl TestIndex {
    /// An index holding `texts`, committed.
    pub fn new(texts: &[&str]) -> TestIndex {
        let articles: Vec<(&str, &str)> = texts.iter().map(|t| ("a.md", *t)).collect();
        TestIndex::with_paths(&articles)
    }

    /// An index holding one passage per (article path, text), committed.
    pub fn with_paths(articles: &[(&str, &str)]) -> TestIndex {
        let (schema, fields) = Fields::build_schema();
        let index = crate::index::schema::builder()
            .schema(schema)
            .create_in_ram()
            .unwrap();
        analysis::register_tokenizers(&index, &SEGMENTERS);
        let writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .unwrap();
        let mut test = TestIndex {
            fields,
            reader,
            writer,
        };
        test.commit_articles(articles);
        test
    }

    /// Adds `texts` as passages and commits, then reloads the reader.
    pub fn commit(&mut self, texts: &[&str]) {
        let articles: Vec<(&str, &str)> = texts.iter().map(|t| ("a.md", *t)).collect();
        self.commit_articles(&articles);
    }

    /// Adds one passage per (article path, text) and commits, then reloads
    /// the reader.
    pub fn commit_articles(&mut self, articles: &[(&str, &str)]) {
        for (path, text) in articles {
            let mut doc = TantivyDocument::default();
            doc.add_text(self.fields.path, path);
            doc.add_u64(self.fields.line, 1);
            doc.add_text(self.fields.title, "");
            doc.add_text(self.fields.heading, "");
            doc.add_text(self.fields.text, text);
            doc.add_text(self.fields.chars, text);
            self.writer.add_document(doc).unwrap();
        }
        self.writer.commit().unwrap();
        self.reader.reload().unwrap();
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// How many passages `query` matches.
    pub fn count(&self, query: &dyn Query) -> usize {
        self.searcher().search(query, &Count).unwrap()
    }
}
