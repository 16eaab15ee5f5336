//! What a deployment must pass before `prepare` puts it out, and what it leaves for `record`:
//! a final release only of what the environment before ran, a deployment on approval only of
//! what the gate would let in, nothing again of what the environment runs already.

use crate::admission::{self, Request};
use crate::app::{AppRepo, Ask};
use crate::ci;
use crate::config::{Environment, GateMode};
use crate::deploy::handoff::{self, Handoff};
use crate::deploy::{Part, Resolved};
use crate::error::{Error, Kind};
use crate::gate::{self, Check, Finding};
use crate::object_id::ObjectId;
use crate::plan::UNPUSHED;
use crate::record::Record;
use crate::version::Cut;
use crate::workspace::Workspace;

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
        return Err(Error::new(
            Kind::Usage,
            format!("--commit deploys a pull request before its merge, and {name} does not deploy on approval"),
        )
        .cause(format!("{name} has gate = \"previous\": it deploys its branch's head once a change is merged"))
        .hint(format!("merge the change into {}, then run 'git release prepare {name}'", environment.branch))
        .hint(format!("to deploy {name} on approval, set gate = \"self\" for it on its branch")));
    }
    // A promotion's head is on the branch of the environment before, as its remote has it: a
    // commit elsewhere that the environment before also ran (a feature branch it ran, say) is
    // no promotion.
    let after = target.after.as_deref().and_then(|after| judging.file.environment(after));
    if let Some(after) = &after {
        let (repo, remote) = (&judging.repo, &judging.remote);
        if online && repo.remote_url(remote).is_some() {
            crate::deploy::tip::fetch(&judging, after)?;
        }
        let on = match repo.remote_branch_tip(&after.branch, remote)?.id() {
            Some(tip) => repo.is_ancestor(head, tip)?,
            None => false,
        };
        if !on {
            return Err(Error::new(
                Kind::Refused,
                format!(
                    "{} is not on {}, so it is no promotion from {} to deploy on approval",
                    head.short(),
                    after.branch,
                    after.name
                ),
            )
            .hint(format!(
                "open the pull request into {} from {}, and deploy its head",
                environment.branch, after.branch
            )));
        }
    }
    let source = pull_request_branch(head).or_else(|| after.map(|after| after.branch.clone()));
    let request = Request { target, source, head: head.clone(), settings: None };
    let verdict = admission::evaluate(&judging, Some(app), &request, online)?;
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

/// The branch of the pull request whose pipeline this is, by the CI's variables, when `commit`
/// is its head and it comes from this repository.
#[must_use]
pub fn pull_request_branch(commit: &ObjectId) -> Option<String> {
    let var = |key: &str| std::env::var(key).ok();
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let pull_request = ci::System::detect(&var)?.pull_request(&var, &read).ok()?;
    (pull_request.head == commit.as_str() && pull_request.fork.is_none()).then_some(pull_request.source)
}

/// What was decided, to leave where `record` in this checkout finds it, so that it records this
/// deployment and not whatever the branches hold by then.
#[must_use]
pub fn handoff_of(resolved: &Resolved, parts: &[Part]) -> Handoff {
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
///
/// # Errors
/// When the records or trees cannot be read.
pub fn already_deployed(
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

/// A final release deploys the commit of the highest release candidate, which anyone who may
/// push a tag can make: it goes out only when the environment before it deployed that very
/// commit, as the gate asks of a promotion.
///
/// # Errors
/// When the environment before did not deploy it, or no longer runs it.
pub fn deployed_before(workspace: &Workspace, app: &AppRepo, resolved: &Resolved) -> Result<(), Error> {
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
