//! Everything zhsearch prints: JSON wire types and terminal rendering, both
//! from the same [`crate::search::Hit`] values, the evaluation report, and
//! the rule that keeps corpus text from driving the terminal.

pub mod eval;
pub mod json;
pub mod printable;
pub mod terminal;
