//! The one clock. Every decision git-release makes about time reads [`now`]: the moment of a
//! record made without `--at` and the tagger date of every tag it writes, how long a deployment
//! has soaked, whether a freeze window is on, whether a preview has outlived its ttl, and how
//! long a forge's rate limit asks to wait when the forge does not say its own time. Whatever is
//! added later reads it too; nothing else in `src` reads the system's time of day.
//!
//! It is git's clock: `GIT_COMMITTER_DATE`, read as git reads it, when that is set and not empty;
//! else the system's, to the microsecond. So one variable moves every decision and every date git
//! writes at once, and a test or a replay states the moment it runs at by setting it.

use std::ffi::{OsStr, OsString};
use std::sync::OnceLock;

use jiff::Timestamp;

use crate::error::{Diagnostic, Kind};
use crate::git::Dated;
use crate::record::display_time;

/// How far ahead of this clock a time written by another machine's may lie and still be taken
/// as past: the skew between two clocks that keep time.
pub const SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Now, as every time decision sees it.
///
/// # Errors
/// When `GIT_COMMITTER_DATE` holds something git does not read as a date, or a date that
/// git-release cannot keep or git cannot write into a commit or tag; or when, without it, the
/// system clock reads a time git cannot date anything by.
pub fn now() -> Result<Timestamp, ClockError> {
    static FIXED: OnceLock<Option<Result<Timestamp, ClockError>>> = OnceLock::new();
    let fixed = FIXED.get_or_init(|| Some(fixed_at(Dated::Committer, &set(Dated::Committer)?)));
    match fixed {
        Some(fixed) => fixed.clone(),
        None => system(),
    }
}

/// [`now`] in seconds since the epoch, `None` where it cannot be read; for what only needs an
/// estimate, such as how long a forge asks us to wait.
#[must_use]
pub fn seconds() -> Option<i64> {
    now().ok().map(Timestamp::as_second)
}

/// The latest time a record may carry and still count: now, and [`SKEW`] ahead for the clock
/// of the machine that wrote it. A record dated after it is none, so that a tag dated in the far
/// future can never stay the latest deployment for good.
///
/// # Errors
/// As [`now`].
pub fn horizon() -> Result<Timestamp, ClockError> {
    let now = now()?;
    Ok(now.checked_add(SKEW).unwrap_or(now))
}

/// For a command that writes commits or tags: whether git can date them, by the clock and by
/// `GIT_AUTHOR_DATE` when that is set, so that a date git would refuse half-way is refused first.
///
/// # Errors
/// As [`now`], and when `GIT_AUTHOR_DATE` is set to what [`now`] would refuse.
pub fn check_dates() -> Result<(), ClockError> {
    now()?;
    // Git dates a commit's author by GIT_AUTHOR_DATE; git-release decides nothing by it.
    set(Dated::Author).map_or(Ok(()), |value| fixed_at(Dated::Author, &value).map(|_| ()))
}

/// A variable's value, when set and not empty: git takes an empty value for none, and reads
/// every other one, in any encoding.
fn set(dated: Dated) -> Option<OsString> {
    std::env::var_os(dated.variable()).filter(|v| !v.is_empty())
}

/// The system's time, to the microsecond (as records keep it), within the years git can date
/// commits and tags by when it works out the offset from UTC itself.
fn system() -> Result<Timestamp, ClockError> {
    let now = Timestamp::now();
    let now = Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now);
    if GIT_YEARS.contains(&now.as_second()) {
        Ok(now)
    } else {
        Err(ClockError { of: Source::System(now), why: Why::GitYears })
    }
}

/// 1970-01-01 to the end of 2099, in seconds: git keeps no time before the epoch, and cannot
/// tell the offset of a local time from 2100 on.
const GIT_YEARS: std::ops::RangeInclusive<i64> = 0..=4_102_444_799;

/// The moment a date variable names: git itself reads it, so every form git takes
/// (`2026-11-21T10:15:00Z`, `@1795256100 +0000`, RFC 2822, a local time) means what it means to git.
fn fixed_at(dated: Dated, value: &OsStr) -> Result<Timestamp, ClockError> {
    let variable = dated.variable();
    let refused = |why: Why| ClockError { of: Source::Variable { variable, value: shown(value) }, why };
    let (seconds, offset) =
        crate::git::read_date(dated, value).map_err(|e| refused(Why::Unread(e.causes().join("; "))))?;
    if !written_offset(&offset) {
        return Err(refused(Why::Offset(offset)));
    }
    Timestamp::from_second(seconds).map_err(|_| refused(Why::OutOfRange(seconds)))
}

/// A value as an error may show it: control characters (a terminal's escapes) become `?`.
fn shown(value: &OsStr) -> String {
    value.to_string_lossy().chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// An offset from UTC as commits and tags hold it: a sign and four digits, at most 99:59.
fn written_offset(offset: &str) -> bool {
    let Some(digits) = offset.strip_prefix(['+', '-']) else { return false };
    digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) && digits[2..] < *"60"
}

/// The clock, or a date git would write, is not one git-release can act by.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.message())]
pub struct ClockError {
    of: Source,
    why: Why,
}

#[derive(Debug, Clone)]
enum Source {
    /// A date variable, and its value as shown.
    Variable { variable: &'static str, value: String },
    /// The system clock, reading this.
    System(Timestamp),
}

#[derive(Debug, Clone)]
enum Why {
    /// Git refused it, saying this.
    Unread(String),
    /// Git read this offset, such as `+10039`.
    Offset(String),
    /// Git read these seconds since the epoch.
    OutOfRange(i64),
    /// Outside the years git can date by the system's own offset.
    GitYears,
}

impl ClockError {
    fn message(&self) -> String {
        let what = match &self.why {
            Why::Unread(_) => "is not a date git can read".to_owned(),
            Why::Offset(_) => "has an offset from UTC that git cannot write into a commit or tag".to_owned(),
            Why::OutOfRange(_) => format!(
                "lies outside the times git-release can keep ({} to {})",
                display_time(Timestamp::MIN),
                display_time(Timestamp::MAX)
            ),
            Why::GitYears => "is outside the years git can date commits and tags by (1970 to 2099)".to_owned(),
        };
        match &self.of {
            Source::Variable { variable, value } => format!("{variable} `{value}` {what}"),
            Source::System(now) => format!("the system clock reads {}, which {what}", display_time(*now)),
        }
    }
}

impl Diagnostic for ClockError {
    fn kind(&self) -> Kind {
        Kind::Usage
    }

    fn causes(&self) -> Vec<String> {
        match &self.why {
            Why::Unread(said) => vec![said.clone()],
            Why::Offset(offset) => vec![format!("git reads it with the offset {offset}")],
            Why::OutOfRange(seconds) => vec![format!("git reads it as {seconds} seconds since 1970")],
            Why::GitYears => Vec::new(),
        }
    }

    fn hints(&self) -> Vec<String> {
        vec![match &self.of {
            Source::Variable { variable, .. } => format!(
                "set {variable} to a time such as 2026-11-21T10:15:00Z or \"@1795256100 +0000\", or unset it to \
                 use the system clock"
            ),
            Source::System(_) => format!(
                "set the system clock right, or set {} to the time to act at, such as 2026-11-21T10:15:00Z",
                Dated::Committer.variable()
            ),
        }]
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
