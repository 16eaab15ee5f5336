//! Drift: whether an environment runs what its branch asks for. The branch names a version; a
//! deployment now would take the commit [`resolve`](super::resolve) decides, from what was last
//! fetched and without writing anything; the latest record says what runs.

use serde::Serialize;

use crate::app::AppRepo;
use crate::error::Error;
use crate::object_id::ObjectId;
use crate::record::Deployment;
use crate::workspace::{EnvironmentState, Workspace};

use super::{Wanted, resolve, tracked_branch};

/// What an environment's branch asks for, against what it last deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// The environment does not run what its branch asks for: nothing deployed, another version,
    /// or a commit with another tree.
    pub behind: bool,
    /// The version the branch asks for.
    pub version: String,
    /// The commit a deployment would take now; null when it cannot be told (`unresolved` says why).
    pub commit: Option<ObjectId>,
    /// Why the commit cannot be told: a cut that would refuse, an application never fetched here.
    pub unresolved: Option<String>,
    /// Commits that `commit` has and the deployed commit lacks; 0 when both hold the same tree;
    /// null when either is unknown.
    pub undeployed_commits: Option<u64>,
    /// What the branch asks for cannot be told here at all (the application repository, or the
    /// branch it tracks, was never fetched), as against a cut that would refuse.
    #[serde(skip)]
    pub unknown_here: bool,
}

/// Where the wanted commit stands against the deployed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// Nothing was deployed, or the wanted commit is unknown.
    Unknown,
    /// Both commits hold the same tree: what runs is what is asked for.
    SameTree,
    /// The wanted commit has this many commits the deployed one lacks (0: it is behind or beside).
    Commits(u64),
}

/// Whether an environment is behind, from the version and commit its branch asks for and its
/// latest deployment.
#[must_use]
pub fn behind(version: &str, commit: Option<&ObjectId>, deployed: Option<&Deployment>, distance: Distance) -> bool {
    let Some(deployed) = deployed else { return true };
    if deployed.version != version {
        return true;
    }
    match (commit, distance) {
        (None, _) | (_, Distance::SameTree) => false,
        (Some(commit), Distance::Commits(_) | Distance::Unknown) => commit != &deployed.commit,
    }
}

/// The drift of one environment; `None` when its branch asks for nothing (missing, no release
/// file, or an invalid one).
///
/// # Errors
/// When the repositories cannot be read.
pub fn drift(
    workspace: &Workspace,
    app: Option<&AppRepo>,
    state: &EnvironmentState,
    deployed: Option<&Deployment>,
) -> Result<Option<Drift>, Error> {
    let (Some(version), Some(release_commit)) = (&state.version, state.tip.id()) else { return Ok(None) };
    let text = version.to_string();
    let wanted = Wanted {
        environment: state.environment.clone(),
        version: version.clone(),
        release_commit: release_commit.clone(),
        notes: Vec::new(),
        pins: state.pins.clone(),
        variables: std::collections::BTreeMap::new(),
    };
    let mut unknown_here = false;
    let (commit, unresolved) = match app {
        _ if state.environment.deploys == crate::config::Deploys::AnyBranch => (
            None,
            Some(format!(
                "{} deploys whichever branch its pipeline names: only its version can be behind",
                state.environment.name
            )),
        ),
        None => {
            unknown_here = true;
            (None, Some("the application repository has not been fetched here".to_owned()))
        }
        Some(app) => match tracked_branch(workspace, app, &state.environment, false) {
            Err(unknown) => {
                unknown_here = true;
                (None, Some(unknown.message))
            }
            Ok(tracked) => match resolve(workspace, app, wanted, &tracked, false) {
                Ok(resolved) => (Some(resolved.commit), None),
                Err(refusal) => (None, Some(refusal.message)),
            },
        },
    };
    let distance = match (app, &commit, deployed) {
        (Some(app), Some(commit), Some(deployed)) if app.repo.has_object(&deployed.commit) => {
            if app.repo.commit_tree(commit)? == app.repo.commit_tree(&deployed.commit)? {
                Distance::SameTree
            } else {
                Distance::Commits(app.repo.count_between(&deployed.commit, commit)?)
            }
        }
        _ => Distance::Unknown,
    };
    let undeployed_commits = match distance {
        Distance::Unknown => None,
        Distance::SameTree => Some(0),
        Distance::Commits(n) => Some(n),
    };
    let behind = behind(&text, commit.as_ref(), deployed, distance);
    Ok(Some(Drift { behind, version: text, commit, unresolved, undeployed_commits, unknown_here }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: char) -> ObjectId {
        ObjectId::from_hex(&byte.to_string().repeat(40)).expect("a valid id")
    }

    fn deployed(version: &str, commit: char) -> Deployment {
        Deployment {
            environment: "qa".into(),
            version: version.into(),
            commit: id(commit),
            release_commit: None,
            pipeline: None,
            deployed_by: None,
            branch: None,
            version_tag: None,
            time: jiff::Timestamp::from_second(1_795_000_000).expect("a valid moment"),
            rollback_of: None,
            components: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn nothing_deployed_is_behind() {
        assert!(behind("1.0.0", Some(&id('a')), None, Distance::Unknown));
        assert!(behind("1.0.0", None, None, Distance::Unknown));
    }

    #[test]
    fn another_version_is_behind_even_on_the_same_commit() {
        assert!(behind("1.0.1", Some(&id('a')), Some(&deployed("1.0.0", 'a')), Distance::SameTree));
    }

    #[test]
    fn the_same_version_and_commit_is_not_behind() {
        assert!(!behind("1.0.0", Some(&id('a')), Some(&deployed("1.0.0", 'a')), Distance::SameTree));
    }

    #[test]
    fn another_commit_with_the_same_tree_is_not_behind() {
        assert!(!behind("WIP", Some(&id('b')), Some(&deployed("WIP", 'a')), Distance::SameTree));
    }

    #[test]
    fn another_commit_with_another_tree_is_behind_whatever_the_count() {
        assert!(behind("WIP", Some(&id('b')), Some(&deployed("WIP", 'a')), Distance::Commits(2)));
        // A rollback target: older than what runs, so it gains nothing, yet it is not what runs.
        assert!(behind("WIP", Some(&id('b')), Some(&deployed("WIP", 'a')), Distance::Commits(0)));
    }

    #[test]
    fn an_unknown_commit_of_the_deployed_version_is_not_called_behind() {
        assert!(!behind("1.0.0", None, Some(&deployed("1.0.0", 'a')), Distance::Unknown));
    }
}
