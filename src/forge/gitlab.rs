//! GitLab (gitlab.com and self-managed): REST v4 merge requests and commit statuses.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{
    CLOSED_SHOWN, CommitStatus, Deployment, Draft, Forge, Kind, Listing, Location, Merge, Mergeable, Merged, Opened,
    PullRequest, ServiceError, State, Token, Told,
};
use crate::config::MergeMethod;
use crate::http::{self, Http, Reply, Scheme, Settings};

pub struct Gitlab {
    location: Location,
    http: Http,
    /// The project path encoded as one path segment: `group%2Fsub%2Fproject`.
    project: String,
}

#[derive(Deserialize)]
struct MergeRequest {
    iid: u64,
    web_url: String,
    title: String,
    description: Option<String>,
    source_branch: String,
    target_branch: String,
    source_project_id: Option<u64>,
    target_project_id: Option<u64>,
    detailed_merge_status: Option<String>,
    has_conflicts: Option<bool>,
    /// The head commit.
    sha: Option<String>,
    /// Who opened it.
    author: Option<User>,
}

/// A user as GitLab names one: project and group access tokens act as bot users of their own.
#[derive(Deserialize)]
struct User {
    username: String,
}

#[derive(Deserialize)]
struct Project {
    default_branch: Option<String>,
}

/// A deployment of an environment, as GitLab lists it.
#[derive(Deserialize)]
struct Deployed {
    sha: String,
    status: String,
}

impl From<MergeRequest> for PullRequest {
    fn from(mr: MergeRequest) -> PullRequest {
        PullRequest {
            number: mr.iid,
            url: mr.web_url,
            title: mr.title,
            body: mr.description.unwrap_or_default(),
            source: mr.source_branch,
            target: mr.target_branch,
            version: None,
            from_fork: mr.source_project_id != mr.target_project_id,
            author: mr.author.map(|user| user.username),
            head: mr.sha,
        }
    }
}

impl Gitlab {
    pub fn new(location: Location, token: Option<Token>, settings: Settings) -> Result<Gitlab, ServiceError> {
        let http = Http::new(Kind::Gitlab, &location.api, token, Scheme::Header("PRIVATE-TOKEN"), settings)?;
        let project = location.repository.replace('/', "%2F");
        Ok(Gitlab { location, http, project })
    }

    fn path(&self, rest: &str) -> String {
        format!("/projects/{}{rest}", self.project)
    }

    fn merge_request(reply: &Reply) -> Result<MergeRequest, ServiceError> {
        reply.json(Kind::Gitlab, "a merge request")
    }

    /// The next page: `Link`, else `X-Next-Page` (GitLab drops the totals on large lists, not these).
    fn next(reply: &Reply, url: &str) -> Option<String> {
        reply.next_link().or_else(|| {
            let page = reply.header("x-next-page").filter(|p| !p.trim().is_empty())?;
            http::with_param(url, "page", page.trim())
        })
    }
}

impl Forge for Gitlab {
    fn location(&self) -> &Location {
        &self.location
    }

    fn find_open(&self, source: &str, target: &str) -> Result<Option<PullRequest>, ServiceError> {
        let url = self.http.address(
            &self.path("/merge_requests"),
            &[("state", "opened"), ("source_branch", source), ("target_branch", target), ("per_page", "100")],
        )?;
        let found: Vec<MergeRequest> = self.http.pages(
            &url,
            &format!("repository {}", self.location.repository),
            &|reply| reply.json(Kind::Gitlab, "the open merge requests"),
            &Self::next,
        )?;
        Ok(found.into_iter().find(|mr| mr.source_branch == source && mr.target_branch == target).map(Into::into))
    }

    fn list(&self, target: Option<&str>, listing: Listing) -> Result<Vec<PullRequest>, ServiceError> {
        let shown = CLOSED_SHOWN.to_string();
        // GitLab's `closed` leaves out the merged ones.
        let mut query: Vec<(&str, &str)> = match listing {
            Listing::Open => vec![("state", "opened"), ("per_page", "100")],
            Listing::Closed => {
                vec![("state", "closed"), ("order_by", "updated_at"), ("sort", "desc"), ("per_page", &shown)]
            }
        };
        query.extend(target.map(|target| ("target_branch", target)));
        let url = self.http.address(&self.path("/merge_requests"), &query)?;
        let found: Vec<MergeRequest> = self.http.pages(
            &url,
            &format!("repository {}", self.location.repository),
            &|reply| reply.json(Kind::Gitlab, "the merge requests"),
            &|reply, url| if listing == Listing::Open { Self::next(reply, url) } else { None },
        )?;
        Ok(found.into_iter().filter(|mr| target.is_none_or(|t| mr.target_branch == t)).map(Into::into).collect())
    }

    fn create(&self, draft: &Draft) -> Result<Opened, ServiceError> {
        // GitLab marks drafts by the title's prefix.
        let title = if draft.draft { format!("Draft: {}", draft.title) } else { draft.title.clone() };
        let body = json!({
            "source_branch": draft.source,
            "target_branch": draft.target,
            "title": title,
            "description": draft.body,
        });
        let reply = self.http.send(&Method::POST, &self.path("/merge_requests"), Some(&body))?;
        match reply.status {
            200 | 201 => Ok(Opened::Created(Self::merge_request(&reply)?.into())),
            // "Another open merge request already exists": the message is translated, the status is not.
            409 => Ok(Opened::Exists),
            _ => Err(self.http.refusal(&reply, "the new merge request")),
        }
    }

    fn update(&self, pull: &PullRequest, title: &str, body: &str) -> Result<PullRequest, ServiceError> {
        let path = self.path(&format!("/merge_requests/{}", pull.number));
        let what = format!("the update of merge request !{}", pull.number);
        let reply = self.http.call(&Method::PUT, &path, Some(&json!({"title": title, "description": body})), &what)?;
        Ok(Self::merge_request(&reply)?.into())
    }

    fn close(&self, pull: &PullRequest, comment: &str) -> Result<(), ServiceError> {
        let notes = self.path(&format!("/merge_requests/{}/notes", pull.number));
        let what = format!("a comment on merge request !{}", pull.number);
        self.http.call(&Method::POST, &notes, Some(&json!({"body": comment})), &what)?;
        let path = self.path(&format!("/merge_requests/{}", pull.number));
        let what = format!("closing merge request !{}", pull.number);
        self.http.call(&Method::PUT, &path, Some(&json!({"state_event": "close"})), &what)?;
        Ok(())
    }

    fn mergeable(&self, pull: &PullRequest) -> Result<Mergeable, ServiceError> {
        let path = self.path(&format!("/merge_requests/{}", pull.number));
        let reply = self.http.call(&Method::GET, &path, None, &format!("merge request !{}", pull.number))?;
        let mr = Self::merge_request(&reply)?;
        Ok(match (mr.detailed_merge_status.as_deref(), mr.has_conflicts) {
            (Some("mergeable"), _) => Mergeable::Yes,
            (Some("conflict"), _) | (None, Some(true)) => Mergeable::Conflicts,
            (Some("checking" | "unchecked" | "preparing" | "approvals_syncing") | None, _) => Mergeable::Unknown,
            (Some(other), _) => Mergeable::Blocked(other.to_owned()),
        })
    }

    fn merge_methods(&self) -> &'static [MergeMethod] {
        // Whether GitLab fast-forwards is the project's merge method, not the request's.
        &[MergeMethod::Merge, MergeMethod::Squash]
    }

    fn merge(&self, pull: &PullRequest, merge: &Merge<'_>) -> Result<Merged, ServiceError> {
        let path = self.path(&format!("/merge_requests/{}/merge", pull.number));
        let squash = merge.method == MergeMethod::Squash;
        let mut body = json!({"sha": merge.head, "squash": squash, "should_remove_source_branch": false});
        body[if squash { "squash_commit_message" } else { "merge_commit_message" }] = json!(merge.message);
        let what = format!("the merge of merge request !{}", pull.number);
        let reply = self.http.send(&Method::PUT, &path, Some(&body))?;
        let said = || http::message_of(&reply.body).unwrap_or_else(|| format!("HTTP {}", reply.status));
        Ok(match reply.status {
            200..=299 => Merged::Done { head: Some(merge.head.to_owned()) },
            // "SHA does not match HEAD of source branch"
            409 => Merged::HeadMoved(said()),
            // 405 or 422: not mergeable now (a pipeline, an approval, a discussion); 406: conflicts.
            405 | 406 | 422 => Merged::NotReady(said()),
            _ => return Err(self.http.refusal(&reply, &what)),
        })
    }

    fn post_status(&self, commit: &str, status: &CommitStatus) -> Result<(), ServiceError> {
        let state = match status.state {
            State::Pending => "pending",
            State::Success => "success",
            State::Failure => "failed",
        };
        let mut body = json!({"state": state, "name": status.context, "description": status.description});
        if let Some(url) = &status.url {
            body["target_url"] = json!(url);
        }
        let path = self.path(&format!("/statuses/{commit}"));
        self.http.call(&Method::POST, &path, Some(&body), &format!("a status on {commit}"))?;
        Ok(())
    }

    /// GitLab's deployments carry no note of their own: the environment's latest deployment
    /// being of this commit (made by an earlier run, or by GitLab's own job for the
    /// environment, still running) is what says it was told.
    fn tell_deployment(&self, deployment: &Deployment<'_>, dry_run: bool) -> Result<Told, ServiceError> {
        let query = [("environment", deployment.environment), ("order_by", "id"), ("sort", "desc"), ("per_page", "1")];
        let url = self.http.address(&self.path("/deployments"), &query)?;
        let what = format!("the deployments of environment {}", deployment.environment);
        let reply = self.http.call(&Method::GET, &url, None, &what)?;
        let latest: Vec<Deployed> = reply.json(Kind::Gitlab, "the deployments")?;
        let told = latest.first().is_some_and(|latest| {
            latest.sha.eq_ignore_ascii_case(deployment.commit)
                && matches!(latest.status.as_str(), "success" | "running" | "created")
        });
        if told {
            return Ok(Told::Present);
        }
        if dry_run {
            return Ok(Told::WouldCreate);
        }
        let body = json!({
            "environment": deployment.environment,
            "sha": deployment.commit,
            "ref": deployment.branch,
            "tag": false,
            "status": "success",
        });
        self.http.call(&Method::POST, &self.path("/deployments"), Some(&body), "the new deployment")?;
        Ok(Told::Created)
    }

    fn default_branch(&self) -> Result<String, ServiceError> {
        let what = format!("project {}", self.location.repository);
        let reply = self.http.call(&Method::GET, &self.path(""), None, &what)?;
        let project: Project = reply.json(Kind::Gitlab, "the project")?;
        project.default_branch.ok_or(ServiceError::Malformed {
            forge: Kind::Gitlab.title(),
            what: "the project".into(),
            detail: "it has no default branch (an empty project?)".into(),
        })
    }

    fn account(&self) -> Result<Option<String>, ServiceError> {
        let reply = self.http.call(&Method::GET, "/user", None, "the token's account")?;
        Ok(Some(reply.json::<User>(Kind::Gitlab, "the token's account")?.username))
    }
}
