//! `git release approve` and `revoke`: a signed, annotated tag on the commit an environment
//! would deploy, in the application repository beside the deployment records. A revocation is
//! a later tag of the same kind, never a deletion.

use serde::Serialize;

use crate::app::AppRepo;
use crate::approval::{Approval, Stance};
use crate::context::Context;
use crate::error::{Diagnostic, Error, Kind};
use crate::gate_gather::{self, Request};
use crate::object_id::ObjectId;
use crate::plan::{NewTag, Plan};
use crate::ui::{Paint, Report};
use crate::workspace::Workspace;

/// What `approve` and `revoke` are asked.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: String,
    pub stance: Stance,
    /// The version approved (default: the one the promotion into the environment carries).
    pub version: Option<String>,
    /// The application commit approved (default: the one the environment would deploy next).
    pub commit: Option<String>,
    pub reason: Option<String>,
    pub push: bool,
    pub dry_run: bool,
    pub app_dir: Option<std::path::PathBuf>,
}

/// Why an approval is not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("an approval counts only signed, and git here signs no tags (tag.gpgSign is not set)")]
    Unsigned,
    #[error("`{version}` is not a version: {why}")]
    BadVersion { version: String, why: String },
    #[error("cannot tell which commit {environment} would deploy: {why}")]
    NoCommit { environment: String, why: String },
    #[error("`{rev}` is no commit of the application repository")]
    NotACommit { rev: String },
    #[error("the approval's tag name `{name}` is not one git accepts: {why}")]
    BadName { name: String, why: String },
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::NotACommit { .. } | Refusal::BadVersion { .. } => Kind::Usage,
            Refusal::BadName { .. } => Kind::Config,
            _ => Kind::Refused,
        }
    }

    fn hints(&self) -> Vec<String> {
        vec![match self {
            Refusal::BadVersion { .. } => "give the version as release.toml writes it, such as 1.4.0".into(),
            Refusal::Unsigned => "have git sign tags where you run git release: git config tag.gpgSign true, with user.signingKey (and gpg.format ssh for an ssh key); the key must be one [trust.approvers] lists".into(),
            Refusal::NoCommit { environment, .. } => {
                format!("name the commit: git release approve {environment} --commit <rev>")
            }
            Refusal::NotACommit { .. } => "fetch it into the application repository, or name it by its full id".into(),
            Refusal::BadName { .. } => "change [tags] approval so that it makes a valid tag name".into(),
        }]
    }
}

/// What was approved or revoked, as printed.
#[derive(Debug, Serialize)]
pub struct Approved {
    pub environment: String,
    pub stance: Stance,
    pub version: String,
    pub commit: ObjectId,
    pub tag: String,
    pub pushed: bool,
    pub dry_run: bool,
}

impl Report for Approved {
    fn human(&self, _paint: Paint) -> String {
        let done = match (self.stance, self.dry_run) {
            (Stance::Approve, false) => "approved",
            (Stance::Revoke, false) => "revoked the approval of",
            (Stance::Approve, true) => "would approve",
            (Stance::Revoke, true) => "would revoke the approval of",
        };
        let pushed = if self.pushed { ", pushed" } else { "" };
        format!("{done} {} ({}) for {} as {}{pushed}\n", self.version, self.commit.short(), self.environment, self.tag)
    }
}

/// Writes the approval (or revocation) tag and pushes it.
///
/// # Errors
/// An unknown environment, a commit that cannot be told, a repository that signs no tags, a
/// push that fails.
pub fn approve(context: &Context, options: &Options) -> Result<(), Error> {
    let mut workspace = context.judging_workspace()?;
    workspace.remote_first = true;
    let environment = workspace.find_environment(&options.environment)?;
    let app = AppRepo::open(&workspace, options.app_dir.as_deref())?;
    let online = context.may_fetch(options.dry_run, false) && app.has_remote();
    if online {
        crate::deploy::refresh(&workspace, &app, &[&environment])?;
    }
    if !app.repo.signs_tags()? {
        return Err(Refusal::Unsigned.into());
    }
    if let Some(version) = &options.version {
        crate::version::Version::parse(version)
            .map_err(|why| Refusal::BadVersion { version: version.escape_debug().to_string(), why: why.to_string() })?;
    }
    let (commit, version) = what_is_approved(&workspace, &app, &environment, options, online)?;
    let tagger = app.repo.committer_ident("git-release")?;
    let mut approval = Approval {
        tag: String::new(),
        stance: options.stance,
        environment: environment.name.clone(),
        version,
        commit,
        by: tagger.person.clone(),
        at: crate::clock::now()?,
        reason: options.reason.clone(),
    };
    let base = approval.base_name(&workspace.file.tags);
    crate::refname::check_short(&base).map_err(|why| Refusal::BadName { name: base.clone(), why: why.to_string() })?;
    let mut sequence = 1;
    while app.tag(&crate::record::numbered(&base, sequence))?.is_some() {
        sequence += 1;
    }
    approval.tag = crate::record::numbered(&base, sequence);
    let mut plan = Plan { reflog: format!("release: approve {}", environment.name), ..Plan::default() };
    let tag =
        NewTag { name: approval.tag.clone(), commit: approval.commit.clone(), tagger, message: approval.message() };
    let push = options.push && app.has_remote();
    plan.create_tag(tag, push.then_some(app.remote.as_str()));
    crate::execute::carry_out(&app.repo, &plan, options.dry_run)?;
    context.ui.report(&Approved {
        environment: approval.environment,
        stance: approval.stance,
        version: approval.version,
        commit: approval.commit,
        tag: approval.tag,
        pushed: push && !options.dry_run,
        dry_run: options.dry_run,
    });
    Ok(())
}

/// The commit and version approved: as given, else what the gate says the environment would
/// deploy from the promotion into it (from its own branch, for an environment after none).
fn what_is_approved(
    workspace: &Workspace,
    app: &AppRepo,
    environment: &crate::config::Environment,
    options: &Options,
    online: bool,
) -> Result<(ObjectId, String), Error> {
    let (judging, target) = workspace.governing(&environment.branch, online)?;
    let source = judging.file.before(&target).first().map(|before| before.branch.clone());
    let branch = source.clone().unwrap_or_else(|| target.branch.clone());
    let head = judging.repo.remote_branch_tip(&branch, &judging.remote)?.id().cloned();
    let version_at = |head: &ObjectId| -> Result<Option<String>, Error> {
        Ok(judging.governed(&branch, head).ok().map(|(read, _)| read.file.version.to_string()))
    };
    let commit = match &options.commit {
        Some(rev) => Some(app.repo.rev_parse_commit(rev).map_err(|_| Refusal::NotACommit { rev: rev.clone() })?),
        None => None,
    };
    let (commit, version) = match (commit, head) {
        (Some(commit), head) => {
            let version = match (&options.version, head) {
                (Some(version), _) => version.clone(),
                (None, Some(head)) => version_at(&head)?.unwrap_or_default(),
                (None, None) => String::new(),
            };
            (commit, version)
        }
        (None, Some(head)) => {
            let request = Request { target: target.clone(), source, head: head.clone(), settings: None };
            let verdict = gate_gather::evaluate(&judging, Some(app), &request, online)?;
            let Some(commit) = verdict.deploys else {
                let why = verdict
                    .findings
                    .iter()
                    .find(|f| !f.ok)
                    .map_or_else(|| "its version resolves to no commit".to_owned(), |f| f.message.clone());
                return Err(Refusal::NoCommit { environment: environment.name.clone(), why }.into());
            };
            let version = match &options.version {
                Some(version) => version.clone(),
                None => version_at(&head)?.unwrap_or_default(),
            };
            (commit, version)
        }
        (None, None) => {
            let why = format!("{branch} does not exist on {}", judging.remote);
            return Err(Refusal::NoCommit { environment: environment.name.clone(), why }.into());
        }
    };
    if version.is_empty() {
        let why = "no version to approve could be read; give it with --version".to_owned();
        return Err(Refusal::NoCommit { environment: environment.name.clone(), why }.into());
    }
    Ok((commit, version))
}
