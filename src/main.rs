//! The `zhsearch` binary: parse flags, run the command, report errors.

use std::process::ExitCode;

mod cli;
mod commands;
mod server_log;

use clap::Parser;
use cli::Cli;
use commands::Exit;
use zhsearch::output::printable::printable;

/// mimalloc instead of the system allocator: indexing and searching make
/// many small short-lived allocations (tokens, postings buffers, scorers).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    without_transparent_huge_pages();
    zhsearch::panic_guard::install_hook();
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) if is_broken_pipe(&err) => Exit::Success.into(),
        Err(err) => {
            // Errors name files and queries: printable, like all messages.
            let message = format!("{err:#}");
            eprintln!("zhsearch: {}", printable(&message));
            commands::exit_for(&err).into()
        }
    }
}

/// Turns transparent huge pages off for this process. mimalloc asks the
/// kernel for them, and the kernel zeroes each 2 MB page whole on first
/// touch, most of it never used. Three sets of 5–8 alternating x1 builds:
/// 0.20–0.40 s in the kernel with them, 0.13 s without, user time within
/// noise (2.29–2.69 s of CPU in all against 2.27–2.31), peak RSS 176 MB
/// against 135; x10's build 1.2–1.3 s in the kernel against 0.8. A cold
/// search at x10 took 10.3–15.4 ms against 9.1–9.6; warm searches were
/// the same. Failing (an old kernel) changes nothing but speed, so it is
/// ignored.
fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// `zhsearch search … | head` closes the pipe early; that is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
