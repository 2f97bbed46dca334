//! The configuration of one command, resolved once before any work starts:
//! which corpus and index folders, which user dictionary and synonyms.
//!
//! What the user names ([`Locations`]) is only half of it: an index remembers
//! the corpus it was built from and the user files it was analyzed with, in
//! its commit payload. [`Config::resolve`] reads that payload once, fills in
//! what no flag names, reads the dictionary and the synonyms, and keeps the
//! payload for opening the index, so no command reads `meta.json` twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::analysis::{Dictionary, Segmenters, Synonyms};
use crate::index::{self, OpenError, Payload, UserFiles};

/// Folder inside the corpus for zhsearch's own files (hidden: never indexed).
pub const CORPUS_SETTINGS_DIR: &str = ".zhsearch";
/// User dictionary picked up from the corpus: `<corpus>/.zhsearch/dict.txt`.
pub const CORPUS_DICT: &str = "dict.txt";
/// User synonyms picked up from the corpus: `<corpus>/.zhsearch/synonyms.txt`.
pub const CORPUS_SYNONYMS: &str = "synonyms.txt";
/// The corpus folder when neither a flag nor the index names one.
pub const DEFAULT_CORPUS: &str = "corpus";
/// The index folder when no flag names one.
pub const DEFAULT_INDEX: &str = "index";

/// The folders and files a user names on the command line, none of them
/// checked yet; `None` means "not given".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    pub corpus: Option<PathBuf>,
    pub index: PathBuf,
    pub dict: Option<PathBuf>,
    pub synonyms: Option<PathBuf>,
}

impl Default for Locations {
    fn default() -> Self {
        Locations {
            corpus: None,
            index: PathBuf::from(DEFAULT_INDEX),
            dict: None,
            synonyms: None,
        }
    }
}

/// Everything a command needs to read or write an index.
pub struct Config {
    /// The locations as the user gave them: hints repeat these flags.
    pub requested: Locations,
    /// The corpus folder: `--corpus`, else the one the index was built from,
    /// else [`DEFAULT_CORPUS`].
    pub corpus: PathBuf,
    /// The index folder.
    pub index: PathBuf,
    /// The dictionary (built-in plus user words) and its segmenters.
    pub segmenters: Arc<Segmenters>,
    /// The built-in synonym groups plus the user's.
    pub synonyms: Synonyms,
    /// The user files named by a flag or remembered by the index, absolute,
    /// for the next commit to remember.
    pub user_files: UserFiles,
    /// The index's payload, read once by [`Config::resolve`].
    payload: Option<Result<Payload, OpenError>>,
}

impl Config {
    /// Reads the index's payload (if there is an index), then the user
    /// dictionary and synonyms named by `requested`, remembered by the index,
    /// or found in the corpus's `.zhsearch/` folder. A flag replaces what the
    /// index remembers, and no flag keeps it, so `zhsearch index --dict FILE`
    /// once is enough.
    pub fn resolve(requested: &Locations) -> Result<Config> {
        let payload = index::read_payload(&requested.index);
        let stored = payload.as_ref().ok().map(|p| &p.manifest);
        let remembered = stored.map(|m| m.user_files.clone()).unwrap_or_default();
        let dict = requested.dict.clone().or(remembered.dict);
        let synonyms = requested.synonyms.clone().or(remembered.synonyms);
        let corpus = resolve_corpus(
            requested.corpus.as_deref(),
            stored.and_then(|m| m.corpus.as_deref()),
        );
        let in_corpus = corpus.join(CORPUS_SETTINGS_DIR);
        let segmenters = Arc::new(Segmenters::new(read_dictionary(&user_files(
            dict.as_deref(),
            &in_corpus.join(CORPUS_DICT),
        ))?));
        let mut all_synonyms = Synonyms::builtin();
        for file in user_files(synonyms.as_deref(), &in_corpus.join(CORPUS_SYNONYMS)) {
            all_synonyms.add_groups(&read(&file, "synonym")?);
        }
        Ok(Config {
            requested: requested.clone(),
            corpus,
            index: requested.index.clone(),
            segmenters,
            synonyms: all_synonyms,
            user_files: UserFiles {
                dict: dict.as_deref().map(absolute),
                synonyms: synonyms.as_deref().map(absolute),
            },
            payload: Some(payload),
        })
    }

    /// The payload [`Config::resolve`] read, the first time; read again after
    /// that (an update in between has committed a new one).
    pub fn take_payload(&mut self) -> Result<Payload, OpenError> {
        self.payload
            .take()
            .unwrap_or_else(|| index::read_payload(&self.index))
    }
}

/// The corpus folder: `flag`, else the folder the index was built from
/// (`stored`, shown relative to the working folder when inside it), else
/// [`DEFAULT_CORPUS`].
fn resolve_corpus(flag: Option<&Path>, stored: Option<&Path>) -> PathBuf {
    if let Some(corpus) = flag {
        return corpus.to_path_buf();
    }
    match stored {
        Some(path) => std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| path.to_path_buf()),
        None => PathBuf::from(DEFAULT_CORPUS),
    }
}

/// `path` made absolute, so the index remembers it from any working folder.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The built-in dictionary plus the words of `files`.
fn read_dictionary(files: &[PathBuf]) -> Result<Dictionary> {
    if files.is_empty() {
        return Ok(Dictionary::builtin());
    }
    let mut user_words = String::new();
    let mut origins = Vec::new();
    for file in files {
        user_words.push_str(&read(file, "dictionary")?);
        user_words.push('\n');
        origins.push(file.display().to_string());
    }
    Dictionary::with_user_words(&user_words, &origins.join(" + "))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_flag_wins_then_the_remembered_folder_then_the_default() {
        let flag = Path::new("mine");
        let stored = Path::new("/somewhere/else");
        assert_eq!(resolve_corpus(Some(flag), Some(stored)), flag);
        assert_eq!(resolve_corpus(None, Some(stored)), stored);
        assert_eq!(resolve_corpus(None, None), Path::new(DEFAULT_CORPUS));
        let inside = std::env::current_dir().unwrap().join("sub");
        assert_eq!(resolve_corpus(None, Some(&inside)), Path::new("sub"));
    }

    #[test]
    fn without_an_index_the_defaults_and_the_built_in_tables_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let requested = Locations {
            index: dir.path().join("index"),
            corpus: Some(dir.path().join("corpus")),
            ..Locations::default()
        };
        let mut config = Config::resolve(&requested).unwrap();
        assert_eq!(config.corpus, dir.path().join("corpus"));
        assert_eq!(config.user_files, UserFiles::default());
        assert!(matches!(config.take_payload(), Err(OpenError::Missing(_))));
    }

    #[test]
    fn a_dictionary_that_is_not_utf8_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let dict = dir.path().join("dict.txt");
        std::fs::write(&dict, b"\xff\xfe\x00").unwrap();
        let requested = Locations {
            index: dir.path().join("index"),
            dict: Some(dict),
            ..Locations::default()
        };
        let err = Config::resolve(&requested).err().unwrap();
        assert!(
            err.to_string().contains("is not UTF-8: save it as UTF-8"),
            "{err}"
        );
    }
}
