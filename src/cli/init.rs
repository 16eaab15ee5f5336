//! `git release init`: the arguments of `init::init`.

use crate::config::pipeline;
use crate::error::Error;
use crate::init::{Options, init};

use super::Context;

/// Bring release.toml onto every environment branch, creating those that do not exist, without
/// rewriting any branch's history
///
/// Branches that live on the remote are pushed one by one; one that declines the push (a
/// protected branch) gets its commit on release-init/<branch> and a pull request. A release.toml
/// found at HEAD or at release.configRef is kept and decides the environments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An environment, in promotion order; repeat for each (default: dev, qa, prod on environment/<name>)
    #[arg(long = "env", value_name = "NAME[=BRANCH]", value_parser = parse_env)]
    pub environments: Vec<(String, Option<String>)>,
    /// The application repository: a URL, a path, or "." for this repository
    #[arg(long, value_name = "URL|PATH|.", default_value = ".")]
    pub app: String,
    /// The version of the environments that cut version tags
    #[arg(long, value_name = "V", default_value = crate::init::DEFAULT_VERSION)]
    pub version: String,
    /// Also write the CI pipeline for SYSTEM into the work tree (alone, when the environments exist)
    #[arg(long, value_enum, value_name = "SYSTEM")]
    pub ci: Option<pipeline::System>,
    /// Sign every tag with this key and trust it alone for every environment: an ssh key file
    /// (private or .pub), or an OpenPGP fingerprint
    #[arg(long, value_name = "KEY")]
    pub sign: Option<String>,
    /// The forge the remote is on, where its address does not say (github, gitlab,
    /// bitbucket-server, bitbucket-cloud, azure-devops, gitea): written as [forge] kind
    #[arg(long, value_name = "KIND")]
    pub forge: Option<String>,
    /// The forge's API, written as [forge] api (with --forge)
    #[arg(long, value_name = "URL", requires = "forge")]
    pub forge_api: Option<String>,
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
        forge: args.forge.clone(),
        forge_api: args.forge_api.clone(),
        dry_run: args.dry_run,
    };
    init(context, &options)
}
