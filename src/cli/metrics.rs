//! `git release metrics`: the arguments of `metrics::metrics`.

use std::path::PathBuf;

use super::Context;
use crate::error::Error;
use crate::metrics::{Options, metrics};

/// The four DORA keys per environment over a period, from the records and git history alone
///
/// Deployment frequency (records in the period), lead time for changes (from each commit to
/// the record that brought it, which the environment's record before did not hold; median and
/// 90th percentile), change failure rate (records
/// rolled back, or followed by another commit's deployment within the fix window) and time to
/// restore (from a failed record to the next one). See METRICS in the man page.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this environment
    pub environment: Option<String>,
    /// Start of the period: a date (2026-11-01) or a moment (default: 30 days before --until)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// End of the period, not included (default: now)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// A deployment of another commit this soon after a record makes it a failure (default: 1h)
    #[arg(long, value_name = "DURATION")]
    pub fix_window: Option<String>,
    /// Print `OpenMetrics` text, for a Prometheus textfile collector
    #[arg(long, conflicts_with = "json")]
    pub openmetrics: bool,
    /// Read this clone of the application repository (its remote origin) instead of the cache
    #[arg(long, value_name = "PATH", env = "GIT_RELEASE_APP_DIR")]
    pub app_dir: Option<PathBuf>,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let options = Options {
        environment: args.environment.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        fix_window: args.fix_window.clone(),
        openmetrics: args.openmetrics,
        app_dir: args.app_dir.clone(),
    };
    metrics(context, &options)
}
