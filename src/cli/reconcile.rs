//! `git release reconcile`: makes the forge hold exactly the auto-promotion pull requests that
//! git says should be open, and nothing else. It keeps no state: every round reads the branches,
//! the deployment records and the open pull requests anew.

use std::time::Duration;

use crate::error::{Error, Exit};
use crate::policy;
use crate::reconcile::{Options, round};

use super::Context;

/// Keep auto-promotion pull requests in line with what is deployed
///
/// For every environment with `auto-promote = true`, one pull request from its `after`
/// environment should be open while that environment's latest deployment is not yet in it and
/// the gate would pass; `soak`, `freeze` and `blocked` hold it back. Reconcile opens the missing
/// one, updates a stale one, rebuilds one the forge says conflicts, and closes the rest with a
/// comment naming what replaces them. A pull request a person closed holds its version back.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this environment (repeatable; default: every auto-promoted one)
    #[arg(long = "env", value_name = "ENV")]
    pub environments: Vec<String>,
    /// Print the plan, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Reconcile every INTERVAL (30s, 5m, 1h) until interrupted, surviving errors between rounds
    #[arg(long, value_name = "INTERVAL", value_parser = policy::parse_lasting)]
    pub watch: Option<Duration>,
    /// With --watch, stop after N rounds
    #[arg(long, value_name = "N", requires = "watch")]
    pub rounds: Option<u64>,
    /// Read this clone of the application repository (its remote origin) instead of the cache
    #[arg(long, value_name = "PATH", env = "GIT_RELEASE_APP_DIR")]
    pub app_dir: Option<std::path::PathBuf>,
}

pub fn run(context: &Context, args: &Args) -> Result<Exit, Error> {
    let options =
        Options { environments: args.environments.clone(), dry_run: args.dry_run, app_dir: args.app_dir.clone() };
    let Some(every) = args.watch else { return round(context, &options) };
    let mut done = 0;
    loop {
        let exit = match round(context, &options) {
            Ok(exit) => exit,
            Err(error) => {
                // A round that fails leaves the next one to try again.
                context.ui.problem(&error);
                error.exit()
            }
        };
        done += 1;
        if args.rounds.is_some_and(|rounds| done >= rounds) {
            return Ok(exit);
        }
        std::thread::sleep(every);
    }
}
