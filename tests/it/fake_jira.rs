//! A stateful fake Jira on loopback, in Cloud's dialect (REST v3, comments in Atlassian
//! Document Format, Basic authentication with an e-mail address and API token) or Data
//! Center's (REST v2, plain-text comments, a personal access token as bearer). It keeps issues
//! with a small workflow, their comments and every request, and holds the client to its
//! dialect: a v2 call to Cloud, a string body to Cloud or an ADF body to Data Center is refused.

use std::collections::{BTreeMap, VecDeque};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_forge::{Answer, Request, answer, base64, read_request, write_answer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Cloud,
    DataCenter,
}

impl Flavour {
    /// The `[jira] kind` that names it.
    pub fn kind(self) -> &'static str {
        match self {
            Flavour::Cloud => "cloud",
            Flavour::DataCenter => "data-center",
        }
    }

    fn api(self) -> [&'static str; 3] {
        match self {
            Flavour::Cloud => ["rest", "api", "3"],
            Flavour::DataCenter => ["rest", "api", "2"],
        }
    }
}

/// The workflow: (id, name, to, from). An issue is offered the transitions from its status.
const WORKFLOW: [(&str, &str, &str, &[&str]); 4] = [
    ("11", "Start", "In Progress", &["To Do"]),
    ("21", "Deploy to QA", "In QA", &["To Do", "In Progress"]),
    ("31", "Release", "Done", &["In QA"]),
    ("41", "Reopen", "To Do", &["Done"]),
];

#[derive(Debug, Clone)]
pub struct Issue {
    pub status: String,
    /// Each comment's body as it was sent.
    pub comments: Vec<Value>,
}

/// What goes wrong next, once each, in order.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    Status(u16),
    Drop,
}

#[derive(Default)]
pub struct State {
    user: String,
    token: String,
    issues: BTreeMap<String, Issue>,
    requests: Vec<String>,
    faults: VecDeque<Fault>,
    /// The most comments a page holds, whatever `maxResults` asks (small, to exercise paging).
    page: usize,
    /// The next POST is carried out, and its answer never sent.
    lose_next_post: bool,
}

pub struct FakeJira {
    pub port: u16,
    pub flavour: Flavour,
    state: Arc<Mutex<State>>,
}

impl FakeJira {
    /// A site that takes `user` and `token` (Cloud) or the bearer `token` (Data Center).
    pub fn new(flavour: Flavour, user: &str, token: &str) -> FakeJira {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("an address").port();
        let state =
            Arc::new(Mutex::new(State { user: user.to_owned(), token: token.to_owned(), page: 2, ..State::default() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(flavour, stream, &state));
            }
        });
        FakeJira { port, flavour, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Issues in `To Do`, without comments.
    pub fn add_issues(&self, keys: &[&str]) {
        let mut state = self.state.lock().expect("state");
        for key in keys {
            state.issues.insert((*key).to_owned(), Issue { status: "To Do".into(), comments: Vec::new() });
        }
    }

    /// A comment someone else wrote.
    pub fn comment_by_hand(&self, key: &str, text: &str) {
        let body = match self.flavour {
            Flavour::Cloud => json!({"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": text}]}]}),
            Flavour::DataCenter => json!(text),
        };
        self.state.lock().expect("state").issues.get_mut(key).expect("an issue").comments.push(body);
    }

    /// Moves an issue as a person would.
    pub fn set_status(&self, key: &str, status: &str) {
        let mut state = self.state.lock().expect("state");
        status.clone_into(&mut state.issues.get_mut(key).expect("an issue").status);
    }

    pub fn issue(&self, key: &str) -> Issue {
        self.state.lock().expect("state").issues.get(key).cloned().expect("an issue")
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().expect("state").requests.clone()
    }

    pub fn fault(&self, fault: Fault) {
        self.state.lock().expect("state").faults.push_back(fault);
    }

    /// Carries out the next POST but drops the connection instead of answering.
    pub fn lose_answer_to_next_post(&self) {
        self.state.lock().expect("state").lose_next_post = true;
    }
}

fn serve(flavour: Flavour, stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = std::io::BufReader::new(stream.try_clone().expect("a second handle"));
    let Some((request, line)) = read_request(&mut reader) else { return };
    let mut state = state.lock().expect("state");
    state.requests.push(line);
    let reply = match state.faults.pop_front() {
        Some(Fault::Drop) => return,
        Some(Fault::Status(status)) => {
            let mut reply = errors(status, "injected fault");
            reply.headers.push(("Retry-After".into(), "0".into()));
            reply
        }
        None => match refused(flavour, &request, &state) {
            Some(refusal) => refusal,
            None => route(flavour, &request, &mut state),
        },
    };
    let lost = request.method == "POST" && std::mem::take(&mut state.lose_next_post);
    drop(state);
    if !lost {
        write_answer(stream, &reply);
    }
}

/// Jira's `ErrorCollection`.
fn errors(status: u16, message: &str) -> Answer {
    answer(status, &json!({"errorMessages": [message], "errors": {}}))
}

fn refused(flavour: Flavour, request: &Request, state: &State) -> Option<Answer> {
    let expected = match flavour {
        Flavour::Cloud => format!("Basic {}", base64(&format!("{}:{}", state.user, state.token))),
        Flavour::DataCenter => format!("Bearer {}", state.token),
    };
    if request.header("authorization") == Some(expected.as_str()) {
        return None;
    }
    Some(errors(401, "You are not authenticated. Authentication required to perform this operation."))
}

fn route(flavour: Flavour, request: &Request, state: &mut State) -> Answer {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    if segments.len() < 5 || segments[..3] != flavour.api() || segments[3] != "issue" {
        return errors(404, "No such resource on this site");
    }
    let key = segments[4].to_owned();
    let page = state.page;
    let Some(issue) = state.issues.get_mut(&key) else {
        return errors(404, "Issue does not exist or you do not have permission to see it.");
    };
    match (request.method.as_str(), &segments[5..]) {
        ("GET", []) => {
            if request.query("fields") != Some("status") {
                return errors(400, "the fake answers ?fields=status only");
            }
            answer(200, &json!({"id": "10001", "key": key, "fields": {"status": {"name": issue.status}}}))
        }
        ("GET", ["comment"]) => {
            let start = request.number("startAt", 0);
            let size = request.number("maxResults", 50).clamp(1, page);
            let shown: Vec<Value> = issue
                .comments
                .iter()
                .enumerate()
                .skip(start)
                .take(size)
                .map(|(index, body)| json!({"id": (10000 + index).to_string(), "body": body}))
                .collect();
            answer(
                200,
                &json!({"startAt": start, "maxResults": size, "total": issue.comments.len(), "comments": shown}),
            )
        }
        ("POST", ["comment"]) => {
            let body = request.body.get("body").cloned().unwrap_or(Value::Null);
            let fits = match flavour {
                Flavour::Cloud => adf_problem(&body).is_none(),
                Flavour::DataCenter => body.as_str().is_some_and(|text| !text.trim().is_empty()),
            };
            if !fits {
                let why = adf_problem(&body).unwrap_or_else(|| "Comment body can not be empty!".into());
                return answer(400, &json!({"errorMessages": [], "errors": {"comment": why}}));
            }
            issue.comments.push(body.clone());
            answer(201, &json!({"id": (9999 + issue.comments.len()).to_string(), "body": body}))
        }
        ("GET", ["transitions"]) => {
            let offered: Vec<Value> = WORKFLOW
                .iter()
                .filter(|(_, _, _, from)| from.contains(&issue.status.as_str()))
                .map(|(id, name, to, _)| json!({"id": id, "name": name, "hasScreen": false, "to": {"name": to, "id": id}}))
                .collect();
            answer(200, &json!({"expand": "transitions", "transitions": offered}))
        }
        ("POST", ["transitions"]) => {
            let id = request.body.pointer("/transition/id").and_then(Value::as_str).unwrap_or_default();
            let taken = WORKFLOW.iter().find(|(tid, _, _, from)| *tid == id && from.contains(&issue.status.as_str()));
            match taken {
                Some((_, _, to, _)) => {
                    issue.status = (*to).to_owned();
                    Answer { status: 204, headers: Vec::new(), body: String::new() }
                }
                None => errors(400, &format!("Transition id '{id}' is not valid for this issue.")),
            }
        }
        _ => errors(404, "No such resource on this site"),
    }
}

/// Why a comment body is not the ADF document Cloud takes, if it is not.
fn adf_problem(body: &Value) -> Option<String> {
    if body.get("type") != Some(&json!("doc")) || body.get("version") != Some(&json!(1)) {
        return Some("Comment body is not valid! It must be an ADF document (type doc, version 1).".into());
    }
    let Some(blocks) = body.get("content").and_then(Value::as_array) else {
        return Some("an ADF document holds its blocks in content".into());
    };
    for block in blocks {
        if block.get("type") != Some(&json!("paragraph")) {
            return Some(format!("unexpected block {block}"));
        }
        for node in block.get("content").and_then(Value::as_array).into_iter().flatten() {
            let text = node.get("text").and_then(Value::as_str).unwrap_or_default();
            if node.get("type") != Some(&json!("text")) || text.is_empty() {
                return Some(format!("a text node must have text: {node}"));
            }
            for mark in node.get("marks").and_then(Value::as_array).into_iter().flatten() {
                let fine = match mark.get("type").and_then(Value::as_str) {
                    Some("code") => true,
                    Some("link") => mark.pointer("/attrs/href").and_then(Value::as_str).is_some(),
                    _ => false,
                };
                if !fine {
                    return Some(format!("unknown mark {mark}"));
                }
            }
        }
    }
    None
}
