//! Validated settings built from the command line: folders resolved, the
//! dictionary and synonym files read, before any work starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::analysis::{Dictionary, Segmenters, Synonyms};
use crate::cli::Locations;

/// Folder inside the corpus for zhsearch's own files (hidden: never indexed).
pub const CORPUS_SETTINGS_DIR: &str = ".zhsearch";
/// User dictionary picked up from the corpus: `<corpus>/.zhsearch/dict.txt`.
pub const CORPUS_DICT: &str = "dict.txt";
/// User synonyms picked up from the corpus: `<corpus>/.zhsearch/synonyms.txt`.
pub const CORPUS_SYNONYMS: &str = "synonyms.txt";

/// Everything a command needs to read or write an index.
pub struct Settings {
    pub corpus: PathBuf,
    pub index: PathBuf,
    pub segmenters: Arc<Segmenters>,
    pub synonyms: Synonyms,
}

impl Settings {
    /// Reads the user dictionary and synonyms named by flags or found in
    /// `corpus` (the resolved corpus folder).
    pub fn load(corpus: &Path, locations: &Locations) -> Result<Settings> {
        let in_corpus = corpus.join(CORPUS_SETTINGS_DIR);
        let dict_files = user_files(locations.dict.as_deref(), &in_corpus.join(CORPUS_DICT));
        let mut user_words = String::new();
        let mut origins = Vec::new();
        for file in &dict_files {
            user_words.push_str(&read(file, "dictionary")?);
            user_words.push('\n');
            origins.push(file.display().to_string());
        }
        let dictionary = if dict_files.is_empty() {
            Dictionary::builtin()
        } else {
            Dictionary::with_user_words(&user_words, &origins.join(" + "))?
        };
        let mut synonyms = Synonyms::builtin();
        let synonym_files = user_files(
            locations.synonyms.as_deref(),
            &in_corpus.join(CORPUS_SYNONYMS),
        );
        for file in synonym_files {
            synonyms.add_groups(&read(&file, "synonym")?);
        }
        Ok(Settings {
            corpus: corpus.to_path_buf(),
            index: locations.index.clone(),
            segmenters: Arc::new(Segmenters::new(dictionary)),
            synonyms,
        })
    }
}

/// The file named by a flag (which must exist) and the corpus's own (if present).
fn user_files(flag: Option<&Path>, in_corpus: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = flag.map(Path::to_path_buf).into_iter().collect();
    if in_corpus.is_file() {
        files.push(in_corpus.to_path_buf());
    }
    files
}

fn read(path: &Path, what: &str) -> Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {what} file '{}'", path.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{what} file '{}' is not UTF-8: save it as UTF-8",
            path.display()
        )
    })
}
