//! The gathered view of a release repository: where its release file is, what it says, and
//! what each environment branch holds.

use crate::config::{self, Content, Environment, FILE_NAME, Origin, PreviewPin, ReleaseFile, Trust};
use crate::error::{Diagnostic, Error, Kind};
use crate::git::{BranchTip, GitError, Repo};
use crate::object_id::ObjectId;
use crate::refname;
use crate::version::Version;

/// A repository with its release file read and checked.
pub struct Workspace {
    pub repo: Repo,
    pub remote: String,
    pub file: std::sync::Arc<ReleaseFile>,
    pub origin: Origin,
    /// The release file as written, for telling which settings a change edits.
    pub content: Content,
    /// Read environment branches as the remote has them (its tracking branches), before local
    /// ones: for the reconciler, which works on what the forge sees.
    pub remote_first: bool,
}

/// Why no release file could be found.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error("no {FILE_NAME} found")]
    NotFound {
        remote: String,
        /// The repository holds tags named as deployment records or release candidates are:
        /// most likely an application repository, whose release repository lies elsewhere.
        deployed_here: bool,
    },
    #[error("{FILE_NAME} is not in {place}")]
    NotAt { place: String },
    #[error("release.configRef names `{reference}`, which does not exist")]
    MissingConfigRef { reference: String },
    #[error("release.configRef is `{reference}`, which is not a reference name")]
    InvalidConfigRef { reference: String },
    #[error("--config-from names `{rev}`, which is not a revision here")]
    UnknownRevision { rev: String },
    #[error("nothing here says which references to guard")]
    NothingGuards,
}

impl Diagnostic for LocateError {
    fn kind(&self) -> Kind {
        Kind::Config
    }

    fn causes(&self) -> Vec<String> {
        match self {
            LocateError::NotFound { remote, .. } => vec![format!(
                "HEAD has none, release.configRef is not set, and no branch here or on {remote} holds one"
            )],
            LocateError::NothingGuards => vec![
                "branches here hold release files, but release.configRef is not set".into(),
                "a hook reads its rules from a branch that only administrators change, never from the branch being pushed".into(),
            ],
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            LocateError::NotFound { deployed_here: true, .. } => vec![
                "this looks like an application repository: its tags name deployments and release candidates".into(),
                "run git release in the release repository whose `app` names this one, or point at it with -C <path>"
                    .into(),
            ],
            // Nothing here says which kind of repository this is: a fresh clone of an
            // application repository has no tags yet. Both ways are named.
            LocateError::NotFound { remote, .. } => vec![
                "if the environments are branches of a release repository beside this one, run git release there, or point at it with -C <path>".into(),
                "if they are branches of this repository, create them with 'git release init'".into(),
                format!("or fetch them with 'git fetch {remote}', or read another revision with --config-from <rev>"),
            ],
            LocateError::NotAt { .. } => vec!["name a revision that has the release file".into()],
            LocateError::UnknownRevision { .. } => {
                vec!["name a branch, tag or commit that exists here; 'git fetch' may bring it".into()]
            }
            LocateError::NothingGuards => vec![
                "point it at the last environment's branch: git config release.configRef refs/heads/<branch>".into(),
                "'git release hooks install' sets it; set it by hand where another tool runs the hook".into(),
            ],
            LocateError::MissingConfigRef { .. } | LocateError::InvalidConfigRef { .. } => vec![
                "fetch the branch it names, or point it at an environment branch:".into(),
                "  git config release.configRef refs/heads/<environment branch>".into(),
            ],
        }
    }
}

/// Whether any tag here is named as the default patterns name deployment records and release
/// candidates.
fn deployed_here(repo: &Repo) -> Result<bool, Error> {
    let tags = crate::config::Tags::defaults();
    let mut found = false;
    repo.scan_tags("", &mut |line| {
        found = found
            || crate::record::candidate_in(line.name, &tags, None).is_some()
            || tags.rc.matches_in(line.name, crate::version::Known::default()).is_some();
    })?;
    Ok(found)
}

/// Why no settings govern a change into a branch.
#[derive(Debug, thiserror::Error)]
pub enum GovernError {
    #[error("{branch} exists neither here nor on {remote}, so no settings govern a change into it")]
    NoBranch { branch: String, remote: String },
    #[error("{place} holds no {FILE_NAME}, so no settings govern a change into {branch}")]
    NoFile { branch: String, place: String },
    #[error("{place} lists no environment whose branch is {branch}, so it governs no change into it")]
    NotListed { branch: String, place: String },
}

impl Diagnostic for GovernError {
    fn kind(&self) -> Kind {
        Kind::Refused
    }

    fn causes(&self) -> Vec<String> {
        vec!["a change into an environment is judged by that environment's own settings as they stand before it".into()]
    }

    fn hints(&self) -> Vec<String> {
        match self {
            GovernError::NoBranch { branch, remote } => vec![
                format!("fetch it with 'git fetch {remote} {branch}', or name an environment that exists"),
                "a new environment's branch is created with its release file by 'git release init', not by a change into it".into(),
            ],
            GovernError::NoFile { branch, .. } | GovernError::NotListed { branch, .. } => vec![format!(
                "{branch} must hold a release file that lists it; restore one there as an administrator, outside the gate"
            )],
        }
    }
}

/// Where preview environments keep their branches: `preview/<name>`.
pub const PREVIEW_PREFIX: &str = "preview/";

/// What one environment branch holds right now.
#[derive(Debug, Clone)]
pub struct EnvironmentState {
    pub environment: Environment,
    pub tip: BranchTip,
    /// The version on the branch; `None` when the branch is missing or has no release file.
    pub version: Option<Version>,
    /// What the branch's release file pins, on a preview's branch.
    pub pins: Vec<PreviewPin>,
    /// The branch's release file, checked and as written: the settings that judge what enters it.
    pub file: Option<BranchFile>,
}

/// A release file read from a branch: checked, as written, and where.
#[derive(Debug, Clone)]
pub struct BranchFile {
    pub file: std::sync::Arc<ReleaseFile>,
    pub content: Content,
    pub origin: Origin,
}

impl Workspace {
    /// The forge `[forge] kind` names; `None` where the release file names none.
    #[must_use]
    pub fn configured_forge(&self) -> Option<crate::forge::Kind> {
        match self.file.forge.as_ref()?.kind? {
            crate::forge::Named::Kind(kind) => Some(kind),
            crate::forge::Named::NoForge => None,
        }
    }

    /// Brings every branch of the remote into `refs/remotes/<remote>/`; says whether it could,
    /// which it cannot when the remote has no address here.
    ///
    /// # Errors
    /// When the remote cannot be reached.
    pub fn fetch_branches(&self) -> Result<bool, GitError> {
        if self.repo.remote_url(&self.remote).is_none() {
            return Ok(false);
        }
        let all = format!("+refs/heads/*:refs/remotes/{}/*", self.remote);
        self.repo.fetch(&self.remote, &[all], false)?;
        Ok(true)
    }

    /// Finds and checks the release file: `--config-from`, else HEAD, else `release.configRef`,
    /// else the remote's default branch, else the first branch that holds one.
    ///
    /// # Errors
    /// When no release file is found or the one found is invalid.
    pub fn load(repo: Repo, remote: &str, config_from: Option<&str>) -> Result<Workspace, Error> {
        let Some((content, origin)) = locate(&repo, remote, config_from)? else {
            return Err(
                LocateError::NotFound { remote: remote.to_owned(), deployed_here: deployed_here(&repo)? }.into()
            );
        };
        Workspace::from_content(repo, remote, content, origin)
    }

    /// As [`Workspace::load`], but `None` when no release file is found anywhere: a repository
    /// git-release does not manage.
    ///
    /// # Errors
    /// When the release file found is invalid, or a named place has none.
    pub fn load_if_any(repo: Repo, remote: &str, config_from: Option<&str>) -> Result<Option<Workspace>, Error> {
        let Some((content, origin)) = locate(&repo, remote, config_from)? else { return Ok(None) };
        Workspace::from_content(repo, remote, content, origin).map(Some)
    }

    /// A workspace whose release file is `content`, read at `origin`.
    ///
    /// # Errors
    /// When the file is invalid.
    pub fn from_content(repo: Repo, remote: &str, content: Content, origin: Origin) -> Result<Workspace, Error> {
        let file = config::parse_shared(&content, &origin)?;
        Ok(Workspace { repo, remote: remote.to_owned(), file, origin, content, remote_first: false })
    }

    /// The settings that judge a change into `branch`: its release file at `before`, the commit
    /// the branch held before the change. The change itself contributes its version only, so it
    /// cannot edit the rules it is judged by.
    ///
    /// # Errors
    /// When that commit holds no valid release file, or one that lists no environment on `branch`.
    pub fn governed(&self, branch: &str, before: &ObjectId) -> Result<(Workspace, Environment), Error> {
        let origin = Origin { place: format!("{branch} at {}", before.short()), branch: Some(branch.to_owned()) };
        let Some(content) = self.repo.read_top_file(before, FILE_NAME)? else {
            return Err(GovernError::NoFile { branch: branch.to_owned(), place: origin.place }.into());
        };
        let file = config::parse_shared(&content, &origin)?;
        self.governed_by(branch, BranchFile { file, content, origin })
    }

    /// As [`Workspace::governed`], with the branch's file read already.
    ///
    /// # Errors
    /// When the file lists no environment on `branch`.
    pub fn governed_by(&self, branch: &str, read: BranchFile) -> Result<(Workspace, Environment), Error> {
        let BranchFile { file, content, origin } = read;
        let Some(environment) = file.environments.iter().find(|e| e.branch == branch).cloned() else {
            return Err(GovernError::NotListed { branch: branch.to_owned(), place: origin.to_string() }.into());
        };
        let workspace = Workspace {
            repo: self.repo.clone(),
            remote: self.remote.clone(),
            file,
            origin,
            content,
            remote_first: self.remote_first,
        };
        Ok((workspace, environment))
    }

    /// As [`Workspace::governed`], with `branch` as it stands now on the remote (fetched first
    /// when `online`), else as it is here.
    ///
    /// # Errors
    /// When the branch exists nowhere, cannot be fetched, or holds no valid release file.
    pub fn governing(&self, branch: &str, online: bool) -> Result<(Workspace, Environment), Error> {
        if online {
            self.fetch_branch(branch)?;
        }
        let tip = self.repo.remote_branch_tip(branch, &self.remote)?;
        let Some(before) = tip.id() else {
            return Err(GovernError::NoBranch { branch: branch.to_owned(), remote: self.remote.clone() }.into());
        };
        self.governed(branch, before)
    }

    /// Brings `branch` as the remote has it into its remote-tracking branch, when there is a
    /// remote; a branch the remote does not have is left for the caller to say.
    ///
    /// # Errors
    /// When the remote cannot be asked.
    pub fn fetch_branch(&self, branch: &str) -> Result<(), Error> {
        if self.repo.remote_url(&self.remote).is_none() {
            return Ok(());
        }
        let refspec = format!("+refs/heads/{branch}:refs/remotes/{}/{branch}", self.remote);
        if let Err(error) = self.repo.fetch(&self.remote, &[refspec], false) {
            let reference = format!("refs/heads/{branch}");
            if !self.repo.ls_remote(&self.remote, &[reference])?.is_empty() {
                return Err(error.into());
            }
        }
        Ok(())
    }

    /// The release file that says which references a hook guards: the one `release.configRef`
    /// names (set by `init` and `hooks install` to the last environment's branch), in a clone as
    /// the remote has it. Never HEAD's, the default branch's or any other a push could rewrite:
    /// without `release.configRef` nothing is known to be safe to read. `None` when no branch
    /// anywhere holds a release file: a repository git-release does not manage.
    ///
    /// # Errors
    /// When release files exist but `release.configRef` is not set, or names no valid one.
    pub fn load_guarding(repo: Repo, remote: &str) -> Result<Option<Workspace>, Error> {
        let Some(reference) = repo.config_string("release.configRef") else {
            if first_branch_with_file(&repo, remote)?.is_some() {
                return Err(LocateError::NothingGuards.into());
            }
            return Ok(None);
        };
        let (content, origin) = from_config_ref(&repo, remote, &reference, true)?;
        let mut workspace = Workspace::from_content(repo, remote, content, origin)?;
        workspace.remote_first = true;
        Ok(Some(workspace))
    }

    /// The environment named `text`, or whose branch it is (`environment/qa`,
    /// `refs/heads/environment/qa`), as CI systems name the branch they run for; a usage error
    /// listing the valid names otherwise.
    ///
    /// # Errors
    /// When no environment has that name or branch.
    pub fn find_environment(&self, text: &str) -> Result<Environment, Error> {
        let branch = text.strip_prefix("refs/heads/").unwrap_or(text);
        let by_name = self.file.environments.iter().find(|e| e.name == text);
        let found = by_name.or_else(|| self.file.environments.iter().find(|e| e.branch == branch));
        if let Some(found) = found {
            return Ok(found.clone());
        }
        let name = branch.strip_prefix(PREVIEW_PREFIX).unwrap_or(branch);
        if let Some(preview) = self.preview(name)? {
            return Ok(preview);
        }
        let unknown = Error::new(
            Kind::Usage,
            format!("no environment is named `{text}` or has it as its branch in {}", self.origin),
        )
        .hint(format!("environments: {}", self.file.environment_names()));
        // Only a name given as a preview's branch is likely meant as a preview.
        Err(if branch.starts_with(PREVIEW_PREFIX) {
            unknown.hint("a preview is named as 'git release preview list' shows it")
        } else {
            unknown
        })
    }

    /// The preview environment `name`, when its branch `preview/<name>` exists here or as last
    /// fetched: deployed like any environment, cutting no version tags.
    ///
    /// # Errors
    /// When the references cannot be read.
    pub fn preview(&self, name: &str) -> Result<Option<Environment>, Error> {
        if !config::is_simple_name(name) {
            return Ok(None);
        }
        let branch = format!("{PREVIEW_PREFIX}{name}");
        if self.repo.branch_tip(&branch, &self.remote)?.id().is_none() {
            return Ok(None);
        }
        Ok(Some(Environment::new(name, &branch)))
    }

    /// This workspace with the release file of the branch `release.configRef` names (the last
    /// environment's, where init or `hooks install` set it), as fetched, when it is set; else
    /// as it is.
    ///
    /// # Errors
    /// When `release.configRef` names no reference, or one without a valid release file.
    /// The workspace of the file `release.configRef` names, read without the one checked out:
    /// `None` where it is not set. A checkout whose file is broken (a pull request's) then
    /// stops no command that the named file judges.
    ///
    /// # Errors
    /// When `release.configRef` names no reference, or one without a valid release file.
    pub fn load_config_ref(repo: Repo, remote: &str) -> Result<Option<Workspace>, Error> {
        let Some(reference) = repo.config_string("release.configRef") else { return Ok(None) };
        let (content, origin) = from_config_ref(&repo, remote, &reference, true)?;
        Workspace::from_content(repo, remote, content, origin).map(Some)
    }

    pub fn judging(self) -> Result<Workspace, Error> {
        let Some(reference) = self.repo.config_string("release.configRef") else { return Ok(self) };
        let (content, origin) = from_config_ref(&self.repo, &self.remote, &reference, true)?;
        let remote_first = self.remote_first;
        let judging = Workspace::from_content(self.repo, &self.remote, content, origin)?;
        Ok(Workspace { remote_first, ..judging })
    }

    /// Where `release.configRef` is not set and the release file was read from a branch other
    /// than the last environment's own (HEAD, a default or first branch): a warning that anyone
    /// who may push there decides which environments judging commands see.
    #[must_use]
    pub fn unguarded_settings(&self) -> Option<Error> {
        if self.repo.config_string("release.configRef").is_some() {
            return None;
        }
        let last = self.file.environments.last()?;
        if self.origin.branch.as_deref() == Some(last.branch.as_str()) {
            return None;
        }
        Some(
            Error::new(
                Kind::Config,
                format!(
                    "release.configRef is not set here: the environments are read from {}, which anyone who may push there can change",
                    self.origin.place
                ),
            )
            .hint(format!(
                "point it at the last environment's branch, as 'git release hooks install' does: git config release.configRef refs/heads/{}",
                last.branch
            )),
        )
    }

    /// Whose signatures count where no single target judges (`status`, `log`, `promote`): the
    /// `[trust]` of the last environment's own branch, the most guarded (the one
    /// `release.configRef` names, as fetched, where it is set), else this file's. A push to an
    /// unrestricted branch, or the file checked out, changes nothing about it.
    #[must_use]
    pub fn judging_trust(&self) -> Trust {
        // `release.configRef` names that branch where init or `hooks install` set it: a file
        // checked out could name any branch its last environment's.
        if let Some(reference) = self.repo.config_string("release.configRef") {
            let read = from_config_ref(&self.repo, &self.remote, &reference, true).ok();
            let file = read.and_then(|(content, origin)| config::parse_shared(&content, &origin).ok());
            if let Some(file) = file {
                return file.trust.clone();
            }
        }
        let last = self.file.environments.last().and_then(|last| self.environment_state(last).ok());
        last.and_then(|state| state.file).map_or_else(|| self.file.trust.clone(), |read| read.file.trust.clone())
    }

    /// Reads every environment branch, in the order of the release file.
    ///
    /// # Errors
    /// When a branch cannot be read or holds an invalid release file.
    pub fn environment_states(&self) -> Result<Vec<EnvironmentState>, Error> {
        self.file.environments.iter().map(|environment| self.environment_state(environment)).collect()
    }

    /// Reads every environment branch, in the order of the release file; a branch whose release
    /// file is invalid reads as having none, beside the error that says why, so that one broken
    /// branch hides no other.
    ///
    /// # Errors
    /// When a branch cannot be read.
    pub fn environment_states_each(&self) -> Result<Vec<(EnvironmentState, Option<Error>)>, Error> {
        let each = |environment: &Environment| match self.environment_state(environment) {
            Ok(state) => Ok((state, None)),
            Err(error) if error.kind == Kind::Config => {
                let tip = self.tip(environment)?;
                let state = EnvironmentState {
                    environment: environment.clone(),
                    tip,
                    version: None,
                    pins: Vec::new(),
                    file: None,
                };
                Ok((state, Some(error)))
            }
            Err(error) => Err(error),
        };
        self.file.environments.iter().map(each).collect()
    }

    fn tip(&self, environment: &Environment) -> Result<BranchTip, GitError> {
        if self.remote_first {
            self.repo.remote_branch_tip(&environment.branch, &self.remote)
        } else {
            self.repo.branch_tip(&environment.branch, &self.remote)
        }
    }

    /// Reads one environment branch.
    ///
    /// # Errors
    /// When the branch cannot be read or holds an invalid release file.
    pub fn environment_state(&self, environment: &Environment) -> Result<EnvironmentState, Error> {
        self.environment_state_at(environment, self.tip(environment)?)
    }

    /// Reads one environment branch at `tip`, chosen by the caller.
    ///
    /// # Errors
    /// When the branch cannot be read or holds an invalid release file.
    pub fn environment_state_at(&self, environment: &Environment, tip: BranchTip) -> Result<EnvironmentState, Error> {
        let file = match self.branch_file(environment, &tip)? {
            Some((content, origin)) => {
                Some(BranchFile { file: config::parse_shared(&content, &origin)?, content, origin })
            }
            None => None,
        };
        let version = file.as_ref().map(|read| read.file.version.clone());
        let pins = file.as_ref().map(|read| read.file.preview.pins.clone()).unwrap_or_default();
        Ok(EnvironmentState { environment: environment.clone(), tip, version, pins, file })
    }

    /// The release file on an environment branch, with where it was read.
    ///
    /// # Errors
    /// When the branch cannot be read.
    pub fn branch_file(
        &self,
        environment: &Environment,
        tip: &BranchTip,
    ) -> Result<Option<(Content, Origin)>, GitError> {
        let Some(id) = tip.id() else { return Ok(None) };
        let origin = branch_origin(&environment.branch, tip);
        Ok(self.repo.read_top_file(id, FILE_NAME)?.map(|content| (content, origin)))
    }
}

/// The origin of a file read from a branch tip: `environment/qa` or `origin/environment/qa`.
#[must_use]
pub fn branch_origin(branch: &str, tip: &BranchTip) -> Origin {
    let place = match tip {
        BranchTip::Remote { remote, .. } => format!("{remote}/{branch}"),
        BranchTip::Local(_) | BranchTip::Missing => branch.to_owned(),
    };
    Origin { place, branch: Some(branch.to_owned()) }
}

/// The release file and where it was read; each place's tree is read once.
fn locate(repo: &Repo, remote: &str, config_from: Option<&str>) -> Result<Option<(Content, Origin)>, Error> {
    if let Some(rev) = config_from {
        let commit = repo.rev_parse_commit(rev).map_err(|_| LocateError::UnknownRevision { rev: rev.to_owned() })?;
        let is_branch = refname::check_short(rev).is_ok() && repo.reference(&format!("refs/heads/{rev}"))?.is_some();
        let branch = is_branch.then(|| rev.to_owned());
        return required(repo, &commit, Origin { place: rev.to_owned(), branch }).map(Some);
    }
    if let Some(found) = from_head(repo)? {
        return Ok(Some(found));
    }
    if let Some(reference) = repo.config_string("release.configRef") {
        return from_config_ref(repo, remote, &reference, false).map(Some);
    }
    if let Some(branch) = repo.remote_default_branch(remote)? {
        let tip = repo.branch_tip(&branch, remote)?;
        if let Some(id) = tip.id() {
            if let Some(content) = repo.read_top_file(id, FILE_NAME)? {
                return Ok(Some((content, branch_origin(&branch, &tip))));
            }
        }
    }
    first_branch_with_file(repo, remote)
}

/// The release file of a commit that was named as holding one.
fn required(repo: &Repo, commit: &ObjectId, origin: Origin) -> Result<(Content, Origin), Error> {
    match repo.read_top_file(commit, FILE_NAME)? {
        Some(content) => Ok((content, origin)),
        None => Err(LocateError::NotAt { place: origin.place }.into()),
    }
}

fn from_head(repo: &Repo) -> Result<Option<(Content, Origin)>, Error> {
    let Some(commit) = repo.head_commit()? else { return Ok(None) };
    let Some(content) = repo.read_top_file(&commit, FILE_NAME)? else { return Ok(None) };
    let branch = repo.head_branch()?;
    let place = branch.clone().unwrap_or_else(|| "HEAD".to_owned());
    Ok(Some((content, Origin { place, branch })))
}

fn from_config_ref(repo: &Repo, remote: &str, reference: &str, remote_first: bool) -> Result<(Content, Origin), Error> {
    let missing = || LocateError::MissingConfigRef { reference: reference.to_owned() };
    let full = reference.strip_prefix("refs/").filter(|rest| refname::check_short(rest).is_ok());
    if full.is_none() {
        return Err(LocateError::InvalidConfigRef { reference: reference.to_owned() }.into());
    }
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
        let tip = if remote_first { repo.remote_branch_tip(branch, remote)? } else { repo.branch_tip(branch, remote)? };
        let id = tip.id().ok_or_else(missing)?;
        return required(repo, id, branch_origin(branch, &tip));
    }
    let id = repo.reference(reference)?.ok_or_else(missing)?;
    required(repo, &id, Origin { place: reference.to_owned(), branch: None })
}

/// The fallback for a fresh clone whose default branch holds no release file.
fn first_branch_with_file(repo: &Repo, remote: &str) -> Result<Option<(Content, Origin)>, Error> {
    for (prefix, tip_of) in [("refs/heads/", None), (&*format!("refs/remotes/{remote}/"), Some(remote))] {
        for (name, id) in repo.commits_under(prefix)? {
            let branch = &name[prefix.len()..];
            if branch == "HEAD" {
                continue;
            }
            let Some(content) = repo.read_top_file(&id, FILE_NAME)? else { continue };
            let tip = match tip_of {
                Some(remote) => BranchTip::Remote { remote: remote.to_owned(), id },
                None => BranchTip::Local(id),
            };
            return Ok(Some((content, branch_origin(branch, &tip))));
        }
    }
    Ok(None)
}
