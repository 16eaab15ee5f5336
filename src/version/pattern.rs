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

/// The four patterns of `[tags]`, each with the placeholders it must and may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Rc,
    Final,
    Deploy,
    DeployWip,
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
        }
    }

    fn required(self) -> &'static [Placeholder] {
        match self {
            PatternKind::Rc => &[Placeholder::Version, Placeholder::N],
            PatternKind::Final => &[Placeholder::Version],
            PatternKind::Deploy => &[Placeholder::Version, Placeholder::Timestamp, Placeholder::Env],
            PatternKind::DeployWip => &[Placeholder::Timestamp, Placeholder::Env],
        }
    }

    fn allowed(self) -> &'static [Placeholder] {
        match self {
            PatternKind::Rc => &[Placeholder::Version, Placeholder::N],
            PatternKind::Final => &[Placeholder::Version],
            PatternKind::Deploy => &[Placeholder::Version, Placeholder::Timestamp, Placeholder::Env],
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
}
