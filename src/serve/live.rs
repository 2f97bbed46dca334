//! The index the server searches, kept on the newest commit.
//!
//! A commit can come from `zhsearch index` in another process, from
//! `POST /index` or from `--watch`; the server notices it by the stamp of
//! `meta.json` (tantivy replaces that file by rename on every commit, so one
//! stat tells), then either reloads the engine's searcher or, when the commit
//! was built another way, opens a new engine and swaps it in.
//!
//! What a request sees is one [`Loaded`], taken at its start: an engine and
//! the record of the commit it was opened or reloaded for. A swap replaces
//! the whole `Loaded` at once, so a request never mixes two engines, and a
//! reload replaces tantivy's searchers at once, so a search never mixes two
//! commits (each search takes one searcher for all its phases).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use anyhow::{Context, Result};

use crate::config::{Config, Locations};
use crate::index::{self, IndexInfo, StoredManifest, UpdateOptions, UpdateReport, UserFiles, Wait};
use crate::search::{Engine, Workload};

/// What a commit was built with: a commit with another fingerprint needs a
/// new [`Engine`] (its terms were made by another dictionary or schema, its
/// queries are expanded with other synonyms); one with the same needs only
/// a reloaded searcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub info: IndexInfo,
    pub user_files: UserFiles,
}

/// An engine and the record of the commit it searches.
pub struct Loaded {
    pub engine: Arc<Engine>,
    pub fingerprint: Fingerprint,
    /// The files of the commit, packed: for `/stats`'s staleness check.
    pub manifest: StoredManifest,
    /// The corpus folder the server follows.
    pub corpus: PathBuf,
    /// Articles in the commit.
    pub articles: usize,
    /// When the commit's corpus scan ran.
    pub built: SystemTime,
    /// The `meta.json` this was loaded from; `None` if it could not be read.
    stamp: Option<Stamp>,
}

/// Which `meta.json` a [`Loaded`] was read from: size and modification time
/// change with every commit (a commit writes a new file and renames it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: SystemTime,
}

impl Stamp {
    fn of(index_dir: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(index_dir.join("meta.json")).ok()?;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok()?,
        })
    }
}

/// What [`Live::refresh`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// No new commit.
    Unchanged,
    /// A new commit built the same way: the searcher moved to it.
    Reloaded,
    /// A new commit built another way: a new engine replaced the old one.
    Swapped,
}

/// What [`Live::update`] did.
#[derive(Debug)]
pub struct Updated {
    pub report: UpdateReport,
    /// The corpus and index folders the update read and wrote.
    pub corpus: PathBuf,
    pub index: PathBuf,
    pub refreshed: Refreshed,
}

/// The server's index: the current [`Loaded`], and how it moves on.
pub struct Live {
    locations: Locations,
    current: RwLock<Arc<Loaded>>,
    /// One refresh at a time: the poller and an update may both ask.
    refreshing: Mutex<()>,
    /// One update at a time from this server (another process's is kept
    /// out by the index lock).
    updating: Mutex<()>,
    reloads: AtomicU64,
    swaps: AtomicU64,
}

impl Live {
    /// Follows the index of `locations`, starting with `engine` opened on
    /// it, whose corpus folder is `corpus`.
    pub fn new(locations: Locations, corpus: PathBuf, engine: Engine) -> Result<Live> {
        let stamp = Stamp::of(&locations.index);
        let loaded = load(engine, corpus, stamp)?;
        Ok(Live {
            locations,
            current: RwLock::new(Arc::new(loaded)),
            refreshing: Mutex::new(()),
            updating: Mutex::new(()),
            reloads: AtomicU64::new(0),
            swaps: AtomicU64::new(0),
        })
    }

    /// The engine and commit to answer one request with.
    pub fn current(&self) -> Arc<Loaded> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The index folder.
    pub fn index_dir(&self) -> &Path {
        &self.locations.index
    }

    /// Searcher reloads and engine swaps so far.
    pub fn reloads(&self) -> (u64, u64) {
        (
            self.reloads.load(Ordering::Relaxed),
            self.swaps.load(Ordering::Relaxed),
        )
    }

    /// Moves to the index's newest commit, if there is a new one. On an
    /// error (the index was deleted, damaged or built by another zhsearch)
    /// the current engine stays, answering from the commit it has.
    pub fn refresh(&self) -> Result<Refreshed> {
        let _one = self
            .refreshing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.current();
        let dir = &self.locations.index;
        // Taken before the payload is read: a commit landing in between
        // changes the stamp again, and the next refresh catches it.
        let stamp = Stamp::of(dir);
        if stamp.is_some() && stamp == current.stamp {
            return Ok(Refreshed::Unchanged);
        }
        let payload = index::read_payload(dir)?;
        let fingerprint = Fingerprint {
            info: payload.info.clone(),
            user_files: payload.manifest.user_files.clone(),
        };
        let (loaded, refreshed) = if fingerprint == current.fingerprint {
            current.engine.reload()?;
            let mut loaded = load_record(
                current.engine.clone(),
                fingerprint,
                payload.manifest,
                current.corpus.clone(),
            )?;
            loaded.stamp = stamp;
            self.reloads.fetch_add(1, Ordering::Relaxed);
            (loaded, Refreshed::Reloaded)
        } else {
            let (engine, corpus) = open(&self.locations)?;
            let loaded = load(engine, corpus, stamp)?;
            self.swaps.fetch_add(1, Ordering::Relaxed);
            (loaded, Refreshed::Swapped)
        };
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(loaded);
        Ok(refreshed)
    }

    /// Brings the index up to date with the corpus, as `zhsearch index`
    /// does (the same configuration, resolved anew, and the same update),
    /// then moves to the commit. `wait` says whether to wait for another
    /// process's update or fail with [`index::LockBusy`].
    pub fn update(&self, wait: Wait) -> Result<Updated> {
        let _one = self
            .updating
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let config = Config::resolve(&self.locations)?;
        let options = UpdateOptions {
            rebuild: false,
            wait,
            user_files: config.user_files.clone(),
        };
        let before = self.current().stamp;
        let report = index::update(
            &config.corpus,
            &config.index,
            &config.segmenters,
            options,
            &mut |_| {},
        )?;
        let mut refreshed = self.refresh()?;
        if refreshed == Refreshed::Unchanged && self.current().stamp != before {
            // The poller moved to the commit first.
            refreshed = Refreshed::Reloaded;
        }
        Ok(Updated {
            report,
            corpus: config.corpus,
            index: config.index,
            refreshed,
        })
    }
}

/// Opens an engine on the index of `locations`, configured anew (the
/// dictionary and synonyms it was built with), for many queries.
fn open(locations: &Locations) -> Result<(Engine, PathBuf)> {
    let mut config = Config::resolve(locations)?;
    config.segmenters.preload();
    let payload = config.take_payload()?;
    let opened = index::open_with(&config.index, payload, &config.segmenters)?;
    config.segmenters.full();
    let engine = Engine::new(
        opened,
        config.segmenters,
        config.synonyms,
        Workload::ManyQueries,
    )?;
    Ok((engine, config.corpus))
}

/// The [`Loaded`] of a freshly opened `engine`.
fn load(engine: Engine, corpus: PathBuf, stamp: Option<Stamp>) -> Result<Loaded> {
    let opened = engine.index();
    let fingerprint = Fingerprint {
        info: opened.info.clone(),
        user_files: opened.manifest.user_files.clone(),
    };
    let manifest = opened.manifest.clone();
    let mut loaded = load_record(Arc::new(engine), fingerprint, manifest, corpus)?;
    loaded.stamp = stamp;
    Ok(loaded)
}

fn load_record(
    engine: Arc<Engine>,
    fingerprint: Fingerprint,
    manifest: StoredManifest,
    corpus: PathBuf,
) -> Result<Loaded> {
    let articles = manifest
        .unpack()
        .context("cannot read the index's list of files")?
        .articles();
    let built = SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(manifest.scanned_at);
    Ok(Loaded {
        engine,
        fingerprint,
        manifest,
        corpus,
        articles,
        built,
        stamp: None,
    })
}
