//! The application repository: where deployable commits, version tags and deployment records live.
//!
//! `[app] repo = "."` is the release repository itself. A URL or path names a separate repository,
//! kept as a bare cache inside the git directory and fetched with the `git` binary; `--app-dir`
//! names a clone that exists already, as in CI.

mod approvals;
mod index;
mod records;
mod trust;

pub use records::{Ask, Survey};

use std::path::{Path, PathBuf};

use crate::config::{App, BranchPattern, Component, Tags, Trust, TrustMode};
use crate::error::{Diagnostic, Error, Kind};
use crate::forge;
use crate::git::{GitCommand, GitError, Repo, TagRef};
use crate::object_id::ObjectId;
use crate::secret::redact;
use crate::version::pin::{Pin, Target};
use crate::version::{Existing, Known, VersionTag};
use crate::workspace::Workspace;

/// An application repository, open and ready to fetch from and push to.
pub struct AppRepo {
    pub repo: Repo,
    /// The remote of `repo` that fetches and pushes go to.
    pub remote: String,
    /// The repository as messages name it: `.`, a path, or a URL without credentials.
    pub name: String,
    separate: bool,
    /// git-release's own copy (under `.git/release/apps/`), not a repository a person works in:
    /// it may be fetched blobless and pruned, and brought up to date on a dry run.
    cache: bool,
    /// Whose signatures count, from the settings that opened this repository.
    trust: std::rc::Rc<Trust>,
    /// The environments that cut rc tags, whose signers vouch for them.
    rc_owners: std::rc::Rc<[String]>,
    /// The environments that cut final tags.
    final_owners: std::rc::Rc<[String]>,
    /// What trust had to say about the tags read so far, each once.
    notes: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
}

/// Why the application repository could not be reached or read.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot fetch from the application repository {name}")]
    Fetch { name: String, source: GitError },
    #[error("tag {tag} here differs from the one on {name}")]
    Clobber { name: String, tag: String },
    #[error("--app-dir {} is not a git repository", .path.display())]
    NotARepository { path: PathBuf, source: GitError },
    #[error("--app-dir {} has no remote `{remote}` to fetch from and push to", .path.display())]
    NoRemote { path: PathBuf, remote: String },
    #[error("the application repository {name} has no HEAD branch to track")]
    NoHead { name: String },
    #[error("which branch of {name} to track is not known here: its HEAD has not been fetched")]
    HeadNotFetched { name: String },
    #[error("the cache for {name} at {} was made for {other}", .path.display())]
    CacheOfAnother { name: String, other: String, path: PathBuf },
    #[error("the application repository {name} has no branch {branch}")]
    NoSuchBranch { name: String, branch: String },
    /// A version that pins a repository other than the application's (`pin` as written).
    #[error("version {pin} names {repository}, which is not the application repository {name}")]
    PinElsewhere { pin: String, repository: String, name: String },
    #[error("cannot tell which forge holds the pull request of version {pin}")]
    PinForgeUnknown { pin: String },
    #[error("version {pin} pins a pull request that git cannot fetch by reference")]
    PinUnfetchable { pin: String },
    /// `causes` are what git said, when it was asked.
    #[error("version {pin} points at {reference}, which the application repository does not have")]
    PinMissing { pin: String, reference: String, causes: Vec<String> },
}

impl Diagnostic for AppError {
    fn kind(&self) -> Kind {
        match self {
            AppError::Fetch { .. } => Kind::Network,
            AppError::Clobber { .. }
            | AppError::CacheOfAnother { .. }
            | AppError::HeadNotFetched { .. }
            | AppError::PinMissing { .. } => Kind::Refused,
            AppError::NotARepository { .. }
            | AppError::NoRemote { .. }
            | AppError::NoHead { .. }
            | AppError::PinElsewhere { .. }
            | AppError::PinForgeUnknown { .. }
            | AppError::PinUnfetchable { .. }
            | AppError::NoSuchBranch { .. } => Kind::Usage,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            AppError::Fetch { source, .. } | AppError::NotARepository { source, .. } => source.causes(),
            AppError::PinUnfetchable { .. } => {
                vec!["Bitbucket Cloud and Azure DevOps keep no reference to a pull request's head".into()]
            }
            AppError::PinMissing { causes, .. } => causes.clone(),
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            // A lock a stopped git left in the cache is named, rather than the network blamed.
            AppError::Fetch { source: source @ GitError::Failed { stderr, .. }, .. }
                if crate::git::held_lock(stderr).is_some() =>
            {
                source.hints()
            }
            AppError::Fetch { .. } => vec![
                "check the URL in [app] repo and that git can reach it (credential helper, SSH key)".into(),
                "or work from what is here already with --offline".into(),
            ],
            AppError::Clobber { tag, .. } => vec![
                format!(
                    "a tag of that name was made here but never pushed, and another was pushed since: inspect it with 'git show {tag}'"
                ),
                format!("if the local one is not wanted, remove it with 'git tag -d {tag}' and run this command again"),
            ],
            AppError::NotARepository { .. } => vec!["point --app-dir at a clone of the application repository".into()],
            AppError::NoRemote { remote, .. } => vec![format!("add it: git remote add {remote} <url>")],
            AppError::NoHead { .. } => vec!["name the branch to track in release.toml: [app] branch = \"main\"".into()],
            AppError::HeadNotFetched { .. } => vec![
                "'git release gate' or 'git release prepare' fetch it when online".into(),
                "or name the branch to track in release.toml: [app] branch = \"main\"".into(),
            ],
            AppError::CacheOfAnother { path, .. } => vec![
                "a cache serves only the repository it was made for, so that one repository's tags never count as another's".into(),
                format!("if that cache is not wanted, remove it ('rm -rf {}') and run this command again", path.display()),
            ],
            AppError::NoSuchBranch { .. } => vec![
                "check the branch's name, as --branch gives it or [app] branch in release.toml names it".into(),
                "a branch is pushed to the application repository before it is deployed".into(),
            ],
            AppError::PinElsewhere { .. } => vec![
                "pin a pull request, branch or commit of the application repository, or give its full address".into(),
            ],
            AppError::PinForgeUnknown { .. } => {
                vec!["name it in release.toml: [forge] kind = \"github\" (or gitlab, gitea, bitbucket-server)".into()]
            }
            AppError::PinUnfetchable { .. } => {
                vec!["pin the pull request's branch instead, such as owner/repo#feature-x".into()]
            }
            AppError::PinMissing { .. } => vec![
                "check that the pull request, branch or commit exists; without --offline it is fetched first".into(),
            ],
        }
    }
}

/// The remote a cache and an `--app-dir` clone fetch from.
const APP_REMOTE: &str = "origin";

impl AppRepo {
    /// The repository as the settings of `workspace` see it: tags written here are signed as the
    /// repository the command runs in signs them, and its `[trust]` judges the tags read.
    /// Whether this is a repository of its own beside the release repository, not the release
    /// repository itself (`[app] repo = "."`).
    #[must_use]
    pub fn is_separate(&self) -> bool {
        self.separate
    }

    fn new(workspace: &Workspace, mut repo: Repo, remote: String, name: String, separate: bool) -> AppRepo {
        repo.sign_as(&workspace.repo);
        let trust = std::rc::Rc::new(workspace.file.trust.clone());
        let environments = &workspace.file.environments;
        let cutting =
            |cut: crate::version::Cut| environments.iter().filter(|e| e.cut == cut).map(|e| e.name.clone()).collect();
        let (rc_owners, final_owners) = (cutting(crate::version::Cut::Rc), cutting(crate::version::Cut::Final));
        let cache = false;
        AppRepo { repo, remote, name, separate, cache, trust, rc_owners, final_owners, notes: std::rc::Rc::default() }
    }

    /// The application repository as it is here, for reading only: `None` when its cache was
    /// never fetched.
    ///
    /// # Errors
    /// When the cache exists but cannot be opened.
    pub fn existing(workspace: &Workspace) -> Result<Option<AppRepo>, Error> {
        let app = &workspace.file.app;
        if !app.is_here() && !cache_path(workspace, &app.repo).join("HEAD").is_file() {
            return Ok(None);
        }
        AppRepo::open(workspace, None).map(Some)
    }

    /// A component's repository as it is here, for reading only: `None` when never fetched.
    ///
    /// # Errors
    /// When the cache exists but cannot be opened.
    pub fn existing_component(workspace: &Workspace, component: &Component) -> Result<Option<AppRepo>, Error> {
        if !cache_path(workspace, &component.repo).join("HEAD").is_file() {
            return Ok(None);
        }
        AppRepo::cached(workspace, &component.repo).map(Some)
    }

    /// Opens a component's repository, kept as a bare cache like a separate application repository.
    ///
    /// # Errors
    /// When the cache cannot be created.
    pub fn component(workspace: &Workspace, component: &Component) -> Result<AppRepo, Error> {
        AppRepo::cached(workspace, &component.repo)
    }

    /// Opens the application repository the release file names, or `app_dir` when given.
    ///
    /// # Errors
    /// When `app_dir` is not a clone, or the cache cannot be created.
    pub fn open(workspace: &Workspace, app_dir: Option<&Path>) -> Result<AppRepo, Error> {
        let trace = workspace.repo.trace();
        if let Some(path) = app_dir {
            let repo = Repo::open_at(path, trace)
                .map_err(|source| AppError::NotARepository { path: path.to_owned(), source })?;
            let Some(url) = repo.remote_url(APP_REMOTE) else {
                return Err(AppError::NoRemote { path: path.to_owned(), remote: APP_REMOTE.into() }.into());
            };
            return Ok(AppRepo::new(workspace, repo, APP_REMOTE.into(), redact(&url), true));
        }
        let app = &workspace.file.app;
        if app.repo == "." {
            let name = ".".to_owned();
            return Ok(AppRepo::new(workspace, workspace.repo.clone(), workspace.remote.clone(), name, false));
        }
        AppRepo::cached(workspace, &app.repo)
    }

    /// The bare cache of the repository at `repo` (a URL or a path), made on first use.
    fn cached(workspace: &Workspace, repo: &str) -> Result<AppRepo, Error> {
        let trace = workspace.repo.trace();
        let url = absolute_url(repo, &release_dir(workspace));
        let cache = cache_path(workspace, repo);
        let mut cache_repo = if cache.join("HEAD").is_file() {
            Repo::open_at(&cache, trace.clone())?
        } else {
            Repo::init_bare_for(&cache, &url, trace.clone())?
        };
        match cache_repo.remote_url(APP_REMOTE) {
            Some(cached) if cached == url => {}
            // A cache serves the one URL it was made for: another's records are not this one's.
            Some(cached) => {
                return Err(AppError::CacheOfAnother { name: redact(repo), other: redact(&cached), path: cache }.into());
            }
            None => {
                cache_repo.set_config(&format!("remote.{APP_REMOTE}.url"), &url)?;
                cache_repo = Repo::open_at(&cache, trace)?;
            }
        }
        Ok(AppRepo { cache: true, ..AppRepo::new(workspace, cache_repo, APP_REMOTE.into(), redact(repo), true) })
    }

    /// Whether this is git-release's own cache, rather than a repository a person works in (the
    /// release repository itself, or a clone given with `--app-dir`).
    #[must_use]
    pub fn is_cache(&self) -> bool {
        self.cache
    }

    /// Whether the remote is configured at all (a release repository may have none).
    #[must_use]
    pub fn has_remote(&self) -> bool {
        self.repo.remote_url(&self.remote).is_some()
    }

    /// Fetches the tags, the given branches and the release branches of `[app] release-branch`.
    ///
    /// # Errors
    /// When the remote cannot be reached, or a local tag differs from the remote's.
    pub fn fetch(&self, branches: &[String], release_branch: Option<&BranchPattern>) -> Result<(), Error> {
        let mut refspecs = vec!["refs/tags/*:refs/tags/*".to_owned()];
        let tracked = |branch: &str| format!("+refs/heads/{branch}:refs/remotes/{}/{branch}", self.remote);
        refspecs.extend(branches.iter().map(|b| tracked(b)));
        if let Some(glob) = release_branch.and_then(BranchPattern::glob) {
            refspecs.push(tracked(&glob));
        }
        // A person's repository keeps its blobs and the tags only it has.
        if !self.cache {
            return self.repo.fetch(&self.remote, &refspecs, false).map_err(|source| self.fetch_error(source));
        }
        // A cache holds what the remote holds: a tag deleted there (a forged record removed) is
        // dropped here too, except those an earlier run made with --no-push, kept under a mark.
        self.repo.fetch_pruning(&self.remote, &refspecs).map_err(|source| self.fetch_error(source))?;
        for (mark, id) in self.repo.refs_under(crate::plan::UNPUSHED)? {
            let tag = format!("refs/tags/{}", &mark[crate::plan::UNPUSHED.len()..]);
            if self.repo.reference(&tag)?.is_none() {
                self.repo.run(&GitCommand::new(["update-ref", &tag, id.as_str(), ""]))?;
            }
        }
        Ok(())
    }

    /// The branch the application repository's HEAD names, asked of the remote when online.
    ///
    /// # Errors
    /// When the remote cannot be asked, or has no HEAD branch.
    pub fn head_branch(&self, online: bool) -> Result<String, Error> {
        if online {
            let branch = self.repo.remote_head(&self.remote).map_err(|source| self.fetch_error(source))?;
            if let Some(branch) = branch {
                // Noted in git-release's own cache; a person's clone is theirs to set.
                if self.cache {
                    let symbolic = format!("refs/remotes/{}/HEAD", self.remote);
                    let target = format!("refs/remotes/{}/{branch}", self.remote);
                    self.repo.run(&GitCommand::new(["symbolic-ref", &symbolic, &target]))?;
                }
                return Ok(branch);
            }
        }
        if let Some(branch) = self.repo.remote_default_branch(&self.remote)? {
            return Ok(branch);
        }
        match self.repo.head_branch()? {
            Some(branch) if !self.separate => Ok(branch),
            // A cache only ever fetched for its tags (by `log`) knows no branch yet: not knowing
            // is no proof that the remote has none.
            _ if self.separate && !online => Err(AppError::HeadNotFetched { name: self.name.clone() }.into()),
            _ => Err(AppError::NoHead { name: self.name.clone() }.into()),
        }
    }

    /// A branch's commit: as last fetched from the remote, else the local branch.
    ///
    /// # Errors
    /// When the references cannot be read.
    pub fn branch(&self, name: &str) -> Result<Option<ObjectId>, Error> {
        let tracking = self.repo.reference(&format!("refs/remotes/{}/{name}", self.remote))?;
        match tracking {
            Some(id) => Ok(Some(id)),
            None => Ok(self.repo.reference(&format!("refs/heads/{name}"))?),
        }
    }

    /// The commit a pinned version points at, fetched first when online, and the branch it names.
    ///
    /// # Errors
    /// When the pin names another repository, a forge whose pull requests git cannot fetch, or a
    /// reference that does not exist.
    pub fn resolve_pin(
        &self,
        pin: &Pin,
        forge: Option<forge::Kind>,
        online: bool,
    ) -> Result<(ObjectId, Option<String>), Error> {
        let source = self.pin_source(pin)?;
        let (reference, branch) = match &pin.target {
            Target::Commit(sha) => return self.pinned_commit(pin, &source, sha, online).map(|id| (id, None)),
            Target::Branch(branch) => (format!("refs/heads/{branch}"), Some(branch.clone())),
            Target::PullRequest(number) => {
                let forge =
                    pin.forge.or(forge).or_else(|| forge::kind_of(&self.name)).ok_or_else(|| unknown_forge(pin))?;
                let reference = Pin::pull_request_ref(forge, *number).ok_or_else(|| unfetchable(pin))?;
                (reference, None)
            }
        };
        let local = format!("refs/release/pins/{}", reference.trim_start_matches("refs/"));
        if online {
            let refspec = format!("+{reference}:{local}");
            self.repo
                .fetch(&source, &[refspec], self.separate && source == self.remote)
                .map_err(|source| pin_missing(pin, &reference, Some(source)))?;
        }
        let id = self.repo.reference(&local)?.ok_or_else(|| pin_missing(pin, &reference, None))?;
        Ok((id, branch))
    }

    fn pinned_commit(&self, pin: &Pin, source: &str, sha: &str, online: bool) -> Result<ObjectId, Error> {
        if let Ok(id) = self.repo.rev_parse_commit(sha) {
            return Ok(id);
        }
        if online && sha.len() >= 40 {
            self.repo.fetch(source, &[sha.to_owned()], false).map_err(|source| pin_missing(pin, sha, Some(source)))?;
            return self.repo.rev_parse_commit(sha).map_err(|_| pin_missing(pin, sha, None));
        }
        Err(pin_missing(pin, sha, None))
    }

    /// Where a pin's reference is fetched from: the application remote when the pin names the
    /// application repository.
    fn pin_source(&self, pin: &Pin) -> Result<String, Error> {
        let app = self.repo.remote_url(&self.remote).unwrap_or_default();
        let app = normalize(&app);
        if let Some(url) = &pin.url {
            return Ok(if normalize(url) == app { self.remote.clone() } else { url.clone() });
        }
        let repository = pin.repository.as_deref().unwrap_or_default();
        let wanted = repository.to_lowercase();
        if app.ends_with(&format!("/{wanted}")) || app.ends_with(&format!(":{wanted}")) {
            return Ok(self.remote.clone());
        }
        Err(AppError::PinElsewhere { pin: pin.to_string(), repository: repository.to_owned(), name: self.name.clone() }
            .into())
    }

    /// The rc and final tags of a version.
    ///
    /// # Errors
    /// When the tags cannot be read.
    pub fn version_tags(&self, tags: &Tags, version: &str) -> Result<Existing, Error> {
        let known = Known { version: Some(version), env: None };
        let mut existing = Existing::default();
        for tag in self.repo.tags(&tags.rc.prefix(known))? {
            let Some(n) = tags.rc.matches(&tag.name, known).and_then(|m| m.n) else { continue };
            let Some(commit) = self.repo.tag_commit(&tag)? else { continue };
            if self.rc_counts(&tag)? {
                existing.rcs.push((n, VersionTag { name: tag.name, commit }));
            } else {
                existing.passed_over.push(n);
            }
        }
        let final_name =
            tags.final_.render(&crate::version::TagValues { version, ..crate::version::TagValues::SAMPLE });
        if let Some(tag) = self.repo.tag(&final_name)? {
            if let Some(commit) = self.repo.tag_commit(&tag)? {
                // It holds its name either way; where it does not count, the warning says why a
                // release is stuck behind it.
                if self.trust.mode != TrustMode::Off
                    && let Some(object) = self.repo.tag_object(&tag)?
                {
                    let owners: Vec<&str> = self.final_owners.iter().map(String::as_str).collect();
                    self.vouched(&tag.name, &object, &owners)?;
                }
                existing.final_ = Some(VersionTag { name: tag.name, commit });
            }
        }
        Ok(existing)
    }

    /// The tag object behind a tag name, to push it again.
    ///
    /// # Errors
    /// When the tag cannot be read.
    pub fn tag(&self, name: &str) -> Result<Option<TagRef>, Error> {
        Ok(self.repo.tag(name)?)
    }

    fn fetch_error(&self, source: GitError) -> Error {
        if let GitError::Failed { stderr, .. } = &source {
            if let Some(tag) = clobbered_tag(stderr) {
                return AppError::Clobber { name: self.name.clone(), tag }.into();
            }
            // A branch asked for that the remote lacks is no network failure.
            let missing = stderr.split("couldn't find remote ref refs/heads/").nth(1);
            if let Some(branch) = missing.and_then(|rest| rest.lines().next()).map(str::trim) {
                return AppError::NoSuchBranch { name: self.name.clone(), branch: branch.to_owned() }.into();
            }
        }
        AppError::Fetch { name: self.name.clone(), source }.into()
    }
}

impl App {
    /// Whether the application repository is the release repository itself.
    #[must_use]
    pub fn is_here(&self) -> bool {
        self.repo == "."
    }
}

/// A repository address without scheme, credentials, `.git` or trailing slash, for comparing.
#[must_use]
pub fn normalize(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split_once('@').filter(|(user, _)| !user.contains('/')).map_or(rest, |(_, host)| host);
    rest.trim_end_matches('/').trim_end_matches(".git").to_lowercase()
}

/// The repository's own name in an address, as [`normalize`] writes it: `repo` of
/// `https://host/owner/repo.git` and of `git@host:repo.git`.
#[must_use]
pub fn repository_name(url: &str) -> String {
    normalize(url).rsplit(['/', ':']).next().unwrap_or_default().to_owned()
}

fn unknown_forge(pin: &Pin) -> Error {
    AppError::PinForgeUnknown { pin: pin.to_string() }.into()
}

fn unfetchable(pin: &Pin) -> Error {
    AppError::PinUnfetchable { pin: pin.to_string() }.into()
}

fn pin_missing(pin: &Pin, reference: &str, source: Option<GitError>) -> Error {
    let causes = source.map(|source| source.causes()).unwrap_or_default();
    AppError::PinMissing { pin: pin.to_string(), reference: reference.to_owned(), causes }.into()
}

/// Where the cache of the repository at `repo` lives.
fn cache_path(workspace: &Workspace, repo: &str) -> PathBuf {
    let url = absolute_url(repo, &release_dir(workspace));
    workspace.repo.common_dir().join("release").join("apps").join(cache_name(&url))
}

/// `! [rejected] v1.0.0 -> v1.0.0 (would clobber existing tag)`.
fn clobbered_tag(stderr: &str) -> Option<String> {
    stderr.lines().find(|line| line.contains("would clobber existing tag")).and_then(|line| {
        let arrow = line.find("-> ")?;
        line[arrow + 3..].split_whitespace().next().map(str::to_owned)
    })
}

/// What a relative `[app] repo` is relative to: the release repository's main work tree, or the
/// repository itself when bare, whichever subdirectory or linked worktree the command runs in,
/// so that every one of them finds the same application and the same cache.
fn release_dir(workspace: &Workspace) -> PathBuf {
    // From a subdirectory or a linked worktree the common folder may be named `../../.git` or
    // `.git/worktrees/<name>/../..`: the same folder, given one name.
    let named = workspace.repo.common_dir();
    let common = std::fs::canonicalize(&named).unwrap_or(named);
    match common.parent() {
        _ if workspace.repo.is_bare() => common.clone(),
        Some(parent) if common.file_name().is_some_and(|name| name == ".git") => parent.to_owned(),
        _ => workspace.repo.command_dir().to_owned(),
    }
}

/// A path relative to the release repository becomes absolute; URLs stay as written.
#[must_use]
pub fn absolute_url(repo: &str, base: &Path) -> String {
    if repo.contains("://") || is_scp_like(repo) {
        return repo.to_owned();
    }
    let path = Path::new(repo);
    let path = if path.is_absolute() { path.to_owned() } else { base.join(path) };
    std::path::absolute(&path).unwrap_or(path).to_string_lossy().into_owned()
}

/// `git@host:owner/repo.git`: a colon before any slash.
fn is_scp_like(repo: &str) -> bool {
    repo.find(':').is_some_and(|colon| !repo[..colon].contains('/') && colon > 1)
}

/// A folder name for the cache of one URL: readable, and named by the URL's SHA-1 (computed with
/// git's collision detection), so that no URL made to collide with another finds its cache.
fn cache_name(url: &str) -> String {
    let readable: String = url
        .rsplit(['/', ':'])
        .find(|part| !part.is_empty())
        .unwrap_or("app")
        .trim_end_matches(".git")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(40)
        .collect();
    format!("{readable}-{}.git", digest(url))
}

/// 128 bits of the SHA-1 of a URL (computed with git's collision detection), as a folder name
/// that no other URL is made to share. Only a URL built as a collision attack fails the
/// detection; its cache then serves no URL but the one it records.
#[must_use]
pub fn digest(url: &str) -> String {
    let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
    hasher.update(url.trim_end_matches('/').as_bytes());
    hasher.try_finalize().map_or_else(|_| "collision".to_owned(), |id| id.to_hex_with_len(32).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fetch_stopped_by_a_lock_a_killed_run_left_names_the_lock_to_remove() {
        let lock = "/tmp/r/.git/release/apps/app-0.git/./refs/remotes/origin/main.lock";
        let stderr = format!(
            "error: cannot lock ref 'refs/remotes/origin/main': Unable to create '{lock}': File exists.\n\nAnother git process seems to be running in this repository"
        );
        let source = GitError::Failed { command: "git fetch".into(), stderr };
        let hints = AppError::Fetch { name: "app".into(), source }.hints();
        assert!(hints.iter().any(|h| h.contains(&format!("remove {lock} and run the command again"))), "{hints:?}");
        assert!(!hints.iter().any(|h| h.contains("[app] repo")), "the network is not blamed: {hints:?}");
    }

    #[test]
    fn reads_the_clobbered_tag_from_fetch_errors() {
        let stderr = " ! [rejected]        v1.0.0-rc.3 -> v1.0.0-rc.3  (would clobber existing tag)\n";
        assert_eq!(clobbered_tag(stderr).as_deref(), Some("v1.0.0-rc.3"));
    }

    #[test]
    fn cache_names_are_readable_and_distinct() {
        let a = cache_name("https://git.example.com/shop/app.git");
        let b = cache_name("https://git.example.com/other/app.git");
        assert!(a.starts_with("app-") && a.rsplit('.').next() == Some("git"), "{a}");
        assert_ne!(a, b);
        assert_eq!(a.len(), "app-".len() + 32 + ".git".len(), "128 bits of the digest: {a}");
        assert_eq!(a, cache_name("https://git.example.com/shop/app.git/"), "a trailing slash names the same");
        assert!(is_scp_like("git@host:shop/app.git"));
        assert!(!is_scp_like("/srv/app.git"));
        assert!(!is_scp_like("C:/x"), "a drive letter is a path");
    }
}
