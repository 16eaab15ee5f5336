//! The one clock. Every decision git-release makes about time reads [`now`]: the moment of a
//! record made without `--at` and the tagger date of every tag it writes, how long a deployment
//! has soaked, whether a freeze window is on, whether a preview has outlived its ttl, and how
//! long a forge's rate limit asks to wait when the forge does not say its own time. Whatever is
//! added later reads it too; nothing else in `src` reads the system's time of day.
//!
//! It is git's clock: `GIT_COMMITTER_DATE`, read as git reads it, when that is set and not empty;
//! else the system's, to the microsecond. So one variable moves every decision and every date git
//! writes at once, and a test or a replay states the moment it runs at by setting it.

use std::sync::OnceLock;

use jiff::Timestamp;

use crate::error::{Diagnostic, Kind};

/// The variable that fixes the clock.
pub const VARIABLE: &str = "GIT_COMMITTER_DATE";

/// Now, as every time decision sees it.
///
/// # Errors
/// When `GIT_COMMITTER_DATE` holds something git does not read as a date.
pub fn now() -> Result<Timestamp, ClockError> {
    static FIXED: OnceLock<Option<Result<Timestamp, ClockError>>> = OnceLock::new();
    let fixed = FIXED.get_or_init(|| {
        let value = std::env::var(VARIABLE).ok().filter(|v| !v.trim().is_empty())?;
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
fn fixed_at(value: &str) -> Result<Timestamp, ClockError> {
    let refused = |cause: String| ClockError { value: value.to_owned(), cause };
    let seconds = crate::git::date_seconds(value).map_err(|e| refused(e.causes().join("; ")))?;
    Timestamp::from_second(seconds).map_err(|e| refused(e.to_string()))
}

/// `GIT_COMMITTER_DATE` is not a date.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{VARIABLE} `{value}` is not a date git can read")]
pub struct ClockError {
    value: String,
    cause: String,
}

impl Diagnostic for ClockError {
    fn kind(&self) -> Kind {
        Kind::Usage
    }

    fn causes(&self) -> Vec<String> {
        vec![self.cause.clone()]
    }

    fn hints(&self) -> Vec<String> {
        vec![format!(
            "set {VARIABLE} to a time such as 2026-11-21T10:15:00Z or \"@1795256100 +0000\", or unset it to use \
             the system clock"
        )]
    }
}
