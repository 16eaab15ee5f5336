//! Preview environments: what a person asks for and the name it gives (`request`, pure), what a
//! webhook asks for (`body`), and the branches that hold them (`branch`: create, list, delete).

pub mod body;
mod branch;
mod refusal;
mod request;

pub use branch::{ListReport, Listed, Pinned, create, delete, keyed, list, remove};
pub use refusal::Refusal;
pub use request::*;
