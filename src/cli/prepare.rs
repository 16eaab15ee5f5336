//! `git release prepare`: the arguments of `pipeline::prepare`.

use super::Context;
use super::deployment::DeployArgs;
use crate::error::Error;
use crate::pipeline::prepare::{Options, prepare};

/// Cut the version tag the environment's `cut` calls for, and print what to deploy
///
/// cut = "none" deploys the head of the tracked branch; "rc" reuses the highest release candidate
/// of the version when it is on the source head, else cuts the next one there; "final" tags the
/// commit of the highest release candidate. Prints key=value lines for `$GITHUB_OUTPUT` or a dotenv
/// file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment, as named in release.toml
    #[arg(env = "GIT_RELEASE_ENVIRONMENT")]
    pub environment: String,
    /// Deploy even when the environment's latest record is this version on this commit (or its
    /// files) already
    #[arg(long)]
    pub again: bool,
    /// Deploy from this commit of the release repository (a pull request's head, for deploying
    /// on approval before the merge) instead of the environment branch: its version, and in the
    /// one-repository layout its code
    #[arg(long, value_name = "REV", env = "GIT_RELEASE_DEPLOY_COMMIT")]
    pub commit: Option<String>,
    /// The branch to deploy, for an environment with deploys = "any-branch" (default: the branch
    /// the CI's push pipeline runs for)
    #[arg(long, value_name = "NAME", env = "GIT_RELEASE_BRANCH")]
    pub branch: Option<String>,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let options = Options {
        environment: args.environment.clone(),
        again: args.again,
        commit: args.commit.clone(),
        branch: args.branch.clone(),
        deploy: args.deploy.run(),
    };
    prepare(context, &options)
}
