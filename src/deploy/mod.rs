//! What an environment deploys now: its version, the commit that version resolves to, and the
//! version tag its `cut` calls for. Gathered from both repositories, decided by `version::cut`,
//! and turned into a plan of tag writes.

use std::collections::BTreeMap;

use crate::app::AppRepo;
use crate::config::{Deploys, Environment, PreviewPin, Tags};
use crate::error::Error;
use crate::git::Ident;
use crate::object_id::ObjectId;
use crate::plan::{NewTag, Plan};
use crate::version::{self, Cut, Decision, Version, VersionTag};
use crate::workspace::Workspace;

pub mod checks;
pub mod drift;
pub mod handoff;
mod parts;
mod refusal;
pub mod rollback;
pub mod tip;

pub use parts::{ComponentRepo, Part, resolve_parts};
pub use refusal::Refusal;

/// What an environment's branch asks for: its version, read from the branch tip.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub environment: Environment,
    pub version: Version,
    /// The environment branch commit the version was read from.
    pub release_commit: ObjectId,
    /// Things a person should know about how this was read.
    pub notes: Vec<String>,
    /// What a preview's branch pins each repository to.
    pub pins: Vec<PreviewPin>,
    /// What the branch's release file tells the environment's pipeline.
    pub variables: BTreeMap<String, String>,
}

impl Wanted {
    /// The pin of one repository (`app` for the umbrella), on a preview's branch.
    #[must_use]
    pub fn pin(&self, component: &str) -> Option<&PreviewPin> {
        self.pins.iter().find(|pin| pin.component == component)
    }
}

/// An environment's deployment, resolved: nothing has been written.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub wanted: Wanted,
    /// The branch the commit comes from, when it comes from one.
    pub branch: Option<String>,
    pub commit: ObjectId,
    /// The version tag to reuse or create, for `rc` and `final` (and a version naming a tag).
    pub tag: Option<Decision>,
    /// The earlier deployment the environment branch rolls back to, when it does.
    pub rollback: Option<rollback::Rollback>,
}

/// Reads the version on the environment branch at the commit `tip` chose.
///
/// # Errors
/// When the branch or its release file is missing, or the file is invalid (a version that does
/// not fit the environment's `cut` among its problems).
pub fn wanted(workspace: &Workspace, environment: &Environment, tip: tip::Tip) -> Result<Wanted, Error> {
    let state = workspace.environment_state_at(environment, tip.tip)?;
    let Some(release_commit) = state.tip.id().cloned() else {
        return Err(missing_branch(workspace, environment));
    };
    let notes = tip.notes;
    let Some(version) = state.version else {
        return Err(Refusal::NoReleaseFile { branch: environment.branch.clone() }.into());
    };
    // The branch being deployed says what its pipeline is told, as it says which version runs.
    let own = state.file.as_ref().and_then(|read| read.file.environment(&environment.name));
    let variables = own.unwrap_or(environment).variables.clone();
    Ok(Wanted { environment: environment.clone(), version, release_commit, notes, pins: state.pins, variables })
}

/// The branches a deployment of `environment` reads from the application repository.
///
/// # Errors
/// When the application repository's HEAD branch must be asked for and cannot be.
pub fn tracked_branch(
    workspace: &Workspace,
    app: &AppRepo,
    environment: &Environment,
    online: bool,
) -> Result<String, Error> {
    if workspace.file.app.is_here() {
        return Ok(environment.branch.clone());
    }
    match &workspace.file.app.branch {
        Some(branch) => Ok(branch.clone()),
        None => app.head_branch(online),
    }
}

/// How many branches a fetch names one by one; more are fetched with one pattern.
const MANY_BRANCHES: usize = 32;

/// Fetches from the application repository's remote its tags, and the branches deployments of
/// `environments` read; nothing when it has no remote.
///
/// # Errors
/// When the remote cannot be reached or asked for its HEAD branch.
pub fn refresh(workspace: &Workspace, app: &AppRepo, environments: &[&Environment]) -> Result<(), Error> {
    if !app.has_remote() {
        return Ok(());
    }
    let mut tracked: Vec<String> = Vec::new();
    if workspace.file.app.is_here() {
        let mut seen = std::collections::HashSet::new();
        tracked.extend(environments.iter().map(|e| &e.branch).filter(|b| seen.insert(*b)).cloned());
        // git matches every reference against every refspec: past a few dozen branches, one
        // pattern for all of them costs less than naming each.
        if tracked.len() > MANY_BRANCHES {
            tracked = vec!["*".to_owned()];
        }
    } else if let Some(first) = environments.first() {
        // One branch for every environment: asked of the remote once.
        tracked.push(tracked_branch(workspace, app, first, true)?);
    }
    let release_branch = workspace.file.app.release_branch.as_ref().filter(|_| !workspace.file.app.is_here());
    app.fetch(&tracked, release_branch)
}

/// Decides what the wanted version deploys.
///
/// # Errors
/// When the source branch is missing, or the `cut` refuses (a released version, no release
/// candidate).
pub fn resolve(
    workspace: &Workspace,
    app: &AppRepo,
    wanted: Wanted,
    tracked: &str,
    online: bool,
) -> Result<Resolved, Error> {
    let (environment, version) = (&wanted.environment, &wanted.version);
    let tags = &workspace.file.tags;
    let text = version.to_string();
    let asked = rollback::asked(workspace, app, &environment.name, &wanted.release_commit, version)?;
    if let Some(rollback) = asked {
        let deployment = &rollback.to.deployment;
        let tag = match &deployment.version_tag {
            Some(name) => existing_tag(app, name)?.filter(|tag| tag.commit == deployment.commit).map(Decision::Reuse),
            None => None,
        };
        let (branch, commit) = (deployment.branch.clone(), deployment.commit.clone());
        return Ok(Resolved { wanted, branch, commit, tag, rollback: Some(rollback) });
    }
    if let Some(pin) = wanted.pin(crate::config::UMBRELLA) {
        let commit = parts::pinned(app, pin, online)?;
        return Ok(Resolved { wanted, branch: None, commit, tag: None, rollback: None });
    }
    if let Version::Pin(pin) = version {
        let (commit, branch) = app.resolve_pin(pin, workspace.configured_forge(), online)?;
        return Ok(Resolved { wanted, branch, commit, tag: None, rollback: None });
    }
    let (mut branch, source) = source(workspace, app, &wanted, tracked)?;
    let (commit, tag) = match environment.cut {
        Cut::Rc => {
            let existing = app.version_tags(tags, &text)?;
            let name_of = |n| tags.rc.render(&version::TagValues { version: &text, n, ..version::TagValues::SAMPLE });
            let decision = version::cut::rc(&text, &existing, &source, name_of).map_err(refusal)?;
            (decision.tag().commit.clone(), Some(decision))
        }
        Cut::Final => {
            let existing = app.version_tags(tags, &text)?;
            let final_name = tags.final_.render(&version::TagValues { version: &text, ..version::TagValues::SAMPLE });
            let decision = version::cut::final_(&text, &existing, &final_name, &rc_environment(workspace, environment))
                .map_err(refusal)?;
            let commit = if workspace.file.app.is_here() {
                final_on_head(app, &wanted, decision.tag(), &source)?
            } else {
                // Named as the branch the candidate was cut from, such as release/1.1.0.
                branch = holding_branch(workspace, app, version, &decision.tag().commit, tracked)?;
                decision.tag().commit.clone()
            };
            (commit, Some(decision))
        }
        Cut::None => {
            named_tag(app, version)?.map_or((source, None), |tag| (tag.commit.clone(), Some(Decision::Reuse(tag))))
        }
    };
    Ok(Resolved { wanted, branch, commit, tag, rollback: None })
}

/// Whether a version tag on `tagged` stands for a deployment of `deployed`: the same commit, or
/// with `trees` a commit of the same files (in one repository, a final runs the head that merges
/// its candidate unchanged). A commit that cannot be read stands for nothing.
#[must_use]
pub fn stands_on(repo: &crate::git::Repo, tagged: &ObjectId, deployed: &ObjectId, trees: bool) -> bool {
    tagged == deployed
        || (trees && matches!((repo.commit_tree(tagged), repo.commit_tree(deployed)), (Ok(a), Ok(b)) if a == b))
}

/// The branch that holds `commit`: the version's release branch when it exists and holds it,
/// else the tracked branch when it does; `None` when neither does.
fn holding_branch(
    workspace: &Workspace,
    app: &AppRepo,
    version: &Version,
    commit: &ObjectId,
    tracked: &str,
) -> Result<Option<String>, Error> {
    let release = workspace.file.app.release_branch.as_ref().map(|p| p.for_version(version));
    for name in release.iter().map(String::as_str).chain([tracked]) {
        if let Some(tip) = app.branch(name)? {
            if app.repo.is_ancestor(commit, &tip)? {
                return Ok(Some(name.to_owned()));
            }
        }
    }
    Ok(None)
}

/// One repository: an environment runs its branch's head, and a final release is that head
/// only when it holds exactly the files of the highest rc's commit: that commit itself, or the
/// merge commit or squash a forge made of its promotion. The final tag stays on the rc's commit,
/// which `prepare` requires the environment before to have deployed.
fn final_on_head(app: &AppRepo, wanted: &Wanted, tag: &VersionTag, head: &ObjectId) -> Result<ObjectId, Error> {
    let rc = &tag.commit;
    if rc == head || app.repo.commit_tree(rc)? == app.repo.commit_tree(head)? {
        return Ok(head.clone());
    }
    let environment = &wanted.environment;
    let after =
        if environment.after.is_empty() { "the environment before".to_owned() } else { environment.after_named() };
    Err(Refusal::HeadNotReleased {
        environment: environment.name.clone(),
        branch: environment.branch.clone(),
        head: head.short().to_owned(),
        tag: tag.name.clone(),
        version: wanted.version.to_string(),
        rc: rc.short().to_owned(),
        after,
    }
    .into())
}

/// The plan that makes a decided version tag exist here and, with `push`, on the remote.
///
/// A new tag is pushed before the local reference is written; a tag that exists is pushed again,
/// which the remote takes as up to date, so that a tag left unpushed by an earlier run gets pushed.
#[must_use]
pub fn tag_plan(
    app: &AppRepo,
    resolved: &Resolved,
    existing_target: Option<ObjectId>,
    tagger: &Ident,
    push: bool,
) -> Plan {
    tag_plan_for(app, &resolved.wanted, resolved.tag.as_ref(), existing_target, tagger, push)
}

/// As [`tag_plan`], for any repository of the application.
#[must_use]
pub fn tag_plan_for(
    app: &AppRepo,
    wanted: &Wanted,
    decision: Option<&Decision>,
    existing_target: Option<ObjectId>,
    tagger: &Ident,
    push: bool,
) -> Plan {
    let mut plan = Plan { reflog: format!("release: prepare {}", wanted.environment.name), ..Plan::default() };
    let remote = push.then_some(app.remote.as_str());
    match (decision, existing_target, remote) {
        (Some(Decision::Create(tag)), _, _) => {
            let message = tag_message(wanted, &tag.name);
            let new = NewTag { name: tag.name.clone(), commit: tag.commit.clone(), tagger: tagger.clone(), message };
            plan.create_tag(new, remote);
        }
        (Some(Decision::Reuse(tag)), Some(target), Some(remote)) => plan.push_existing_tag(remote, &tag.name, target),
        _ => {}
    }
    plan
}

fn tag_message(wanted: &Wanted, name: &str) -> String {
    let Wanted { environment, version, release_commit, .. } = wanted;
    let subject = match environment.cut {
        Cut::Final => format!("Release {version}"),
        _ => format!("Release candidate {name} of {version}"),
    };
    let environment = &environment.name;
    format!("{subject}\n\nEnvironment: {environment}\nVersion: {version}\nRelease-Commit: {release_commit}\n")
}

/// Where the deployable commit comes from: the one-repository layout deploys the environment
/// branch's commit the version was read from; otherwise `release/{version}` when it exists, else
/// the tracked branch.
fn source(
    workspace: &Workspace,
    app: &AppRepo,
    wanted: &Wanted,
    tracked: &str,
) -> Result<(Option<String>, ObjectId), Error> {
    let (environment, version) = (&wanted.environment, &wanted.version);
    if workspace.file.app.is_here() && environment.deploys != Deploys::AnyBranch {
        return Ok((Some(environment.branch.clone()), wanted.release_commit.clone()));
    }
    match branch_source(workspace, app, environment.cut, version, tracked)? {
        Some((branch, id)) => Ok((Some(branch), id)),
        None => Err(Refusal::AppBranchMissing { branch: tracked.to_owned(), app: app.name.clone() }.into()),
    }
}

/// `release/{version}` of `app` for an rc deployment when that branch exists, else the tracked
/// branch; `None` when that is missing too.
fn branch_source(
    workspace: &Workspace,
    app: &AppRepo,
    cut: Cut,
    version: &Version,
    tracked: &str,
) -> Result<Option<(String, ObjectId)>, Error> {
    if cut == Cut::Rc {
        if let Some(pattern) = &workspace.file.app.release_branch {
            let release = pattern.for_version(version);
            if let Some(id) = app.branch(&release)? {
                return Ok(Some((release, id)));
            }
        }
    }
    Ok(app.branch(tracked)?.map(|id| (tracked.to_owned(), id)))
}

/// The version tag of `version` on `commit`, if any: the final tag, else the highest rc.
///
/// # Errors
/// When the tags cannot be read.
pub fn version_tag_on(
    app: &AppRepo,
    tags: &Tags,
    version: &Version,
    commit: &ObjectId,
) -> Result<Option<String>, Error> {
    if let Some(tag) = named_tag(app, version)? {
        return Ok((&tag.commit == commit).then_some(tag.name));
    }
    if !version.cuts_tags() {
        return Ok(None);
    }
    let existing = app.version_tags(tags, &version.to_string())?;
    if let Some(tag) = existing.final_.filter(|tag| &tag.commit == commit) {
        return Ok(Some(tag.name));
    }
    let on_commit = existing.rcs.into_iter().filter(|(_, tag)| &tag.commit == commit);
    Ok(on_commit.max_by_key(|(n, _)| *n).map(|(_, tag)| tag.name))
}

/// The final tag of `version` when `head` holds exactly its commit's files: in one repository,
/// an environment that cuts final tags runs its branch head, which is the final tag's commit or
/// the merge commit or squash of its promotion (see `final_on_head`).
pub fn final_held_by(app: &AppRepo, tags: &Tags, version: &Version, head: &ObjectId) -> Result<Option<String>, Error> {
    if !version.cuts_tags() {
        return Ok(None);
    }
    let Some(tag) = app.version_tags(tags, &version.to_string())?.final_ else { return Ok(None) };
    Ok(stands_on(&app.repo, &tag.commit, head, true).then_some(tag.name))
}

/// A version that names an existing tag (`v1.3.0`) deploys that tag's commit.
fn named_tag(app: &AppRepo, version: &Version) -> Result<Option<version::VersionTag>, Error> {
    let Version::Named(name) = version else { return Ok(None) };
    existing_tag(app, name)
}

/// The tag `name` and the commit it names, when it exists and names one.
fn existing_tag(app: &AppRepo, name: &str) -> Result<Option<version::VersionTag>, Error> {
    let Some(tag) = app.tag(name)? else { return Ok(None) };
    Ok(app.repo.tag_commit(&tag)?.map(|commit| version::VersionTag { name: tag.name, commit }))
}

/// The environment whose deployments cut the release candidates a final deployment needs.
fn rc_environment(workspace: &Workspace, environment: &Environment) -> String {
    let environments = &workspace.file.environments;
    // Back along `after` to the nearest that cuts them; else any that does.
    let mut seen: Vec<&str> = Vec::new();
    let mut next: Vec<&Environment> = workspace.file.before(environment);
    while let Some(before) = next.pop() {
        if before.cut == Cut::Rc {
            return before.name.clone();
        }
        if !seen.contains(&before.name.as_str()) {
            seen.push(&before.name);
            next.splice(0..0, workspace.file.before(before));
        }
    }
    environments
        .iter()
        .find(|e| e.cut == Cut::Rc)
        .map_or_else(|| "an environment with cut = \"rc\"".to_owned(), |e| e.name.clone())
}

/// A refusal of the version rules, as a deployment's.
fn refusal(refusal: version::Refusal) -> Error {
    Refusal::Version(refusal).into()
}

fn missing_branch(workspace: &Workspace, environment: &Environment) -> Error {
    Refusal::BranchMissing {
        environment: environment.name.clone(),
        branch: environment.branch.clone(),
        remote: workspace.remote.clone(),
    }
    .into()
}
