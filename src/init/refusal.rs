//! Why `init` is refused: each case a variant that callers and tests can match, with what to do
//! next.

use crate::config::FILE_NAME;
use crate::error::{Diagnostic, Kind};

/// An `init` refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `--sign` names no key git-release can use (`why` says how).
    #[error("--sign {key}: {why}")]
    BadSigningKey { key: String, why: String },
    /// A release file found here decides what `flag` would set.
    #[error("{FILE_NAME} on {place} decides the settings, and {flag} says otherwise")]
    FileDecides { place: String, flag: String },
    /// The branches cannot be written into the CI's pipeline (`why` says how).
    #[error("cannot write the {ci} pipeline: {why}")]
    PipelineUnwritable { ci: String, why: String },
    #[error("--ci writes a file into the work tree, and this repository has none")]
    NoWorkTree,
    #[error("{path} exists already; it was left as it is")]
    PipelineExists { path: String },
    /// This repository's branch has commits the remote's lacks: the release file would go on
    /// one of the two and leave the other behind.
    #[error("{branch} here has commits {remote}/{branch} lacks")]
    LocalAhead { branch: String, remote: String },
    /// A branch's release file has other settings than the ones init brings (`why` says how).
    #[error("{FILE_NAME} on {place} has other settings than the ones init brings")]
    Disagrees { place: String, why: String },
    /// `release.configRef` is set, and no release file is found where it points.
    #[error("release.configRef is {reference}, and no {FILE_NAME} is there yet")]
    SettingsMissing { reference: String },
    /// Something other than a file is named release.toml there.
    #[error("{FILE_NAME} on {place} is not a file")]
    NotAFile { place: String },
    #[error("{branch} is checked out at {path}")]
    CheckedOutElsewhere { branch: String, path: String },
    /// `app` is redacted; `causes` are what git said.
    #[error("--app {app}: no application repository answers there")]
    AppUnreachable { app: String, causes: Vec<String> },
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::PipelineExists { .. }
            | Refusal::LocalAhead { .. }
            | Refusal::Disagrees { .. }
            | Refusal::NotAFile { .. }
            | Refusal::CheckedOutElsewhere { .. } => Kind::Refused,
            _ => Kind::Usage,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            Refusal::AppUnreachable { causes, .. } => causes.clone(),
            Refusal::Disagrees { why, .. } => vec![why.clone()],
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        match self {
            Refusal::BadSigningKey { .. } => vec![
                "give an ssh key file (ssh-keygen -t ed25519 -f ~/.ssh/release makes one) or an OpenPGP fingerprint"
                    .into(),
            ],
            Refusal::FileDecides { place, flag } => vec![
                format!(
                    "drop {flag}: init keeps the {FILE_NAME} it found, and brings it onto every environment branch"
                ),
                format!("to change the settings, edit {FILE_NAME} at {place} first"),
            ],
            Refusal::PipelineUnwritable { .. } => {
                vec!["name environment branches with letters, digits, '.', '_', '/' and '-' only".into()]
            }
            Refusal::NoWorkTree => vec!["run it in a clone with a work tree".into()],
            Refusal::PipelineExists { .. } => vec![
                "compare it with the template in templates/ci/ of git-release's sources, or move it away and run again"
                    .into(),
            ],
            Refusal::LocalAhead { branch, remote } => vec![format!(
                "push them ('git push {} {}') or drop them, so that both agree, then run init again",
                crate::refname::shell_word(remote),
                crate::refname::shell_word(branch)
            )],
            Refusal::Disagrees { .. } => vec![
                "make the release files agree on the environments, then run init again".into(),
                "'git release doctor' compares the release files of every environment branch".into(),
            ],
            Refusal::SettingsMissing { reference } => vec![
                "name the environments with --env NAME=BRANCH, as the first run did, or merge the pull request it opened first".into(),
                format!("or, to start afresh, unset it: git config --unset release.configRef (it is {reference})"),
            ],
            Refusal::NotAFile { .. } => vec![format!("move it away on that branch, then run init again")],
            Refusal::CheckedOutElsewhere { path, .. } => {
                vec![format!("switch that work tree ({path}) to another branch, then run init again")]
            }
            Refusal::AppUnreachable { .. } => vec![
                "check the address (a relative path is read from the top of this work tree)".into(),
                "where it is not reachable from here yet, --offline writes the release file without asking it".into(),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;
    use crate::error::{Error, Kind};

    #[test]
    fn each_refusal_says_what_is_wrong_and_what_to_do() {
        let ahead = Error::from(Refusal::LocalAhead { branch: "qa".into(), remote: "origin".into() });
        assert_eq!((ahead.kind, ahead.message.as_str()), (Kind::Refused, "qa here has commits origin/qa lacks"));
        assert_eq!(ahead.hints.len(), 1);
        let app =
            Error::from(Refusal::AppUnreachable { app: "../app".into(), causes: vec!["not a repository".into()] });
        assert_eq!((app.kind, app.causes.as_slice()), (Kind::Usage, ["not a repository".to_owned()].as_slice()));
        let decides = Error::from(Refusal::FileDecides { place: "HEAD".into(), flag: "--env".into() });
        assert_eq!(
            decides.hints,
            [
                "drop --env: init keeps the release.toml it found, and brings it onto every environment branch",
                "to change the settings, edit release.toml at HEAD first",
            ]
        );
    }
}
