//! Preview branches: create one from references resolved to commits, list them as the remote
//! has them, delete one (here and on the remote, while it is where it was seen). Each builds a
//! plan that `execute` carries out or, on a dry run, only shows.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{MAX_NAME, Refusal, Request};
use crate::app::{AppRepo, normalize, repository_name};
use crate::config::{self, Environment, FILE_NAME, PreviewPin, UMBRELLA};
use crate::context::Context;
use crate::error::{Error, Kind};
use crate::execute;
use crate::forge;
use crate::git::Expect;
use crate::object_id::ObjectId;
use crate::plan::{DeleteRef, MoveRef, NewCommit, ObjectRef, Plan, Push, Step};
use crate::secret::redact;
use crate::ui::{Paint, Report};
use crate::version::pin::Target;
use crate::workspace::{PREVIEW_PREFIX, Workspace};

/// The entries of a JSON body as `component=reference`: a key without `/` is the component's
/// name; a key `owner/repo` must name a repository of the application, by the end of its
/// address or by its name, so that a body cannot pin the application to another repository's
/// code (the reference itself may still be a fork's).
/// # Errors
/// A key that names no repository of the application.
pub fn keyed(workspace: &Workspace, entries: Vec<(String, String)>) -> Result<Vec<String>, Error> {
    let repositories = repositories(workspace);
    let mut references = Vec::new();
    for (key, reference) in entries {
        if !key.contains('/') {
            references.push(format!("{key}={reference}"));
            continue;
        }
        let wanted = key.trim_matches('/').to_lowercase();
        let name = wanted.rsplit('/').next().unwrap_or_default();
        let by_address: Vec<&Repository> =
            repositories.iter().filter(|r| normalize(&r.url).ends_with(&format!("/{wanted}"))).collect();
        let by_name: Vec<&Repository> = repositories.iter().filter(|r| repository_name(&r.url) == name).collect();
        let (([found], _) | ([], [found])) = (by_address.as_slice(), by_name.as_slice()) else {
            let known = repositories.iter().map(|r| redact(&r.url)).collect::<Vec<_>>().join(", ");
            return Err(Refusal::UnknownKey { key, known }.into());
        };
        references.push(format!("{}={reference}", found.name));
    }
    Ok(references)
}

/// One repository of the application, as previews match references against it.
struct Repository {
    name: String,
    /// Its address, as git fetches it.
    url: String,
}

/// Creates a preview's branch and pushes it, or (dry) shows the plan.
///
/// # Errors
/// A bad name or reference, a reference that cannot be resolved, or a failed push.
pub fn create(
    context: &Context,
    workspace: &Workspace,
    name: &str,
    references: &[String],
    dry_run: bool,
) -> Result<(), Error> {
    check_name(name)?;
    if context.offline {
        return Err(Refusal::Offline.into());
    }
    let pins = pins_of(context, workspace, references)?;
    let commits: Vec<(String, ObjectId)> = pins.iter().map(|pin| (pin.component.clone(), pin.commit.clone())).collect();
    let unique = super::unique_name(name, &commits);
    let branch = format!("{PREVIEW_PREFIX}{unique}");
    let reference = format!("refs/heads/{branch}");
    let online = workspace.repo.remote_url(&workspace.remote).is_some();
    let on_remote = if online {
        workspace
            .repo
            .ls_remote(&workspace.remote, std::slice::from_ref(&reference))?
            .into_iter()
            .next()
            .map(|(_, id)| id)
    } else {
        None
    };
    let local = workspace.repo.reference(&reference)?;
    let mut plan = Plan { reflog: format!("release: preview create {unique}"), ..Plan::default() };
    match (&on_remote, &local) {
        (None, Some(local)) if online => plan.pushes.push(Push {
            remote: workspace.remote.clone(),
            destination: reference.clone(),
            commit: ObjectRef::Existing(local.clone()),
            lease: Expect::Absent,
        }),
        (Some(_), _) | (None, Some(_)) => {}
        (None, None) => {
            let (base, text) = base_file(workspace)?;
            let pinned_text =
                config::edit::pin_preview(&text, &pins).map_err(|e| Refusal::CannotPin { why: e.to_string() })?;
            let mut message = format!("Preview {unique}\n\n");
            for pin in &pins {
                message.push_str(&format!("{}: {} at {}\n", pin.component, pin.reference, pin.commit));
            }
            plan.commits.push(NewCommit {
                parent: Some(ObjectRef::Existing(base.clone())),
                base: Some(base),
                path: FILE_NAME.into(),
                content: pinned_text,
                copied: None,
                merged: None,
                message,
            });
            if online {
                plan.pushes.push(Push {
                    remote: workspace.remote.clone(),
                    destination: reference.clone(),
                    commit: ObjectRef::Planned(0),
                    lease: Expect::Absent,
                });
            }
            plan.refs.push(MoveRef { name: reference.clone(), to: ObjectRef::Planned(0), old: Expect::Absent });
        }
    }
    let created = !plan.commits.is_empty();
    let mut report = CreateReport {
        name: unique.clone(),
        branch: branch.clone(),
        components: pins
            .iter()
            .map(|pin| (pin.component.clone(), Pinned { reference: pin.reference.clone(), commit: pin.commit.clone() }))
            .collect(),
        created,
        pushed: false,
        dry_run,
        steps: Vec::new(),
    };
    let nothing = plan.commits.is_empty() && plan.pushes.is_empty();
    if execute::carry_out(&workspace.repo, &plan, dry_run || nothing)?.is_none() {
        if dry_run {
            report.steps = plan.steps();
        } else {
            context.ui.message(&format!("{branch} exists already; nothing to do"));
        }
    } else {
        report.pushed = !plan.pushes.is_empty();
        let pushed = if report.pushed { format!(", pushed to {}", workspace.remote) } else { String::new() };
        let done = if created { "created" } else { "found" };
        context.ui.message(&format!("{done} {branch}{pushed}"));
        for pin in &pins {
            context.ui.message(&format!("  {} at {} ({})", pin.component, pin.commit.short(), pin.reference));
        }
    }
    context.ui.report(&report);
    Ok(())
}

/// Each reference resolved to a commit of the repository it is for.
fn pins_of(context: &Context, workspace: &Workspace, references: &[String]) -> Result<Vec<PreviewPin>, Error> {
    let repositories = repositories(workspace);
    let forge = forge_kind(workspace);
    let template = workspace.file.forge.as_ref().and_then(|forge| forge.git_url.as_deref());
    let mut pins: Vec<PreviewPin> = Vec::new();
    for text in references {
        if crate::secret::has_credentials(text) {
            return Err(crate::version::pin::holds_credentials(text));
        }
        let request = Request::parse(text).ok_or_else(|| unknown_form(text))?;
        let url = super::git_url(&request, template, forge).map_err(|why| Error::new(Kind::Config, why))?;
        let component = component_of(&request, &url, &repositories)?;
        if pins.iter().any(|pin| pin.component == component) {
            return Err(Refusal::Twice { component }.into());
        }
        let commit = resolve(context, workspace, &request, &url, &component, forge)?;
        pins.push(PreviewPin { component, reference: request.text.clone(), url, commit });
    }
    Ok(pins)
}

fn check_name(name: &str) -> Result<(), Error> {
    if config::is_simple_name(name) && name.len() <= MAX_NAME && !name.ends_with('-') {
        return Ok(());
    }
    Err(Refusal::BadName { name: name.escape_debug().to_string() }.into())
}

fn unknown_form(text: &str) -> Error {
    Refusal::UnknownForm { text: redact(&text.escape_debug().to_string()) }.into()
}

/// The umbrella (or the one application repository) and each component, with the address git
/// fetches it from.
fn repositories(workspace: &Workspace) -> Vec<Repository> {
    let app = &workspace.file.app;
    let umbrella =
        if app.is_here() { workspace.repo.remote_url(&workspace.remote).unwrap_or_default() } else { app.repo.clone() };
    std::iter::once(Repository { name: UMBRELLA.to_owned(), url: umbrella })
        .chain(app.components.iter().map(|c| Repository { name: c.name.clone(), url: c.repo.clone() }))
        .collect()
}

/// Which repository a reference is for: the one it names with `component=`, else the one at its
/// address, else the one of the same name (a fork's), else the only one.
fn component_of(request: &Request, url: &str, repositories: &[Repository]) -> Result<String, Error> {
    let names = || repositories.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
    if let Some(component) = &request.component {
        if repositories.iter().any(|r| &r.name == component) {
            return Ok(component.clone());
        }
        return Err(
            Refusal::NoSuchRepository { component: component.escape_debug().to_string(), names: names() }.into()
        );
    }
    let wanted = normalize(url);
    if let Some(found) = repositories.iter().find(|r| normalize(&r.url) == wanted) {
        return Ok(found.name.clone());
    }
    let same_name: Vec<&Repository> =
        repositories.iter().filter(|r| repository_name(&r.url) == request.repository_name()).collect();
    match (same_name.as_slice(), repositories) {
        ([one], _) => Ok(one.name.clone()),
        (_, [only]) => Ok(only.name.clone()),
        _ => Err(Refusal::WhichRepository { reference: request.text.clone(), names: names() }.into()),
    }
}

/// The commit a reference points at now, asked of its repository.
fn resolve(
    context: &Context,
    workspace: &Workspace,
    request: &Request,
    url: &str,
    component: &str,
    forge: Option<forge::Kind>,
) -> Result<ObjectId, Error> {
    let shown = redact(url);
    if let Target::Commit(sha) = &request.pin.target {
        let cache = repository_cache(workspace, component)?;
        if let Ok(id) = cache.repo.rev_parse_commit(sha) {
            return Ok(id);
        }
        let Some(full) = ObjectId::from_hex(sha) else {
            return Err(Refusal::ShortCommit { reference: request.text.clone() }.into());
        };
        context.ui.trace(&format!("checking that {shown} has {full}"));
        return match cache.repo.fetch(url, &[full.to_string()], false) {
            Ok(()) => Ok(full),
            Err(source) => Err(Refusal::NoSuchCommit {
                reference: request.text.clone(),
                repository: shown,
                causes: crate::error::Diagnostic::causes(&source),
            }
            .into()),
        };
    }
    let reference = super::git_ref(request, forge).map_err(|why| Error::new(Kind::Config, why))?.expect("not a commit");
    let found = workspace.repo.ls_remote(url, std::slice::from_ref(&reference))?;
    if let Some((_, id)) = found.into_iter().find(|(name, _)| name == &reference) {
        return Ok(id);
    }
    let (what, pull_request) = match &request.pin.target {
        Target::PullRequest(number) => (format!("pull request {number}"), true),
        _ => (format!("branch {}", reference.trim_start_matches("refs/heads/")), false),
    };
    Err(Refusal::NoSuchReference { what, repository: shown, reference, pull_request }.into())
}

/// The repository whose objects a commit reference is checked in.
fn repository_cache(workspace: &Workspace, component: &str) -> Result<AppRepo, Error> {
    match workspace.file.app.components.iter().find(|c| c.name == component) {
        Some(component) => AppRepo::component(workspace, component),
        None => AppRepo::open(workspace, None),
    }
}

/// The forge `[forge] kind` names, else the one the remote's address is on.
fn forge_kind(workspace: &Workspace) -> Option<forge::Kind> {
    workspace
        .configured_forge()
        .or_else(|| workspace.repo.remote_url(&workspace.remote).as_deref().and_then(forge::kind_of))
}

/// The release file a preview starts from: the first environment's, on its branch.
fn base_file(workspace: &Workspace) -> Result<(ObjectId, String), Error> {
    let first: &Environment = workspace.file.environments.first().expect("a valid file has environments");
    let state = workspace.environment_state(first)?;
    let missing = || Error::from(Refusal::NoBaseFile { branch: first.branch.clone() });
    let tip = state.tip.id().cloned().ok_or_else(missing)?;
    let Some((config::Content::Bytes(bytes), _)) = workspace.branch_file(first, &state.tip)? else {
        return Err(missing());
    };
    let text = String::from_utf8(bytes).map_err(|_| missing())?;
    Ok((tip, text))
}

/// Every preview, as the remote has it when there is one (fetched first, when `fetch`), else as
/// here.
pub fn list(workspace: &Workspace, fetch: bool) -> Result<Vec<Listed>, Error> {
    let remote = &workspace.remote;
    let has_remote = workspace.repo.remote_url(remote).is_some();
    if has_remote && fetch {
        let refspec = format!("+refs/heads/{PREVIEW_PREFIX}*:refs/remotes/{remote}/{PREVIEW_PREFIX}*");
        workspace.repo.fetch_pruned(remote, &refspec)?;
    }
    let prefix = if has_remote {
        format!("refs/remotes/{remote}/{PREVIEW_PREFIX}")
    } else {
        format!("refs/heads/{PREVIEW_PREFIX}")
    };
    let mut previews = Vec::new();
    for (reference, commit) in workspace.repo.commits_under(&prefix)? {
        let name = reference[prefix.len()..].to_owned();
        let created = workspace.repo.commit_seconds(&commit)?;
        let pins = match workspace.repo.read_top_file(&commit, FILE_NAME)? {
            Some(file) => {
                let origin = config::Origin { place: reference.clone(), branch: None };
                config::parse(&file, &origin).map(|file| file.preview.pins).unwrap_or_default()
            }
            None => Vec::new(),
        };
        let components = pins
            .into_iter()
            .map(|pin| (pin.component, Pinned { reference: pin.reference, commit: pin.commit }))
            .collect();
        previews.push(Listed { branch: format!("{PREVIEW_PREFIX}{name}"), name, commit, created, components });
    }
    Ok(previews)
}

/// Deletes a preview's branch here and on the remote, or (dry) shows the plan.
///
/// # Errors
/// When there is no such preview, or the remote refuses.
pub fn delete(context: &Context, workspace: &Workspace, name: &str, dry_run: bool) -> Result<(), Error> {
    let name = name.strip_prefix(PREVIEW_PREFIX).unwrap_or(name);
    let previews = list(workspace, context.may_fetch(dry_run, true))?;
    let reference = format!("refs/heads/{PREVIEW_PREFIX}{name}");
    let local = workspace.repo.reference(&reference)?;
    let listed = previews.iter().find(|p| p.name == name);
    if listed.is_none() && local.is_none() {
        let known = previews.iter().map(|p| p.name.clone()).collect();
        return Err(Refusal::NoSuchPreview { name: name.escape_debug().to_string(), known }.into());
    }
    let report = remove(context, workspace, name, listed.map(|p| &p.commit), local.as_ref(), dry_run)?;
    context.ui.report(&report);
    Ok(())
}

/// Deletes one preview's branch on the remote (only while it is where it was seen) and here.
pub fn remove(
    context: &Context,
    workspace: &Workspace,
    name: &str,
    remote_tip: Option<&ObjectId>,
    local: Option<&ObjectId>,
    dry_run: bool,
) -> Result<DeleteReport, Error> {
    let remote = &workspace.remote;
    let reference = format!("refs/heads/{PREVIEW_PREFIX}{name}");
    let mut plan = Plan { reflog: "release: preview delete".into(), ..Plan::default() };
    if let Some(tip) = remote_tip.filter(|_| workspace.repo.remote_url(remote).is_some()) {
        plan.deletions.push(DeleteRef { remote: Some(remote.clone()), name: reference.clone(), old: tip.clone() });
    }
    if let Some(local) = local {
        plan.deletions.push(DeleteRef { remote: None, name: reference.clone(), old: local.clone() });
    }
    let deleted = execute::carry_out(&workspace.repo, &plan, dry_run)?.is_some();
    if deleted {
        context.ui.message(&format!("deleted {PREVIEW_PREFIX}{name}; its deployment records stay"));
    }
    let steps = plan.steps();
    Ok(DeleteReport { name: name.to_owned(), deleted, dry_run, steps })
}

#[derive(Debug, Clone, Serialize)]
pub struct Pinned {
    #[serde(rename = "ref")]
    reference: String,
    commit: ObjectId,
}

#[derive(Debug, Serialize)]
struct CreateReport {
    name: String,
    branch: String,
    components: BTreeMap<String, Pinned>,
    created: bool,
    pushed: bool,
    dry_run: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    steps: Vec<Step>,
}

impl Report for CreateReport {
    fn human(&self, paint: Paint) -> String {
        let steps = crate::ui::key_values(paint, self.dry_run.then_some(&self.steps[..]), &[]);
        format!("{steps}{}\n", self.name)
    }
}

/// One preview, as `preview list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub name: String,
    pub branch: String,
    pub commit: ObjectId,
    /// When its branch was made, in seconds since the epoch.
    #[serde(serialize_with = "seconds_text")]
    pub created: i64,
    pub components: BTreeMap<String, Pinned>,
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde passes fields by reference")]
fn seconds_text<S: serde::Serializer>(seconds: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time_text(*seconds))
}

fn time_text(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), crate::record::display_time)
}

#[derive(Debug, Serialize)]
pub struct ListReport {
    pub previews: Vec<Listed>,
}

impl Report for ListReport {
    fn human(&self, _paint: Paint) -> String {
        let mut out = String::new();
        for preview in &self.previews {
            let pins: Vec<String> = preview
                .components
                .iter()
                .map(|(name, pin)| format!("{name}={} ({})", pin.commit.short(), pin.reference))
                .collect();
            out.push_str(&format!("{}  {}  {}\n", preview.name, time_text(preview.created), pins.join(" ")));
        }
        out
    }
}

#[derive(Debug, Serialize)]
pub struct DeleteReport {
    pub name: String,
    pub deleted: bool,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

impl Report for DeleteReport {
    fn human(&self, _paint: Paint) -> String {
        let mut out = String::new();
        for step in self.steps.iter().filter(|_| self.dry_run) {
            out.push_str(&format!("would {step}\n"));
        }
        out
    }
}
