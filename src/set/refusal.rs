//! Why `set`, `bump` or `rollback` is refused: each case a variant that callers and tests can
//! match, with what to do next.

use crate::config::FILE_NAME;
use crate::error::{Diagnostic, Kind};

/// A version change refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The text is no version (`why` says how).
    #[error("{why}")]
    NotAVersion { why: String },
    #[error("cannot bump {environment}: {why}")]
    CannotBump { environment: String, why: String },
    #[error("version {version} does not fit environment {environment}")]
    Misfit { environment: String, version: String, why: String },
    #[error("branch {branch} of environment {environment} does not exist")]
    BranchMissing { environment: String, branch: String, remote: String },
    #[error("{branch} has no {FILE_NAME}")]
    NoReleaseFile { branch: String },
    #[error("cannot change the version in {FILE_NAME} on {branch}: {why}")]
    CannotEdit { branch: String, why: String },
    /// The branch here lacks commits its remote has: pushing would drop them.
    #[error("{branch} does not contain {remote}/{branch} ({tracking})")]
    Behind { branch: String, remote: String, tracking: String },
    #[error("{branch} is checked out in the worktree {path}")]
    CheckedOutElsewhere { branch: String, path: String },
    #[error("{FILE_NAME} has uncommitted changes on {branch}, which is checked out")]
    Uncommitted { branch: String },
    #[error("{branch} is checked out here, and a rollback changes more files than {FILE_NAME}")]
    RollbackCheckedOut { branch: String },
    #[error("{environment} has no deployment record, so there is nothing to roll back")]
    NothingDeployed { environment: String },
    #[error("{environment} has run only {version} ({commit}), so there is nothing before it to roll back to")]
    NothingBefore { environment: String, version: String, commit: String },
    #[error("`{to}` is neither a deployment record of {environment} nor a version {environment} ran")]
    UnknownTarget { environment: String, to: String, ran: Vec<String> },
    #[error("{environment} runs that now ({tag}); there is nothing to roll back")]
    RunsIt { environment: String, tag: String },
    #[error("{tag} deployed `{version}`, which cannot be set again")]
    NotSettable { tag: String, version: String, why: String },
    #[error("{environment} ran {commit}, which has no {FILE_NAME} to go back to")]
    NoFileToGoBackTo { environment: String, commit: String },
    #[error("{FILE_NAME} at {commit} is not UTF-8")]
    NotUtf8 { commit: String },
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::NotAVersion { .. } | Refusal::CannotBump { .. } | Refusal::Misfit { .. } => Kind::Usage,
            Refusal::CannotEdit { .. } | Refusal::NotUtf8 { .. } => Kind::Config,
            _ => Kind::Refused,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            Refusal::Misfit { why, .. } | Refusal::NotSettable { why, .. } => vec![why.clone()],
            Refusal::Behind { remote, .. } => vec![format!("pushing would drop commits that are on {remote}")],
            Refusal::UnknownTarget { environment, ran, .. } => vec![format!("{environment} ran: {}", ran.join(", "))],
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        let log = |environment: &str| format!("see what {environment} ran: git release log {environment}");
        match self {
            Refusal::NotAVersion { .. } => {
                vec!["give WIP, a semantic version such as 1.4.0, or a name valid in a tag such as 2026.11".into()]
            }
            Refusal::CannotBump { environment, .. } => {
                vec![format!("set a version instead: git release set {environment} <version>")]
            }
            Refusal::Misfit { environment, .. } => vec![format!(
                "environments that cut version tags take versions such as: git release set {environment} 1.4.0"
            )],
            Refusal::BranchMissing { branch, remote, .. } => {
                let (remote, branch) = (crate::refname::shell_word(remote), crate::refname::shell_word(branch));
                vec![format!("fetch it with 'git fetch {remote} {branch}', or create it with 'git release init'")]
            }
            Refusal::NoReleaseFile { .. } => {
                vec![format!("commit a {FILE_NAME} there first; 'git release init' writes one")]
            }
            Refusal::Behind { branch, remote, .. } => vec![
                format!("bring them in first: git fetch {remote} && git branch -f {branch} {remote}/{branch}"),
                "or merge them, if this branch has commits of its own, then run this command again".into(),
            ],
            Refusal::CheckedOutElsewhere { path, .. } => vec![format!("run the command there: git release -C {path} ...")],
            Refusal::Uncommitted { .. } => vec![format!("commit or stash them first: git stash push -- {FILE_NAME}")],
            Refusal::RollbackCheckedOut { .. } => vec!["check out another branch first, then run it again".into()],
            Refusal::NothingDeployed { environment }
            | Refusal::NothingBefore { environment, .. }
            | Refusal::RunsIt { environment, .. } => vec![log(environment)],
            Refusal::UnknownTarget { environment, .. } => vec![
                "a rollback goes back to what the environment itself ran; a record of another environment does not count"
                    .into(),
                log(environment),
            ],
            Refusal::CannotEdit { .. }
            | Refusal::NotSettable { .. }
            | Refusal::NoFileToGoBackTo { .. }
            | Refusal::NotUtf8 { .. } => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;
    use crate::error::{Error, Kind};

    #[test]
    fn each_refusal_says_what_is_wrong_and_what_to_do() {
        let behind = Error::from(Refusal::Behind {
            branch: "environment/qa".into(),
            remote: "origin".into(),
            tracking: "1a2b3c4".into(),
        });
        assert_eq!(behind.kind, Kind::Refused);
        assert_eq!(behind.message, "environment/qa does not contain origin/environment/qa (1a2b3c4)");
        assert_eq!(behind.causes, ["pushing would drop commits that are on origin"]);
        assert_eq!(behind.hints.len(), 2);
        let unknown = Error::from(Refusal::UnknownTarget {
            environment: "prod".into(),
            to: "9.9.9".into(),
            ran: vec!["1.0.0".into(), "1.1.0".into()],
        });
        assert_eq!(unknown.causes, ["prod ran: 1.0.0, 1.1.0"]);
        assert_eq!(unknown.hints.last().map(String::as_str), Some("see what prod ran: git release log prod"));
        let version = Error::from(Refusal::NotAVersion { why: "`a b` cannot be a version".into() });
        assert_eq!((version.kind, version.hints.len()), (Kind::Usage, 1));
    }
}
