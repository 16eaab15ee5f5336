//! Why `prepare` or `record` is refused: each case a variant that callers and tests can match,
//! with what to do next.

use crate::error::{Diagnostic, Kind};

/// A deployment step refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("--at `{text}` is not a time")]
    NotATime { text: String, why: String },
    #[error("--at `{text}` is before 1970")]
    Before1970 { text: String },
    /// `now` as RFC 3339 text.
    #[error("--at `{text}` is in the future")]
    InTheFuture { text: String, now: String },
    #[error("prepare handed off version `{version}`, which is not a version")]
    HandedOffNoVersion { environment: String, version: String, why: String },
    #[error("prepare found {tag} to be this deployment, and it is gone now")]
    RecordGone { environment: String, tag: String },
    /// The hand-off in this checkout does not stand as prepare left it (`held` says how).
    #[error("what prepare handed off does not hold: {held}")]
    HandOffDoesNotHold { environment: String, held: String },
    #[error("prepare handed off no commit of component {component}, which the release file lists")]
    ComponentNotHandedOff { environment: String, component: String },
    /// Without a hand-off: the version's tag is not made yet, so nothing was deployed as it.
    #[error("{tag} does not exist, so {environment} has not deployed it")]
    TagNotMade { environment: String, tag: String },
    /// Without a hand-off: nothing tells which commit was deployed.
    #[error("record cannot tell what {environment} deployed")]
    CannotTell { environment: String, version: String, from: String, commit: String },
    /// `--commit` names a commit no tag of the version stands on.
    #[error("no tag of {version} stands on {commit}, so {environment} did not deploy it as {version}")]
    NoTagOn { environment: String, version: String, commit: String, cut: String },
    #[error("`{rev}` is not a commit of the application repository {app}")]
    UnknownCommit { rev: String, app: String },
    #[error("the record name `{name}` is not a tag name git accepts")]
    BadRecordName { name: String, why: String },
    #[error("there is no remote `{remote}` to push tags to")]
    NoRemote { remote: String },
    /// `--branch` for an environment that deploys what its release file says (`deploys` in words).
    #[error("--branch {branch}: {environment} deploys no branch of anyone's naming")]
    BranchNotAsked { environment: String, branch: String, deploys: String },
    #[error("{environment} deploys any branch, and no branch was named")]
    NoBranchNamed { environment: String },
    /// `branch` is shown escaped.
    #[error("`{branch}` is not a branch name: {why}")]
    NotABranchName { environment: String, branch: String, why: String },
    /// `[trust] mode = "enforce"`, and the tags this deployment makes would be unsigned.
    #[error("[trust] mode = \"enforce\", and git here signs no tags: the tags this deployment makes would not count")]
    SignsNoTags,
    /// `[trust] mode = "enforce"`, and the key git signs with here is not the environment's.
    #[error(
        "git here signs with {key}, which [trust.signers] does not list for {environment}: the tags this deployment makes would not count"
    )]
    KeyNotListed { environment: String, key: String },
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::NotATime { .. }
            | Refusal::Before1970 { .. }
            | Refusal::InTheFuture { .. }
            | Refusal::HandedOffNoVersion { .. }
            | Refusal::UnknownCommit { .. }
            | Refusal::BadRecordName { .. }
            | Refusal::NoRemote { .. }
            | Refusal::BranchNotAsked { .. }
            | Refusal::NoBranchNamed { .. }
            | Refusal::NotABranchName { .. } => Kind::Usage,
            Refusal::SignsNoTags | Refusal::KeyNotListed { .. } => Kind::Config,
            _ => Kind::Refused,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            Refusal::NotATime { why, .. }
            | Refusal::HandedOffNoVersion { why, .. }
            | Refusal::BadRecordName { why, .. } => {
                vec![why.clone()]
            }
            Refusal::InTheFuture { now, .. } => {
                vec![format!("it is {now} now, by the clock (GIT_COMMITTER_DATE, else the system's)")]
            }
            Refusal::HandOffDoesNotHold { environment, .. } => vec![format!(
                "the hand-off of {environment} in this checkout says so, and prepare puts the version's tag on what it deploys"
            )],
            Refusal::TagNotMade { environment, .. } => vec![format!(
                "a deployment of {environment} deploys its version tag, which 'git release prepare {environment}' makes"
            )],
            Refusal::CannotTell { environment, version, from, commit } => vec![format!(
                "'git release prepare {environment}' left nothing here, and {version} resolves{from} to {commit}, which no version tag marks as prepared"
            )],
            Refusal::NoTagOn { environment, cut, .. } => vec![format!(
                "{environment} cuts {cut} tags: 'git release prepare {environment}' puts the version's tag on what it deploys"
            )],
            Refusal::BranchNotAsked { environment, deploys, .. } => vec![format!("{environment} deploys {deploys}")],
            Refusal::SignsNoTags => vec!["tag.gpgSign is not true in this repository's git configuration".into()],
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        let hint = match self {
            Refusal::NoBranchNamed { environment } => {
                return vec![
                    format!("name it: git release prepare {environment} --branch <branch> (or GIT_RELEASE_BRANCH)"),
                    "in the pipeline of a push to the branch, the CI names it".into(),
                ];
            }
            Refusal::NotABranchName { environment, .. } => {
                format!("name the branch as git does, such as: git release prepare {environment} --branch feature/login")
            }
            Refusal::NoRemote { remote } => {
                format!("add it with 'git remote add {remote} <url>', or keep the tags here with --no-push")
            }
            Refusal::BranchNotAsked { environment, .. } => {
                format!("leave --branch out, or set deploys = \"any-branch\" for {environment} (with cut = \"none\")")
            }
            Refusal::SignsNoTags => "give the deploy job its key: set tag.gpgSign = true, gpg.format and user.signingKey (see \"Trust\" in docs/gate.md)".to_owned(),
            Refusal::KeyNotListed { environment, .. } => format!(
                "sign with {environment}'s deploy key, or list this key under [trust.signers] {environment} on every environment branch"
            ),
            Refusal::NotATime { .. } => {
                "give an RFC 3339 time with its offset, such as 2026-11-21T10:15:00Z or 2026-11-21T11:15:00+01:00"
                    .to_owned()
            }
            Refusal::Before1970 { .. } => {
                "give the time the deployment happened, such as 2026-11-21T10:15:00Z".to_owned()
            }
            Refusal::InTheFuture { .. } => {
                "record a deployment when it has happened, or leave --at out to record it now".to_owned()
            }
            Refusal::HandedOffNoVersion { environment, .. } | Refusal::RecordGone { environment, .. } => {
                format!("run 'git release prepare {environment}' again")
            }
            Refusal::HandOffDoesNotHold { environment, .. } | Refusal::NoTagOn { environment, .. } => {
                let again =
                    if matches!(self, Refusal::HandOffDoesNotHold { .. }) { " again" } else { " for the deployment" };
                format!("run 'git release prepare {environment}'{again}, then 'git release record {environment}'")
            }
            Refusal::ComponentNotHandedOff { environment, .. } => {
                format!("run 'git release prepare {environment}' again with this release file")
            }
            Refusal::TagNotMade { environment, .. } => format!(
                "run 'git release prepare {environment}' before the deployment, or name what was deployed with --commit"
            ),
            Refusal::CannotTell { environment, .. } => format!(
                "name the deployed commit: git release record {environment} --commit <the commit prepare printed>"
            ),
            Refusal::UnknownCommit { .. } => {
                "name a commit, tag or branch that exists there; a commit pushed since needs a fetch (drop --offline)"
                    .to_owned()
            }
            Refusal::BadRecordName { .. } => {
                "check [tags] deploy and deploy-wip in release.toml, and the branch given with --branch".to_owned()
            }
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
        let future = Error::from(Refusal::InTheFuture {
            text: "2030-01-01T00:00:00Z".into(),
            now: "2026-11-21T10:15:00Z".into(),
        });
        assert_eq!(
            (future.kind, future.message.as_str()),
            (Kind::Usage, "--at `2030-01-01T00:00:00Z` is in the future")
        );
        assert_eq!(
            future.causes,
            ["it is 2026-11-21T10:15:00Z now, by the clock (GIT_COMMITTER_DATE, else the system's)"]
        );
        let held = Error::from(Refusal::HandOffDoesNotHold {
            environment: "qa".into(),
            held: "v1 does not stand on 1a2b3c4".into(),
        });
        assert_eq!(held.hints, ["run 'git release prepare qa' again, then 'git release record qa'"]);
        let no_tag = Error::from(Refusal::NoTagOn {
            environment: "qa".into(),
            version: "1.0.0".into(),
            commit: "1a2b3c4".into(),
            cut: "rc".into(),
        });
        assert_eq!(no_tag.message, "no tag of 1.0.0 stands on 1a2b3c4, so qa did not deploy it as 1.0.0");
        assert_eq!(no_tag.hints, ["run 'git release prepare qa' for the deployment, then 'git release record qa'"]);
    }
}
