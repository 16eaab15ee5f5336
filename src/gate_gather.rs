//! Gathers what the merge gate looks at for one change (a target environment, a source branch, a
//! head commit) and has `gate` decide. The same gathering serves `gate`, the hooks and `status`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::{AppRepo, Ask, Survey};
use crate::config::{self, ConfigError, Environment, FILE_NAME, GateMode, Origin, TrustMode};
use crate::deploy::{self, Wanted};
use crate::error::{Error, Exit, Kind};
use crate::gate::{self, Check, Finding, Snapshot};
use crate::object_id::ObjectId;
use crate::version::{Cut, Decision, Version};
use crate::workspace::{EnvironmentState, Workspace};

/// A change that wants to enter an environment.
#[derive(Clone)]
pub struct Request<'w> {
    pub target: Environment,
    /// The branch it comes from; `None` for a direct push.
    pub source: Option<String>,
    /// The release-repository commit it brings.
    pub head: ObjectId,
    /// The settings that judge it, when they are not the workspace's: the target branch's own.
    pub settings: Option<&'w Workspace>,
}

/// The settings that judge a change into `target` now: its branch's own release file, at the
/// tip the remote has (else the local one), with the environment as that file has it. `None`
/// when that file cannot govern (absent, invalid, not listing the branch), for views such as
/// `status` that show a verdict and must not fail for it; the gate itself refuses then.
/// `known` is the branch as read already, reused when it is at that tip.
#[must_use]
pub fn settings_of(
    workspace: &Workspace,
    target: &Environment,
    known: Option<&EnvironmentState>,
) -> Option<(Workspace, Environment)> {
    let tip = workspace.repo.remote_branch_tip(&target.branch, &workspace.remote).ok()?;
    let id = tip.id()?;
    match known.filter(|state| state.tip.id() == Some(id)).and_then(|state| state.file.clone()) {
        Some(read) => workspace.governed_by(&target.branch, read).ok(),
        None => workspace.governed(&target.branch, id).ok(),
    }
}

/// The gate's answer, as `gate --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub allowed: bool,
    pub target: Target,
    pub source: Option<String>,
    pub head: ObjectId,
    /// The application commit the target would deploy, when that could be told.
    pub deploys: Option<ObjectId>,
    /// For an application of several repositories, the commit each would deploy.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub components: BTreeMap<String, ObjectId>,
    pub findings: Vec<Finding>,
    /// What passed but is worth saying: a settings change counted under `[trust] mode = "warn"`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The settings the change edits (`environments.prod.after`), which judge from the next
    /// change on; empty when it edits none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<String>,
    /// Where the target requires approvals: how many, and what those of the commit add up to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approvals: Option<Approvals>,
}

/// The approvals a target requires, and those the commit it would deploy has.
#[derive(Debug, Clone, Serialize)]
pub struct Approvals {
    pub required: u32,
    #[serde(flatten)]
    pub tally: crate::approval::Tally,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub environment: String,
    pub branch: String,
}

/// Evaluates the gate for a change. `app` is `None` when the application repository was never
/// fetched here; `online` lets a pinned reference or the tracked branch be asked of its remote.
///
/// # Errors
/// When the head commit is not here, or a repository cannot be read.
pub fn evaluate(
    workspace: &Workspace,
    app: Option<&AppRepo>,
    request: &Request<'_>,
    online: bool,
) -> Result<Verdict, Error> {
    let mut evaluation = evaluate_all(workspace, app, std::slice::from_ref(request), online, &[])?;
    Ok(evaluation.verdicts.remove(0))
}

/// The verdicts of several changes, and what the environments involved have deployed.
#[derive(Debug)]
pub struct Evaluation {
    /// One per request, in the order given.
    pub verdicts: Vec<Verdict>,
    /// The latest record of every environment involved, and of those asked for besides.
    pub survey: Survey,
}

/// Evaluates several changes at once, as `status` does for every environment: the records they
/// all need come from one pass over the tags. `report` names environments whose latest record
/// the caller wants as well.
///
/// # Errors
/// When a head commit is not here, or a repository cannot be read.
pub fn evaluate_all(
    workspace: &Workspace,
    app: Option<&AppRepo>,
    requests: &[Request<'_>],
    online: bool,
    report: &[&str],
) -> Result<Evaluation, Error> {
    let mut gathered = Vec::new();
    for request in requests {
        gathered.push(gather(request.settings.unwrap_or(workspace), app, request, online)?);
    }
    // The questions for the records: per request, has `after` deployed what the target would,
    // and, where the target asks, has the target itself?
    let mut asks = Vec::new();
    let mut slots = Vec::new();
    for (request, gathered) in requests.iter().zip(&gathered) {
        let target = &request.target;
        let settings = request.settings.unwrap_or(workspace);
        let befores = settings.file.before(target);
        let Some(Ok(commit)) = gathered.deploys.as_ref().filter(|_| app.is_some()) else {
            slots.push((vec![None; befores.len()], None));
            continue;
        };
        let tree = gathered.tree.as_ref();
        let previous = befores
            .iter()
            .map(|after| {
                asks.push(Ask { environment: after.name.as_str(), commit, tree });
                Some(asks.len() - 1)
            })
            .collect();
        let itself = (target.require_bump || target.gate == config::GateMode::Self_).then(|| {
            asks.push(Ask { environment: target.name.as_str(), commit, tree });
            asks.len() - 1
        });
        slots.push((previous, itself));
    }
    // A target that compares with what it ran itself needs its latest record even when the
    // commit it would deploy cannot be told.
    let mut reported: Vec<&str> = report.to_vec();
    for request in requests {
        let target = &request.target;
        if (target.require_bump || target.gate == config::GateMode::Self_) && !reported.contains(&target.name.as_str())
        {
            reported.push(&target.name);
        }
    }
    let survey = match app {
        Some(app) => app.survey(&workspace.file.tags, &reported, &asks)?,
        None => Survey::default(),
    };
    let deployed = |slot: Option<usize>| slot.map(|index| survey.deployed(index)).unwrap_or_default();
    let mut verdicts = Vec::new();
    for ((request, gathered), (previous, itself)) in requests.iter().zip(gathered).zip(slots) {
        let target = &request.target;
        let settings = request.settings.unwrap_or(workspace);
        let findings = gate::evaluate(&Snapshot {
            target,
            environments: &settings.file.environments,
            one_repository: settings.file.app.is_here(),
            source: request.source.as_deref(),
            head: &request.head,
            incoming: gathered.incoming,
            edits: gathered.edits.clone(),
            edits_vouched: gathered.edits_vouched.clone(),
            deploys: gathered.deploys.clone(),
            candidate: gathered.candidate,
            previous: previous.into_iter().map(deployed).collect(),
            itself: {
                let mut itself = deployed(itself);
                if itself.latest.is_none() {
                    itself.latest = survey.latest(&target.name).cloned();
                }
                itself
            },
            rollback: gathered.rollback,
            rebuilt_extra: gathered.rebuilt_extra,
            rebuilt_foreign_file: gathered.rebuilt_foreign_file,
            approvals: gathered.approvals.clone(),
        });
        verdicts.push(Verdict {
            allowed: gate::allows(&findings),
            target: Target { environment: target.name.clone(), branch: target.branch.clone() },
            source: request.source.clone(),
            head: request.head.clone(),
            deploys: gathered.deploys.and_then(Result::ok),
            edits: gathered.edits,
            approvals: gathered
                .approvals
                .map(|tally| Approvals { required: target.require_approvals, tally })
                .filter(|approvals| approvals.required > 0),
            components: gathered.components,
            findings,
            warnings: gathered
                .edits_vouched
                .iter()
                .filter_map(|judged| match judged {
                    crate::trust::Use::Warned(note) => Some(note.clone()),
                    _ => None,
                })
                .collect(),
        });
    }
    Ok(Evaluation { verdicts, survey })
}

/// What the gate reads of one change before it asks the records.
struct Gathered {
    incoming: Incoming,
    edits: Vec<String>,
    edits_vouched: Option<crate::trust::Use>,
    /// Each repository's commit, for an application of several.
    components: BTreeMap<String, ObjectId>,
    deploys: Option<Result<ObjectId, String>>,
    candidate: Option<Result<String, String>>,
    /// The tree of the commit the target would deploy, when the target matches trees.
    tree: Option<ObjectId>,
    /// The earlier record of the target the change rolls back to.
    rollback: Option<crate::record::Record>,
    /// From the rebuilt branch: what it holds beside the release file that the target lacks.
    rebuilt_extra: Vec<String>,
    rebuilt_foreign_file: bool,
    /// Where the target requires approvals, those of the commit it would deploy.
    approvals: Option<crate::approval::Tally>,
}

fn gather(
    workspace: &Workspace,
    app: Option<&AppRepo>,
    request: &Request<'_>,
    online: bool,
) -> Result<Gathered, Error> {
    let target = &request.target;
    if !workspace.repo.has_object(&request.head) {
        return Err(Error::new(Kind::Git, format!("commit {} is not in this repository", request.head)).hint(format!(
            "fetch it first: git fetch {} {}",
            workspace.remote,
            request.source.as_deref().unwrap_or(&target.branch)
        )));
    }
    let (incoming, edits) = incoming(workspace, &request.head)?;
    let edits_vouched = edits_vouched(workspace, target, &request.head, &edits)?;
    let (deploys, candidate, components, rollback) = match &incoming {
        Ok(version) => resolve(workspace, app, request, version, online)?,
        Err(_) => (None, None, BTreeMap::new(), None),
    };
    let tree = match (app, &deploys) {
        (Some(app), Some(Ok(commit))) if workspace.file.matches_trees(target) => Some(app.repo.commit_tree(commit)?),
        _ => None,
    };
    let (rebuilt_extra, rebuilt_foreign_file) = match request.source.as_deref() {
        Some(source) if source == gate::rebuild_branch(&target.name) => rebuilt(workspace, target, &request.head)?,
        _ => (Vec::new(), false),
    };
    // Who may approve is the target's own settings' word, as everything else the gate asks.
    let approvals = match (app, &deploys) {
        (Some(app), Some(Ok(commit))) if target.require_approvals > 0 => {
            let file = &workspace.file;
            let judged = app.approvals(&file.tags, &file.trust, &target.name, Some(commit))?;
            Some(crate::approval::tally(&target.name, commit, &judged, crate::clock::horizon()?))
        }
        _ => None,
    };
    Ok(Gathered {
        incoming,
        edits,
        edits_vouched,
        components,
        deploys,
        candidate,
        tree,
        rollback,
        rebuilt_extra,
        rebuilt_foreign_file,
        approvals,
    })
}

/// What a rebuilt promotion's head holds, beside the release file, that the target's head does
/// not (each top-level name whose entry differs, a whole folder by its tree); and whether its
/// release file is other than the one the environment before's branch holds.
fn rebuilt(workspace: &Workspace, target: &Environment, head: &ObjectId) -> Result<(Vec<String>, bool), Error> {
    let ours = workspace.repo.top_entries(head)?;
    let extra = match workspace.environment_state(target)?.tip.id() {
        Some(base) => crate::plan::differing_names(&ours, &workspace.repo.top_entries(base)?, FILE_NAME),
        None => Vec::new(),
    };
    let release_file =
        |entries: &[crate::git::TreeEntry]| entries.iter().find(|e| e.name == FILE_NAME.as_bytes()).cloned();
    // Where several environments come before, the rebuilt branch carries one of theirs.
    let mut sources = Vec::new();
    for after in workspace.file.before(target) {
        if let Some(tip) = workspace.environment_state(after)?.tip.id() {
            sources.extend(release_file(&workspace.repo.top_entries(tip)?));
        }
    }
    let ours = release_file(&ours);
    Ok((extra, !sources.is_empty() && !ours.is_some_and(|ours| sources.contains(&ours))))
}

/// Whether a change that edits a restricted environment's settings is a commit signed by a key
/// the environment's own `[trust.signers]` lists: asked only where trust is on.
fn edits_vouched(
    workspace: &Workspace,
    target: &Environment,
    head: &ObjectId,
    edits: &[String],
) -> Result<Option<crate::trust::Use>, Error> {
    let trust = &workspace.file.trust;
    if edits.is_empty() || !target.restricted || trust.mode == TrustMode::Off {
        return Ok(None);
    }
    let seal = workspace.repo.verify_commit(head, &trust.ssh_keys())?;
    Ok(Some(crate::trust::judge(trust, &format!("commit {}", head.short()), &[&target.name], &seal)))
}

/// The version a change brings, or the problems that make its release file invalid.
type Incoming = Result<Version, Vec<String>>;

/// The version of the release file the change brings, or what is wrong with that file; and the
/// settings it edits, which judge nothing.
fn incoming(workspace: &Workspace, head: &ObjectId) -> Result<(Incoming, Vec<String>), Error> {
    let Some(content) = workspace.repo.read_top_file(head, FILE_NAME)? else {
        return Ok((Err(vec![format!("commit {} has no {FILE_NAME}", head.short())]), Vec::new()));
    };
    let origin = Origin { place: format!("commit {}", head.short()), branch: None };
    Ok(match config::parse(&content, &origin) {
        Ok(file) => (Ok(file.version), config::changes::edited(&workspace.content, &content)),
        Err(error) => (Err(problems(&error)), Vec::new()),
    })
}

/// The problems of an invalid release file, one line each.
#[must_use]
pub fn problems(error: &ConfigError) -> Vec<String> {
    match error {
        ConfigError::Invalid { problems, .. } => problems.iter().map(ToString::to_string).collect(),
        ConfigError::TooLarge { .. } | ConfigError::NotUtf8 { .. } => vec![error.to_string()],
    }
}

type Resolution = (
    Option<Result<ObjectId, String>>,
    Option<Result<String, String>>,
    BTreeMap<String, ObjectId>,
    Option<crate::record::Record>,
);

/// The commit the target would deploy with the incoming version, and for a final cut, where the
/// final tag goes. Refusals (no release candidate, a released version) become reasons.
fn resolve(
    workspace: &Workspace,
    app: Option<&AppRepo>,
    request: &Request<'_>,
    version: &Version,
    online: bool,
) -> Result<Resolution, Error> {
    let target = &request.target;
    let final_cut = target.cut == Cut::Final;
    let Some(app) = app else {
        let why = format!(
            "the application repository {} has not been fetched here; 'git release gate --target {}' fetches it when online",
            crate::secret::redact(&workspace.file.app.repo),
            target.name
        );
        return Ok((Some(Err(why.clone())), final_cut.then_some(Err(why)), BTreeMap::new(), None));
    };
    let wanted = Wanted {
        environment: target.clone(),
        version: version.clone(),
        release_commit: request.head.clone(),
        notes: Vec::new(),
        pins: Vec::new(),
        variables: BTreeMap::new(),
    };
    let resolved = deploy::tracked_branch(workspace, app, target, online)
        .and_then(|tracked| deploy::resolve(workspace, app, wanted, &tracked, online));
    let mut resolved = match resolved {
        Ok(resolved) => resolved,
        Err(error) if error.exit() == Exit::Refused || error.kind == Kind::Network => {
            let why = error.message;
            // One repository deploys the change's own commit, whatever its version resolves to.
            let deploys = if workspace.file.app.is_here() { Ok(request.head.clone()) } else { Err(why.clone()) };
            return Ok((Some(deploys), final_cut.then_some(Err(why)), BTreeMap::new(), None));
        }
        Err(error) => return Err(error),
    };
    let components = match parts_of(workspace, app, &mut resolved, online) {
        Ok(components) => components,
        Err(error) if error.exit() == Exit::Refused || error.kind == Kind::Network => {
            let why = error.message;
            return Ok((Some(Err(why.clone())), final_cut.then_some(Err(why)), BTreeMap::new(), None));
        }
        Err(error) => return Err(error),
    };
    let candidate = match (&resolved.tag, final_cut) {
        (Some(Decision::Create(tag)), true) => Some(Ok(format!(
            "{} would go on {}, the commit of the highest release candidate",
            tag.name,
            tag.commit.short()
        ))),
        (Some(Decision::Reuse(tag)), true) => {
            Some(Ok(format!("{} is on {}, the commit of the highest release candidate", tag.name, tag.commit.short())))
        }
        (None, true) => Some(Ok(format!("{version} names its commit itself; no release candidate is needed"))),
        (_, false) => None,
    };
    // One repository deploys the branch itself: the change's own commit, unless it rolls back
    // to an earlier deployment, whose files it holds.
    let rollback = resolved.rollback.map(|rollback| rollback.to);
    let commit =
        if workspace.file.app.is_here() && rollback.is_none() { request.head.clone() } else { resolved.commit };
    Ok((Some(Ok(commit)), candidate, components, rollback))
}

/// Each component's commit beside the umbrella's, from the component caches fetched before: the
/// gate never makes them. Empty for an application of one repository, or when a cache is missing.
fn parts_of(
    workspace: &Workspace,
    app: &AppRepo,
    resolved: &mut deploy::Resolved,
    online: bool,
) -> Result<BTreeMap<String, ObjectId>, Error> {
    let mut repos = Vec::new();
    for component in &workspace.file.app.components {
        let Some(repo) = AppRepo::existing_component(workspace, component)? else { return Ok(BTreeMap::new()) };
        let tracked = match &component.branch {
            Some(branch) => branch.clone(),
            None => match repo.head_branch(false) {
                Ok(branch) => branch,
                Err(_) => return Ok(BTreeMap::new()),
            },
        };
        repos.push(deploy::ComponentRepo { component: component.clone(), app: repo, tracked });
    }
    if repos.is_empty() {
        return Ok(BTreeMap::new());
    }
    let parts = deploy::resolve_parts(workspace, app, &repos, resolved, online)?;
    Ok(std::iter::once((crate::config::UMBRELLA.to_owned(), resolved.commit.clone()))
        .chain(parts.into_iter().map(|part| (part.name, part.commit)))
        .collect())
}

/// Deploy on approval deploys a change before it merges: only into an environment that deploys
/// so (`gate = "self"`, as its own branch's file says, not the change), and only a change its
/// gate lets in on every count but the deployment itself.
///
/// # Errors
/// When the environment does not deploy on approval, or its gate refuses the change.
pub fn approvable(
    judging: &Workspace,
    app: &AppRepo,
    environment: &Environment,
    head: &ObjectId,
    online: bool,
) -> Result<(), Error> {
    let name = &environment.name;
    let (judging, target) = judging.governing(&environment.branch, online)?;
    if target.gate != GateMode::Self_ {
        return Err(
            deploy::Refusal::NotOnApproval { environment: name.clone(), branch: environment.branch.clone() }.into()
        );
    }
    // A promotion's head is on the branch of the environment before, as its remote has it: a
    // commit elsewhere that the environment before also ran (a feature branch it ran, say) is
    // no promotion.
    let befores = judging.file.before(&target);
    let mut on = None;
    for after in &befores {
        let (repo, remote) = (&judging.repo, &judging.remote);
        if online && repo.remote_url(remote).is_some() {
            crate::deploy::tip::fetch(&judging, after)?;
        }
        if let Some(tip) = repo.remote_branch_tip(&after.branch, remote)?.id() {
            if repo.is_ancestor(head, tip)? {
                on = Some(after.branch.clone());
                break;
            }
        }
    }
    if on.is_none() && !befores.is_empty() {
        return Err(deploy::Refusal::NoPromotion {
            commit: head.short().to_owned(),
            after: target.after_named(),
            after_branch: befores.iter().map(|e| e.branch.as_str()).collect::<Vec<_>>().join(" or "),
            branch: environment.branch.clone(),
        }
        .into());
    }
    let source = deploy::checks::pull_request_branch(head).or(on);
    let request = Request { target, source, head: head.clone(), settings: None };
    let verdict = evaluate(&judging, Some(app), &request, online)?;
    let refused: Vec<&Finding> = verdict.findings.iter().filter(|f| !f.ok && f.check != Check::SelfDeployed).collect();
    let Some(first) = refused.first() else { return Ok(()) };
    Err(deploy::Refusal::GateRefuses {
        environment: name.clone(),
        commit: head.short().to_owned(),
        findings: refused.iter().map(|f| format!("{}: {}", f.check.as_str(), f.message)).collect(),
        hint: first.hint.clone().unwrap_or_else(|| format!("see 'git release gate --target {name} --head {head}'")),
    }
    .into())
}
