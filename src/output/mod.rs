//! Everything zhsearch prints: JSON wire types and terminal rendering, both
//! from the same [`crate::search::Hit`] values, the evaluation report, and
//! the rule that keeps corpus text from driving the terminal, batch answers,
//! and the status lines of an update or a stale index.

pub mod batch;
pub mod eval;
pub mod json;
pub mod printable;
pub mod status;
pub mod terminal;
