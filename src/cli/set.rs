//! `git release set`, `bump` and `rollback`: the arguments of the `set` module's calls.

use crate::error::Error;
use crate::set::{Write, bump, rollback, set};
use crate::version::Level;

use super::Context;

/// Commit a new version to an environment branch, without a checkout
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The environment, as named in release.toml
    #[arg(env = "GIT_RELEASE_ENVIRONMENT")]
    pub environment: String,
    /// The version it should run: WIP, a semantic version, or a name valid in a tag
    #[arg(env = "GIT_RELEASE_VERSION")]
    pub version: String,
    #[command(flatten)]
    pub write: WriteArgs,
    /// The commit message (default: "Set <env> version to <version>")
    #[arg(short, long, value_name = "MSG")]
    pub message: Option<String>,
}

/// Raise the semantic version of an environment by one major, minor or patch step
#[derive(Debug, clap::Args)]
pub struct BumpArgs {
    /// The environment, as named in release.toml
    #[arg(env = "GIT_RELEASE_ENVIRONMENT")]
    pub environment: String,
    /// Which part of the version to raise
    #[arg(value_enum)]
    pub level: Level,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// Set an environment back to the version and commit of an earlier deployment of its own
///
/// Commits that version to the environment branch with a Rollback-To: trailer naming the earlier
/// record; the environment's deployment of that commit deploys the record's own commit and version
/// tag, cuts nothing, and records a Rollback-Of: trailer. The gate admits it without the previous
/// environment running it now. No tag is moved or deleted.
#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The environment, as named in release.toml
    #[arg(env = "GIT_RELEASE_ENVIRONMENT")]
    pub environment: String,
    /// A record tag of the environment, or a version it ran (default: the newest deployment of
    /// something other than what runs now)
    #[arg(long, value_name = "RECORD|VERSION")]
    pub to: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// Push the branch too, fetched just before, with a lease on the value fetched
    #[arg(long)]
    pub push: bool,
    /// Show the diff that would be committed, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

impl WriteArgs {
    fn write(&self) -> Write {
        Write { push: self.push, dry_run: self.dry_run }
    }
}

pub fn run_set(context: &Context, args: &SetArgs) -> Result<(), Error> {
    set(context, &args.environment, &args.version, args.message.as_deref(), args.write.write())
}

pub fn run_bump(context: &Context, args: &BumpArgs) -> Result<(), Error> {
    bump(context, &args.environment, args.level, args.write.write())
}

pub fn run_rollback(context: &Context, args: &RollbackArgs) -> Result<(), Error> {
    rollback(context, &args.environment, args.to.as_deref(), args.write.write())
}
