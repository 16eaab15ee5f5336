//! The Jira issues a recorded deployment carries, and what each is told: a comment (once,
//! however often the deployment is recorded) and the environment's transition.

use crate::app::AppRepo;
use crate::context::Context;
use crate::error::Error;
use crate::jira::{Asked, JiraReport, Keys, Note, Piece, Update};
use crate::record::Record;
use crate::workspace::Workspace;

/// At most this many commits of a deployed range are read for issue keys.
const RANGE_READ: usize = 1000;

/// Tells the Jira issues the deployment carries: a comment on each (once, however often the
/// deployment is recorded), and the environment's transition where `[jira.transitions]` sets one.
///
/// # Errors
/// Only with `--jira-strict`: when Jira cannot be told.
pub fn tell(
    context: &Context,
    workspace: &Workspace,
    app: &AppRepo,
    asked: &Asked,
    record: &Record,
    dry_run: bool,
    given: Vec<String>,
) -> Result<Option<JiraReport>, Error> {
    if workspace.file.jira.is_none() && given.is_empty() {
        return Ok(None);
    }
    let deployment = &record.deployment;
    let done = if dry_run {
        format!("the deployment would be recorded as {}", record.tag)
    } else {
        format!("the deployment is recorded as {}", record.tag)
    };
    let keys = match deployed_keys(workspace, app, record, given) {
        Ok(keys) => keys,
        Err(error) => {
            let problem = Error::new(error.kind, "Jira: cannot tell which issues the deployment carries")
                .cause(error.message)
                .hint("fetch the application repository's history in full (a shallow clone lacks the commits)");
            return crate::jira::failed(context, asked, problem, &done).map(Some);
        }
    };
    let shown = deployment.version_tag.as_deref().map_or(deployment.version.as_str(), |tag| {
        tag.strip_prefix('v').filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit())).unwrap_or(tag)
    });
    let mut first = vec![Piece::Text(format!(
        "Deployed to {} in {shown} (commit {})",
        deployment.environment,
        deployment.commit.short()
    ))];
    match &deployment.pipeline {
        Some(url) => first.extend([Piece::Text(": ".into()), Piece::Link(url.clone())]),
        None => first.push(Piece::Text(".".into())),
    }
    let second = vec![
        Piece::Text("Recorded by git-release as ".into()),
        Piece::Code(record.tag.clone()),
        Piece::Text(".".into()),
    ];
    let transition = workspace.file.jira.as_ref().and_then(|jira| {
        jira.transitions
            .iter()
            .find(|(environment, _)| *environment == deployment.environment)
            .map(|(_, name)| name.clone())
    });
    let update = Update { note: Note { paragraphs: vec![first, second] }, marker: record.tag.clone(), transition };
    crate::jira::tell_all(context, workspace, asked, &keys, &update, dry_run, &done)
}

/// The issue keys a deployment carries: those named by the commits it deploys since the
/// environment's record before it (only the deployed commit's own message when there is none),
/// by the branch it came from, and the keys given with `--jira-issue`.
fn deployed_keys(
    workspace: &Workspace,
    app: &AppRepo,
    record: &Record,
    given: Vec<String>,
) -> Result<Vec<String>, Error> {
    let deployment = &record.deployment;
    let records = app.records(&workspace.file.tags, Some(&deployment.environment), 50)?;
    let before = match records.iter().position(|r| r.tag == record.tag) {
        Some(index) => records.get(index + 1),
        // Not made yet (a dry run): it would be the newest.
        None if app.tag(&record.tag)?.is_none() => records.first(),
        // Older than the newest 50: its range is not looked for.
        None => None,
    };
    let commits = match before {
        Some(before) => app.repo.commits_between(Some(&before.deployment.commit), &deployment.commit, RANGE_READ)?,
        None => app.repo.commits_between(None, &deployment.commit, 1)?,
    };
    let keys = Keys::of(workspace.file.jira.as_ref());
    let mut found = Vec::new();
    for (_, message) in commits.iter().rev() {
        keys.add(&mut found, message);
    }
    if let Some(branch) = &deployment.branch {
        keys.add(&mut found, branch);
    }
    for key in given {
        if !found.contains(&key) {
            found.push(key);
        }
    }
    Ok(found)
}
