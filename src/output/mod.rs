//! Everything zhsearch prints: JSON wire types and terminal rendering, both
//! from the same [`crate::search::Hit`] values.

pub mod json;
pub mod terminal;
