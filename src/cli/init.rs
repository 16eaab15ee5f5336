//! `git release init`: the arguments of `init::init`.

use crate::config::pipeline;
use crate::error::Error;
use crate::init::{Options, init};

use super::Context;

/// Write release.toml and create the environment branches, without touching HEAD, the index or the work tree
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An environment, in promotion order; repeat for each (default: dev, qa, prod on environment/<name>)
    #[arg(long = "env", value_name = "NAME[=BRANCH]", value_parser = parse_env)]
    pub environments: Vec<(String, Option<String>)>,
    /// The application repository: a URL, a path, or "." for this repository
    #[arg(long, value_name = "URL|PATH|.", default_value = ".")]
    pub app: String,
    /// The version of the environments that cut version tags
    #[arg(long, value_name = "V", default_value = "0.1.0")]
    pub version: String,
    /// Also write the CI pipeline for SYSTEM into the work tree (alone, when the environments exist)
    #[arg(long, value_enum, value_name = "SYSTEM")]
    pub ci: Option<pipeline::System>,
    /// Sign every tag with this key and trust it alone for every environment: an ssh key file
    /// (private or .pub), or an OpenPGP fingerprint
    #[arg(long, value_name = "KEY")]
    pub sign: Option<String>,
    /// Show what would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "clap's value_parser takes a fallible function; names are checked with the release file"
)]
fn parse_env(text: &str) -> Result<(String, Option<String>), std::convert::Infallible> {
    Ok(match text.split_once('=') {
        Some((name, branch)) => (name.to_owned(), Some(branch.to_owned())),
        None => (text.to_owned(), None),
    })
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let options = Options {
        environments: args.environments.clone(),
        app: args.app.clone(),
        version: args.version.clone(),
        ci: args.ci,
        sign: args.sign.clone(),
        dry_run: args.dry_run,
    };
    init(context, &options)
}
