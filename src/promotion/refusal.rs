//! Why a promotion, or a reconcile round, is refused: each case a variant that callers and tests
//! can match, with what to do next.

use crate::config::FILE_NAME;
use crate::error::{Diagnostic, Kind};

/// A promotion refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("cannot promote {environment} into itself")]
    IntoItself { environment: String, environments: String },
    /// `to`'s `after` does not name `from` (`after` is what it names, if anything).
    #[error("cannot promote {from} into {to}")]
    NotNext { from: String, to: String, after: Vec<String> },
    /// The source's branch is not here.
    #[error("{branch} does not exist here")]
    SourceMissing { branch: String, remote: String },
    /// The source's branch holds no release file.
    #[error("{branch} has no {FILE_NAME}")]
    NoReleaseFile { branch: String, environment: String },
    /// The branches would conflict; `rebuilt` is the branch `--rebuild` promotes from.
    #[error("{from_branch} does not merge cleanly into {to_branch}")]
    Conflicts { from: String, to: String, from_branch: String, to_branch: String, files: Vec<String>, rebuilt: String },
    /// The target's branch is not here, so there is nothing to rebuild on.
    #[error("{branch} does not exist here: there is nothing to rebuild on")]
    NothingToRebuildOn { branch: String, remote: String },
    #[error("{branch} has no {FILE_NAME} to carry")]
    NothingToCarry { branch: String },
    /// `--jira-issue` with no forge: the promotion is printed, and has no link to give.
    #[error("there is no pull request whose link Jira could be given")]
    NoPullRequestForJira,
    /// `reconcile` with no forge to keep pull requests on.
    #[error("reconcile needs a forge to read and write pull requests")]
    NoForge,
    #[error("{environment} is not auto-promoted")]
    NotAutoPromoted { environment: String },
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::IntoItself { .. } | Refusal::NoForge | Refusal::NotAutoPromoted { .. } => Kind::Usage,
            _ => Kind::Refused,
        }
    }

    fn causes(&self) -> Vec<String> {
        let cause = match self {
            Refusal::IntoItself { .. } => {
                "a promotion goes from one environment into the one whose `after` names it".to_owned()
            }
            Refusal::NotNext { from, to, after } if !after.is_empty() => {
                format!("{to} comes after {}, not {from}", crate::config::and_list(after))
            }
            Refusal::NotNext { to, .. } => {
                format!("{to} comes after no environment (its `after` is not set): nothing is promoted into it")
            }
            Refusal::Conflicts { files, .. } => format!("conflicting: {}", files.join(", ")),
            Refusal::NoPullRequestForJira => {
                "no forge: none was detected, [forge] kind is \"none\", or --offline was given".to_owned()
            }
            Refusal::NoForge => "the release repository's remote is on no forge git-release knows, [forge] kind is \"none\", or --offline is set".to_owned(),
            Refusal::NotAutoPromoted { .. } => {
                "reconcile keeps pull requests only into environments with auto-promote = true and an `after`"
                    .to_owned()
            }
            Refusal::SourceMissing { .. }
            | Refusal::NoReleaseFile { .. }
            | Refusal::NothingToRebuildOn { .. }
            | Refusal::NothingToCarry { .. } => return Vec::new(),
        };
        vec![cause]
    }

    fn hints(&self) -> Vec<String> {
        let hint = match self {
            Refusal::IntoItself { environments, .. } => format!("name two environments: {environments}"),
            Refusal::NotNext { .. } => "promote each environment into the one whose `after` names it".to_owned(),
            Refusal::SourceMissing { branch, remote } | Refusal::NothingToRebuildOn { branch, remote } => {
                format!("fetch it: git fetch {remote} {branch}")
            }
            Refusal::NoReleaseFile { environment, .. } => {
                format!("set its version first: git release set {environment} <version>")
            }
            Refusal::Conflicts { from, to, rebuilt, .. } => format!(
                "rerun with --rebuild to promote from {rebuilt}: {to}'s head with {from}'s {FILE_NAME}, conflict-free"
            ),
            Refusal::NoPullRequestForJira => {
                "set [forge] in release.toml to open the pull request, or drop --jira-issue".to_owned()
            }
            Refusal::NoForge => "set [forge] kind, api and repository in release.toml".to_owned(),
            Refusal::NotAutoPromoted { environment } => format!(
                "set auto-promote = true in its [[environments]] table, or use git release promote <from> {environment}"
            ),
            Refusal::NothingToCarry { .. } => return Vec::new(),
        };
        vec![hint]
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;
    use crate::error::{Error, Kind};

    #[test]
    fn each_refusal_says_what_is_wrong_and_what_to_do() {
        let conflicts = Refusal::Conflicts {
            from: "qa".into(),
            to: "prod".into(),
            from_branch: "environment/qa".into(),
            to_branch: "environment/prod".into(),
            files: vec!["release.toml".into()],
            rebuilt: "promote/prod".into(),
        };
        let error = Error::from(conflicts);
        assert_eq!(error.kind, Kind::Refused);
        assert_eq!(error.message, "environment/qa does not merge cleanly into environment/prod");
        assert_eq!(error.causes, ["conflicting: release.toml"]);
        assert_eq!(
            error.hints,
            ["rerun with --rebuild to promote from promote/prod: prod's head with qa's release.toml, conflict-free"]
        );
        let first = Error::from(Refusal::NotNext { from: "prod".into(), to: "qa".into(), after: Vec::new() });
        assert_eq!(
            first.causes,
            ["qa comes after no environment (its `after` is not set): nothing is promoted into it"]
        );
        let usage = Error::from(Refusal::NotAutoPromoted { environment: "qa".into() });
        assert_eq!((usage.kind, usage.message.as_str()), (Kind::Usage, "qa is not auto-promoted"));
    }
}
