//! Tag patterns such as `v{version}-rc.{n}`: parsed once, rendered many times.

use std::fmt;

use crate::refname;

/// A value a pattern can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Version,
    N,
    Timestamp,
    Env,
    Branch,
}

impl Placeholder {
    const ALL: [Placeholder; 5] =
        [Placeholder::Version, Placeholder::N, Placeholder::Timestamp, Placeholder::Env, Placeholder::Branch];

    fn name(self) -> &'static str {
        match self {
            Placeholder::Version => "version",
            Placeholder::N => "n",
            Placeholder::Timestamp => "timestamp",
            Placeholder::Env => "env",
            Placeholder::Branch => "branch",
        }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// The patterns of `[tags]`, each with the placeholders it must and may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Rc,
    Final,
    Deploy,
    DeployWip,
    Approval,
}

impl PatternKind {
    /// The key in `[tags]`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            PatternKind::Rc => "rc",
            PatternKind::Final => "final",
            PatternKind::Deploy => "deploy",
            PatternKind::DeployWip => "deploy-wip",
            PatternKind::Approval => "approval",
        }
    }

    /// The pattern used when `[tags]` does not set one.
    #[must_use]
    pub fn default_pattern(self) -> &'static str {
        match self {
            PatternKind::Rc => "v{version}-rc.{n}",
            PatternKind::Final => "v{version}",
            PatternKind::Deploy => "{version}.{timestamp}.{env}",
            PatternKind::DeployWip => "{timestamp}_{env}_{branch}",
            PatternKind::Approval => "approval/{env}/{timestamp}",
        }
    }

    fn required(self) -> &'static [Placeholder] {
        match self {
            PatternKind::Rc => &[Placeholder::Version, Placeholder::N],
            PatternKind::Final => &[Placeholder::Version],
            PatternKind::Deploy => &[Placeholder::Version, Placeholder::Timestamp, Placeholder::Env],
            PatternKind::DeployWip | PatternKind::Approval => &[Placeholder::Timestamp, Placeholder::Env],
        }
    }

    fn allowed(self) -> &'static [Placeholder] {
        match self {
            PatternKind::Rc => &[Placeholder::Version, Placeholder::N],
            PatternKind::Final => &[Placeholder::Version],
            PatternKind::Deploy | PatternKind::Approval => {
                &[Placeholder::Version, Placeholder::Timestamp, Placeholder::Env]
            }
            PatternKind::DeployWip => &[Placeholder::Timestamp, Placeholder::Env, Placeholder::Branch],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Value(Placeholder),
}

/// A validated tag pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPattern {
    kind: PatternKind,
    text: String,
    segments: Vec<Segment>,
}

/// The values a pattern is rendered with; a pattern only reads the ones it holds.
#[derive(Debug, Clone, Copy)]
pub struct TagValues<'a> {
    pub version: &'a str,
    pub n: u64,
    pub timestamp: &'a str,
    pub env: &'a str,
    pub branch: &'a str,
}

impl TagValues<'_> {
    /// Plausible values, used to prove a pattern can yield a valid tag name.
    pub const SAMPLE: TagValues<'static> =
        TagValues { version: "1.4.0", n: 1, timestamp: "20261121T101500Z", env: "qa", branch: "feature-x" };
}

/// Why a tag pattern is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("`{{{name}}}` is not a placeholder; {kind} may use {allowed}", kind = .kind.key(), allowed = list(.kind.allowed()))]
    Unknown { kind: PatternKind, name: String },
    #[error("{placeholder} cannot be used in {kind}; it may use {allowed}", kind = .kind.key(), allowed = list(.kind.allowed()))]
    NotAllowed { kind: PatternKind, placeholder: Placeholder },
    #[error("{kind} must contain {placeholder}", kind = .kind.key())]
    Missing { kind: PatternKind, placeholder: Placeholder },
    #[error("`{{` without a closing `}}`")]
    Unclosed,
    #[error("{kind} yields the tag `{sample}`, which git refuses as {problem}", kind = .kind.key(), sample = .sample.escape_debug())]
    InvalidTag { kind: PatternKind, sample: String, problem: refname::Problem },
}

fn list(placeholders: &[Placeholder]) -> String {
    placeholders.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl TagPattern {
    /// Parses and checks a pattern of the given kind.
    ///
    /// # Errors
    /// Unknown, misplaced or missing placeholders, or a pattern whose tags git would refuse.
    pub fn parse(kind: PatternKind, text: &str) -> Result<TagPattern, PatternError> {
        let segments = segments(kind, text)?;
        for &placeholder in kind.required() {
            if !segments.contains(&Segment::Value(placeholder)) {
                return Err(PatternError::Missing { kind, placeholder });
            }
        }
        let pattern = TagPattern { kind, text: text.to_owned(), segments };
        let sample = pattern.render(&TagValues::SAMPLE);
        refname::check_short(&sample).map_err(|problem| PatternError::InvalidTag { kind, sample, problem })?;
        Ok(pattern)
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    #[must_use]
    pub fn kind(&self) -> PatternKind {
        self.kind
    }

    /// Whether the pattern holds `{version}`.
    #[must_use]
    pub fn uses_version(&self) -> bool {
        self.segments.contains(&Segment::Value(Placeholder::Version))
    }

    /// The tag name for these values.
    #[must_use]
    pub fn render(&self, values: &TagValues<'_>) -> String {
        let mut tag = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => tag.push_str(text),
                Segment::Value(Placeholder::Version) => tag.push_str(values.version),
                Segment::Value(Placeholder::N) => tag.push_str(&values.n.to_string()),
                Segment::Value(Placeholder::Timestamp) => tag.push_str(values.timestamp),
                Segment::Value(Placeholder::Env) => tag.push_str(values.env),
                Segment::Value(Placeholder::Branch) => tag.push_str(values.branch),
            }
        }
        tag
    }
}

/// What a tag name says, read back through its pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matched {
    pub version: Option<String>,
    pub n: Option<u64>,
    pub timestamp: Option<String>,
    pub env: Option<String>,
    pub branch: Option<String>,
}

/// What a tag name says, borrowed from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchedIn<'a> {
    pub version: Option<&'a str>,
    pub n: Option<u64>,
    pub timestamp: Option<&'a str>,
    pub env: Option<&'a str>,
    pub branch: Option<&'a str>,
}

/// Values a match must have, where the caller already knows them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    pub version: Option<&'a str>,
    pub env: Option<&'a str>,
}

impl TagPattern {
    /// Reads a tag name back into the values this pattern would have rendered it from.
    ///
    /// `{n}` matches digits without leading zeros, `{timestamp}` matches `YYYYMMDDTHHMMSSZ`, `{env}`
    /// an environment name; `{version}` and `{branch}` match any non-empty text.
    #[must_use]
    pub fn matches(&self, tag: &str, known: Known<'_>) -> Option<Matched> {
        self.matches_in(tag, known).map(|m| Matched {
            version: m.version.map(str::to_owned),
            n: m.n,
            timestamp: m.timestamp.map(str::to_owned),
            env: m.env.map(str::to_owned),
            branch: m.branch.map(str::to_owned),
        })
    }

    /// As [`TagPattern::matches`], with the values borrowed from the tag name: for scans over
    /// many tags, which keep few.
    #[must_use]
    pub fn matches_in<'a>(&self, tag: &'a str, known: Known<'_>) -> Option<MatchedIn<'a>> {
        let mut matched = MatchedIn::default();
        let found = match self.tail() {
            Some((head, between)) => match_tail(head, between, tag, known, &mut matched),
            None => match_from(&self.segments, tag, known, &mut matched),
        };
        found.then_some(matched)
    }

    /// For a pattern that ends `{timestamp}<literal>{env}` with a literal no environment name can
    /// hold (the default `{version}.{timestamp}.{env}` does): the segments before the timestamp,
    /// and the literal. Such a name is read from its end, where only one reading is possible.
    fn tail(&self) -> Option<(&[Segment], &str)> {
        let [
            head @ ..,
            Segment::Value(Placeholder::Timestamp),
            Segment::Literal(between),
            Segment::Value(Placeholder::Env),
        ] = self.segments.as_slice()
        else {
            return None;
        };
        (!fits(Placeholder::Env, between)).then_some((head, between.as_str()))
    }

    /// The text every tag of this pattern starts with, once `known` values are filled in.
    #[must_use]
    pub fn prefix(&self, known: Known<'_>) -> String {
        let mut prefix = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => prefix.push_str(text),
                Segment::Value(Placeholder::Version) if known.version.is_some() => {
                    prefix.push_str(known.version.unwrap_or_default());
                }
                Segment::Value(Placeholder::Env) if known.env.is_some() => {
                    prefix.push_str(known.env.unwrap_or_default());
                }
                Segment::Value(_) => break,
            }
        }
        prefix
    }
}

/// A name matched from its end, for a pattern with a [`TagPattern::tail`]: the environment is
/// what follows the last `between` (no environment name holds it), the timestamp ends where
/// `between` starts, and only `head` is matched by backtracking. The same reading as
/// [`match_from`]'s, which could end nowhere else.
fn match_tail<'a>(
    head: &[Segment],
    between: &str,
    tag: &'a str,
    known: Known<'_>,
    matched: &mut MatchedIn<'a>,
) -> bool {
    // Mostly one byte (`.`): a byte search, without setting up a substring search for each name.
    let cut = match between.as_bytes() {
        [byte] => tag.bytes().rposition(|b| b == *byte),
        _ => tag.rfind(between),
    };
    let Some(cut) = cut else { return false };
    let env = &tag[cut + between.len()..];
    if env.is_empty() || !fits(Placeholder::Env, env) || known.env.is_some_and(|known| known != env) {
        return false;
    }
    let Some(start) = cut.checked_sub(TIMESTAMP_LEN) else { return false };
    let Some(timestamp) = tag.get(start..cut).filter(|t| is_timestamp(t)) else { return false };
    if !match_from(head, &tag[..start], known, matched) {
        return false;
    }
    record(matched, Placeholder::Timestamp, timestamp);
    record(matched, Placeholder::Env, env);
    true
}

/// Backtracking match of `segments` against all of `rest`.
fn match_from<'a>(segments: &[Segment], rest: &'a str, known: Known<'_>, matched: &mut MatchedIn<'a>) -> bool {
    let Some((first, others)) = segments.split_first() else { return rest.is_empty() };
    let placeholder = match first {
        Segment::Literal(text) => {
            return rest.strip_prefix(text.as_str()).is_some_and(|rest| match_from(others, rest, known, matched));
        }
        Segment::Value(placeholder) => *placeholder,
    };
    let fixed = match placeholder {
        Placeholder::Version => known.version,
        Placeholder::Env => known.env,
        _ => None,
    };
    if let Some(fixed) = fixed {
        let Some(after) = rest.strip_prefix(fixed) else { return false };
        if !match_from(others, after, known, matched) {
            return false;
        }
        record(matched, placeholder, &rest[..fixed.len()]);
        return true;
    }
    // A timestamp has one length: no need to try the others.
    if placeholder == Placeholder::Timestamp {
        let Some(value) = rest.get(..TIMESTAMP_LEN).filter(|v| is_timestamp(v)) else { return false };
        if !match_from(others, &rest[TIMESTAMP_LEN..], known, matched) {
            return false;
        }
        record(matched, placeholder, value);
        return true;
    }
    // A value followed by literal text can only end where that text starts.
    if let Some(Segment::Literal(next)) = others.first() {
        let first = next.as_bytes()[0];
        let single = next.len() == 1;
        let ends = (1..rest.len())
            .rev()
            .filter(|&end| rest.as_bytes()[end] == first && (single || rest[end..].starts_with(next.as_str())));
        for end in ends {
            let value = &rest[..end];
            if fits(placeholder, value) && match_from(others, &rest[end..], known, matched) {
                record(matched, placeholder, value);
                return true;
            }
        }
        return false;
    }
    for end in (1..=rest.len()).rev().filter(|&end| rest.is_char_boundary(end)) {
        let value = &rest[..end];
        if fits(placeholder, value) && match_from(others, &rest[end..], known, matched) {
            record(matched, placeholder, value);
            return true;
        }
    }
    false
}

fn fits(placeholder: Placeholder, value: &str) -> bool {
    match placeholder {
        Placeholder::N => {
            value.bytes().all(|b| b.is_ascii_digit()) && (value == "0" || !value.starts_with('0')) && value.len() < 20
        }
        Placeholder::Timestamp => is_timestamp(value),
        Placeholder::Env => value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        Placeholder::Version | Placeholder::Branch => true,
    }
}

const TIMESTAMP_LEN: usize = 16;

/// `YYYYMMDDTHHMMSSZ`, by shape only.
fn is_timestamp(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == TIMESTAMP_LEN
        && bytes[8] == b'T'
        && bytes[15] == b'Z'
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[9..15].iter().all(u8::is_ascii_digit)
}

fn record<'a>(matched: &mut MatchedIn<'a>, placeholder: Placeholder, value: &'a str) {
    let value = Some(value);
    match placeholder {
        Placeholder::Version => matched.version = value,
        Placeholder::N => matched.n = value.and_then(|v| v.parse().ok()),
        Placeholder::Timestamp => matched.timestamp = value,
        Placeholder::Env => matched.env = value,
        Placeholder::Branch => matched.branch = value,
    }
}

fn segments(kind: PatternKind, text: &str) -> Result<Vec<Segment>, PatternError> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            segments.push(Segment::Literal(rest[..open].to_owned()));
        }
        let close = rest[open..].find('}').ok_or(PatternError::Unclosed)? + open;
        let name = &rest[open + 1..close];
        let placeholder = Placeholder::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| PatternError::Unknown { kind, name: name.to_owned() })?;
        if !kind.allowed().contains(&placeholder) {
            return Err(PatternError::NotAllowed { kind, placeholder });
        }
        segments.push(Segment::Value(placeholder));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest.to_owned()));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading a record's name from its end is a shortcut: it must find what the backtracking
    /// match finds, for every name, on both sides of every boundary.
    #[test]
    fn a_name_read_from_its_end_reads_as_backtracking_reads_it() {
        let names = [
            "1.4.0.20261121T101500Z.qa",
            "1.4.0.20261121T101500Z.qa+2",
            "1.0.20260101T000000Z.qa.20260102T000000Z.prod",
            "1.4.0.20261121T101500Z.",
            ".20261121T101500Z.qa",
            "20261121T101500Z.qa",
            "1.4.0.20261121T101500Z.QA",
            "1.4.0.20261121T101500Z.qa-eu-1",
            "1.4.0.20261121X101500Z.qa",
            "1.4.0.2026112T101500Z.qa",
            "1.4.0-20261121T101500Z.qa",
            "v1.4.0-rc.1",
            "1.4.0.20261121T101500Z.qa.",
            "é.20261121T101500Z.qa",
            "",
        ];
        for pattern in ["{version}.{timestamp}.{env}", "r{version}/{timestamp}/{env}", "{version}.{timestamp}_at_{env}"]
        {
            let parsed = TagPattern::parse(PatternKind::Deploy, pattern).expect("a valid pattern");
            assert!(parsed.tail().is_some(), "{pattern} is read from its end");
            for name in names.iter().map(|n| n.replace('.', if pattern.contains('/') { "/" } else { "." })) {
                for env in [None, Some("qa"), Some("prod")] {
                    let known = Known { version: None, env };
                    let mut by_tail = MatchedIn::default();
                    let mut by_backtracking = MatchedIn::default();
                    let (head, between) = parsed.tail().expect("a tail");
                    let tail = match_tail(head, between, &name, known, &mut by_tail);
                    let backtracking = match_from(&parsed.segments, &name, known, &mut by_backtracking);
                    assert_eq!(tail, backtracking, "{pattern} on {name:?} with {env:?}");
                    if tail {
                        assert_eq!(
                            (by_tail.version, by_tail.timestamp, by_tail.env),
                            (by_backtracking.version, by_backtracking.timestamp, by_backtracking.env),
                            "{pattern} on {name:?}"
                        );
                    }
                }
            }
        }
        let wip = TagPattern::parse(PatternKind::DeployWip, PatternKind::DeployWip.default_pattern()).expect("valid");
        assert!(wip.tail().is_none(), "a branch after the environment is matched by backtracking");
        let dashed = TagPattern::parse(PatternKind::Deploy, "{version}-{timestamp}-{env}").expect("valid");
        assert!(dashed.tail().is_none(), "an environment name may hold a dash");
    }

    #[test]
    fn defaults_render_the_documented_tags() {
        let render = |kind: PatternKind| {
            TagPattern::parse(kind, kind.default_pattern()).expect("defaults are valid").render(&TagValues::SAMPLE)
        };
        assert_eq!(render(PatternKind::Rc), "v1.4.0-rc.1");
        assert_eq!(render(PatternKind::Final), "v1.4.0");
        assert_eq!(render(PatternKind::Deploy), "1.4.0.20261121T101500Z.qa");
        assert_eq!(render(PatternKind::DeployWip), "20261121T101500Z_qa_feature-x");
    }

    #[test]
    fn refuses_patterns_missing_their_placeholders() {
        let missing = |kind, text| TagPattern::parse(kind, text).expect_err("must be refused");
        assert!(matches!(
            missing(PatternKind::Rc, "v{version}-rc"),
            PatternError::Missing { placeholder: Placeholder::N, .. }
        ));
        assert!(matches!(
            missing(PatternKind::Final, "release"),
            PatternError::Missing { placeholder: Placeholder::Version, .. }
        ));
        assert!(matches!(
            missing(PatternKind::Deploy, "{version}.{env}"),
            PatternError::Missing { placeholder: Placeholder::Timestamp, .. }
        ));
        assert!(matches!(
            missing(PatternKind::Deploy, "{version}.{timestamp}"),
            PatternError::Missing { placeholder: Placeholder::Env, .. }
        ));
    }

    #[test]
    fn refuses_unknown_misplaced_and_unclosed_placeholders() {
        assert!(matches!(TagPattern::parse(PatternKind::Final, "v{versoin}"), Err(PatternError::Unknown { .. })));
        assert!(matches!(
            TagPattern::parse(PatternKind::Final, "v{version}-{n}"),
            Err(PatternError::NotAllowed { .. })
        ));
        assert_eq!(TagPattern::parse(PatternKind::Final, "v{version"), Err(PatternError::Unclosed));
    }

    #[test]
    fn refuses_patterns_whose_tags_git_refuses() {
        for text in ["v{version}..", "v {version}", "{version}.lock", "-v{version}", "v{version}/"] {
            assert!(
                matches!(TagPattern::parse(PatternKind::Final, text), Err(PatternError::InvalidTag { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn reads_tags_back_through_their_patterns() {
        let pattern = |kind: PatternKind| TagPattern::parse(kind, kind.default_pattern()).expect("defaults are valid");
        let rc = pattern(PatternKind::Rc);
        let known = Known { version: Some("1.4.0"), env: None };
        assert_eq!(rc.matches("v1.4.0-rc.10", known).and_then(|m| m.n), Some(10));
        assert_eq!(rc.matches("v1.4.0-rc.01", known), None, "leading zeros are not rc numbers");
        assert_eq!(rc.matches("v1.4.0-rc.x", known), None);
        assert_eq!(rc.matches("v1.4.10-rc.1", known), None);
        assert_eq!(rc.prefix(known), "v1.4.0-rc.");

        let deploy = pattern(PatternKind::Deploy);
        let m = deploy.matches("1.4.0.20261121T101500Z.qa", Known::default()).expect("a record");
        assert_eq!(
            (m.version.as_deref(), m.timestamp.as_deref(), m.env.as_deref()),
            (Some("1.4.0"), Some("20261121T101500Z"), Some("qa"))
        );
        let prod = Known { version: None, env: Some("prod") };
        assert_eq!(deploy.matches("1.4.0.20261121T101500Z.qa", prod), None);
        assert_eq!(deploy.matches("1.4.0.2026112T101500Z.qa", Known::default()), None);

        let wip = pattern(PatternKind::DeployWip);
        let m = wip.matches("20261121T101500Z_dev_feature-x_y", Known::default()).expect("a record");
        assert_eq!((m.env.as_deref(), m.branch.as_deref()), (Some("dev"), Some("feature-x_y")));
    }
}
