//! Everything zhsearch prints: JSON wire types and terminal rendering, both
//! from the same [`crate::search::Hit`] values, and the evaluation report.

pub mod eval;
pub mod json;
pub mod terminal;
