//! What `prepare` and `record` share: the application repository, fetching it, and retrying a
//! push that another pipeline beat to a tag name.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::app::AppRepo;
use crate::ci;
use crate::config::{Deploys, Environment, Signer, Trust, TrustMode};
use crate::deploy;
use crate::deploy::ComponentRepo;
use crate::deploy::tip::{self, Tip};
use crate::error::{Error, Kind};
use crate::execute::{self, ExecuteError};
use crate::git::{self, Ident, Signing};
use crate::object_id::ObjectId;
use crate::pipeline::Refusal;
use crate::plan::{Plan, Step};
use crate::refname;
use crate::workspace::Workspace;

use crate::context::Context;

/// How a deployment step runs: where the application repository is, whether tags are pushed,
/// and whether anything is written at all.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// A clone of the application repository to use instead of the cache.
    pub app_dir: Option<PathBuf>,
    /// Create tags here only.
    pub no_push: bool,
    /// Show what would be created and pushed, and change nothing.
    pub dry_run: bool,
}

/// How many times a tag is tried when other pipelines keep taking its name first.
pub const MAX_TRIES: u32 = 10;

/// How many times a push refused for a lock on the remote is tried before the lock is reported.
const LOCK_TRIES: u32 = 3;

/// The application repository of one run, and what the run may do with its remote.
#[expect(clippy::struct_excessive_bools, reason = "each bool is an independent switch of the run")]
pub struct Session {
    pub app: AppRepo,
    /// The components of an application of several repositories, in the order of the file.
    pub components: Vec<ComponentRepo>,
    pub online: bool,
    pub push: bool,
    /// Whether the release repository's remote may be asked for the environment branch.
    release_online: bool,
    /// What the CI's push pipeline checked out, if this runs in one.
    checkout: Option<ci::Checkout>,
    /// `--dry-run`: nothing is fetched into this repository's own references (its tags and
    /// remote-tracking branches); git-release's copy of another application repository is its
    /// own to bring up to date.
    dry_run: bool,
}

impl Session {
    /// Opens the application repository; pushing needs a remote and no `--offline`.
    pub fn open(
        context: &Context,
        workspace: &Workspace,
        environment: &Environment,
        args: &Run,
    ) -> Result<Session, Error> {
        // Whose signatures count is the last environment's to say, not the file checked out.
        let trust = workspace.judging_trust();
        if let Some(warning) = workspace.unguarded_settings() {
            context.ui.warning(&warning);
        }
        if trust.mode == TrustMode::Enforce {
            signs_for(&trust, environment, &workspace.repo)?;
        }
        let app = AppRepo::open(workspace, args.app_dir.as_deref())?.judged_by(trust);
        let online = !context.offline && app.has_remote();
        let push = !args.no_push && !context.offline;
        if push && !app.has_remote() {
            return Err(Refusal::NoRemote { remote: app.remote.clone() }.into());
        }
        let components = ComponentRepo::open_all(workspace, online)?;
        let var = |key: &str| std::env::var(key).ok();
        let checkout = ci::System::detect(&var).and_then(|system| system.checkout(&var));
        if args.dry_run {
            context.note_dry_run();
        }
        Ok(Session { app, components, online, push, release_online: !context.offline, checkout, dry_run: args.dry_run })
    }

    /// The branch the deployment takes its code from: for an environment that deploys any
    /// branch, `asked` (`--branch`), else the branch the CI's push pipeline runs for; otherwise
    /// the environment's own or the application's tracked branch.
    pub fn source_branch(
        &self,
        workspace: &Workspace,
        environment: &Environment,
        asked: Option<&str>,
        prepares: bool,
    ) -> Result<String, Error> {
        if environment.deploys != Deploys::AnyBranch {
            if let Some(asked) = asked.filter(|_| prepares) {
                let name = &environment.name;
                return Err(Refusal::BranchNotAsked {
                    environment: name.clone(),
                    branch: asked.to_owned(),
                    deploys: Session::deploys_what(workspace, environment),
                }
                .into());
            }
            return deploy::tracked_branch(workspace, &self.app, environment, self.online);
        }
        let name = &environment.name;
        let Some(branch) = asked.map(str::to_owned).or_else(|| self.checkout.as_ref().map(|c| c.branch.clone())) else {
            return Err(Refusal::NoBranchNamed { environment: name.clone() }.into());
        };
        refname::check_short(&branch).map_err(|problem| Refusal::NotABranchName {
            environment: name.clone(),
            branch: branch.escape_debug().to_string(),
            why: problem.to_string(),
        })?;
        Ok(branch)
    }

    /// What an environment that deploys no branch of anyone's naming deploys, in words.
    fn deploys_what(workspace: &Workspace, environment: &Environment) -> String {
        if workspace.file.app.is_here() {
            return format!("its own branch, {}", environment.branch);
        }
        match &workspace.file.app.branch {
            Some(branch) => format!("the application's branch {branch} (or its release branch)"),
            None => "the application's HEAD branch (or its release branch)".to_owned(),
        }
    }

    /// The commit the CI's push pipeline of `branch` checked out, when the application
    /// repository holds it: what a deployment of that branch deploys, though it moved on since.
    pub fn checked_out(&self, branch: &str) -> Option<ObjectId> {
        let checkout = self.checkout.as_ref().filter(|c| c.branch == branch)?;
        self.app.repo.rev_parse_commit(&format!("{}^{{commit}}", checkout.commit)).ok()
    }

    /// The environment branch's commit this deployment reads: what the CI checked out, else the
    /// branch as its remote has it, fetched when online. `local_allowed` lets a local branch
    /// with unpublished commits decide, as it may when nothing is pushed.
    pub fn tip(&self, workspace: &Workspace, environment: &Environment, local_allowed: bool) -> Result<Tip, Error> {
        // In the one-repository layout the application's fetch brought the branch already.
        if self.release_online && !workspace.file.app.is_here() && !self.dry_run {
            tip::fetch(workspace, environment)?;
        }
        tip::choose(workspace, environment, self.checkout.as_ref(), local_allowed || !self.push)
    }

    /// Brings the application repository's tags and branches up to date, when online.
    pub fn fetch(&self, workspace: &Workspace, branches: &[String]) -> Result<(), Error> {
        if !self.online || (self.dry_run && !self.app.is_cache()) {
            return Ok(());
        }
        let release_branch =
            if workspace.file.app.is_here() { None } else { workspace.file.app.release_branch.as_ref() };
        self.app.fetch(branches, release_branch)?;
        for repo in &self.components {
            repo.app.fetch(std::slice::from_ref(&repo.tracked), release_branch)?;
        }
        Ok(())
    }

    /// Who writes the tags, at `now`: git's identity, or the CI's actor where git has none.
    pub fn tagger(&self, now: Timestamp) -> Result<Ident, Error> {
        let var = |key: &str| std::env::var(key).ok();
        let fallback =
            ci::System::detect(&var).and_then(|system| system.actor(&var)).unwrap_or_else(|| "git-release".into());
        Ok(self.app.repo.committer_ident(&fallback)?.at(now))
    }

    /// Applies one plan per repository of the application, the umbrella's first: every tag object
    /// is written before anything is pushed, then each repository gets one atomic push. `false`
    /// when a push lost a race and the caller should look again (which completes what was pushed).
    pub fn apply_all(&self, plans: &[(&str, &AppRepo, Plan)], attempt: u32) -> Result<bool, Error> {
        let mut written = Vec::new();
        for (_, app, plan) in plans {
            written.push(execute::write_objects(&app.repo, plan)?);
        }
        let mut pushed = Vec::new();
        for (index, ((name, app, plan), written)) in plans.iter().zip(written).enumerate() {
            let Err(error) = execute::publish(&app.repo, plan, written) else {
                if !plan.pushes.is_empty() {
                    pushed.push(*name);
                }
                continue;
            };
            let error = match self.refused(app, error, attempt) {
                Ok(()) => return Ok(false),
                Err(error) if pushed.is_empty() => return Err(error),
                Err(error) => error,
            };
            let rest: Vec<&str> =
                plans[index..].iter().filter(|(_, _, p)| !p.pushes.is_empty()).map(|(n, ..)| *n).collect();
            let mut partial = Error::new(
                error.kind,
                format!("the deployment reached {} but not {}", pushed.join(", "), rest.join(", ")),
            )
            .cause(format!("{name}: {}", error.message));
            for cause in error.causes {
                partial = partial.cause(cause);
            }
            partial = partial.cause(format!("pushed: {}; not pushed: {}", pushed.join(", "), rest.join(", ")));
            return Err(partial.hint(format!(
                "run this command again once {name} takes the push: it finds what was pushed and completes the rest"
            )));
        }
        Ok(true)
    }

    /// Turns a refused push into the error to show, or `Ok(())` when it lost a race and looking
    /// again is the answer.
    fn refused(&self, app: &AppRepo, error: ExecuteError, attempt: u32) -> Result<(), Error> {
        let ExecuteError::PushRejected { refs, messages, .. } = &error else { return Err(error.into()) };
        let raced = self.online && crate::git::lost_race(refs);
        // A push racing ours holds its lock for moments; one still named after a few looks was
        // left by a git stopped on the remote, and looking again cannot help.
        let lock = messages.iter().find_map(|line| git::held_lock(line)).map(str::to_owned);
        let stuck = lock.as_ref().filter(|_| attempt >= LOCK_TRIES);
        if raced && attempt < MAX_TRIES && stuck.is_none() {
            return Ok(());
        }
        let (message, hint) = if let Some(lock) = lock.filter(|_| raced) {
            (
                format!("{} cannot take the push: a lock file stands in the way", app.name),
                git::remote_lock_hint(&app.name, &lock),
            )
        } else if raced {
            (
                format!("other pipelines took each tag name first, {MAX_TRIES} times in a row"),
                format!("run this command again once the other pushes to {} are done", app.name),
            )
        } else {
            (
                format!("{} refused the push; nothing was changed here", app.name),
                "the application repository declined it: check its hooks and its tag protection rules".to_owned(),
            )
        };
        // The application repository is known by its address: its remote's name is the cache's.
        let (causes, said) = git::refusal(&app.name, messages);
        let mut refused = Error::new(if raced { Kind::Git } else { Kind::Refused }, message);
        for cause in refs.iter().map(|(name, why)| format!("{name}: {why}")).chain(causes) {
            refused = refused.cause(cause);
        }
        // What the remote's hook says to do comes before the general advice.
        for hint in said.into_iter().filter(|_| !raced) {
            refused = refused.hint(hint);
        }
        Err(refused.hint(hint))
    }
}

/// Under `[trust]` enforce, refuses a deployment whose tags would not count: git here signs
/// nothing, or signs with an ssh key `[trust.signers]` does not list for the environment.
fn signs_for(trust: &Trust, environment: &Environment, repo: &git::Repo) -> Result<(), Error> {
    let Some(signing) = Signing::of(repo)? else {
        return Err(Refusal::SignsNoTags.into());
    };
    let Some(key) = signing.ssh_public_key() else { return Ok(()) };
    let name = &environment.name;
    let signers = trust.signers_of(name);
    if signers.iter().any(|signer| matches!(signer, Signer::Ssh(listed) if *listed == key)) {
        return Ok(());
    }
    Err(Refusal::KeyNotListed { environment: name.clone(), key: Signer::Ssh(key).to_string() }.into())
}

/// The steps of one plan per repository, for `--dry-run`: with several repositories, each push
/// names the repository it goes to rather than the cache's `origin`.
pub fn steps_of(plans: &[(&str, &AppRepo, Plan)]) -> Vec<Step> {
    let several = plans.len() > 1;
    let mut steps = Vec::new();
    for (name, app, plan) in plans {
        for mut step in plan.steps() {
            if let (true, Step::Push { remote, .. }) = (several, &mut step) {
                *remote = format!("{name} ({})", app.name);
            }
            steps.push(step);
        }
    }
    steps
}

/// `commit_<name>=` and `tag_<name>=` lines for one component, its name made a valid variable name
/// (`web-ui` gives `commit_web_ui`) for dotenv files and `$GITHUB_OUTPUT`.
#[must_use]
pub fn component_values(name: &str, commit: &ObjectId, tag_key: &str, tag: &str) -> String {
    let key = name.replace('-', "_");
    format!("commit_{key}={commit}\n{tag_key}_{key}={tag}\n")
}
