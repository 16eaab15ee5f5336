//! Gitea and Forgejo: API v1 pull requests and commit statuses.
//!
//! Gitea before 1.23 cannot filter pull requests by branch, so the open ones are read page by
//! page and matched here; it answers an edit with 201, and a second pull request with 409.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::github;
use super::{
    CLOSED_SHOWN, CommitStatus, Draft, Forge, Kind, Listing, Location, Merge, Mergeable, Merged, Opened, PullRequest,
    ServiceError, Token,
};
use crate::config::MergeMethod;
use crate::http::{Http, Reply, Scheme, Settings};

pub struct Gitea {
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
    #[serde(default)]
    merged: bool,
    /// Who opened it.
    user: Option<github::Login>,
}

#[derive(Deserialize)]
struct Branch {
    #[serde(rename = "ref")]
    name: String,
    repo_id: Option<u64>,
    sha: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    default_branch: String,
}

impl From<Pull> for PullRequest {
    fn from(pull: Pull) -> PullRequest {
        PullRequest {
            number: pull.number,
            url: pull.html_url,
            title: pull.title,
            body: pull.body.unwrap_or_default(),
            source: pull.head.name,
            from_fork: pull.head.repo_id != pull.base.repo_id,
            head: pull.head.sha,
            target: pull.base.name,
            version: None,
            author: pull.user.map(|user| user.login),
        }
    }
}

impl Gitea {
    pub fn new(location: Location, token: Option<Token>, settings: Settings) -> Result<Gitea, ServiceError> {
        let scheme = if token.as_ref().is_some_and(|t| t.username.is_some()) { Scheme::Basic } else { Scheme::Token };
        let http = Http::new(Kind::Gitea, &location.api, token, scheme, settings)?;
        Ok(Gitea { location, http })
    }

    fn path(&self, rest: &str) -> String {
        format!("/repos/{}{rest}", self.location.repository)
    }

    fn pull(reply: &Reply) -> Result<Pull, ServiceError> {
        reply.json(Kind::Gitea, "a pull request")
    }
}

impl Forge for Gitea {
    fn location(&self) -> &Location {
        &self.location
    }

    fn find_open(&self, source: &str, target: &str) -> Result<Option<PullRequest>, ServiceError> {
        let url = self.http.address(&self.path("/pulls"), &[("state", "open"), ("limit", "50")])?;
        let pulls: Vec<Pull> = self.http.pages(
            &url,
            &format!("repository {}", self.location.repository),
            &|reply| reply.json(Kind::Gitea, "the open pull requests"),
            &|reply, _| reply.next_link(),
        )?;
        Ok(pulls.into_iter().find(|p| p.head.name == source && p.base.name == target).map(Into::into))
    }

    fn list(&self, target: Option<&str>, listing: Listing) -> Result<Vec<PullRequest>, ServiceError> {
        // Gitea's list has no branch filter: every page is read and the target matched here.
        let shown = CLOSED_SHOWN.to_string();
        let query: &[(&str, &str)] = match listing {
            Listing::Open => &[("state", "open"), ("limit", "50")],
            Listing::Closed => &[("state", "closed"), ("sort", "recentupdate"), ("limit", &shown)],
        };
        let url = self.http.address(&self.path("/pulls"), query)?;
        let pulls: Vec<Pull> = self.http.pages(
            &url,
            &format!("repository {}", self.location.repository),
            &|reply| reply.json(Kind::Gitea, "the pull requests"),
            &|reply, _| if listing == Listing::Open { reply.next_link() } else { None },
        )?;
        let wanted = |p: &Pull| target.is_none_or(|t| p.base.name == t) && (listing == Listing::Open || !p.merged);
        Ok(pulls.into_iter().filter(wanted).map(Into::into).collect())
    }

    fn create(&self, draft: &Draft) -> Result<Opened, ServiceError> {
        // Gitea marks work in progress by the title's prefix.
        let title = if draft.draft { format!("WIP: {}", draft.title) } else { draft.title.clone() };
        let body = json!({"title": title, "body": draft.body, "head": draft.source, "base": draft.target});
        let reply = self.http.send(&Method::POST, &self.path("/pulls"), Some(&body))?;
        match reply.status {
            200 | 201 => Ok(Opened::Created(Self::pull(&reply)?.into())),
            409 => Ok(Opened::Exists),
            _ => Err(self.http.refusal(&reply, "the new pull request")),
        }
    }

    fn update(&self, pull: &PullRequest, title: &str, body: &str) -> Result<PullRequest, ServiceError> {
        Ok(Self::pull(&github::edit(&self.http, &self.path(""), pull.number, title, body)?)?.into())
    }

    fn close(&self, pull: &PullRequest, comment: &str) -> Result<(), ServiceError> {
        github::close(&self.http, &self.path(""), pull.number, comment)
    }

    fn mergeable(&self, pull: &PullRequest) -> Result<Mergeable, ServiceError> {
        let path = self.path(&format!("/pulls/{}", pull.number));
        let reply = self.http.call(&Method::GET, &path, None, &format!("pull request #{}", pull.number))?;
        Ok(match Self::pull(&reply)?.mergeable {
            Some(true) => Mergeable::Yes,
            Some(false) => Mergeable::Conflicts,
            None => Mergeable::Unknown,
        })
    }

    fn merge(&self, pull: &PullRequest, merge: &Merge<'_>) -> Result<Merged, ServiceError> {
        let path = self.path(&format!("/pulls/{}/merge", pull.number));
        let (title, message) = super::subject_and_body(merge.message);
        let method = match merge.method {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::FastForward => "fast-forward-only",
        };
        let body = json!({
            "Do": method,
            "head_commit_id": merge.head,
            "MergeTitleField": title,
            "MergeMessageField": message,
            "delete_branch_after_merge": false,
        });
        let what = format!("the merge of pull request #{}", pull.number);
        let reply = self.http.send(&Method::POST, &path, Some(&body))?;
        let said = || crate::http::message_of(&reply.body).unwrap_or_else(|| format!("HTTP {}", reply.status));
        Ok(match reply.status {
            200..=299 => Merged::Done { head: Some(merge.head.to_owned()) },
            // The head is no longer `head_commit_id`.
            409 => Merged::HeadMoved(said()),
            // Not mergeable: a conflict, a required check, an approval.
            405 | 422 => Merged::NotReady(said()),
            _ => return Err(self.http.refusal(&reply, &what)),
        })
    }

    fn post_status(&self, commit: &str, status: &CommitStatus) -> Result<(), ServiceError> {
        github::post_status(&self.http, &self.path(""), commit, status)
    }

    fn default_branch(&self) -> Result<String, ServiceError> {
        let what = format!("repository {}", self.location.repository);
        let reply = self.http.call(&Method::GET, &self.path(""), None, &what)?;
        Ok(reply.json::<Repository>(Kind::Gitea, "the repository")?.default_branch)
    }

    fn account(&self) -> Result<Option<String>, ServiceError> {
        let reply = self.http.call(&Method::GET, "/user", None, "the token's account")?;
        Ok(Some(reply.json::<github::Login>(Kind::Gitea, "the token's account")?.login))
    }
}
