pub mod analysis;
pub mod corpus;
