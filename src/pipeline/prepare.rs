//! `prepare`: the first step of a deployment pipeline.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::AppRepo;
use crate::clock;
use crate::config::{Deploys, UMBRELLA};
use crate::deploy::{self, Part, Resolved, Wanted, checks, handoff};
use crate::error::Error;
use crate::git::Ident;
use crate::object_id::ObjectId;
use crate::plan::{Plan, Step};
use crate::record::Record;
use crate::ui::{Paint, Report};
use crate::version::Decision;

use super::session::{MAX_TRIES, Run, Session, component_values};
use crate::context::Context;
use crate::ui::key_values;

/// What to prepare.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub environment: String,
    /// Deploy even when the environment's latest record is this deployment already.
    pub again: bool,
    /// A commit of the release repository to deploy from instead of the environment branch.
    pub commit: Option<String>,
    /// The branch to deploy, for an environment that deploys any branch.
    pub branch: Option<String>,
    pub deploy: Run,
}

/// Cuts the version tag the environment's `cut` calls for, pushes it, and hands off what to
/// deploy; on a dry run, shows the plan.
///
/// # Errors
/// A deployment the checks refuse, or a push that fails.
pub fn prepare(context: &Context, args: &Options) -> Result<(), Error> {
    let workspace = context.deploying_workspace()?;
    let environment = workspace.find_environment(&args.environment)?;
    let now = clock::now()?;
    let session = Session::open(context, &workspace, &environment, &args.deploy)?;
    let tracked = session.source_branch(&workspace, &environment, args.branch.as_deref(), true)?;
    let tagger = session.tagger(now)?;
    for attempt in 1..=MAX_TRIES {
        session.fetch(&workspace, std::slice::from_ref(&tracked))?;
        let tip = match &args.commit {
            Some(rev) => {
                let tip = deploy::tip::asked(&workspace, &environment, rev)?;
                let head = tip.tip.id().expect("a commit was named");
                crate::gate_gather::approvable(
                    &context.deploying_workspace()?,
                    &session.app,
                    &environment,
                    head,
                    session.online,
                )?;
                tip
            }
            None => session.tip(&workspace, &environment, false)?,
        };
        let wanted = deploy::wanted(&workspace, &environment, tip)?;
        let mut resolved = deploy::resolve(&workspace, &session.app, wanted, &tracked, session.online)?;
        if args.commit.is_some() && workspace.file.app.is_here() {
            // Not the environment's branch yet: the pull request's, when the CI says which.
            resolved.branch = checks::pull_request_branch(&resolved.commit);
        }
        if environment.deploys == Deploys::AnyBranch
            && resolved.tag.is_none()
            && resolved.branch.as_ref() == Some(&tracked)
        {
            // What the CI checked out of the branch, though the branch moved on since.
            if let Some(commit) = session.checked_out(&tracked) {
                resolved.commit = commit;
            }
        }
        let parts =
            deploy::resolve_parts(&workspace, &session.app, &session.components, &mut resolved, session.online)?;
        if !args.again {
            if let Some(record) = checks::already_deployed(&workspace, &session.app, &resolved, &parts)? {
                context.tell_trust(&session.app);
                let report = PrepareReport::already(&resolved, &session.app.name, &record);
                context.ui.message(&format!(
                    "{} runs {} on {} already ({}): nothing to deploy; --again deploys it anew",
                    report.environment,
                    report.version,
                    record.deployment.commit.short(),
                    record.tag
                ));
                if !args.deploy.dry_run {
                    let mut handoff = checks::handoff_of(&resolved, &[]);
                    handoff.commit = record.deployment.commit.clone();
                    handoff.tag.clone_from(&record.deployment.version_tag);
                    handoff.recorded = Some(record.tag.clone());
                    handoff::save(&workspace.repo.git_dir(), &handoff)?;
                }
                context.ui.report(&report);
                return Ok(());
            }
        }
        let deployed = checks::deployed_before(&workspace, &session.app, &resolved);
        context.tell_trust(&session.app);
        deployed?;
        let mut plans = vec![(
            UMBRELLA,
            &session.app,
            tag_plan(&session, &session.app, &resolved.wanted, resolved.tag.as_ref(), &tagger)?,
        )];
        for (part, repo) in parts.iter().zip(&session.components) {
            plans.push((
                part.name.as_str(),
                &repo.app,
                tag_plan(&session, &repo.app, &resolved.wanted, part.tag.as_ref(), &tagger)?,
            ));
        }
        let mut report = PrepareReport::new(&resolved, &session.app.name, &parts);
        if args.deploy.dry_run {
            report.dry_run = true;
            report.steps = super::session::steps_of(&plans);
            finish(context, &resolved, &report);
            return Ok(());
        }
        if session.apply_all(&plans, attempt)? {
            report.pushed = plans.iter().any(|(_, _, plan)| !plan.pushes.is_empty());
            handoff::save(&workspace.repo.git_dir(), &checks::handoff_of(&resolved, &parts))?;
            finish(context, &resolved, &report);
            return Ok(());
        }
        let taken = resolved.tag.as_ref().map_or("the tag", |d| d.tag().name.as_str()).to_owned();
        context.ui.message(&format!("{taken} was just taken by another pipeline; looking again"));
    }
    unreachable!("the last attempt returns or fails")
}

/// The plan that makes one repository's version tag exist here and on its remote.
fn tag_plan(
    session: &Session,
    app: &AppRepo,
    wanted: &Wanted,
    decision: Option<&Decision>,
    tagger: &Ident,
) -> Result<Plan, Error> {
    let existing = match decision {
        Some(Decision::Reuse(tag)) => app.tag(&tag.name)?.map(|t| t.target),
        _ => None,
    };
    Ok(deploy::tag_plan_for(app, wanted, decision, existing, tagger, session.push))
}

fn finish(context: &Context, resolved: &Resolved, report: &PrepareReport) {
    for note in &resolved.wanted.notes {
        context.ui.message(&format!("note: {note}"));
    }
    if let (Some(tag), false) = (&report.tag, report.dry_run) {
        let done = if report.created { "created" } else { "reusing" };
        // The application is "." in one repository: the push went to its remote.
        let to = if report.app == "." { context.remote.as_str() } else { report.app.as_str() };
        let pushed = if report.pushed && report.created { format!(", pushed to {to}") } else { String::new() };
        // The tag's own commit: in one repository a final deploys a head merging it unchanged.
        let on = resolved.tag.as_ref().map_or(&report.commit, |decision| &decision.tag().commit);
        context.ui.message(&format!("{done} {tag} on {}{pushed}", on.short()));
        for (name, part) in &report.components {
            let Some(tag) = &part.tag else { continue };
            let done = if part.created { "created" } else { "reusing" };
            context.ui.message(&format!("{done} {tag} on {} in {name}", part.commit.short()));
        }
    }
    context.ui.report(report);
}

#[derive(Debug, Serialize)]
#[expect(clippy::struct_excessive_bools, reason = "each bool is a field of the JSON report")]
struct PrepareReport {
    environment: String,
    version: String,
    commit: ObjectId,
    tag: Option<String>,
    created: bool,
    app: String,
    branch: Option<String>,
    pushed: bool,
    dry_run: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<Step>,
    /// Each component of an application of several repositories.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    components: BTreeMap<String, PartReport>,
    /// Whether the environment's latest record is this deployment already, so that there is
    /// nothing to deploy.
    already_deployed: bool,
    /// What the environment's release file tells its pipeline.
    variables: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct PartReport {
    commit: ObjectId,
    tag: Option<String>,
    created: bool,
    branch: Option<String>,
}

impl PrepareReport {
    fn new(resolved: &Resolved, app: &str, parts: &[Part]) -> PrepareReport {
        let components = parts
            .iter()
            .map(|part| {
                let report = PartReport {
                    commit: part.commit.clone(),
                    tag: part.tag.as_ref().map(|d| d.tag().name.clone()),
                    created: matches!(part.tag, Some(Decision::Create(_))),
                    branch: part.branch.clone(),
                };
                (part.name.clone(), report)
            })
            .collect();
        PrepareReport {
            environment: resolved.wanted.environment.name.clone(),
            version: resolved.wanted.version.to_string(),
            commit: resolved.commit.clone(),
            tag: resolved.tag.as_ref().map(|d| d.tag().name.clone()),
            created: matches!(resolved.tag, Some(Decision::Create(_))),
            app: app.to_owned(),
            branch: resolved.branch.clone(),
            pushed: false,
            dry_run: false,
            steps: Vec::new(),
            components,
            already_deployed: false,
            variables: resolved.wanted.variables.clone(),
        }
    }

    /// The report of a deployment the environment's latest record shows made already.
    fn already(resolved: &Resolved, app: &str, record: &Record) -> PrepareReport {
        let mut report = PrepareReport::new(resolved, app, &[]);
        report.commit = record.deployment.commit.clone();
        report.tag.clone_from(&record.deployment.version_tag);
        report.branch.clone_from(&record.deployment.branch);
        report.created = false;
        report.already_deployed = true;
        report
    }
}

impl Report for PrepareReport {
    fn human(&self, paint: Paint) -> String {
        let commit = self.commit.to_string();
        let tag = self.tag.as_deref().unwrap_or_default();
        let already = if self.already_deployed { "true" } else { "false" };
        let values = [
            ("environment", self.environment.as_str()),
            ("version", &self.version),
            ("commit", &commit),
            ("tag", tag),
            ("already_deployed", already),
        ];
        let mut text = key_values(paint, self.dry_run.then_some(&self.steps[..]), &values);
        for (name, part) in &self.components {
            text.push_str(&component_values(name, &part.commit, "tag", part.tag.as_deref().unwrap_or_default()));
        }
        // Checked when the file was read: identifiers none of the keys above take, one line each.
        for (name, value) in &self.variables {
            text.push_str(&format!("{name}={value}\n"));
        }
        text
    }
}
