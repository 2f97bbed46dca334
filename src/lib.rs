//! zhsearch: local full-text passage search for Chinese documents.
//!
//! The pipeline: [`corpus`] walks a folder and reads each Markdown or text
//! article into passages; [`analysis`] normalizes text and segments it with
//! jieba into words and character grams; [`index`] stores one tantivy document
//! per passage; [`search`] turns a question into a ranked list of passages with
//! highlighted snippets; [`output`] prints them as text or JSON; [`eval`]
//! measures the ranking against questions with known answers; [`serve`]
//! answers searches over HTTP.
//!
//! ```
//! use zhsearch::corpus::parse_article;
//! let article = parse_article("a.md", "a", "# 注销指南\n\n可以在线注销eSIM卡，也可以去营业厅办理销户手续。\n");
//! assert_eq!(article.title, "注销指南");
//! assert!(article.passages[0].text.contains("在线注销"));
//! ```

// The module docs are the developers' map, built with
// `cargo doc --document-private-items` (as CI does), where links to the
// crate-private stages resolve; the public API is small on purpose.
#![allow(rustdoc::private_intra_doc_links)]

pub mod analysis;
pub mod config;
pub mod corpus;
pub mod eval;
pub mod index;
pub mod output;
pub mod panic_guard;
pub mod search;
pub mod serve;
