//! The only place that applies plans: commits, pushes, reference moves, work-tree and config writes.

use crate::error::{Diagnostic, Kind};
use crate::git::{GitError, PushOutcome, PushRef, RefUpdate, Repo, TreeEntry};
use crate::object_id::ObjectId;
use crate::plan::{CommitRef, NewCommit, Plan};

/// What applying a plan created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The id of each planned commit, in plan order.
    pub commits: Vec<ObjectId>,
}

impl Applied {
    #[must_use]
    pub fn resolve(&self, commit: &CommitRef) -> ObjectId {
        match commit {
            CommitRef::Existing(id) => id.clone(),
            CommitRef::Planned(index) => self.commits[*index].clone(),
        }
    }
}

/// Why a plan could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{remote} refused the push; nothing was changed here")]
    PushRejected { remote: String, refs: Vec<(String, String)> },
}

impl Diagnostic for ExecuteError {
    fn kind(&self) -> Kind {
        match self {
            ExecuteError::Git(error) => error.kind(),
            ExecuteError::PushRejected { .. } => Kind::Refused,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            ExecuteError::Git(error) => error.causes(),
            ExecuteError::PushRejected { refs, .. } => {
                refs.iter().map(|(name, why)| format!("{name}: {why}")).collect()
            }
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            ExecuteError::Git(error) => error.hints(),
            ExecuteError::PushRejected { remote, .. } => {
                vec![format!("the branch moved on {remote}: run 'git fetch {remote}', then run this command again")]
            }
        }
    }
}

/// Applies a plan in its order: commits, pushes, reference moves, work tree, config.
///
/// # Errors
/// The first step that fails; references move only after every push succeeded.
pub fn apply(repo: &Repo, plan: &Plan) -> Result<Applied, ExecuteError> {
    let mut applied = Applied { commits: Vec::new() };
    let mut blobs = Vec::new();
    for commit in &plan.commits {
        let parent = commit.parent.as_ref().map(|parent| applied.resolve(parent));
        let (id, blob) = write_commit(repo, commit, parent.as_ref())?;
        applied.commits.push(id);
        blobs.push(blob);
    }
    push(repo, plan, &applied)?;
    if !plan.refs.is_empty() {
        let updates: Vec<RefUpdate> = plan
            .refs
            .iter()
            .map(|r| RefUpdate { name: r.name.clone(), new: applied.resolve(&r.to), old: r.old.clone() })
            .collect();
        repo.update_refs(&updates, &plan.reflog)?;
    }
    if let Some(sync) = &plan.worktree {
        let commit = &plan.commits[sync.commit];
        sync_worktree(repo, &commit.path, &blobs[sync.commit], &commit.content)?;
    }
    for (key, value) in &plan.config {
        repo.set_config(key, value)?;
    }
    Ok(applied)
}

fn write_commit(repo: &Repo, commit: &NewCommit, parent: Option<&ObjectId>) -> Result<(ObjectId, ObjectId), GitError> {
    let blob = repo.write_blob(commit.content.as_bytes())?;
    let mut entries = match &commit.base {
        Some(base) => repo.top_entries(base)?,
        None => Vec::new(),
    };
    entries.retain(|entry| entry.name != commit.path);
    entries.push(TreeEntry { mode: "100644".into(), kind: "blob", id: blob.clone(), name: commit.path.clone() });
    let tree = repo.write_tree(&entries)?;
    let message = format!("{}\n", commit.message.trim_end());
    Ok((repo.write_commit(&tree, parent, &message)?, blob))
}

fn push(repo: &Repo, plan: &Plan, applied: &Applied) -> Result<(), ExecuteError> {
    let Some(remote) = plan.pushes.first().map(|p| p.remote.clone()) else { return Ok(()) };
    let refs: Vec<PushRef> = plan
        .pushes
        .iter()
        .map(|p| PushRef {
            source: applied.resolve(&p.commit),
            destination: p.destination.clone(),
            lease: p.lease.clone(),
        })
        .collect();
    match repo.push(&remote, &refs)? {
        PushOutcome::Pushed => Ok(()),
        PushOutcome::Rejected(refs) => Err(ExecuteError::PushRejected { remote, refs }),
    }
}

fn sync_worktree(repo: &Repo, path: &str, blob: &ObjectId, content: &str) -> Result<(), GitError> {
    repo.stage_blob(path, blob)?;
    if let Some(workdir) = repo.workdir() {
        let file = workdir.join(path);
        std::fs::write(&file, content).map_err(|source| GitError::WriteFile { path: file, source })?;
    }
    Ok(())
}
