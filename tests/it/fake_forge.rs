//! A stateful fake forge on 127.0.0.1: it keeps pull requests, comments and statuses in memory,
//! answers in the wire format of one of six forges, and injects faults on request.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// Which forge's API the fake speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Github,
    Gitlab,
    BitbucketServer,
    BitbucketCloud,
    Azure,
    Gitea,
}

impl Dialect {
    pub const ALL: [Dialect; 6] = [
        Dialect::Github,
        Dialect::Gitlab,
        Dialect::BitbucketServer,
        Dialect::BitbucketCloud,
        Dialect::Azure,
        Dialect::Gitea,
    ];

    /// The name `[forge] kind` takes.
    pub fn kind(self) -> &'static str {
        match self {
            Dialect::Github => "github",
            Dialect::Gitlab => "gitlab",
            Dialect::BitbucketServer => "bitbucket-server",
            Dialect::BitbucketCloud => "bitbucket-cloud",
            Dialect::Azure => "azure-devops",
            Dialect::Gitea => "gitea",
        }
    }

    /// The variable git-release reads this forge's token from.
    pub fn variable(self) -> &'static str {
        match self {
            Dialect::Github => "GITHUB_TOKEN",
            Dialect::Gitlab => "GITLAB_TOKEN",
            Dialect::BitbucketServer | Dialect::BitbucketCloud => "BITBUCKET_TOKEN",
            Dialect::Azure => "AZURE_DEVOPS_EXT_PAT",
            Dialect::Gitea => "GITEA_TOKEN",
        }
    }

    /// The most items one page holds, whatever the client asks for.
    fn page_cap(self) -> usize {
        match self {
            Dialect::BitbucketCloud | Dialect::Gitea => 50,
            _ => 100,
        }
    }
}

/// A pull request as the fake keeps it.
#[expect(
    clippy::struct_excessive_bools,
    reason = "a pull request's states on a forge are flags: open, draft, merged, conflicting"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub source: String,
    pub target: String,
    pub open: bool,
    pub draft: bool,
    /// Bitbucket Data Center's lock: one more with every change.
    pub version: u64,
    /// Closed by merging (else, when closed, declined).
    pub merged: bool,
    /// Where its head branch is: the repository itself, or an outsider's fork.
    pub head: Head,
    /// The account that opened it, by its [`Account::name`].
    pub author: String,
    /// It conflicts with its target, as a test says.
    pub conflicts: bool,
    /// Its head commit, where the fake is backed by a repository (see [`FakeForge::back_with`]).
    pub head_sha: Option<String>,
    /// Why it may not merge now (a required check not passed), as the forge would say.
    pub blocked: Option<String>,
}

/// The account the fake's own token acts as: git-release's, in every test that gives it.
pub const BOT: &str = "release-bot";

/// The author of the pull requests [`FakeForge::seed`] opens: people.
pub const PERSON: &str = "a-person";

/// An account the fake knows, by the token that acts as it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub token: String,
    /// What pull requests name their author with: GitHub's and Gitea's login, GitLab's and
    /// Bitbucket Server's user name, Bitbucket Cloud's uuid, Azure DevOps' identity id.
    pub name: String,
    pub kind: AccountKind,
}

/// Whether the forge tells a token whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A person's or a bot user's token: the forge's "who am I" call answers.
    User,
    /// An app's installation token (GitHub's `GITHUB_TOKEN`), a GitLab job token, a Bitbucket
    /// Cloud access token: the "who am I" call refuses it; on GitHub, GraphQL's `viewer` answers.
    App,
}

/// The repository a pull request's head branch is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    Here,
    /// `outsider/release`, a fork anyone may make.
    Fork,
}

/// Which pull requests a list asks for, in any forge's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Open,
    /// Closed without merging.
    Declined,
    Merged,
    /// Closed either way.
    Closed,
    All,
}

impl Wanted {
    fn from(word: Option<&str>, default: Wanted) -> Wanted {
        match word.map(str::to_ascii_lowercase).as_deref() {
            None => default,
            Some("open" | "opened" | "active") => Wanted::Open,
            Some("declined" | "abandoned") => Wanted::Declined,
            Some("merged" | "completed") => Wanted::Merged,
            Some("closed") => Wanted::Closed,
            _ => Wanted::All,
        }
    }

    fn takes(self, pull: &Pull) -> bool {
        match self {
            Wanted::Open => pull.open,
            Wanted::Declined => !pull.open && !pull.merged,
            Wanted::Merged => pull.merged,
            Wanted::Closed => !pull.open,
            Wanted::All => true,
        }
    }
}

/// A fault the fake answers the next request with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// This status with a JSON error body; `retry_after` seconds when given.
    Status { status: u16, retry_after: Option<u64> },
    /// This status with the forge's own words as `message` (and requests left in the rate
    /// limit); `retry_after` seconds when given.
    Said { status: u16, message: &'static str, retry_after: Option<u64> },
    /// An HTML sign-in page with status 200.
    SignInPage,
    /// A body that is not valid JSON.
    Malformed,
    /// Close the connection without answering.
    Drop,
    /// Read the request and never answer.
    Hang,
    /// Serve the request: a fault waits for a later one.
    Pass,
    /// Serve the request, then close the connection: the change happened, its answer is lost.
    Lost,
    /// `307 Temporary Redirect` to the same path on `localhost:port`: another host name.
    Redirect { port: u16 },
}

/// A commit status as the fake keeps it, whatever the forge calls its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub commit: String,
    /// The forge's own word: `success`, `SUCCESSFUL`, `succeeded`, …
    pub state: String,
    pub context: String,
    pub description: String,
}

/// A deployment as the fake keeps it, whatever the forge calls its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub id: u64,
    pub environment: String,
    pub sha: String,
    /// GitHub's `ref`, GitLab's `ref`, Bitbucket's key and sequence number.
    pub reference: String,
    /// GitHub's payload; Bitbucket's display name and description.
    pub payload: Value,
    /// Its statuses, oldest first, in the forge's own words (`success`, `inactive`,
    /// `SUCCESSFUL`), with the log and environment addresses where a status gave them.
    pub statuses: Vec<DeploymentStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStatus {
    pub state: String,
    pub log_url: Option<String>,
    pub environment_url: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub pulls: Vec<Pull>,
    pub deployments: Vec<Deployment>,
    pub statuses: Vec<Status>,
    /// `(pull number, text)`.
    pub comments: Vec<(u64, String)>,
    pub faults: VecDeque<Fault>,
    /// Every request as `METHOD path?query`, and its headers, in order.
    pub requests: Vec<(String, Vec<(String, String)>)>,
    /// The accounts whose tokens the fake takes; none lets anything in.
    pub accounts: Vec<Account>,
    /// The account the request being served came with.
    pub acting: Option<Account>,
    /// How long every answer takes.
    pub latency: Duration,
    /// Random faults on this share of requests.
    pub chaos: Option<Chaos>,
    /// The bare repository whose branches the pull requests are between: merges land there.
    pub repo: Option<std::path::PathBuf>,
    /// Status contexts that must have passed on a pull request's head before it merges.
    pub required: Vec<String>,
    /// The token may read the repository but not push to it.
    pub read_only: bool,
    /// Branch protection cannot be read with the token (it takes administration rights).
    pub protection_hidden: bool,
    /// How many more times mergeability is answered as not worked out yet.
    pub unknown_for: u32,
    /// Run once, when a client asks for a merge (or, with `race_at_read`, first reads one pull
    /// request, as a client that checks the head itself does just before merging): a push that
    /// lands between the gate and the merge.
    pub race: Option<Box<dyn FnOnce() + Send>>,
    pub race_at_read: bool,
}

/// Why the fake does not merge a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmerged {
    Gone,
    /// Not open: merged or closed already.
    Closed,
    HeadMoved(String),
    /// A required check has not passed, or the merge would conflict.
    Blocked(String),
}

/// Faults at random, from a seed: the same run of faults for the same requests.
#[derive(Debug)]
pub struct Chaos {
    /// Out of 100 requests.
    pub percent: u64,
    pub seed: u64,
}

/// What chaos does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mishap {
    /// A fault before the request is served.
    Before(u64),
    /// Served, then the connection dropped: the change happened, the answer is lost.
    Lost,
}

impl Chaos {
    fn roll(&mut self) -> Option<Mishap> {
        let mut next = || {
            self.seed ^= self.seed >> 12;
            self.seed ^= self.seed << 25;
            self.seed ^= self.seed >> 27;
            self.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11
        };
        if next() % 100 >= self.percent {
            return None;
        }
        let kind = next() % 5;
        Some(if kind == 4 { Mishap::Lost } else { Mishap::Before(kind) })
    }
}

/// Runs git in the fake's repository; its stdout, trimmed, or `None` when git fails.
fn git_in(repo: &std::path::Path, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Fake Forge")
        .env("GIT_AUTHOR_EMAIL", "forge@example.com")
        .env("GIT_COMMITTER_NAME", "Fake Forge")
        .env("GIT_COMMITTER_EMAIL", "forge@example.com")
        .env("GIT_AUTHOR_DATE", "2026-11-21T12:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-21T12:00:00Z")
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Whether a status's state, in any forge's word, is a pass.
fn passed(state: &str) -> bool {
    matches!(state, "success" | "SUCCESSFUL" | "succeeded")
}

impl State {
    /// Reads each open pull request's head and whether its required checks passed, from the
    /// repository behind the fake, where there is one.
    fn refresh(&mut self) {
        let Some(repo) = self.repo.clone() else { return };
        for index in 0..self.pulls.len() {
            if !self.pulls[index].open {
                continue;
            }
            let head =
                git_in(&repo, &["rev-parse", "--verify", "-q", &format!("refs/heads/{}", self.pulls[index].source)]);
            let blocked = head.as_deref().and_then(|head| self.unpassed(head));
            // A push to its branch is a change of the pull request: Bitbucket Data Center's lock
            // moves on, and a merge held to the version read before is refused.
            if self.pulls[index].head_sha.is_some() && self.pulls[index].head_sha != head {
                self.pulls[index].version += 1;
            }
            self.pulls[index].head_sha = head;
            self.pulls[index].blocked = blocked;
        }
    }

    /// The first required check whose latest status on `head` is not a pass, in words.
    fn unpassed(&self, head: &str) -> Option<String> {
        self.required.iter().find_map(|context| {
            let latest = self.statuses.iter().rev().find(|s| s.commit == head && &s.context == context);
            match latest {
                Some(status) if passed(&status.state) => None,
                Some(status) => Some(format!("{context} is {}", status.state)),
                None => Some(format!("{context} is expected")),
            }
        })
    }

    /// Merges pull request `number` into its target in the repository, if its head is
    /// `expected` (when given), it is open, and its required checks passed. `method`: `merge`,
    /// `squash` or `fast-forward`. Returns the target's new commit.
    pub fn merge(
        &mut self,
        number: &str,
        expected: Option<&str>,
        method: &str,
        message: &str,
    ) -> Result<String, Unmerged> {
        self.refresh();
        let repo = self.repo.clone().ok_or(Unmerged::Blocked("the fake has no repository".into()))?;
        let pull = self.find(number).ok_or(Unmerged::Gone)?.clone();
        if !pull.open {
            return Err(Unmerged::Closed);
        }
        let head = pull.head_sha.clone().ok_or(Unmerged::Blocked("its branch is gone".into()))?;
        if expected.is_some_and(|expected| !head.starts_with(expected) && !expected.starts_with(&head)) {
            return Err(Unmerged::HeadMoved(head));
        }
        if let Some(why) = pull.blocked.clone() {
            return Err(Unmerged::Blocked(why));
        }
        let target = format!("refs/heads/{}", pull.target);
        let base = git_in(&repo, &["rev-parse", &target]).ok_or(Unmerged::Blocked("its target is gone".into()))?;
        let merged = if method == "fast-forward" {
            git_in(&repo, &["merge-base", "--is-ancestor", &base, &head])
                .ok_or(Unmerged::Blocked("it is not a fast-forward".into()))?;
            head.clone()
        } else {
            let tree = git_in(&repo, &["merge-tree", "--write-tree", &base, &head])
                .ok_or(Unmerged::Blocked("it conflicts with its target".into()))?;
            let tree = tree.lines().next().unwrap_or_default().to_owned();
            let mut args = vec!["commit-tree", tree.as_str(), "-p", base.as_str()];
            if method != "squash" {
                args.extend(["-p", head.as_str()]);
            }
            args.extend(["-m", message]);
            git_in(&repo, &args).ok_or(Unmerged::Blocked("the merge commit could not be made".into()))?
        };
        git_in(&repo, &["update-ref", &target, &merged, &base]).ok_or(Unmerged::HeadMoved(head.clone()))?;
        let pull = self.find(number).expect("found above");
        pull.open = false;
        pull.merged = true;
        pull.version += 1;
        Ok(merged)
    }

    fn find(&mut self, number: &str) -> Option<&mut Pull> {
        let number: u64 = number.parse().ok()?;
        self.pulls.iter_mut().find(|p| p.number == number)
    }

    /// Opens a pull request, or names the open one for the same branches.
    fn open(&mut self, title: String, body: String, source: String, target: String, draft: bool) -> Result<Pull, u64> {
        // A fork's branch of the same name is another head: it does not stand in the way.
        if let Some(open) =
            self.pulls.iter().find(|p| p.open && (p.head == Head::Here) && p.source == source && p.target == target)
        {
            return Err(open.number);
        }
        let number = self.pulls.len() as u64 + 1;
        let author = self.acting.as_ref().map_or_else(|| "anonymous".to_owned(), |a| a.name.clone());
        let pull = Pull {
            number,
            title,
            body,
            source,
            target,
            open: true,
            draft,
            version: 0,
            merged: false,
            head: Head::Here,
            author,
            conflicts: false,
            head_sha: None,
            blocked: None,
        };
        self.pulls.push(pull.clone());
        Ok(pull)
    }
}

pub struct FakeForge {
    pub port: u16,
    pub dialect: Dialect,
    pub state: Arc<Mutex<State>>,
}

pub struct Request {
    pub method: String,
    /// The path's segments, each decoded on its own (GitLab's `group%2Fproject` is one).
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Request {
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    fn text(&self, pointer: &str) -> Option<String> {
        self.body.pointer(pointer).and_then(Value::as_str).map(str::to_owned)
    }

    pub fn number(&self, key: &str, default: usize) -> usize {
        self.query(key).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// This request's address with `key` set to `value`.
    fn with(&self, key: &str, value: usize) -> String {
        let mut query: Vec<String> =
            self.query.iter().filter(|(k, _)| k != key).map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        query.push(format!("{key}={value}"));
        let path: Vec<String> = self.segments.iter().map(|s| encode(s)).collect();
        format!("http://{}/{}?{}", self.header("host").unwrap_or_default(), path.join("/"), query.join("&"))
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

pub fn answer(status: u16, body: &Value) -> Answer {
    Answer { status, headers: Vec::new(), body: body.to_string() }
}

impl FakeForge {
    /// A fake forge speaking `dialect`, serving `shop/release` at `http://127.0.0.1:<port>`.
    pub fn new(dialect: Dialect, token: Option<&str>) -> FakeForge {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("an address").port();
        let accounts: Vec<Account> = token
            .map(|token| Account { token: token.to_owned(), name: BOT.to_owned(), kind: AccountKind::User })
            .into_iter()
            .collect();
        let state = Arc::new(Mutex::new(State { accounts, ..State::default() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(dialect, stream, &state));
            }
        });
        FakeForge { port, dialect, state }
    }

    pub fn github(token: Option<&str>) -> FakeForge {
        FakeForge::new(Dialect::Github, token)
    }

    pub fn api(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Lets `token` in as another account.
    pub fn add_account(&self, token: &str, name: &str, kind: AccountKind) {
        let account = Account { token: token.to_owned(), name: name.to_owned(), kind };
        self.state.lock().expect("state").accounts.push(account);
    }

    /// Makes the fake's own token one the forge will not name (an app's, a job token).
    pub fn as_app(&self) {
        let mut state = self.state.lock().expect("state");
        for account in &mut state.accounts {
            account.kind = AccountKind::App;
        }
    }

    pub fn open_pulls(&self) -> Vec<Pull> {
        self.state.lock().expect("state").pulls.iter().filter(|p| p.open).cloned().collect()
    }

    /// Opens pull requests as if people had, straight in the fake's memory.
    pub fn seed(&self, pulls: impl IntoIterator<Item = (String, String)>) {
        let mut state = self.state.lock().expect("state");
        state.acting = Some(Account { token: String::new(), name: PERSON.to_owned(), kind: AccountKind::User });
        for (source, target) in pulls {
            let title = format!("{source} into {target}");
            state.open(title, String::new(), source, target, false).expect("a new pair");
        }
        state.acting = None;
    }

    /// Closes a pull request as a person would, without merging.
    pub fn close_by_hand(&self, number: u64) {
        let mut state = self.state.lock().expect("state");
        state.pulls.iter_mut().find(|p| p.number == number).expect("a pull request").open = false;
    }

    /// Marks a pull request merged (the test pushes the merge itself).
    pub fn merged(&self, number: u64) {
        let mut state = self.state.lock().expect("state");
        let pull = state.pulls.iter_mut().find(|p| p.number == number).expect("a pull request");
        pull.open = false;
        pull.merged = true;
    }

    /// Merges pull request `number` as a person does on the forge's page (`method`: `merge`,
    /// `squash` or `fast-forward`), into the repository behind the fake.
    pub fn merge_by_hand(&self, number: u64, method: &str) {
        let message = format!("Merge pull request #{number}");
        self.state.lock().expect("state").merge(&number.to_string(), None, method, &message).expect("merges");
    }

    /// Backs the fake with a bare repository: pull requests have the heads of its branches, and
    /// merges land in it.
    pub fn back_with(&self, repo: &std::path::Path) {
        self.state.lock().expect("state").repo = Some(repo.to_owned());
    }

    /// Makes a status context required: a pull request merges once it passed on its head.
    pub fn require_check(&self, context: &str) {
        self.state.lock().expect("state").required.push(context.to_owned());
    }

    /// A status on `commit`, as a CI posts it, in this forge's word for `passed` or failed.
    pub fn check(&self, commit: &str, context: &str, passed: bool) {
        let word = match (self.dialect, passed) {
            (Dialect::BitbucketServer | Dialect::BitbucketCloud, true) => "SUCCESSFUL",
            (Dialect::BitbucketServer | Dialect::BitbucketCloud, false) => "FAILED",
            (Dialect::Azure, true) => "succeeded",
            (Dialect::Azure, false) => "failed",
            (_, true) => "success",
            (_, false) => "failure",
        };
        let mut state = self.state.lock().expect("state");
        record(&mut state, commit, Some(word.into()), Some(context.into()), Some("a check".into()));
    }

    /// Runs `push` once, just before the forge takes a merge (`at_read`: when a client next
    /// reads one pull request, as one that checks the head itself does before merging).
    pub fn race(&self, at_read: bool, push: impl FnOnce() + Send + 'static) {
        let mut state = self.state.lock().expect("state");
        state.race = Some(Box::new(push));
        state.race_at_read = at_read;
    }

    /// Answers mergeability as not worked out yet for the next `times` reads.
    pub fn unknown_for(&self, times: u32) {
        self.state.lock().expect("state").unknown_for = times;
    }

    pub fn pulls(&self) -> Vec<Pull> {
        self.state.lock().expect("state").pulls.clone()
    }

    pub fn comments(&self) -> Vec<(u64, String)> {
        self.state.lock().expect("state").comments.clone()
    }

    pub fn set_latency(&self, latency: Duration) {
        self.state.lock().expect("state").latency = latency;
    }

    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        self.state.lock().expect("state").chaos = chaos;
    }

    pub fn statuses(&self) -> Vec<Status> {
        self.state.lock().expect("state").statuses.clone()
    }

    pub fn deployments(&self) -> Vec<Deployment> {
        self.state.lock().expect("state").deployments.clone()
    }

    pub fn fault(&self, fault: Fault) {
        self.state.lock().expect("state").faults.push_back(fault);
    }

    /// Drops the faults no request has met yet, and says how many there were.
    pub fn clear_faults(&self) -> usize {
        let mut state = self.state.lock().expect("state");
        let left = state.faults.len();
        state.faults.clear();
        left
    }

    pub fn requests(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.state.lock().expect("state").requests.clone()
    }
}

fn serve(dialect: Dialect, stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let Some((request, line)) = read_request(&mut reader) else { return };
    let (fault, latency, mishap) = {
        let mut state = state.lock().expect("state");
        state.requests.push((line, request.headers.clone()));
        let mishap = state.chaos.as_mut().and_then(Chaos::roll);
        (state.faults.pop_front(), state.latency, mishap)
    };
    std::thread::sleep(latency);
    let lost = mishap == Some(Mishap::Lost) || fault == Some(Fault::Lost);
    let fault = fault.filter(|f| !matches!(f, Fault::Pass | Fault::Lost)).or(match mishap {
        Some(Mishap::Before(0)) => Some(Fault::Status { status: 500, retry_after: None }),
        Some(Mishap::Before(1)) => Some(Fault::Status { status: 429, retry_after: Some(0) }),
        Some(Mishap::Before(2)) => Some(Fault::Hang),
        Some(Mishap::Before(_)) => Some(Fault::Drop),
        _ => None,
    });
    let reply = match fault {
        Some(Fault::Drop) => return,
        Some(Fault::Hang) => {
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        Some(Fault::Status { status, retry_after }) => {
            let mut reply = answer(status, &json!({"message": "injected fault"}));
            if let Some(seconds) = retry_after {
                reply.headers.push(("Retry-After".into(), seconds.to_string()));
            }
            reply
        }
        Some(Fault::Said { status, message, retry_after }) => {
            let mut reply =
                answer(status, &json!({"message": message, "documentation_url": "https://docs.github.com/rest"}));
            reply.headers.push(("x-ratelimit-remaining".into(), "4999".into()));
            if let Some(seconds) = retry_after {
                reply.headers.push(("Retry-After".into(), seconds.to_string()));
            }
            reply
        }
        Some(Fault::SignInPage) => sign_in_page(200),
        Some(Fault::Redirect { port }) => {
            let path: Vec<String> = request.segments.iter().map(|s| encode(s)).collect();
            let location = format!("http://localhost:{port}/{}", path.join("/"));
            Answer { status: 307, headers: vec![("Location".into(), location)], body: String::new() }
        }
        Some(Fault::Malformed) => Answer { status: 200, headers: Vec::new(), body: "{\"number\": 1,".into() },
        Some(Fault::Pass | Fault::Lost) | None => {
            let mut state = state.lock().expect("state");
            served(dialect, &request, &mut state)
        }
    };
    if lost {
        return;
    }
    write_answer(stream, &conditional(&request, reply));
}

/// The answer to a request that met no fault: a refusal of its token, the account it acts as,
/// or what the forge's dialect says to it as that account.
fn served(dialect: Dialect, request: &Request, state: &mut State) -> Answer {
    let acting = match signed_in(dialect, request, &state.accounts) {
        Err(refusal) => return refusal,
        Ok(acting) => acting.cloned(),
    };
    if let Some(answer) = whoami(dialect, request, acting.as_ref()) {
        return answer;
    }
    state.acting = acting;
    let last = request.segments.last().map(String::as_str);
    let reads_one = request.method == "GET" && last.is_some_and(|s| s.parse::<u64>().is_ok() || s == "merge");
    let merges =
        request.method != "GET" && (last == Some("merge") || request.text("/status").as_deref() == Some("completed"));
    if (state.race_at_read && reads_one) || (!state.race_at_read && merges) {
        if let Some(race) = state.race.take() {
            race();
        }
    }
    state.refresh();
    let reply = match dialect {
        Dialect::Github => github(request, state),
        Dialect::Gitlab => gitlab(request, state),
        Dialect::BitbucketServer => bitbucket_server(request, state),
        Dialect::BitbucketCloud => bitbucket_cloud(request, state),
        Dialect::Azure => azure(request, state),
        Dialect::Gitea => gitea(request, state),
    };
    state.acting = None;
    reply
}

/// A GET's answer with an `ETag`; `304 Not Modified` when the client already has it.
fn conditional(request: &Request, mut reply: Answer) -> Answer {
    use std::hash::{Hash, Hasher};
    if request.method != "GET" || reply.status != 200 {
        return reply;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    reply.body.hash(&mut hasher);
    for (name, value) in &reply.headers {
        (name, value).hash(&mut hasher);
    }
    let etag = format!("\"{:016x}\"", hasher.finish());
    if request.header("if-none-match") == Some(etag.as_str()) {
        return Answer { status: 304, headers: vec![("ETag".into(), etag)], body: String::new() };
    }
    reply.headers.push(("ETag".into(), etag));
    reply
}

fn sign_in_page(status: u16) -> Answer {
    Answer {
        status,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: "<!DOCTYPE html><html><body>Sign in</body></html>".into(),
    }
}

/// The account a request's token acts as (`None` when the fake takes anything), or each
/// forge's answer to a missing or wrong token.
fn signed_in<'a>(dialect: Dialect, request: &Request, accounts: &'a [Account]) -> Result<Option<&'a Account>, Answer> {
    if accounts.is_empty() {
        return Ok(None);
    }
    let presented = |token: &str| {
        let (header, expected) = match dialect {
            Dialect::Github | Dialect::BitbucketServer | Dialect::BitbucketCloud => {
                ("authorization", format!("Bearer {token}"))
            }
            Dialect::Gitlab => ("private-token", token.to_owned()),
            Dialect::Azure => ("authorization", format!("Basic {}", base64(&format!(":{token}")))),
            Dialect::Gitea => ("authorization", format!("token {token}")),
        };
        request.header(header) == Some(expected.as_str())
    };
    if let Some(account) = accounts.iter().find(|a| presented(&a.token)) {
        return Ok(Some(account));
    }
    Err(match dialect {
        Dialect::Github => {
            answer(401, &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}))
        }
        Dialect::Gitlab => answer(401, &json!({"message": "401 Unauthorized"})),
        Dialect::BitbucketServer => answer(
            401,
            &json!({"errors": [{"context": null, "message": "Authentication failed. Please check your credentials and try again.",
                     "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}),
        ),
        Dialect::BitbucketCloud => answer(401, &json!({"type": "error", "error": {"message": "Unauthorized"}})),
        // Azure DevOps answers a bad token with its sign-in page, 203 and HTML.
        Dialect::Azure => sign_in_page(203),
        Dialect::Gitea => {
            answer(401, &json!({"message": "token is required", "url": "https://gitea.example/api/swagger"}))
        }
    })
}

/// Each forge's answer to "whose token is this?", in its own call and words; `None` for any
/// other request.
fn whoami(dialect: Dialect, request: &Request, acting: Option<&Account>) -> Option<Answer> {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let asks = match dialect {
        Dialect::Github => {
            matches!((request.method.as_str(), segments.as_slice()), ("GET", ["user"]) | ("POST", ["graphql"]))
        }
        Dialect::Gitlab | Dialect::BitbucketCloud | Dialect::Gitea => request.method == "GET" && segments == ["user"],
        Dialect::BitbucketServer => request.method == "GET" && segments == ["application-properties"],
        Dialect::Azure => request.method == "GET" && segments == ["_apis", "connectionData"],
    };
    if !asks {
        return None;
    }
    let name = acting.map(|a| a.name.as_str());
    let app = acting.is_some_and(|a| a.kind == AccountKind::App);
    Some(match (dialect, name) {
        // GraphQL answers an app's installation token as well as a person's.
        (Dialect::Github, Some(name)) if request.method == "POST" => {
            if request.text("/query").is_some_and(|q| q.contains("viewer")) {
                answer(200, &json!({"data": {"viewer": {"login": name}}}))
            } else {
                answer(200, &json!({"errors": [{"message": "this fake knows only viewer"}]}))
            }
        }
        (Dialect::Github, Some(_)) if app => answer(
            403,
            &json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user", "status": "403"}),
        ),
        (Dialect::Github, Some(name)) => answer(200, &json!({"login": name, "id": 1, "type": "User"})),
        (Dialect::Gitlab, Some(name)) if !app => answer(200, &json!({"id": 5, "username": name, "state": "active"})),
        (Dialect::Gitlab, _) => answer(403, &json!({"message": "403 Forbidden"})),
        // Data Center names a signed-in user in a header of every answer.
        (Dialect::BitbucketServer, name) => {
            let mut reply =
                answer(200, &json!({"version": "8.19.1", "buildNumber": "8019001", "displayName": "Bitbucket"}));
            if let (Some(name), false) = (name, app) {
                reply.headers.push(("X-AUSERNAME".into(), name.to_owned()));
            }
            reply
        }
        (Dialect::BitbucketCloud, Some(name)) if !app => {
            answer(200, &json!({"type": "user", "uuid": name, "display_name": "Release bot"}))
        }
        (Dialect::BitbucketCloud, _) => answer(403, &json!({"type": "error", "error": {"message": "Forbidden"}})),
        (Dialect::Azure, Some(name)) if !app => answer(
            200,
            &json!({"authenticatedUser": {"id": name, "providerDisplayName": "Release bot"}, "instanceId": "5a1c"}),
        ),
        (Dialect::Azure, _) => {
            answer(403, &json!({"$id": "1", "message": "Access denied.", "typeKey": "UnauthorizedRequestException"}))
        }
        (Dialect::Gitea, Some(name)) if !app => answer(200, &json!({"id": 3, "login": name})),
        (Dialect::Gitea, _) => {
            answer(403, &json!({"message": "token does not have at least one of required scope(s): [read:user]"}))
        }
        (_, None) => answer(401, &json!({"message": "401 Unauthorized"})),
    })
}

pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(Request, String)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect();
    let segments = path.trim_matches('/').split('/').map(decode).collect();
    let body = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    let shown: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let line = if shown.is_empty() {
        format!("{method} {}", decode(path))
    } else {
        format!("{method} {}?{}", decode(path), shown.join("&"))
    };
    Some((Request { method, segments, query, headers, body }, line))
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(byte) = u8::from_str_radix(hex, 16) {
                    out.push(byte);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bits = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn write_answer(mut stream: TcpStream, reply: &Answer) {
    let mut head =
        format!("HTTP/1.1 {} Fake\r\nContent-Length: {}\r\nConnection: close\r\n", reply.status, reply.body.len());
    if !reply.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
        head.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
}

/// One page of `items`: the page's items, and whether more follow. `first` counts from 0.
fn page<T: Clone>(items: &[T], first: usize, size: usize) -> (Vec<T>, bool) {
    let end = (first + size).min(items.len());
    (items.get(first..end).map(<[T]>::to_vec).unwrap_or_default(), end < items.len())
}

/// A page of a `page`/`per_page` list with a `Link` header to the next.
fn linked(request: &Request, items: &[Value], size_key: &str, cap: usize) -> Answer {
    let size = request.number(size_key, 30).clamp(1, cap);
    let number = request.number("page", 1).max(1);
    let (shown, more) = page(items, (number - 1) * size, size);
    let mut reply = answer(200, &Value::Array(shown));
    reply.headers.push(("X-Total-Count".into(), items.len().to_string()));
    if more {
        reply.headers.push(("Link".into(), format!("<{}>; rel=\"next\"", request.with("page", number + 1))));
        reply.headers.push(("X-Next-Page".into(), (number + 1).to_string()));
    }
    reply
}

fn not_found() -> Answer {
    answer(404, &json!({"message": "Not Found"}))
}

/// GitHub's REST dialect.
fn github(request: &Request, state: &mut State) -> Answer {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let owner = segments.get(1).copied().unwrap_or_default().to_owned();
    // One read of one pull request answers "not worked out yet" while the test says so.
    let unknown = request.method == "GET" && segments.len() == 5 && state.unknown_for > 0;
    if unknown {
        state.unknown_for -= 1;
    }
    let pull_json = |pull: &Pull| {
        json!({
            "number": pull.number,
            "html_url": format!("https://github.example/{owner}/release/pull/{}", pull.number),
            "state": if pull.open { "open" } else { "closed" },
            "title": pull.title,
            "body": pull.body,
            "draft": pull.draft,
            "head": {
                "ref": pull.source,
                "sha": pull.head_sha.clone().unwrap_or_else(|| "0".repeat(40)),
                "label": format!("{}:{}", if pull.head == Head::Fork { "outsider" } else { owner.as_str() }, pull.source),
                "repo": {"full_name": if pull.head == Head::Fork { "outsider/release" } else { "shop/release" }},
            },
            "base": {"ref": pull.target, "repo": {"full_name": "shop/release"}},
            "mergeable": if unknown { Value::Null } else { json!(!pull.conflicts) },
            "mergeable_state": if unknown { "unknown" } else if pull.conflicts { "dirty" } else if pull.blocked.is_some() { "blocked" } else { "clean" },
            "merged_at": if pull.merged { json!("2026-11-21T10:00:00Z") } else { Value::Null },
            "user": {"login": pull.author, "type": "User"},
        })
    };
    if segments.get(..3) != Some(&["repos", "shop", "release"][..]) {
        return not_found();
    }
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["repos", _, _]) => {
            answer(200, &json!({"default_branch": "main", "permissions": {"push": !state.read_only, "pull": true}}))
        }
        ("GET", ["repos", _, _, "branches", .., "protection", "required_status_checks"]) => {
            if state.protection_hidden {
                answer(403, &json!({"message": "Resource not accessible by integration"}))
            } else if state.required.is_empty() {
                answer(404, &json!({"message": "Branch not protected"}))
            } else {
                answer(200, &json!({"strict": false, "contexts": state.required, "checks": []}))
            }
        }
        ("GET", ["repos", _, _, "pulls"]) => {
            let (head, base) = (request.query("head"), request.query("base"));
            let items = state
                .pulls
                .iter()
                .filter(|p| Wanted::from(request.query("state"), Wanted::Open).takes(p))
                .filter(|p| {
                    head.is_none_or(|h| {
                        h == format!("{}:{}", if p.head == Head::Fork { "outsider" } else { &owner }, p.source)
                    })
                })
                .filter(|p| base.is_none_or(|b| b == p.target))
                .map(&pull_json)
                .collect::<Vec<_>>();
            linked(request, &items, "per_page", Dialect::Github.page_cap())
        }
        ("POST", ["repos", _, _, "pulls"]) => {
            let (Some(title), Some(source), Some(target)) =
                (request.text("/title"), request.text("/head"), request.text("/base"))
            else {
                return answer(422, &json!({"message": "Validation Failed", "errors": [{"code": "missing_field"}]}));
            };
            let draft = request.body.get("draft").and_then(Value::as_bool).unwrap_or(false);
            match state.open(title, request.text("/body").unwrap_or_default(), source.clone(), target, draft) {
                Ok(pull) => answer(201, &pull_json(&pull)),
                Err(_) => answer(
                    422,
                    &json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom",
                            "message": format!("A pull request already exists for {owner}:{source}.")}]}),
                ),
            }
        }
        ("GET" | "PATCH", ["repos", _, _, "pulls", number]) => {
            let Some(pull) = state.find(number) else { return not_found() };
            if request.method == "PATCH" {
                edit(pull, request.text("/title"), request.text("/body"));
                if request.text("/state").as_deref() == Some("closed") {
                    pull.open = false;
                }
            }
            answer(200, &pull_json(pull))
        }
        ("PUT", ["repos", _, _, "pulls", number, "merge"]) => github_merge(request, state, number),
        ("POST", ["repos", _, _, "issues", number, "comments"]) => {
            state.comments.push((number.parse().unwrap_or_default(), request.text("/body").unwrap_or_default()));
            answer(201, &json!({"id": state.comments.len()}))
        }
        ("POST", ["repos", _, _, "statuses", sha]) => {
            record(state, sha, request.text("/state"), request.text("/context"), request.text("/description"));
            answer(201, &json!({"state": request.text("/state")}))
        }
        ("GET" | "POST", ["repos", _, _, "deployments", ..]) => github_deployments(request, state, &segments[3..]),
        _ => not_found(),
    }
}

/// Whether `sha` is a commit of the repository behind the fake (any commit, with none behind it).
fn known_commit(state: &State, sha: &str) -> bool {
    state.repo.as_ref().is_none_or(|repo| git_in(repo, &["cat-file", "-e", &format!("{sha}^{{commit}}")]).is_some())
}

/// GitHub's deployments and their statuses: a deployment of a ref the repository lacks is
/// refused as GitHub refuses it, a success turns the environment's earlier successes inactive
/// (`auto_inactive`, true unless said otherwise), and both lists are newest first.
fn github_deployments(request: &Request, state: &mut State, rest: &[&str]) -> Answer {
    let deployment_json = |d: &Deployment| {
        json!({"id": d.id, "sha": d.sha, "ref": d.reference, "environment": d.environment, "payload": d.payload,
               "task": "deploy", "url": format!("https://api.github.example/deployments/{}", d.id)})
    };
    match (request.method.as_str(), rest) {
        ("GET", ["deployments"]) => {
            let items: Vec<Value> = state
                .deployments
                .iter()
                .rev()
                .filter(|d| request.query("sha").is_none_or(|sha| sha == d.sha))
                .filter(|d| request.query("environment").is_none_or(|env| env == d.environment))
                .map(deployment_json)
                .collect();
            linked(request, &items, "per_page", Dialect::Github.page_cap())
        }
        ("POST", ["deployments"]) => {
            let (Some(reference), Some(environment)) = (request.text("/ref"), request.text("/environment")) else {
                return answer(422, &json!({"message": "Invalid request.", "errors": ["ref wasn't supplied."]}));
            };
            if !known_commit(state, &reference) {
                return answer(422, &json!({"message": format!("No ref found for: {reference}")}));
            }
            let id = 100 + state.deployments.len() as u64;
            let made = Deployment {
                id,
                environment,
                sha: reference.clone(),
                reference,
                payload: request.body.get("payload").cloned().unwrap_or(Value::Null),
                statuses: Vec::new(),
            };
            let reply = deployment_json(&made);
            state.deployments.push(made);
            answer(201, &reply)
        }
        ("GET", ["deployments", id, "statuses"]) => {
            let Some(made) = state.deployments.iter().find(|d| d.id.to_string() == *id) else { return not_found() };
            let items: Vec<Value> = made.statuses.iter().rev().map(|s| json!({"state": s.state})).collect();
            linked(request, &items, "per_page", Dialect::Github.page_cap())
        }
        ("POST", ["deployments", id, "statuses"]) => {
            let Some(index) = state.deployments.iter().position(|d| d.id.to_string() == *id) else {
                return not_found();
            };
            let Some(wanted) = request.text("/state") else {
                return answer(422, &json!({"message": "Invalid request.", "errors": ["state wasn't supplied."]}));
            };
            let environment = state.deployments[index].environment.clone();
            if wanted == "success" && request.body.get("auto_inactive") != Some(&json!(false)) {
                for (at, other) in state.deployments.iter_mut().enumerate() {
                    let succeeded = other.statuses.last().is_some_and(|s| s.state == "success");
                    if at != index && other.environment == environment && succeeded {
                        other.statuses.push(DeploymentStatus {
                            state: "inactive".into(),
                            log_url: None,
                            environment_url: None,
                        });
                    }
                }
            }
            state.deployments[index].statuses.push(DeploymentStatus {
                state: wanted.clone(),
                log_url: request.text("/log_url"),
                environment_url: request.text("/environment_url"),
            });
            answer(201, &json!({"id": state.deployments[index].statuses.len(), "state": wanted}))
        }
        _ => not_found(),
    }
}

/// GitLab's deployments of an environment, newest first by id; the environment is made by the
/// first deployment to it, and a sha the project lacks is refused.
fn gitlab_deployments(request: &Request, state: &mut State) -> Answer {
    let deployment_json = |d: &Deployment| {
        json!({"id": d.id, "iid": d.id, "sha": d.sha, "ref": d.reference,
               "status": d.statuses.last().map_or("created", |s| s.state.as_str()),
               "environment": {"name": d.environment}})
    };
    if request.method == "GET" {
        let mut items: Vec<&Deployment> = state
            .deployments
            .iter()
            .filter(|d| request.query("environment").is_none_or(|env| env == d.environment))
            .collect();
        if request.query("sort") == Some("desc") {
            items.reverse();
        }
        let items: Vec<Value> = items.into_iter().map(deployment_json).collect();
        return linked(request, &items, "per_page", Dialect::Gitlab.page_cap());
    }
    let (Some(environment), Some(sha), Some(reference), Some(status)) =
        (request.text("/environment"), request.text("/sha"), request.text("/ref"), request.text("/status"))
    else {
        return answer(400, &json!({"error": "environment, sha, ref, tag are missing"}));
    };
    if !known_commit(state, &sha) {
        return answer(400, &json!({"message": {"sha": ["is not a commit of this project"]}}));
    }
    let made = Deployment {
        id: 1 + state.deployments.len() as u64,
        environment,
        sha,
        reference,
        payload: Value::Null,
        statuses: vec![DeploymentStatus { state: status, log_url: None, environment_url: None }],
    };
    let reply = deployment_json(&made);
    state.deployments.push(made);
    answer(201, &reply)
}

/// Bitbucket Data Center's deployments of a commit: one per key, environment and sequence
/// number, which a second post of the same three updates.
fn bitbucket_server_deployments(request: &Request, state: &mut State, sha: &str) -> Answer {
    let deployment_json = |d: &Deployment| {
        json!({"key": d.reference.split_once('#').map_or("", |(key, _)| key),
               "deploymentSequenceNumber": d.reference.split_once('#').map_or("", |(_, n)| n).parse::<i64>().unwrap_or(0),
               "state": d.statuses.last().map_or("UNKNOWN", |s| s.state.as_str()),
               "environment": {"key": d.environment}, "fromCommit": {"id": d.sha}})
    };
    let absent = || {
        answer(
            404,
            &json!({"errors": [{"message": "No deployment matches.", "exceptionName": "com.atlassian.bitbucket.dmz.deployments.NoSuchDeploymentException"}]}),
        )
    };
    if request.method == "GET" {
        let wanted = format!(
            "{}#{}",
            request.query("key").unwrap_or_default(),
            request.query("deploymentSequenceNumber").unwrap_or_default()
        );
        let environment = request.query("environmentKey").unwrap_or_default();
        return match state
            .deployments
            .iter()
            .find(|d| d.sha == sha && d.reference == wanted && d.environment == environment)
        {
            Some(found) => answer(200, &deployment_json(found)),
            None => absent(),
        };
    }
    let (Some(key), Some(sequence), Some(environment), Some(status)) = (
        request.text("/key"),
        request.body.get("deploymentSequenceNumber").and_then(Value::as_i64),
        request.text("/environment/key"),
        request.text("/state"),
    ) else {
        return answer(
            400,
            &json!({"errors": [{"message": "key, deploymentSequenceNumber, environment and state are required"}]}),
        );
    };
    if request.text("/url").is_none_or(|url| url.is_empty()) {
        return answer(400, &json!({"errors": [{"message": "url is required"}]}));
    }
    if !known_commit(state, sha) {
        return answer(
            404,
            &json!({"errors": [{"message": format!("Commit '{sha}' does not exist in repository 'release'.")}]}),
        );
    }
    let reference = format!("{key}#{sequence}");
    let status = DeploymentStatus {
        state: status,
        log_url: request.text("/url"),
        environment_url: request.text("/environment/url"),
    };
    if let Some(found) =
        state.deployments.iter_mut().find(|d| d.sha == sha && d.reference == reference && d.environment == environment)
    {
        found.statuses.push(status);
        return answer(200, &deployment_json(found));
    }
    let made = Deployment {
        id: 1 + state.deployments.len() as u64,
        environment,
        sha: sha.to_owned(),
        reference,
        payload: json!({"displayName": request.text("/displayName"), "description": request.text("/description")}),
        statuses: vec![status],
    };
    let reply = deployment_json(&made);
    state.deployments.push(made);
    answer(200, &reply)
}

fn edit(pull: &mut Pull, title: Option<String>, body: Option<String>) {
    if let Some(title) = title {
        pull.title = title;
    }
    if let Some(body) = body {
        pull.body = body;
    }
    pull.version += 1;
}

fn record(
    state: &mut State,
    commit: &str,
    status: Option<String>,
    context: Option<String>,
    description: Option<String>,
) {
    state.statuses.push(Status {
        commit: commit.to_owned(),
        state: status.unwrap_or_default(),
        context: context.unwrap_or_default(),
        description: description.unwrap_or_default(),
    });
}

/// GitLab's v4 dialect: merge requests by `iid`, the project as one encoded segment.
fn gitlab(request: &Request, state: &mut State) -> Answer {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let mr_json = |pull: &Pull| {
        json!({
            "id": 1000 + pull.number,
            "iid": pull.number,
            "web_url": format!("https://gitlab.example/shop/release/-/merge_requests/{}", pull.number),
            "state": if pull.open { "opened" } else if pull.merged { "merged" } else { "closed" },
            "title": pull.title,
            "description": pull.body,
            "draft": pull.draft,
            "source_branch": pull.source,
            "target_branch": pull.target,
            "source_project_id": if pull.head == Head::Fork { 99 } else { 7 },
            "target_project_id": 7,
            "detailed_merge_status": if pull.conflicts { "conflict" } else if pull.blocked.is_some() { "ci_must_pass" } else { "mergeable" },
            "has_conflicts": pull.conflicts,
            "sha": pull.head_sha,
            "author": {"id": 5, "username": pull.author},
        })
    };
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["projects", "shop/release"]) => answer(200, &json!({"id": 7, "default_branch": "main"})),
        ("GET" | "POST", ["projects", "shop/release", "deployments"]) => gitlab_deployments(request, state),
        ("GET", ["projects", "shop/release", "merge_requests"]) => {
            let (source, target) = (request.query("source_branch"), request.query("target_branch"));
            let items = state
                .pulls
                .iter()
                .filter(|p| {
                    let wanted = Wanted::from(request.query("state"), Wanted::All);
                    if wanted == Wanted::Closed { Wanted::Declined.takes(p) } else { wanted.takes(p) }
                })
                .filter(|p| source.is_none_or(|s| s == p.source) && target.is_none_or(|t| t == p.target))
                .map(&mr_json)
                .collect::<Vec<_>>();
            linked(request, &items, "per_page", Dialect::Gitlab.page_cap())
        }
        ("POST", ["projects", "shop/release", "merge_requests"]) => {
            let (Some(title), Some(source), Some(target)) =
                (request.text("/title"), request.text("/source_branch"), request.text("/target_branch"))
            else {
                return answer(400, &json!({"error": "title is missing"}));
            };
            let draft = title.starts_with("Draft:");
            match state.open(title, request.text("/description").unwrap_or_default(), source, target, draft) {
                Ok(pull) => answer(201, &mr_json(&pull)),
                Err(number) => answer(
                    409,
                    &json!({"message": [format!("Another open merge request already exists for this source branch: !{number}")]}),
                ),
            }
        }
        ("GET" | "PUT", ["projects", "shop/release", "merge_requests", iid]) => {
            let Some(pull) = state.find(iid) else { return answer(404, &json!({"message": "404 Not found"})) };
            if request.method == "PUT" {
                edit(pull, request.text("/title"), request.text("/description"));
                if request.text("/state_event").as_deref() == Some("close") {
                    pull.open = false;
                }
            }
            answer(200, &mr_json(pull))
        }
        ("PUT", ["projects", "shop/release", "merge_requests", iid, "merge"]) => {
            let squash = request.body.get("squash").and_then(Value::as_bool).unwrap_or(false);
            let message = request
                .text(if squash { "/squash_commit_message" } else { "/merge_commit_message" })
                .unwrap_or_else(|| "Merge".into());
            match state.merge(iid, request.text("/sha").as_deref(), if squash { "squash" } else { "merge" }, &message) {
                Ok(_) => {
                    let pull = state.find(iid).expect("merged").clone();
                    answer(200, &mr_json(&pull))
                }
                Err(Unmerged::Gone) => answer(404, &json!({"message": "404 Not found"})),
                Err(Unmerged::HeadMoved(head)) => {
                    answer(409, &json!({"message": format!("SHA does not match HEAD of source branch: {head}")}))
                }
                Err(Unmerged::Closed | Unmerged::Blocked(_)) => {
                    answer(405, &json!({"message": "405 Method Not Allowed"}))
                }
            }
        }
        ("POST", ["projects", "shop/release", "merge_requests", iid, "notes"]) => {
            state.comments.push((iid.parse().unwrap_or_default(), request.text("/body").unwrap_or_default()));
            answer(201, &json!({"id": state.comments.len()}))
        }
        ("POST", ["projects", "shop/release", "statuses", sha]) => {
            record(state, sha, request.text("/state"), request.text("/name"), request.text("/description"));
            answer(201, &json!({"status": request.text("/state")}))
        }
        _ => answer(404, &json!({"message": "404 Project Not Found"})),
    }
}

fn bitbucket_server_ref(branch: &str, project: &str, commit: Option<&str>) -> Value {
    json!({"id": format!("refs/heads/{branch}"), "displayId": branch, "latestCommit": commit,
           "repository": {"slug": "release", "project": {"key": project}}})
}

fn bitbucket_server_pull(pull: &Pull) -> Value {
    json!({
        "id": pull.number,
        "version": pull.version,
        "title": pull.title,
        "description": pull.body,
        "state": if pull.open { "OPEN" } else if pull.merged { "MERGED" } else { "DECLINED" },
        "open": pull.open,
        "closed": !pull.open,
        "draft": pull.draft,
        "fromRef": bitbucket_server_ref(&pull.source, if pull.head == Head::Fork { "~OUTSIDER" } else { "shop" }, pull.head_sha.as_deref()),
        "toRef": bitbucket_server_ref(&pull.target, "shop", None),
        "author": {"user": {"name": pull.author, "slug": pull.author}, "role": "AUTHOR", "approved": false},
        "links": {"self": [{"href": format!("https://bitbucket.example/projects/SHOP/repos/release/pull-requests/{}", pull.number)}]},
    })
}

/// Bitbucket Data Center's REST 1.0: paged lists, `refs/heads/` refs, and the `version` lock.
fn bitbucket_server(request: &Request, state: &mut State) -> Answer {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let error = |status: u16, message: &str, exception: &str| {
        answer(status, &json!({"errors": [{"context": null, "message": message, "exceptionName": exception}]}))
    };
    let Some(["projects", "shop", "repos", "release", rest @ ..]) = segments.get(..) else {
        return error(404, "Project shop does not exist.", "com.atlassian.bitbucket.project.NoSuchProjectException");
    };
    match (request.method.as_str(), rest) {
        ("GET", ["default-branch"]) => answer(200, &json!({"id": "refs/heads/main", "displayId": "main"})),
        ("GET" | "POST", ["commits", sha, "deployments"]) => bitbucket_server_deployments(request, state, sha),
        ("GET", ["pull-requests"]) => {
            let at = request.query("at").map(str::to_owned);
            let outgoing = request.query("direction") == Some("OUTGOING");
            let items: Vec<Value> = state
                .pulls
                .iter()
                .filter(|p| Wanted::from(request.query("state"), Wanted::Open).takes(p))
                .filter(|p| {
                    let branch = if outgoing { &p.source } else { &p.target };
                    at.as_deref().is_none_or(|at| at == format!("refs/heads/{branch}"))
                })
                .map(bitbucket_server_pull)
                .collect();
            let (start, limit) = (request.number("start", 0), request.number("limit", 25).clamp(1, 100));
            let (values, more) = page(&items, start, limit);
            let mut list =
                json!({"size": values.len(), "limit": limit, "start": start, "isLastPage": !more, "values": values});
            if more {
                list["nextPageStart"] = json!(start + limit);
            }
            answer(200, &list)
        }
        ("POST", ["pull-requests"]) => {
            let source = request.text("/fromRef/id").and_then(|r| r.strip_prefix("refs/heads/").map(str::to_owned));
            let target = request.text("/toRef/id").and_then(|r| r.strip_prefix("refs/heads/").map(str::to_owned));
            let (Some(title), Some(source), Some(target)) = (request.text("/title"), source, target) else {
                return error(
                    400,
                    "fromRef, toRef and title are required",
                    "com.atlassian.bitbucket.validation.ArgumentValidationException",
                );
            };
            let draft = request.body.get("draft").and_then(Value::as_bool).unwrap_or(false);
            match state.open(title, request.text("/description").unwrap_or_default(), source, target, draft) {
                Ok(pull) => answer(201, &bitbucket_server_pull(&pull)),
                Err(_) => error(
                    409,
                    "Only one pull request may be open for a given source and target branch",
                    "com.atlassian.bitbucket.pull.DuplicatePullRequestException",
                ),
            }
        }
        ("GET", ["pull-requests", number, "merge"]) => bitbucket_server_mergeability(state, number),
        ("POST", ["pull-requests", number, "merge"]) => bitbucket_server_merge(request, state, number),
        ("GET" | "PUT", ["pull-requests", number]) => {
            let Some(pull) = state.find(number) else {
                return error(
                    404,
                    "Pull request does not exist.",
                    "com.atlassian.bitbucket.pull.NoSuchPullRequestException",
                );
            };
            if request.method == "PUT" {
                if request.body.get("version").and_then(Value::as_u64) != Some(pull.version) {
                    return error(
                        409,
                        "You are attempting to modify a pull request based on out-of-date information.",
                        "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
                    );
                }
                edit(pull, request.text("/title"), request.text("/description"));
            }
            answer(200, &bitbucket_server_pull(pull))
        }
        ("POST", ["pull-requests", number, "comments"]) => {
            state.comments.push((number.parse().unwrap_or_default(), request.text("/text").unwrap_or_default()));
            answer(201, &json!({"id": state.comments.len(), "version": 0}))
        }
        ("POST", ["pull-requests", number, "decline"]) => {
            let Some(pull) = state.find(number) else { return not_found() };
            if request.query("version").and_then(|v| v.parse().ok()) != Some(pull.version) {
                return error(409, "out-of-date version", "com.atlassian.bitbucket.pull.PullRequestOutOfDateException");
            }
            pull.open = false;
            pull.version += 1;
            answer(200, &bitbucket_server_pull(pull))
        }
        ("POST", ["commits", sha, "builds"]) => {
            record(state, sha, request.text("/state"), request.text("/key"), request.text("/description"));
            Answer { status: 204, headers: Vec::new(), body: String::new() }
        }
        _ => error(404, "Not found", "com.atlassian.bitbucket.NoSuchEntityException"),
    }
}

fn bitbucket_cloud_pull(pull: &Pull) -> Value {
    json!({
        "type": "pullrequest",
        "id": pull.number,
        "title": pull.title,
        "description": pull.body,
        "state": if pull.open { "OPEN" } else if pull.merged { "MERGED" } else { "DECLINED" },
        "draft": pull.draft,
        "source": {"branch": {"name": pull.source},
                   "commit": pull.head_sha.as_ref().map(|sha| json!({"type": "commit", "hash": sha[..12].to_owned()})),
                   "repository": {"type": "repository", "full_name": if pull.head == Head::Fork { "outsider/release" } else { "shop/release" }}},
        "destination": {"branch": {"name": pull.target},
                        "repository": {"type": "repository", "full_name": "shop/release"}},
        "links": {"html": {"href": format!("https://bitbucket.example/shop/release/pull-requests/{}", pull.number)}},
        "author": {"type": "user", "uuid": pull.author},
    })
}

/// Bitbucket Cloud's 2.0: `type` on every object, BBQL in `q`, and `next` to follow.
fn bitbucket_cloud(request: &Request, state: &mut State) -> Answer {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let pull_json = bitbucket_cloud_pull;
    let error = |status: u16, message: &str| answer(status, &json!({"type": "error", "error": {"message": message}}));
    let Some(["repositories", "shop", "release", rest @ ..]) = segments.get(..) else {
        return error(404, "Repository not found");
    };
    let typed = |kind: &str| request.body.get("type").and_then(Value::as_str) == Some(kind);
    match (request.method.as_str(), rest) {
        ("GET", []) => answer(200, &json!({"type": "repository", "mainbranch": {"type": "branch", "name": "main"}})),
        ("GET", ["pullrequests"]) => {
            let query = request.query("q").unwrap_or_default();
            let (source, target) = (bbql(query, "source.branch.name"), bbql(query, "destination.branch.name"));
            let items: Vec<Value> = state
                .pulls
                .iter()
                .filter(|p| Wanted::from(request.query("state"), Wanted::Open).takes(p))
                .filter(|p| source.as_deref().is_none_or(|s| s == p.source))
                .filter(|p| target.as_deref().is_none_or(|t| t == p.target))
                .map(&pull_json)
                .collect();
            let size = request.number("pagelen", 10).clamp(1, Dialect::BitbucketCloud.page_cap());
            let number = request.number("page", 1).max(1);
            let (values, more) = page(&items, (number - 1) * size, size);
            let mut list = json!({"size": items.len(), "page": number, "pagelen": size, "values": values});
            if more {
                list["next"] = json!(request.with("page", number + 1));
            }
            answer(200, &list)
        }
        ("POST", ["pullrequests"]) => {
            let (Some(title), Some(source), Some(target)) =
                (request.text("/title"), request.text("/source/branch/name"), request.text("/destination/branch/name"))
            else {
                return error(400, "title and source are required");
            };
            if !typed("pullrequest") {
                return error(400, "type is required");
            }
            let draft = request.body.get("draft").and_then(Value::as_bool).unwrap_or(false);
            match state.open(title, request.text("/description").unwrap_or_default(), source, target, draft) {
                Ok(pull) => answer(201, &pull_json(&pull)),
                // This fake's wording; git-release reads only the status and looks again.
                Err(number) => {
                    error(400, &format!("There is already an open pull request for these branches: #{number}"))
                }
            }
        }
        ("GET" | "PUT", ["pullrequests", number]) => {
            let Some(pull) = state.find(number) else { return error(404, "Pull request not found") };
            if request.method == "PUT" {
                if !pull.open {
                    return error(400, "Only open pull requests can be updated");
                }
                edit(pull, request.text("/title"), request.text("/description"));
            }
            answer(200, &pull_json(pull))
        }
        ("POST", ["pullrequests", number, "comments"]) => {
            state.comments.push((number.parse().unwrap_or_default(), request.text("/content/raw").unwrap_or_default()));
            answer(201, &json!({"type": "pullrequest_comment", "id": state.comments.len()}))
        }
        ("POST", ["pullrequests", number, "decline"]) => {
            let Some(pull) = state.find(number) else { return error(404, "Pull request not found") };
            pull.open = false;
            answer(200, &pull_json(pull))
        }
        ("GET", ["pullrequests", number, "statuses"]) => {
            let Some(head) = state.find(number).map(|pull| pull.head_sha.clone()) else {
                return error(404, "Pull request not found");
            };
            let values: Vec<Value> = state
                .statuses
                .iter()
                .filter(|s| head.as_deref() == Some(s.commit.as_str()))
                .map(|s| json!({"type": "commitstatus", "key": s.context, "state": s.state}))
                .collect();
            answer(200, &json!({"size": values.len(), "page": 1, "pagelen": 50, "values": values}))
        }
        ("POST", ["pullrequests", number, "merge"]) => bitbucket_cloud_merge(request, state, number),
        ("POST", ["commit", sha, "statuses", "build"]) => {
            if !typed("commitstatus") {
                return error(400, "type is required");
            }
            record(state, sha, request.text("/state"), request.text("/key"), request.text("/description"));
            answer(201, &json!({"type": "commitstatus", "state": request.text("/state")}))
        }
        _ => error(404, "Not found"),
    }
}

/// The value a BBQL query compares `field` with: `field = "value"`.
fn bbql(query: &str, field: &str) -> Option<String> {
    let rest = query.split(field).nth(1)?.trim_start().strip_prefix('=')?.trim_start().strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?),
            '"' => return Some(value),
            c => value.push(c),
        }
    }
    None
}

fn azure_pull(pull: &Pull) -> Value {
    json!({
        "pullRequestId": pull.number,
        "title": pull.title,
        "description": pull.body,
        "status": if pull.open { "active" } else if pull.merged { "completed" } else { "abandoned" },
        "isDraft": pull.draft,
        "sourceRefName": format!("refs/heads/{}", pull.source),
        "targetRefName": format!("refs/heads/{}", pull.target),
        "mergeStatus": if pull.conflicts { "conflicts" } else if pull.blocked.is_some() { "rejectedByPolicy" } else { "succeeded" },
        "lastMergeSourceCommit": pull.head_sha.as_ref().map(|sha| json!({"commitId": sha})),
        "createdBy": {"id": pull.author, "displayName": pull.author},
        "forkSource": if pull.head == Head::Fork { json!({"name": format!("refs/heads/{}", pull.source), "repository": {"name": "release-fork"}}) } else { Value::Null },
    })
}

fn azure_error(status: u16, message: &str, type_key: &str) -> Answer {
    let type_name = format!("Microsoft.TeamFoundation.Git.Server.{type_key}, Microsoft.TeamFoundation.Git.Server");
    answer(
        status,
        &json!({"$id": "1", "innerException": null, "message": message, "typeName": type_name,
                "typeKey": type_key, "errorCode": 0, "eventId": 3000}),
    )
}

/// Azure DevOps' Git REST 7.1: `api-version` on every call, `refs/heads/` names, `$top`/`$skip`.
fn azure(request: &Request, state: &mut State) -> Answer {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    if request.query("api-version").is_none() {
        return azure_error(
            400,
            "No api-version was supplied for the \"GET\" request.",
            "VssInvalidApiVersionException",
        );
    }
    let Some(["shop", "_apis", "git", "repositories", "release", rest @ ..]) = segments.get(..) else {
        return azure_error(
            404,
            "TF401019: The Git repository with name or identifier release does not exist.",
            "GitRepositoryNotFoundException",
        );
    };
    let heads = |pointer: &str| request.text(pointer).and_then(|r| r.strip_prefix("refs/heads/").map(str::to_owned));
    match (request.method.as_str(), rest) {
        ("GET", []) => answer(200, &json!({"id": "5a1c", "name": "release", "defaultBranch": "refs/heads/main"})),
        ("GET", ["pullrequests"]) => {
            let (source, target) =
                (request.query("searchCriteria.sourceRefName"), request.query("searchCriteria.targetRefName"));
            let wanted = Wanted::from(request.query("searchCriteria.status"), Wanted::Open);
            let items: Vec<Value> = state
                .pulls
                .iter()
                .filter(|p| wanted.takes(p))
                .filter(|p| source.is_none_or(|s| s == format!("refs/heads/{}", p.source)))
                .filter(|p| target.is_none_or(|t| t == format!("refs/heads/{}", p.target)))
                .map(azure_pull)
                .collect();
            let (values, _) = page(&items, request.number("$skip", 0), request.number("$top", 101).min(1000));
            answer(200, &json!({"count": values.len(), "value": values}))
        }
        ("POST", ["pullrequests"]) => {
            let (Some(title), Some(source), Some(target)) =
                (request.text("/title"), heads("/sourceRefName"), heads("/targetRefName"))
            else {
                return azure_error(
                    400,
                    "The source or target ref is not a full branch name.",
                    "InvalidArgumentValueException",
                );
            };
            let draft = request.body.get("isDraft").and_then(Value::as_bool).unwrap_or(false);
            let description = request.text("/description").unwrap_or_default();
            if description.chars().count() > 4000 {
                return azure_error(
                    400,
                    "The description is longer than 4000 characters.",
                    "InvalidArgumentValueException",
                );
            }
            match state.open(title, description, source, target, draft) {
                Ok(pull) => answer(201, &azure_pull(&pull)),
                Err(_) => azure_error(
                    409,
                    "TF401179: An active pull request for the source and target branch already exists.",
                    "GitPullRequestExistsException",
                ),
            }
        }
        ("GET" | "PATCH", ["pullrequests", number]) => {
            let Some(pull) = state.find(number) else {
                return azure_error(
                    404,
                    "TF401180: The requested pull request was not found.",
                    "GitPullRequestNotFoundException",
                );
            };
            if request.method == "PATCH" && request.text("/status").as_deref() == Some("completed") {
                return azure_complete(request, state, number);
            }
            if request.method == "PATCH" {
                edit(pull, request.text("/title"), request.text("/description"));
                if request.text("/status").as_deref() == Some("abandoned") {
                    pull.open = false;
                }
            }
            answer(200, &azure_pull(pull))
        }
        ("POST", ["pullRequests", number, "threads"]) => {
            let text = request.text("/comments/0/content").unwrap_or_default();
            state.comments.push((number.parse().unwrap_or_default(), text));
            answer(200, &json!({"id": state.comments.len()}))
        }
        ("POST", ["commits", sha, "statuses"]) => {
            let context = match (request.text("/context/genre"), request.text("/context/name")) {
                (Some(genre), Some(name)) if !genre.is_empty() => Some(format!("{genre}/{name}")),
                (_, name) => name,
            };
            record(state, sha, request.text("/state"), context, request.text("/description"));
            answer(201, &json!({"id": state.statuses.len(), "state": request.text("/state")}))
        }
        _ => azure_error(404, "The resource cannot be found.", "NotFoundException"),
    }
}

/// Gitea's v1: no branch filter on the list, 201 on an edit, 409 on a second pull request.
fn gitea(request: &Request, state: &mut State) -> Answer {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let pull_json = |pull: &Pull| {
        json!({
            "number": pull.number,
            "html_url": format!("https://gitea.example/shop/release/pulls/{}", pull.number),
            "state": if pull.open { "open" } else { "closed" },
            "title": pull.title,
            "body": pull.body,
            "head": {"ref": pull.source, "label": pull.source, "sha": pull.head_sha, "repo_id": if pull.head == Head::Fork { 99 } else { 1 }},
            "base": {"ref": pull.target, "label": pull.target, "repo_id": 1},
            "mergeable": !pull.conflicts,
            "merged": pull.merged,
            "user": {"login": pull.author},
        })
    };
    let error = |status: u16, message: &str| {
        answer(status, &json!({"message": message, "url": "https://gitea.example/api/swagger"}))
    };
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["repos", "shop", "release"]) => answer(200, &json!({"default_branch": "main"})),
        ("GET", ["repos", "shop", "release", "pulls"]) => {
            let items = state
                .pulls
                .iter()
                .filter(|p| Wanted::from(request.query("state"), Wanted::Open).takes(p))
                .map(&pull_json)
                .collect::<Vec<_>>();
            linked(request, &items, "limit", Dialect::Gitea.page_cap())
        }
        ("POST", ["repos", "shop", "release", "pulls"]) => {
            let (Some(title), Some(source), Some(target)) =
                (request.text("/title"), request.text("/head"), request.text("/base"))
            else {
                return error(422, "head, base and title are required");
            };
            let draft = title.starts_with("WIP:");
            match state.open(title, request.text("/body").unwrap_or_default(), source.clone(), target.clone(), draft) {
                Ok(pull) => answer(201, &pull_json(&pull)),
                Err(number) => error(
                    409,
                    &format!(
                        "pull request already exists for these targets [id: {number}, issue_id: {number}, head_repo_id: 1, base_repo_id: 1, head_branch: {source}, base_branch: {target}]"
                    ),
                ),
            }
        }
        ("GET" | "PATCH", ["repos", "shop", "release", "pulls", number]) => {
            let Some(pull) = state.find(number) else { return error(404, "pull request does not exist") };
            if request.method == "PATCH" {
                edit(pull, request.text("/title"), request.text("/body"));
                if request.text("/state").as_deref() == Some("closed") {
                    pull.open = false;
                }
                return answer(201, &pull_json(pull));
            }
            answer(200, &pull_json(pull))
        }
        ("POST", ["repos", "shop", "release", "pulls", number, "merge"]) => {
            let method = match request.text("/Do").as_deref() {
                Some("squash") => "squash",
                Some("fast-forward-only") => "fast-forward",
                _ => "merge",
            };
            let message = request.text("/MergeTitleField").unwrap_or_else(|| "Merge".into());
            match state.merge(number, request.text("/head_commit_id").as_deref(), method, &message) {
                Ok(_) => Answer { status: 200, headers: Vec::new(), body: String::new() },
                Err(Unmerged::Gone) => error(404, "pull request does not exist"),
                Err(Unmerged::HeadMoved(_)) => error(409, "head out of date"),
                Err(Unmerged::Closed | Unmerged::Blocked(_)) => error(405, "Please try again later"),
            }
        }
        ("POST", ["repos", "shop", "release", "issues", number, "comments"]) => {
            state.comments.push((number.parse().unwrap_or_default(), request.text("/body").unwrap_or_default()));
            answer(201, &json!({"id": state.comments.len()}))
        }
        ("POST", ["repos", "shop", "release", "statuses", sha]) => {
            record(state, sha, request.text("/state"), request.text("/context"), request.text("/description"));
            answer(201, &json!({"status": request.text("/state")}))
        }
        _ => error(404, "The target couldn't be found."),
    }
}

/// GitHub's merge: held to `sha`; 409 when the head moved, 405 when it cannot merge.
fn github_merge(request: &Request, state: &mut State, number: &str) -> Answer {
    let method = match request.text("/merge_method").as_deref() {
        Some("squash") => "squash",
        _ => "merge",
    };
    let message = request.text("/commit_title").unwrap_or_else(|| "Merge".into());
    match state.merge(number, request.text("/sha").as_deref(), method, &message) {
        Ok(sha) => answer(200, &json!({"sha": sha, "merged": true, "message": "Pull Request successfully merged"})),
        Err(Unmerged::Gone) => not_found(),
        Err(Unmerged::HeadMoved(_)) => {
            answer(409, &json!({"message": "Head branch was modified. Review and try the merge again."}))
        }
        Err(Unmerged::Closed | Unmerged::Blocked(_)) => {
            answer(405, &json!({"message": "Pull Request is not mergeable"}))
        }
    }
}

/// Bitbucket Data Center's merge: held to the version the client read.
fn bitbucket_server_merge(request: &Request, state: &mut State, number: &str) -> Answer {
    let error = |status: u16, message: &str, exception: &str| {
        answer(status, &json!({"errors": [{"context": null, "message": message, "exceptionName": exception}]}))
    };
    let Some(pull) = state.find(number) else { return not_found() };
    if request.query("version").and_then(|v| v.parse().ok()) != Some(pull.version) {
        return error(
            409,
            "You are attempting to modify a pull request based on out-of-date information.",
            "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
        );
    }
    let method = match request.text("/strategyId").as_deref() {
        Some("squash") => "squash",
        Some("ff-only") => "fast-forward",
        _ => "merge",
    };
    let message = request.text("/message").unwrap_or_else(|| "Merge".into());
    match state.merge(number, None, method, &message) {
        Ok(_) => {
            let pull = state.find(number).expect("merged").clone();
            answer(200, &bitbucket_server_pull(&pull))
        }
        Err(Unmerged::Gone) => not_found(),
        Err(Unmerged::HeadMoved(_)) => error(
            409,
            "The pull request has been updated since it was read.",
            "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
        ),
        Err(Unmerged::Closed | Unmerged::Blocked(_)) => error(
            409,
            "Merging the pull request has been vetoed.",
            "com.atlassian.bitbucket.pull.PullRequestMergeVetoedException",
        ),
    }
}

/// Bitbucket Cloud's merge: no head to hold it to.
fn bitbucket_cloud_merge(request: &Request, state: &mut State, number: &str) -> Answer {
    let error = |status: u16, message: &str| answer(status, &json!({"type": "error", "error": {"message": message}}));
    let typed = |kind: &str| request.body.get("type").and_then(Value::as_str) == Some(kind);
    if !typed("pullrequest_merge_parameters") {
        return error(400, "type is required");
    }
    let method = match request.text("/merge_strategy").as_deref() {
        Some("squash") => "squash",
        Some("fast_forward") => "fast-forward",
        _ => "merge",
    };
    let message = request.text("/message").unwrap_or_else(|| "Merge".into());
    match state.merge(number, None, method, &message) {
        Ok(_) => {
            let pull = state.find(number).expect("merged").clone();
            answer(200, &bitbucket_cloud_pull(&pull))
        }
        Err(Unmerged::Gone) => error(404, "Pull request not found"),
        Err(Unmerged::Closed) => error(400, "Only open pull requests can be merged"),
        Err(Unmerged::HeadMoved(_) | Unmerged::Blocked(_)) => error(400, "The merge checks did not pass"),
    }
}

/// Bitbucket Data Center's merge check: a veto for each required build that has not passed.
fn bitbucket_server_mergeability(state: &mut State, number: &str) -> Answer {
    let Some(pull) = state.find(number) else { return not_found() };
    let vetoes: Vec<Value> =
        pull.blocked.iter().map(|why| json!({"summaryMessage": "Required builds", "detailedMessage": why})).collect();
    answer(
        200,
        &json!({"canMerge": vetoes.is_empty() && !pull.conflicts, "conflicted": pull.conflicts,
                        "outcome": if pull.conflicts { "CONFLICTED" } else { "CLEAN" }, "vetoes": vetoes}),
    )
}

/// Azure DevOps' completion: held to `lastMergeSourceCommit`.
fn azure_complete(request: &Request, state: &mut State, number: &str) -> Answer {
    let squash = request.text("/completionOptions/mergeStrategy").as_deref() == Some("squash");
    let message = request.text("/completionOptions/mergeCommitMessage").unwrap_or_else(|| "Merge".into());
    let expected = request.text("/lastMergeSourceCommit/commitId");
    match state.merge(number, expected.as_deref(), if squash { "squash" } else { "merge" }, &message) {
        Ok(_) => answer(200, &azure_pull(&state.find(number).expect("merged").clone())),
        Err(Unmerged::Gone) => {
            azure_error(404, "TF401180: The requested pull request was not found.", "GitPullRequestNotFoundException")
        }
        Err(Unmerged::HeadMoved(_)) => azure_error(
            409,
            "TF401192: The source branch has changed since the pull request was last read.",
            "GitPullRequestStaleException",
        ),
        Err(Unmerged::Closed | Unmerged::Blocked(_)) => azure_error(
            400,
            "TF401181: The pull request cannot be completed: its policies are not met.",
            "GitPullRequestCannotBeCompletedException",
        ),
    }
}
