//! `git release approve` and `revoke`: the arguments of `approve::approve`.

use super::Context;
use super::deployment::DeployArgs;
use crate::approval::Stance;
use crate::approve::{Options, approve};
use crate::error::Error;

/// Approve a commit for an environment: an annotated, signed tag beside the deployment records
///
/// With `require-approvals = N`, the gate into the environment waits for N distinct approvers
/// that [trust.approvers] lists, each counted by the key that signed the tag. The tag is named
/// by [tags] approval and carries the environment, version, commit, who approved and when, as
/// trailers. Without --commit, it approves what the environment would deploy from the promotion
/// into it. git must sign tags here (tag.gpgSign).
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub what: What,
}

/// Take an approval back: a later signed tag, never a deletion
///
/// The approver's latest word on a commit counts: a revocation after an approval takes it
/// back, and a new approval after that counts again.
#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub what: What,
}

#[derive(Debug, clap::Args)]
pub struct What {
    /// The environment, as named in release.toml
    #[arg(env = "GIT_RELEASE_ENVIRONMENT")]
    pub environment: String,
    /// The version (default: the one the promotion into the environment carries)
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// The application commit (default: the one the environment would deploy next)
    #[arg(long, value_name = "REV", env = "GIT_RELEASE_COMMIT")]
    pub commit: Option<String>,
    /// Why, in the tag's message
    #[arg(short, long, value_name = "REASON")]
    pub message: Option<String>,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

impl What {
    fn options(&self, stance: Stance) -> Options {
        Options {
            environment: self.environment.clone(),
            stance,
            version: self.version.clone(),
            commit: self.commit.clone(),
            reason: self.message.clone(),
            push: !self.deploy.no_push,
            dry_run: self.deploy.dry_run,
            app_dir: self.deploy.app_dir.clone(),
        }
    }
}

pub fn run_approve(context: &Context, args: &ApproveArgs) -> Result<(), Error> {
    approve(context, &args.what.options(Stance::Approve))
}

pub fn run_revoke(context: &Context, args: &RevokeArgs) -> Result<(), Error> {
    approve(context, &args.what.options(Stance::Revoke))
}
