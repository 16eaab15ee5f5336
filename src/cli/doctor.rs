//! `git release doctor`: no arguments of its own.

use super::Context;
use crate::error::{Error, Exit};

/// Check the setup and say how to fix what is missing; exit 0 when nothing is, 1 otherwise
///
/// Checks that every environment branch holds release.toml, that they agree but for the version
/// and that each promotion's branches share the commit that added it; release.configRef; the hook
/// git runs here; [trust] and signing; the CI pipeline on every environment branch; the forge
/// (reachable, with a token that may open pull requests, and requiring the gate's status where it
/// lets this token read branch protection); and the application repository. It reads the
/// branches as last fetched (the remote's before this repository's own) and asks the forge and
/// the application repository read-only questions: it writes nothing anywhere.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(context: &Context, _: &Args) -> Result<Exit, Error> {
    crate::doctor::doctor(context)
}
