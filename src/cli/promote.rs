//! `git release promote <from> <to>`: the arguments of `promote::promote`.

use crate::error::Error;
use crate::promote::{Options, promote};

use super::Context;
use super::jira::JiraArgs;

/// Open or update the pull request that promotes one environment into the next
///
/// Idempotent: a rerun with nothing changed writes nothing; when the source moved, the same pull
/// request gets a new title and body. Without a forge (none detected, `[forge] kind = "none"`,
/// or --offline) it prints the promotion instead.
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "each bool is a flag of its own")]
pub struct Args {
    /// The environment the change comes from
    #[arg(env = "GIT_RELEASE_FROM")]
    pub from: String,
    /// The environment it goes into; its `after` must be FROM
    #[arg(env = "GIT_RELEASE_TO")]
    pub to: String,
    /// Say what would happen, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// The pull request's title (default: "Promote FROM → TO: VERSION")
    #[arg(long, value_name = "T", env = "GIT_RELEASE_TITLE")]
    pub title: Option<String>,
    /// Open the pull request as a draft
    #[arg(long)]
    pub draft: bool,
    /// Open it from a branch promote/TO built on TO's head with FROM's release file, for when
    /// the branches conflict (kept up to date on reruns)
    #[arg(long)]
    pub rebuild: bool,
    /// Merge the open pull request now if the gate allows it, the forge says it can merge, and
    /// its head is still what the gate judged (held to that head), by TO's merge-method
    #[arg(long, conflicts_with = "rebuild")]
    pub merge: bool,
    #[command(flatten)]
    pub jira: JiraArgs,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let options = Options {
        from: args.from.clone(),
        to: args.to.clone(),
        dry_run: args.dry_run,
        title: args.title.clone(),
        draft: args.draft,
        rebuild: args.rebuild,
        merge: args.merge,
        jira: args.jira.asked(),
    };
    promote(context, &options)
}
