//! Promotions: what one carries from an environment into the next (`gather`), how its pull
//! request reads (`render`, `block`), and the one planner that `promote` and `reconcile` share,
//! from the promotion wanted and the pull requests open to the actions that make the forge match
//! (`plan`), fed by the rules that say whether a promotion is wanted now (`policy`).

pub mod block;
mod diff;
mod gather;
mod merge;
pub mod plan;
pub mod policy;
mod rebuild;
mod refusal;
mod render;

pub use block::{Block, Marker, with_block};
pub use diff::diff;
pub use gather::{COMMITS_SHOWN, Promotion, nothing_to_promote, refuse_conflicts, shallow_warning};
pub use merge::MergeAsk;
pub use rebuild::{Rebuild, rebuild};
pub use refusal::Refusal;
