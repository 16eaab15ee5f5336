//! Azure DevOps Services and Server: Git pull requests and commit statuses, REST 7.1.
//!
//! Every address carries `api-version`, branches go by their full `refs/heads/` names, and a
//! refused token can come back as a sign-in page (which [`Http`] turns into an error).

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{
    CLOSED_SHOWN, CommitStatus, Draft, Forge, Kind, Listing, Location, Merge, Mergeable, Merged, Opened, PullRequest,
    ServiceError, State, Token,
};
use crate::config::MergeMethod;
use crate::http::{self, Http, Reply, Scheme, Settings};

pub struct Azure {
    location: Location,
    http: Http,
    project: String,
    repository: String,
}

/// Azure DevOps keeps a pull request's description to this many characters.
const DESCRIPTION_LIMIT: usize = 4000;

/// One page of a list is asked for this many.
const PAGE: usize = 100;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pull {
    #[serde(rename = "pullRequestId")]
    id: u64,
    title: String,
    description: Option<String>,
    source_ref_name: String,
    target_ref_name: String,
    merge_status: Option<String>,
    /// `active`, `completed` or `abandoned`.
    status: Option<String>,
    /// The head the pull request was last merged (or test-merged) from.
    last_merge_source_commit: Option<CommitRef>,
    /// Set when the source branch is in a fork.
    fork_source: Option<serde_json::Value>,
    /// Who opened it.
    created_by: Option<Identity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitRef {
    commit_id: String,
}

/// An identity by its id, as pull requests and the connection data both give it.
#[derive(Deserialize)]
struct Identity {
    id: String,
}

/// What the organization says of the connection, the token's identity among it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionData {
    authenticated_user: Option<Identity>,
}

#[derive(Deserialize)]
struct List {
    value: Vec<Pull>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Repository {
    default_branch: Option<String>,
}

fn branch_of(reference: &str) -> &str {
    reference.strip_prefix("refs/heads/").unwrap_or(reference)
}

impl Azure {
    pub fn new(location: Location, token: Option<Token>, settings: Settings) -> Result<Azure, ServiceError> {
        // A pipeline's System.AccessToken is a bearer token; a PAT goes as Basic with no user.
        let scheme = if token.as_ref().is_some_and(|t| t.source == "SYSTEM_ACCESSTOKEN") {
            Scheme::Bearer
        } else {
            Scheme::Basic
        };
        let http =
            Http::new(Kind::AzureDevops, &location.api, token, scheme, settings)?.with_query("api-version", "7.1");
        let (project, repository) = location.repository.split_once('/').unwrap_or(("", &location.repository));
        let (project, repository) = (project.to_owned(), repository.to_owned());
        Ok(Azure { location, http, project, repository })
    }

    fn path(&self, rest: &str) -> String {
        format!("/{}/_apis/git/repositories/{}{rest}", self.project, self.repository)
    }

    fn pull(&self, pull: Pull) -> PullRequest {
        PullRequest {
            number: pull.id,
            url: format!("{}/{}/_git/{}/pullrequest/{}", self.location.api, self.project, self.repository, pull.id),
            title: pull.title,
            body: pull.description.unwrap_or_default(),
            source: branch_of(&pull.source_ref_name).to_owned(),
            target: branch_of(&pull.target_ref_name).to_owned(),
            version: None,
            from_fork: pull.fork_source.is_some_and(|fork| !fork.is_null()),
            author: pull.created_by.map(|identity| identity.id.to_ascii_lowercase()),
            head: pull.last_merge_source_commit.map(|commit| commit.commit_id),
        }
    }

    /// The pull requests in `status` that match `criteria`, paged by `$top`/`$skip` (a short page
    /// is the last), up to `most` when given.
    fn search(&self, criteria: &[(&str, &str)], status: &str, most: Option<usize>) -> Result<Vec<Pull>, ServiceError> {
        let mut found = Vec::new();
        let top = most.unwrap_or(PAGE).min(PAGE);
        let page = top.to_string();
        loop {
            let skip = found.len().to_string();
            let mut query = criteria.to_vec();
            query.extend([("searchCriteria.status", status), ("$top", &page), ("$skip", &skip)]);
            let url = self.http.address(&self.path("/pullrequests"), &query)?;
            let what = format!("repository {}", self.location.repository);
            let reply = self.http.call(&Method::GET, &url, None, &what)?;
            let list: List = reply.json(Kind::AzureDevops, "the pull requests")?;
            let count = list.value.len();
            found.extend(list.value);
            if count < top || most.is_some_and(|most| found.len() >= most) {
                return Ok(found);
            }
        }
    }

    fn read(reply: &Reply) -> Result<Pull, ServiceError> {
        reply.json(Kind::AzureDevops, "a pull request")
    }
}

impl Forge for Azure {
    fn location(&self) -> &Location {
        &self.location
    }

    fn body_limit(&self) -> Option<usize> {
        Some(DESCRIPTION_LIMIT)
    }

    fn find_open(&self, source: &str, target: &str) -> Result<Option<PullRequest>, ServiceError> {
        let (source_ref, target_ref) = (format!("refs/heads/{source}"), format!("refs/heads/{target}"));
        let criteria =
            [("searchCriteria.sourceRefName", source_ref.as_str()), ("searchCriteria.targetRefName", &target_ref)];
        let found = self.search(&criteria, "active", None)?;
        Ok(found
            .into_iter()
            .find(|p| p.source_ref_name == source_ref && p.target_ref_name == target_ref)
            .map(|p| self.pull(p)))
    }

    fn list(&self, target: Option<&str>, listing: Listing) -> Result<Vec<PullRequest>, ServiceError> {
        let target_ref = target.map(|target| format!("refs/heads/{target}"));
        let criteria: Vec<(&str, &str)> =
            target_ref.iter().map(|r| ("searchCriteria.targetRefName", r.as_str())).collect();
        let found = match listing {
            Listing::Open => self.search(&criteria, "active", None)?,
            // Azure lists the newest first; an abandoned one was closed without merging.
            Listing::Closed => self.search(&criteria, "abandoned", Some(CLOSED_SHOWN))?,
        };
        let wanted = |p: &Pull| target_ref.as_ref().is_none_or(|r| p.target_ref_name == *r);
        Ok(found.into_iter().filter(wanted).map(|p| self.pull(p)).collect())
    }

    fn create(&self, draft: &Draft) -> Result<Opened, ServiceError> {
        let body = json!({
            "sourceRefName": format!("refs/heads/{}", draft.source),
            "targetRefName": format!("refs/heads/{}", draft.target),
            "title": draft.title,
            "description": draft.body,
            "isDraft": draft.draft,
        });
        let reply = self.http.send(&Method::POST, &self.path("/pullrequests"), Some(&body))?;
        match reply.status {
            200 | 201 => Ok(Opened::Created(self.pull(Self::read(&reply)?))),
            // TF401179: an active pull request for the source and target branch already exists.
            409 => Ok(Opened::Exists),
            _ => Err(self.http.refusal(&reply, "the new pull request")),
        }
    }

    fn update(&self, pull: &PullRequest, title: &str, body: &str) -> Result<PullRequest, ServiceError> {
        let path = self.path(&format!("/pullrequests/{}", pull.number));
        let what = format!("the update of pull request {}", pull.number);
        let reply =
            self.http.call(&Method::PATCH, &path, Some(&json!({"title": title, "description": body})), &what)?;
        Ok(self.pull(Self::read(&reply)?))
    }

    fn close(&self, pull: &PullRequest, comment: &str) -> Result<(), ServiceError> {
        let threads = self.path(&format!("/pullRequests/{}/threads", pull.number));
        let thread =
            json!({"comments": [{"parentCommentId": 0, "content": comment, "commentType": 1}], "status": "closed"});
        let what = format!("a comment on pull request {}", pull.number);
        self.http.call(&Method::POST, &threads, Some(&thread), &what)?;
        let path = self.path(&format!("/pullrequests/{}", pull.number));
        let what = format!("abandoning pull request {}", pull.number);
        self.http.call(&Method::PATCH, &path, Some(&json!({"status": "abandoned"})), &what)?;
        Ok(())
    }

    fn mergeable(&self, pull: &PullRequest) -> Result<Mergeable, ServiceError> {
        let path = self.path(&format!("/pullrequests/{}", pull.number));
        let reply = self.http.call(&Method::GET, &path, None, &format!("pull request {}", pull.number))?;
        Ok(match Self::read(&reply)?.merge_status.as_deref() {
            Some("succeeded") => Mergeable::Yes,
            Some("conflicts") => Mergeable::Conflicts,
            Some("queued" | "notSet") | None => Mergeable::Unknown,
            Some(other) => Mergeable::Blocked(other.to_owned()),
        })
    }

    fn merge_methods(&self) -> &'static [MergeMethod] {
        // Azure's `rebase` rewrites the commits; it cannot move a branch to the head as it is.
        &[MergeMethod::Merge, MergeMethod::Squash]
    }

    fn merge(&self, pull: &PullRequest, merge: &Merge<'_>) -> Result<Merged, ServiceError> {
        let path = self.path(&format!("/pullrequests/{}", pull.number));
        let strategy = match merge.method {
            MergeMethod::Squash => "squash",
            MergeMethod::Merge | MergeMethod::FastForward => "noFastForward",
        };
        let body = json!({
            "status": "completed",
            "lastMergeSourceCommit": {"commitId": merge.head},
            "completionOptions": {"mergeStrategy": strategy, "mergeCommitMessage": merge.message, "deleteSourceBranch": false},
        });
        let what = format!("the completion of pull request {}", pull.number);
        let reply = self.http.send(&Method::PATCH, &path, Some(&body))?;
        let said = || http::message_of(&reply.body).unwrap_or_else(|| format!("HTTP {}", reply.status));
        Ok(match reply.status {
            200..=299 => {
                let pull = Self::read(&reply)?;
                if pull.status.as_deref() == Some("completed") {
                    Merged::Done { head: pull.last_merge_source_commit.map(|commit| commit.commit_id) }
                } else {
                    // Completion waits for policies or the merge itself: the next round looks again.
                    let status = pull.merge_status.unwrap_or_else(|| "queued".into());
                    Merged::NotReady(format!("its completion is {status}"))
                }
            }
            // The source moved past `lastMergeSourceCommit`.
            409 => Merged::HeadMoved(said()),
            400 => Merged::NotReady(said()),
            _ => return Err(self.http.refusal(&reply, &what)),
        })
    }

    fn post_status(&self, commit: &str, status: &CommitStatus) -> Result<(), ServiceError> {
        let state = match status.state {
            State::Pending => "pending",
            State::Success => "succeeded",
            State::Failure => "failed",
        };
        // `git-release/gate` becomes genre `git-release`, name `gate`.
        let (genre, name) = status.context.split_once('/').unwrap_or(("", &status.context));
        let mut body = json!({
            "state": state,
            "description": status.description,
            "context": {"genre": genre, "name": name},
        });
        if let Some(url) = &status.url {
            body["targetUrl"] = json!(url);
        }
        let path = self.path(&format!("/commits/{commit}/statuses"));
        self.http.call(&Method::POST, &path, Some(&body), &format!("a status on {commit}"))?;
        Ok(())
    }

    fn default_branch(&self) -> Result<String, ServiceError> {
        let what = format!("repository {}", self.location.repository);
        let reply = self.http.call(&Method::GET, &self.path(""), None, &what)?;
        let repository: Repository = reply.json(Kind::AzureDevops, "the repository")?;
        repository.default_branch.map(|b| branch_of(&b).to_owned()).ok_or(ServiceError::Malformed {
            forge: Kind::AzureDevops.title(),
            what: "the repository".into(),
            detail: "it has no default branch".into(),
        })
    }

    /// The organization's connection data names the identity the token acts as (a pipeline's
    /// build service among them); pull requests name their creator by the same id.
    fn account(&self) -> Result<Option<String>, ServiceError> {
        let path = "/_apis/connectionData?api-version=7.1-preview";
        let reply = self.http.call(&Method::GET, path, None, "the token's account")?;
        let data: ConnectionData = reply.json(Kind::AzureDevops, "the connection data")?;
        Ok(data.authenticated_user.map(|identity| identity.id.to_ascii_lowercase()))
    }
}
