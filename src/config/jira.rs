//! `[jira]`: the Jira site, its kind, how issue keys look, and each environment's transition.

use serde_spanned::Spanned;

use super::{Environment, Resolver, raw};

/// `[jira]`: where issues are commented and moved when deployments happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jira {
    /// The site, such as `https://example.atlassian.net`, without a trailing slash.
    pub url: String,
    pub kind: JiraKind,
    /// The regular expression an issue key matches, compiled when the file is read.
    pub keys: Keys,
    /// Environment name → the name of the transition a deployment there makes.
    pub transitions: Vec<(String, String)>,
}

/// Which Jira: Cloud speaks REST v3 with comments in Atlassian Document Format and takes an
/// e-mail and API token; Data Center speaks REST v2 with plain-text comments and takes a
/// personal access token as a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JiraKind {
    Cloud,
    DataCenter,
}

impl JiraKind {
    /// The name `[jira] kind` uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            JiraKind::Cloud => "cloud",
            JiraKind::DataCenter => "data-center",
        }
    }
}

/// The issue-key pattern when `[jira] key-pattern` is not set.
pub const DEFAULT_KEY_PATTERN: &str = r"[A-Z][A-Z0-9_]+-\d+";

/// The issue-key pattern, compiled: `[jira] key-pattern`, by default `[A-Z][A-Z0-9_]+-\d+`.
#[derive(Debug, Clone)]
pub struct Keys(regex_lite::Regex);

impl PartialEq for Keys {
    fn eq(&self, other: &Keys) -> bool {
        self.pattern() == other.pattern()
    }
}

impl Eq for Keys {}

impl Keys {
    /// # Errors
    /// When the pattern is not a regular expression, or matches an empty text.
    pub fn new(pattern: &str) -> Result<Keys, String> {
        let regex = regex_lite::Regex::new(pattern).map_err(|e| {
            format!(
                "`{pattern}` is not a regular expression: {}",
                e.to_string().lines().last().unwrap_or_default().trim()
            )
        })?;
        if regex.is_match("") {
            return Err(format!("`{pattern}` matches an empty text; it must match keys such as SHOP-142"));
        }
        Ok(Keys(regex))
    }

    /// The pattern `[jira]` sets, else the default.
    #[must_use]
    pub fn of(jira: Option<&Jira>) -> Keys {
        jira.map_or_else(|| Keys::new(DEFAULT_KEY_PATTERN).expect("the default compiles"), |j| j.keys.clone())
    }

    /// The pattern as written.
    #[must_use]
    pub fn pattern(&self) -> &str {
        self.0.as_str()
    }

    /// The keys in `text`, each once, in the order they first appear. A match counts only as a
    /// word of its own: not inside `MY-SHOP-1` or `SHOP-12a`.
    #[must_use]
    pub fn find(&self, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        self.add(&mut found, text);
        found
    }

    /// Adds the keys in `text` that `found` lacks.
    pub fn add(&self, found: &mut Vec<String>, text: &str) {
        let joins = |c: char| c.is_alphanumeric() || c == '_';
        for candidate in self.0.find_iter(text) {
            let before = text[..candidate.start()].chars().next_back();
            let after = text[candidate.end()..].chars().next();
            if before.is_some_and(|c| joins(c) || c == '-') || after.is_some_and(joins) {
                continue;
            }
            let key = candidate.as_str();
            if !found.iter().any(|k| k == key) {
                found.push(key.to_owned());
            }
        }
    }

    /// Whether `text` is one key and nothing else.
    #[must_use]
    pub fn is_key(&self, text: &str) -> bool {
        self.0.find(text).is_some_and(|m| m.start() == 0 && m.end() == text.len())
    }
}

impl Resolver<'_> {
    pub(super) fn jira(&mut self, raw: raw::Jira, environments: &[Environment]) -> Option<Jira> {
        let url = if let Some(url) = raw.url {
            self.jira_url(&url)
        } else {
            let message = "[jira] has no `url`; add one such as url = \"https://example.atlassian.net\"";
            self.problem(None, message.into());
            None
        };
        let kind = match &raw.kind {
            None => url.as_deref().map(|url| {
                let host = url.split("://").nth(1).unwrap_or_default().split(['/', ':']).next().unwrap_or_default();
                if host.ends_with(".atlassian.net") { JiraKind::Cloud } else { JiraKind::DataCenter }
            }),
            Some(kind) => match kind.get_ref().as_str() {
                "cloud" => Some(JiraKind::Cloud),
                "data-center" => Some(JiraKind::DataCenter),
                other => {
                    let message = format!("[jira] kind `{other}` is unknown; use cloud or data-center");
                    self.problem(Some(kind.span()), message);
                    None
                }
            },
        };
        let keys = match raw.key_pattern {
            None => Some(Keys::new(DEFAULT_KEY_PATTERN).expect("the default compiles")),
            Some(pattern) => match Keys::new(pattern.get_ref()) {
                Ok(keys) => Some(keys),
                Err(why) => {
                    self.problem(Some(pattern.span()), format!("[jira] key-pattern: {why}"));
                    None
                }
            },
        };
        let mut transitions = Vec::new();
        for (environment, name) in raw.transitions {
            if !environments.iter().any(|e| &e.name == environment.get_ref()) {
                let known = environments.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ");
                let message = format!(
                    "[jira.transitions] names `{}`, which is not an environment ({known})",
                    environment.get_ref()
                );
                self.problem(Some(environment.span()), message);
            } else if name.get_ref().trim().is_empty() {
                self.problem(
                    Some(name.span()),
                    "[jira.transitions] needs a transition's name, not an empty one".into(),
                );
            } else {
                transitions.push((environment.into_inner(), name.into_inner().trim().to_owned()));
            }
        }
        Some(Jira { url: url?, kind: kind?, keys: keys?, transitions })
    }

    /// An `http(s)` site address without credentials, its trailing slash dropped.
    fn jira_url(&mut self, url: &Spanned<String>) -> Option<String> {
        if let Some(problem) = super::control_character(url.get_ref()) {
            self.problem(Some(url.span()), format!("[jira] url {problem}"));
            return None;
        }
        let text = url.get_ref().trim().trim_end_matches('/');
        let Some((scheme, rest)) = text.split_once("://") else {
            self.problem(
                Some(url.span()),
                format!("[jira] url `{text}` is not an address; give one such as https://example.atlassian.net"),
            );
            return None;
        };
        if scheme != "https" && scheme != "http" {
            self.problem(Some(url.span()), format!("[jira] url must be https:// (or http://), not {scheme}://"));
            return None;
        }
        if rest.split('/').next().is_some_and(|authority| authority.contains('@')) {
            self.problem(
                Some(url.span()),
                "[jira] url holds credentials; drop them and set JIRA_TOKEN (and JIRA_USER) instead".into(),
            );
            return None;
        }
        if rest.is_empty() {
            self.problem(Some(url.span()), "[jira] url names no host".into());
            return None;
        }
        Some(text.to_owned())
    }
}
