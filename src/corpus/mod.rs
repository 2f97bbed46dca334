//! The corpus: a folder of articles, each read into the passages we index.
//!
//! An [`Article`] is one Markdown or plain-text file; a [`Passage`] is the unit a
//! person wants as an answer (a paragraph, or a list kept whole) together with the
//! place it came from.

pub mod decode;
mod markdown;
pub(crate) mod names;
pub(crate) mod pieces;
mod skip;
mod walk;

pub use markdown::parse_article;
pub use pieces::{PIECE_BYTES, parse_article_in_pieces};
pub use skip::SkipReason;
pub use walk::{
    ARTICLE_EXTENSIONS, Folders, Found, IGNORE_FILE, Listing, MAX_ARTICLE_BYTES, Skipped,
    SourceFile, Walked, decode_article, folder_mtime, list, nanos_since_epoch, read_article,
    read_bytes, walk, walk_root, walk_with_folders,
};

/// One file of the corpus, read into passages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Path relative to the corpus folder, with `/` separators: the document id.
    pub path: String,
    /// The first level-1 heading, else an all-bold first paragraph, else the file stem.
    pub title: String,
    /// The article's passages in reading order.
    pub passages: Vec<Passage>,
}

/// A unit of text a person would want as an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The headings above the passage, outermost first (the title is not among them).
    pub headings: Vec<String>,
    /// Plain text: no markup, URLs or images.
    pub text: String,
    /// 1-based line in the file where the passage starts.
    pub line: usize,
}

impl Passage {
    /// The heading breadcrumb as shown to users, e.g. `三、eSIM卡的注销方法 › 2. 在线注销`.
    pub fn breadcrumb(&self) -> String {
        self.headings.join(" › ")
    }
}
