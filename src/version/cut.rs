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
    /// Every rc of the version that counts, with its number.
    pub rcs: Vec<(u64, VersionTag)>,
    pub final_: Option<VersionTag>,
    /// The numbers of rc tags that exist but do not count (`[trust]` enforced): never cut again.
    pub passed_over: Vec<u64>,
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
    #[error(
        "{repository} has no {rc}, which {umbrella} has: every repository of a release needs the same release candidate"
    )]
    Uneven { repository: String, umbrella: String, rc: String, rc_environment: String },
    #[error("{rc_environment} deployed {} of {repository}, not {} ({})", .deployed.as_ref().map_or("nothing", |id| id.short()), .rc.name, .rc.commit.short())]
    Undeployed { repository: String, rc: VersionTag, rc_environment: String, deployed: Option<ObjectId> },
}

/// One repository of an application of several, as a joint decision sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub name: String,
    pub existing: Existing,
    /// For rc: the commit to cut on. For final: the commit the previous environment deployed last.
    pub commit: Option<ObjectId>,
}

impl Existing {
    /// The rc with the highest number (numeric order: rc.10 follows rc.9).
    #[must_use]
    pub fn highest_rc(&self) -> Option<&(u64, VersionTag)> {
        self.rcs.iter().max_by_key(|(n, _)| *n)
    }

    /// The highest rc number taken, whether its tag counts or not.
    #[must_use]
    pub fn last_number(&self) -> Option<u64> {
        self.rcs.iter().map(|(n, _)| *n).chain(self.passed_over.iter().copied()).max()
    }
}

/// The number after `last`: 1 when there is none.
fn after(version: &str, last: Option<u64>) -> Result<u64, Refusal> {
    match last {
        Some(n) => n.checked_add(1).ok_or_else(|| Refusal::Exhausted { version: version.to_owned() }),
        None => Ok(1),
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
    let next = after(version, existing.last_number())?;
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

/// An rc deployment of several repositories: one rc number for all of them.
///
/// The highest number any repository has is completed where it is missing, when each repository
/// that has it has it on its source; otherwise the next number is cut in every repository. So a
/// run that pushed to some repositories and not others is finished by the next run.
///
/// # Errors
/// When the version is released already in any repository, or the numbers are used up.
pub fn rc_together(
    version: &str,
    repositories: &[Repository],
    name_of: impl Fn(u64) -> String,
) -> Result<Vec<Decision>, Refusal> {
    if let Some(tag) = repositories.iter().find_map(|r| r.existing.final_.as_ref()) {
        return Err(Refusal::Released { version: version.to_owned(), tag: tag.clone() });
    }
    let source = |r: &Repository| r.commit.clone().expect("an rc deployment knows each source");
    let highest = repositories.iter().filter_map(|r| r.existing.highest_rc().map(|(n, _)| *n)).max();
    let rc_n = |r: &Repository, n: u64| r.existing.rcs.iter().find(|(m, _)| *m == n).map(|(_, tag)| tag.clone());
    if let Some(n) = highest {
        let fits = repositories
            .iter()
            .all(|r| !r.existing.passed_over.contains(&n) && rc_n(r, n).is_none_or(|tag| tag.commit == source(r)));
        if fits {
            return Ok(repositories
                .iter()
                .map(|r| match rc_n(r, n) {
                    Some(tag) => Decision::Reuse(tag),
                    None => Decision::Create(VersionTag { name: name_of(n), commit: source(r) }),
                })
                .collect());
        }
    }
    let next = after(version, repositories.iter().filter_map(|r| r.existing.last_number()).max())?;
    Ok(repositories.iter().map(|r| Decision::Create(VersionTag { name: name_of(next), commit: source(r) })).collect())
}

/// A final deployment of several repositories: the first (the umbrella) names the highest rc;
/// every repository must have that rc, on the commit the previous environment deployed last.
///
/// # Errors
/// When a repository lacks the rc, the previous environment deployed another commit, or a final
/// tag exists elsewhere.
pub fn final_together(
    version: &str,
    repositories: &[Repository],
    final_name: &str,
    rc_environment: &str,
) -> Result<Vec<Decision>, Refusal> {
    let umbrella = &repositories[0];
    let Some((n, rc)) = umbrella.existing.highest_rc() else {
        return Err(Refusal::NoCandidate { version: version.to_owned(), rc_environment: rc_environment.to_owned() });
    };
    let mut decisions = Vec::new();
    for repository in repositories {
        let Some((_, rc)) = repository.existing.rcs.iter().find(|(m, _)| m == n) else {
            return Err(Refusal::Uneven {
                repository: repository.name.clone(),
                umbrella: umbrella.name.clone(),
                rc: rc.name.clone(),
                rc_environment: rc_environment.to_owned(),
            });
        };
        if repository.commit.as_ref() != Some(&rc.commit) {
            return Err(Refusal::Undeployed {
                repository: repository.name.clone(),
                rc: rc.clone(),
                rc_environment: rc_environment.to_owned(),
                deployed: repository.commit.clone(),
            });
        }
        let single = Existing {
            rcs: vec![(*n, rc.clone())],
            final_: repository.existing.final_.clone(),
            passed_over: Vec::new(),
        };
        decisions.push(final_(version, &single, final_name, rc_environment)?);
    }
    Ok(decisions)
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
        let some = Existing {
            rcs: vec![(9, tag("v1.4.0-rc.9", 'b')), (10, tag("v1.4.0-rc.10", 'c'))],
            final_: None,
            passed_over: Vec::new(),
        };
        assert_eq!(rc("1.4.0", &some, &id('a'), name), Ok(Decision::Create(tag("v1.4.0-rc.11", 'a'))));
        assert_eq!(rc("1.4.0", &some, &id('c'), name), Ok(Decision::Reuse(tag("v1.4.0-rc.10", 'c'))));
        assert_eq!(
            rc("1.4.0", &some, &id('b'), name),
            Ok(Decision::Create(tag("v1.4.0-rc.11", 'b'))),
            "only the highest rc is reused: going back to an older commit is a new candidate"
        );
    }

    #[test]
    fn an_rc_that_does_not_count_is_neither_reused_nor_cut_again() {
        let forged = Existing { rcs: vec![(1, tag("v1.4.0-rc.1", 'b'))], final_: None, passed_over: vec![2] };
        assert_eq!(rc("1.4.0", &forged, &id('a'), name), Ok(Decision::Create(tag("v1.4.0-rc.3", 'a'))));
        assert_eq!(rc("1.4.0", &forged, &id('b'), name), Ok(Decision::Reuse(tag("v1.4.0-rc.1", 'b'))));
        let only_forged = Existing { passed_over: vec![1], ..Existing::default() };
        assert_eq!(rc("1.4.0", &only_forged, &id('a'), name), Ok(Decision::Create(tag("v1.4.0-rc.2", 'a'))));
        let refusal = final_("1.4.0", &only_forged, "v1.4.0", "qa").expect_err("no rc counts");
        assert!(matches!(refusal, Refusal::NoCandidate { .. }));
    }

    #[test]
    fn rc_refuses_a_released_version() {
        let released = Existing {
            rcs: vec![(1, tag("v1.4.0-rc.1", 'a'))],
            final_: Some(tag("v1.4.0", 'a')),
            passed_over: Vec::new(),
        };
        assert!(matches!(rc("1.4.0", &released, &id('b'), name), Err(Refusal::Released { .. })));
    }

    #[test]
    fn final_takes_the_commit_of_the_highest_rc() {
        let rcs = vec![(2, tag("v1.4.0-rc.2", 'b')), (1, tag("v1.4.0-rc.1", 'a'))];
        let open = Existing { rcs: rcs.clone(), final_: None, passed_over: Vec::new() };
        assert_eq!(final_("1.4.0", &open, "v1.4.0", "qa"), Ok(Decision::Create(tag("v1.4.0", 'b'))));
        let done = Existing { rcs: rcs.clone(), final_: Some(tag("v1.4.0", 'b')), passed_over: Vec::new() };
        assert_eq!(final_("1.4.0", &done, "v1.4.0", "qa"), Ok(Decision::Reuse(tag("v1.4.0", 'b'))));
        let elsewhere = Existing { rcs, final_: Some(tag("v1.4.0", 'a')), passed_over: Vec::new() };
        assert!(matches!(final_("1.4.0", &elsewhere, "v1.4.0", "qa"), Err(Refusal::FinalElsewhere { .. })));
        let refusal = final_("1.4.0", &Existing::default(), "v1.4.0", "qa").expect_err("no rc");
        assert_eq!(refusal.to_string(), "no release candidate for 1.4.0; deploy it to qa first");
    }

    fn repository(name: &str, rcs: &[(u64, char)], commit: char) -> Repository {
        let rcs = rcs.iter().map(|(n, c)| (*n, tag(&format!("v1.4.0-rc.{n}"), *c))).collect();
        Repository {
            name: name.into(),
            existing: Existing { rcs, final_: None, passed_over: Vec::new() },
            commit: Some(id(commit)),
        }
    }

    fn names(decisions: &[Decision]) -> Vec<(bool, String, String)> {
        decisions
            .iter()
            .map(|d| (matches!(d, Decision::Create(_)), d.tag().name.clone(), d.tag().commit.short().to_owned()))
            .collect()
    }

    #[test]
    fn repositories_share_one_rc_number() {
        let fresh = [repository("app", &[], 'a'), repository("api", &[], 'b')];
        let decided = rc_together("1.4.0", &fresh, name).expect("fresh");
        assert_eq!(
            names(&decided),
            [(true, "v1.4.0-rc.1".into(), "aaaaaaa".into()), (true, "v1.4.0-rc.1".into(), "bbbbbbb".into())]
        );
        // The api lags behind at rc.1 while the app reached rc.3: all take rc.4 when anything moved.
        let uneven = [repository("app", &[(3, 'a')], 'c'), repository("api", &[(1, 'b')], 'b')];
        let decided = rc_together("1.4.0", &uneven, name).expect("uneven");
        assert_eq!(
            names(&decided),
            [(true, "v1.4.0-rc.4".into(), "ccccccc".into()), (true, "v1.4.0-rc.4".into(), "bbbbbbb".into())]
        );
    }

    #[test]
    fn a_run_that_pushed_to_some_repositories_is_completed() {
        let half = [repository("app", &[(1, 'a'), (2, 'c')], 'c'), repository("api", &[(1, 'b')], 'b')];
        let decided = rc_together("1.4.0", &half, name).expect("half");
        assert_eq!(
            names(&decided),
            [(false, "v1.4.0-rc.2".into(), "ccccccc".into()), (true, "v1.4.0-rc.2".into(), "bbbbbbb".into())]
        );
        let done = [repository("app", &[(2, 'c')], 'c'), repository("api", &[(2, 'b')], 'b')];
        assert!(rc_together("1.4.0", &done, name).expect("done").iter().all(|d| matches!(d, Decision::Reuse(_))));
        let mut released = done.clone();
        released[1].existing.final_ = Some(tag("v1.4.0", 'b'));
        assert!(matches!(rc_together("1.4.0", &released, name), Err(Refusal::Released { .. })));
    }

    #[test]
    fn final_needs_the_same_rc_everywhere_on_what_was_deployed() {
        let ready = [repository("app", &[(1, 'a'), (2, 'c')], 'c'), repository("api", &[(2, 'b')], 'b')];
        let decided = final_together("1.4.0", &ready, "v1.4.0", "qa").expect("ready");
        assert_eq!(
            names(&decided),
            [(true, "v1.4.0".into(), "ccccccc".into()), (true, "v1.4.0".into(), "bbbbbbb".into())]
        );
        let uneven = [repository("app", &[(2, 'c')], 'c'), repository("api", &[(1, 'b')], 'b')];
        let refusal = final_together("1.4.0", &uneven, "v1.4.0", "qa").expect_err("uneven");
        assert_eq!(
            refusal.to_string(),
            "api has no v1.4.0-rc.2, which app has: every repository of a release needs the same release candidate"
        );
        let elsewhere = [repository("app", &[(2, 'c')], 'c'), repository("api", &[(2, 'b')], 'd')];
        let refusal = final_together("1.4.0", &elsewhere, "v1.4.0", "qa").expect_err("not deployed");
        assert_eq!(refusal.to_string(), "qa deployed ddddddd of api, not v1.4.0-rc.2 (bbbbbbb)");
        let mut never = elsewhere.clone();
        never[1].commit = None;
        let refusal = final_together("1.4.0", &never, "v1.4.0", "qa").expect_err("never deployed");
        assert_eq!(refusal.to_string(), "qa deployed nothing of api, not v1.4.0-rc.2 (bbbbbbb)");
    }
}
