//! The only place that applies plans: commits, pushes, reference moves, work-tree and config
//! writes, deletions (here), and pull requests on the forge (`forge`).

pub mod forge;

use crate::error::{Diagnostic, Kind};
use crate::git::{GitError, PushOutcome, PushRef, RefUpdate, Repo, TreeEntry};
use crate::object_id::ObjectId;
use crate::plan::{NewCommit, ObjectRef, Plan};

/// What applying a plan created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The id of each planned commit, in plan order.
    pub commits: Vec<ObjectId>,
    /// The id of each planned tag object, in plan order.
    pub tags: Vec<ObjectId>,
}

impl Applied {
    #[must_use]
    pub fn resolve(&self, commit: &ObjectRef) -> ObjectId {
        match commit {
            ObjectRef::Existing(id) => id.clone(),
            ObjectRef::Planned(index) => self.commits[*index].clone(),
            ObjectRef::Tag(index) => self.tags[*index].clone(),
        }
    }
}

/// Why a plan could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{remote} refused the push; nothing was changed here")]
    PushRejected { remote: String, refs: Vec<(String, String)>, messages: Vec<String> },
}

impl Diagnostic for ExecuteError {
    fn kind(&self) -> Kind {
        match self {
            ExecuteError::Git(error) => error.kind(),
            // A lock file is not the remote's policy: it is a fault, as it is here.
            ExecuteError::PushRejected { messages, .. }
                if messages.iter().any(|l| crate::git::held_lock(l).is_some()) =>
            {
                Kind::Git
            }
            ExecuteError::PushRejected { .. } => Kind::Refused,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            ExecuteError::Git(error) => error.causes(),
            ExecuteError::PushRejected { remote, refs, messages } => {
                let (said, _) = crate::git::refusal(remote, messages);
                refs.iter().map(|(name, why)| format!("{name}: {why}")).chain(said).collect()
            }
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            ExecuteError::Git(error) => error.hints(),
            ExecuteError::PushRejected { remote, refs, messages } => {
                // A receive-pack stopped on the remote leaves its lock, which no retry gets past.
                if let Some(lock) = messages.iter().find_map(|line| crate::git::held_lock(line)) {
                    vec![crate::git::remote_lock_hint(remote, lock)]
                } else if crate::git::lost_race(refs) || refs.iter().any(|(_, why)| why.contains("non-fast-forward")) {
                    vec![format!("the branch moved on {remote}: run 'git fetch {remote}', then run this command again")]
                } else {
                    // A hook that says what to do next is better heard than a guess here.
                    let (_, hints) = crate::git::refusal(remote, messages);
                    if hints.is_empty() {
                        vec![format!("{remote} declined the push: check its hooks and branch protection")]
                    } else {
                        hints
                    }
                }
            }
        }
    }
}

/// Carries a plan out, or on a dry run only returns: `None` then, and nothing is written. The one
/// place a dry run and a real run part.
///
/// # Errors
/// As [`apply`].
pub fn carry_out(repo: &Repo, plan: &Plan, dry_run: bool) -> Result<Option<Applied>, ExecuteError> {
    if dry_run {
        return Ok(None);
    }
    apply(repo, plan).map(Some)
}

/// Applies a plan in its order: commits, tag objects, pushes, reference moves, work tree, config,
/// deletions.
///
/// # Errors
/// The first step that fails; references move only after every push succeeded.
pub fn apply(repo: &Repo, plan: &Plan) -> Result<Applied, ExecuteError> {
    let written = write_objects(repo, plan)?;
    publish(repo, plan, written)
}

/// The objects of a plan, written and not yet reachable from any reference.
#[derive(Clone)]
pub struct Written {
    applied: Applied,
    files: Vec<TreeEntry>,
}

/// The first half of [`apply`]: writes the plan's commits and tag objects, and moves nothing.
///
/// # Errors
/// When an object cannot be written.
pub fn write_objects(repo: &Repo, plan: &Plan) -> Result<Written, ExecuteError> {
    let mut applied = Applied { commits: Vec::new(), tags: Vec::new() };
    let mut files = Vec::new();
    for commit in &plan.commits {
        let parents: Vec<ObjectId> =
            commit.parent.iter().chain(&commit.merged).map(|parent| applied.resolve(parent)).collect();
        let (id, file) = write_commit(repo, commit, &parents)?;
        applied.commits.push(id);
        files.push(file);
    }
    for tag in &plan.tags {
        applied.tags.push(repo.write_tag(&tag.commit, &tag.name, &tag.tagger, &tag.message)?);
    }
    Ok(Written { applied, files })
}

/// The second half of [`apply`]: pushes, then moves references, the work tree and config.
///
/// # Errors
/// The first step that fails; references move only after every push succeeded.
pub fn publish(repo: &Repo, plan: &Plan, written: Written) -> Result<Applied, ExecuteError> {
    let Written { applied, files } = written;
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
        sync_worktree(repo, &files[sync.commit], &commit.content, sync.keep_work_tree_file)?;
    }
    for (key, value) in &plan.config {
        repo.set_config(key, value)?;
    }
    delete(repo, plan)?;
    for file in &plan.files {
        write_file(file)?;
    }
    Ok(applied)
}

fn write_file(file: &crate::plan::WriteFile) -> Result<(), GitError> {
    let path = &file.path;
    let failed = |source: std::io::Error| GitError::WriteFile { path: path.clone(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, &file.content).map_err(failed)?;
    if file.executable {
        let mut permissions = std::fs::metadata(path).map_err(failed)?.permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(path, permissions).map_err(failed)?;
    }
    Ok(())
}

/// Deletes on remotes first, each only while it is where it was seen, then here.
fn delete(repo: &Repo, plan: &Plan) -> Result<(), GitError> {
    for deletion in &plan.deletions {
        let Some(remote) = &deletion.remote else { continue };
        repo.delete_remote_branch(remote, &deletion.name, &deletion.old)?;
        let branch = deletion.name.strip_prefix("refs/heads/").unwrap_or(&deletion.name);
        let tracking = format!("refs/remotes/{remote}/{branch}");
        if let Some(id) = repo.reference(&tracking)? {
            repo.delete_ref(&tracking, &id, &plan.reflog)?;
        }
    }
    for deletion in plan.deletions.iter().filter(|d| d.remote.is_none()) {
        repo.delete_ref(&deletion.name, &deletion.old, &plan.reflog)?;
    }
    Ok(())
}

/// Writes the blob, tree and commit; returns the commit and the file's tree entry.
fn write_commit(repo: &Repo, commit: &NewCommit, parents: &[ObjectId]) -> Result<(ObjectId, TreeEntry), GitError> {
    let mut entries = match &commit.base {
        Some(base) => repo.top_entries(base)?,
        None => Vec::new(),
    };
    let path = commit.path.as_bytes();
    let file = if let Some(copied) = &commit.copied {
        TreeEntry { name: path.to_vec(), ..copied.clone() }
    } else {
        let blob = repo.write_blob(commit.content.as_bytes())?;
        let mode = entries
            .iter()
            .find(|e| e.name == path && e.is_file())
            .map_or_else(|| "100644".to_owned(), |e| e.mode.clone());
        TreeEntry { mode, kind: "blob", id: blob, name: path.to_vec() }
    };
    entries.retain(|entry| entry.name != path);
    entries.push(file.clone());
    let tree = repo.write_tree(&entries)?;
    let message = format!("{}\n", commit.message.trim_end());
    Ok((repo.write_commit(&tree, parents, &message)?, file))
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
        PushOutcome::Pushed => {
            // A tag an earlier run kept here is on the remote now: it needs no mark any more.
            for pushed in &refs {
                let Some(name) = pushed.destination.strip_prefix("refs/tags/") else { continue };
                let mark = format!("{}{name}", crate::plan::UNPUSHED);
                if repo.reference(&mark)?.is_some() {
                    repo.run(&crate::git::GitCommand::new(["update-ref", "-d", &mark]))?;
                }
            }
            Ok(())
        }
        PushOutcome::Rejected(refs, messages) => Err(ExecuteError::PushRejected { remote, refs, messages }),
    }
}

fn sync_worktree(repo: &Repo, file: &TreeEntry, content: &str, keep: bool) -> Result<(), GitError> {
    repo.stage(file)?;
    if let Some(workdir) = repo.workdir() {
        let path = workdir.join(String::from_utf8_lossy(&file.name).as_ref());
        if !(keep && path.exists()) {
            std::fs::write(&path, content).map_err(|source| GitError::WriteFile { path, source })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_stopped_by_a_lock_a_killed_receive_pack_left_names_the_lock_to_remove() {
        let lock = "/srv/release.git/refs/heads/qa.lock";
        let error = ExecuteError::PushRejected {
            remote: "origin".into(),
            refs: vec![("refs/heads/qa".into(), "failed to update ref".into())],
            messages: vec![
                format!("remote: error: cannot lock ref 'refs/heads/qa': Unable to create '{lock}': File exists."),
                "remote: Another git process seems to be running in this repository".into(),
            ],
        };
        assert_eq!(error.kind(), Kind::Git);
        let hints = error.hints();
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0].starts_with("a git command on origin was stopped while writing"), "{hints:?}");
        assert!(hints[0].contains(&format!("remove {lock} and run this command again")), "{hints:?}");

        let declined = ExecuteError::PushRejected {
            remote: "origin".into(),
            refs: vec![("refs/heads/qa".into(), "pre-receive hook declined".into())],
            messages: vec!["remote: pushes are frozen today".into()],
        };
        assert_eq!(declined.kind(), Kind::Refused);
        assert_eq!(declined.hints(), ["origin declined the push: check its hooks and branch protection"]);

        // Found by an independent pass: three `promote --rebuild` at once, and the two that lost
        // the race to create promote/prod were told to check the remote's hooks.
        let raced = ExecuteError::PushRejected {
            remote: "origin".into(),
            refs: vec![("refs/heads/promote/prod".into(), "failed to update ref".into())],
            messages: vec!["remote: error: cannot lock ref 'refs/heads/promote/prod': reference already exists".into()],
        };
        assert_eq!(raced.hints(), ["the branch moved on origin: run 'git fetch origin', then run this command again"]);
    }
}
