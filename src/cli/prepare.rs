//! `git release prepare`: the first step of a deployment pipeline.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::admission::{self, Request};
use crate::app::{AppRepo, Ask};
use crate::ci;
use crate::clock;
use crate::config::{Deploys, Environment, GateMode, UMBRELLA};
use crate::deploy::handoff::{self, Handoff};
use crate::deploy::tip::Tip;
use crate::deploy::{Part, Wanted};
use crate::gate::{Check, Finding};
use crate::git::{BranchTip, Ident};
use crate::plan::{Plan, UNPUSHED};
use crate::record::Record;

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
    /// Deploy even when the environment's latest record is this version on this commit (or its
    /// files) already
    #[arg(long)]
    pub again: bool,
    /// Deploy from this commit of the release repository (a pull request's head, for deploying
    /// on approval before the merge) instead of the environment branch: its version, and in the
    /// one-repository layout its code
    #[arg(long, value_name = "REV", env = "GIT_RELEASE_DEPLOY_COMMIT")]
    pub commit: Option<String>,
    /// The branch to deploy, for an environment with deploys = "any-branch" (default: the branch
    /// the CI's push pipeline runs for)
    #[arg(long, value_name = "NAME", env = "GIT_RELEASE_BRANCH")]
    pub branch: Option<String>,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let workspace = context.workspace()?;
    let environment = workspace.find_environment(&args.environment)?;
    let now = clock::now()?;
    let session = Session::open(context, &workspace, &environment, &args.deploy)?;
    let tracked = session.source_branch(&workspace, &environment, args.branch.as_deref())?;
    let tagger = session.tagger(now)?;
    for attempt in 1..=MAX_TRIES {
        session.fetch(&workspace, std::slice::from_ref(&tracked))?;
        let tip = match &args.commit {
            Some(rev) => {
                let tip = asked_commit(&workspace, &environment, rev)?;
                approvable(context, &session, &environment, tip.tip.id().expect("a commit was named"))?;
                tip
            }
            None => session.tip(&workspace, &environment, false)?,
        };
        let wanted = deploy::wanted(&workspace, &environment, tip)?;
        let mut resolved = deploy::resolve(&workspace, &session.app, wanted, &tracked, session.online)?;
        if args.commit.is_some() && workspace.file.app.is_here() {
            // Not the environment's branch yet: the pull request's, when the CI says which.
            resolved.branch = pull_request_branch(&resolved.commit);
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
            if let Some(record) = already_deployed(&workspace, &session.app, &resolved, &parts)? {
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
                    let mut handoff = handoff_of(&resolved, &[]);
                    handoff.commit = record.deployment.commit.clone();
                    handoff.tag.clone_from(&record.deployment.version_tag);
                    handoff.recorded = Some(record.tag.clone());
                    handoff::save(&workspace.repo.git_dir(), &handoff)?;
                }
                context.ui.report(&report);
                return Ok(());
            }
        }
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
            handoff::save(&workspace.repo.git_dir(), &handoff_of(&resolved, &parts))?;
            finish(context, &resolved, &report);
            return Ok(());
        }
        let taken = resolved.tag.as_ref().map_or("the tag", |d| d.tag().name.as_str()).to_owned();
        context.ui.message(&format!("{taken} was just taken by another pipeline; looking again"));
    }
    unreachable!("the last attempt returns or fails")
}

/// `--commit`: the commit to read the version (and, in one repository, the code) from, as a pull
/// request's head holds them before the merge.
fn asked_commit(workspace: &Workspace, environment: &Environment, rev: &str) -> Result<Tip, Error> {
    let commit = workspace.repo.rev_parse_commit(&format!("{rev}^{{commit}}")).map_err(|_| {
        Error::new(Kind::Usage, format!("--commit {rev} names no commit of this repository"))
            .hint("fetch it first, as a pull request's pipeline checks out its head ('git fetch origin <its branch>')")
    })?;
    let note = format!("deploying {} as --commit asks, not the head of {}", commit.short(), environment.branch);
    Ok(Tip { tip: BranchTip::Local(commit), notes: vec![note] })
}

/// Deploy on approval deploys a change before it merges: only into an environment that deploys
/// so (`gate = "self"`, as its own branch's file says, not the change), and only a change its
/// gate lets in on every count but the deployment itself.
fn approvable(context: &Context, session: &Session, environment: &Environment, head: &ObjectId) -> Result<(), Error> {
    let name = &environment.name;
    let (judging, target) = context.judging_workspace()?.governing(&environment.branch, session.online)?;
    if target.gate != GateMode::Self_ {
        return Err(Error::new(
            Kind::Usage,
            format!("--commit deploys a pull request before its merge, and {name} does not deploy on approval"),
        )
        .cause(format!("{name} has gate = \"previous\": it deploys its branch's head once a change is merged"))
        .hint(format!("merge the change into {}, then run 'git release prepare {name}'", environment.branch))
        .hint(format!("to deploy {name} on approval, set gate = \"self\" for it on its branch")));
    }
    let source = pull_request_branch(head).or_else(|| {
        let after = target.after.as_deref()?;
        judging.file.environment(after).map(|e| e.branch.clone())
    });
    let request = Request { target, source, head: head.clone(), settings: None };
    let verdict = admission::evaluate(&judging, Some(&session.app), &request, session.online)?;
    let refused: Vec<&Finding> = verdict.findings.iter().filter(|f| !f.ok && f.check != Check::SelfDeployed).collect();
    let Some(first) = refused.first() else { return Ok(()) };
    let mut error = Error::new(
        Kind::Refused,
        format!("the gate into {name} refuses {}, so it is not deployed on approval", head.short()),
    );
    for finding in &refused {
        error = error.cause(format!("{}: {}", finding.check.as_str(), finding.message));
    }
    Err(error
        .hint(first.hint.clone().unwrap_or_else(|| format!("see 'git release gate --target {name} --head {head}'"))))
}

/// The branch of the pull request whose pipeline this is, when `commit` is its head.
fn pull_request_branch(commit: &ObjectId) -> Option<String> {
    let var = |key: &str| std::env::var(key).ok();
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let pull_request = ci::System::detect(&var)?.pull_request(&var, &read).ok()?;
    (pull_request.head == commit.as_str() && pull_request.fork.is_none()).then_some(pull_request.source)
}

/// What was decided, to leave where `record` in this checkout finds it, so that it records this
/// deployment and not whatever the branches hold by then.
fn handoff_of(resolved: &Resolved, parts: &[Part]) -> Handoff {
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
    handoff
}

/// The environment's latest record, when it is this version on the commit resolved now or on
/// one of the same files: the pipeline of the merge a forge made of a pull request the
/// environment deployed on approval, or a pipeline run again. An application of several
/// repositories is always deployed.
fn already_deployed(
    workspace: &Workspace,
    app: &AppRepo,
    resolved: &Resolved,
    parts: &[Part],
) -> Result<Option<Record>, Error> {
    let environment = &resolved.wanted.environment.name;
    if resolved.rollback.is_some() || !parts.is_empty() {
        return Ok(None);
    }
    let survey = app.survey(&workspace.file.tags, &[environment.as_str()], &[])?;
    let Some(latest) = survey.latest(environment) else { return Ok(None) };
    if latest.deployment.version != resolved.wanted.version.to_string() {
        return Ok(None);
    }
    // A record kept here only is pushed by running the deployment again, as every run does.
    if app.repo.reference(&format!("{UNPUSHED}{}", latest.tag))?.is_some() {
        return Ok(None);
    }
    let same = latest.deployment.commit == resolved.commit
        || (workspace.file.matches_trees(&resolved.wanted.environment)
            && app.repo.commit_tree(&latest.deployment.commit)? == app.repo.commit_tree(&resolved.commit)?);
    Ok(same.then(|| latest.clone()))
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
    // The commit the final tag goes on itself, whatever the layout (in one repository the head
    // deployed holds its files): a commit of the same files on no branch is not what the
    // environment before deployed.
    let rc = &decision.tag().commit;
    let ask = Ask { environment: after, commit: rc, tree: None };
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
        format!("{after} has not deployed {}, which {} would release to {}", rc.short(), tag.name, environment.name),
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
            text.push_str(&component_values(name, &part.commit, part.tag.as_deref().unwrap_or_default()));
        }
        // Checked when the file was read: identifiers none of the keys above take, one line each.
        for (name, value) in &self.variables {
            text.push_str(&format!("{name}={value}\n"));
        }
        text
    }
}
