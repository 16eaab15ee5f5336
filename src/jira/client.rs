//! Jira's REST API: comments and transitions of one issue. Cloud speaks v3 (comments in ADF,
//! an e-mail address and API token by Basic authentication); Data Center speaks v2 (plain-text
//! comments, a personal access token as a bearer token).

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::note::{self, Note};
use crate::config::{self, JiraKind};
use crate::error::{Error, Kind};
use crate::forge::{Secret, ServiceError, Token};
use crate::git::Repo;
use crate::http::{self, Http, Scheme, Service, Settings};

/// Comments are read this many at a time.
const PAGE: usize = 100;

/// A transition an issue can take from where it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: String,
    pub name: String,
    /// The status it leads to.
    pub to: String,
}

pub struct Client {
    http: Http,
    /// The same, trying each request once: for comments, whose retries look first.
    once: Http,
    kind: JiraKind,
    tries: u32,
    backoff: std::time::Duration,
}

impl Client {
    /// A client for the site in `[jira]`, with the token from `JIRA_TOKEN` (and `JIRA_USER`),
    /// else from git's credential helpers for the site's host.
    ///
    /// # Errors
    /// When there is no token, Cloud has no user to go with it, or HTTP cannot be set up.
    pub fn connect(
        jira: &config::Jira,
        repo: Option<&Repo>,
        var: &dyn Fn(&str) -> Option<String>,
        settings: Settings,
    ) -> Result<Client, Error> {
        let token = token(jira, repo, var)?;
        let scheme = match jira.kind {
            JiraKind::Cloud => Scheme::Basic,
            JiraKind::DataCenter => Scheme::Bearer,
        };
        let (tries, backoff) = (settings.tries, settings.backoff);
        let single = Settings { tries: 1, ..settings.clone() };
        let once = Http::new(Service::jira(), &jira.url, Some(token.clone()), scheme, single)?;
        let http = Http::new(Service::jira(), &jira.url, Some(token), scheme, settings)?;
        Ok(Client { http, once, kind: jira.kind, tries, backoff })
    }

    fn api(&self) -> &'static str {
        match self.kind {
            JiraKind::Cloud => "/rest/api/3",
            JiraKind::DataCenter => "/rest/api/2",
        }
    }

    /// The issue's address; a key is one path segment, whatever a loose `key-pattern` let in.
    fn issue(&self, key: &str) -> String {
        let segment: String = key
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("{}/issue/{segment}", self.api())
    }

    /// The text of every comment on the issue, oldest first.
    ///
    /// # Errors
    /// When Jira refuses or cannot be reached.
    pub fn comments(&self, key: &str) -> Result<Vec<String>, ServiceError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            #[serde(default)]
            start_at: usize,
            #[serde(default)]
            total: usize,
            #[serde(default)]
            comments: Vec<Comment>,
        }
        #[derive(Deserialize)]
        struct Comment {
            #[serde(default)]
            body: Value,
        }
        let size = PAGE.to_string();
        let first =
            self.http.address(&format!("{}/comment", self.issue(key)), &[("startAt", "0"), ("maxResults", &size)])?;
        let what = format!("the comments of {key}");
        let read = |reply: &http::Reply| -> Result<Vec<String>, ServiceError> {
            let page: Page = reply.json(Service::jira(), &what)?;
            Ok(page.comments.iter().map(|c| note::text_of(&c.body)).collect())
        };
        let next = |reply: &http::Reply, url: &str| -> Option<String> {
            let page: Page = serde_json::from_str(&reply.body).ok()?;
            let seen = page.start_at + page.comments.len();
            (!page.comments.is_empty() && seen < page.total)
                .then(|| http::with_param(url, "startAt", &seen.to_string()))?
        };
        self.http.pages(&first, &what, &read, &next)
    }

    /// Adds a comment that holds `marker`. A try whose answer never came may have added it all
    /// the same, so before trying again the comments are read: once there, it is not added twice.
    ///
    /// # Errors
    /// When Jira refuses or cannot be reached.
    pub fn comment(&self, key: &str, note: &Note, marker: &str) -> Result<(), ServiceError> {
        let body = match self.kind {
            JiraKind::Cloud => json!({"body": note.adf()}),
            JiraKind::DataCenter => json!({"body": note.plain()}),
        };
        let path = format!("{}/comment", self.issue(key));
        let what = format!("a comment on {key}");
        self.post_once(&path, &body, &what, || Ok(self.comments(key)?.iter().any(|text| text.contains(marker))))
    }

    /// The issue's status, by name; `None` when the answer leaves it out (`fields` holds what
    /// the account may see, and Jira's own example holds no status).
    ///
    /// # Errors
    /// When Jira refuses or cannot be reached.
    pub fn status(&self, key: &str) -> Result<Option<String>, ServiceError> {
        let address = self.http.address(&self.issue(key), &[("fields", "status")])?;
        let reply = self.http.call(&Method::GET, &address, None, &format!("issue {key}"))?;
        let issue: Value = reply.json(Service::jira(), &format!("issue {key}"))?;
        Ok(issue.pointer("/fields/status/name").and_then(Value::as_str).map(str::to_owned))
    }

    /// The transitions the issue can take now.
    ///
    /// # Errors
    /// When Jira refuses or cannot be reached.
    pub fn transitions(&self, key: &str) -> Result<Vec<Transition>, ServiceError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            transitions: Vec<Wire>,
        }
        #[derive(Deserialize)]
        struct Wire {
            id: String,
            name: String,
            to: Option<Status>,
        }
        #[derive(Deserialize)]
        struct Status {
            name: String,
        }
        let what = format!("the transitions of {key}");
        let reply = self.http.call(&Method::GET, &format!("{}/transitions", self.issue(key)), None, &what)?;
        let list: List = reply.json(Service::jira(), &what)?;
        Ok(list
            .transitions
            .into_iter()
            .map(|t| Transition { id: t.id, name: t.name, to: t.to.map(|s| s.name).unwrap_or_default() })
            .collect())
    }

    /// Takes a transition. A try whose answer never came may have been taken all the same, so
    /// before trying again the status is read: once the issue is where the transition leads,
    /// it is done.
    ///
    /// # Errors
    /// When Jira refuses or cannot be reached.
    pub fn transition(&self, key: &str, transition: &Transition) -> Result<(), ServiceError> {
        let body = json!({"transition": {"id": transition.id}});
        let what = format!("the transition {} of {key}", transition.name);
        let path = format!("{}/transitions", self.issue(key));
        self.post_once(&path, &body, &what, || {
            Ok(self.status(key)?.is_some_and(|now| now.eq_ignore_ascii_case(&transition.to)))
        })
    }

    /// Posts `body`, retrying a try whose answer never came; before each retry `landed` says
    /// whether that try took effect all the same, and then it is not posted again.
    fn post_once(
        &self,
        path: &str,
        body: &Value,
        what: &str,
        landed: impl Fn() -> Result<bool, ServiceError>,
    ) -> Result<(), ServiceError> {
        let mut pause = self.backoff;
        for attempt in 1.. {
            match self.once.call(&Method::POST, path, Some(body), what) {
                Ok(_) => return Ok(()),
                Err(ServiceError::GaveUp { .. } | ServiceError::Network { .. }) if attempt < self.tries => {
                    std::thread::sleep(pause);
                    pause *= 2;
                    if landed()? {
                        return Ok(());
                    }
                }
                Err(error) => return Err(error),
            }
        }
        unreachable!("the last try returns")
    }
}

/// `JIRA_TOKEN` (with `JIRA_USER` for Cloud), else git's credential helpers for the site.
fn token(jira: &config::Jira, repo: Option<&Repo>, var: &dyn Fn(&str) -> Option<String>) -> Result<Token, Error> {
    let set = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(secret) = set("JIRA_TOKEN") {
        // The variable's token goes to the site the variable beside it names, never to one a
        // release file names alone.
        let site = set("JIRA_URL");
        if !site.as_deref().is_some_and(|site| same_site(site, &jira.url)) {
            let why = match &site {
                Some(site) => format!("JIRA_URL names {}, another site", crate::secret::redact(site)),
                None => "JIRA_URL, which names the site the token belongs to, is not set".to_owned(),
            };
            return Err(Error::new(Kind::Config, format!("JIRA_TOKEN is not sent to {}", jira.url))
                .cause(why)
                .cause("a token from a variable goes only to the site JIRA_URL names, whatever a release file says")
                .hint(format!("set JIRA_URL={} where that is your Jira site", jira.url)));
        }
        let username = set("JIRA_USER");
        if jira.kind == JiraKind::Cloud && username.is_none() {
            return Err(Error::new(Kind::Config, "Jira Cloud takes an account's e-mail address with its API token")
                .cause("JIRA_TOKEN is set, JIRA_USER is not")
                .hint("set JIRA_USER to the e-mail address of the account the API token belongs to"));
        }
        let source = if username.is_some() { "JIRA_USER and JIRA_TOKEN" } else { "JIRA_TOKEN" };
        return Ok(Token { secret: Secret::new(secret), username, source: source.to_owned(), job_token: false });
    }
    let (protocol, rest) = jira.url.split_once("://").unwrap_or(("https", &jira.url));
    let host = rest.split('/').next().unwrap_or_default();
    if let Some((username, password)) = repo.and_then(|repo| repo.credential_fill(protocol, host)) {
        return Ok(Token {
            secret: Secret::new(password),
            username,
            source: format!("git credential fill for {host}"),
            job_token: false,
        });
    }
    let which = match jira.kind {
        JiraKind::Cloud => "set JIRA_USER to the account's e-mail address and JIRA_TOKEN to its API token",
        JiraKind::DataCenter => "set JIRA_TOKEN to a personal access token",
    };
    Err(Error::new(Kind::Config, format!("no token for Jira at {}", jira.url))
        .cause(format!("JIRA_TOKEN is not set, and git's credential helpers have none for {host}"))
        .hint(format!("{which}, or store one with git credential approve")))
}

/// Whether two addresses name one site: the same scheme, host and port.
fn same_site(a: &str, b: &str) -> bool {
    let origin = |text: &str| {
        let url = reqwest::Url::parse(text.trim()).ok()?;
        Some((url.scheme().to_owned(), url.host_str()?.to_lowercase(), url.port_or_known_default()))
    };
    origin(a).is_some_and(|a| Some(a) == origin(b))
}
