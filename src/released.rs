//! The release repository's settings, as an application repository's hooks read them: the
//! application repository holds the rc, final and record tags but no release file, so its hooks
//! fetch the last environment's branch of the release repository `hooks install --release`
//! named, into a bare cache of their own, and guard the tags by that file.

use crate::config::{self, Content, FILE_NAME, Origin};
use crate::error::{Diagnostic, Error, Kind};
use crate::git::{GitError, Repo};
use crate::secret::redact;
use crate::workspace::Workspace;

/// Where `hooks install --release` keeps the release repository's address.
pub const REPOSITORY_KEY: &str = "release.repository";
/// And the branch whose release file the hooks read: the release repository's last environment's.
pub const BRANCH_KEY: &str = "release.repositoryBranch";

/// Why the release repository's settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReleasedError {
    #[error("cannot fetch {branch} from the release repository {name}")]
    Fetch { name: String, branch: String, source: GitError },
    #[error("{branch} of the release repository {name} holds no {FILE_NAME}")]
    NoFile { name: String, branch: String },
    #[error("the release repository {name} names no HEAD branch to read its environments from")]
    NoHead { name: String },
}

impl Diagnostic for ReleasedError {
    fn kind(&self) -> Kind {
        match self {
            ReleasedError::Fetch { .. } => Kind::Network,
            ReleasedError::NoFile { .. } | ReleasedError::NoHead { .. } => Kind::Config,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            ReleasedError::Fetch { source, .. } => source.causes(),
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            ReleasedError::NoHead { .. } => {
                vec!["name its last environment's branch: git release hooks install --release <url|path> --release-branch <branch>".into()]
            }
            _ => vec![format!(
                "check the address in 'git config {REPOSITORY_KEY}' and that git can reach it; install again with 'git release hooks install --release <url|path>'"
            )],
        }
    }
}

/// The release file on `branch` of the release repository at `url`, fetched now.
///
/// # Errors
/// When it cannot be fetched, or the branch holds none.
pub fn fetch_file(repo: &Repo, url: &str, branch: &str) -> Result<(Content, Origin), Error> {
    let name = redact(url);
    let cache = cache(repo, url)?;
    let refspec = format!("+refs/heads/{branch}:refs/heads/{branch}");
    cache.fetch(url, &[refspec], false).map_err(|source| ReleasedError::Fetch {
        name: name.clone(),
        branch: branch.to_owned(),
        source,
    })?;
    let id = cache.reference(&format!("refs/heads/{branch}"))?;
    let content = match id {
        Some(id) => cache.read_top_file(&id, FILE_NAME)?,
        None => None,
    };
    let content = content.ok_or_else(|| ReleasedError::NoFile { name: name.clone(), branch: branch.to_owned() })?;
    Ok((content, Origin { place: format!("{branch} of {name}"), branch: Some(branch.to_owned()) }))
}

/// The branch of the release repository at `url` whose file guards: its last environment's, as
/// the file on its HEAD branch lists them (read once, by whoever installs the hooks).
///
/// # Errors
/// When the repository cannot be asked, or its HEAD branch holds no valid release file.
pub fn last_environment_branch(repo: &Repo, url: &str) -> Result<String, Error> {
    let name = redact(url);
    let head = repo
        .remote_head(url)
        .map_err(|source| ReleasedError::Fetch { name: name.clone(), branch: "HEAD".into(), source })?
        .ok_or(ReleasedError::NoHead { name: name.clone() })?;
    let (content, origin) = fetch_file(repo, url, &head)?;
    let file = config::parse(&content, &origin)?;
    let last = file.environments.last().expect("a release file lists at least one environment");
    Ok(last.branch.clone())
}

/// The workspace an application repository's hooks guard by: this repository, with the release
/// repository's settings as its last environment's branch holds them now. `None` when no release
/// repository was named here.
///
/// # Errors
/// When one was named and its settings cannot be read.
pub fn workspace(repo: &Repo, remote: &str) -> Result<Option<Workspace>, Error> {
    let (Some(url), Some(branch)) = (repo.config_string(REPOSITORY_KEY), repo.config_string(BRANCH_KEY)) else {
        return Ok(None);
    };
    workspace_at(repo, remote, &url, &branch).map(Some)
}

/// This repository, with the release file on `branch` of the release repository at `url`.
///
/// # Errors
/// When that file cannot be fetched or is invalid.
pub fn workspace_at(repo: &Repo, remote: &str, url: &str, branch: &str) -> Result<Workspace, Error> {
    let (content, origin) = fetch_file(repo, url, branch)?;
    Workspace::from_content(repo.clone(), remote, content, origin)
}

/// The bare cache the release repository's branch is fetched into, opened at its own path.
fn cache(repo: &Repo, url: &str) -> Result<Repo, Error> {
    let path = repo.common_dir().join("release").join("settings").join(format!("{}.git", crate::app::digest(url)));
    let trace = repo.trace();
    Ok(if path.join("HEAD").is_file() { Repo::open_at(&path, trace)? } else { Repo::init_bare_for(&path, url, trace)? })
}
