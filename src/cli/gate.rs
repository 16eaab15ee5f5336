//! `git release gate`: the arguments of `gate_report::gate`.

use std::path::PathBuf;

use crate::error::{Error, Exit};
use crate::gate_report::{Options, PIPELINE_URL, Refusal, gate};

use super::Context;

/// Evaluate the merge gate for a change into an environment; exit 0 allows, 1 refuses
///
/// Reports every check at once: promotion-path, release-file, version-valid, version-bumped,
/// release-candidate, previous-deployed, previous-current and self-deployed, as the target
/// environment's settings call for them. Without --source, the change is the promotion from the
/// environment the target comes after; without --head, it is the source branch's head.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment the change would enter, by name or by branch
    #[arg(long, value_name = "ENV|BRANCH", env = "GIT_RELEASE_TARGET", required_unless_present = "ci")]
    pub target: Option<String>,
    /// The branch the change comes from
    #[arg(long, value_name = "BRANCH", env = "GIT_RELEASE_SOURCE")]
    pub source: Option<String>,
    /// The commit the change brings (default: the head of the source branch)
    #[arg(long, value_name = "SHA", env = "GIT_RELEASE_HEAD")]
    pub head: Option<String>,
    /// Read target, source and head from the CI's pull request variables (GitHub Actions, GitLab CI,
    /// Azure Pipelines, Bitbucket Pipelines, Jenkins, Tekton Pipelines-as-Code); flags given too win
    #[arg(long)]
    pub ci: bool,
    /// Read this clone of the application repository (its remote origin) instead of the cache
    #[arg(long, value_name = "PATH", env = "GIT_RELEASE_APP_DIR")]
    pub app_dir: Option<PathBuf>,
    /// Also post the verdict as a commit status on the head (context `git-release/gate`), for
    /// branch protection to require
    #[arg(long)]
    pub report: bool,
    /// The page the status links to (default: the CI's pipeline)
    #[arg(long, value_name = "URL", env = PIPELINE_URL)]
    pub pipeline_url: Option<String>,
}

pub fn run(context: &Context, args: &Args) -> Result<Exit, Error> {
    // GIT_RELEASE_PIPELINE_URL is set for a whole pipeline, record's steps included: only the
    // flag itself asks for a report (clap would count the variable as the flag).
    let from_flag = args.pipeline_url.is_some() && args.pipeline_url != std::env::var(PIPELINE_URL).ok();
    if from_flag && !args.report {
        return Err(Refusal::PipelineUrlWithoutReport.into());
    }
    let options = Options {
        target: args.target.clone(),
        source: args.source.clone(),
        head: args.head.clone(),
        ci: args.ci,
        app_dir: args.app_dir.clone(),
        report: args.report,
        pipeline_url: args.pipeline_url.clone(),
    };
    gate(context, &options)
}
