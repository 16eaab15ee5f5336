//! The one clock. Every decision git-release makes about time reads [`now`]: the moment of a
//! record made without `--at` and the tagger date of every tag it writes, how long a deployment
//! has soaked, whether a freeze window is on, whether a preview has outlived its ttl, and how
//! long a forge's rate limit asks to wait when the forge does not say its own time. Whatever is
//! added later reads it too; nothing else in `src` reads the system's time of day.
//!
//! It is git's clock: `GIT_COMMITTER_DATE`, read as git reads it, when that is set and not empty;
//! else the system's, to the microsecond. So one variable moves every decision and every date git
//! writes at once, and a test or a replay states the moment it runs at by setting it.

use std::ffi::OsStr;
use std::sync::OnceLock;

use jiff::Timestamp;

use crate::error::{Diagnostic, Kind};

/// The variable that fixes the clock.
pub const VARIABLE: &str = "GIT_COMMITTER_DATE";

/// How far ahead of this clock a time written by another machine's may lie and still be taken
/// as past: the skew between two clocks that keep time.
pub const SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Now, as every time decision sees it.
///
/// # Errors
/// When `GIT_COMMITTER_DATE` holds something git does not read as a date, or a date that
/// git-release cannot keep or git cannot write into a commit or tag.
pub fn now() -> Result<Timestamp, ClockError> {
    static FIXED: OnceLock<Option<Result<Timestamp, ClockError>>> = OnceLock::new();
    let fixed = FIXED.get_or_init(|| {
        // Git takes an empty value for none, and reads every other one, in any encoding.
        let value = std::env::var_os(VARIABLE).filter(|v| !v.is_empty())?;
        Some(fixed_at(&value))
    });
    match fixed {
        Some(fixed) => fixed.clone(),
        None => Ok(system()),
    }
}

/// The system's time, to the microsecond (as records keep it).
fn system() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
}

/// The moment a `GIT_COMMITTER_DATE` names: git itself reads it, so every form git takes
/// (`2026-11-21T10:15:00Z`, `@1795256100 +0000`, RFC 2822, a local time) means what it means to git.
fn fixed_at(value: &OsStr) -> Result<Timestamp, ClockError> {
    let refused = |why: Why| ClockError { value: value.to_string_lossy().into_owned(), why };
    let (seconds, offset) = crate::git::read_date(value).map_err(|e| refused(Why::Unread(e.causes().join("; "))))?;
    if !written_offset(&offset) {
        return Err(refused(Why::Offset(offset)));
    }
    Timestamp::from_second(seconds).map_err(|_| refused(Why::OutOfRange(seconds)))
}

/// An offset from UTC as commits and tags hold it: a sign and four digits, at most 99:59.
fn written_offset(offset: &str) -> bool {
    let Some(digits) = offset.strip_prefix(['+', '-']) else { return false };
    digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) && digits[2..] < *"60"
}

/// `GIT_COMMITTER_DATE` is not a moment git-release can decide by.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{VARIABLE} `{value}` {}", match .why {
    Why::Unread(_) => "is not a date git can read",
    Why::Offset(_) => "has an offset from UTC that git cannot write into a commit or tag",
    Why::OutOfRange(_) => "lies outside the times git-release can keep (the years -9999 to 9999)",
})]
pub struct ClockError {
    value: String,
    why: Why,
}

#[derive(Debug, Clone)]
enum Why {
    /// Git refused it, saying this.
    Unread(String),
    /// Git read this offset, such as `+10039`.
    Offset(String),
    /// Git read these seconds since the epoch.
    OutOfRange(i64),
}

impl Diagnostic for ClockError {
    fn kind(&self) -> Kind {
        Kind::Usage
    }

    fn causes(&self) -> Vec<String> {
        vec![match &self.why {
            Why::Unread(said) => said.clone(),
            Why::Offset(offset) => format!("git reads it with the offset {offset}"),
            Why::OutOfRange(seconds) => format!("git reads it as {seconds} seconds since 1970"),
        }]
    }

    fn hints(&self) -> Vec<String> {
        vec![format!(
            "set {VARIABLE} to a time such as 2026-11-21T10:15:00Z or \"@1795256100 +0000\", or unset it to use \
             the system clock"
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::written_offset;

    #[test]
    fn offsets_are_those_a_commit_can_hold() {
        for good in ["+0000", "-0500", "+0530", "+1400", "-9959"] {
            assert!(written_offset(good), "{good}");
        }
        for bad in ["+10039", "+960", "0100", "+01:00", "+0160", "", "+", "-00a0"] {
            assert!(!written_offset(bad), "{bad}");
        }
    }
}
