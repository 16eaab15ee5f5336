//! `git release hook <name>`: the logic behind the hook shims, and `git release hooks`, which
//! installs them.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Exit, Kind};
use crate::git::GitCommand;
use crate::guard::{self, HookName, Refusal, Update, parse_updates, pre_commit_framework};
use crate::object_id::ObjectId;
use crate::released;
use crate::ui::{Paint, Report};
use crate::workspace::Workspace;

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
    let mut updates = parse_updates(args.name, &input)?;
    if updates.is_empty() && args.name == HookName::PrePush {
        let repo = context.repo()?;
        let was = |reference: &str, from: &ObjectId| value_before(&repo, reference, from);
        updates.extend(pre_commit_framework(&|key| std::env::var(key).ok(), &was)?);
        if updates.is_empty() && std::env::var_os("PRE_COMMIT").is_some() {
            context.ui.message(
                "note: the pre-commit framework named no reference (a push of a root commit); nothing was checked",
            );
        }
    }
    if updates.is_empty() {
        return Ok(Exit::Success);
    }
    // A repository without a release file is none of git-release's business.
    let Some(workspace) = workspace(context, &updates)? else { return Ok(Exit::Success) };
    if !updates.iter().any(|u| guard::concerns(&u.reference, &workspace.file)) {
        return Ok(Exit::Success);
    }
    // A hook writes no tags: each reference's checks may share one listing of the loose tags.
    workspace.repo.keep_tag_listing();
    // Both sides judge with the application's records as they are now: a push to an
    // environment branch goes to the network anyway, and a copy fetched last week (or never, in a
    // fresh clone) would refuse what the server lets in.
    let fetch = !context.offline;
    let mut refused = Vec::new();
    let mut warnings = Vec::new();
    for update in &updates {
        let facts = guard::gather(&workspace, update, fetch)?;
        match guard::decide(&facts) {
            Some(refusal) => refused.push(refusal),
            None => warnings.extend(facts.warnings.into_iter().map(|note| format!("{}: {note}", update.reference))),
        }
    }
    let allowed = refused.is_empty();
    for warning in warnings.iter().filter(|_| allowed) {
        context.ui.warning(&Error::new(Kind::Refused, warning.clone()));
    }
    let report = HookReport { hook: args.name.as_str(), allowed, refused };
    if context.ui.json() {
        context.ui.report(&report);
    } else {
        for refusal in &report.refused {
            context.ui.error(&refusal_error(refusal));
        }
    }
    Ok(if allowed { Exit::Success } else { Exit::Refused })
}

/// The release file that says what to guard: `--config-from` when given, else the one a push
/// cannot rewrite ([`Workspace::load_guarding`]). Each environment branch is then judged by its
/// own settings as they stand before the push.
fn workspace(context: &Context, updates: &[Update]) -> Result<Option<Workspace>, Error> {
    let repo = context.repo()?;
    match context.config_from.as_deref() {
        Some(rev) => Workspace::load_if_any(repo, &context.remote, Some(rev)),
        None => match Workspace::load_guarding(repo.clone(), &context.remote)? {
            Some(workspace) => Ok(Some(workspace)),
            // An application repository guards its tags by the release repository's settings,
            // fetched only for a push that has tags (or names git would refuse) in it.
            None if updates.iter().any(|u| concerns_a_tag(&u.reference)) => released::workspace(&repo, &context.remote),
            None => Ok(None),
        },
    }
}

fn concerns_a_tag(reference: &str) -> bool {
    reference.starts_with("refs/tags/") || crate::refname::check_full(reference).is_err()
}

/// Whether `reference` stood at `from` on the remote before a push the pre-commit framework
/// describes. A branch did when its remote-tracking branch exists (the framework then passes the
/// remote's value); a tag did when `from` is a tag object (for a new tag the framework passes a
/// commit, the parent of its first new commit).
fn value_before(repo: &crate::git::Repo, reference: &str, from: &ObjectId) -> Result<bool, Error> {
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
        let remote = std::env::var("PRE_COMMIT_REMOTE_NAME").unwrap_or_else(|_| "origin".into());
        return Ok(repo.reference(&format!("refs/remotes/{remote}/{branch}"))?.is_some());
    }
    Ok(repo.object_kind(from)? == Some(crate::git::ObjectKind::Tag))
}

fn refusal_error(refusal: &Refusal) -> Error {
    let mut error = Error::new(Kind::Refused, format!("refusing {}: {}", refusal.reference, refusal.reason));
    for detail in &refusal.details {
        error = error.cause(detail.clone());
    }
    for hint in &refusal.hints {
        error = error.hint(hint.clone());
    }
    error
}

#[derive(Debug, Serialize)]
struct HookReport {
    hook: &'static str,
    allowed: bool,
    refused: Vec<Refusal>,
}

impl Report for HookReport {
    fn human(&self, _: Paint) -> String {
        String::new()
    }
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

/// What a hook file is, to git-release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum HookState {
    Absent,
    Installed,
    /// Installed, running the hook that was there before it first.
    Chained,
    /// Another tool's hook.
    Other,
}

const MARKER: &str = "# git-release: ";

pub fn run_hooks(context: &Context, args: &HooksArgs) -> Result<Exit, Error> {
    let repo = context.repo()?;
    let output = repo.run(&GitCommand::new(["rev-parse", "--git-path", "hooks"]))?;
    let dir = repo.command_dir().join(output.stdout.trim());
    let wanted = if repo.is_bare() { HookName::PreReceive } else { HookName::PrePush };
    match &args.action {
        HooksAction::Install { force, release, release_branch } => {
            match release {
                Some(release) => guard_by_release_repository(context, &repo, release, release_branch.as_deref())?,
                None => guard_from_last_environment(context, &repo)?,
            }
            install(context, &dir, wanted, *force)
        }
        HooksAction::Uninstall => uninstall(context, &dir, wanted),
        HooksAction::Status => {
            let hooks = HookName::ALL.map(|name| HookStatus { name: name.as_str(), state: state(&dir, name) });
            context.ui.report(&StatusReport { directory: dir, hooks: hooks.to_vec() });
            Ok(Exit::Success)
        }
    }
}

/// Points `release.configRef` at the last environment's branch, where the hooks read what to
/// guard: it changes least and is guarded most. A repository without a release file is refused,
/// since its hooks would guard nothing.
fn guard_from_last_environment(context: &Context, repo: &crate::git::Repo) -> Result<(), Error> {
    let Some(workspace) = Workspace::load_if_any(repo.clone(), &context.remote, context.config_from.as_deref())? else {
        return Err(Error::new(Kind::Usage, "this repository holds no release file, so its hooks would guard nothing")
            .cause(
                "the hooks read which branches are environments, and which tags record releases, from the release file",
            )
            .hint("in an application repository, name the release repository: git release hooks install --release <url|path>")
            .hint("else install them in the release repository, or fetch its environment branches here first"));
    };
    let last = workspace.file.environments.last().expect("a release file lists at least one environment");
    let wanted = format!("refs/heads/{}", last.branch);
    let configured = repo.config_string("release.configRef");
    if configured.as_deref() != Some(wanted.as_str()) {
        repo.set_config("release.configRef", &wanted)?;
        let was = configured.map_or_else(String::new, |before| format!(" (was {before})"));
        context.ui.message(&format!("set release.configRef = {wanted}{was}: the hooks read what to guard from there"));
    }
    Ok(())
}

/// Points an application repository's hooks at the release repository whose settings guard its
/// tags: the address, and its last environment's branch, read now from its HEAD branch's file.
fn guard_by_release_repository(
    context: &Context,
    repo: &crate::git::Repo,
    release: &str,
    branch: Option<&str>,
) -> Result<(), Error> {
    if crate::config::control_character(release).is_some() {
        return Err(Error::new(Kind::Usage, "--release holds a control character")
            .hint("name the release repository by its URL or path"));
    }
    let base = std::env::current_dir().unwrap_or_else(|_| repo.command_dir().to_owned());
    let url = crate::app::absolute_url(release, &base);
    let branch = match branch {
        Some(branch) => crate::refname::check_short(branch).map(|()| branch.to_owned()).map_err(|problem| {
            Error::new(Kind::Usage, format!("--release-branch `{branch}` is not a branch name: {problem}"))
        })?,
        None => released::last_environment_branch(repo, &url)?,
    };
    let workspace = released::workspace_at(repo, &context.remote, &url, &branch)?;
    if !workspace.file.environments.iter().any(|e| e.branch == branch) {
        return Err(Error::new(Kind::Config, format!("{} lists no environment on {branch}", workspace.origin))
            .hint("the release repository's last environment's branch must hold a release file that lists it"));
    }
    repo.set_config(released::REPOSITORY_KEY, &url)?;
    repo.set_config(released::BRANCH_KEY, &branch)?;
    context.ui.message(&format!("the hooks guard this repository's release and record tags by {}", workspace.origin));
    Ok(())
}

fn state(dir: &Path, name: HookName) -> HookState {
    match std::fs::read_to_string(dir.join(name.as_str())) {
        Err(_) => HookState::Absent,
        Ok(text) if text.contains(MARKER) && backup(dir, name).exists() => HookState::Chained,
        Ok(text) if text.contains(MARKER) => HookState::Installed,
        Ok(_) => HookState::Other,
    }
}

/// Where a hook that was there first is kept while git-release's runs it.
fn backup(dir: &Path, name: HookName) -> PathBuf {
    dir.join(format!("{}.before-git-release", name.as_str()))
}

fn install(context: &Context, dir: &Path, name: HookName, force: bool) -> Result<Exit, Error> {
    let path = dir.join(name.as_str());
    let io = |e: std::io::Error| Error::new(Kind::Git, format!("cannot write {}: {e}", path.display()));
    match state(dir, name) {
        HookState::Installed | HookState::Chained => {
            context.ui.message(&format!("{} is already git-release's hook", path.display()));
            return Ok(Exit::Success);
        }
        HookState::Other if !force => {
            return Err(Error::new(
                Kind::Refused,
                format!("{} already exists and is not git-release's", path.display()),
            )
            .hint("run 'git release hooks install --force' to keep it and run it before git-release's"));
        }
        HookState::Other => std::fs::rename(&path, backup(dir, name)).map_err(io)?,
        HookState::Absent => std::fs::create_dir_all(dir).map_err(io)?,
    }
    let text = if backup(dir, name).is_file() { chained(name) } else { name.shim().to_owned() };
    write_executable(&path, &text).map_err(io)?;
    context.ui.message(&format!("installed {}", path.display()));
    Ok(Exit::Success)
}

fn uninstall(context: &Context, dir: &Path, name: HookName) -> Result<Exit, Error> {
    let path = dir.join(name.as_str());
    let io = |e: std::io::Error| Error::new(Kind::Git, format!("cannot change {}: {e}", path.display()));
    match state(dir, name) {
        HookState::Absent => context.ui.message(&format!("{} is not installed", path.display())),
        HookState::Other => {
            return Err(Error::new(
                Kind::Refused,
                format!("{} is not git-release's; it was left alone", path.display()),
            )
            .hint("remove it yourself if it should go"));
        }
        HookState::Chained => {
            std::fs::rename(backup(dir, name), &path).map_err(io)?;
            context.ui.message(&format!("removed git-release from {}; the hook it chained to is back", path.display()));
        }
        HookState::Installed => {
            std::fs::remove_file(&path).map_err(io)?;
            context.ui.message(&format!("removed {}", path.display()));
        }
    }
    Ok(Exit::Success)
}

/// A shim that hands the references to the hook that was there first, then to git-release.
fn chained(name: HookName) -> String {
    let name = name.as_str();
    format!(
        "#!/bin/sh\n{MARKER}guards environment branches and release tags; 'git release hooks' manages this file.\n\
         # The hook that was here first runs before it, from {name}.before-git-release.\n\
         input=$(cat)\n\
         before=\"$(dirname \"$0\")/{name}.before-git-release\"\n\
         if test -x \"$before\"; then printf '%s\\n' \"$input\" | \"$before\" \"$@\" || exit; fi\n\
         printf '%s\\n' \"$input\" | git release hook {name} \"$@\"\n"
    )
}

fn write_executable(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[derive(Debug, Clone, Serialize)]
struct HookStatus {
    name: &'static str,
    state: HookState,
}

#[derive(Debug, Serialize)]
struct StatusReport {
    directory: PathBuf,
    hooks: Vec<HookStatus>,
}

impl Report for StatusReport {
    fn human(&self, _: Paint) -> String {
        let mut out = format!("hooks directory: {}\n", self.directory.display());
        for hook in &self.hooks {
            let state = match hook.state {
                HookState::Absent => "not installed".to_owned(),
                HookState::Installed => "installed".to_owned(),
                HookState::Chained => format!("installed, running {}.before-git-release first", hook.name),
                HookState::Other => "another tool's hook".to_owned(),
            };
            out.push_str(&format!("{:<12} {state}\n", hook.name));
        }
        out
    }
}
