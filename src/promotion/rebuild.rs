//! A promotion rebuilt, for when its branches conflict: `promote/<to>`, the target's head plus one
//! commit that carries the source's release file. Planned here; `execute` pushes it.

use super::Refusal;
use super::gather::Promotion;
use crate::config::FILE_NAME;
use crate::error::Error;
use crate::gate;
use crate::git::Expect;
use crate::object_id::ObjectId;
use crate::plan::{NewCommit, ObjectRef, Plan, Push};
use crate::workspace::Workspace;

/// The rebuilt branch, and what makes the remote's copy of it right. Carried out, the branch's
/// tip is `tip`, else the plan's commit.
#[derive(Debug)]
pub struct Rebuild {
    pub branch: String,
    /// Its tip on the remote (as last fetched) when that is the rebuild already.
    pub tip: Option<ObjectId>,
    /// The commit and the push that make it so: empty when it is so already.
    pub plan: Plan,
}

/// Plans the remote's `promote/<to>` as the target's head plus one commit carrying the source's
/// release file, pushed only when it is not that already.
///
/// # Errors
/// When the target's branch or the source's release file is missing.
pub fn rebuild(workspace: &Workspace, promotion: &Promotion, title: &str) -> Result<Rebuild, Error> {
    let (from, to, repo) = (&promotion.from, &promotion.to, &workspace.repo);
    let branch = gate::rebuild_branch(&to.name);
    let Some(base) = &promotion.target_head else {
        return Err(Refusal::NothingToRebuildOn { branch: to.branch.clone(), remote: workspace.remote.clone() }.into());
    };
    let name = FILE_NAME.as_bytes();
    let file = repo.top_entries(&promotion.head)?.into_iter().find(|e| e.name == name && e.is_file());
    let Some(file) = file else {
        return Err(Refusal::NothingToCarry { branch: from.branch.clone() }.into());
    };
    let mut entries = repo.top_entries(base)?;
    entries.retain(|e| e.name != name);
    entries.push(file.clone());
    // Only the tree's id: nothing is stored to tell whether the branch is right already.
    let tree = repo.tree_id(&entries)?;
    let tracking = format!("refs/remotes/{}/{branch}", workspace.remote);
    let existing = repo.reference(&tracking)?;
    if let Some(existing) = &existing {
        let parent = repo.rev_parse_commit(&format!("{existing}^")).ok();
        if repo.commit_tree(existing)? == tree && parent.as_ref() == Some(base) {
            return Ok(Rebuild { branch, tip: Some(existing.clone()), plan: Plan::default() });
        }
    }
    let message = format!(
        "{title}\n\n{}'s head with {}'s {FILE_NAME}, built by git release promote --rebuild.",
        to.name, from.name
    );
    let mut plan = Plan { reflog: format!("release: promote --rebuild {}", to.name), ..Plan::default() };
    plan.commits.push(NewCommit {
        parent: Some(ObjectRef::Existing(base.clone())),
        base: Some(base.clone()),
        path: FILE_NAME.into(),
        content: String::new(),
        copied: Some(file),
        merged: None,
        message,
    });
    plan.pushes.push(Push {
        remote: workspace.remote.clone(),
        destination: format!("refs/heads/{branch}"),
        commit: ObjectRef::Planned(0),
        lease: existing.map_or(Expect::Absent, Expect::At),
    });
    Ok(Rebuild { branch, tip: None, plan })
}
