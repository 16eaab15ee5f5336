//! Which version tag a deployment takes: the rc numbering and the final tag rules. Pure.

use serde::Serialize;

use crate::object_id::ObjectId;

/// A version tag that exists, with the commit it points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionTag {
    pub name: String,
    pub commit: ObjectId,
}

/// The version tags of one version that exist now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Existing {
    /// Every rc of the version, with its number.
    pub rcs: Vec<(u64, VersionTag)>,
    pub final_: Option<VersionTag>,
}

/// What a deployment does about version tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The tag exists on the right commit already.
    Reuse(VersionTag),
    /// Create this tag on this commit.
    Create(VersionTag),
}

impl Decision {
    #[must_use]
    pub fn tag(&self) -> &VersionTag {
        match self {
            Decision::Reuse(tag) | Decision::Create(tag) => tag,
        }
    }
}

/// Why no version tag can be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("version {version} is released already: {} is on {}", .tag.name, .tag.commit.short())]
    Released { version: String, tag: VersionTag },
    #[error("no release candidate for {version}; deploy it to {rc_environment} first")]
    NoCandidate { version: String, rc_environment: String },
    #[error("{} is on {}, not on the highest release candidate {} ({})", .final_.name, .final_.commit.short(), .rc.name, .rc.commit.short())]
    FinalElsewhere { final_: VersionTag, rc: VersionTag },
    #[error("the rc numbers of {version} are used up")]
    Exhausted { version: String },
}

impl Existing {
    /// The rc with the highest number (numeric order: rc.10 follows rc.9).
    #[must_use]
    pub fn highest_rc(&self) -> Option<&(u64, VersionTag)> {
        self.rcs.iter().max_by_key(|(n, _)| *n)
    }
}

/// An rc deployment: reuse the highest rc when it is on `source`, else cut the next one there.
///
/// `name_of(n)` renders the rc tag with number `n`.
///
/// # Errors
/// When the version is released already.
pub fn rc(
    version: &str,
    existing: &Existing,
    source: &ObjectId,
    name_of: impl Fn(u64) -> String,
) -> Result<Decision, Refusal> {
    if let Some(tag) = &existing.final_ {
        return Err(Refusal::Released { version: version.to_owned(), tag: tag.clone() });
    }
    let highest = existing.highest_rc();
    if let Some((_, tag)) = highest.filter(|(_, tag)| &tag.commit == source) {
        return Ok(Decision::Reuse(tag.clone()));
    }
    let next = match highest {
        Some((n, _)) => n.checked_add(1).ok_or_else(|| Refusal::Exhausted { version: version.to_owned() })?,
        None => 1,
    };
    Ok(Decision::Create(VersionTag { name: name_of(next), commit: source.clone() }))
}

/// A final deployment: the final tag on the commit of the highest rc.
///
/// # Errors
/// When there is no rc, or the final tag exists on another commit.
pub fn final_(version: &str, existing: &Existing, final_name: &str, rc_environment: &str) -> Result<Decision, Refusal> {
    let Some((_, rc)) = existing.highest_rc() else {
        return Err(Refusal::NoCandidate { version: version.to_owned(), rc_environment: rc_environment.to_owned() });
    };
    match &existing.final_ {
        Some(tag) if tag.commit == rc.commit => Ok(Decision::Reuse(tag.clone())),
        Some(tag) => Err(Refusal::FinalElsewhere { final_: tag.clone(), rc: rc.clone() }),
        None => Ok(Decision::Create(VersionTag { name: final_name.to_owned(), commit: rc.commit.clone() })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: char) -> ObjectId {
        ObjectId::from_hex(&c.to_string().repeat(40)).expect("hex")
    }

    fn tag(name: &str, c: char) -> VersionTag {
        VersionTag { name: name.into(), commit: id(c) }
    }

    fn name(n: u64) -> String {
        format!("v1.4.0-rc.{n}")
    }

    #[test]
    fn rc_numbers_start_at_one_and_follow_the_highest() {
        let none = Existing::default();
        assert_eq!(rc("1.4.0", &none, &id('a'), name), Ok(Decision::Create(tag("v1.4.0-rc.1", 'a'))));
        let some = Existing { rcs: vec![(9, tag("v1.4.0-rc.9", 'b')), (10, tag("v1.4.0-rc.10", 'c'))], final_: None };
        assert_eq!(rc("1.4.0", &some, &id('a'), name), Ok(Decision::Create(tag("v1.4.0-rc.11", 'a'))));
        assert_eq!(rc("1.4.0", &some, &id('c'), name), Ok(Decision::Reuse(tag("v1.4.0-rc.10", 'c'))));
        assert_eq!(
            rc("1.4.0", &some, &id('b'), name),
            Ok(Decision::Create(tag("v1.4.0-rc.11", 'b'))),
            "only the highest rc is reused: going back to an older commit is a new candidate"
        );
    }

    #[test]
    fn rc_refuses_a_released_version() {
        let released = Existing { rcs: vec![(1, tag("v1.4.0-rc.1", 'a'))], final_: Some(tag("v1.4.0", 'a')) };
        assert!(matches!(rc("1.4.0", &released, &id('b'), name), Err(Refusal::Released { .. })));
    }

    #[test]
    fn final_takes_the_commit_of_the_highest_rc() {
        let rcs = vec![(2, tag("v1.4.0-rc.2", 'b')), (1, tag("v1.4.0-rc.1", 'a'))];
        let open = Existing { rcs: rcs.clone(), final_: None };
        assert_eq!(final_("1.4.0", &open, "v1.4.0", "qa"), Ok(Decision::Create(tag("v1.4.0", 'b'))));
        let done = Existing { rcs: rcs.clone(), final_: Some(tag("v1.4.0", 'b')) };
        assert_eq!(final_("1.4.0", &done, "v1.4.0", "qa"), Ok(Decision::Reuse(tag("v1.4.0", 'b'))));
        let elsewhere = Existing { rcs, final_: Some(tag("v1.4.0", 'a')) };
        assert!(matches!(final_("1.4.0", &elsewhere, "v1.4.0", "qa"), Err(Refusal::FinalElsewhere { .. })));
        let refusal = final_("1.4.0", &Existing::default(), "v1.4.0", "qa").expect_err("no rc");
        assert_eq!(refusal.to_string(), "no release candidate for 1.4.0; deploy it to qa first");
    }
}
