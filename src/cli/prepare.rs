//! `git release prepare`: the first step of a deployment pipeline.

use serde::Serialize;

use crate::deploy::{self, Resolved};
use crate::error::Error;
use crate::object_id::ObjectId;
use crate::plan::Step;
use crate::ui::{Paint, Report};
use crate::version::Decision;

use super::Context;
use super::deployment::{DeployArgs, MAX_TRIES, Session, key_values};

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
    let session = Session::open(context, &workspace, &args.deploy)?;
    let tracked = deploy::tracked_branch(&workspace, &session.app, &environment, session.online)?;
    let tagger = session.tagger()?;
    for attempt in 1..=MAX_TRIES {
        session.fetch(&workspace, std::slice::from_ref(&tracked))?;
        let wanted = deploy::wanted(&workspace, &environment)?;
        let resolved = deploy::resolve(&workspace, &session.app, wanted, &tracked, session.online)?;
        let existing = match &resolved.tag {
            Some(Decision::Reuse(tag)) => session.app.tag(&tag.name)?.map(|t| t.target),
            _ => None,
        };
        let plan = deploy::tag_plan(&session.app, &resolved, existing, &tagger, session.push);
        let mut report = PrepareReport::new(&resolved, &session.app.name);
        if args.deploy.dry_run {
            report.dry_run = true;
            report.steps = plan.steps();
            finish(context, &resolved, &report);
            return Ok(());
        }
        if session.apply(&plan, attempt)?.is_some() {
            report.pushed = !plan.pushes.is_empty();
            finish(context, &resolved, &report);
            return Ok(());
        }
        let taken = resolved.tag.as_ref().map_or("the tag", |d| d.tag().name.as_str()).to_owned();
        context.ui.message(&format!("{taken} was just taken by another pipeline; looking again"));
    }
    unreachable!("the last attempt returns or fails")
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
}

impl PrepareReport {
    fn new(resolved: &Resolved, app: &str) -> PrepareReport {
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
        }
    }
}

impl Report for PrepareReport {
    fn human(&self, paint: Paint) -> String {
        let commit = self.commit.to_string();
        let tag = self.tag.as_deref().unwrap_or_default();
        let values =
            [("environment", self.environment.as_str()), ("version", &self.version), ("commit", &commit), ("tag", tag)];
        key_values(paint, self.dry_run.then_some(&self.steps[..]), &values)
    }
}
