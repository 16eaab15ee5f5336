//! Bitbucket Cloud: REST 2.0 pull requests and build statuses.
//!
//! Its description marks `type` as required on every object it takes, so every body says it.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    CLOSED_SHOWN, CommitStatus, Draft, Forge, Kind, Listing, Location, Merge, Mergeable, Merged, Opened, PullRequest,
    ServiceError, State, Token,
};
use crate::config::MergeMethod;
use crate::http::{self, Http, Reply, Scheme, Settings};

pub struct BitbucketCloud {
    location: Location,
    http: Http,
}

#[derive(Deserialize)]
struct Pull {
    id: u64,
    title: String,
    description: Option<String>,
    source: Endpoint,
    destination: Endpoint,
    #[serde(default)]
    links: Links,
    /// Who opened it.
    author: Option<Account>,
}

/// An account by its uuid, which every kind of account has (an access token's bot among them).
#[derive(Deserialize)]
struct Account {
    uuid: String,
}

#[derive(Deserialize)]
struct Endpoint {
    branch: Named,
    repository: Option<FullName>,
    commit: Option<Hash>,
}

/// A commit as Bitbucket Cloud names it in a pull request: 12 hex digits.
#[derive(Deserialize)]
struct Hash {
    hash: String,
}

#[derive(Deserialize, PartialEq, Eq)]
struct FullName {
    full_name: String,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize, Default)]
struct Links {
    html: Option<Link>,
}

#[derive(Deserialize)]
struct Link {
    href: String,
}

#[derive(Deserialize)]
struct Page {
    values: Vec<Pull>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    mainbranch: Option<Named>,
}

impl From<Pull> for PullRequest {
    fn from(pull: Pull) -> PullRequest {
        PullRequest {
            number: pull.id,
            url: pull.links.html.map(|l| l.href).unwrap_or_default(),
            title: pull.title,
            body: pull.description.unwrap_or_default(),
            from_fork: pull.source.repository != pull.destination.repository,
            head: pull.source.commit.map(|commit| commit.hash),
            source: pull.source.branch.name,
            target: pull.destination.branch.name,
            version: None,
            author: pull.author.map(|author| author.uuid),
        }
    }
}

impl BitbucketCloud {
    pub fn new(location: Location, token: Option<Token>, settings: Settings) -> Result<BitbucketCloud, ServiceError> {
        // Access tokens go as Bearer; a user and app password from a credential helper as Basic.
        let scheme = if token.as_ref().is_some_and(|t| t.username.is_some()) { Scheme::Basic } else { Scheme::Bearer };
        let http = Http::new(Kind::BitbucketCloud, &location.api, token, scheme, settings)?;
        Ok(BitbucketCloud { location, http })
    }

    fn path(&self, rest: &str) -> String {
        format!("/repositories/{}{rest}", self.location.repository)
    }

    fn pull(reply: &Reply) -> Result<Pull, ServiceError> {
        reply.json(Kind::BitbucketCloud, "a pull request")
    }
}

/// BBQL's string literal: double quotes, with `"` and `\` escaped.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Forge for BitbucketCloud {
    fn location(&self) -> &Location {
        &self.location
    }

    fn find_open(&self, source: &str, target: &str) -> Result<Option<PullRequest>, ServiceError> {
        let query = format!("source.branch.name = {} AND destination.branch.name = {}", quoted(source), quoted(target));
        let url =
            self.http.address(&self.path("/pullrequests"), &[("state", "OPEN"), ("q", &query), ("pagelen", "50")])?;
        let pages = |reply: &Reply| -> Result<Vec<Pull>, ServiceError> {
            Ok(reply.json::<Page>(Kind::BitbucketCloud, "the open pull requests")?.values)
        };
        // Follow `next` as given; Bitbucket's addresses are not to be built by hand.
        let next = |reply: &Reply, _: &str| serde_json::from_str::<Page>(&reply.body).ok().and_then(|p| p.next);
        let pulls = self.http.pages(&url, &format!("repository {}", self.location.repository), &pages, &next)?;
        Ok(pulls
            .into_iter()
            .find(|p| p.source.branch.name == source && p.destination.branch.name == target)
            .map(Into::into))
    }

    fn list(&self, target: Option<&str>, listing: Listing) -> Result<Vec<PullRequest>, ServiceError> {
        let query = target.map(|target| format!("destination.branch.name = {}", quoted(target)));
        let shown = CLOSED_SHOWN.to_string();
        let mut params: Vec<(&str, &str)> = match listing {
            Listing::Open => vec![("state", "OPEN"), ("pagelen", "50")],
            Listing::Closed => vec![("state", "DECLINED"), ("sort", "-updated_on"), ("pagelen", &shown)],
        };
        params.extend(query.as_deref().map(|q| ("q", q)));
        let url = self.http.address(&self.path("/pullrequests"), &params)?;
        let pages = |reply: &Reply| -> Result<Vec<Pull>, ServiceError> {
            Ok(reply.json::<Page>(Kind::BitbucketCloud, "the pull requests")?.values)
        };
        let next = |reply: &Reply, _: &str| {
            let more = listing == Listing::Open;
            more.then(|| serde_json::from_str::<Page>(&reply.body).ok().and_then(|p| p.next)).flatten()
        };
        let pulls = self.http.pages(&url, &format!("repository {}", self.location.repository), &pages, &next)?;
        Ok(pulls
            .into_iter()
            .filter(|p| target.is_none_or(|t| p.destination.branch.name == t))
            .map(Into::into)
            .collect())
    }

    fn create(&self, draft: &Draft) -> Result<Opened, ServiceError> {
        let mut body = json!({
            "type": "pullrequest",
            "title": draft.title,
            "description": draft.body,
            "source": {"branch": {"name": draft.source}},
            "destination": {"branch": {"name": draft.target}},
        });
        if draft.draft {
            body["draft"] = json!(true);
        }
        let reply = self.http.send(&Method::POST, &self.path("/pullrequests"), Some(&body))?;
        if reply.ok() {
            return Ok(Opened::Created(Self::pull(&reply)?.into()));
        }
        // Bitbucket answers a second pull request for the same branches with a 400 whose
        // wording is not documented: one that is there now is the answer.
        if reply.status == 400 && self.find_open(&draft.source, &draft.target)?.is_some() {
            return Ok(Opened::Exists);
        }
        Err(self.http.refusal(&reply, "the new pull request"))
    }

    fn update(&self, pull: &PullRequest, title: &str, body: &str) -> Result<PullRequest, ServiceError> {
        let path = self.path(&format!("/pullrequests/{}", pull.number));
        let change = json!({"type": "pullrequest", "title": title, "description": body});
        let what = format!("the update of pull request #{}", pull.number);
        let reply = self.http.call(&Method::PUT, &path, Some(&change), &what)?;
        Ok(Self::pull(&reply)?.into())
    }

    fn close(&self, pull: &PullRequest, comment: &str) -> Result<(), ServiceError> {
        let comments = self.path(&format!("/pullrequests/{}/comments", pull.number));
        let note = json!({"type": "pullrequest_comment", "content": {"raw": comment}});
        let what = format!("a comment on pull request #{}", pull.number);
        self.http.call(&Method::POST, &comments, Some(&note), &what)?;
        // 555 means the decline timed out on Bitbucket's side; the client retries it as a 5xx.
        let decline = self.path(&format!("/pullrequests/{}/decline", pull.number));
        let what = format!("declining pull request #{}", pull.number);
        self.http.call(&Method::POST, &decline, None, &what)?;
        Ok(())
    }

    fn mergeable(&self, pull: &PullRequest) -> Result<Mergeable, ServiceError> {
        // Bitbucket Cloud has no can-merge answer; an open pull request is as far as it says.
        let path = self.path(&format!("/pullrequests/{}", pull.number));
        let reply = self.http.call(&Method::GET, &path, None, &format!("pull request #{}", pull.number))?;
        let state: Value = reply.json(Kind::BitbucketCloud, "a pull request")?;
        Ok(match state.get("state").and_then(Value::as_str) {
            Some(other) if other != "OPEN" => Mergeable::Blocked(other.to_lowercase()),
            _ => Mergeable::Unknown,
        })
    }

    fn computes_mergeability(&self) -> bool {
        false
    }

    fn merge(&self, pull: &PullRequest, merge: &Merge<'_>) -> Result<Merged, ServiceError> {
        // The merge takes no head: it is checked just before, and the merged head just after.
        let path = self.path(&format!("/pullrequests/{}", pull.number));
        let reply = self.http.call(&Method::GET, &path, None, &format!("pull request #{}", pull.number))?;
        let now: PullRequest = Self::pull(&reply)?.into();
        if !now.head_is(merge.head) {
            return Ok(Merged::HeadMoved(format!("its head is {}", now.head.unwrap_or_default())));
        }
        let statuses = self.path(&format!("/pullrequests/{}/statuses", pull.number));
        let reply =
            self.http.call(&Method::GET, &statuses, None, &format!("the statuses of pull request #{}", pull.number))?;
        let listed: Value = reply.json(Kind::BitbucketCloud, "statuses")?;
        let unfinished: Vec<String> = listed
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|status| status.get("state").and_then(Value::as_str) != Some("SUCCESSFUL"))
            .map(|status| {
                let key = status.get("key").and_then(Value::as_str).unwrap_or("a check");
                let state = status.get("state").and_then(Value::as_str).unwrap_or("unknown");
                format!("{key} is {}", state.to_lowercase())
            })
            .collect();
        if !unfinished.is_empty() {
            return Ok(Merged::NotReady(unfinished.join(", ")));
        }
        let strategy = match merge.method {
            MergeMethod::Merge => "merge_commit",
            MergeMethod::Squash => "squash",
            MergeMethod::FastForward => "fast_forward",
        };
        let body = json!({"type": "pullrequest_merge_parameters", "message": merge.message, "merge_strategy": strategy, "close_source_branch": false});
        let what = format!("the merge of pull request #{}", pull.number);
        let reply = self.http.send(&Method::POST, &format!("{path}/merge"), Some(&body))?;
        Ok(match reply.status {
            200 => Merged::Done { head: PullRequest::from(Self::pull(&reply)?).head },
            // Merging in the background: the next round finds it merged.
            202 => Merged::NotReady("Bitbucket is merging it".into()),
            400 | 409 => {
                Merged::NotReady(http::message_of(&reply.body).unwrap_or_else(|| format!("HTTP {}", reply.status)))
            }
            _ => return Err(self.http.refusal(&reply, &what)),
        })
    }

    fn post_status(&self, commit: &str, status: &CommitStatus) -> Result<(), ServiceError> {
        let state = match status.state {
            State::Pending => "INPROGRESS",
            State::Success => "SUCCESSFUL",
            State::Failure => "FAILED",
        };
        let url = status
            .url
            .clone()
            .unwrap_or_else(|| format!("https://bitbucket.org/{}/commits/{commit}", self.location.repository));
        let body = json!({
            "type": "commitstatus",
            "key": status.context,
            "name": status.context,
            "state": state,
            "description": status.description,
            "url": url,
        });
        let path = self.path(&format!("/commit/{commit}/statuses/build"));
        self.http.call(&Method::POST, &path, Some(&body), &format!("a build status on {commit}"))?;
        Ok(())
    }

    fn default_branch(&self) -> Result<String, ServiceError> {
        let what = format!("repository {}", self.location.repository);
        let reply = self.http.call(&Method::GET, &self.path(""), None, &what)?;
        let repository: Repository = reply.json(Kind::BitbucketCloud, "the repository")?;
        repository.mainbranch.map(|b| b.name).ok_or(ServiceError::Malformed {
            forge: Kind::BitbucketCloud.title(),
            what: "the repository".into(),
            detail: "it has no main branch".into(),
        })
    }

    fn account(&self) -> Result<Option<String>, ServiceError> {
        let reply = self.http.call(&Method::GET, "/user", None, "the token's account")?;
        Ok(Some(reply.json::<Account>(Kind::BitbucketCloud, "the token's account")?.uuid))
    }
}
