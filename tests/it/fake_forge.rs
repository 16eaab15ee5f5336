//! A stateful fake forge on 127.0.0.1: it keeps pull requests, comments and statuses in memory,
//! answers in a forge's wire format, and injects faults on request.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// A pull request as the fake keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub source: String,
    pub target: String,
    pub open: bool,
    pub draft: bool,
}

/// A fault the fake answers the next request with.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status with a JSON error body; `retry_after` seconds when given.
    Status { status: u16, retry_after: Option<u64> },
    /// An HTML sign-in page with status 200.
    SignInPage,
    /// A body that is not valid JSON.
    Malformed,
    /// Close the connection without answering.
    Drop,
    /// Read the request and never answer.
    Hang,
}

#[derive(Debug, Default)]
pub struct State {
    pub pulls: Vec<Pull>,
    /// `(sha, state, context, description)`.
    pub statuses: Vec<(String, String, String, String)>,
    /// `(pull number, text)`.
    pub comments: Vec<(u64, String)>,
    pub faults: VecDeque<Fault>,
    /// Every request as `METHOD path?query`, and its headers, in order.
    pub requests: Vec<(String, Vec<(String, String)>)>,
    /// The token every request must bring; `None` lets anything in.
    pub token: Option<String>,
}

pub struct FakeForge {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
}

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Request {
    fn query(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn header(&self, key: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn answer(status: u16, body: &Value) -> Answer {
    Answer { status, headers: Vec::new(), body: body.to_string() }
}

impl FakeForge {
    /// A fake GitHub serving `owner/repo` at `http://127.0.0.1:<port>`.
    pub fn github(token: Option<&str>) -> FakeForge {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("an address").port();
        let state = Arc::new(Mutex::new(State { token: token.map(str::to_owned), ..State::default() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FakeForge { port, state }
    }

    pub fn api(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn open_pulls(&self) -> Vec<Pull> {
        self.state.lock().expect("state").pulls.iter().filter(|p| p.open).cloned().collect()
    }

    pub fn fault(&self, fault: Fault) {
        self.state.lock().expect("state").faults.push_back(fault);
    }

    pub fn requests(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.state.lock().expect("state").requests.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let Some(request) = read_request(&mut reader) else { return };
    let fault = {
        let mut state = state.lock().expect("state");
        let query: Vec<String> = request.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let line = if query.is_empty() {
            format!("{} {}", request.method, request.path)
        } else {
            format!("{} {}?{}", request.method, request.path, query.join("&"))
        };
        state.requests.push((line, request.headers.clone()));
        state.faults.pop_front()
    };
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
        Some(Fault::SignInPage) => Answer {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: "<!DOCTYPE html><html><body>Sign in</body></html>".into(),
        },
        Some(Fault::Malformed) => Answer { status: 200, headers: Vec::new(), body: "{\"number\": 1,".into() },
        None => github(&request, &mut state.lock().expect("state")),
    };
    write_answer(stream, &reply);
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
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
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect();
    let body = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    Some(Request { method, path: decode(path), query, headers, body })
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

fn write_answer(mut stream: TcpStream, reply: &Answer) {
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

/// GitHub's REST dialect for the calls git-release makes.
fn github(request: &Request, state: &mut State) -> Answer {
    if let Some(token) = &state.token {
        if request.header("authorization") != Some(&format!("Bearer {token}")) {
            return answer(
                401,
                &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
            );
        }
    }
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let pull_json = |pull: &Pull| {
        json!({
            "number": pull.number,
            "html_url": format!("https://github.example/{}/{}/pull/{}", segments[1], segments[2], pull.number),
            "state": if pull.open { "open" } else { "closed" },
            "title": pull.title,
            "body": pull.body,
            "draft": pull.draft,
            "head": {"ref": pull.source, "label": format!("{}:{}", segments[1], pull.source)},
            "base": {"ref": pull.target},
            "mergeable": true,
            "mergeable_state": "clean",
        })
    };
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["repos", _, _]) => answer(200, &json!({"default_branch": "main"})),
        ("GET", ["repos", owner, _, "pulls"]) => list(request, state, owner, &pull_json),
        ("POST", ["repos", owner, _, "pulls"]) => create(request, state, owner, &pull_json),
        ("GET" | "PATCH", ["repos", _, _, "pulls", number]) => {
            let Some(index) = number.parse::<u64>().ok().and_then(|n| state.pulls.iter().position(|p| p.number == n))
            else {
                return answer(404, &json!({"message": "Not Found"}));
            };
            if request.method == "PATCH" {
                let pull = &mut state.pulls[index];
                if let Some(title) = request.body.get("title").and_then(Value::as_str) {
                    title.clone_into(&mut pull.title);
                }
                if let Some(body) = request.body.get("body").and_then(Value::as_str) {
                    body.clone_into(&mut pull.body);
                }
                if request.body.get("state").and_then(Value::as_str) == Some("closed") {
                    pull.open = false;
                }
            }
            answer(200, &pull_json(&state.pulls[index]))
        }
        ("POST", ["repos", _, _, "issues", number, "comments"]) => {
            let text = request.body.get("body").and_then(Value::as_str).unwrap_or_default().to_owned();
            state.comments.push((number.parse().unwrap_or_default(), text));
            answer(201, &json!({"id": state.comments.len()}))
        }
        ("POST", ["repos", _, _, "statuses", sha]) => {
            let text = |key: &str| request.body.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            state.statuses.push(((*sha).to_owned(), text("state"), text("context"), text("description")));
            answer(201, &json!({"state": text("state")}))
        }
        _ => answer(404, &json!({"message": "Not Found"})),
    }
}

/// GitHub's list of pull requests, filtered by `head` and `base`, in pages with a `Link` header.
fn list(request: &Request, state: &State, owner: &str, pull_json: &dyn Fn(&Pull) -> Value) -> Answer {
    let head = request.query("head").map(str::to_owned);
    let base = request.query("base");
    let open: Vec<&Pull> = state
        .pulls
        .iter()
        .filter(|p| p.open || request.query("state") == Some("all"))
        .filter(|p| head.as_deref().is_none_or(|h| h == format!("{owner}:{}", p.source)))
        .filter(|p| base.is_none_or(|b| b == p.target))
        .collect();
    let per_page = request.query("per_page").and_then(|v| v.parse().ok()).unwrap_or(30).min(100);
    let page: usize = request.query("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let items: Vec<Value> = open.iter().skip((page - 1) * per_page).take(per_page).map(|p| pull_json(p)).collect();
    let mut reply = answer(200, &Value::Array(items));
    if page * per_page < open.len() {
        let mut query: Vec<String> =
            request.query.iter().filter(|(k, _)| k != "page").map(|(k, v)| format!("{k}={}", encode(v))).collect();
        query.push(format!("page={}", page + 1));
        let next = format!(
            "<http://{}{}?{}>; rel=\"next\"",
            request.header("host").unwrap_or_default(),
            request.path,
            query.join("&")
        );
        reply.headers.push(("Link".into(), next));
    }
    reply
}

/// GitHub's create, with its 422 for a pull request that exists.
fn create(request: &Request, state: &mut State, owner: &str, pull_json: &dyn Fn(&Pull) -> Value) -> Answer {
    let text = |key: &str| request.body.get(key).and_then(Value::as_str).map(str::to_owned);
    let (Some(title), Some(source), Some(target)) = (text("title"), text("head"), text("base")) else {
        return answer(422, &json!({"message": "Validation Failed", "errors": [{"code": "missing_field"}]}));
    };
    if state.pulls.iter().any(|p| p.open && p.source == source && p.target == target) {
        return answer(
            422,
            &json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom",
                        "message": format!("A pull request already exists for {}:{source}.", owner)}]}),
        );
    }
    let number = state.pulls.len() as u64 + 1;
    let pull = Pull {
        number,
        title,
        body: text("body").unwrap_or_default(),
        source,
        target,
        open: true,
        draft: request.body.get("draft").and_then(Value::as_bool).unwrap_or(false),
    };
    let json = pull_json(&pull);
    state.pulls.push(pull);
    answer(201, &json)
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
