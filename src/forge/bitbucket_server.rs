//! Bitbucket Data Center and Server: REST 1.0 pull requests and build statuses.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    CLOSED_SHOWN, CommitStatus, Deployment, Draft, Forge, Kind, Listing, Location, Merge, Mergeable, Merged, Opened,
    PullRequest, ServiceError, State, Token, Told,
};
use crate::config::MergeMethod;
use crate::http::{self, Http, Reply, Scheme, Settings};

/// The key of every deployment git-release tells Bitbucket of.
const DEPLOYMENT_KEY: &str = "git-release";

pub struct BitbucketServer {
    location: Location,
    http: Http,
    project: String,
    slug: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pull {
    id: u64,
    version: u64,
    title: String,
    description: Option<String>,
    from_ref: Ref,
    to_ref: Ref,
    #[serde(default)]
    links: Links,
    /// Who opened it.
    author: Option<Participant>,
}

#[derive(Deserialize)]
struct Participant {
    user: User,
}

/// A user by the name `X-AUSERNAME` says it with.
#[derive(Deserialize)]
struct User {
    name: String,
}

#[derive(Deserialize)]
struct Ref {
    id: String,
    repository: Option<RefRepository>,
    #[serde(rename = "latestCommit")]
    latest_commit: Option<String>,
}

#[derive(Deserialize, PartialEq, Eq)]
struct RefRepository {
    slug: String,
    project: Project,
}

#[derive(Deserialize, PartialEq, Eq)]
struct Project {
    key: String,
}

#[derive(Deserialize, Default)]
struct Links {
    #[serde(rename = "self", default)]
    pages: Vec<Link>,
}

#[derive(Deserialize)]
struct Link {
    href: String,
}

/// One page of a paged list (where the next starts is read by [`BitbucketServer::next`]).
#[derive(Deserialize)]
struct Page {
    values: Vec<Pull>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mergeability {
    #[serde(rename = "canMerge")]
    allowed: bool,
    #[serde(default)]
    conflicted: bool,
    #[serde(default)]
    vetoes: Vec<Veto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Veto {
    summary_message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Branch {
    display_id: String,
}

fn branch_of(reference: &str) -> &str {
    reference.strip_prefix("refs/heads/").unwrap_or(reference)
}

impl From<Pull> for PullRequest {
    fn from(pull: Pull) -> PullRequest {
        PullRequest {
            number: pull.id,
            url: pull.links.pages.into_iter().next().map(|l| l.href).unwrap_or_default(),
            title: pull.title,
            body: pull.description.unwrap_or_default(),
            source: branch_of(&pull.from_ref.id).to_owned(),
            target: branch_of(&pull.to_ref.id).to_owned(),
            version: Some(pull.version),
            from_fork: pull.from_ref.repository != pull.to_ref.repository,
            author: pull.author.map(|author| author.user.name),
            head: pull.from_ref.latest_commit,
        }
    }
}

impl BitbucketServer {
    pub fn new(location: Location, token: Option<Token>, settings: Settings) -> Result<BitbucketServer, ServiceError> {
        // HTTP access tokens go as Bearer; a user and password from a credential helper as Basic.
        let scheme = if token.as_ref().is_some_and(|t| t.username.is_some()) { Scheme::Basic } else { Scheme::Bearer };
        let http = Http::new(Kind::BitbucketServer, &location.api, token, scheme, settings)?;
        let (project, slug) = location.repository.split_once('/').unwrap_or(("", &location.repository));
        let (project, slug) = (project.to_owned(), slug.to_owned());
        Ok(BitbucketServer { location, http, project, slug })
    }

    fn path(&self, rest: &str) -> String {
        format!("/projects/{}/repos/{}{rest}", self.project, self.slug)
    }

    /// The repository's page, where a call needs a url and has none.
    fn page(&self) -> String {
        let site = self.location.api.split("/rest/").next().unwrap_or(&self.location.api);
        format!("{site}/projects/{}/repos/{}", self.project, self.slug)
    }

    fn reference(&self, branch: &str) -> Value {
        json!({
            "id": format!("refs/heads/{branch}"),
            "repository": {"slug": self.slug, "project": {"key": self.project}},
        })
    }

    fn pull(reply: &Reply) -> Result<Pull, ServiceError> {
        reply.json(Kind::BitbucketServer, "a pull request")
    }

    fn read(&self, number: u64) -> Result<PullRequest, ServiceError> {
        let path = self.path(&format!("/pull-requests/{number}"));
        let reply = self.http.call(&Method::GET, &path, None, &format!("pull request #{number}"))?;
        Ok(Self::pull(&reply)?.into())
    }

    /// The next page's address from `isLastPage` and `nextPageStart`.
    fn next(reply: &Reply, url: &str) -> Option<String> {
        let page: Value = serde_json::from_str(&reply.body).ok()?;
        if page.get("isLastPage").and_then(Value::as_bool).unwrap_or(true) {
            return None;
        }
        let start = page.get("nextPageStart").and_then(Value::as_u64)?;
        http::with_param(url, "start", &start.to_string())
    }
}

impl Forge for BitbucketServer {
    fn location(&self) -> &Location {
        &self.location
    }

    fn find_open(&self, source: &str, target: &str) -> Result<Option<PullRequest>, ServiceError> {
        // The list filters by one branch only; the target is matched here.
        let at = format!("refs/heads/{source}");
        let url = self.http.address(
            &self.path("/pull-requests"),
            &[("state", "OPEN"), ("direction", "OUTGOING"), ("at", &at), ("limit", "100")],
        )?;
        let read = |reply: &Reply| -> Result<Vec<Pull>, ServiceError> {
            Ok(reply.json::<Page>(Kind::BitbucketServer, "the open pull requests")?.values)
        };
        let pulls = self.http.pages(&url, &format!("repository {}", self.location.repository), &read, &Self::next)?;
        let wanted = format!("refs/heads/{target}");
        Ok(pulls.into_iter().find(|p| p.from_ref.id == at && p.to_ref.id == wanted).map(Into::into))
    }

    fn list(&self, target: Option<&str>, listing: Listing) -> Result<Vec<PullRequest>, ServiceError> {
        let at = target.map(|target| format!("refs/heads/{target}"));
        let shown = CLOSED_SHOWN.to_string();
        let (state, limit) = match listing {
            Listing::Open => ("OPEN", "100"),
            Listing::Closed => ("DECLINED", shown.as_str()),
        };
        let mut query = vec![("state", state), ("direction", "INCOMING"), ("order", "NEWEST"), ("limit", limit)];
        query.extend(at.as_deref().map(|at| ("at", at)));
        let url = self.http.address(&self.path("/pull-requests"), &query)?;
        let read = |reply: &Reply| -> Result<Vec<Pull>, ServiceError> {
            Ok(reply.json::<Page>(Kind::BitbucketServer, "the pull requests")?.values)
        };
        let next = |reply: &Reply, url: &str| if listing == Listing::Open { Self::next(reply, url) } else { None };
        let pulls = self.http.pages(&url, &format!("repository {}", self.location.repository), &read, &next)?;
        Ok(pulls.into_iter().filter(|p| at.as_ref().is_none_or(|at| p.to_ref.id == *at)).map(Into::into).collect())
    }

    fn create(&self, draft: &Draft) -> Result<Opened, ServiceError> {
        let mut body = json!({
            "title": draft.title,
            "description": draft.body,
            "fromRef": self.reference(&draft.source),
            "toRef": self.reference(&draft.target),
        });
        if draft.draft {
            body["draft"] = json!(true);
        }
        let reply = self.http.send(&Method::POST, &self.path("/pull-requests"), Some(&body))?;
        match reply.status {
            200 | 201 => Ok(Opened::Created(Self::pull(&reply)?.into())),
            409 if reply.body.contains("DuplicatePullRequestException") => Ok(Opened::Exists),
            _ => Err(self.http.refusal(&reply, "the new pull request")),
        }
    }

    fn update(&self, pull: &PullRequest, title: &str, body: &str) -> Result<PullRequest, ServiceError> {
        let path = self.path(&format!("/pull-requests/{}", pull.number));
        let what = format!("the update of pull request #{}", pull.number);
        let mut version = match pull.version {
            Some(version) => version,
            None => self.read(pull.number)?.version.unwrap_or_default(),
        };
        // `version` is an optimistic lock: a stale one is a 409, so read it anew and try once more.
        for _ in 0..2 {
            let change = json!({"version": version, "title": title, "description": body});
            let reply = self.http.send(&Method::PUT, &path, Some(&change))?;
            if reply.ok() {
                return Ok(Self::pull(&reply)?.into());
            }
            if reply.status != 409 {
                return Err(self.http.refusal(&reply, &what));
            }
            let now = self.read(pull.number)?;
            if now.title == title && now.body.trim_end() == body.trim_end() {
                return Ok(now);
            }
            version = now.version.unwrap_or_default();
        }
        Err(ServiceError::Refused {
            forge: Kind::BitbucketServer.title(),
            status: 409,
            what,
            message: Some("someone else keeps changing it".into()),
        })
    }

    fn close(&self, pull: &PullRequest, comment: &str) -> Result<(), ServiceError> {
        let comments = self.path(&format!("/pull-requests/{}/comments", pull.number));
        let what = format!("a comment on pull request #{}", pull.number);
        self.http.call(&Method::POST, &comments, Some(&json!({"text": comment})), &what)?;
        let version = self.read(pull.number)?.version.unwrap_or_default();
        let decline = self.http.address(
            &self.path(&format!("/pull-requests/{}/decline", pull.number)),
            &[("version", &version.to_string())],
        )?;
        let what = format!("declining pull request #{}", pull.number);
        self.http.call(&Method::POST, &decline, Some(&json!({"version": version})), &what)?;
        Ok(())
    }

    fn mergeable(&self, pull: &PullRequest) -> Result<Mergeable, ServiceError> {
        let path = self.path(&format!("/pull-requests/{}/merge", pull.number));
        let reply = self.http.call(&Method::GET, &path, None, &format!("pull request #{}", pull.number))?;
        let merge: Mergeability = reply.json(Kind::BitbucketServer, "the merge check")?;
        Ok(if merge.conflicted {
            Mergeable::Conflicts
        } else if merge.allowed {
            Mergeable::Yes
        } else {
            let why = merge.vetoes.into_iter().map(|v| v.summary_message).collect::<Vec<_>>().join("; ");
            Mergeable::Blocked(why)
        })
    }

    fn merge(&self, pull: &PullRequest, merge: &Merge<'_>) -> Result<Merged, ServiceError> {
        // The merge takes the version read with the head: a pull request changed since (a push
        // to its branch among the changes) is refused with 409.
        let now = self.read(pull.number)?;
        if !now.head_is(merge.head) {
            return Ok(Merged::HeadMoved(format!("its head is {}", now.head.unwrap_or_default())));
        }
        let version = now.version.unwrap_or_default();
        let path = self.path(&format!("/pull-requests/{}/merge?version={version}", pull.number));
        let strategy = match merge.method {
            MergeMethod::Merge => "no-ff",
            MergeMethod::Squash => "squash",
            MergeMethod::FastForward => "ff-only",
        };
        let body = json!({"message": merge.message, "strategyId": strategy});
        let what = format!("the merge of pull request #{}", pull.number);
        let reply = self.http.send(&Method::POST, &path, Some(&body))?;
        let said = || http::message_of(&reply.body).unwrap_or_else(|| format!("HTTP {}", reply.status));
        Ok(match reply.status {
            200..=299 => Merged::Done { head: Self::pull(&reply)?.from_ref.latest_commit },
            409 if reply.body.contains("OutOfDate") => Merged::HeadMoved(said()),
            // A veto (a build, an approval, a conflict), or a merge that is not possible now.
            409 | 400 => Merged::NotReady(said()),
            _ => return Err(self.http.refusal(&reply, &what)),
        })
    }

    fn post_status(&self, commit: &str, status: &CommitStatus) -> Result<(), ServiceError> {
        let state = match status.state {
            State::Pending => "INPROGRESS",
            State::Success => "SUCCESSFUL",
            State::Failure => "FAILED",
        };
        // Older servers require a url; the repository's page stands in when there is none.
        let url = status.url.clone().unwrap_or_else(|| self.page());
        let body = json!({
            "key": status.context,
            "name": status.context,
            "state": state,
            "description": status.description,
            "url": url,
        });
        let path = self.path(&format!("/commits/{commit}/builds"));
        self.http.call(&Method::POST, &path, Some(&body), &format!("a build status on {commit}"))?;
        Ok(())
    }

    /// A deployment is keyed by the commit, `git-release`, the environment and a sequence number
    /// (the record's second): reading that key says whether it was told.
    fn tell_deployment(&self, deployment: &Deployment<'_>, dry_run: bool) -> Result<Told, ServiceError> {
        let path = self.path(&format!("/commits/{}/deployments", deployment.commit));
        let sequence = deployment.time.to_string();
        let query = [
            ("key", DEPLOYMENT_KEY),
            ("environmentKey", deployment.environment),
            ("deploymentSequenceNumber", sequence.as_str()),
        ];
        let url = self.http.address(&path, &query)?;
        let reply = self.http.send(&Method::GET, &url, None)?;
        let what = format!("the deployment of {} to {}", deployment.record, deployment.environment);
        match reply.status {
            200 if reply.json::<Value>(Kind::BitbucketServer, &what)?.get("state") == Some(&json!("SUCCESSFUL")) => {
                return Ok(Told::Present);
            }
            200 | 404 => {}
            _ => return Err(self.http.refusal(&reply, &what)),
        }
        if dry_run {
            return Ok(Told::WouldCreate);
        }
        let mut environment = json!({"key": deployment.environment, "displayName": deployment.environment});
        if let Some(url) = deployment.environment_url {
            environment["url"] = json!(url);
        }
        let body = json!({
            "key": DEPLOYMENT_KEY,
            "deploymentSequenceNumber": deployment.time,
            "displayName": deployment.record,
            "description": deployment.description(),
            "environment": environment,
            "state": "SUCCESSFUL",
            "url": deployment.log_url.map_or_else(|| self.page(), str::to_owned),
        });
        self.http.call(&Method::POST, &path, Some(&body), "the new deployment")?;
        Ok(Told::Created)
    }

    fn default_branch(&self) -> Result<String, ServiceError> {
        let what = format!("repository {}", self.location.repository);
        let reply = self.http.call(&Method::GET, &self.path("/default-branch"), None, &what)?;
        Ok(reply.json::<Branch>(Kind::BitbucketServer, "the default branch")?.display_id)
    }

    /// Bitbucket Data Center has no "who am I" call; every answer to a signed-in request names
    /// its user in `X-AUSERNAME`, and the application's properties are the lightest answer.
    fn account(&self) -> Result<Option<String>, ServiceError> {
        let reply = self.http.call(&Method::GET, "/application-properties", None, "the token's account")?;
        Ok(reply.header("x-ausername").map(str::trim).filter(|name| !name.is_empty()).map(str::to_owned))
    }
}
