//! `--watch`: the corpus folder followed, the index updated shortly after
//! articles are added, edited, renamed or deleted.
//!
//! The events of a burst (copying in 1,000 articles, a `git pull`, an
//! editor's save-by-rename) come one per file; updating per event would
//! update 1,000 times. So an update waits until the folder has been quiet
//! for [`QUIET`], or at most [`MOST_DELAY`] after the first event of a
//! burst that does not stop, and one update takes in everything changed so
//! far. Events during an update lead to one more update after it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode};
use notify::{Event as FsEvent, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::live::Live;
use super::{Event, Events};
use crate::index::Wait;

/// How long the folder must be quiet before an update starts: long enough
/// to join the events of one copy or save, short enough that a person who
/// saved an article finds it at once.
pub const QUIET: Duration = Duration::from_millis(300);
/// The longest an update waits behind a burst that does not stop.
pub const MOST_DELAY: Duration = Duration::from_secs(5);

/// Starts following `corpus`: events are gathered here and updates run on
/// a blocking thread. The watch lasts as long as the returned watcher.
pub fn start(live: Arc<Live>, corpus: &Path, events: Events) -> Result<RecommendedWatcher> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<FsEvent>| {
        // The receiver is gone only when the server stops.
        let _ = sender.send(event);
    })
    .context("cannot watch the corpus folder")?;
    // Both absolute: events name paths under the folder as it was given, and
    // an index inside the corpus must be told apart from articles, or each
    // update's own commit would start the next update.
    let absolute = |dir: &Path| std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    watcher
        .watch(&absolute(corpus), RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch the corpus folder '{}'", corpus.display()))?;
    let index_dir = absolute(live.index_dir());
    tokio::spawn(follow(receiver, live, index_dir, events));
    Ok(watcher)
}

async fn follow(
    mut receiver: mpsc::UnboundedReceiver<notify::Result<FsEvent>>,
    live: Arc<Live>,
    index_dir: PathBuf,
    events: Events,
) {
    let changes = |event: &notify::Result<FsEvent>| match event {
        Ok(event) => is_change(event, &index_dir),
        Err(err) => {
            events(Event::WatchFailed(&anyhow::anyhow!("{err}")));
            false
        }
    };
    while let Some(first) = receiver.recv().await {
        if !changes(&first) {
            continue;
        }
        let started = Instant::now();
        loop {
            let wait = QUIET.min(MOST_DELAY.saturating_sub(started.elapsed()));
            match tokio::time::timeout(wait, receiver.recv()).await {
                Ok(Some(_)) if started.elapsed() < MOST_DELAY => continue,
                Ok(None) => return,
                // Quiet for long enough, or waited long enough.
                _ => break,
            }
        }
        let live = live.clone();
        let told = events.clone();
        let updated = tokio::task::spawn_blocking(move || match live.update(Wait::Yes) {
            Ok(updated) => told(Event::Updated(&updated)),
            Err(err) => told(Event::UpdateFailed(&err)),
        })
        .await;
        if let Err(join) = updated {
            events(Event::UpdateFailed(&anyhow::anyhow!("{join}")));
        }
    }
}

/// Whether `event` may change what the index holds: anything but reading,
/// and nothing inside the index folder itself (which may sit in the corpus).
fn is_change(event: &FsEvent, index_dir: &Path) -> bool {
    let reading = matches!(
        event.kind,
        EventKind::Access(
            AccessKind::Read | AccessKind::Open(_) | AccessKind::Close(AccessMode::Read)
        )
    );
    !reading && !event.paths.is_empty() && !event.paths.iter().all(|p| p.starts_with(index_dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, ModifyKind};

    #[test]
    fn reads_and_the_index_folder_are_not_changes() {
        let index = Path::new("/c/.index");
        let event = |kind, path: &str| FsEvent::new(kind).add_path(PathBuf::from(path));
        assert!(is_change(
            &event(EventKind::Create(CreateKind::File), "/c/a.md"),
            index
        ));
        assert!(is_change(
            &event(EventKind::Modify(ModifyKind::Any), "/c/a.md"),
            index
        ));
        assert!(is_change(
            &event(
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                "/c/a.md"
            ),
            index
        ));
        assert!(!is_change(
            &event(
                EventKind::Access(AccessKind::Open(AccessMode::Any)),
                "/c/a.md"
            ),
            index
        ));
        assert!(!is_change(
            &event(EventKind::Create(CreateKind::File), "/c/.index/meta.json"),
            index
        ));
    }
}
