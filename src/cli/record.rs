//! `git release record`: the arguments of `pipeline::record`.

use super::Context;
use super::deployment::DeployArgs;
use super::jira::JiraArgs;
use crate::error::Error;
use crate::pipeline::record::{Options, record};

/// Record a deployment: an annotated, timestamped tag on the deployed commit
///
/// The tag is named by [tags] deploy (deploy-wip for WIP versions) and its message carries the
/// environment, version, commit, release repository commit, pipeline and who deployed, as
/// trailers. It records what `prepare` handed off in this checkout and CI run, or --commit;
/// without either, only a commit a version tag shows was prepared. Recording the same deployment
/// again (same environment, commit, version and pipeline) changes nothing and prints the existing
/// record.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment, as named in release.toml
    #[arg(env = "GIT_RELEASE_ENVIRONMENT")]
    pub environment: String,
    /// The deployed commit (default: what prepare handed off in this checkout and CI run)
    #[arg(long, value_name = "REV", env = "GIT_RELEASE_COMMIT")]
    pub commit: Option<String>,
    /// The branch deployed, named in WIP records (default: the branch --commit names, else the tracked branch)
    #[arg(long, value_name = "NAME", env = "GIT_RELEASE_BRANCH")]
    pub branch: Option<String>,
    /// The pipeline's web page (default: read from the CI's variables)
    #[arg(long, value_name = "URL", env = crate::gate_report::PIPELINE_URL)]
    pub pipeline_url: Option<String>,
    /// When the deployment happened, such as 2026-11-21T10:15:00Z (default: now)
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    #[command(flatten)]
    pub deploy: DeployArgs,
    #[command(flatten)]
    pub jira: JiraArgs,
    /// Fail (exit 128) when the forge cannot be told of the deployment; by default that is a
    /// warning, since the deployment has happened
    #[arg(long)]
    pub forge_strict: bool,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let options = Options {
        environment: args.environment.clone(),
        commit: args.commit.clone(),
        branch: args.branch.clone(),
        pipeline_url: args.pipeline_url.clone(),
        at: args.at.clone(),
        deploy: args.deploy.run(),
        jira: args.jira.asked(),
        forge_strict: args.forge_strict,
    };
    record(context, &options)
}
