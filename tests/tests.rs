//! Integration tests: the real `zhsearch` binary on the seed corpus and on
//! small fixture articles written by each test.

// Shared harness: temp folders, running the binary, JSON wire types.
mod util;

// The index command: summary, skipped files, errors.
mod index;
// Ranking and matching on the seed corpus.
mod relevance;
// Query syntax, odd queries and exit codes.
mod query;
// Output formats: text, colour, JSON, batch.
mod output;
// `search --in`: folder, file and glob filters, in the CLI, --batch and the server (#13).
mod filter;
// Traditional, full-width, synonyms, questions, explain.
mod understanding;
// Pinyin and homophone typos (#14).
mod typing;
// The eval command: relevance metrics and bad question files.
mod eval;
// Messy input: encodings, line endings, bad files, odd names and folders.
mod encoding;
// What the walk leaves out: .zhsearchignore files, symlink loops.
mod ignore;
// The index over time: incremental updates, locking, damage, killed runs.
mod lifecycle;
// Whether the index is stale: what a search checks, and what it never reads (#13).
mod staleness;
// Near-duplicate passages folded into the best-ranked copy (#13).
mod collapse;
// Property tests of the Markdown reader and the analyzers.
mod properties;
// Deterministic faults: runs killed at every step, a full disk.
mod faults;
// Shell completions and man pages.
mod docs;
// The HTTP server: every endpoint, bad input, keys, live reload, --watch.
mod serve;
// The search page of `zhsearch serve` in headless Chromium over WebDriver.
mod browser;
