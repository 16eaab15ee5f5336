//! What a deployment must pass before `prepare` puts it out, and what it leaves for `record`:
//! a final release only of what the environment before ran, nothing again of what the
//! environment runs already. (Whether the gate lets a deployment on approval in is asked in
//! `gate_gather::approvable`, beside the rest of the gate's gathering.)

use crate::app::{AppRepo, Ask};
use crate::ci;
use crate::deploy::handoff::{self, Handoff};
use crate::deploy::{Part, Refusal, Resolved};
use crate::error::Error;
use crate::gate;
use crate::object_id::ObjectId;
use crate::plan::UNPUSHED;
use crate::record::Record;
use crate::version::{Cut, Version};
use crate::workspace::Workspace;

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
    if let (Version::Pin(pin), None) = (&resolved.wanted.version, &resolved.rollback) {
        // A pin is resolved anew at each deployment: a branch or pull request may have moved on
        // since the gate let the pin in, to a commit the environments before never ran.
        let tree =
            workspace.file.matches_trees(environment).then(|| app.repo.commit_tree(&resolved.commit)).transpose()?;
        for after in &environment.after {
            let ask = Ask { environment: after, commit: &resolved.commit, tree: tree.as_ref() };
            if app.survey(&workspace.file.tags, &[], &[ask])?.deployed(0).matching.is_none() {
                return Err(Refusal::PinNotDeployedBefore {
                    environment: environment.name.clone(),
                    after: after.clone(),
                    pin: pin.to_string(),
                    commit: resolved.commit.short().to_owned(),
                }
                .into());
            }
        }
    }
    let (Cut::Final, Some(decision)) = (environment.cut, &resolved.tag) else {
        return Ok(());
    };
    if resolved.rollback.is_some() {
        // What the environment itself ran before needs nothing of the environment before it.
        return Ok(());
    }
    // The commit the final tag goes on itself, whatever the layout: a commit of the same files
    // on no branch is not what the environments before deployed. But where the environment
    // matches trees (always in one repository), an environment before that released this very
    // final tag ran it through the merge that brought it onto its own branch: a record of that
    // tag on a commit of the same files counts. Each of them, where several come before.
    let rc = &decision.tag().commit;
    let tree = workspace.file.matches_trees(environment).then(|| app.repo.commit_tree(rc)).transpose()?;
    let final_name = &decision.tag().name;
    for after in &environment.after {
        let ask = Ask { environment: after, commit: rc, tree: None };
        let mut previous = app.survey(&workspace.file.tags, &[], &[ask])?.deployed(0);
        if let (None, Some(tree)) = (&previous.matching, &tree) {
            let ask = Ask { environment: after, commit: rc, tree: Some(tree) };
            let by_files = app.survey(&workspace.file.tags, &[], &[ask])?.deployed(0);
            if by_files.matching.as_ref().is_some_and(|r| r.deployment.version_tag.as_ref() == Some(final_name)) {
                previous = by_files;
            }
        }
        if previous.matching.is_none() {
            let tag = decision.tag();
            return Err(Refusal::NotDeployedBefore {
                environment: environment.name.clone(),
                after: after.clone(),
                commit: rc.short().to_owned(),
                tag: tag.name.clone(),
                version: resolved.wanted.version.to_string(),
            }
            .into());
        }
        // As the gate asks: what the previous environment deployed since counts too.
        let before = workspace.file.environment(after).filter(|_| environment.previous_current);
        let stale = before.and_then(|before| gate::previous_current(before, &previous)).filter(|f| !f.ok);
        if let Some(finding) = stale {
            return Err(Refusal::NoLongerRunBefore {
                message: finding.message,
                tag: decision.tag().name.clone(),
                hint: finding.hint,
            }
            .into());
        }
    }
    Ok(())
}
