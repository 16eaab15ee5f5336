//! `[[app.components]]` and `[preview]`: the repositories an application is made of, and what a
//! preview environment pins.

use std::time::Duration;

use serde_spanned::Spanned;

use super::{Resolver, has_credentials, raw};
use crate::object_id::ObjectId;
use crate::policy;
use crate::refname;

/// The name the umbrella repository (`[app] repo`) goes by beside its components.
pub const UMBRELLA: &str = "app";

/// One component repository of an application: tagged and recorded with the umbrella.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    /// A URL, or a path relative to the release repository.
    pub repo: String,
    /// The branch deployments track; the repository's HEAD branch when absent.
    pub branch: Option<String>,
}

/// `[preview]`: how long previews live, and on a preview branch what each repository is pinned to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// Previews whose branch is older than this are deleted by `reconcile`.
    pub ttl: Option<Duration>,
    /// Written by `preview create` on the preview's own branch.
    pub pins: Vec<PreviewPin>,
}

/// A repository of a preview pinned to one commit, and the reference that commit came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewPin {
    /// `app` for the umbrella, else a component's name.
    pub component: String,
    /// The reference as the person gave it, such as `shop/api#pull/42`.
    pub reference: String,
    /// Where git fetches it from.
    pub url: String,
    pub commit: ObjectId,
}

impl Preview {
    /// The pin of one repository, if the preview pins it.
    #[must_use]
    pub fn pin(&self, component: &str) -> Option<&PreviewPin> {
        self.pins.iter().find(|pin| pin.component == component)
    }
}

impl Resolver<'_> {
    pub(super) fn components(&mut self, raw: Vec<raw::Component>) -> Vec<Component> {
        let mut components: Vec<Component> = Vec::new();
        for component in raw {
            let name = component.name.get_ref().clone();
            if !is_simple_name(&name) || name == UMBRELLA {
                let message = format!(
                    "component name `{}` is not allowed; use lower-case letters, digits and '-', and not `{UMBRELLA}`, which names the umbrella repository",
                    name.escape_debug()
                );
                self.problem(Some(component.name.span()), message);
            } else if components.iter().any(|c| c.name == name) {
                let message = format!("component `{name}` is defined twice; names must be unique");
                self.problem(Some(component.name.span()), message);
            }
            if let Some(problem) = super::control_character(component.repo.get_ref()) {
                self.problem(Some(component.repo.span()), format!("[[app.components]] repo {problem}"));
            }
            if has_credentials(component.repo.get_ref()) {
                let message = "[[app.components]] repo holds credentials; keep them out of the release file and let git's credential helper supply them";
                self.problem(Some(component.repo.span()), message.to_owned());
            }
            if let Some(branch) = &component.branch {
                if let Err(problem) = refname::check_short(branch.get_ref()) {
                    let message = format!(
                        "component {name}: branch `{}` is not a branch name git accepts: {problem}",
                        branch.get_ref()
                    );
                    self.problem(Some(branch.span()), message);
                }
            }
            components.push(Component {
                name,
                repo: component.repo.into_inner(),
                branch: component.branch.map(Spanned::into_inner),
            });
        }
        components
    }

    pub(super) fn git_url(&mut self, raw: Option<Spanned<String>>) -> Option<String> {
        let raw = raw?;
        if !raw.get_ref().contains("{repository}") {
            let message = "[forge] git-url must hold {repository}, such as https://git.example.com/{repository}.git";
            self.problem(Some(raw.span()), message.to_owned());
        } else if has_credentials(raw.get_ref()) {
            let message = "[forge] git-url holds credentials; let git's credential helper supply them";
            self.problem(Some(raw.span()), message.to_owned());
        }
        Some(raw.into_inner())
    }

    pub(super) fn preview(&mut self, raw: raw::Preview, components: &[Component]) -> Preview {
        let ttl = raw.ttl.and_then(|ttl| {
            policy::parse_lasting(ttl.get_ref())
                .map_err(|why| self.problem(Some(ttl.span()), format!("[preview] ttl: {why}")))
                .ok()
        });
        let mut pins = Vec::new();
        for (component, pin) in raw.pins {
            let name = component.get_ref();
            if name != UMBRELLA && !components.iter().any(|c| &c.name == name) {
                let known = std::iter::once(UMBRELLA).chain(components.iter().map(|c| c.name.as_str()));
                let message = format!(
                    "[preview.pins] `{name}` is no repository of the application; known are: {}",
                    known.collect::<Vec<_>>().join(", ")
                );
                self.problem(Some(component.span()), message);
                continue;
            }
            if has_credentials(pin.url.get_ref()) {
                self.problem(Some(pin.url.span()), format!("[preview.pins.{name}] url holds credentials"));
                continue;
            }
            let Some(commit) = ObjectId::from_hex(pin.commit.get_ref()) else {
                self.problem(Some(pin.commit.span()), format!("[preview.pins.{name}] commit is not a full commit id"));
                continue;
            };
            pins.push(PreviewPin {
                component: name.clone(),
                reference: pin.reference,
                url: pin.url.into_inner(),
                commit,
            });
        }
        Preview { ttl, pins }
    }
}

/// Lower-case letters, digits and `-`, starting with a letter or digit: safe in branch and tag
/// names and in every shell.
#[must_use]
pub fn is_simple_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
