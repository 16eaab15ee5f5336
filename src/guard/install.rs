//! `hooks install`, `uninstall` and `status`: the hook shims written where git runs them, an
//! existing hook kept and run first, and the settings that say what the hooks guard.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::HookName;
use crate::context::Context;
use crate::error::{Error, Exit, Kind};
use crate::git::{GitCommand, Repo};
use crate::released;
use crate::ui::{Paint, Report};
use crate::workspace::Workspace;

/// What `hooks` is asked to do.
#[derive(Debug, Clone)]
pub enum Asked {
    /// Install the hook; with `force`, chain to one that is there; with `release`, guard an
    /// application repository by that release repository's settings (on `release_branch`).
    Install {
        force: bool,
        release: Option<String>,
        release_branch: Option<String>,
    },
    Uninstall,
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

/// Whose hook git runs here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOwner {
    None,
    /// git-release's, alone or running the one before it first.
    GitRelease,
    /// git-release's, but git will not run it as it is (`why` says what to mend).
    Broken(&'static str),
    /// The pre-commit framework's, whose configuration runs git-release.
    Framework,
    /// Another tool's.
    Other,
}

/// The hook git runs here (pre-push with a work tree, pre-receive in a bare repository), and
/// whose it is.
#[must_use]
pub fn hook_state(repo: &Repo) -> (&'static str, HookOwner) {
    let name = if repo.is_bare() { HookName::PreReceive } else { HookName::PrePush };
    let Ok(output) = repo.run(&GitCommand::new(["rev-parse", "--git-path", "hooks"])) else {
        return (name.as_str(), HookOwner::None);
    };
    let dir = repo.command_dir().join(output.stdout.trim());
    let framework = || {
        let hook = std::fs::read_to_string(dir.join(name.as_str())).unwrap_or_default();
        let config =
            repo.workdir().map(|w| std::fs::read_to_string(w.join(".pre-commit-config.yaml")).unwrap_or_default());
        hook.contains("pre-commit") && config.is_some_and(|c| c.contains("git-release"))
    };
    let path = dir.join(name.as_str());
    let executable = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let owner = match state(&dir, name) {
        HookState::Absent => HookOwner::None,
        HookState::Installed | HookState::Chained if !executable => {
            HookOwner::Broken("it is not executable, so git skips it")
        }
        HookState::Installed if text != name.shim() => HookOwner::Broken("it was edited since it was installed"),
        HookState::Chained if text != chained(name) => HookOwner::Broken("it was edited since it was installed"),
        HookState::Installed | HookState::Chained => HookOwner::GitRelease,
        HookState::Other if framework() => HookOwner::Framework,
        HookState::Other => HookOwner::Other,
    };
    (name.as_str(), owner)
}

const MARKER: &str = "# git-release: ";

/// Installs, removes or shows the hook git runs here: pre-push with a work tree, pre-receive in a
/// bare repository.
///
/// # Errors
/// A hook of another tool in the way (without `force`), nothing to guard, a failed write.
pub fn hooks(context: &Context, asked: &Asked) -> Result<Exit, Error> {
    let repo = context.repo()?;
    let output = repo.run(&GitCommand::new(["rev-parse", "--git-path", "hooks"]))?;
    let dir = repo.command_dir().join(output.stdout.trim());
    let wanted = if repo.is_bare() { HookName::PreReceive } else { HookName::PrePush };
    match asked {
        Asked::Install { force, release, release_branch } => {
            match release {
                Some(release) => guard_by_release_repository(context, &repo, release, release_branch.as_deref())?,
                None => guard_from_last_environment(context, &repo)?,
            }
            install(context, &dir, wanted, *force)
        }
        Asked::Uninstall => uninstall(context, &dir, wanted),
        Asked::Status => {
            let hooks = HookName::ALL.map(|name| HookStatus { name: name.as_str(), state: state(&dir, name) });
            context.ui.report(&StatusReport { directory: dir, hooks: hooks.to_vec() });
            Ok(Exit::Success)
        }
    }
}

/// Points `release.configRef` at the last environment's branch, where the hooks read what to
/// guard: it changes least and is guarded most. A repository without a release file is refused,
/// since its hooks would guard nothing.
fn guard_from_last_environment(context: &Context, repo: &Repo) -> Result<(), Error> {
    let Some(workspace) = Workspace::load_if_any(repo.clone(), &context.remote, context.config_from.as_deref())? else {
        return Err(Refusal::NothingToGuard.into());
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
    repo: &Repo,
    release: &str,
    branch: Option<&str>,
) -> Result<(), Error> {
    if crate::config::control_character(release).is_some() {
        return Err(Refusal::ControlCharacter.into());
    }
    let base = std::env::current_dir().unwrap_or_else(|_| repo.command_dir().to_owned());
    let url = crate::app::absolute_url(release, &base);
    let branch = match branch {
        Some(branch) => crate::refname::check_short(branch)
            .map(|()| branch.to_owned())
            .map_err(|problem| Refusal::NotABranchName { branch: branch.to_owned(), why: problem.to_string() })?,
        None => released::last_environment_branch(repo, &url).map_err(installing)?,
    };
    let shown = crate::secret::redact(&url);
    let heads = repo.ls_remote(&url, &[format!("refs/heads/{branch}")]).map_err(|e| installing(e.into()))?;
    if heads.is_empty() {
        return Err(Refusal::NoSuchBranch { branch, release: shown }.into());
    }
    let workspace = released::workspace_at(repo, &context.remote, &url, &branch).map_err(installing)?;
    if !workspace.file.environments.iter().any(|e| e.branch == branch) {
        return Err(Refusal::NoEnvironmentOn { origin: workspace.origin.to_string(), branch }.into());
    }
    // Anyone who may push an earlier environment's branch could rewrite the settings read there.
    let last = workspace.file.environments.last().expect("a release file lists at least one environment");
    if last.branch != branch {
        return Err(
            Refusal::NotLastEnvironment { branch, last: last.branch.clone(), environment: last.name.clone() }.into()
        );
    }
    repo.set_config(released::REPOSITORY_KEY, &url)?;
    repo.set_config(released::BRANCH_KEY, &branch)?;
    context.ui.message(&format!("the hooks guard this repository's release and record tags by {}", workspace.origin));
    Ok(())
}

/// An error reading the release repository while installing: what to check is what was given,
/// not the settings the hooks keep (none are written yet).
fn installing(mut error: Error) -> Error {
    error.hints.retain(|hint| !hint.contains("git config"));
    if error.hints.is_empty() {
        error.hints.push(
            "check the address given with --release, and name its last environment's branch with --release-branch <branch>"
                .into(),
        );
    }
    error
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
            return Err(Refusal::HookExists { path: path.display().to_string() }.into());
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
            return Err(Refusal::NotOurs { path: path.display().to_string() }.into());
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

/// Why `hooks install` or `hooks uninstall` is refused: each case a variant that callers and
/// tests can match, with what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this repository holds no release file, so its hooks would guard nothing")]
    NothingToGuard,
    #[error("--release holds a control character")]
    ControlCharacter,
    #[error("--release-branch `{branch}` is not a branch name: {why}")]
    NotABranchName { branch: String, why: String },
    /// `release` is redacted.
    #[error("the release repository {release} has no branch {branch}")]
    NoSuchBranch { branch: String, release: String },
    /// The branch of an environment other than the last, whose pushers could rewrite what the
    /// hooks guard by.
    #[error("{branch} is not the branch of the release repository's last environment, {environment} ({last})")]
    NotLastEnvironment { branch: String, last: String, environment: String },
    /// The release repository's branch lists no environment of its own.
    #[error("{origin} lists no environment on {branch}")]
    NoEnvironmentOn { origin: String, branch: String },
    #[error("{path} already exists and is not git-release's")]
    HookExists { path: String },
    #[error("{path} is not git-release's; it was left alone")]
    NotOurs { path: String },
}

impl crate::error::Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::NoEnvironmentOn { .. } | Refusal::NotLastEnvironment { .. } => Kind::Config,
            Refusal::HookExists { .. } | Refusal::NotOurs { .. } => Kind::Refused,
            _ => Kind::Usage,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            Refusal::NothingToGuard => vec![
                "the hooks read which branches are environments, and which tags record releases, from the release file"
                    .into(),
            ],
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            Refusal::NothingToGuard => vec![
                "in an application repository, name the release repository: git release hooks install --release <url|path>".into(),
                "else install them in the release repository, or fetch its environment branches here first".into(),
            ],
            Refusal::ControlCharacter => vec!["name the release repository by its URL or path".into()],
            Refusal::NotABranchName { .. } | Refusal::NoSuchBranch { .. } => {
                vec!["name the branch of the release repository's last environment, such as --release-branch environment/prod".into()]
            }
            Refusal::NoEnvironmentOn { .. } => {
                vec!["the release repository's last environment's branch must hold a release file that lists it".into()]
            }
            Refusal::NotLastEnvironment { last, .. } => vec![
                format!("name it: --release-branch {last}"),
                "the hooks read what they guard where it changes least and is guarded most; whoever may push an earlier environment's branch could rewrite it there".into(),
            ],
            Refusal::HookExists { .. } => {
                vec!["run 'git release hooks install --force' to keep it and run it before git-release's".into()]
            }
            Refusal::NotOurs { .. } => vec!["remove it yourself if it should go".into()],
        }
    }
}
