//! `git release log`: the arguments of `history::log`.

use std::path::PathBuf;

use crate::error::Error;
use crate::history::{Options, log};

use super::Context;

/// Show deployment history from the records, newest first
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this environment's deployments
    pub environment: Option<String>,
    /// Show at most N deployments
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    pub max_count: Option<usize>,
    /// List the approvals and their revocations instead, each with the key it counts for
    #[arg(long)]
    pub approvals: bool,
    /// Read this clone of the application repository (its remote origin) instead of the cache
    #[arg(long, value_name = "PATH", env = "GIT_RELEASE_APP_DIR")]
    pub app_dir: Option<PathBuf>,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let options = Options {
        environment: args.environment.clone(),
        max_count: args.max_count,
        app_dir: args.app_dir.clone(),
        approvals: args.approvals,
    };
    log(context, &options)
}
