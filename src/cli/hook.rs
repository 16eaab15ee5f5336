//! `git release hook <name>` and `git release hooks`: their arguments, handed to `guard`.

use std::ffi::OsString;
use std::io::Read;

use crate::error::{Error, Exit, Kind};
use crate::guard::{self, HookName, install};

use super::Context;

/// Run a hook's checks on the references git hands it on stdin (used by the shims in hooks/)
///
/// Refuses, with exit 1: deleting an environment branch; a commit on an environment branch whose
/// release file is invalid; a commit on a restricted environment branch that the merge gate
/// refuses; deleting or moving an rc, final or deployment tag; such a tag that is lightweight or
/// does not say what its name says. Anything else passes silently. Which references are guarded
/// comes from release.configRef; each environment branch is judged by its own settings before the
/// push. pre-receive fetches a separate application repository first; pre-push reads local
/// references only.
#[derive(Debug, clap::Args)]
pub struct HookArgs {
    #[arg(value_enum)]
    pub name: HookName,
    /// What git passes the hook (pre-push: the remote's name and URL); not used
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub git_args: Vec<OsString>,
}

pub fn run_hook(context: &Context, args: &HookArgs) -> Result<Exit, Error> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| {
        Error::new(Kind::Usage, format!("cannot read the references from stdin: {e}"))
            .hint("git runs this command from the hook shims, with the references on stdin")
    })?;
    guard::run(context, args.name, &input)
}

/// Install, remove or show the git-release hooks of this repository
///
/// A repository with a work tree gets pre-push; a bare repository (a server) gets pre-receive,
/// which `git push --no-verify` cannot skip. Hooks go where git runs them: core.hooksPath when
/// set, else the hooks directory shared by every worktree.
#[derive(Debug, clap::Args)]
pub struct HooksArgs {
    #[command(subcommand)]
    pub action: HooksAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum HooksAction {
    /// Install the hook; an existing hook is kept and run first with --force, else refused
    Install {
        /// Chain to a hook that is already there instead of refusing
        #[arg(long)]
        force: bool,
        /// In an application repository: the release repository whose settings say which tags
        /// are releases and deployment records (its last environment's branch is read)
        #[arg(long, value_name = "URL|PATH")]
        release: Option<String>,
        /// With --release: the release repository's last environment's branch (default: the last
        /// environment its HEAD branch's release file lists)
        #[arg(long, value_name = "BRANCH", requires = "release")]
        release_branch: Option<String>,
    },
    /// Remove the hook, putting back the one it chained to
    Uninstall,
    /// Show which hooks are installed, and where
    Status,
}

pub fn run_hooks(context: &Context, args: &HooksArgs) -> Result<Exit, Error> {
    let asked = match &args.action {
        HooksAction::Install { force, release, release_branch } => {
            install::Asked::Install { force: *force, release: release.clone(), release_branch: release_branch.clone() }
        }
        HooksAction::Uninstall => install::Asked::Uninstall,
        HooksAction::Status => install::Asked::Status,
    };
    install::hooks(context, &asked)
}
