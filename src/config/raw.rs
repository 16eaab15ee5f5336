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
#[expect(clippy::struct_excessive_bools, reason = "each bool is an independent key of the release file")]
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
    #[serde(default)]
    pub auto_merge: bool,
    pub merge_method: Option<super::MergeMethod>,
    pub merge_message: Option<Spanned<String>>,
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
    pub url: Option<Spanned<String>>,
}

/// `after = "qa"`, or `after = ["eu", "us"]` for an environment that several feed.
#[derive(Debug, Clone)]
pub enum After {
    One(String),
    Several(Vec<String>),
}

impl<'de> Deserialize<'de> for After {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<After, D::Error> {
        struct Names;
        impl<'de> serde::de::Visitor<'de> for Names {
            type Value = After;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an environment's name, or a list of names such as [\"eu\", \"us\"]")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<After, E> {
                Ok(After::One(name.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<After, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<Name>()? {
                    names.push(name.0);
                }
                Ok(After::Several(names))
            }
        }
        deserializer.deserialize_any(Names)
    }
}

/// One name of an `after` list: a string, or an error that says what a list holds.
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Name, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Name;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an environment's name: an `after` list holds names only")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Name, E> {
                Ok(Name(name.to_owned()))
            }
        }
        deserializer.deserialize_any(Text)
    }
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
    pub deployments: Option<bool>,
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
