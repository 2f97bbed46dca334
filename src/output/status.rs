//! Status: what zhsearch tells a person about the index while it works, as
//! opposed to the results themselves. The progress bar of an update, its
//! summary line, the files it skipped or read with a notice, the note that an
//! index is built first, the stale-index warning, and the hints that name the
//! command to run next. The library reports these as values; this module
//! alone turns them into lines, each through [`printable`].

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{DEFAULT_INDEX, Locations};
use crate::index::{Changes, Progress, Rebuilt, UnpackError, UpdateReport};
use crate::output::printable::{printable, printable_path};

/// The progress of an update on stderr: a bar on a terminal, nothing
/// otherwise (a log or a pipe gets only the summary).
pub struct ProgressDisplay<'a> {
    bar: ProgressBar,
    style: Option<ProgressStyle>,
    index_dir: &'a Path,
}

impl<'a> ProgressDisplay<'a> {
    /// A display for an update of the index in `index_dir`.
    pub fn new(index_dir: &'a Path) -> Self {
        let bar = if io::stderr().is_terminal() {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template(
            "{spinner} indexing [{bar:30}] {pos}/{len} files {elapsed} {wide_msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .ok();
        ProgressDisplay {
            bar,
            style,
            index_dir,
        }
    }

    /// Shows one step of the update.
    pub fn show(&self, event: Progress) {
        match event {
            Progress::Waiting => {
                // Printed even without a terminal: a wait can be long.
                self.bar.suspend(|| {
                    let _ = writeln!(
                        io::stderr(),
                        "zhsearch: another zhsearch is updating '{}'; waiting for it to finish…",
                        printable_path(self.index_dir)
                    );
                });
            }
            Progress::Scanned { files } => {
                self.bar.set_length(files as u64);
                if let Some(style) = &self.style {
                    self.bar.set_style(style.clone());
                }
                self.bar.enable_steady_tick(Duration::from_millis(120));
            }
            Progress::File { done, path } => {
                self.bar.set_position(done as u64);
                if !self.bar.is_hidden() {
                    self.bar.set_message(printable(path).into_owned());
                }
            }
            Progress::Committing => {
                self.bar.set_position(self.bar.length().unwrap_or(0));
                self.bar.set_message("saving the index…");
            }
        }
    }
}

impl Drop for ProgressDisplay<'_> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Writes an update's skipped files, notices and rebuild reason to `notes`
/// (stderr), then its summary line to `summary`.
pub fn write_update_report(
    report: &UpdateReport,
    corpus: &Path,
    index_dir: &Path,
    summary: &mut impl Write,
    notes: &mut impl Write,
) -> io::Result<()> {
    for skipped in &report.skipped {
        writeln!(
            notes,
            "zhsearch: skipped {}: {}",
            printable(&skipped.rel_path),
            printable(&skipped.reason.to_string())
        )?;
    }
    for notice in &report.notices {
        writeln!(
            notes,
            "zhsearch: {}: {}",
            printable(&notice.rel_path),
            printable(&notice.message)
        )?;
    }
    if let Some(Rebuilt::Replaced(why)) = &report.rebuilt {
        writeln!(
            notes,
            "zhsearch: rebuilt the index at '{}' from scratch: {}.",
            printable_path(index_dir),
            printable(why)
        )?;
    }
    writeln!(summary, "{}", summary_line(report, corpus, index_dir))
}

/// The one-line summary of an update: `Updated 'index' from 'corpus': 1
/// added, … in 0.12 s.` (`zhsearch index` prints it; `POST /index` answers
/// with it).
pub fn summary_line(report: &UpdateReport, corpus: &Path, index_dir: &Path) -> String {
    let what = match (
        &report.rebuilt,
        report.added + report.updated + report.removed,
    ) {
        (Some(Rebuilt::Missing), _) => "Built",
        (Some(_), _) => "Rebuilt",
        (None, 0) => "Checked",
        (None, _) => "Updated",
    };
    format!(
        "{what} '{}' from '{}': {} added, {} updated, {} removed, {} unchanged, {} skipped; \
         {} articles, {} passages in {:.2} s.",
        printable_path(index_dir),
        printable_path(corpus),
        report.added,
        report.updated,
        report.removed,
        report.unchanged,
        report.skipped.len(),
        report.articles,
        report.passages,
        report.elapsed.as_secs_f64(),
    )
}

/// Says that a search builds the missing index first.
pub fn write_building_first(
    notes: &mut impl Write,
    index_dir: &Path,
    corpus: &Path,
) -> io::Result<()> {
    writeln!(
        notes,
        "zhsearch: no index at '{}' yet; building it from '{}' first.",
        printable_path(index_dir),
        printable_path(corpus)
    )
}

/// Says on `notes` (one line) when the corpus changed since the index was
/// built (`changes`, from comparing the corpus with the index's record), or
/// why that cannot be told; nothing when it did not change.
/// `requested` names the folders as the user did, for the command to run.
pub fn write_stale(
    notes: &mut impl Write,
    changes: &anyhow::Result<Changes>,
    corpus: &Path,
    requested: &Locations,
) -> io::Result<()> {
    match changes {
        Ok(changes) if changes.is_empty() => Ok(()),
        Ok(changes) => writeln!(
            notes,
            "zhsearch: the corpus '{}' changed since the index was built ({} added, {} changed, \
             {} removed); run `{}` to update it, or search with --refresh.",
            printable_path(corpus),
            changes.added.len(),
            changes.changed.len(),
            changes.removed.len(),
            index_command(requested)
        ),
        Err(err) if err.is::<UnpackError>() => writeln!(
            notes,
            "zhsearch: cannot tell whether the index is up to date ({}); run `{} --rebuild`.",
            printable(&format!("{err:#}")),
            index_command(requested)
        ),
        Err(err) => writeln!(
            notes,
            "zhsearch: cannot tell whether the index is up to date ({}); pass --corpus DIR.",
            printable(&format!("{err:#}"))
        ),
    }
}

/// Says how many words of a long query were left out.
pub fn write_ignored_words(notes: &mut impl Write, ignored: usize, kept: usize) -> io::Result<()> {
    writeln!(
        notes,
        "zhsearch: the query is long; {ignored} words past the first {kept} were ignored."
    )
}

/// Warns that some relevant ids of an eval's questions name no article.
pub fn write_unknown_ids(
    notes: &mut impl Write,
    unknown: usize,
    total: usize,
    index_dir: &Path,
) -> io::Result<()> {
    writeln!(
        notes,
        "zhsearch: warning: {unknown} of {total} relevant ids name no article in the index at \
         '{}'; are the questions for this corpus?",
        printable_path(index_dir)
    )
}

/// `zhsearch index` with the flags needed to reach the same folders.
pub fn index_command(requested: &Locations) -> String {
    let mut command = "zhsearch index".to_string();
    if let Some(corpus) = &requested.corpus {
        command.push_str(&format!(" --corpus {}", shell_quote(corpus)));
    }
    if requested.index != Path::new(DEFAULT_INDEX) {
        command.push_str(&format!(" --index {}", shell_quote(&requested.index)));
    }
    command
}

/// `path` quoted for a shell, made printable: it is shown, not run.
fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = text
        .chars()
        .all(|c| c.is_alphanumeric() || "-_./+,:@".contains(c));
    if plain && !text.is_empty() {
        text
    } else {
        printable(&format!("'{}'", text.replace('\'', r"'\''"))).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn written(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_index_command_repeats_only_the_folders_the_user_named() {
        assert_eq!(index_command(&Locations::default()), "zhsearch index");
        let requested = Locations {
            corpus: Some(PathBuf::from("my articles")),
            index: PathBuf::from("idx"),
            ..Locations::default()
        };
        assert_eq!(
            index_command(&requested),
            "zhsearch index --corpus 'my articles' --index idx"
        );
        assert_eq!(shell_quote(Path::new("it's")), r"'it'\''s'");
        assert_eq!(shell_quote(Path::new("a\x1bb")), r"'a\x1bb'");
    }

    #[test]
    fn an_unchanged_corpus_says_nothing_and_a_changed_one_says_what_to_run() {
        let unchanged = Ok(Changes::default());
        let requested = Locations::default();
        let corpus = Path::new("corpus");
        assert_eq!(
            written(|o| write_stale(o, &unchanged, corpus, &requested)),
            ""
        );
        let changed = Ok(Changes {
            added: vec!["a.md".into()],
            ..Changes::default()
        });
        let line = written(|o| write_stale(o, &changed, corpus, &requested));
        assert!(line.contains("(1 added, 0 changed, 0 removed)"), "{line}");
        assert!(line.contains("run `zhsearch index` to update it"), "{line}");
    }

    #[test]
    fn the_summary_names_what_the_update_did() {
        let report = UpdateReport {
            added: 2,
            articles: 2,
            passages: 5,
            ..UpdateReport::default()
        };
        let mut notes = Vec::new();
        let summary = written(|o| {
            write_update_report(&report, Path::new("c"), Path::new("i"), o, &mut notes)
        });
        assert!(
            summary.starts_with("Updated 'i' from 'c': 2 added, 0 updated"),
            "{summary}"
        );
        assert!(notes.is_empty());
    }
}
