//! Versions, what each environment's `cut` asks of them, and tag patterns. Pure: no git here.

pub mod cut;
mod pattern;
pub mod pin;

pub use cut::{Decision, Existing, Refusal, Repository, VersionTag};
pub use pattern::{Known, Matched, MatchedIn, PatternError, PatternKind, Placeholder, TagPattern, TagValues};

use std::fmt;

use crate::refname;

/// Which version tag a deployment to an environment creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cut {
    /// No version tag: only the deployment record.
    None,
    /// The next `v{version}-rc.{n}`.
    Rc,
    /// `v{version}` on the commit of the highest rc.
    Final,
}

impl Cut {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Cut::None => "none",
            Cut::Rc => "rc",
            Cut::Final => "final",
        }
    }
}

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an environment should run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// `WIP`: track a branch, cut no version tags.
    Wip,
    /// A semantic version, which rc and final tags are made of.
    Semver(semver::Version),
    /// Any other string that is valid inside a tag name.
    Named(String),
    /// A pull request, branch or commit: deployed as it is, cutting no version tags.
    Pin(pin::Pin),
}

/// The word that marks a work-in-progress environment.
pub const WIP: &str = "WIP";

/// Why a string cannot be a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{}` cannot be a version, as it must fit in a tag name and {problem}", crate::secret::redact(&.text.escape_debug().to_string()))]
pub struct ParseError {
    pub text: String,
    pub problem: refname::Problem,
}

/// Why a version does not suit an environment's `cut`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Misfit {
    #[error("cut = \"{cut}\" needs a version such as 1.4.0 or 2026.11, not `{version}`")]
    NeedsVersion { cut: Cut, version: String },
    /// `1.0.0+exp` would make `v1.0.0+exp-rc.1`, whose candidates semver cannot order.
    #[error(
        "cut = \"rc\" cannot cut candidates of `{version}`: its build metadata (after `+`) would come before `-rc.N`"
    )]
    BuildMetadata { version: String },
}

/// Which part of a semantic version `bump` raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    Major,
    Minor,
    Patch,
}

/// Why a version cannot be bumped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BumpError {
    #[error("`{version}` is not a semantic version, so there is nothing to bump")]
    NotSemver { version: String },
    #[error("`{version}` cannot be raised: a part would exceed 18446744073709551615")]
    TooLarge { version: String },
}

impl Version {
    /// Reads a version as written in the release file.
    ///
    /// # Errors
    /// When the text could not appear in a tag name.
    pub fn parse(text: &str) -> Result<Version, ParseError> {
        if text == WIP {
            return Ok(Version::Wip);
        }
        if let Ok(semver) = semver::Version::parse(text) {
            return Ok(Version::Semver(semver));
        }
        if let Some(pin) = pin::Pin::parse(text) {
            return Ok(Version::Pin(pin));
        }
        refname::check_short(text).map_err(|problem| ParseError { text: text.to_owned(), problem })?;
        Ok(Version::Named(text.to_owned()))
    }

    /// The version as it appears in a deployment record's name: a pin made tag-safe
    /// (`shop/app#pull/42` becomes `shop-app-pull-42`), anything else as it is.
    #[must_use]
    pub fn in_tag(&self) -> String {
        match self {
            // After the scheme: an address's host starts with a letter or digit, so something stays.
            Version::Pin(pin) => {
                refname::tag_safe(pin.text.split_once("://").map_or(pin.text.as_str(), |(_, rest)| rest))
                    .split('-')
                    .filter(|part| !part.is_empty())
                    .collect::<Vec<_>>()
                    .join("-")
                    .replace("..", ".")
            }
            other => other.to_string(),
        }
    }

    /// Whether an environment with this `cut` can deploy this version. A version is opaque
    /// where no order is asked of it: any text valid in a tag name is cut as rc and final tags.
    ///
    /// # Errors
    /// When `cut` makes version tags and the version is `WIP`, or an rc would follow build
    /// metadata.
    pub fn fits(&self, cut: Cut) -> Result<(), Misfit> {
        match (self, cut) {
            (Version::Semver(semver), Cut::Rc) if !semver.build.is_empty() => {
                Err(Misfit::BuildMetadata { version: self.to_string() })
            }
            (_, Cut::None) | (Version::Semver(_) | Version::Named(_) | Version::Pin(_), Cut::Rc | Cut::Final) => Ok(()),
            (Version::Wip, Cut::Rc | Cut::Final) => Err(Misfit::NeedsVersion { cut, version: self.to_string() }),
        }
    }

    /// Whether version tags can be cut of this version: a semantic version or an opaque one.
    #[must_use]
    pub fn cuts_tags(&self) -> bool {
        matches!(self, Version::Semver(_) | Version::Named(_))
    }

    /// The next version at `level`; a pre-release first becomes its release.
    ///
    /// # Errors
    /// When the version is not semantic.
    pub fn bump(&self, level: Level) -> Result<Version, BumpError> {
        let Version::Semver(current) = self else {
            return Err(BumpError::NotSemver { version: self.to_string() });
        };
        let released = current.pre.is_empty();
        let (major, minor, patch) = (current.major, current.minor, current.patch);
        let too_large = || BumpError::TooLarge { version: self.to_string() };
        let up = |n: u64| n.checked_add(1).ok_or_else(too_large);
        let next = match level {
            Level::Patch if released => semver::Version::new(major, minor, up(patch)?),
            Level::Patch => semver::Version::new(major, minor, patch),
            Level::Minor if released || patch != 0 => semver::Version::new(major, up(minor)?, 0),
            Level::Minor => semver::Version::new(major, minor, 0),
            Level::Major if released || minor != 0 || patch != 0 => semver::Version::new(up(major)?, 0, 0),
            Level::Major => semver::Version::new(major, 0, 0),
        };
        Ok(Version::Semver(next))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Wip => f.write_str(WIP),
            Version::Semver(v) => v.fmt(f),
            Version::Named(name) => f.write_str(name),
            Version::Pin(pin) => pin.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).expect("test versions are valid")
    }

    #[test]
    fn parses_the_three_kinds() {
        assert_eq!(v("WIP"), Version::Wip);
        assert_eq!(v("1.4.0"), Version::Semver(semver::Version::new(1, 4, 0)));
        assert_eq!(v("2026.11-hotfix"), Version::Named("2026.11-hotfix".into()));
        assert_eq!(v("wip"), Version::Named("wip".into()), "only the upper-case word means WIP");
        assert!(matches!(v("shop/app#pull/42"), Version::Pin(_)));
        assert!(matches!(v("https://github.com/shop/app/pull/42"), Version::Pin(_)));
        assert_eq!(v("https://github.com/shop/app/pull/42").in_tag(), "github.com-shop-app-pull-42");
        assert_eq!(v("shop/app@3f2a1c0").in_tag(), "shop-app-3f2a1c0");
        assert_eq!(v("1.4.0+build.7").in_tag(), "1.4.0+build.7");
    }

    #[test]
    fn refuses_what_cannot_be_in_a_tag() {
        for text in [
            "1.0..0",
            "1.0.0.lock",
            "a b",
            "~1",
            "1^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "a\nb",
            "a@{1}",
            "-1",
            "1.",
            "1/",
            "",
        ] {
            assert!(Version::parse(text).is_err(), "{text:?} should be refused");
        }
    }

    #[test]
    fn cut_decides_what_fits() {
        assert!(v("WIP").fits(Cut::None).is_ok());
        assert!(v("WIP").fits(Cut::Rc).is_err());
        assert!(v("hotfix-7").fits(Cut::Final).is_ok(), "an opaque version is cut as it is");
        assert!(v("2026.11").fits(Cut::Rc).is_ok());
        assert!(v("hotfix-7").fits(Cut::None).is_ok());
        assert_eq!(
            v("1.0.0-beta.1+exp").fits(Cut::Rc),
            Err(Misfit::BuildMetadata { version: "1.0.0-beta.1+exp".into() })
        );
        assert!(v("1.0.0+exp").fits(Cut::Final).is_ok(), "a final tag is the version itself");
        assert!(v("1.4.0").fits(Cut::Rc).is_ok());
        assert!(v("shop/app#pull/42").fits(Cut::Final).is_ok(), "a pin cuts nothing, so it fits anywhere");
    }

    #[test]
    fn bump_follows_semver() {
        let bump = |text: &str, level| v(text).bump(level).expect("semver").to_string();
        assert_eq!(bump("1.4.2", Level::Patch), "1.4.3");
        assert_eq!(bump("1.4.2", Level::Minor), "1.5.0");
        assert_eq!(bump("1.4.2", Level::Major), "2.0.0");
        assert_eq!(bump("1.4.0-rc.1", Level::Patch), "1.4.0");
        assert_eq!(bump("1.4.0-rc.1", Level::Minor), "1.4.0");
        assert_eq!(bump("1.4.1-rc.1", Level::Minor), "1.5.0");
        assert_eq!(bump("2.0.0-rc.1", Level::Major), "2.0.0");
        assert!(v("WIP").bump(Level::Patch).is_err());
        let max = format!("{0}.{0}.{0}", u64::MAX);
        for level in [Level::Patch, Level::Minor, Level::Major] {
            assert!(matches!(v(&max).bump(level), Err(BumpError::TooLarge { .. })));
        }
    }
}
