//! Jira: the issue keys a deployment or a promotion carries, and the comments and transitions
//! that tell each issue where its change runs. Jira is told after the fact: a failure here is
//! the caller's to report, never a reason to undo a deployment.

mod client;
pub mod note;

use serde::Serialize;

pub use client::{Client, Transition};
pub use note::{Note, Piece};

use crate::config::{self, DEFAULT_KEY_PATTERN};
use crate::error::Error;
use crate::forge::ForgeError;

/// The issue-key pattern, compiled: `[jira] key-pattern`, by default `[A-Z][A-Z0-9_]+-\d+`.
#[derive(Debug, Clone)]
pub struct Keys(regex_lite::Regex);

impl Keys {
    /// # Errors
    /// When the pattern is not a regular expression, or matches an empty text.
    pub fn new(pattern: &str) -> Result<Keys, String> {
        let regex = regex_lite::Regex::new(pattern).map_err(|e| {
            format!(
                "`{pattern}` is not a regular expression: {}",
                e.to_string().lines().last().unwrap_or_default().trim()
            )
        })?;
        if regex.is_match("") {
            return Err(format!("`{pattern}` matches an empty text; it must match keys such as SHOP-142"));
        }
        Ok(Keys(regex))
    }

    /// The pattern `[jira]` sets, else the default.
    #[must_use]
    pub fn of(jira: Option<&config::Jira>) -> Keys {
        let pattern = jira.map_or(DEFAULT_KEY_PATTERN, |j| j.key_pattern.as_str());
        // The release file's pattern was compiled when the file was read.
        Keys::new(pattern).unwrap_or_else(|_| Keys::new(DEFAULT_KEY_PATTERN).expect("the default compiles"))
    }

    /// The keys in `text`, each once, in the order they first appear. A match counts only as a
    /// word of its own: not inside `MY-SHOP-1` or `SHOP-12a`.
    #[must_use]
    pub fn find(&self, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        self.add(&mut found, text);
        found
    }

    /// Adds the keys in `text` that `found` lacks.
    pub fn add(&self, found: &mut Vec<String>, text: &str) {
        let joins = |c: char| c.is_alphanumeric() || c == '_';
        for candidate in self.0.find_iter(text) {
            let before = text[..candidate.start()].chars().next_back();
            let after = text[candidate.end()..].chars().next();
            if before.is_some_and(|c| joins(c) || c == '-') || after.is_some_and(joins) {
                continue;
            }
            let key = candidate.as_str();
            if !found.iter().any(|k| k == key) {
                found.push(key.to_owned());
            }
        }
    }

    /// Whether `text` is one key and nothing else.
    #[must_use]
    pub fn is_key(&self, text: &str) -> bool {
        self.0.find(text).is_some_and(|m| m.start() == 0 && m.end() == text.len())
    }
}

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
    /// `added`, `present` (an earlier run added it), `would add` (a dry run), or `failed`.
    pub comment: &'static str,
    /// `moved`, `already` (it is where the transition leads, or was moved before), `would move`,
    /// `unavailable` or `failed`; absent when no transition is set for the environment.
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
            "present" => "commented before",
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

/// Tells every issue: a comment unless one with the marker is there, then the transition,
/// unless the issue is where it leads. Issues are told in parallel; a failure stays with its
/// issue. On a dry run only reads are made.
#[must_use]
pub fn tell(client: &Client, keys: &[String], update: &Update, dry_run: bool) -> Vec<Outcome> {
    crate::parallel::map(keys, |key| tell_one(client, key, update, dry_run))
}

fn tell_one(client: &Client, key: &str, update: &Update, dry_run: bool) -> Outcome {
    let mut outcome = Outcome { key: key.to_owned(), comment: "failed", transition: None, status: None, problem: None };
    let told_before = match client.comments(key) {
        Ok(comments) => comments.iter().any(|text| text.contains(&update.marker)),
        Err(error) => {
            outcome.problem = Some(problem(key, "read the comments of", error));
            return outcome;
        }
    };
    outcome.comment = if told_before {
        "present"
    } else if dry_run {
        "would add"
    } else if let Err(error) = client.comment(key, &update.note, &update.marker) {
        outcome.problem = Some(problem(key, "comment on", error));
        return outcome;
    } else {
        "added"
    };
    let Some(wanted) = &update.transition else { return outcome };
    outcome.transition = Some("failed");
    let read = client.status(key).and_then(|status| Ok((status, client.transitions(key)?)));
    let (status, available) = match read {
        Ok(read) => read,
        Err(error) => {
            outcome.problem = Some(problem(key, "read the transitions of", error));
            return outcome;
        }
    };
    outcome.status.clone_from(&status);
    let status = status.unwrap_or_default();
    match choose(wanted, &status, &available, told_before) {
        Choice::Already => outcome.transition = Some("already"),
        Choice::Take(transition) if dry_run => {
            outcome.transition = Some("would move");
            outcome.status = Some(transition.to.clone());
        }
        Choice::Take(transition) => match client.transition(key, transition) {
            Ok(()) => {
                outcome.transition = Some("moved");
                outcome.status = Some(transition.to.clone());
            }
            Err(error) => outcome.problem = Some(problem(key, &format!("move ({wanted})"), error)),
        },
        Choice::Unavailable => {
            outcome.transition = Some("unavailable");
            let names: Vec<String> = available.iter().map(|t| format!("{} (to {})", t.name, t.to)).collect();
            let offered = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            outcome.problem = Some(
                Error::new(
                    crate::error::Kind::Forge,
                    format!("Jira: {key} cannot take the transition `{wanted}` from {status}"),
                )
                .cause(format!("the transitions it offers now: {offered}"))
                .hint("set [jira.transitions] in release.toml to a transition's name, or the status it leads to"),
            );
        }
    }
    outcome
}

/// Which transition a deployment takes.
#[derive(Debug, PartialEq, Eq)]
enum Choice<'a> {
    /// The issue is where the transition leads, or was moved before and has moved on since.
    Already,
    Take(&'a Transition),
    Unavailable,
}

/// The transition named `wanted` (or leading to a status of that name), unless the issue is
/// there already; names compare without regard to case.
fn choose<'a>(wanted: &str, status: &str, available: &'a [Transition], told_before: bool) -> Choice<'a> {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let found =
        available.iter().find(|t| same(&t.name, wanted)).or_else(|| available.iter().find(|t| same(&t.to, wanted)));
    match found {
        Some(transition) if same(&transition.to, status) => Choice::Already,
        Some(transition) => Choice::Take(transition),
        None if same(status, wanted) || told_before => Choice::Already,
        None => Choice::Unavailable,
    }
}

/// A failed call about one issue, said as what could not be done.
fn problem(key: &str, doing: &str, error: ForgeError) -> Error {
    let not_found = matches!(error, ForgeError::NotFound { .. });
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
        assert_eq!(choose("deploy to qa", "In Progress", &offered, false), Choice::Take(&offered[0]));
        assert_eq!(choose("Done", "In QA", &offered, false), Choice::Take(&offered[1]));
        assert_eq!(choose("Deploy to QA", "In QA", &offered, false), Choice::Already, "it is there");
        assert_eq!(choose("In QA", "In QA", &[], false), Choice::Already, "named by its status, and there");
        assert_eq!(choose("Deploy to QA", "Done", &offered[1..], true), Choice::Already, "moved before, moved on");
        assert_eq!(choose("Deploy to QA", "Done", &offered[1..], false), Choice::Unavailable);
    }
}
