//! The one integration-test binary: real repositories, real `git`, transcripts of the CLI.

mod attacks;
mod cli;
mod clock;
mod components;
mod config_errors;
mod contract;
mod demo;
mod deploy;
mod deploy_faults;
mod fake_forge;
mod fake_jira;
mod gate;
mod guarantees;
mod harness;
mod hooks;
mod http_push;
mod init;
mod jira;
mod man;
mod preview;
mod promote;
mod reconcile;
mod set;
mod status;
mod templates;
mod trust;
