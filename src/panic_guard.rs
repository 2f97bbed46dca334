//! Turning panics inside the search library into errors.
//!
//! tantivy trusts its files: a segment whose bytes were damaged in the middle
//! (its footer intact) can make it index out of bounds and panic instead of
//! returning an error. zhsearch never shows a user a panic, so calls into
//! the index run under [`catch`], which turns a panic into a [`Panic`] error,
//! and [`install_hook`] keeps the default panic report quiet while one runs
//! (on any thread: tantivy's indexing threads included).

use std::any::Any;
use std::fmt;
use std::panic::{self, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many [`catch`] calls are running.
static CATCHING: AtomicUsize = AtomicUsize::new(0);

/// A panic caught by [`catch`]: `internal error: ` and the panic's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    message: String,
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "internal error: {}", self.message)
    }
}

impl std::error::Error for Panic {}

/// Runs `f`; a panic becomes a [`Panic`].
pub fn catch<T>(f: impl FnOnce() -> T + UnwindSafe) -> Result<T, Panic> {
    CATCHING.fetch_add(1, Ordering::SeqCst);
    let result = panic::catch_unwind(f);
    CATCHING.fetch_sub(1, Ordering::SeqCst);
    result.map_err(|payload| Panic {
        message: message(payload.as_ref()).to_owned(),
    })
}

/// Installs a panic hook that stays quiet while [`catch`] runs, and otherwise
/// reports as before. Called once by the binary.
pub fn install_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if CATCHING.load(Ordering::SeqCst) == 0 {
            default(info);
        }
    }));
}

fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "panic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        let err = catch(|| -> u32 { panic!("index out of bounds") }).unwrap_err();
        assert_eq!(err.to_string(), "internal error: index out of bounds");
        assert_eq!(catch(|| 7), Ok(7));
    }
}
