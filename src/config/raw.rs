//! The release file as written: permissive serde types that `resolve` turns into checked ones.

use serde::Deserialize;
use serde_spanned::Spanned;

use super::{GateMode, Match};
use crate::version::Cut;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub version: Option<Spanned<String>>,
    #[serde(default)]
    pub app: App,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub environments: Vec<Environment>,
    pub forge: Option<Forge>,
    pub jira: Option<Jira>,
    pub preview: Option<Preview>,
    pub trust: Option<Trust>,
    #[serde(default, rename = "variable-sets")]
    pub variable_sets: super::variables::RawSets,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct App {
    pub repo: Option<Spanned<String>>,
    pub branch: Option<Spanned<String>>,
    pub release_branch: Option<Spanned<String>>,
    #[serde(default)]
    pub components: Vec<Component>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: Spanned<String>,
    pub repo: Spanned<String>,
    pub branch: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preview {
    pub ttl: Option<Spanned<String>>,
    #[serde(default)]
    pub pins: std::collections::BTreeMap<Spanned<String>, PreviewPin>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewPin {
    #[serde(rename = "ref")]
    pub reference: String,
    pub url: Spanned<String>,
    pub commit: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Tags {
    pub rc: Option<Spanned<String>>,
    #[serde(rename = "final")]
    pub final_: Option<Spanned<String>>,
    pub deploy: Option<Spanned<String>>,
    pub deploy_wip: Option<Spanned<String>>,
    pub approval: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Environment {
    pub name: Spanned<String>,
    pub branch: Option<Spanned<String>>,
    pub cut: Option<Cut>,
    pub after: Option<Spanned<After>>,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub auto_promote: bool,
    #[serde(rename = "match")]
    pub match_: Option<Match>,
    pub previous_current: Option<bool>,
    #[serde(default)]
    pub require_bump: bool,
    pub require_approvals: Option<Spanned<i64>>,
    pub gate: Option<GateMode>,
    pub soak: Option<Spanned<String>>,
    #[serde(default)]
    pub freeze: Vec<Spanned<String>>,
    #[serde(default)]
    pub blocked: Vec<Spanned<String>>,
    #[serde(default)]
    pub variables: super::variables::RawVariables,
    #[serde(default)]
    pub variable_sets: Vec<Spanned<String>>,
    pub deploys: Option<Spanned<super::Deploys>>,
}

/// `after = "qa"`, or `after = ["eu", "us"]` for an environment that several feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum After {
    One(String),
    Several(Vec<String>),
}

impl After {
    /// The names, in the order written.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        match self {
            After::One(name) => vec![name.clone()],
            After::Several(names) => names.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Forge {
    pub kind: Option<Spanned<String>>,
    pub api: Option<Spanned<String>>,
    pub repository: Option<Spanned<String>>,
    pub git_url: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Jira {
    pub url: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub key_pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub transitions: std::collections::BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    pub mode: Option<Spanned<String>>,
    #[serde(default)]
    pub signers: std::collections::BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    pub approvers: std::collections::BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}
