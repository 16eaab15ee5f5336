//! Jira: the issue keys a deployment or a promotion carries, and the comments and transitions
//! that tell each issue where its change runs. Jira is told after the fact: a failure here is
//! the caller's to report, never a reason to undo a deployment.

mod asked;
mod client;
pub mod note;

use serde::Serialize;

pub use asked::{Asked, JiraReport, Refusal, failed, tell_all};
pub use client::{Client, Transition};
pub use note::{Note, Piece};

pub use crate::config::Keys;
use crate::error::Error;
use crate::forge::ServiceError;

/// What to tell each issue.
#[derive(Debug, Clone)]
pub struct Update {
    pub note: Note,
    /// Text only this note holds (a record's tag, a pull request's address): an issue with a
    /// comment that holds it was told before, and is not told again.
    pub marker: String,
    /// The transition to take, by its name or the name of the status it leads to.
    pub transition: Option<String>,
}

/// What became of one issue.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub key: String,
    /// `added`, `present` (an earlier run told it: nothing more is done), `would add` (a dry
    /// run), `unknown` (a key found in text that Jira does not know), or `failed`.
    pub comment: &'static str,
    /// `moved`, `already` (it is where the transition leads), `would move`, `unavailable` or
    /// `failed`; absent when no transition is set for the environment, or it was told before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition: Option<&'static str>,
    /// Its status, when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Error>,
}

impl Outcome {
    /// `commented, moved to In QA`, for people.
    #[must_use]
    pub fn summary(&self) -> String {
        let comment = match self.comment {
            "present" => "told before",
            "unknown" => "not an issue in Jira",
            "would add" => "would comment",
            "failed" => "comment failed",
            _ => "commented",
        };
        let status = self.status.as_deref().unwrap_or("its status");
        let transition = match self.transition {
            Some("moved") => format!(", moved to {status}"),
            Some("already") => format!(", already in {status}"),
            Some("would move") => format!(", would move to {status}"),
            Some("unavailable") => format!(", cannot move from {status}"),
            Some(_) => ", move failed".to_owned(),
            None => String::new(),
        };
        format!("{comment}{transition}")
    }
}

/// Tells every issue, each in parallel with the others; a failure stays with its issue. On a
/// dry run only reads are made.
///
/// The comment is the last step and says the deployment was told: an issue whose comments
/// already name it is left alone, so a rerun never moves an issue back that has moved on. Before
/// it, the issue takes the transition, unless it is where the transition leads; when that fails
/// for a reason a retry may mend, no comment is made, and a rerun tries both again.
///
/// A key found in text (`UTF-8` looks like one) that Jira does not know is `unknown`, not a
/// failure; a key in `given` that Jira does not know is a failure.
#[must_use]
pub fn tell(client: &Client, keys: &[String], given: &[String], update: &Update, dry_run: bool) -> Vec<Outcome> {
    crate::parallel::map(keys, |key| {
        let mut outcome = tell_one(client, key, update, dry_run);
        if outcome.comment == "unknown" && given.contains(key) {
            outcome.comment = "failed";
        } else if outcome.comment == "unknown" {
            outcome.problem = None;
        }
        outcome
    })
}

fn tell_one(client: &Client, key: &str, update: &Update, dry_run: bool) -> Outcome {
    let mut outcome = Outcome { key: key.to_owned(), comment: "failed", transition: None, status: None, problem: None };
    match client.comments(key) {
        Ok(comments) if comments.iter().any(|text| mentions(text, &update.marker)) => {
            outcome.comment = "present";
            return outcome;
        }
        Ok(_) => {}
        Err(error) => {
            if matches!(error, ServiceError::NotFound { .. }) {
                outcome.comment = "unknown";
            }
            outcome.problem = Some(problem(key, "read the comments of", error));
            return outcome;
        }
    }
    if let Some(wanted) = &update.transition {
        let (transition, problem) = move_issue(client, key, wanted, dry_run, &mut outcome.status);
        outcome.transition = Some(transition);
        let retry_may_mend = problem.as_ref().is_some_and(|p| p.kind == crate::error::Kind::Network);
        outcome.problem = problem;
        if retry_may_mend {
            return outcome;
        }
    }
    if dry_run {
        outcome.comment = "would add";
    } else if let Err(error) = client.comment(key, &update.note, &update.marker) {
        outcome.problem.get_or_insert(problem(key, "comment on", error));
    } else {
        outcome.comment = "added";
    }
    outcome
}

/// Takes the transition `wanted`: `moved`, `already`, `would move`, `unavailable` or `failed`,
/// and what went wrong. `status` is set to where the issue is, or would be.
fn move_issue(
    client: &Client,
    key: &str,
    wanted: &str,
    dry_run: bool,
    status: &mut Option<String>,
) -> (&'static str, Option<Error>) {
    let read = client.status(key).and_then(|status| Ok((status, client.transitions(key)?)));
    let (now, available) = match read {
        Ok(read) => read,
        Err(error) => return ("failed", Some(problem(key, "read the transitions of", error))),
    };
    status.clone_from(&now);
    let now = now.unwrap_or_default();
    match choose(wanted, &now, &available) {
        Choice::Already => ("already", None),
        Choice::Take(transition) => {
            *status = Some(transition.to.clone());
            if dry_run {
                return ("would move", None);
            }
            match client.transition(key, transition) {
                Ok(()) => ("moved", None),
                Err(error) => {
                    status.clone_from(&Some(now));
                    ("failed", Some(problem(key, &format!("move ({wanted})"), error)))
                }
            }
        }
        Choice::Unavailable => {
            let names: Vec<String> = available.iter().map(|t| format!("{} (to {})", t.name, t.to)).collect();
            let offered = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            let from = if now.is_empty() { "where it is".to_owned() } else { now };
            let problem = Error::new(
                crate::error::Kind::Forge,
                format!("Jira: {key} cannot take the transition `{wanted}` from {from}"),
            )
            .cause(format!("the transitions it offers now: {offered}"))
            .hint("set [jira.transitions] in release.toml to a transition's name, or the status it leads to");
            ("unavailable", Some(problem))
        }
    }
}

/// Whether a comment's text names `marker` as a whole: not `…/pull/1` inside `…/pull/12`, nor a
/// record inside its `+2` sibling. A name ends at the text's end, at white space, or at a
/// sentence's `.`, `,` or `)` that ends there.
#[must_use]
pub fn mentions(text: &str, marker: &str) -> bool {
    if marker.is_empty() {
        return false;
    }
    text.match_indices(marker).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let rest = &text[at + marker.len()..];
        let mut after = rest.chars();
        let starts = before.is_none_or(|c| c.is_whitespace() || "(\"'`{".contains(c));
        let ends = match after.next() {
            None => true,
            Some(c) if c.is_whitespace() || "\"'`}".contains(c) => true,
            Some('.' | ',' | ')' | ':' | ';') => after.next().is_none_or(|c| c.is_whitespace() || c == '}'),
            Some(_) => false,
        };
        starts && ends
    })
}

/// Which transition a deployment takes.
#[derive(Debug, PartialEq, Eq)]
enum Choice<'a> {
    /// The issue is where the transition leads.
    Already,
    Take(&'a Transition),
    Unavailable,
}

/// The transition named `wanted` (or leading to a status of that name), unless the issue is
/// there already; names compare without regard to case.
fn choose<'a>(wanted: &str, status: &str, available: &'a [Transition]) -> Choice<'a> {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let found =
        available.iter().find(|t| same(&t.name, wanted)).or_else(|| available.iter().find(|t| same(&t.to, wanted)));
    match found {
        Some(transition) if same(&transition.to, status) => Choice::Already,
        Some(transition) => Choice::Take(transition),
        None if same(status, wanted) => Choice::Already,
        None => Choice::Unavailable,
    }
}

/// A failed call about one issue, said as what could not be done.
fn problem(key: &str, doing: &str, error: ServiceError) -> Error {
    let not_found = matches!(error, ServiceError::NotFound { .. });
    let cause = Error::from(error);
    let mut problem = Error::new(cause.kind, format!("Jira: cannot {doing} {key}")).cause(cause.message);
    for line in cause.causes {
        problem = problem.cause(line);
    }
    if not_found {
        problem.hint(format!("check that {key} is an issue and that the token's account may browse it"))
    } else {
        cause.hints.into_iter().fold(problem, Error::hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        Keys::of(None).find(text)
    }

    #[test]
    fn finds_each_key_once_in_order() {
        let text = "SHOP-142: fix the cart (see SHOP-7, PAY2-19)\n\nRefs SHOP-142 and [OPS-3].";
        assert_eq!(keys(text), ["SHOP-142", "SHOP-7", "PAY2-19", "OPS-3"]);
        assert_eq!(keys("feature/SHOP-12-cart"), ["SHOP-12"], "a key in a branch name");
    }

    #[test]
    fn leaves_look_alikes_alone() {
        let text = "X-1, abc-12, SHOP-12a, v1.0.0-rc.1, MY-SHOP-1x, ÄSHOP-1, SHOP_-";
        assert!(keys(text).is_empty(), "{:?}", keys(text));
    }

    #[test]
    fn a_pattern_of_ones_own() {
        let keys = Keys::new(r"(?:OPS|SEC)-\d{3,}").expect("a pattern");
        assert_eq!(keys.find("OPS-12 OPS-123 SEC-9999 SHOP-1"), ["OPS-123", "SEC-9999"]);
        assert!(keys.is_key("OPS-123") && !keys.is_key("OPS-123x") && !keys.is_key(" OPS-123"));
        assert!(Keys::new("(").expect_err("refused").contains("not a regular expression"));
        assert!(Keys::new("A*").expect_err("refused").contains("matches an empty text"));
    }

    fn transition(id: &str, name: &str, to: &str) -> Transition {
        Transition { id: id.into(), name: name.into(), to: to.into() }
    }

    #[test]
    fn a_transition_is_found_by_its_name_or_where_it_leads() {
        let offered = [transition("21", "Deploy to QA", "In QA"), transition("31", "Release", "Done")];
        assert_eq!(choose("deploy to qa", "In Progress", &offered), Choice::Take(&offered[0]));
        assert_eq!(choose("Done", "In QA", &offered), Choice::Take(&offered[1]));
        assert_eq!(choose("Deploy to QA", "In QA", &offered), Choice::Already, "it is there");
        assert_eq!(choose("In QA", "In QA", &[]), Choice::Already, "named by its status, and there");
        assert_eq!(choose("Deploy to QA", "Done", &offered[1..]), Choice::Unavailable);
    }

    #[test]
    fn a_marker_counts_only_as_a_whole_name() {
        let pull = "https://github.example/shop/release/pull/1";
        assert!(mentions(&format!("Promote qa → prod: 1.4.0: {pull}"), pull));
        assert!(!mentions("Promote qa → prod: https://github.example/shop/release/pull/12", pull));
        assert!(!mentions("see https://github.example/shop/release/pull/1/files", pull));
        let record = "1.4.0.20261121T101500Z.qa";
        assert!(mentions(&format!("Recorded by git-release as {record}."), record));
        assert!(mentions(&format!("Recorded by git-release as {{{{{record}}}}}.\nmore"), record));
        assert!(!mentions(&format!("Recorded by git-release as {record}+2."), record));
        assert!(!mentions(&format!("x{record}"), record));
        assert!(!mentions("anything", ""));
    }
}
