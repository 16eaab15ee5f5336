//! Applications of several repositories: the umbrella (`[app] repo`) and its components. One
//! deployment takes one rc number in all of them, and a final one only what the previous
//! environment deployed of each.

use crate::app::AppRepo;
use crate::config::{Component, PreviewPin, UMBRELLA};
use crate::error::Error;
use crate::object_id::ObjectId;
use crate::version::{self, Cut, Decision, Repository, Version};
use crate::workspace::Workspace;

use super::{Refusal, Resolved, branch_source, rc_environment, refusal};

/// A component's repository, open, with the branch its deployments track.
pub struct ComponentRepo {
    pub component: Component,
    pub app: AppRepo,
    pub tracked: String,
}

/// What one component deploys: the counterpart of [`Resolved`] for the umbrella.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub branch: Option<String>,
    pub commit: ObjectId,
    pub tag: Option<Decision>,
}

impl ComponentRepo {
    /// Opens every component of the release file, asking for HEAD branches when online.
    ///
    /// # Errors
    /// When a cache cannot be made, or a repository without `branch` cannot say its HEAD branch.
    pub fn open_all(workspace: &Workspace, online: bool) -> Result<Vec<ComponentRepo>, Error> {
        let mut repos = Vec::new();
        for component in &workspace.file.app.components {
            let app = AppRepo::component(workspace, component)?;
            let tracked = match &component.branch {
                Some(branch) => branch.clone(),
                None => app.head_branch(online && app.has_remote())?,
            };
            repos.push(ComponentRepo { component: component.clone(), app, tracked });
        }
        Ok(repos)
    }
}

/// Decides what each component deploys beside the umbrella, and makes the umbrella's version tag
/// agree with theirs: one rc number for all, or the final tag on what the previous environment
/// deployed of each.
///
/// # Errors
/// When a branch or pinned commit is missing, or the joint decision refuses.
pub fn resolve_parts(
    workspace: &Workspace,
    umbrella: &AppRepo,
    components: &[ComponentRepo],
    resolved: &mut Resolved,
    online: bool,
) -> Result<Vec<Part>, Error> {
    if components.is_empty() {
        return Ok(Vec::new());
    }
    let environment = resolved.wanted.environment.clone();
    let version = resolved.wanted.version.clone();
    let text = version.to_string();
    let tags = &workspace.file.tags;
    let mut parts = Vec::new();
    for repo in components {
        let pin = resolved.wanted.pin(&repo.component.name);
        let (branch, commit) = source(workspace, repo, pin, &version, environment.cut, online)?;
        parts.push(Part { name: repo.component.name.clone(), branch, commit, tag: None });
    }
    let repos =
        std::iter::once((UMBRELLA, umbrella)).chain(components.iter().map(|c| (c.component.name.as_str(), &c.app)));
    match environment.cut {
        Cut::Rc => {
            let sources = std::iter::once(resolved.commit.clone()).chain(parts.iter().map(|p| p.commit.clone()));
            let mut together = Vec::new();
            for ((name, app), source) in repos.zip(sources) {
                let existing = app.version_tags(tags, &text)?;
                together.push(Repository { name: name.to_owned(), existing, commit: Some(source) });
            }
            let name_of = |n| tags.rc.render(&version::TagValues { version: &text, n, ..version::TagValues::SAMPLE });
            let decisions = version::cut::rc_together(&text, &together, name_of).map_err(refusal)?;
            apply(resolved, &mut parts, decisions);
        }
        Cut::Final => {
            let previous = rc_environment(workspace, &environment);
            let mut together = Vec::new();
            for (name, app) in repos {
                let existing = app.version_tags(tags, &text)?;
                let deployed = app.records(tags, Some(&previous), 1)?.into_iter().next().map(|r| r.deployment.commit);
                together.push(Repository { name: name.to_owned(), existing, commit: deployed });
            }
            let final_name = tags.final_.render(&version::TagValues { version: &text, ..version::TagValues::SAMPLE });
            let decisions = version::cut::final_together(&text, &together, &final_name, &previous).map_err(refusal)?;
            apply(resolved, &mut parts, decisions);
        }
        Cut::None => {
            for (part, repo) in parts.iter_mut().zip(components) {
                if let Version::Named(name) = &version {
                    if let Some(tag) = repo.app.tag(name)? {
                        if let Some(commit) = repo.app.repo.tag_commit(&tag)? {
                            part.commit = commit.clone();
                            part.tag = Some(Decision::Reuse(version::VersionTag { name: tag.name, commit }));
                        }
                    }
                }
            }
        }
    }
    Ok(parts)
}

/// The first decision is the umbrella's, the rest the components' in order.
fn apply(resolved: &mut Resolved, parts: &mut [Part], decisions: Vec<Decision>) {
    let mut decisions = decisions.into_iter();
    if let Some(umbrella) = decisions.next() {
        resolved.commit = umbrella.tag().commit.clone();
        resolved.tag = Some(umbrella);
    }
    for (part, decision) in parts.iter_mut().zip(decisions) {
        part.commit = decision.tag().commit.clone();
        part.tag = Some(decision);
    }
}

/// Where a component's commit comes from: a preview's pin, else `release/{version}` for rc
/// deployments when it exists, else the tracked branch.
fn source(
    workspace: &Workspace,
    repo: &ComponentRepo,
    pin: Option<&PreviewPin>,
    version: &Version,
    cut: Cut,
    online: bool,
) -> Result<(Option<String>, ObjectId), Error> {
    if let Some(pin) = pin {
        return pinned(&repo.app, pin, online).map(|id| (None, id));
    }
    match branch_source(workspace, &repo.app, cut, version, &repo.tracked)? {
        Some((branch, id)) => Ok((Some(branch), id)),
        None => Err(Refusal::ComponentBranchMissing {
            branch: repo.tracked.clone(),
            app: repo.app.name.clone(),
            component: repo.component.name.clone(),
        }
        .into()),
    }
}

/// The commit a preview pins a repository to, fetched from where the preview found it when it is
/// not here yet.
///
/// # Errors
/// When the commit is neither here nor to be fetched.
pub fn pinned(app: &AppRepo, pin: &PreviewPin, online: bool) -> Result<ObjectId, Error> {
    if app.repo.rev_parse_commit(pin.commit.as_str()).is_ok() {
        return Ok(pin.commit.clone());
    }
    let gone = || {
        Error::from(Refusal::PinGone {
            component: pin.component.clone(),
            commit: pin.commit.short().to_owned(),
            app: app.name.clone(),
            reference: pin.reference.clone(),
            url: crate::secret::redact(&pin.url),
        })
    };
    if !online {
        return Err(gone());
    }
    app.repo.fetch(&pin.url, &[pin.commit.to_string()], false).map_err(|source| {
        let mut error = gone();
        for cause in crate::error::Diagnostic::causes(&source) {
            error = error.cause(cause);
        }
        error
    })?;
    app.repo.rev_parse_commit(pin.commit.as_str()).map_err(|_| gone())
}
