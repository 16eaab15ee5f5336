//! The commits that bring the release file onto each environment branch, without rewriting
//! any branch's history, and where each goes: pushed where the branches live on the remote,
//! moved here where they do not.
//!
//! One commit adds the file on top of the branches' common ancestor. A branch at that ancestor,
//! or one still to be created, takes it (or a commit on it with the branch's own version); any
//! other branch takes a merge of it with the file at its version. Every environment branch then
//! shares the commit that added the file, so promotions between them merge it without conflict.

use crate::config::FILE_NAME;
use crate::error::Error;
use crate::git::{Expect, Repo};
use crate::object_id::ObjectId;
use crate::plan::{MoveRef, NewCommit, ObjectRef, Plan, Push, SyncWorktree};

use super::Refusal;
use super::found::{Found, Settings};

/// Where one environment's release file lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    /// The commit the branch takes; `None` when it keeps the release file it has.
    pub commit: Option<ObjectRef>,
    /// The branch exists nowhere yet.
    pub created: bool,
    pub push: Option<Push>,
    pub local: Option<MoveRef>,
    /// The branch is checked out here: the index and work tree take the file.
    pub sync: bool,
    /// What this repository's branch is left as, and why, where it is not moved.
    pub note: Option<String>,
    /// The branch keeps its release file, and takes a merge that gives it the shared commit.
    pub shares: bool,
}

/// The whole change: the commits, each branch's landing, and the plan a dry run shows.
pub struct Adoption {
    /// Every commit, push, move and setting; applied whole where nothing is pushed.
    pub plan: Plan,
    pub landings: Vec<Landing>,
    /// The remote the branches are pushed to, one by one.
    pub remote: Option<String>,
}

/// What `init` writes for these branches.
///
/// # Errors
/// A branch that has to move here while another work tree has it checked out; history that
/// cannot be read.
pub fn build(
    repo: &Repo,
    settings: &Settings,
    found: &[Found],
    head: Option<&ObjectId>,
    remote: Option<&str>,
) -> Result<Adoption, Error> {
    let remote = remote.filter(|_| found.iter().any(|f| f.on_remote)).map(str::to_owned);
    let mut plan = Plan { reflog: "release: init".into(), ..Plan::default() };
    let needing: Vec<usize> = (0..found.len()).filter(|&i| found[i].kept.is_none()).collect();
    let mut landings: Vec<Landing> = found
        .iter()
        .map(|_| Landing {
            commit: None,
            created: false,
            push: None,
            local: None,
            sync: false,
            note: None,
            shares: false,
        })
        .collect();
    if let Some(&last) = needing.last() {
        // Every branch that exists merges the shared commit (or has it): its parent must be in
        // all of their histories, or the merge would bring one branch's commits into another.
        let every: Vec<ObjectId> = found.iter().filter_map(|f| f.tip.clone()).collect();
        let (shared_ref, base, shared) = if let Some(reused) = reusable(repo, found, &every)? {
            reused
        } else {
            let base = if every.is_empty() { head.cloned() } else { repo.merge_base(&every)? };
            let shared = settings.files[last].1.clone();
            let names: Vec<&str> = needing.iter().map(|&i| settings.environments[i].name.as_str()).collect();
            plan.commits.push(NewCommit {
                parent: base.clone().map(ObjectRef::Existing),
                base: base.clone(),
                path: FILE_NAME.into(),
                content: shared.clone(),
                copied: None,
                merged: None,
                message: format!("Add {FILE_NAME} for environments {}", names.join(", ")),
            });
            (ObjectRef::Planned(0), base, shared)
        };
        let shared = Shared { commit: shared_ref, parent: base, text: shared };
        for &index in &needing {
            let to = commit_for(&mut plan, settings, found, index, &shared);
            landings[index] = land(repo, settings, &found[index], index, to, remote.as_deref())?;
        }
        // A branch that keeps its own file shares the commit too, by a merge that changes nothing.
        for (index, kept) in found.iter().enumerate() {
            let (Some(tip), Some(text)) = (&kept.tip, &kept.kept_text) else { continue };
            if let ObjectRef::Existing(commit) = &shared.commit {
                if repo.is_ancestor(commit, tip)? {
                    continue;
                }
            }
            plan.commits.push(NewCommit {
                parent: Some(ObjectRef::Existing(tip.clone())),
                base: Some(tip.clone()),
                path: FILE_NAME.into(),
                content: text.clone(),
                copied: None,
                merged: Some(shared.commit.clone()),
                message: format!(
                    "Share the commit that adds {FILE_NAME}\n\n{} keeps its own file; the merge gives it the commit \
                     the other environment branches share, so that promotions between them merge without conflict.",
                    settings.environments[index].branch
                ),
            });
            let to = ObjectRef::Planned(plan.commits.len() - 1);
            landings[index] = land(repo, settings, kept, index, to, remote.as_deref())?;
            landings[index].shares = true;
        }
    }
    for landing in &landings {
        plan.pushes.extend(landing.push.clone());
        plan.refs.extend(landing.local.clone());
        if let (true, Some(ObjectRef::Planned(commit))) = (landing.sync, &landing.commit) {
            plan.worktree = Some(SyncWorktree { commit: *commit, keep_work_tree_file: true });
        }
    }
    // The last environment changes least and is guarded most: what a hook guards is read there.
    let last = settings.environments.last().expect("a release file lists at least one environment");
    plan.config.push(("release.configRef".into(), format!("refs/heads/{}", last.branch)));
    Ok(Adoption { plan, landings, remote })
}

/// The commit that adds the release file, which every environment branch comes to share: one an
/// earlier run made (found on a branch that keeps its file), or a new one.
struct Shared {
    commit: ObjectRef,
    /// Its parent: a branch at it takes the shared commit itself.
    parent: Option<ObjectId>,
    /// Its release file.
    text: String,
}

/// The commit that added the release file on a branch that keeps it, when merging it into every
/// branch that needs one brings nothing else: its parent is in all of their histories. A second
/// run reuses the first run's, so that branches done in either share one commit.
fn reusable(
    repo: &Repo,
    found: &[Found],
    tips: &[ObjectId],
) -> Result<Option<(ObjectRef, Option<ObjectId>, String)>, Error> {
    for kept in found.iter().filter(|f| f.kept.is_some()) {
        let Some(tip) = &kept.tip else { continue };
        let Some(added) = repo.first_adding(tip, FILE_NAME)? else { continue };
        let parents = repo.commit_parents(&added)?;
        if parents.len() > 1 {
            continue;
        }
        let mut fits = true;
        for parent in &parents {
            for tip in tips {
                fits &= repo.is_ancestor(&added, tip)? || repo.is_ancestor(parent, tip)?;
            }
        }
        let text = match repo.read_top_file(&added, FILE_NAME)? {
            Some(crate::config::Content::Bytes(bytes)) => String::from_utf8(bytes).ok(),
            _ => None,
        };
        if let (true, Some(text)) = (fits, text) {
            return Ok(Some((ObjectRef::Existing(added), parents.into_iter().next(), text)));
        }
    }
    Ok(None)
}

/// The commit environment `index` takes: the shared one, one on it with the environment's own
/// version, or a merge of the shared one into the branch.
fn commit_for(plan: &mut Plan, settings: &Settings, found: &[Found], index: usize, shared: &Shared) -> ObjectRef {
    let env = &settings.environments[index];
    let (version, text) = &settings.files[index];
    let tip = found[index].tip.as_ref();
    if tip.is_none() || tip == shared.parent.as_ref() {
        if text == &shared.text {
            return shared.commit.clone();
        }
        plan.commits.push(NewCommit {
            parent: Some(shared.commit.clone()),
            base: shared.parent.clone(),
            path: FILE_NAME.into(),
            content: text.clone(),
            copied: None,
            merged: None,
            message: format!("Set {} version to {version}", env.name),
        });
    } else {
        plan.commits.push(NewCommit {
            parent: tip.cloned().map(ObjectRef::Existing),
            base: tip.cloned(),
            path: FILE_NAME.into(),
            content: text.clone(),
            copied: None,
            merged: Some(shared.commit.clone()),
            message: format!(
                "Add {FILE_NAME} to {}\n\nMerges the commit that adds it to every environment branch, so that \
                 promotions between them merge it without conflict.",
                env.branch
            ),
        });
    }
    ObjectRef::Planned(plan.commits.len() - 1)
}

/// How the commit reaches environment `index`'s branch: pushed (and this repository's branch
/// moved along where it was at the same commit), or moved here.
fn land(
    repo: &Repo,
    settings: &Settings,
    found: &Found,
    index: usize,
    to: ObjectRef,
    remote: Option<&str>,
) -> Result<Landing, Error> {
    let branch = &settings.environments[index].branch;
    let reference = format!("refs/heads/{branch}");
    let here = !repo.is_bare() && repo.head_branch()?.as_deref() == Some(branch.as_str());
    let elsewhere = if here { None } else { repo.worktree_with_branch(branch)? };
    let mut landing = Landing {
        commit: Some(to.clone()),
        created: found.tip.is_none(),
        push: None,
        local: None,
        sync: false,
        note: None,
        shares: false,
    };
    let Some(remote) = remote else {
        if let Some(path) = elsewhere {
            return Err(
                Refusal::CheckedOutElsewhere { branch: branch.clone(), path: path.display().to_string() }.into()
            );
        }
        let old = found.local.clone().map_or(Expect::Absent, Expect::At);
        landing.local = Some(MoveRef { name: reference, to, old });
        landing.sync = here;
        return Ok(landing);
    };
    let lease = if found.on_remote { found.tip.clone().map_or(Expect::Absent, Expect::At) } else { Expect::Absent };
    landing.push = Some(Push { remote: remote.to_owned(), destination: reference.clone(), commit: to.clone(), lease });
    let Some(local) = &found.local else { return Ok(landing) };
    let current = found.tip.as_ref() == Some(local);
    if let Some(path) = elsewhere {
        landing.note = Some(format!("{branch} is checked out at {}: run 'git pull' there", path.display()));
    } else if here && !current {
        landing.note = Some(format!("{branch} is checked out here and behind {remote}/{branch}: run 'git pull'"));
    } else {
        landing.local = Some(MoveRef { name: reference, to, old: Expect::At(local.clone()) });
        landing.sync = here;
    }
    Ok(landing)
}
