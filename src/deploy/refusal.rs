//! Why a deployment is refused while it is being worked out: each case a variant that callers
//! and tests can match, with what to do next.

use crate::config::FILE_NAME;
use crate::error::{Diagnostic, Kind};
use crate::version;

/// A deployment refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("branch {branch} of environment {environment} does not exist")]
    BranchMissing { environment: String, branch: String, remote: String },
    #[error("{branch} has no {FILE_NAME}")]
    NoReleaseFile { branch: String },
    /// The branch the application repository is tracked by is not there.
    #[error("branch {branch} does not exist in the application repository {app}")]
    AppBranchMissing { branch: String, app: String },
    #[error("branch {branch} does not exist in {app}, the repository of component {component}")]
    ComponentBranchMissing { branch: String, app: String, component: String },
    /// `url` is redacted.
    #[error("the preview pins {component} to {commit}, which {app} does not have")]
    PinGone { component: String, commit: String, app: String, reference: String, url: String },
    /// The version rules refuse the tag this deployment would cut.
    #[error("{0}")]
    Version(version::Refusal),
    /// A pinned version that resolves now to a commit the environment before did not deploy.
    #[error(
        "{after} has not deployed {commit}, which version {pin} resolves to now, so {environment} does not deploy it"
    )]
    PinNotDeployedBefore { environment: String, after: String, pin: String, commit: String },
    /// A final release whose commit the environment before did not deploy.
    #[error("{after} has not deployed {commit}, which {tag} would release to {environment}")]
    NotDeployedBefore { environment: String, after: String, commit: String, tag: String, version: String },
    /// A final release whose commit the environment before deployed, and no longer runs; the
    /// gate's finding says how.
    #[error("{message}")]
    NoLongerRunBefore { message: String, tag: String, hint: Option<String> },
    /// In one repository: the environment branch does not hold what the final tag goes on.
    #[error("{branch}'s head {head} is not what {tag} would release: refusing to deploy {version} to {environment}")]
    HeadNotReleased {
        environment: String,
        branch: String,
        head: String,
        tag: String,
        version: String,
        rc: String,
        after: String,
    },
    /// A rollback commit whose target cannot be deployed (`why` says how).
    #[error("{commit} asks to roll {environment} back to {to}, but {why}")]
    RollbackUnresolvable { environment: String, commit: String, to: String, why: String },
    /// The branch was rewritten after the pipeline checked it out.
    #[error("{remote}/{branch} no longer holds {commit}, which this pipeline checked out")]
    Rewritten { branch: String, remote: String, commit: String, tracking: String },
    #[error("{branch} here has commits that {remote}/{branch} does not; they were never pushed")]
    Unpushed { branch: String, remote: String, local: String, tracking: String },
    #[error("--commit {rev} names no commit of this repository")]
    NotACommit { rev: String },
    /// What `prepare` left in this checkout is not a hand-off it wrote (`why` says how).
    #[error("{file} is not a hand-off from git release prepare")]
    NotAHandoff { environment: String, file: String, why: String },
    /// `--commit` for an environment that deploys its branch's head once a change is merged.
    #[error("--commit deploys a pull request before its merge, and {environment} does not deploy on approval")]
    NotOnApproval { environment: String, branch: String },
    /// A commit asked to be deployed on approval that the environment before's branch lacks.
    #[error("{commit} is not on {after_branch}, so it is no promotion from {after} to deploy on approval")]
    NoPromotion { commit: String, after: String, after_branch: String, branch: String },
    /// `findings` are the gate's failed checks as `check: message`; `hint` the first one's.
    #[error("the gate into {environment} refuses {commit}, so it is not deployed on approval")]
    GateRefuses { environment: String, commit: String, findings: Vec<String>, hint: String },
}

impl From<version::Refusal> for Refusal {
    fn from(refusal: version::Refusal) -> Self {
        Refusal::Version(refusal)
    }
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::NotACommit { .. } | Refusal::NotAHandoff { .. } | Refusal::NotOnApproval { .. } => Kind::Usage,
            _ => Kind::Refused,
        }
    }

    fn causes(&self) -> Vec<String> {
        match self {
            Refusal::PinGone { reference, url, .. } => vec![format!("it came from {reference} at {url}")],
            Refusal::NotDeployedBefore { tag, version, .. } => {
                vec![format!("{tag} goes on the commit of the highest release candidate of {version}")]
            }
            Refusal::NoLongerRunBefore { tag, .. } => {
                vec![format!("{tag} goes on the commit of the highest release candidate")]
            }
            Refusal::HeadNotReleased { branch, tag, rc, .. } => {
                vec![format!("{tag} goes on {rc}, whose files {branch} does not hold")]
            }
            Refusal::Rewritten { branch, remote, tracking, .. } => vec![format!("{remote}/{branch} is at {tracking}")],
            Refusal::Unpushed { branch, remote, local, tracking } => {
                vec![format!("{branch} is at {local}, {remote}/{branch} at {tracking}")]
            }
            Refusal::NotAHandoff { why, .. } => vec![why.clone()],
            Refusal::NotOnApproval { environment, .. } => vec![format!(
                "{environment} has gate = \"previous\": it deploys its branch's head once a change is merged"
            )],
            Refusal::GateRefuses { findings, .. } => findings.clone(),
            _ => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        let hint = match self {
            Refusal::NotOnApproval { environment, branch } => {
                return vec![
                    format!("merge the change into {branch}, then run 'git release prepare {environment}'"),
                    format!("to deploy {environment} on approval, set gate = \"self\" for it on its branch"),
                ];
            }
            Refusal::NoPromotion { branch, after_branch, .. } => {
                format!("open the pull request into {branch} from {after_branch}, and deploy its head")
            }
            Refusal::GateRefuses { hint, .. } => hint.clone(),
            Refusal::BranchMissing { branch, remote, .. } => {
                let (remote, branch) = (crate::refname::shell_word(remote), crate::refname::shell_word(branch));
                format!("fetch it with 'git fetch {remote} {branch}', or create it with 'git release init'")
            }
            Refusal::NoReleaseFile { .. } => "commit one there first; 'git release init' writes one".to_owned(),
            Refusal::AppBranchMissing { .. } => {
                "push it there, or name the branch to track in release.toml: [app] branch = \"<branch>\"".to_owned()
            }
            Refusal::ComponentBranchMissing { .. } => {
                "push it there, or name the branch to track: [[app.components]] branch = \"<branch>\"".to_owned()
            }
            Refusal::PinGone { .. } => {
                "the reference may have been force-pushed since: create the preview again with 'git release preview create'"
                    .to_owned()
            }
            Refusal::Version(refusal) => version_hint(refusal),
            Refusal::PinNotDeployedBefore { after, .. } => format!(
                "the pinned branch or pull request moved on since {after} deployed it: deploy it to {after} first, or pin the commit {after} ran"
            ),
            Refusal::NotDeployedBefore { after, .. } => {
                format!("deploy that candidate to {after} first; its pipeline ends with 'git release record {after}'")
            }
            Refusal::NoLongerRunBefore { hint, .. } => hint.clone().unwrap_or_default(),
            Refusal::HeadNotReleased { after, branch, .. } => {
                format!("promote what {after} deployed into {branch}, then deploy again")
            }
            Refusal::RollbackUnresolvable { environment, .. } => {
                format!("fetch the record tags, or set the version instead: git release set {environment} <version>")
            }
            Refusal::Rewritten { branch, .. } => {
                format!("{branch} was rewritten after this pipeline started; the pipeline of its new head deploys it")
            }
            Refusal::Unpushed { branch, remote, .. } => format!(
                "push {branch} first ('git push {remote} {branch}'), or deploy from this checkout alone with --no-push"
            ),
            Refusal::NotACommit { .. } => {
                "fetch it first, as a pull request's pipeline checks out its head ('git fetch origin <its branch>')"
                    .to_owned()
            }
            Refusal::NotAHandoff { environment, .. } => {
                format!("run 'git release prepare {environment}' again, or name the deployed commit with --commit")
            }
        };
        vec![hint]
    }
}

fn version_hint(refusal: &version::Refusal) -> String {
    match refusal {
        version::Refusal::Released { version, .. } => {
            format!("bump the version to release again: git release bump <environment> patch (after {version})")
        }
        version::Refusal::NoCandidate { rc_environment, .. } => {
            format!("run the deployment of {rc_environment} for this version first; it cuts the release candidate")
        }
        version::Refusal::FinalElsewhere { final_, .. } => {
            format!("{} records a release and is never moved; release a new version instead", final_.name)
        }
        version::Refusal::Exhausted { .. } => "release a new version".to_owned(),
        version::Refusal::Uneven { rc_environment, .. } => {
            format!(
                "run the deployment of {rc_environment} again: it completes the release candidate in every repository"
            )
        }
        version::Refusal::Undeployed { rc_environment, .. } => {
            format!("deploy the highest release candidate to {rc_environment} and record it, then release it here")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;
    use crate::error::{Error, Kind};

    #[test]
    fn each_refusal_says_what_is_wrong_and_what_to_do() {
        let before = Error::from(Refusal::NotDeployedBefore {
            environment: "prod".into(),
            after: "qa".into(),
            commit: "1a2b3c4".into(),
            tag: "v1.4.0".into(),
            version: "1.4.0".into(),
        });
        assert_eq!(
            (before.kind, before.message.as_str()),
            (Kind::Refused, "qa has not deployed 1a2b3c4, which v1.4.0 would release to prod")
        );
        assert_eq!(before.causes, ["v1.4.0 goes on the commit of the highest release candidate of 1.4.0"]);
        assert_eq!(before.hints, ["deploy that candidate to qa first; its pipeline ends with 'git release record qa'"]);
        let unpushed = Error::from(Refusal::Unpushed {
            branch: "main".into(),
            remote: "origin".into(),
            local: "1a2b3c4".into(),
            tracking: "5d6e7f8".into(),
        });
        assert_eq!(unpushed.causes, ["main is at 1a2b3c4, origin/main at 5d6e7f8"]);
        let commit = Error::from(Refusal::NotACommit { rev: "nope".into() });
        assert_eq!(
            (commit.kind, commit.message.as_str()),
            (Kind::Usage, "--commit nope names no commit of this repository")
        );
    }
}
