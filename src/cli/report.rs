//! `git release report`: the arguments of `report::report`.

use std::path::PathBuf;

use super::Context;
use crate::error::Error;
use crate::report::{Options, report};

/// Write one self-contained HTML page of what runs where
///
/// The environment graph and what each runs now, drift, each environment's deployments,
/// rollbacks and approvals, the DORA keys of the last 30 days, and the open promotions where a
/// forge answers. The page loads nothing from anywhere (no script, font or image from outside),
/// reads on a phone and prints; a table stands behind every picture. With --json, what the page
/// shows is printed as JSON too.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the page; - for standard output
    #[arg(long, short = 'o', value_name = "PATH", default_value = "release-report.html")]
    pub output: PathBuf,
    /// Read this clone of the application repository (its remote origin) instead of the cache
    #[arg(long, value_name = "PATH", env = "GIT_RELEASE_APP_DIR")]
    pub app_dir: Option<PathBuf>,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    report(context, &Options { output: args.output.clone(), app_dir: args.app_dir.clone() })
}
