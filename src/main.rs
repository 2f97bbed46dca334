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

/// `zhsearch search … | head` closes the pipe early; that is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
