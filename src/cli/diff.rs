//! `git release diff <from> <to>`: the arguments of `promotion::diff`.

use crate::error::Error;

use super::Context;

/// Show what a promotion would carry: the release-file diff, the application commits, the Jira keys
///
/// Any two environments may be compared; FROM's release file and application commits are what
/// TO would gain.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment the change would come from
    #[arg(env = "GIT_RELEASE_FROM")]
    pub from: String,
    /// The environment it would go into
    #[arg(env = "GIT_RELEASE_TO")]
    pub to: String,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    crate::promotion::diff(context, &args.from, &args.to)
}
