//! HTTP for forge APIs: timeouts, retries with backoff that honour `Retry-After` and rate-limit
//! resets within a bounded wait, conditional GETs by `ETag`, and answers checked to be JSON.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{self, HeaderMap};
use serde::de::DeserializeOwned;

mod error;

pub use error::ServiceError;

use crate::secret::Secret;
use crate::trace::Trace;

/// How patient the client is; from `GIT_RELEASE_HTTP_*` variables, with defaults for real forges.
#[derive(Clone)]
pub struct Settings {
    /// For one request, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// Tries of one request, the first included.
    pub tries: u32,
    /// The first pause before a retry; it doubles with each.
    pub backoff: Duration,
    /// The most the client waits in all for one request (pauses and rate limits together).
    pub max_wait: Duration,
    pub trace: Trace,
    /// Seconds since the epoch by our clock, for a forge's answer that carries no `Date`.
    pub now: fn() -> Option<i64>,
}

impl Settings {
    /// `GIT_RELEASE_HTTP_TIMEOUT` (seconds, default 30), `GIT_RELEASE_HTTP_TRIES` (default 5),
    /// `GIT_RELEASE_HTTP_BACKOFF_MS` (default 500), `GIT_RELEASE_HTTP_MAX_WAIT` (seconds, default 120).
    #[must_use]
    pub fn from_env(trace: Trace, now: fn() -> Option<i64>, var: &dyn Fn(&str) -> Option<String>) -> Settings {
        let number = |name: &str, default: u64| var(name).and_then(|v| v.trim().parse().ok()).unwrap_or(default);
        Settings {
            timeout: Duration::from_secs(number("GIT_RELEASE_HTTP_TIMEOUT", 30)),
            tries: u32::try_from(number("GIT_RELEASE_HTTP_TRIES", 5)).unwrap_or(5).max(1),
            backoff: Duration::from_millis(number("GIT_RELEASE_HTTP_BACKOFF_MS", 500)),
            max_wait: Duration::from_secs(number("GIT_RELEASE_HTTP_MAX_WAIT", 120)),
            trace,
            now,
        }
    }
}

/// A token and where it came from, so that a refusal can say which one the forge refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub secret: Secret,
    /// A user name that goes with it (from a credential helper), for Basic authentication.
    pub username: Option<String>,
    /// `GITHUB_TOKEN`, or `git credential fill for api.github.com`.
    pub source: String,
    /// The variable is a CI job token, which some forges take in a header of its own.
    pub job_token: bool,
}

/// Whom a client talks to: a forge, or Jira. It names the service in errors and says where a
/// token is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Its name for people: `GitHub`, `Jira`.
    pub title: &'static str,
    /// Where the token is looked for, for a refusal's hint.
    pub variables: String,
    /// What the token must be allowed to do.
    pub rights: &'static str,
    /// It answers a sign-in page with HTTP 203 where it means 401 (Azure DevOps).
    pub sign_in_is_203: bool,
}

impl Service {
    /// Jira, Cloud or Data Center.
    #[must_use]
    pub fn jira() -> Service {
        Service {
            title: "Jira",
            variables: "JIRA_TOKEN (with JIRA_USER for Jira Cloud)".to_owned(),
            rights: "browse, comment on and transition the issues",
            sign_in_is_203: false,
        }
    }

    #[must_use]
    pub fn title(&self) -> &'static str {
        self.title
    }
}

/// How a forge wants its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: token <token>` (Gitea).
    Token,
    /// `Authorization: Basic base64(<user>:<token>)`, the user empty unless the helper gave one.
    Basic,
    /// A header of its own, such as GitLab's `PRIVATE-TOKEN`.
    Header(&'static str),
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    headers: HeaderMap,
    pub body: String,
}

impl Reply {
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[must_use]
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as `T`.
    ///
    /// # Errors
    /// When the body is not the JSON the forge documents.
    pub fn json<T: DeserializeOwned>(&self, forge: impl Into<Service>, what: &str) -> Result<T, ServiceError> {
        let forge: Service = forge.into();
        serde_json::from_str(&self.body).map_err(|error| ServiceError::Malformed {
            forge: forge.title(),
            what: what.to_owned(),
            detail: error.to_string(),
        })
    }

    /// The `rel="next"` address of a `Link` header.
    #[must_use]
    pub fn next_link(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(',').find_map(|part| {
            let (address, params) = part.split_once(';')?;
            let next = params.split(';').any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
            next.then(|| address.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
        })
    }
}

/// A forge API client: one base address, one token.
pub struct Http {
    client: Client,
    forge: Service,
    base: String,
    token: Option<Token>,
    scheme: Scheme,
    headers: Vec<(&'static str, String)>,
    /// A query parameter every address carries (Azure DevOps' `api-version`).
    always: Option<(&'static str, &'static str)>,
    settings: Settings,
    /// GETs answered before, by address: their `ETag` and body, for `If-None-Match`.
    cache: Mutex<HashMap<String, (String, String)>>,
}

impl Http {
    /// # Errors
    /// When the HTTP client cannot be built (no TLS provider).
    pub fn new(
        forge: impl Into<Service>,
        base: &str,
        token: Option<Token>,
        scheme: Scheme,
        settings: Settings,
    ) -> Result<Http, ServiceError> {
        // One process, one provider: a second install is refused and harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("git-release/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::custom(within_origin))
            .build()
            .map_err(|error| ServiceError::Client { detail: error.without_url().to_string() })?;
        Ok(Http {
            client,
            forge: forge.into(),
            base: base.trim_end_matches('/').to_owned(),
            token,
            scheme,
            headers: Vec::new(),
            always: None,
            settings,
            cache: Mutex::default(),
        })
    }

    /// Sends `name: value` with every request.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: &str) -> Http {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Adds `name=value` to every address that lacks `name`.
    #[must_use]
    pub fn with_query(mut self, name: &'static str, value: &'static str) -> Http {
        self.always = Some((name, value));
        self
    }

    /// The full address of `path` (already an address when it starts with a scheme).
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        let url = if path.contains("://") { path.to_owned() } else { format!("{}{path}", self.base) };
        match self.always {
            Some((name, value)) if !url.contains(&format!("{name}=")) => {
                let join = if url.contains('?') { '&' } else { '?' };
                format!("{url}{join}{name}={value}")
            }
            _ => url,
        }
    }

    /// The address of `path` with `query` encoded onto it.
    ///
    /// # Errors
    /// When `path` does not make an address.
    pub fn address(&self, path: &str, query: &[(&str, &str)]) -> Result<String, ServiceError> {
        let mut url =
            reqwest::Url::parse(&self.url(path)).map_err(|e| ServiceError::Client { detail: e.to_string() })?;
        url.query_pairs_mut().extend_pairs(query);
        Ok(url.into())
    }

    /// Sends a request and expects a 2xx answer.
    ///
    /// # Errors
    /// As [`Http::send`], and [`Http::refusal`] for any other answer.
    pub fn call(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<Reply, ServiceError> {
        self.accepted(self.send(method, path, body)?, what)
    }

    /// Sends a request and reads the answer, retrying what a retry may mend: dropped connections,
    /// timeouts, 5xx, 429 and exhausted rate limits. Any other answer is returned, 4xx included,
    /// for the caller to read, except 401 and 403, which are refused here.
    ///
    /// # Errors
    /// When the forge refuses the token, or the tries or the wait run out, or the answer is
    /// not JSON.
    pub fn send(&self, method: &Method, path: &str, body: Option<&serde_json::Value>) -> Result<Reply, ServiceError> {
        self.send_tries(method, path, body, self.settings.tries)
    }

    /// As [`Http::call`], trying once: for a request that is not safe to repeat blindly, whose
    /// caller looks whether it took effect before sending it again.
    ///
    /// # Errors
    /// As [`Http::call`]; a dropped connection, a timeout or a 5xx is [`ServiceError::GaveUp`] or
    /// [`ServiceError::Network`] at once.
    pub fn call_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<Reply, ServiceError> {
        self.accepted(self.send_tries(method, path, body, 1)?, what)
    }

    /// A 2xx answer, or the refusal any other is.
    fn accepted(&self, reply: Reply, what: &str) -> Result<Reply, ServiceError> {
        if reply.ok() { Ok(reply) } else { Err(self.refusal(&reply, what)) }
    }

    fn send_tries(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
        most: u32,
    ) -> Result<Reply, ServiceError> {
        let url = self.url(path);
        let started = Instant::now();
        let mut pause = self.settings.backoff;
        let mut tries = 0;
        loop {
            tries += 1;
            (self.settings.trace)(&format!("{method} {url}"));
            let cached = (*method == Method::GET)
                .then(|| self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&url).cloned())
                .flatten();
            let mut request = self.request(method.clone(), &url, body);
            if let Some((etag, _)) = &cached {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            let outcome = request.send().and_then(|response| {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                response.text().map(|body| Reply { status, headers, body })
            });
            let wait = match outcome {
                Ok(reply) if reply.status == 304 => {
                    let (_, body) = cached.unwrap_or_default();
                    return Ok(Reply { status: 200, headers: reply.headers, body });
                }
                Ok(reply) => match retry_after(&reply, self.settings.backoff, self.settings.now) {
                    Some(wait) => Retry::After(wait, format!("HTTP {}", reply.status)),
                    None => return self.answer(*method == Method::GET, &url, reply),
                },
                Err(error) if error.is_redirect() => {
                    let detail =
                        std::error::Error::source(&error).map_or_else(|| error.to_string(), ToString::to_string);
                    return Err(ServiceError::Network { forge: self.forge.title(), url, tries, detail });
                }
                Err(error) if error.is_timeout() => Retry::Backoff("no answer in time".to_owned()),
                Err(error) if error.is_connect() || error.is_request() || error.is_body() => {
                    Retry::Backoff(error.without_url().to_string())
                }
                Err(error) => {
                    return Err(ServiceError::Network {
                        forge: self.forge.title(),
                        url,
                        tries,
                        detail: error.without_url().to_string(),
                    });
                }
            };
            let (wait, why) = match wait {
                Retry::After(wait, why) => (wait, why),
                Retry::Backoff(why) => {
                    let wait = pause;
                    pause *= 2;
                    (wait, why)
                }
            };
            let waited = started.elapsed();
            if tries >= most || waited + wait > self.settings.max_wait {
                return Err(ServiceError::GaveUp {
                    forge: self.forge.title(),
                    url,
                    tries,
                    last: why,
                    waited: waited.as_secs(),
                    asked: wait.as_secs(),
                });
            }
            std::thread::sleep(wait);
        }
    }

    /// Every page of a list (`what` names what a refusal was of): `read` takes a page's items, and the next page's address comes
    /// from `next`, until it has none.
    ///
    /// # Errors
    /// As [`Http::send`], or when a page cannot be read.
    pub fn pages<T>(
        &self,
        first: &str,
        what: &str,
        read: &dyn Fn(&Reply) -> Result<Vec<T>, ServiceError>,
        next: &dyn Fn(&Reply, &str) -> Option<String>,
    ) -> Result<Vec<T>, ServiceError> {
        let mut items = Vec::new();
        let mut address = Some(self.url(first));
        let mut seen = std::collections::HashSet::new();
        while let Some(url) = address.take() {
            if !seen.insert(url.clone()) {
                break;
            }
            let reply = self.send(&Method::GET, &url, None)?;
            if !reply.ok() {
                return Err(self.refusal(&reply, what));
            }
            items.extend(read(&reply)?);
            address = next(&reply, &url);
            if let Some(next) = &address {
                // The token goes only where the API is: a next page elsewhere is not followed.
                if !same_origin(next, &self.base) {
                    return Err(ServiceError::Malformed {
                        forge: self.forge.title(),
                        what: "a list".to_owned(),
                        detail: format!(
                            "its next page is on another host ({}), and the token goes to {} only",
                            origin(next).unwrap_or_default(),
                            origin(&self.base).unwrap_or_default()
                        ),
                    });
                }
            }
        }
        Ok(items)
    }

    /// An error for an answer the caller did not expect.
    #[must_use]
    pub fn refusal(&self, reply: &Reply, what: &str) -> ServiceError {
        let message = message_of(&reply.body);
        if reply.status == 404 {
            return ServiceError::NotFound { forge: self.forge.title(), what: what.to_owned(), message };
        }
        ServiceError::Refused { forge: self.forge.title(), status: reply.status, what: what.to_owned(), message }
    }

    fn request(&self, method: Method, url: &str, body: Option<&serde_json::Value>) -> RequestBuilder {
        let mut request = self.client.request(method, url).header(header::ACCEPT, "application/json");
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        if let Some(token) = &self.token {
            let secret = token.secret.expose();
            request = match self.scheme {
                Scheme::Bearer => request.bearer_auth(secret),
                Scheme::Token => request.header(header::AUTHORIZATION, format!("token {secret}")),
                Scheme::Basic => request.basic_auth(token.username.clone().unwrap_or_default(), Some(secret)),
                Scheme::Header(_) if token.job_token => request.header("JOB-TOKEN", secret),
                Scheme::Header(name) => request.header(name, secret),
            };
        }
        if let Some(body) = body {
            request = request.header(header::CONTENT_TYPE, "application/json").body(body.to_string());
        }
        request
    }

    fn answer(&self, get: bool, url: &str, reply: Reply) -> Result<Reply, ServiceError> {
        let json = reply.header("content-type").is_some_and(|t| t.contains("json"));
        // Azure DevOps turns a refused token into its sign-in page: 203, HTML.
        let sign_in = self.forge.sign_in_is_203 && reply.status == 203 && !json;
        if let (403, Some(token)) = (reply.status, &self.token) {
            return Err(ServiceError::Forbidden {
                forge: self.forge.title(),
                status: reply.status,
                token: token.source.clone(),
                rights: self.forge.rights,
                message: message_of(&reply.body),
            });
        }
        if reply.status == 401 || reply.status == 403 || sign_in {
            return Err(ServiceError::Unauthorized {
                forge: self.forge.title(),
                status: reply.status,
                token: self.token.as_ref().map(|t| t.source.clone()),
                variables: self.forge.variables.clone(),
                rights: self.forge.rights,
                message: message_of(&reply.body),
            });
        }
        if !json && !reply.body.trim().is_empty() {
            let looks = if reply.body.trim_start().starts_with('<') { "an HTML page" } else { "text that is not JSON" };
            return Err(ServiceError::NotJson { forge: self.forge.title(), status: reply.status, looks });
        }
        if get && reply.ok() {
            if let Some(etag) = reply.header("etag") {
                self.cache
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(url.to_owned(), (etag.to_owned(), reply.body.clone()));
            }
        }
        Ok(reply)
    }
}

enum Retry {
    After(Duration, String),
    Backoff(String),
}

/// `address` with the query parameter `key` set to `value` (replacing any), for forges whose
/// next page is told as a number rather than an address.
#[must_use]
pub fn with_param(address: &str, key: &str, value: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(address).ok()?;
    let kept: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != key).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    url.query_pairs_mut().clear().extend_pairs(kept).append_pair(key, value);
    Some(url.into())
}

/// `scheme://host:port` of an address, the port spelled out.
fn origin(address: &str) -> Option<String> {
    let url = reqwest::Url::parse(address).ok()?;
    Some(format!("{}://{}:{}", url.scheme(), url.host_str()?, url.port_or_known_default()?))
}

fn same_origin(a: &str, b: &str) -> bool {
    origin(a).is_some_and(|a| Some(a) == origin(b))
}

/// Redirects are followed within the origin a request was made to only: reqwest drops
/// `Authorization` on the way to another host, but not the headers some forges take tokens in
/// (`PRIVATE-TOKEN`, `JOB-TOKEN`), nor anything on a downgrade to plain http.
fn within_origin(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let first = attempt.previous().first().map(reqwest::Url::as_str).unwrap_or_default();
    if !same_origin(first, attempt.url().as_str()) {
        let to = crate::secret::redact(attempt.url().as_str());
        return attempt.error(format!("the forge redirected to {to}, another host, where no credential is sent"));
    }
    if attempt.previous().len() > 5 {
        return attempt.error("the forge redirected more than five times");
    }
    attempt.follow()
}

/// How long to wait before trying again, for answers that ask for it.
fn retry_after(reply: &Reply, backoff: Duration, now: fn() -> Option<i64>) -> Option<Duration> {
    let exhausted = reply.header("x-ratelimit-remaining").or_else(|| reply.header("ratelimit-remaining")) == Some("0");
    // GitHub's secondary limits: 403 or 429 with requests remaining, `Retry-After` or the words.
    let secondary = matches!(reply.status, 403 | 429)
        && (reply.header("retry-after").is_some()
            || message_of(&reply.body).is_some_and(|m| m.to_ascii_lowercase().contains("secondary rate limit")));
    let retriable = reply.status == 429 || reply.status >= 500 || (reply.status == 403 && (exhausted || secondary));
    if !retriable {
        return None;
    }
    let now = || forge_now(reply, now);
    if let Some(after) = reply.header("retry-after") {
        return Some(parse_retry_after(after, now).unwrap_or(backoff));
    }
    if exhausted {
        let reset = reply.header("x-ratelimit-reset").or_else(|| reply.header("ratelimit-reset"));
        if let (Some(reset), Some(now)) = (reset.and_then(|r| r.trim().parse::<i64>().ok()), now()) {
            return Some(Duration::from_secs(u64::try_from(reset - now).unwrap_or(0).max(1)));
        }
    }
    if secondary {
        // Without `Retry-After`, GitHub asks for at least a minute.
        return Some(backoff.max(Duration::from_secs(60)));
    }
    Some(backoff)
}

/// `Retry-After` in seconds, or as an HTTP date measured from `now` (seconds since the epoch).
fn parse_retry_after(value: &str, now: impl FnOnce() -> Option<i64>) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = http_date(value)?;
    Some(Duration::from_secs(u64::try_from(when - now()?).unwrap_or(0)))
}

/// The time an answer was sent, by the forge's own clock (its `Date`), else by ours: a reset
/// time or a `Retry-After` date is then measured on the clock that wrote it, whatever the skew.
fn forge_now(reply: &Reply, now: fn() -> Option<i64>) -> Option<i64> {
    reply.header("date").and_then(http_date).or_else(now)
}

/// An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`), as seconds since the epoch.
fn http_date(value: &str) -> Option<i64> {
    Some(jiff::fmt::rfc2822::parse(value.trim()).ok()?.timestamp().as_second())
}

/// The message a forge put in an error body, as far as it can be found; never the whole body.
pub fn message_of(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let text = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(items) => items.first().and_then(|i| i.as_str().map(str::to_owned)),
            _ => None,
        }
    };
    let found = value
        .get("message")
        .and_then(text)
        .or_else(|| value.pointer("/error/message").and_then(text))
        .or_else(|| value.get("error").and_then(text))
        .or_else(|| value.pointer("/errors/0/message").and_then(text))
        .or_else(|| value.pointer("/errorMessages/0").and_then(text))?;
    // GitHub's validation errors say what failed under `errors`: "Validation Failed" alone
    // tells nothing ("No commits between …", "A pull request already exists for …").
    let details: Vec<String> = value
        .get("errors")
        .and_then(serde_json::Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| {
                    e.get("message").and_then(text).or_else(|| {
                        let field = e.get("field").and_then(serde_json::Value::as_str)?;
                        let code = e.get("code").and_then(serde_json::Value::as_str).unwrap_or("invalid");
                        Some(format!("{field}: {code}"))
                    })
                })
                .filter(|detail| *detail != found)
                .collect()
        })
        .unwrap_or_default();
    let full = if details.is_empty() { found } else { format!("{found}: {}", details.join("; ")) };
    Some(full.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_replaces_the_one_before() {
        assert_eq!(
            with_param("https://h/x?state=OPEN&start=25&limit=100", "start", "50").as_deref(),
            Some("https://h/x?state=OPEN&limit=100&start=50")
        );
        assert_eq!(with_param("https://h/x", "page", "2").as_deref(), Some("https://h/x?page=2"));
    }

    #[test]
    fn pages_are_followed_on_the_apis_own_host_only() {
        assert!(same_origin("https://api.github.com/repos/a/b/pulls?page=2", "https://api.github.com"));
        assert!(same_origin("https://git.acme.io:443/api/v4/x", "https://git.acme.io/api/v4"));
        assert!(!same_origin("http://api.github.com/x", "https://api.github.com"));
        assert!(!same_origin("https://example.com/next", "https://api.bitbucket.org/2.0"));
        assert!(!same_origin("not an address", "https://api.github.com"));
    }

    fn reply(status: u16, headers: &[(&'static str, &str)]) -> Reply {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().expect("a header value"));
        }
        Reply { status, headers: map, body: String::new() }
    }

    #[test]
    fn a_rate_limit_reset_is_measured_on_the_forges_own_clock() {
        let backoff = Duration::from_secs(2);
        let exhausted = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1445412510"),
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ];
        assert_eq!(retry_after(&reply(403, &exhausted), backoff, || None), Some(Duration::from_secs(30)));
        let asked = [("retry-after", "Wed, 21 Oct 2015 07:28:45 GMT"), ("date", "Wed, 21 Oct 2015 07:28:00 GMT")];
        assert_eq!(retry_after(&reply(429, &asked), backoff, || None), Some(Duration::from_secs(45)));
        assert_eq!(retry_after(&reply(503, &[]), backoff, || None), Some(backoff));
        assert_eq!(retry_after(&reply(404, &asked), backoff, || None), None, "a 404 is no reason to wait");
    }

    #[test]
    fn a_validation_error_says_what_failed_under_it() {
        let no_commits = r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"No commits between environment/prod and environment/qa"}],"documentation_url":"https://docs.github.com/rest","status":"422"}"#;
        assert_eq!(
            message_of(no_commits).as_deref(),
            Some("Validation Failed: No commits between environment/prod and environment/qa")
        );
        let missing = r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","field":"head","code":"missing_field"}]}"#;
        assert_eq!(message_of(missing).as_deref(), Some("Validation Failed: head: missing_field"));
        assert_eq!(message_of(r#"{"message":"Not Found"}"#).as_deref(), Some("Not Found"));
    }

    #[test]
    fn a_secondary_rate_limit_is_waited_for_though_requests_remain() {
        let backoff = Duration::from_millis(500);
        let body = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        let mut limited = reply(403, &[("x-ratelimit-remaining", "4999")]);
        limited.body = body.to_owned();
        assert_eq!(
            retry_after(&limited, backoff, || None),
            Some(Duration::from_secs(60)),
            "a minute at least, unasked"
        );
        let asked = reply(403, &[("x-ratelimit-remaining", "4999"), ("retry-after", "7")]);
        assert_eq!(retry_after(&asked, backoff, || None), Some(Duration::from_secs(7)));
        let mut forbidden = reply(403, &[("x-ratelimit-remaining", "4999")]);
        forbidden.body = r#"{"message":"Resource not accessible by integration"}"#.to_owned();
        assert_eq!(retry_after(&forbidden, backoff, || None), None, "a refusal is no reason to wait");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let sent = http_date("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(sent, Some(1_445_412_480));
        assert_eq!(parse_retry_after("3", || None), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", || sent), Some(Duration::from_secs(90)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", || sent.map(|s| s + 60)),
            Some(Duration::ZERO),
            "a past date waits no more"
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", || None), None, "no clock, no wait");
        assert_eq!(parse_retry_after("soon", || sent), None);
    }

    #[test]
    fn error_messages_come_from_each_forges_shape() {
        assert_eq!(message_of(r#"{"message":"Bad credentials"}"#).as_deref(), Some("Bad credentials"));
        assert_eq!(
            message_of(r#"{"message":["Another open merge request already exists"]}"#).as_deref(),
            Some("Another open merge request already exists")
        );
        assert_eq!(
            message_of(r#"{"type":"error","error":{"message":"Repository not found"}}"#).as_deref(),
            Some("Repository not found")
        );
        assert_eq!(message_of(r#"{"errors":[{"message":"stale version"}]}"#).as_deref(), Some("stale version"));
        assert_eq!(
            message_of(r#"{"errorMessages":["Issue does not exist"]}"#).as_deref(),
            Some("Issue does not exist")
        );
        assert_eq!(message_of("<html>sign in</html>"), None);
    }
}
