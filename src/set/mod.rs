//! `set`, `bump` and `rollback`: a new version committed to an environment's branch without a
//! checkout, planned as one commit (and a push, with a lease) that `execute` carries out.

mod refusal;

pub use refusal::Refusal;

use serde::Serialize;

use crate::app::AppRepo;
use crate::config::{self, Content, Environment, FILE_NAME, Origin, edit};
use crate::context::Context;
use crate::deploy::rollback::{self, NoTarget};
use crate::error::Error;
use crate::execute;
use crate::git::{BranchTip, Expect};
use crate::object_id::ObjectId;
use crate::plan::{self, MoveRef, NewCommit, ObjectRef, Plan, Push, Step, SyncWorktree};
use crate::ui::{Paint, Report};
use crate::version::{Level, Version};
use crate::workspace::{Workspace, branch_origin};

/// How the change is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Write {
    /// Push the branch too, fetched just before, with a lease on the value fetched.
    pub push: bool,
    /// Show the diff and the plan, and change nothing.
    pub dry_run: bool,
}

/// Commits `version` to the environment's branch (and pushes it), or on a dry run shows the diff
/// and the plan.
///
/// # Errors
/// An unknown environment, a version that is not one or does not fit it, a branch that is
/// missing or behind its remote, a refused push.
pub fn set(
    context: &Context,
    environment: &str,
    version: &str,
    message: Option<&str>,
    write: Write,
) -> Result<(), Error> {
    let workspace = context.workspace()?;
    let environment = workspace.find_environment(environment)?;
    if crate::secret::has_credentials(version) {
        return Err(crate::version::pin::holds_credentials(version));
    }
    let version = Version::parse(version).map_err(|e| Refusal::NotAVersion { why: e.to_string() })?;
    fetch_before_push(context, &workspace, write)?;
    let current = current_file(&workspace, &environment)?;
    change(context, &workspace, &environment, &current, &version, message, write, None)
}

/// With `--push`, the environment branches as the remote has them now: the lease is then on the
/// remote's value, not on one left stale, say by an earlier run stopped after its push.
fn fetch_before_push(context: &Context, workspace: &Workspace, write: Write) -> Result<(), Error> {
    if write.push && context.may_fetch(write.dry_run, true) {
        workspace.fetch_branches()?;
    }
    Ok(())
}

/// Raises the environment's semantic version by one `level` step, as [`set`] would set it.
///
/// # Errors
/// As [`set`], and a version that is not semantic.
pub fn bump(context: &Context, environment: &str, level: Level, write: Write) -> Result<(), Error> {
    let workspace = context.workspace()?;
    let environment = workspace.find_environment(environment)?;
    fetch_before_push(context, &workspace, write)?;
    let current = current_file(&workspace, &environment)?;
    let version = current
        .version
        .bump(level)
        .map_err(|e| Refusal::CannotBump { environment: environment.name.clone(), why: e.to_string() })?;
    change(context, &workspace, &environment, &current, &version, None, write, None)
}

/// Sets the environment back to the version and commit of an earlier deployment of its own (`to`,
/// a record or a version it ran; by default the newest deployment of something else).
///
/// # Errors
/// As [`set`], and when there is nothing to roll back to.
pub fn rollback(context: &Context, environment: &str, to: Option<&str>, write: Write) -> Result<(), Error> {
    let workspace = context.deploying_workspace()?;
    let environment = workspace.find_environment(environment)?;
    fetch_before_push(context, &workspace, write)?;
    let app = AppRepo::open(&workspace, None)?.judged_by(workspace.judging_trust());
    if app.has_remote() && context.may_fetch(write.dry_run, !app.is_cache()) {
        app.fetch(&[], None)?;
    }
    let records = app.records(&workspace.file.tags, Some(&environment.name), usize::MAX)?;
    context.tell_trust(&app);
    let (to, latest) = rollback::choose(&records, to).map_err(|why| no_target(&environment, &why))?;
    let version = Version::parse(&to.deployment.version).map_err(|e| Refusal::NotSettable {
        tag: to.tag.clone(),
        version: to.deployment.version.clone(),
        why: e.to_string(),
    })?;
    let current = current_file(&workspace, &environment)?;
    let message = rollback::message(&environment.name, to, latest);
    let files_of = workspace.file.app.is_here().then(|| to.deployment.commit.clone());
    let facts =
        RollbackFacts { to: to.tag.clone(), of: latest.tag.clone(), commit: to.deployment.commit.clone(), files_of };
    change(context, &workspace, &environment, &current, &version, Some(&message), write, Some(facts))
}

/// Why `rollback` has nothing to go back to.
fn no_target(environment: &Environment, why: &NoTarget) -> Error {
    let environment = environment.name.clone();
    match why {
        NoTarget::NothingDeployed => Refusal::NothingDeployed { environment },
        NoTarget::NothingBefore { version, commit } => {
            Refusal::NothingBefore { environment, version: version.clone(), commit: commit.short().to_owned() }
        }
        NoTarget::Unknown { to, ran } => Refusal::UnknownTarget { environment, to: to.clone(), ran: ran.clone() },
        NoTarget::RunsIt { tag } => Refusal::RunsIt { environment, tag: tag.clone() },
    }
    .into()
}

/// The release file on an environment branch, as it is now.
struct Current {
    tip: BranchTip,
    id: ObjectId,
    text: String,
    version: Version,
}

fn current_file(workspace: &Workspace, environment: &Environment) -> Result<Current, Error> {
    let tip = workspace.repo.branch_tip(&environment.branch, &workspace.remote)?;
    let Some(id) = tip.id().cloned() else {
        return Err(Refusal::BranchMissing {
            environment: environment.name.clone(),
            branch: environment.branch.clone(),
            remote: workspace.remote.clone(),
        }
        .into());
    };
    let Some((content, origin)) = workspace.branch_file(environment, &tip)? else {
        return Err(Refusal::NoReleaseFile { branch: environment.branch.clone() }.into());
    };
    // The version on the branch need not fit its environment yet: setting one that does is the repair.
    let lenient = Origin { branch: None, ..origin };
    let file = config::parse(&content, &lenient)?;
    let Content::Bytes(bytes) = content else { unreachable!("parse refuses files too large to read") };
    let text = String::from_utf8(bytes).expect("parse refuses files that are not UTF-8");
    Ok(Current { tip, id, text, version: file.version })
}

#[expect(clippy::too_many_arguments, reason = "set, bump and rollback each give a part of one change")]
fn change(
    context: &Context,
    workspace: &Workspace,
    environment: &Environment,
    current: &Current,
    version: &Version,
    message: Option<&str>,
    write: Write,
    rollback: Option<RollbackFacts>,
) -> Result<(), Error> {
    version.fits(environment.cut).map_err(|misfit| Refusal::Misfit {
        environment: environment.name.clone(),
        version: version.to_string(),
        why: misfit.to_string(),
    })?;
    // One repository rolls back to the files the earlier deployment ran, its release file too.
    let files_of = rollback.as_ref().and_then(|facts| facts.files_of.clone());
    let text = match &files_of {
        Some(commit) => release_file_at(workspace, environment, commit)?,
        None => edit::set_version(&current.text, &version.to_string())
            .map_err(|e| Refusal::CannotEdit { branch: environment.branch.clone(), why: e.to_string() })?,
    };
    let origin = branch_origin(&environment.branch, &current.tip);
    config::parse(&Content::Bytes(text.clone().into_bytes()), &origin)?;
    let mut report = SetReport {
        environment: environment.name.clone(),
        branch: environment.branch.clone(),
        from: current.version.to_string(),
        to: version.to_string(),
        // A rollback commits even to the same version: its trailer says which commit to deploy.
        changed: version != &current.version || rollback.is_some(),
        dry_run: write.dry_run,
        rollback,
        commit: None,
        pushed: false,
        steps: Vec::new(),
        diff: plan::unified_diff(FILE_NAME, Some(&current.text), &text),
        files: Vec::new(),
    };
    if let Some(commit) = &files_of {
        let (now, then) = (workspace.repo.top_entries(&current.id)?, workspace.repo.top_entries(commit)?);
        report.files = plan::differing_names(&then, &now, FILE_NAME);
    }
    if report.changed {
        let base = files_of.as_ref().unwrap_or(&current.id);
        let plan = build_plan(workspace, environment, current, base, text, message, version, write.push)?;
        report.steps = plan.steps();
        if let Some(applied) = execute::carry_out(&workspace.repo, &plan, write.dry_run)? {
            report.commit = Some(applied.commits[0].clone());
            report.pushed = write.push;
        }
    }
    context.ui.report(&report);
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "one plan, each argument a part of it")]
fn build_plan(
    workspace: &Workspace,
    environment: &Environment,
    current: &Current,
    base: &ObjectId,
    text: String,
    message: Option<&str>,
    version: &Version,
    push: bool,
) -> Result<Plan, Error> {
    let reference = format!("refs/heads/{}", environment.branch);
    let message = message.map_or_else(|| format!("Set {} version to {version}", environment.name), str::to_owned);
    let mut plan = Plan { reflog: format!("release: {}", first_line(&message)), ..Plan::default() };
    plan.commits.push(NewCommit {
        parent: Some(ObjectRef::Existing(current.id.clone())),
        base: Some(base.clone()),
        path: FILE_NAME.into(),
        content: text,
        copied: None,
        merged: None,
        message,
    });
    let old = match &current.tip {
        BranchTip::Local(id) => Expect::At(id.clone()),
        BranchTip::Remote { .. } | BranchTip::Missing => Expect::Absent,
    };
    plan.refs.push(MoveRef { name: reference.clone(), to: ObjectRef::Planned(0), old });
    if push {
        let tracking =
            workspace.repo.reference(&format!("refs/remotes/{}/{}", workspace.remote, environment.branch))?;
        if let Some(tracking) = &tracking {
            if !workspace.repo.is_ancestor(tracking, &current.id)? {
                return Err(behind(workspace, environment, tracking));
            }
        }
        let lease = tracking.map_or(Expect::Absent, Expect::At);
        plan.pushes.push(Push {
            remote: workspace.remote.clone(),
            destination: reference,
            commit: ObjectRef::Planned(0),
            lease,
        });
    }
    if is_checked_out(workspace, environment, current)? {
        if base != &current.id {
            return Err(Refusal::RollbackCheckedOut { branch: environment.branch.clone() }.into());
        }
        plan.worktree = Some(SyncWorktree { commit: 0, keep_work_tree_file: false });
    }
    Ok(plan)
}

/// The local branch lacks commits the remote has: pushing would drop them.
fn behind(workspace: &Workspace, environment: &Environment, tracking: &ObjectId) -> Error {
    let remote = &workspace.remote;
    let branch = &environment.branch;
    Refusal::Behind { branch: branch.clone(), remote: remote.clone(), tracking: tracking.short().to_owned() }.into()
}

/// Whether the branch is checked out here; then its `release.toml` must have no changes.
fn is_checked_out(workspace: &Workspace, environment: &Environment, current: &Current) -> Result<bool, Error> {
    let repo = &workspace.repo;
    if !matches!(current.tip, BranchTip::Local(_)) {
        return Ok(false);
    }
    let here = !repo.is_bare() && repo.head_branch()?.as_deref() == Some(environment.branch.as_str());
    if !here {
        if let Some(path) = repo.worktree_with_branch(&environment.branch)? {
            let path = path.display().to_string();
            return Err(Refusal::CheckedOutElsewhere { branch: environment.branch.clone(), path }.into());
        }
        return Ok(false);
    }
    if repo.is_dirty(FILE_NAME)? {
        return Err(Refusal::Uncommitted { branch: environment.branch.clone() }.into());
    }
    Ok(true)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[derive(Debug, Serialize)]
struct SetReport {
    environment: String,
    branch: String,
    from: String,
    to: String,
    changed: bool,
    dry_run: bool,
    commit: Option<ObjectId>,
    pushed: bool,
    /// For `rollback`: the record gone back to, the record undone, and the commit to deploy.
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback: Option<RollbackFacts>,
    steps: Vec<Step>,
    diff: String,
    /// In one repository, the other top-level files and folders a rollback takes back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RollbackFacts {
    to: String,
    of: String,
    commit: ObjectId,
    /// In one repository, the commit whose files the environment branch takes back.
    #[serde(skip)]
    files_of: Option<ObjectId>,
}

/// The release file of the commit a one-repository rollback takes the files of.
fn release_file_at(workspace: &Workspace, environment: &Environment, commit: &ObjectId) -> Result<String, Error> {
    match workspace.repo.read_top_file(commit, FILE_NAME)? {
        Some(Content::Bytes(bytes)) => {
            String::from_utf8(bytes).map_err(|_| Refusal::NotUtf8 { commit: commit.short().to_owned() }.into())
        }
        _ => {
            Err(Refusal::NoFileToGoBackTo { environment: environment.name.clone(), commit: commit.short().to_owned() }
                .into())
        }
    }
}

impl Report for SetReport {
    fn only_tells(&self) -> bool {
        !self.dry_run
    }

    fn human(&self, paint: Paint) -> String {
        if !self.changed {
            return format!("{} is already at {} on {}; nothing to commit\n", self.environment, self.to, self.branch);
        }
        if self.dry_run {
            let mut out = self.diff.clone();
            if let (Some(facts), false) = (&self.rollback, self.files.is_empty()) {
                let files = self.files.join(", ");
                out.push_str(&format!("and the files {} deployed, which differ in: {files}\n", facts.to));
            }
            out.push_str(&paint.bold("Would run:\n"));
            for step in &self.steps {
                out.push_str(&format!("  {step}\n"));
            }
            return out;
        }
        let commit = self.commit.as_ref().map_or("-", ObjectId::short);
        let pushed = if self.pushed { ", pushed" } else { "" };
        if let Some(rollback) = &self.rollback {
            return format!(
                "{}: rolled back to {} ({}, as {}) on {} ({commit}{pushed}); undoes {}\n",
                paint.green(&self.environment),
                self.to,
                rollback.commit.short(),
                rollback.to,
                self.branch,
                rollback.of
            );
        }
        format!(
            "{}: {} -> {} on {} ({commit}{pushed})\n",
            paint.green(&self.environment),
            self.from,
            self.to,
            self.branch
        )
    }
}
