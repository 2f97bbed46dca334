//! What `zhsearch serve` tells the person who started it, on stderr: where
//! it listens, what it reloaded or updated, what failed. The library reports
//! these as [`Event`]s; the lines are made here, each through [`printable`].

use std::io::{self, Write};

use zhsearch::output::printable::{printable, printable_path};
use zhsearch::output::status::write_update_report;
use zhsearch::serve::{Event, Refreshed};

/// Tells what the server did (`zhsearch serve`), one line per event.
pub fn write_event(notes: &mut impl Write, event: &Event) -> io::Result<()> {
    match event {
        Event::Listening { addr, keys } => {
            let local = if addr.ip().is_unspecified() {
                format!("http://127.0.0.1:{}/", addr.port())
            } else {
                format!("http://{addr}/")
            };
            writeln!(
                notes,
                "zhsearch: listening on {local} (the search page; the API is in the README). \
                 Ctrl-C stops."
            )?;
            if addr.ip().is_unspecified() {
                writeln!(
                    notes,
                    "zhsearch: {addr} takes connections from every network this machine is on."
                )?;
            }
            if !addr.ip().is_loopback() && keys.search.is_none() {
                writeln!(
                    notes,
                    "zhsearch: warning: {addr} is reachable from other machines and searching \
                     needs no key: anyone who can reach it can read the index. Give a \
                     --search-key, or listen on 127.0.0.1."
                )?;
            }
            Ok(())
        }
        Event::Watching(corpus) => writeln!(
            notes,
            "zhsearch: watching '{}': changed articles are indexed shortly after.",
            printable_path(corpus)
        ),
        Event::Refreshed { how, passages } => match how {
            Refreshed::Swapped => writeln!(
                notes,
                "zhsearch: the index was rebuilt another way (dictionary or schema); now \
                 serving it with a new engine ({passages} passages)."
            ),
            _ => writeln!(
                notes,
                "zhsearch: now serving the index's newest commit ({passages} passages)."
            ),
        },
        Event::RefreshFailed(err) => writeln!(
            notes,
            "zhsearch: cannot serve the index's newest commit ({}); still serving the last one.",
            printable(&format!("{err:#}"))
        ),
        Event::Updated(updated) => {
            let mut summary = Vec::new();
            write_update_report(
                &updated.report,
                &updated.corpus,
                &updated.index,
                &mut summary,
                &mut *notes,
            )?;
            notes.write_all(b"zhsearch: ")?;
            notes.write_all(&summary)
        }
        Event::UpdateFailed(err) => writeln!(
            notes,
            "zhsearch: the update failed: {}",
            printable(&format!("{err:#}"))
        ),
        Event::WatchFailed(err) => writeln!(
            notes,
            "zhsearch: watching the corpus failed ({}); run `zhsearch index` or POST /index \
             to update.",
            printable(&format!("{err:#}"))
        ),
        Event::Stopping => writeln!(
            notes,
            "zhsearch: stopping: answering the requests in flight first."
        ),
    }
}
