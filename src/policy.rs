//! The reconciler's policy for an environment: how long the previous environment's deployment
//! must have run (`soak`), when nothing is opened (`freeze`), and which versions never move on
//! (`blocked`). Pure: parsing and checking against a given time.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

/// A time span as written in the release file: `90s`, `30m`, `2h`, `1d`, `1w`, or a sum such as
/// `1h30m`.
///
/// # Errors
/// Says what was expected when the text is not such a span.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("`{text}` is not a duration; write it as 90s, 30m, 2h, 1d, 1w or a sum such as 1h30m");
    let mut seconds: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit = rest[digits..].chars().next().ok_or_else(invalid)?;
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(invalid()),
        };
        seconds = number.checked_mul(scale).and_then(|s| seconds.checked_add(s)).ok_or_else(invalid)?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(Duration::from_secs(seconds))
}

/// As [`parse_duration`], for a span that must last: an interval, a ttl.
///
/// # Errors
/// As [`parse_duration`], and when the span is 0s.
pub fn parse_lasting(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() { Err(format!("`{text}` must be longer than 0s")) } else { Ok(duration) }
}

/// How a duration reads back: `2h`, `1h30m`, `45s`.
#[must_use]
pub fn show_duration(duration: Duration) -> String {
    let mut seconds = duration.as_secs();
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            text.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    text
}

/// A window in which the reconciler opens nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    text: String,
    window: Window,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Window {
    /// `2026-12-20T00:00:00Z/2027-01-04T08:00:00Z`: from the first instant up to the second.
    Once { start: Timestamp, end: Timestamp },
    /// `Fri 16:00/Mon 08:00` in UTC, every week: minutes since Monday 00:00; may wrap the week.
    Weekly { start: u32, end: u32 },
}

const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const MINUTES_A_WEEK: u32 = 7 * 24 * 60;

impl Freeze {
    /// # Errors
    /// Says which forms are understood when `text` is none of them.
    pub fn parse(text: &str) -> Result<Freeze, String> {
        let invalid = || {
            format!(
                "freeze window `{text}` is not understood; write two UTC instants such as \
                 \"2026-12-20T00:00:00Z/2027-01-04T08:00:00Z\", or a weekly window in UTC such as \"Fri 16:00/Mon 08:00\""
            )
        };
        let (from, to) = text.split_once('/').ok_or_else(invalid)?;
        let (from, to) = (from.trim(), to.trim());
        let window = if let (Ok(start), Ok(end)) = (from.parse::<Timestamp>(), to.parse::<Timestamp>()) {
            if end <= start {
                return Err(format!("freeze window `{text}` ends before it starts"));
            }
            Window::Once { start, end }
        } else {
            let start = weekly(from).ok_or_else(invalid)?;
            let end = weekly(to).ok_or_else(invalid)?;
            if start == end {
                return Err(format!("freeze window `{text}` starts and ends at the same time"));
            }
            Window::Weekly { start, end }
        };
        Ok(Freeze { text: text.to_owned(), window })
    }

    /// Whether `now` falls in the window.
    #[must_use]
    pub fn contains(&self, now: Timestamp) -> bool {
        match self.window {
            Window::Once { start, end } => start <= now && now < end,
            Window::Weekly { start, end } => {
                // 1970-01-01 was a Thursday: three days after a Monday.
                let minutes = now.as_second().div_euclid(60) + 3 * 24 * 60;
                let minute = u32::try_from(minutes.rem_euclid(i64::from(MINUTES_A_WEEK))).unwrap_or_default();
                if start < end { start <= minute && minute < end } else { minute >= start || minute < end }
            }
        }
    }
}

impl fmt::Display for Freeze {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `Fri 16:00` as minutes since Monday 00:00.
fn weekly(text: &str) -> Option<u32> {
    let (day, time) = text.split_once(' ')?;
    let day = DAYS.iter().position(|d| day.eq_ignore_ascii_case(d) || day.eq_ignore_ascii_case(&d[..3]))?;
    let (hour, minute) = time.trim().split_once(':')?;
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    (hour < 24 && minute < 60).then(|| u32::try_from(day).unwrap_or_default() * 24 * 60 + hour * 60 + minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written_and_back() {
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert_eq!(show_duration(Duration::from_secs(5400)), "1h30m");
        for bad in ["", "2", "h", "2x", "-1h", "1.5h", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_window_between_two_instants_holds_its_start_not_its_end() {
        let freeze = Freeze::parse("2026-12-20T00:00:00Z/2027-01-04T08:00:00Z").expect("valid");
        let at = |text: &str| text.parse::<Timestamp>().expect("a time");
        assert!(!freeze.contains(at("2026-12-19T23:59:59Z")));
        assert!(freeze.contains(at("2026-12-20T00:00:00Z")));
        assert!(freeze.contains(at("2027-01-01T12:00:00Z")));
        assert!(!freeze.contains(at("2027-01-04T08:00:00Z")));
        assert!(Freeze::parse("2027-01-04T08:00:00Z/2026-12-20T00:00:00Z").is_err());
    }

    #[test]
    fn a_weekly_window_may_wrap_the_weekend() {
        let freeze = Freeze::parse("Fri 16:00/Mon 08:00").expect("valid");
        let at = |text: &str| text.parse::<Timestamp>().expect("a time");
        // 2026-11-20 is a Friday.
        assert!(!freeze.contains(at("2026-11-20T15:59:00Z")));
        assert!(freeze.contains(at("2026-11-20T16:00:00Z")));
        assert!(freeze.contains(at("2026-11-22T12:00:00Z")));
        assert!(freeze.contains(at("2026-11-23T07:59:00Z")));
        assert!(!freeze.contains(at("2026-11-23T08:00:00Z")));
        assert!(!freeze.contains(at("2026-11-25T12:00:00Z")));
        let lunch = Freeze::parse("wednesday 12:00/wed 13:00").expect("valid");
        assert!(lunch.contains(at("2026-11-25T12:30:00Z")));
        assert!(!lunch.contains(at("2026-11-26T12:30:00Z")));
        for bad in ["Fri 16:00", "Fri 25:00/Mon 08:00", "Fry 16:00/Mon 08:00", "Fri 16:00/Fri 16:00"] {
            assert!(Freeze::parse(bad).is_err(), "{bad}");
        }
    }
}
