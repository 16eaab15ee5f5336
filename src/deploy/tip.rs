//! Which commit of an environment branch a deployment reads its version from (and, in the
//! one-repository layout, deploys): what the CI checked out, else the branch as the remote has
//! it. A local branch decides only when nothing is to be published.

use crate::ci::Checkout;
use crate::config::Environment;
use crate::deploy::Refusal;
use crate::error::Error;
use crate::git::{BranchTip, GitError};
use crate::workspace::Workspace;

/// The environment branch's commit to read, and what a person should know about the choice.
#[derive(Debug, Clone)]
pub struct Tip {
    pub tip: BranchTip,
    pub notes: Vec<String>,
}

/// Brings the environment branch from the release repository's remote into
/// `refs/remotes/<remote>/<branch>`; nothing when there is no remote. A branch the remote does
/// not have is no failure: the local one is then all there is.
///
/// # Errors
/// When the remote cannot be reached.
pub fn fetch(workspace: &Workspace, environment: &Environment) -> Result<(), Error> {
    let (remote, branch) = (&workspace.remote, &environment.branch);
    if workspace.repo.remote_url(remote).is_none() {
        return Ok(());
    }
    let refspec = format!("+refs/heads/{branch}:refs/remotes/{remote}/{branch}");
    match workspace.repo.fetch(remote, &[refspec], false) {
        Err(GitError::Failed { stderr, .. }) if stderr.contains("couldn't find remote ref") => Ok(()),
        Err(error) => Err(Error::from(error)
            .hint(format!("check that {remote} can be reached, or read {branch} as last fetched with --offline"))),
        Ok(()) => Ok(()),
    }
}

/// Chooses the commit: the one the CI's push pipeline of this branch checked out, when this
/// repository holds it; else the remote-tracking branch, or the local one when it is behind
/// nothing. A local branch with commits the remote lacks decides only when `local_allowed`
/// (`--no-push`, `--offline`): a push the server refused is no deployment.
///
/// # Errors
/// When the branch was rewritten on the remote since the CI checked it out, or the local branch
/// is ahead of the remote and `local_allowed` is false.
pub fn choose(
    workspace: &Workspace,
    environment: &Environment,
    checkout: Option<&Checkout>,
    local_allowed: bool,
) -> Result<Tip, Error> {
    let (repo, remote, branch) = (&workspace.repo, workspace.remote.as_str(), environment.branch.as_str());
    let local = repo.reference(&format!("refs/heads/{branch}"))?;
    let tracking = repo.reference(&format!("refs/remotes/{remote}/{branch}"))?;
    let mut notes = Vec::new();
    if let Some(checkout) = checkout.filter(|c| c.branch == branch) {
        match repo.rev_parse_commit(&format!("{}^{{commit}}", checkout.commit)) {
            Ok(commit) => {
                if let Some(tracking) = tracking.as_ref().filter(|t| **t != commit) {
                    if !repo.is_ancestor(&commit, tracking)? {
                        return Err(Refusal::Rewritten {
                            branch: branch.to_owned(),
                            remote: remote.to_owned(),
                            commit: commit.short().to_owned(),
                            tracking: tracking.short().to_owned(),
                        }
                        .into());
                    }
                    notes.push(format!(
                        "{branch} moved on to {} since this pipeline checked out {}; deploying what it checked out",
                        tracking.short(),
                        commit.short()
                    ));
                }
                return Ok(Tip { tip: BranchTip::Remote { remote: remote.to_owned(), id: commit }, notes });
            }
            Err(_) => notes.push(format!(
                "the CI checked out {} of {branch}, which this repository does not hold; reading {branch} as fetched",
                checkout.commit
            )),
        }
    }
    let tip = match (local, tracking) {
        (None, None) => BranchTip::Missing,
        (Some(local), None) => BranchTip::Local(local),
        (None, Some(id)) => BranchTip::Remote { remote: remote.to_owned(), id },
        (Some(local), Some(tracking)) if local == tracking => BranchTip::Local(local),
        (Some(local), Some(tracking)) if repo.is_ancestor(&local, &tracking)? => {
            notes.push(format!(
                "{branch} here ({}) is behind {remote}/{branch} ({}); using {remote}/{branch}",
                local.short(),
                tracking.short()
            ));
            BranchTip::Remote { remote: remote.to_owned(), id: tracking }
        }
        (Some(local), Some(tracking)) if local_allowed => {
            notes.push(format!(
                "{branch} here ({}) has commits {remote}/{branch} ({}) does not; using {branch}, as nothing is \
                 published",
                local.short(),
                tracking.short()
            ));
            BranchTip::Local(local)
        }
        (Some(local), Some(tracking)) => {
            return Err(Refusal::Unpushed {
                branch: branch.to_owned(),
                remote: remote.to_owned(),
                local: local.short().to_owned(),
                tracking: tracking.short().to_owned(),
            }
            .into());
        }
    };
    Ok(Tip { tip, notes })
}

/// `prepare --commit`: the commit to read the version (and, in one repository, the code) from, as a pull
/// request's head holds them before the merge.
///
/// # Errors
/// When `rev` names no commit here.
pub fn asked(workspace: &Workspace, environment: &Environment, rev: &str) -> Result<Tip, Error> {
    let commit = workspace
        .repo
        .rev_parse_commit(&format!("{rev}^{{commit}}"))
        .map_err(|_| Refusal::NotACommit { rev: rev.to_owned() })?;
    let note = format!("deploying {} as --commit asks, not the head of {}", commit.short(), environment.branch);
    Ok(Tip { tip: BranchTip::Local(commit), notes: vec![note] })
}
