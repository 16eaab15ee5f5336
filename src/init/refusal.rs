//! Why `init` is refused: each case a variant that callers and tests can match, with what to do
//! next.

use crate::config::FILE_NAME;
use crate::error::{Diagnostic, Kind};

const SET_UP: &str = "this repository is set up already: see 'git release status'";

/// An `init` refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `--sign` names no key git-release can use (`why` says how).
    #[error("--sign {key}: {why}")]
    BadSigningKey { key: String, why: String },
    /// `--env` with `--ci` where the environments exist: only the pipeline can be added.
    #[error("--env names environments to create, and this repository has its environments already")]
    EnvironmentsExist { ci: String },
    /// The branches cannot be written into the CI's pipeline (`why` says how).
    #[error("cannot write the {ci} pipeline: {why}")]
    PipelineUnwritable { ci: String, why: String },
    #[error("--ci writes a file into the work tree, and this repository has none")]
    NoWorkTree,
    #[error("{path} exists already; it was left as it is")]
    PipelineExists { path: String },
    /// Each branch with the commit it is at.
    #[error("environment branch already exists: {}", branches.join(", "))]
    BranchesExist { branches: Vec<String> },
    /// `app` is redacted; `causes` are what git said.
    #[error("--app {app}: no application repository answers there")]
    AppUnreachable { app: String, causes: Vec<String> },
    #[error("HEAD already has {FILE_NAME}")]
    HeadHasReleaseFile,
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::PipelineExists { .. } | Refusal::BranchesExist { .. } | Refusal::HeadHasReleaseFile => {
                Kind::Refused
            }
            _ => Kind::Usage,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            Refusal::AppUnreachable { causes, .. } => causes.clone(),
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            Refusal::BadSigningKey { .. } => vec![
                "give an ssh key file (ssh-keygen -t ed25519 -f ~/.ssh/release makes one) or an OpenPGP fingerprint"
                    .into(),
            ],
            Refusal::EnvironmentsExist { ci } => vec![format!(
                "run 'git release init --ci {ci}' alone: it writes the pipeline for the branches of the release file"
            )],
            Refusal::PipelineUnwritable { .. } => {
                vec!["name environment branches with letters, digits, '.', '_', '/' and '-' only".into()]
            }
            Refusal::NoWorkTree => vec!["run it in a clone with a work tree".into()],
            Refusal::PipelineExists { .. } => vec![
                "compare it with the template in templates/ci/ of git-release's sources, or move it away and run again"
                    .into(),
            ],
            Refusal::BranchesExist { .. } => {
                vec![SET_UP.into(), "or choose other branches with --env NAME=BRANCH".into()]
            }
            Refusal::AppUnreachable { .. } => vec![
                "check the address (a relative path is read from the top of this work tree)".into(),
                "where it is not reachable from here yet, --offline writes the release file without asking it".into(),
            ],
            Refusal::HeadHasReleaseFile => vec![SET_UP.into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;
    use crate::error::{Error, Kind};

    #[test]
    fn each_refusal_says_what_is_wrong_and_what_to_do() {
        let exists =
            Error::from(Refusal::BranchesExist { branches: vec!["qa (1a2b3c4)".into(), "main (5d6e7f8)".into()] });
        assert_eq!(
            (exists.kind, exists.message.as_str()),
            (Kind::Refused, "environment branch already exists: qa (1a2b3c4), main (5d6e7f8)")
        );
        assert_eq!(exists.hints.len(), 2);
        let app =
            Error::from(Refusal::AppUnreachable { app: "../app".into(), causes: vec!["not a repository".into()] });
        assert_eq!((app.kind, app.causes.as_slice()), (Kind::Usage, ["not a repository".to_owned()].as_slice()));
        let env = Error::from(Refusal::EnvironmentsExist { ci: "github".into() });
        assert_eq!(
            env.hints,
            ["run 'git release init --ci github' alone: it writes the pipeline for the branches of the release file"]
        );
    }
}
