//! `git release prepare`: the first step of a deployment pipeline.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::{AppRepo, Ask};
use crate::ci;
use crate::clock;
use crate::config::{Match, UMBRELLA};
use crate::deploy::handoff::{self, Handoff};
use crate::deploy::{Part, Wanted};
use crate::git::Ident;
use crate::plan::Plan;

use crate::deploy::{self, Resolved};
use crate::error::{Error, Kind};
use crate::gate;
use crate::object_id::ObjectId;
use crate::plan::Step;
use crate::ui::{Paint, Report};
use crate::version::{Cut, Decision};
use crate::workspace::Workspace;

use super::Context;
use super::deployment::{DeployArgs, MAX_TRIES, Session, component_values, key_values};

/// Cut the version tag the environment's `cut` calls for, and print what to deploy
///
/// cut = "none" deploys the head of the tracked branch; "rc" reuses the highest release candidate
/// of the version when it is on the source head, else cuts the next one there; "final" tags the
/// commit of the highest release candidate. Prints key=value lines for `$GITHUB_OUTPUT` or a dotenv
/// file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment, as named in release.toml
    #[arg(env = "GIT_RELEASE_ENVIRONMENT")]
    pub environment: String,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let workspace = context.workspace()?;
    let environment = workspace.find_environment(&args.environment)?;
    let now = clock::now()?;
    let session = Session::open(context, &workspace, &environment, &args.deploy)?;
    let tracked = deploy::tracked_branch(&workspace, &session.app, &environment, session.online)?;
    let tagger = session.tagger(now)?;
    for attempt in 1..=MAX_TRIES {
        session.fetch(&workspace, std::slice::from_ref(&tracked))?;
        let tip = session.tip(&workspace, &environment, false)?;
        let wanted = deploy::wanted(&workspace, &environment, tip)?;
        let mut resolved = deploy::resolve(&workspace, &session.app, wanted, &tracked, session.online)?;
        let parts =
            deploy::resolve_parts(&workspace, &session.app, &session.components, &mut resolved, session.online)?;
        let deployed = deployed_before(&workspace, &session.app, &resolved);
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
            report.steps = super::deployment::steps_of(&plans);
            finish(context, &resolved, &report);
            return Ok(());
        }
        if session.apply_all(&plans, attempt)? {
            report.pushed = plans.iter().any(|(_, _, plan)| !plan.pushes.is_empty());
            hand_off(&workspace, &resolved, &parts)?;
            finish(context, &resolved, &report);
            return Ok(());
        }
        let taken = resolved.tag.as_ref().map_or("the tag", |d| d.tag().name.as_str()).to_owned();
        context.ui.message(&format!("{taken} was just taken by another pipeline; looking again"));
    }
    unreachable!("the last attempt returns or fails")
}

/// Leaves what was decided where `record` in this checkout finds it, so that it records this
/// deployment and not whatever the branches hold by then.
fn hand_off(workspace: &Workspace, resolved: &Resolved, parts: &[Part]) -> Result<(), Error> {
    let var = |key: &str| std::env::var(key).ok();
    let wanted = &resolved.wanted;
    let mut handoff = Handoff::new(
        &wanted.environment.name,
        &wanted.version.to_string(),
        resolved.commit.clone(),
        wanted.release_commit.clone(),
    );
    handoff.tag = resolved.tag.as_ref().map(|decision| decision.tag().name.clone());
    handoff.branch.clone_from(&resolved.branch);
    handoff.run = ci::System::detect(&var).and_then(|system| system.pipeline_url(&var));
    for part in parts {
        let tag = part.tag.as_ref().map(|decision| decision.tag().name.clone());
        let component = handoff::Component { commit: part.commit.clone(), tag, branch: part.branch.clone() };
        handoff.components.insert(part.name.clone(), component);
    }
    handoff::save(&workspace.repo.git_dir(), &handoff)
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

/// A final release deploys the commit of the highest release candidate, which anyone who may
/// push a tag can make: it goes out only when the environment before it deployed that very
/// commit, as the gate asks of a promotion.
fn deployed_before(workspace: &Workspace, app: &AppRepo, resolved: &Resolved) -> Result<(), Error> {
    let environment = &resolved.wanted.environment;
    let (Cut::Final, Some(after), Some(decision)) = (environment.cut, &environment.after, &resolved.tag) else {
        return Ok(());
    };
    if resolved.rollback.is_some() {
        // What the environment itself ran before needs nothing of the environment before it.
        return Ok(());
    }
    // The commit the final tag goes on itself, whatever the layout: a commit of the same files
    // on no branch is not what the environment before deployed.
    let tree = match environment.match_ {
        Match::Tree => Some(app.repo.commit_tree(&resolved.commit)?),
        Match::Commit => None,
    };
    let ask = Ask { environment: after, commit: &resolved.commit, tree: tree.as_ref() };
    let previous = app.survey(&workspace.file.tags, &[], &[ask])?.deployed(0);
    if previous.matching.is_some() {
        // As the gate asks: what the previous environment deployed since counts too.
        let before = workspace.file.environment(after).filter(|_| environment.previous_current);
        let stale = before.and_then(|before| gate::previous_current(before, &previous)).filter(|f| !f.ok);
        return match stale {
            None => Ok(()),
            Some(finding) => Err(Error::new(Kind::Refused, finding.message)
                .cause(format!("{} goes on the commit of the highest release candidate", decision.tag().name))
                .hint(finding.hint.unwrap_or_default())),
        };
    }
    let tag = decision.tag();
    Err(Error::new(
        Kind::Refused,
        format!(
            "{after} has not deployed {}, which {} would release to {}",
            resolved.commit.short(),
            tag.name,
            environment.name
        ),
    )
    .cause(format!("{} goes on the commit of the highest release candidate of {}", tag.name, resolved.wanted.version))
    .hint(format!("deploy that candidate to {after} first; its pipeline ends with 'git release record {after}'")))
}

fn finish(context: &Context, resolved: &Resolved, report: &PrepareReport) {
    for note in &resolved.wanted.notes {
        context.ui.message(&format!("note: {note}"));
    }
    if let (Some(tag), false) = (&report.tag, report.dry_run) {
        let done = if report.created { "created" } else { "reusing" };
        let pushed =
            if report.pushed && report.created { format!(", pushed to {}", report.app) } else { String::new() };
        context.ui.message(&format!("{done} {tag} on {}{pushed}", report.commit.short()));
        for (name, part) in &report.components {
            let Some(tag) = &part.tag else { continue };
            let done = if part.created { "created" } else { "reusing" };
            context.ui.message(&format!("{done} {tag} on {} in {name}", part.commit.short()));
        }
    }
    context.ui.report(report);
}

#[derive(Debug, Serialize)]
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
            variables: resolved.wanted.variables.clone(),
        }
    }
}

impl Report for PrepareReport {
    fn human(&self, paint: Paint) -> String {
        let commit = self.commit.to_string();
        let tag = self.tag.as_deref().unwrap_or_default();
        let values =
            [("environment", self.environment.as_str()), ("version", &self.version), ("commit", &commit), ("tag", tag)];
        let mut text = key_values(paint, self.dry_run.then_some(&self.steps[..]), &values);
        for (name, part) in &self.components {
            text.push_str(&component_values(name, &part.commit, part.tag.as_deref().unwrap_or_default()));
        }
        // Checked when the file was read: identifiers none of the keys above take, one line each.
        for (name, value) in &self.variables {
            text.push_str(&format!("{name}={value}\n"));
        }
        text
    }
}
