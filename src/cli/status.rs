//! `git release status`: the arguments of `status::status`.

use crate::error::{Error, Exit};

use super::Context;

/// Show each environment: branch head, version, cut, gate order, last deployment, whether it runs what its branch asks for, and whether a promotion into it would pass the gate
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exit with 1 when any environment does not run what its branch asks for, or its release file is invalid
    #[arg(long)]
    pub exit_code: bool,
}

pub fn run(context: &Context, args: &Args) -> Result<Exit, Error> {
    crate::status::status(context, args.exit_code)
}
