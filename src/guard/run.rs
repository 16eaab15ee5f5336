//! A hook's run: the references git hands it, each gathered and judged (`gather`, `decide`), and
//! what is refused reported as errors (or JSON); warnings only when everything passes.

use serde::Serialize;

use super::{HookName, Refusal, Update, parse_updates, pre_commit_framework};
use crate::context::Context;
use crate::error::{Error, Exit, Kind};
use crate::object_id::ObjectId;
use crate::released;
use crate::ui::{Paint, Report};
use crate::workspace::Workspace;

/// Judges the references a hook was handed (`input`, its stdin) and reports; exit 1 when any is
/// refused.
///
/// # Errors
/// A line that is not in the hook's form, or a repository that cannot be read.
pub fn run(context: &Context, name: HookName, input: &str) -> Result<Exit, Error> {
    let mut updates = parse_updates(name, input)?;
    if updates.is_empty() && name == HookName::PrePush {
        let repo = context.repo()?;
        let was = |reference: &str, from: &ObjectId| value_before(&repo, reference, from);
        updates.extend(pre_commit_framework(&|key| std::env::var(key).ok(), &was)?);
        if updates.is_empty() && std::env::var_os("PRE_COMMIT").is_some() {
            context.ui.message(
                "note: the pre-commit framework named no reference (a push of a root commit); nothing was checked",
            );
        }
    }
    if updates.is_empty() {
        return Ok(Exit::Success);
    }
    // A repository without a release file is none of git-release's business.
    let Some(workspace) = workspace(context, &updates)? else { return Ok(Exit::Success) };
    if !updates.iter().any(|u| super::concerns(&u.reference, &workspace.file)) {
        return Ok(Exit::Success);
    }
    // A hook writes no tags: each reference's checks may share one listing of the loose tags.
    workspace.repo.keep_tag_listing();
    // Both sides judge with the application's records as they are now: a push to an
    // environment branch goes to the network anyway, and a copy fetched last week (or never, in a
    // fresh clone) would refuse what the server lets in.
    let fetch = !context.offline;
    let mut refused = Vec::new();
    let mut warnings = Vec::new();
    for update in &updates {
        let facts = super::gather(&workspace, update, fetch)?;
        match super::decide(&facts) {
            Some(refusal) => refused.push(refusal),
            None => warnings.extend(facts.warnings.into_iter().map(|note| format!("{}: {note}", update.reference))),
        }
    }
    let allowed = refused.is_empty();
    for warning in warnings.iter().filter(|_| allowed) {
        context.ui.warning(&Error::new(Kind::Refused, warning.clone()));
    }
    let report = HookReport { hook: name.as_str(), allowed, refused };
    if context.ui.json() {
        context.ui.report(&report);
    } else {
        for refusal in &report.refused {
            context.ui.error(&refusal_error(refusal));
        }
    }
    Ok(if allowed { Exit::Success } else { Exit::Refused })
}

/// The release file that says what to guard: `--config-from` when given, else the one a push
/// cannot rewrite ([`Workspace::load_guarding`]). Each environment branch is then judged by its
/// own settings as they stand before the push.
fn workspace(context: &Context, updates: &[Update]) -> Result<Option<Workspace>, Error> {
    let repo = context.repo()?;
    match context.config_from.as_deref() {
        Some(rev) => Workspace::load_if_any(repo, &context.remote, Some(rev)),
        None => match Workspace::load_guarding(repo.clone(), &context.remote)? {
            Some(workspace) => Ok(Some(workspace)),
            // An application repository guards its tags by the release repository's settings,
            // fetched only for a push that has tags (or names git would refuse) in it.
            None if updates.iter().any(|u| concerns_a_tag(&u.reference)) => released::workspace(&repo, &context.remote),
            None => Ok(None),
        },
    }
}

fn concerns_a_tag(reference: &str) -> bool {
    reference.starts_with("refs/tags/") || crate::refname::check_full(reference).is_err()
}

/// Whether `reference` stood at `from` on the remote before a push the pre-commit framework
/// describes. A branch did when its remote-tracking branch exists (the framework then passes the
/// remote's value); a tag did when `from` is a tag object (for a new tag the framework passes a
/// commit, the parent of its first new commit).
fn value_before(repo: &crate::git::Repo, reference: &str, from: &ObjectId) -> Result<bool, Error> {
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
        let remote = std::env::var("PRE_COMMIT_REMOTE_NAME").unwrap_or_else(|_| "origin".into());
        return Ok(repo.reference(&format!("refs/remotes/{remote}/{branch}"))?.is_some());
    }
    Ok(repo.object_kind(from)? == Some(crate::git::ObjectKind::Tag))
}

fn refusal_error(refusal: &Refusal) -> Error {
    let mut error = Error::new(Kind::Refused, format!("refusing {}: {}", refusal.reference, refusal.reason));
    for detail in &refusal.details {
        error = error.cause(detail.clone());
    }
    for hint in &refusal.hints {
        error = error.hint(hint.clone());
    }
    error
}

#[derive(Debug, Serialize)]
struct HookReport {
    hook: &'static str,
    allowed: bool,
    refused: Vec<Refusal>,
}

impl Report for HookReport {
    fn human(&self, _: Paint) -> String {
        String::new()
    }
}
