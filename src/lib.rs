//! `git release`: releases through environment branches, from git alone.
//!
//! Gather, decide, act: every command reads what it needs into plain data, a pure function
//! decides (a gate verdict, a plan), and `execute` applies the plan. `cli` only turns arguments
//! into one library call; nothing else imports it (`scripts/import-graph` checks that, that no two
//! modules import each other, and that the pure modules below, with `forge::detect` and the
//! promotion planner's files, import only each other). The modules, by concern:
//!
//! - The command line and the terminal: `cli` (clap types, one adapter per command), `ui` (the
//!   only code that writes to the terminal), `error` (the one error type and the exit codes),
//!   `context` (what every command starts from: repository, release file, forge).
//! - Pure: `config` (the release file, resolved), `version` (versions, tag patterns, pins),
//!   `record` (deployment records), `approval` (approvals and their revocations, counted),
//!   `trust` (whose signature counts), `gate` (the merge gate's
//!   checks), `plan` (programs of git operations), `policy` (soak and freeze), `refname`,
//!   `object_id`, `secret` (what must not be shown), `trace`.
//! - Gather: `git` (the only module that imports gix or runs git), `workspace` (the release
//!   repository), `app` (the application repositories), `gate_gather` (what the gate judges),
//!   `deploy` (what an environment deploys now), `released` (the release repository, seen from
//!   an application repository), `ci` (what the CI running us says), `clock`.
//! - Reports: `status` (what runs where), `history` (`log`: the deployments, newest first),
//!   `metrics` (the DORA keys, which the pure `dora` counts), `report` (all of these on one
//!   HTML page), `doctor` (what the setup lacks, each with its fix).
//! - Operations, each gathering, deciding and having `execute` act: `pipeline` (`prepare` and
//!   `record`, which tells the forge's deployments and Jira after the fact, as `jira` does), `approve` (`approve` and `revoke`), `set` (`set`, `bump`, `rollback`), `init`, `gate_report` (the `gate` command: a verdict printed and posted), `guard` (the hooks), `preview`,
//!   `promotion` (what a promotion carries and `diff` shows, how it reads, when it is wanted, the
//!   one planner of its pull requests), `promote` and `reconcile` (which keep those pull requests), `jira`.
//! - Act and talk: `execute` (the only place that writes: git objects, references, pushes,
//!   work-tree files, and forge pull requests), `forge` (one trait, one file per forge), `http`
//!   (the client forges and Jira share: timeouts, retries, pages), `parallel` (bounded concurrency for remote calls).
//! - `demo`: a sandbox that walks a release end to end; `completions`: the shell scripts that
//!   complete environment names; `fuzzing`: what the fuzz targets in `fuzz/` run.

pub mod app;
pub mod approval;
pub mod approve;
pub mod ci;
pub mod cli;
pub mod clock;
pub mod completions;
pub mod config;
pub mod context;
pub mod demo;
pub mod deploy;
pub mod doctor;
pub mod dora;
pub mod error;
pub mod execute;
pub mod forge;
pub mod fuzzing;
pub mod gate;
pub mod gate_gather;
pub mod gate_report;
pub mod git;
pub mod guard;
pub mod history;
pub mod http;
pub mod init;
pub mod jira;
pub mod metrics;
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
pub mod report;
pub mod secret;
pub mod set;
pub mod status;
pub mod trace;
pub mod trust;
pub mod ui;
pub mod version;
pub mod workspace;
