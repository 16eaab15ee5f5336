//! `record`: the last step of a deployment pipeline.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::app::AppRepo;
use crate::ci;
use crate::clock;
use crate::config::{Environment, Tags, UMBRELLA};
use crate::deploy::handoff::{self, Handoff};
use crate::deploy::{self, Part, Wanted};
use crate::error::Error;
use crate::git::Ident;
use crate::object_id::ObjectId;
use crate::plan::{NewTag, Plan, Step};
use crate::record::{self, Deployment, Record};
use crate::refname;
use crate::secret::redact;
use crate::ui::{Paint, Report};
use crate::version::{Cut, Decision, Version, VersionTag};
use crate::workspace::Workspace;

use super::Refusal;
use super::session::{MAX_TRIES, Run, Session, component_values};
use crate::context::Context;
use crate::jira::{Asked, JiraReport};
use crate::ui::key_values;

/// What to record.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub environment: String,
    /// The deployed commit, instead of what `prepare` handed off.
    pub commit: Option<String>,
    /// The branch deployed, for WIP records.
    pub branch: Option<String>,
    /// The pipeline's web page, instead of what the CI's variables say.
    pub pipeline_url: Option<String>,
    /// When the deployment happened (RFC 3339), instead of now.
    pub at: Option<String>,
    pub deploy: Run,
    pub jira: Asked,
    /// Fail when the forge cannot be told of the deployment.
    pub forge_strict: bool,
}

/// Records the deployment as an annotated, timestamped tag on the deployed commit, pushed; tells
/// Jira when asked; on a dry run, shows the plan.
///
/// # Errors
/// Nothing prepared to record, a deployment the checks refuse, or a push that fails.
pub fn record(context: &Context, args: &Options) -> Result<(), Error> {
    let workspace = context.deploying_workspace()?;
    let environment = workspace.find_environment(&args.environment)?;
    let now = clock::now()?;
    let time = args.at.as_deref().map(|text| parse_time(text, now)).transpose()?;
    let given = args.jira.check(context, &workspace)?;
    super::deployments::check(context, &workspace, args.forge_strict)?;
    let session = Session::open(context, &workspace, &environment, &args.deploy)?;
    let tracked = session.source_branch(&workspace, &environment, args.branch.as_deref(), false)?;
    let tagger = session.tagger(now)?;
    let var = |key: &str| std::env::var(key).ok();
    let system = ci::System::detect(&var);
    // The CI run this is, by its pipeline's address: a hand-off is taken from the same run only.
    let run_id = system.and_then(|s| s.pipeline_url(&var));
    let pipeline = args.pipeline_url.clone().or_else(|| run_id.clone());
    let handoff = prepared(context, &workspace, &environment, args, run_id.as_deref())?;
    let deployed_by = system.and_then(|s| s.actor(&var)).unwrap_or_else(|| tagger.person.clone());
    if let Some(handoff) = handoff.as_ref().filter(|handoff| handoff.recorded.is_some()) {
        session.fetch(&workspace, std::slice::from_ref(&tracked))?;
        return report_already_deployed(context, &workspace, &session.app, handoff);
    }
    for attempt in 1..=MAX_TRIES {
        let mut fetched = vec![tracked.clone()];
        fetched.extend(args.branch.clone());
        session.fetch(&workspace, &fetched)?;
        // What prepare handed off decides; the branch as it stands now only names the version.
        let tip = session.tip(&workspace, &environment, handoff.is_some())?;
        let wanted = as_prepared(deploy::wanted(&workspace, &environment, tip)?, handoff.as_ref())?;
        let Deployed { commit, branch, version_tag, parts } = match &handoff {
            Some(handoff) => handed_off(handoff, &session, &wanted, workspace.file.matches_trees(&environment))?,
            None => deployed(&workspace, &session, &wanted, &tracked, args)?,
        };
        let mut components = BTreeMap::new();
        if !parts.is_empty() {
            components.insert(UMBRELLA.to_owned(), commit.clone());
            components.extend(parts.iter().map(|part| (part.name.clone(), part.commit.clone())));
        }
        // A deployment of what the branch rolls back to says which deployment it undid.
        let rollback = deploy::rollback::asked(
            &workspace,
            &session.app,
            &environment.name,
            &wanted.release_commit,
            &wanted.version,
        )?;
        let rollback_of = rollback.filter(|rollback| rollback.to.deployment.commit == commit).and_then(|r| r.of);
        let draft = Deployment {
            environment: environment.name.clone(),
            version: wanted.version.to_string(),
            commit,
            release_commit: Some(wanted.release_commit.clone()),
            pipeline: pipeline.as_deref().map(|url| redact(url.trim())),
            deployed_by: Some(deployed_by.clone()),
            branch,
            version_tag,
            time: time.unwrap_or(now),
            rollback_of,
            components,
        };
        let mut plans = Vec::new();
        let mut part_records = BTreeMap::new();
        for (part, repo) in parts.iter().zip(&session.components) {
            let draft = Deployment {
                commit: part.commit.clone(),
                branch: part.branch.clone(),
                version_tag: match &part.tag {
                    Some(Decision::Reuse(tag)) => Some(tag.name.clone()),
                    _ => None,
                },
                ..draft.clone()
            };
            let (record, plan) =
                record_plan(&session, &repo.app, &workspace.file.tags, draft, &tagger, &environment, None)?;
            part_records.insert(part.name.clone(), PartRecord::new(&record, !plan.tags.is_empty()));
            plans.push((part.name.as_str(), &repo.app, plan));
        }
        let made = handoff.as_ref().and_then(|handoff| handoff.made.as_deref());
        let (record, plan) =
            record_plan(&session, &session.app, &workspace.file.tags, draft, &tagger, &environment, made)?;
        let created = !plan.tags.is_empty();
        plans.insert(0, (UMBRELLA, &session.app, plan));
        let mut report = RecordReport::new(record, created);
        report.components = part_records;
        if args.deploy.dry_run {
            report.dry_run = true;
            report.steps = super::session::steps_of(&plans);
        } else if session.apply_all(&plans, attempt)? {
            report.pushed = plans.iter().any(|(_, _, plan)| !plan.pushes.is_empty());
            if let Some(handoff) = handoff.as_ref().filter(|_| session.push) {
                // Used: recording in this checkout again finds this record, and makes none. A
                // record kept here only stays to be pushed by the next run.
                let used = Handoff { made: Some(report.record.tag.clone()), ..handoff.clone() };
                handoff::save(&workspace.repo.git_dir(), &used)?;
            }
        } else {
            context.ui.message(&format!("{} was just taken by another pipeline; looking again", report.record.tag));
            continue;
        }
        tell_others(context, &workspace, &session, &wanted, args, &mut report, given)?;
        finish(context, &wanted, &report);
        return Ok(());
    }
    unreachable!("the last attempt returns or fails")
}

/// Tells the forge and Jira what was recorded: a failure is a warning, unless `--forge-strict`
/// or `--jira-strict` asked for it to fail the command.
fn tell_others(
    context: &Context,
    workspace: &Workspace,
    session: &Session,
    wanted: &Wanted,
    args: &Options,
    report: &mut RecordReport,
    given: Vec<String>,
) -> Result<(), Error> {
    let (app, record, dry_run) = (&session.app, &report.record, report.dry_run);
    // A record kept here (--no-push) is on no remote: the forge hears of it once it is pushed.
    if session.push {
        report.forge = super::deployments::tell(context, workspace, app, wanted, record, dry_run, args.forge_strict)?;
    }
    report.jira = super::issues::tell(context, workspace, app, &args.jira, record, dry_run, given)?;
    Ok(())
}

fn finish(context: &Context, wanted: &Wanted, report: &RecordReport) {
    for note in &wanted.notes {
        context.ui.message(&format!("note: {note}"));
    }
    if !report.dry_run {
        let done = if report.created { "recorded" } else { "already recorded as" };
        let pushed = if report.pushed && report.created { ", pushed" } else { "" };
        context.ui.message(&format!(
            "{done} {} on {}{pushed}",
            report.record.tag,
            report.record.deployment.commit.short()
        ));
    }
    context.ui.report(report);
}

/// `--at`: an RFC 3339 time that has happened by `now`, give or take the clocks' skew.
fn parse_time(text: &str, now: Timestamp) -> Result<Timestamp, Error> {
    let text_of = || text.to_owned();
    let time = text.parse::<Timestamp>().map_err(|e| Refusal::NotATime { text: text_of(), why: e.to_string() })?;
    if time < Timestamp::UNIX_EPOCH {
        return Err(Refusal::Before1970 { text: text_of() }.into());
    }
    if time.duration_since(now) > clock::SKEW {
        return Err(Refusal::InTheFuture { text: text_of(), now: record::rfc3339_text(now) }.into());
    }
    Ok(time)
}

/// What `prepare` decided in this checkout, in this CI run, unless `--commit` or `--branch`
/// names what was deployed.
fn prepared(
    context: &Context,
    workspace: &Workspace,
    environment: &Environment,
    args: &Options,
    run: Option<&str>,
) -> Result<Option<Handoff>, Error> {
    if args.commit.is_some() || args.branch.is_some() {
        return Ok(None);
    }
    let Some(handoff) = handoff::load(&workspace.repo.git_dir(), &environment.name)? else { return Ok(None) };
    if handoff.is_for(run) {
        return Ok(Some(handoff));
    }
    let made = handoff.run.as_deref().map_or_else(|| "outside CI".to_owned(), |run| format!("in {}", redact(run)));
    context.ui.message(&format!(
        "note: passing over what prepare decided {made}: this is another run, which names its own deployment"
    ));
    Ok(None)
}

/// The branch's wanted deployment, with the version and release commit `prepare` deployed when
/// it handed them off: the branch may have moved on since.
fn as_prepared(wanted: Wanted, handoff: Option<&Handoff>) -> Result<Wanted, Error> {
    let Some(handoff) = handoff else { return Ok(wanted) };
    let version = Version::parse(&handoff.version).map_err(|error| Refusal::HandedOffNoVersion {
        environment: handoff.environment.clone(),
        version: handoff.version.clone(),
        why: error.to_string(),
    })?;
    Ok(Wanted { version, release_commit: handoff.release_commit.clone(), ..wanted })
}

/// Reports the record `prepare` found to be this deployment already, read again: there is
/// nothing to record.
fn report_already_deployed(
    context: &Context,
    workspace: &Workspace,
    app: &AppRepo,
    handoff: &Handoff,
) -> Result<(), Error> {
    let tag = handoff.recorded.as_deref().unwrap_or_default();
    let records = app.records_on(&workspace.file.tags, &handoff.environment, &handoff.commit)?;
    let record = records
        .into_iter()
        .find(|record| record.tag == tag)
        .ok_or_else(|| Refusal::RecordGone { environment: handoff.environment.clone(), tag: tag.to_owned() })?;
    let report = RecordReport::new(record, false);
    context.ui.message(&format!(
        "{} ran this already: nothing to record; {} is its record",
        handoff.environment, report.record.tag
    ));
    context.ui.report(&report);
    Ok(())
}

/// What `prepare` handed off, for every repository of the application in the order of the file.
fn handed_off(handoff: &Handoff, session: &Session, wanted: &Wanted, trees: bool) -> Result<Deployed, Error> {
    // The file is anyone's to edit in this checkout: what it says was deployed must stand as
    // prepare left it, the version's tag on the commit.
    let environment = &handoff.environment;
    let on = |tag: &str| session.app.repo.rev_parse_commit(&format!("refs/tags/{tag}^{{commit}}")).ok();
    let cuts = wanted.environment.cut != Cut::None && !matches!(wanted.version, Version::Pin(_));
    let stands = match &handoff.tag {
        Some(tag) => on(tag).is_some_and(|on| deploy::stands_on(&session.app.repo, &on, &handoff.commit, trees)),
        None => !cuts,
    };
    if !stands {
        let held = match handoff.tag.as_deref() {
            Some(tag) => format!("{tag} does not stand on {}", handoff.commit.short()),
            // A hand-off edited to drop the tag an environment that cuts one must name.
            None => format!("it names no version tag, and {environment} cuts one on {}", handoff.commit.short()),
        };
        return Err(Refusal::HandOffDoesNotHold { environment: environment.clone(), held }.into());
    }
    let mut parts = Vec::new();
    for repo in &session.components {
        let name = &repo.component.name;
        let Some(part) = handoff.components.get(name) else {
            return Err(
                Refusal::ComponentNotHandedOff { environment: environment.clone(), component: name.clone() }.into()
            );
        };
        let tag = part.tag.clone().map(|name| Decision::Reuse(VersionTag { name, commit: part.commit.clone() }));
        parts.push(Part { name: name.clone(), branch: part.branch.clone(), commit: part.commit.clone(), tag });
    }
    Ok(Deployed {
        commit: handoff.commit.clone(),
        branch: handoff.branch.clone(),
        version_tag: handoff.tag.clone(),
        parts,
    })
}

/// The deployed commit, its branch and its version tag: from `--commit` and `--branch`, else
/// what resolving now finds, when a version tag there says it was prepared; and what each
/// component deployed, as `prepare` resolves it (no tags are cut here).
fn deployed(
    workspace: &Workspace,
    session: &Session,
    wanted: &Wanted,
    tracked: &str,
    args: &Options,
) -> Result<Deployed, Error> {
    let (app, tags) = (&session.app, &workspace.file.tags);
    let named = args.commit.as_deref().or(args.branch.as_deref());
    let needs_resolving = named.is_none() || !session.components.is_empty();
    let mut resolved = if needs_resolving {
        Some(deploy::resolve(workspace, app, wanted.clone(), tracked, session.online)?)
    } else {
        None
    };
    let parts = match &mut resolved {
        Some(resolved) => deploy::resolve_parts(workspace, app, &session.components, resolved, session.online)?,
        None => Vec::new(),
    };
    let Some(rev) = named else {
        let resolved = resolved.expect("resolved without --commit or --branch");
        // Without a hand-off, what resolving finds now was deployed only if a version tag, which
        // prepare makes, already stands on it: a branch may have moved since the deployment.
        let environment = &wanted.environment.name;
        let tag = match &resolved.tag {
            Some(Decision::Reuse(tag)) => tag.name.clone(),
            Some(Decision::Create(tag)) => {
                return Err(Refusal::TagNotMade { environment: environment.clone(), tag: tag.name.clone() }.into());
            }
            None => {
                let from = resolved.branch.as_deref().map_or_else(String::new, |branch| format!(" from {branch}"));
                return Err(Refusal::CannotTell {
                    environment: environment.clone(),
                    version: wanted.version.to_string(),
                    from,
                    commit: resolved.commit.short().to_owned(),
                }
                .into());
            }
        };
        return Ok(Deployed { commit: resolved.commit, branch: resolved.branch, version_tag: Some(tag), parts });
    };
    let (commit, named_branch) = commit_of(app, rev)?;
    let branch = args.branch.clone().or(named_branch).or_else(|| Some(tracked.to_owned()));
    let mut tag = deploy::version_tag_on(app, tags, &wanted.version, &commit)?;
    if tag.is_none() && wanted.environment.cut == Cut::Final && workspace.file.app.is_here() {
        // One repository: the environment ran its branch head, which holds the final tag's files.
        tag = deploy::final_held_by(app, tags, &wanted.version, &commit)?;
    }
    let cuts = wanted.environment.cut != Cut::None && !matches!(wanted.version, Version::Pin(_));
    if cuts && tag.is_none() {
        // A versioned deployment deploys its version tag: a commit without one ran no such version.
        let environment = &wanted.environment.name;
        return Err(Refusal::NoTagOn {
            environment: environment.clone(),
            version: wanted.version.to_string(),
            commit: commit.short().to_owned(),
            cut: wanted.environment.cut.to_string(),
        }
        .into());
    }
    Ok(Deployed { commit, branch, version_tag: tag, parts })
}

/// What a deployment put where, before it is recorded.
struct Deployed {
    commit: ObjectId,
    branch: Option<String>,
    version_tag: Option<String>,
    parts: Vec<Part>,
}

/// A revision of the application repository, and the branch it names when it names one.
fn commit_of(app: &AppRepo, rev: &str) -> Result<(ObjectId, Option<String>), Error> {
    let unknown = || Error::from(Refusal::UnknownCommit { rev: rev.to_owned(), app: app.name.clone() });
    let bare = rev.strip_prefix(&format!("{}/", app.remote)).unwrap_or(rev);
    if refname::check_short(bare).is_ok() {
        if let Some(commit) = app.branch(bare)? {
            return Ok((commit, Some(bare.to_owned())));
        }
    }
    let commit = app.repo.rev_parse_commit(rev).map_err(|_| unknown())?;
    Ok((commit, None))
}

/// The record of this very deployment, when it was made before.
///
/// The record a hand-off was recorded as, whatever pipeline asks again: a hand-off is recorded
/// once. Else, with a pipeline, any record of the environment with the same commit and pipeline;
/// without one, the environment's latest record when it is of that commit and version, so that
/// deploying a commit again after another (a rollback) is recorded anew.
fn recorded_before(
    app: &AppRepo,
    tags: &Tags,
    draft: &Deployment,
    made: Option<&str>,
) -> Result<Option<Record>, Error> {
    if let Some(made) = made {
        let records = app.records_on(tags, &draft.environment, &draft.commit)?;
        if let Some(record) = records.into_iter().find(|record| record.tag == made) {
            return Ok(Some(record));
        }
    }
    if draft.pipeline.is_some() {
        let records = app.records_on(tags, &draft.environment, &draft.commit)?;
        return Ok(records.into_iter().find(|record| draft.is_recorded_by(record)));
    }
    let latest = app.records(tags, Some(&draft.environment), 1)?.into_iter().next();
    Ok(latest.filter(|record| {
        let recorded = &record.deployment;
        recorded.commit == draft.commit
            && recorded.version == draft.version
            && recorded.rollback_of == draft.rollback_of
    }))
}

/// The record of a deployment in one repository: the one made before, pushed again, or a new one.
fn record_plan(
    session: &Session,
    app: &AppRepo,
    tags: &Tags,
    draft: Deployment,
    tagger: &Ident,
    environment: &Environment,
    made: Option<&str>,
) -> Result<(Record, Plan), Error> {
    match recorded_before(app, tags, &draft, made)? {
        Some(existing) => {
            let target = app.tag(&existing.tag)?.map(|t| t.target);
            let plan = push_again(session, app, &existing.tag, target);
            Ok((existing, plan))
        }
        None => new_record(session, app, tags, draft, tagger, environment),
    }
}

/// A new record under the first free name: `base`, then `base+2`, `base+3`...
fn new_record(
    session: &Session,
    app: &AppRepo,
    tags: &Tags,
    draft: Deployment,
    tagger: &Ident,
    environment: &Environment,
) -> Result<(Record, Plan), Error> {
    let base = draft.base_name(tags);
    refname::check_short(&base)
        .map_err(|problem| Refusal::BadRecordName { name: base.clone(), why: problem.to_string() })?;
    let mut sequence = 1;
    while app.tag(&record::numbered(&base, sequence))?.is_some() {
        sequence += 1;
    }
    let name = record::numbered(&base, sequence);
    let mut plan = Plan { reflog: format!("release: record {}", environment.name), ..Plan::default() };
    let tag =
        NewTag { name: name.clone(), commit: draft.commit.clone(), tagger: tagger.clone(), message: draft.message() };
    plan.create_tag(tag, session.push.then_some(app.remote.as_str()));
    Ok((draft.into_record(name, sequence), plan))
}

/// Pushing an existing record again: up to date on the remote, or pushed at last.
fn push_again(session: &Session, app: &AppRepo, name: &str, target: Option<ObjectId>) -> Plan {
    let mut plan = Plan::default();
    if let (true, Some(target)) = (session.push, target) {
        plan.push_existing_tag(&app.remote, name, target);
    }
    plan
}

#[derive(Debug, Serialize)]
struct RecordReport {
    environment: String,
    tag: String,
    commit: ObjectId,
    version: String,
    time: String,
    created: bool,
    pipeline: Option<String>,
    pushed: bool,
    dry_run: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forge: Option<super::deployments::ForgeReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jira: Option<JiraReport>,
    /// The record in each component of an application of several repositories.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    components: BTreeMap<String, PartRecord>,
    #[serde(skip)]
    record: Record,
}

#[derive(Debug, Serialize)]
struct PartRecord {
    tag: String,
    commit: ObjectId,
    created: bool,
}

impl PartRecord {
    fn new(record: &Record, created: bool) -> PartRecord {
        PartRecord { tag: record.tag.clone(), commit: record.deployment.commit.clone(), created }
    }
}

impl RecordReport {
    fn new(record: Record, created: bool) -> RecordReport {
        RecordReport {
            environment: record.deployment.environment.clone(),
            tag: record.tag.clone(),
            commit: record.deployment.commit.clone(),
            version: record.deployment.version.clone(),
            time: record::rfc3339_text(record.deployment.time),
            created,
            pipeline: record.deployment.pipeline.clone(),
            pushed: false,
            dry_run: false,
            steps: Vec::new(),
            forge: None,
            jira: None,
            components: BTreeMap::new(),
            record,
        }
    }
}

impl Report for RecordReport {
    fn human(&self, paint: Paint) -> String {
        let commit = self.commit.to_string();
        let values = [
            ("environment", self.environment.as_str()),
            ("version", &self.version),
            ("commit", &commit),
            // Not `tag=`: prepare prints the version tag under that key, and a pipeline may write
            // both into one `$GITHUB_OUTPUT`.
            ("record_tag", &self.tag),
            ("time", &self.time),
        ];
        let mut text = key_values(paint, self.dry_run.then_some(&self.steps[..]), &values);
        for (name, part) in &self.components {
            text.push_str(&component_values(name, &part.commit, "record_tag", &part.tag));
        }
        if let Some(forge) = &self.forge {
            text.push_str(&forge.human(paint, &self.environment));
        }
        if let Some(jira) = &self.jira {
            text.push_str(&jira.human(paint));
        }
        text
    }
}
