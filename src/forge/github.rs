//! GitHub and GitHub Enterprise Server: REST v3.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{
    CLOSED_SHOWN, CommitStatus, Deployment, Draft, Forge, Kind, Listing, Location, Merge, Mergeable, Merged, Opened,
    PullRequest, ServiceError, State, Token, Told,
};
use crate::config::MergeMethod;
use crate::http::{Http, Reply, Scheme, Settings};

pub struct Github {
    location: Location,
    http: Http,
}

#[derive(Deserialize)]
struct Pull {
    number: u64,
    html_url: String,
    title: String,
    body: Option<String>,
    head: Branch,
    base: Branch,
    mergeable: Option<bool>,
    mergeable_state: Option<String>,
    merged_at: Option<String>,
    /// Who opened it; `null` for a deleted account.
    user: Option<Login>,
}

/// An account as GitHub and Gitea name it.
#[derive(Deserialize)]
pub(super) struct Login {
    pub(super) login: String,
}

/// GraphQL's answer to `viewer`: the one way an app's installation token (`GITHUB_TOKEN` among
/// them) learns its own login, since `GET /user` refuses those.
#[derive(Deserialize)]
struct Viewer {
    data: Option<ViewerData>,
}

#[derive(Deserialize)]
struct ViewerData {
    viewer: Login,
}

#[derive(Deserialize)]
struct Branch {
    #[serde(rename = "ref")]
    name: String,
    /// The head commit; the spec always has it.
    sha: Option<String>,
    /// `null` when the fork it came from was deleted.
    repo: Option<Named>,
}

#[derive(Deserialize, PartialEq, Eq)]
struct Named {
    full_name: String,
}

#[derive(Deserialize)]
struct Repository {
    default_branch: String,
    /// The token's rights, where it has any on the repository.
    #[serde(default)]
    permissions: Option<Permissions>,
}

#[derive(Deserialize)]
struct Permissions {
    push: bool,
}

/// A branch's required status checks: the old list of contexts, and the newer checks.
#[derive(Deserialize)]
struct RequiredChecks {
    #[serde(default)]
    contexts: Vec<String>,
    #[serde(default)]
    checks: Vec<RequiredCheck>,
}

#[derive(Deserialize)]
struct RequiredCheck {
    context: String,
}

/// A branch name as one segment of an address: bytes other than letters, digits and `._-/`
/// percent-encoded.
fn branch_segment(branch: &str) -> String {
    let mut out = String::new();
    for byte in branch.bytes() {
        if byte.is_ascii_alphanumeric() || b"._-/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A deployment as GitHub lists it: its payload is what git-release wrote, an object, or the
/// JSON text of one where another tool wrote a string.
#[derive(Deserialize)]
struct Deployed {
    id: u64,
    #[serde(default)]
    payload: serde_json::Value,
}

impl Deployed {
    /// The record this deployment was made for, as its payload says.
    fn record(&self) -> Option<String> {
        let payload = match &self.payload {
            serde_json::Value::String(text) => serde_json::from_str(text).ok()?,
            other => other.clone(),
        };
        payload.pointer(PAYLOAD_RECORD).and_then(serde_json::Value::as_str).map(str::to_owned)
    }
}

/// Where in a deployment's payload git-release names the record it was made for.
const PAYLOAD_RECORD: &str = "/git-release/record";

#[derive(Deserialize)]
struct DeploymentStatus {
    state: String,
}

impl From<Pull> for PullRequest {
    fn from(pull: Pull) -> PullRequest {
        PullRequest {
            number: pull.number,
            url: pull.html_url,
            title: pull.title,
            body: pull.body.unwrap_or_default(),
            source: pull.head.name,
            from_fork: pull.head.repo != pull.base.repo,
            head: pull.head.sha,
            target: pull.base.name,
            version: None,
            author: pull.user.map(|user| user.login),
        }
    }
}

impl Github {
    pub fn new(location: Location, token: Option<Token>, settings: Settings) -> Result<Github, ServiceError> {
        let http = Http::new(Kind::Github, &location.api, token, Scheme::Bearer, settings)?
            .with_header("X-GitHub-Api-Version", "2022-11-28");
        Ok(Github { location, http })
    }

    fn path(&self, rest: &str) -> String {
        format!("/repos/{}{rest}", self.location.repository)
    }

    fn owner(&self) -> &str {
        self.location.repository.split('/').next().unwrap_or_default()
    }

    fn pull(reply: &Reply) -> Result<Pull, ServiceError> {
        reply.json(Kind::Github, "a pull request")
    }

    /// The deployment made for this record, as its payload says, among those of its commit and
    /// environment.
    fn deployment_of(&self, deployment: &Deployment<'_>) -> Result<Option<Deployed>, ServiceError> {
        let query = [("sha", deployment.commit), ("environment", deployment.environment), ("per_page", "100")];
        let url = self.http.address(&self.path("/deployments"), &query)?;
        let short = deployment.commit.get(..7).unwrap_or(deployment.commit);
        let what = format!("the deployments of {short} to {}", deployment.environment);
        let known: Vec<Deployed> =
            self.http.pages(&url, &what, &|reply| reply.json(Kind::Github, "the deployments"), &|reply, _| {
                reply.next_link()
            })?;
        Ok(known.into_iter().find(|made| made.record().as_deref() == Some(deployment.record)))
    }

    /// The success of a deployment, which turns the environment's earlier ones inactive.
    fn deployment_succeeded(&self, id: u64, deployment: &Deployment<'_>) -> Result<(), ServiceError> {
        let mut body = json!({
            "state": "success",
            "environment": deployment.environment,
            "description": deployment.description(),
            "auto_inactive": true,
        });
        if let Some(url) = deployment.log_url {
            body["log_url"] = json!(url);
        }
        if let Some(url) = deployment.environment_url {
            body["environment_url"] = json!(url);
        }
        let path = self.path(&format!("/deployments/{id}/statuses"));
        self.http.call(&Method::POST, &path, Some(&body), &format!("the success of deployment {id}"))?;
        Ok(())
    }

    /// GraphQL's address beside the REST API's: `/graphql` on api.github.com, `/api/graphql` on
    /// GitHub Enterprise Server, whose REST API is under `/api/v3`.
    fn graphql(&self) -> String {
        let api = self.location.api.trim_end_matches('/');
        match api.strip_suffix("/api/v3") {
            Some(server) => format!("{server}/api/graphql"),
            None => format!("{api}/graphql"),
        }
    }
}

impl Forge for Github {
    fn location(&self) -> &Location {
        &self.location
    }

    fn body_limit(&self) -> Option<usize> {
        Some(65_536)
    }

    fn find_open(&self, source: &str, target: &str) -> Result<Option<PullRequest>, ServiceError> {
        let head = format!("{}:{source}", self.owner());
        let url = self.http.address(
            &self.path("/pulls"),
            &[("state", "open"), ("head", &head), ("base", target), ("per_page", "100")],
        )?;
        let pulls: Vec<Pull> = self.http.pages(
            &url,
            &format!("repository {}", self.location.repository),
            &|reply| reply.json(Kind::Github, "the open pull requests"),
            &|reply, _| reply.next_link(),
        )?;
        Ok(pulls.into_iter().find(|p| p.head.name == source && p.base.name == target).map(PullRequest::from))
    }

    fn list(&self, target: Option<&str>, listing: Listing) -> Result<Vec<PullRequest>, ServiceError> {
        let shown = CLOSED_SHOWN.to_string();
        let mut query: Vec<(&str, &str)> = match listing {
            Listing::Open => vec![("state", "open"), ("per_page", "100")],
            Listing::Closed => {
                vec![("state", "closed"), ("sort", "updated"), ("direction", "desc"), ("per_page", &shown)]
            }
        };
        query.extend(target.map(|target| ("base", target)));
        let url = self.http.address(&self.path("/pulls"), &query)?;
        let pulls: Vec<Pull> = self.http.pages(
            &url,
            &format!("repository {}", self.location.repository),
            &|reply| reply.json(Kind::Github, "the pull requests"),
            &|reply, _| if listing == Listing::Open { reply.next_link() } else { None },
        )?;
        let wanted =
            |p: &Pull| target.is_none_or(|t| p.base.name == t) && (listing == Listing::Open || p.merged_at.is_none());
        Ok(pulls.into_iter().filter(wanted).map(PullRequest::from).collect())
    }

    fn create(&self, draft: &Draft) -> Result<Opened, ServiceError> {
        let body = json!({
            "title": draft.title,
            "body": draft.body,
            "head": draft.source,
            "base": draft.target,
            "draft": draft.draft,
        });
        let reply = self.http.send(&Method::POST, &self.path("/pulls"), Some(&body))?;
        match reply.status {
            201 | 200 => Ok(Opened::Created(Self::pull(&reply)?.into())),
            422 if reply.body.contains("already exists") => Ok(Opened::Exists),
            _ => Err(self.http.refusal(&reply, "the new pull request")),
        }
    }

    fn update(&self, pull: &PullRequest, title: &str, body: &str) -> Result<PullRequest, ServiceError> {
        Ok(Self::pull(&edit(&self.http, &self.path(""), pull.number, title, body)?)?.into())
    }

    fn close(&self, pull: &PullRequest, comment: &str) -> Result<(), ServiceError> {
        close(&self.http, &self.path(""), pull.number, comment)
    }

    fn mergeable(&self, pull: &PullRequest) -> Result<Mergeable, ServiceError> {
        let path = self.path(&format!("/pulls/{}", pull.number));
        let reply = self.http.call(&Method::GET, &path, None, &format!("pull request #{}", pull.number))?;
        let pull = Self::pull(&reply)?;
        // `mergeable` is null while GitHub works it out in the background.
        Ok(mergeability(pull.mergeable, pull.mergeable_state.as_deref()))
    }

    fn merge_methods(&self) -> &'static [MergeMethod] {
        // GitHub's `rebase` rewrites the commits; it cannot move a branch to the head as it is.
        &[MergeMethod::Merge, MergeMethod::Squash]
    }

    fn merge(&self, pull: &PullRequest, merge: &Merge<'_>) -> Result<Merged, ServiceError> {
        let path = self.path(&format!("/pulls/{}/merge", pull.number));
        let (title, message) = super::subject_and_body(merge.message);
        let method = match merge.method {
            MergeMethod::Squash => "squash",
            MergeMethod::Merge | MergeMethod::FastForward => "merge",
        };
        let body = json!({"sha": merge.head, "merge_method": method, "commit_title": title, "commit_message": message});
        let what = format!("the merge of pull request #{}", pull.number);
        let reply = self.http.send(&Method::PUT, &path, Some(&body))?;
        let said = || crate::http::message_of(&reply.body).unwrap_or_default();
        Ok(match reply.status {
            // `merged: false` with 200 is no merge.
            200..=299
                if serde_json::from_str::<serde_json::Value>(&reply.body)
                    .is_ok_and(|answer| answer.get("merged") == Some(&json!(false))) =>
            {
                Merged::NotReady(said())
            }
            200..=299 => Merged::Done { head: Some(merge.head.to_owned()) },
            // "Head branch was modified. Review and try the merge again."
            409 => Merged::HeadMoved(said()),
            // 405: "Pull Request is not mergeable"; 422: a check or review stands in the way.
            405 | 422 => Merged::NotReady(said()),
            _ => return Err(self.http.refusal(&reply, &what)),
        })
    }

    fn post_status(&self, commit: &str, status: &CommitStatus) -> Result<(), ServiceError> {
        post_status(&self.http, &self.path(""), commit, status)
    }

    fn tell_deployment(&self, deployment: &Deployment<'_>, dry_run: bool) -> Result<Told, ServiceError> {
        if let Some(made) = self.deployment_of(deployment)? {
            let path = self.path(&format!("/deployments/{}/statuses", made.id));
            let url = self.http.address(&path, &[("per_page", "100")])?;
            let statuses: Vec<DeploymentStatus> = self.http.pages(
                &url,
                &format!("the statuses of deployment {}", made.id),
                &|reply| reply.json(Kind::Github, "the deployment's statuses"),
                &|reply, _| reply.next_link(),
            )?;
            // `inactive` follows `success` once a later deployment took over: told all the same.
            if statuses.iter().any(|status| matches!(status.state.as_str(), "success" | "inactive")) {
                return Ok(Told::Present);
            }
            if dry_run {
                return Ok(Told::WouldCreate);
            }
            self.deployment_succeeded(made.id, deployment)?;
            return Ok(Told::Completed);
        }
        if dry_run {
            return Ok(Told::WouldCreate);
        }
        let body = json!({
            "ref": deployment.commit,
            "task": "deploy",
            "environment": deployment.environment,
            "description": deployment.description(),
            // The deployment happened already: GitHub is neither to merge the default branch
            // into it nor to wait for the commit's statuses first.
            "auto_merge": false,
            "required_contexts": [],
            "transient_environment": false,
            "payload": {"git-release": {
                "record": deployment.record,
                "version": deployment.version,
                "commit": deployment.deployed,
            }},
        });
        // Sent once at a time: when the answer is lost, GitHub may have made it all the same,
        // and a blind second try would make a second deployment of the record.
        let mut tries = 0;
        let made = loop {
            tries += 1;
            match self.http.call_once(&Method::POST, &self.path("/deployments"), Some(&body), "the new deployment") {
                Ok(reply) => break reply.json::<Deployed>(Kind::Github, "the new deployment")?,
                Err(error @ (ServiceError::GaveUp { .. } | ServiceError::Network { .. })) => {
                    if let Some(made) = self.deployment_of(deployment)? {
                        break made;
                    }
                    if tries >= 3 {
                        return Err(error);
                    }
                }
                Err(error) => return Err(error),
            }
        };
        self.deployment_succeeded(made.id, deployment)?;
        Ok(Told::Created)
    }

    fn default_branch(&self) -> Result<String, ServiceError> {
        let what = format!("repository {}", self.location.repository);
        let reply = self.http.call(&Method::GET, &self.path(""), None, &what)?;
        Ok(reply.json::<Repository>(Kind::Github, "the repository")?.default_branch)
    }

    fn may_push(&self) -> Result<Option<bool>, ServiceError> {
        let what = format!("repository {}", self.location.repository);
        let reply = self.http.call(&Method::GET, &self.path(""), None, &what)?;
        Ok(reply.json::<Repository>(Kind::Github, "the repository")?.permissions.map(|p| p.push))
    }

    fn required_checks(&self, branch: &str) -> Result<Option<Vec<String>>, ServiceError> {
        let path = self.path(&format!("/branches/{}/protection/required_status_checks", branch_segment(branch)));
        let what = format!("the required checks of {branch}");
        match self.http.call(&Method::GET, &path, None, &what) {
            Ok(reply) => {
                let required: RequiredChecks = reply.json(Kind::Github, &what)?;
                let mut contexts = required.contexts;
                contexts.extend(required.checks.into_iter().map(|c| c.context));
                contexts.sort();
                contexts.dedup();
                Ok(Some(contexts))
            }
            // Not protected, or protected without required checks.
            Err(ServiceError::NotFound { .. }) => Ok(Some(Vec::new())),
            // Reading a branch's protection takes administration rights.
            Err(ServiceError::Forbidden { .. } | ServiceError::Unauthorized { status: 403, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn account(&self) -> Result<Option<String>, ServiceError> {
        match self.http.call(&Method::GET, "/user", None, "the token's account") {
            Ok(reply) => return Ok(Some(reply.json::<Login>(Kind::Github, "the token's account")?.login)),
            Err(ServiceError::Unauthorized { status: 403, .. } | ServiceError::Forbidden { .. }) => {}
            Err(error) => return Err(error),
        }
        let query = json!({"query": "query { viewer { login } }"});
        let reply = self.http.call(&Method::POST, &self.graphql(), Some(&query), "the token's account")?;
        let viewer: Viewer = reply.json(Kind::Github, "the token's account")?;
        Ok(viewer.data.map(|data| data.viewer.login))
    }
}

// Gitea's API is shaped after GitHub's: these calls serve both, under a repository's path.

/// Sets a pull request's title and body; the answer is the pull request.
/// Only `clean` (or `has_hooks`, clean with hooks passing) is mergeable: `draft`, `behind`,
/// `unstable`, `blocked` or a state not known here is not. `mergeable` is null while GitHub
/// works it out in the background.
fn mergeability(mergeable: Option<bool>, state: Option<&str>) -> Mergeable {
    match (mergeable, state) {
        (None, _) | (Some(true), Some("unknown")) => Mergeable::Unknown,
        (Some(false), Some("dirty") | None) => Mergeable::Conflicts,
        (Some(true), Some("clean" | "has_hooks") | None) => Mergeable::Yes,
        (Some(_), Some(state)) => Mergeable::Blocked(state.to_owned()),
    }
}

pub(super) fn edit(http: &Http, repository: &str, number: u64, title: &str, body: &str) -> Result<Reply, ServiceError> {
    let path = format!("{repository}/pulls/{number}");
    let what = format!("the update of pull request #{number}");
    http.call(&Method::PATCH, &path, Some(&json!({"title": title, "body": body})), &what)
}

/// Comments on a pull request (as on its issue), then closes it.
pub(super) fn close(http: &Http, repository: &str, number: u64, comment: &str) -> Result<(), ServiceError> {
    let comments = format!("{repository}/issues/{number}/comments");
    let what = format!("a comment on pull request #{number}");
    http.call(&Method::POST, &comments, Some(&json!({"body": comment})), &what)?;
    let path = format!("{repository}/pulls/{number}");
    let what = format!("closing pull request #{number}");
    http.call(&Method::PATCH, &path, Some(&json!({"state": "closed"})), &what)?;
    Ok(())
}

/// Posts a commit status: `pending`, `success` or `failure` under a context.
pub(super) fn post_status(
    http: &Http,
    repository: &str,
    commit: &str,
    status: &CommitStatus,
) -> Result<(), ServiceError> {
    let state = match status.state {
        State::Pending => "pending",
        State::Success => "success",
        State::Failure => "failure",
    };
    let mut body = json!({"state": state, "context": status.context, "description": status.description});
    if let Some(url) = &status.url {
        body["target_url"] = json!(url);
    }
    let path = format!("{repository}/statuses/{commit}");
    http.call(&Method::POST, &path, Some(&body), &format!("a status on {commit}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(api: &str) -> Github {
        let location = Location { kind: Kind::Github, api: api.to_owned(), repository: "shop/release".into() };
        let quiet: crate::trace::Trace = std::sync::Arc::new(|_: &str| {});
        Github::new(location, None, Settings::from_env(quiet, || None, &|_| None)).expect("a client")
    }

    #[test]
    fn only_a_clean_pull_request_is_mergeable() {
        assert_eq!(mergeability(Some(true), Some("clean")), Mergeable::Yes);
        assert_eq!(mergeability(Some(true), Some("has_hooks")), Mergeable::Yes);
        for state in ["draft", "behind", "unstable", "blocked", "weird"] {
            assert_eq!(mergeability(Some(true), Some(state)), Mergeable::Blocked(state.into()), "{state}");
        }
        assert_eq!(mergeability(Some(false), Some("dirty")), Mergeable::Conflicts);
        assert_eq!(mergeability(None, Some("clean")), Mergeable::Unknown);
        assert_eq!(mergeability(Some(true), Some("unknown")), Mergeable::Unknown);
    }

    #[test]
    fn graphql_is_asked_beside_the_rest_api_on_github_and_on_enterprise_server() {
        assert_eq!(at("https://api.github.com").graphql(), "https://api.github.com/graphql");
        assert_eq!(at("https://github.example.com/api/v3/").graphql(), "https://github.example.com/api/graphql");
        assert_eq!(at("http://127.0.0.1:8080").graphql(), "http://127.0.0.1:8080/graphql");
    }
}
