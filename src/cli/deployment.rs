//! What `prepare` and `record` share: the application repository, fetching it, and retrying a
//! push that another pipeline beat to a tag name.

use std::path::PathBuf;

use crate::app::AppRepo;
use crate::ci;
use crate::error::{Error, Kind};
use crate::execute::{self, Applied, ExecuteError};
use crate::git::Ident;
use crate::plan::{Plan, Step};
use crate::ui::Paint;
use crate::workspace::Workspace;

use super::Context;

/// How many times a tag is tried when other pipelines keep taking its name first.
pub const MAX_TRIES: u32 = 10;

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// Use this clone of the application repository (its remote origin) instead of the cache
    #[arg(long, value_name = "PATH", env = "GIT_RELEASE_APP_DIR")]
    pub app_dir: Option<PathBuf>,
    /// Create tags here only; do not push them
    #[arg(long)]
    pub no_push: bool,
    /// Show what would be created and pushed, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The application repository of one run, and what the run may do with its remote.
pub struct Session {
    pub app: AppRepo,
    pub online: bool,
    pub push: bool,
}

impl Session {
    /// Opens the application repository; pushing needs a remote and no `--offline`.
    pub fn open(context: &Context, workspace: &Workspace, args: &DeployArgs) -> Result<Session, Error> {
        let app = AppRepo::open(workspace, args.app_dir.as_deref())?;
        let online = !context.offline && app.has_remote();
        let push = !args.no_push && !context.offline;
        if push && !app.has_remote() {
            return Err(Error::new(Kind::Usage, format!("there is no remote `{}` to push tags to", app.remote)).hint(
                format!("add it with 'git remote add {} <url>', or keep the tags here with --no-push", app.remote),
            ));
        }
        Ok(Session { app, online, push })
    }

    /// Brings the application repository's tags and branches up to date, when online.
    pub fn fetch(&self, workspace: &Workspace, branches: &[String]) -> Result<(), Error> {
        if !self.online {
            return Ok(());
        }
        let release_branch =
            if workspace.file.app.is_here() { None } else { workspace.file.app.release_branch.as_deref() };
        self.app.fetch(branches, release_branch)
    }

    /// Who writes the tags: git's identity, or the CI's actor where git has none.
    pub fn tagger(&self) -> Result<Ident, Error> {
        let var = |key: &str| std::env::var(key).ok();
        let fallback =
            ci::System::detect(&var).and_then(|system| system.actor(&var)).unwrap_or_else(|| "git-release".into());
        Ok(self.app.repo.committer_ident(&fallback)?)
    }

    /// Applies a plan; `Ok(None)` when a push lost a race and the caller should look again.
    pub fn apply(&self, plan: &Plan, attempt: u32) -> Result<Option<Applied>, Error> {
        let error = match execute::apply(&self.app.repo, plan) {
            Ok(applied) => return Ok(Some(applied)),
            Err(error) => error,
        };
        let ExecuteError::PushRejected { refs, .. } = &error else { return Err(error.into()) };
        let raced = self.online && taken(refs);
        if raced && attempt < MAX_TRIES {
            return Ok(None);
        }
        let (message, hint) = if raced {
            (
                format!("other pipelines took each tag name first, {MAX_TRIES} times in a row"),
                format!("run this command again once the other pushes to {} are done", self.app.name),
            )
        } else {
            (
                format!("{} refused the push; nothing was changed here", self.app.name),
                "the application repository declined it: check its hooks and its tag protection rules".to_owned(),
            )
        };
        let mut refused = Error::new(if raced { Kind::Git } else { Kind::Refused }, message);
        for cause in Error::from(error).causes {
            refused = refused.cause(cause);
        }
        Err(refused.hint(hint))
    }
}

/// Whether a push was refused because the name was taken meanwhile, rather than by a hook or a
/// protection rule: only then is looking again the answer.
fn taken(refs: &[(String, String)]) -> bool {
    // A remote that loses the race inside its own ref transaction says so in other words.
    let reasons = [
        "stale info",
        "already exists",
        "fetch first",
        "atomic push failed",
        "atomic transaction failed",
        "failed to update ref",
        "failed to lock",
    ];
    refs.iter().all(|(_, why)| reasons.iter().any(|reason| why.contains(reason)))
        && refs.iter().any(|(_, why)| !why.contains("atomic push failed"))
}

/// What `prepare` and `record` print: with `--dry-run` the steps, then `key=value` lines, ready
/// for `$GITHUB_OUTPUT` or a dotenv file.
pub fn key_values(paint: Paint, steps: Option<&[Step]>, values: &[(&str, &str)]) -> String {
    let mut out = String::new();
    if let Some(steps) = steps {
        out.push_str(&paint.bold("Would run:\n"));
        for step in steps {
            out.push_str(&format!("  {step}\n"));
        }
        if steps.is_empty() {
            out.push_str("  nothing\n");
        }
    }
    for (key, value) in values {
        out.push_str(&format!("{key}={value}\n"));
    }
    out
}
