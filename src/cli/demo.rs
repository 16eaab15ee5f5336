//! `git release demo`: a throwaway sandbox that walks a two-repository release end to end.

use std::path::PathBuf;

use crate::error::Error;

use super::Context;

/// Build a throwaway sandbox and walk a release through qa and prod, showing each command
///
/// The sandbox holds an application repository and a release repository, each with a bare
/// remote. It uses its own git configuration, so nothing of yours is read or changed. It ends
/// with `git release report`: the page stays in the folder when the rest is removed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Build the sandbox in DIR, which must be empty or not exist yet (default: a new temporary folder); its report stays there
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the sandbox afterwards, to look around in it
    #[arg(long)]
    pub keep: bool,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    crate::demo::run(context, args.dir.as_deref(), args.keep)
}
