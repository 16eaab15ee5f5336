//! `git release`: releases through environment branches, from git alone.
//!
//! Gather, decide, act: commands read the repository into plain data (`git`, `workspace`),
//! decide in pure code (`config`, `version`, `plan`), and apply through `execute`.

pub mod admission;
pub mod app;
pub mod ci;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod deploy;
pub mod error;
pub mod execute;
pub mod forge;
pub mod fuzzing;
pub mod gate;
pub mod git;
pub mod guard;
pub mod init;
pub mod jira;
pub mod object_id;
pub mod parallel;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod preview;
pub mod promote;
pub mod promotion;
pub mod reconcile;
pub mod record;
pub mod refname;
pub mod released;
pub mod secret;
pub mod set;
pub mod trace;
pub mod trust;
pub mod ui;
pub mod version;
pub mod workspace;
