//! What `init` tells: each environment branch, what it got, and what is left to do.

use serde::Serialize;

use crate::config::FILE_NAME;
use crate::forge::PullRequest;
use crate::object_id::ObjectId;
use crate::plan::{self, ObjectRef, Step};
use crate::ui::{Paint, Report};
use crate::version::Cut;

use super::SIDE_PREFIX;
use super::adopt::Adoption;
use super::found::{Found, Settings};

/// What became of one environment branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// It holds a release file already, kept as it is.
    Kept,
    /// It is at this commit now, here or on the remote.
    Written(ObjectId),
    /// It declined the push.
    Proposed(Box<Proposal>),
}

/// A branch that declined the push: its commit is on `side`, with the pull request opened for
/// it, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub commit: ObjectId,
    pub side: String,
    /// What the remote said when it declined.
    pub declined: Vec<String>,
    pub pull: Option<PullRequest>,
    pub why: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Action {
    Created,
    Added,
    Kept,
    /// Kept its file, and took a merge of the commit the others share.
    Shared,
    Proposed,
    WouldCreate,
    WouldAdd,
    WouldShare,
}

#[derive(Debug, Serialize)]
struct Row {
    name: String,
    branch: String,
    version: String,
    cut: Cut,
    action: Action,
    commit: Option<ObjectId>,
    /// Where a proposed commit waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    side_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pull_request: Option<Pull>,
    /// Why a proposal has no pull request.
    #[serde(skip_serializing_if = "Option::is_none")]
    no_pull_request: Option<String>,
    /// What the remote said when it declined the push.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    declined: Vec<String>,
    /// This repository's branch, where it was left behind.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Debug, Serialize)]
struct Pull {
    number: u64,
    url: String,
}

#[derive(Debug, Serialize)]
pub struct InitReport {
    dry_run: bool,
    /// Where the release file that decides was found; `None` when made from the arguments.
    found: Option<String>,
    environments: Vec<Row>,
    config_ref: String,
    /// The remote the branches were pushed to; `None` when they moved here only.
    pushed_to: Option<String>,
    steps: Vec<Step>,
    #[serde(skip)]
    diff: String,
    /// The remote to publish to (empty: none is configured), where the branches moved here only.
    #[serde(skip)]
    publish_to: Option<String>,
    /// HEAD's branch had no commits and took the release file into its index.
    #[serde(skip)]
    unborn: Option<String>,
}

impl InitReport {
    /// `remote` is the one configured here, which a hint names for publishing branches that
    /// moved here only.
    #[must_use]
    pub fn new(
        settings: &Settings,
        found: &[Found],
        adoption: &Adoption,
        done: Option<&[Done]>,
        remote: Option<String>,
    ) -> InitReport {
        let plan = &adoption.plan;
        let rows = settings
            .environments
            .iter()
            .enumerate()
            .map(|(index, env)| {
                let landing = &adoption.landings[index];
                let version = found[index].kept.clone().unwrap_or_else(|| settings.files[index].0.clone());
                let mut row = Row {
                    name: env.name.clone(),
                    branch: env.branch.clone(),
                    version,
                    cut: env.cut,
                    action: match (&landing.commit, landing.created, landing.shares) {
                        (None, _, _) => Action::Kept,
                        (Some(_), _, true) => Action::WouldShare,
                        (Some(_), true, _) => Action::WouldCreate,
                        (Some(_), false, false) => Action::WouldAdd,
                    },
                    commit: found[index].tip.clone().filter(|_| landing.commit.is_none()),
                    side_branch: None,
                    pull_request: None,
                    no_pull_request: None,
                    declined: Vec::new(),
                    note: landing.note.clone(),
                };
                match done.map(|done| &done[index]) {
                    Some(Done::Written(commit)) => {
                        row.action = match (landing.created, landing.shares) {
                            (_, true) => Action::Shared,
                            (true, false) => Action::Created,
                            (false, false) => Action::Added,
                        };
                        row.commit = Some(commit.clone());
                    }
                    Some(Done::Proposed(proposal)) => {
                        row.action = Action::Proposed;
                        row.commit = Some(proposal.commit.clone());
                        row.side_branch = Some(proposal.side.clone());
                        row.pull_request =
                            proposal.pull.as_ref().map(|p| Pull { number: p.number, url: p.url.clone() });
                        row.no_pull_request.clone_from(&proposal.why);
                        row.declined.clone_from(&proposal.declined);
                    }
                    Some(Done::Kept) | None => {}
                }
                row
            })
            .collect();
        let unborn = adoption
            .landings
            .iter()
            .zip(&settings.environments)
            .find(|(landing, _)| landing.sync && landing.created)
            .map(|(_, env)| env.branch.clone());
        let moved_here = plan.refs.iter().any(|r| matches!(r.to, ObjectRef::Planned(_))) && adoption.remote.is_none();
        InitReport {
            dry_run: done.is_none(),
            found: settings.found.clone(),
            environments: rows,
            config_ref: format!("refs/heads/{}", settings.environments.last().map_or("", |e| e.branch.as_str())),
            pushed_to: adoption.remote.clone(),
            steps: plan.steps(),
            diff: plan.commits.first().map(|c| plan::unified_diff(FILE_NAME, None, &c.content)).unwrap_or_default(),
            publish_to: moved_here.then(|| remote.unwrap_or_default()),
            unborn: unborn.filter(|_| done.is_some()),
        }
    }

    /// HEAD's branch, where it had no commits and now has the release file in its index.
    #[must_use]
    pub fn unborn_head(&self) -> Option<&str> {
        self.unborn.as_deref()
    }

    fn all(&self, action: Action) -> bool {
        self.environments.iter().all(|row| row.action == action)
    }

    fn row_words(row: &Row) -> String {
        match row.action {
            Action::Created => "created".into(),
            Action::Added => "added".into(),
            Action::Kept => "kept".into(),
            Action::Shared => "kept, with a merge of the commit the others share".into(),
            Action::WouldShare => "would keep, with a merge of the commit the others share".into(),
            Action::WouldCreate => "would create".into(),
            Action::WouldAdd => "would add".into(),
            Action::Proposed => match (&row.pull_request, &row.side_branch) {
                (Some(pull), Some(side)) => format!("pull request #{} from {side}: {}", pull.number, pull.url),
                (None, Some(side)) => format!("on {side}: open a pull request from it into {}", row.branch),
                _ => "proposed".into(),
            },
        }
    }
}

impl Report for InitReport {
    fn human(&self, paint: Paint) -> String {
        let mut out = String::new();
        if self.dry_run {
            if self.steps.is_empty() {
                out.push_str(&format!("Nothing to do: every environment branch holds {FILE_NAME}\n"));
                return out;
            }
            out.push_str(&self.diff);
            out.push_str(&paint.bold("Would run:\n"));
            for step in &self.steps {
                out.push_str(&format!("  {step}\n"));
            }
            let pushes = self.steps.iter().any(|step| matches!(step, Step::Push { .. }));
            if let (Some(remote), true) = (&self.pushed_to, pushes) {
                out.push_str(&format!(
                    "  where {remote} declines a branch's push (a protected branch), push its commit to {SIDE_PREFIX}<branch> and open a pull request instead\n"
                ));
            }
            return out;
        }
        let width = self.environments.iter().map(|r| r.branch.len()).max().unwrap_or(0);
        let created = self.all(Action::Created);
        if created {
            out.push_str(&format!("Created {} environment branches with {FILE_NAME}:\n", self.environments.len()));
        } else if let Some(found) = &self.found {
            out.push_str(&format!("{FILE_NAME} of {found} on every environment branch:\n"));
        } else {
            out.push_str(&format!("Environment branches with {FILE_NAME}:\n"));
        }
        for row in &self.environments {
            let commit = row.commit.as_ref().map_or("-", ObjectId::short);
            let branch = paint.green(&format!("{:<width$}", row.branch));
            if created {
                out.push_str(&format!("  {branch}  {commit}  {}\n", row.version));
            } else {
                out.push_str(&format!("  {branch}  {commit}  {:<7}  {}\n", row.version, Self::row_words(row)));
            }
            for line in &row.declined {
                out.push_str(&format!("      {line}\n"));
            }
        }
        out.push_str(&format!("release.configRef = {}\n", self.config_ref));
        out
    }

    fn hints(&self) -> Vec<String> {
        if self.dry_run {
            return vec!["run it again without --dry-run to do it".into()];
        }
        let mut hints = Vec::new();
        for row in &self.environments {
            if let Some(why) = &row.no_pull_request {
                hints.push(format!("no pull request was opened for {}: {why}", row.branch));
            }
            if row.action == Action::Proposed {
                hints.push(format!(
                    "merge it into {} with a merge commit, not squashed: until then {} has no {FILE_NAME}",
                    row.branch, row.branch
                ));
            }
            if let Some(note) = &row.note {
                hints.push(note.clone());
            }
        }
        if let Some(remote) = &self.publish_to {
            let branches = self
                .environments
                .iter()
                .filter(|r| matches!(r.action, Action::Created | Action::Added | Action::Shared))
                .map(|r| crate::refname::shell_word(&r.branch))
                .collect::<Vec<_>>()
                .join(" ");
            hints.push(if remote.is_empty() {
                format!("add a remote and publish them: git remote add origin <url> && git push origin {branches}")
            } else {
                format!("publish them with 'git push {remote} {branches}'")
            });
        }
        hints.push("see them with 'git release status'; 'git release doctor' says what else the setup needs".into());
        hints
    }
}
