//! Promotion pull requests and commit statuses on the forges: one trait, one file per forge,
//! each with its own wire types turned into these at the edge.

mod azure;
mod bitbucket_cloud;
mod bitbucket_server;
pub mod detect;
mod gitea;
mod github;
mod gitlab;
mod owner;
pub mod token;

pub use crate::http::ServiceError;
pub use detect::{Declared, Kind, Location, Named, kind_of, locate, receives_tokens, token_hosts};
pub use owner::{ACCOUNT_VARIABLE, Owner, Stranger};
pub use token::{Secret, Token};

use crate::http::{Service, Settings};

/// A pull request as git-release needs it, whatever the forge calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// GitHub's number, GitLab's iid, Bitbucket's and Azure's id.
    pub number: u64,
    /// Its page, for people.
    pub url: String,
    pub title: String,
    pub body: String,
    pub source: String,
    pub target: String,
    /// Bitbucket Server's optimistic lock; an update must send the version it read.
    pub version: Option<u64>,
    /// Its head is in another repository (a fork), whatever its branch is called: anyone may
    /// open one, so it is never a promotion git-release keeps, updates or counts.
    pub from_fork: bool,
    /// The account that opened it, in the words [`Forge::account`] uses for the token's
    /// (GitHub's and Gitea's login, GitLab's and Bitbucket Server's user name, Bitbucket
    /// Cloud's account uuid, Azure DevOps' identity id); `None` when the forge does not say.
    pub author: Option<String>,
    /// Its head commit as the forge has it (Bitbucket Cloud gives 12 hex digits); `None` when
    /// the forge does not say.
    pub head: Option<String>,
}

impl PullRequest {
    /// Whether the forge's head is `commit` (a full id), as far as the forge spells it out.
    #[must_use]
    pub fn head_is(&self, commit: &str) -> bool {
        self.head.as_deref().is_some_and(|head| head.len() >= 7 && commit.starts_with(&head.to_ascii_lowercase()))
    }
}

/// A merge asked of the forge: guarded by the head the gate judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge<'a> {
    /// The full commit id the pull request's head must still be.
    pub head: &'a str,
    pub method: crate::config::MergeMethod,
    /// The merge (or squash) commit's message: a subject line, a blank line, a body.
    pub message: &'a str,
}

/// What the forge made of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// Merged; with the head the forge merged, where it says.
    Done { head: Option<String> },
    /// The head moved since the gate judged it: nothing was merged.
    HeadMoved(String),
    /// Not mergeable now (a check pending or failed, a review missing, a merge still running),
    /// in the forge's words: nothing was merged, and the next round looks again.
    NotReady(String),
}

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub body: String,
    pub source: String,
    pub target: String,
    /// Open it as a draft, where the forge has drafts.
    pub draft: bool,
}

/// What the forge answered to an open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    Created(PullRequest),
    /// The forge already has an open pull request for these branches (found by a concurrent run,
    /// say): find it and adopt it.
    Exists,
}

/// Which pull requests into a branch [`Forge::list`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Every open one, however many pages that takes.
    Open,
    /// Closed without merging (declined, abandoned), the most recently updated first: one page
    /// of at most [`CLOSED_SHOWN`].
    Closed,
}

/// How many closed pull requests [`Listing::Closed`] reads.
pub const CLOSED_SHOWN: usize = 50;

/// Whether a pull request can merge, as far as the forge has worked it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mergeable {
    Yes,
    Conflicts,
    /// Something other than conflicts stands in the way (checks, approvals), as the forge says.
    Blocked(String),
    /// The forge has not worked it out yet.
    Unknown,
}

/// The state of a commit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Success,
    Failure,
}

/// A commit status, as branch protection reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    pub state: State,
    /// `git-release/gate`.
    pub context: String,
    pub description: String,
    pub url: Option<String>,
}

/// A deployment to tell the forge of: the environment runs `commit` of this repository now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment<'a> {
    pub environment: &'a str,
    /// The full commit id, in the repository the forge holds.
    pub commit: &'a str,
    /// The branch `commit` is on there (GitLab names the ref deployed).
    pub branch: &'a str,
    /// The record's tag: what makes this deployment one and not another.
    pub record: &'a str,
    pub version: &'a str,
    /// The deployed commit of the application, beside the record.
    pub deployed: &'a str,
    /// The pipeline's page.
    pub log_url: Option<&'a str>,
    /// The environment's own address, from release.toml's `url`.
    pub environment_url: Option<&'a str>,
    /// When it was deployed, in seconds since 1970.
    pub time: i64,
}

impl Deployment<'_> {
    /// One line for people: `Deploy 1.4.0-rc.2 to qa (1.4.0.20261121T101500Z.qa)`, which the
    /// forges' limits (GitHub's 140 characters) let through whole in all but odd cases.
    #[must_use]
    pub fn description(&self) -> String {
        let line = format!("Deploy {} to {} ({})", self.version, self.environment, self.record);
        line.chars().take(140).collect()
    }
}

/// What the forge was told of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Told {
    /// The deployment was made, with its success.
    Created,
    /// The forge had the deployment already, without its success: that was added.
    Completed,
    /// The forge had the deployment and its success: nothing was done.
    Present,
    /// A dry run: it would be made.
    WouldCreate,
    /// The forge has no API to make one.
    NoApi,
}

/// What git-release asks of a forge.
pub trait Forge: Send + Sync {
    fn location(&self) -> &Location;

    /// The most characters a pull request's body may have, where the forge sets a limit.
    fn body_limit(&self) -> Option<usize> {
        None
    }

    /// The open pull request from `source` into `target`, if there is one.
    fn find_open(&self, source: &str, target: &str) -> Result<Option<PullRequest>, ServiceError>;

    /// The pull requests into `target` (into any branch: `None`), whatever their source: one
    /// list call, paged.
    fn list(&self, target: Option<&str>, listing: Listing) -> Result<Vec<PullRequest>, ServiceError>;

    fn create(&self, draft: &Draft) -> Result<Opened, ServiceError>;

    /// Sets the title and body of an open pull request.
    fn update(&self, pull: &PullRequest, title: &str, body: &str) -> Result<PullRequest, ServiceError>;

    /// Closes a pull request, with a comment that says why.
    fn close(&self, pull: &PullRequest, comment: &str) -> Result<(), ServiceError>;

    fn mergeable(&self, pull: &PullRequest) -> Result<Mergeable, ServiceError>;

    /// Whether [`Forge::mergeable`] can answer more than "unknown" for an open pull request;
    /// where it cannot, [`Forge::merge`] checks what it can itself.
    fn computes_mergeability(&self) -> bool {
        true
    }

    /// The merge methods the forge takes for one pull request.
    fn merge_methods(&self) -> &'static [crate::config::MergeMethod] {
        &crate::config::MergeMethod::ALL
    }

    /// Merges an open pull request if its head is still `merge.head`: passed to the forge where
    /// its API takes it, else checked just before and after.
    ///
    /// # Errors
    /// When the forge cannot be reached, refuses the token, or answers what cannot be read.
    fn merge(&self, pull: &PullRequest, merge: &Merge<'_>) -> Result<Merged, ServiceError>;

    fn post_status(&self, commit: &str, status: &CommitStatus) -> Result<(), ServiceError>;

    /// Tells the forge the environment runs a commit, once per record: where the forge has the
    /// deployment already, with its success, nothing is done. On a dry run only reads are made.
    ///
    /// # Errors
    /// When the forge cannot be reached, refuses the token, or answers what cannot be read.
    fn tell_deployment(&self, deployment: &Deployment<'_>, dry_run: bool) -> Result<Told, ServiceError> {
        let _ = (deployment, dry_run);
        Ok(Told::NoApi)
    }

    fn default_branch(&self) -> Result<String, ServiceError>;

    /// Whether the token may push to the repository, where the forge says (a read-only call);
    /// `None` where it does not.
    ///
    /// # Errors
    /// When the forge cannot be reached, refuses the token or does not know the repository.
    fn may_push(&self) -> Result<Option<bool>, ServiceError> {
        self.default_branch().map(|_| None)
    }

    /// The status checks the forge requires on changes into `branch` (a read-only call):
    /// empty where it requires none, `None` where the forge or the token's rights do not let
    /// them be read.
    ///
    /// # Errors
    /// When the forge cannot be reached or answers what cannot be read.
    fn required_checks(&self, branch: &str) -> Result<Option<Vec<String>>, ServiceError> {
        let _ = branch;
        Ok(None)
    }

    /// The account the token acts as, in the words pull requests name their authors with;
    /// `None` when the forge will not tell this token who it is.
    ///
    /// # Errors
    /// When the forge cannot be reached or answers what cannot be read.
    fn account(&self) -> Result<Option<String>, ServiceError>;
}

/// A commit message's subject (its first line) and its body (the rest, blank lines at its
/// start dropped), for forges that take them apart.
#[must_use]
pub fn subject_and_body(message: &str) -> (&str, &str) {
    let message = message.trim_start();
    let (subject, body) = message.split_once('\n').unwrap_or((message, ""));
    (subject.trim_end(), body.trim_start_matches(['\n', '\r']))
}

/// The client for the forge at `location`.
///
/// # Errors
/// When the HTTP client cannot be built.
pub fn connect(location: Location, token: Option<Token>, settings: Settings) -> Result<Box<dyn Forge>, ServiceError> {
    Ok(match location.kind {
        Kind::Github => Box::new(github::Github::new(location, token, settings)?),
        Kind::Gitlab => Box::new(gitlab::Gitlab::new(location, token, settings)?),
        Kind::BitbucketServer => Box::new(bitbucket_server::BitbucketServer::new(location, token, settings)?),
        Kind::BitbucketCloud => Box::new(bitbucket_cloud::BitbucketCloud::new(location, token, settings)?),
        Kind::AzureDevops => Box::new(azure::Azure::new(location, token, settings)?),
        Kind::Gitea => Box::new(gitea::Gitea::new(location, token, settings)?),
    })
}

/// `body` cut to `limit` characters, with a last line that says so.
#[must_use]
pub fn fit(body: &str, limit: Option<usize>) -> String {
    const NOTE: &str = "\n\n… cut to fit the forge's limit; `git release diff` shows it all.";
    match limit {
        Some(limit) if body.chars().count() > limit => {
            let keep = limit.saturating_sub(NOTE.chars().count());
            let mut cut: String = body.chars().take(keep).collect();
            cut.push_str(NOTE);
            cut
        }
        _ => body.to_owned(),
    }
}

impl From<Kind> for Service {
    fn from(kind: Kind) -> Service {
        Service {
            title: kind.title(),
            variables: token::variables(kind).join(" or "),
            rights: "read and write pull requests and statuses",
            sign_in_is_203: kind == Kind::AzureDevops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn a_refusal_of_no_token_says_none_was_sent_not_that_none_is_set() {
        use crate::error::Diagnostic;
        let refused = super::ServiceError::Unauthorized {
            forge: "GitHub",
            status: 401,
            token: None,
            variables: "GITHUB_TOKEN or GH_TOKEN".into(),
            rights: "read and write pull requests and statuses",
            message: Some("Requires authentication".into()),
        };
        assert_eq!(refused.to_string(), "GitHub refused a request sent without a token (HTTP 401)");
        let causes = refused.causes().join("\n");
        assert!(causes.contains("no token was sent"), "{causes}");
        assert!(
            causes.contains("a token from GITHUB_TOKEN or GH_TOKEN goes only to the host it belongs to"),
            "{causes}"
        );
    }

    #[test]
    fn a_body_past_the_limit_is_cut_and_says_so() {
        assert_eq!(fit("short", Some(4000)), "short");
        assert_eq!(fit("short", None), "short");
        let long = "x".repeat(5000);
        let cut = fit(&long, Some(4000));
        assert_eq!(cut.chars().count(), 4000);
        assert!(cut.ends_with("`git release diff` shows it all."), "{cut}");
    }
}
