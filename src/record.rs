//! Deployment records: annotated tags on deployed commits, whose messages carry the facts as
//! trailers. Pure: naming, the message format and ordering; no git here.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::config::Tags;
use crate::object_id::ObjectId;
use crate::refname;
use crate::version::{Known, TagValues, Version, WIP};

/// The facts of one deployment: what a record says, or will say once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub environment: String,
    pub version: String,
    /// The deployed commit: the commit the record's tag points to.
    pub commit: ObjectId,
    /// The environment branch commit in the release repository that asked for this deployment.
    pub release_commit: Option<ObjectId>,
    pub pipeline: Option<String>,
    pub deployed_by: Option<String>,
    /// The branch the deployed commit came from, when known.
    pub branch: Option<String>,
    /// The rc or final tag deployed, when there is one.
    pub version_tag: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub time: Timestamp,
    /// The record of the deployment this one rolled back, for a rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    /// For an application of several repositories, the commit deployed from each (`app` is the
    /// umbrella); the same in the record of every repository.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub components: BTreeMap<String, ObjectId>,
}

/// A deployment recorded under a tag name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The tag name, without `refs/tags/`.
    pub tag: String,
    #[serde(flatten)]
    pub deployment: Deployment,
    /// Which of the records of one name and second this is: 1, then `+2`, `+3`...
    #[serde(skip)]
    pub sequence: u32,
}

const ENVIRONMENT: &str = "Environment";
const VERSION: &str = "Version";
const COMMIT: &str = "Commit";
const RELEASE_COMMIT: &str = "Release-Commit";
const PIPELINE: &str = "Pipeline";
const DEPLOYED_BY: &str = "Deployed-By";
const DEPLOYED_AT: &str = "Deployed-At";
const BRANCH: &str = "Branch";
const TAG: &str = "Tag";
const COMPONENT: &str = "Component";
const ROLLBACK_OF: &str = "Rollback-Of";
/// The trailer of an environment branch commit that sets the environment back to an earlier
/// record of its own (`git release rollback`): its value is that record's tag.
pub const ROLLBACK_TO: &str = "Rollback-To";

impl Deployment {
    /// The tag name the record takes when no other deployment holds it yet.
    #[must_use]
    pub fn base_name(&self, tags: &Tags) -> String {
        base_name(tags, &self.version, &self.environment, self.branch.as_deref(), self.time)
    }

    /// The tag message: a subject, then the facts as trailers.
    #[must_use]
    pub fn message(&self) -> String {
        let mut message = format!("Deploy {} to {}\n\n", self.version, self.environment);
        let mut trailer = |key: &str, value: &str| message.push_str(&format!("{key}: {}\n", one_line(value)));
        trailer(ENVIRONMENT, &self.environment);
        trailer(VERSION, &self.version);
        trailer(COMMIT, self.commit.as_str());
        if let Some(id) = &self.release_commit {
            trailer(RELEASE_COMMIT, id.as_str());
        }
        if let Some(tag) = &self.version_tag {
            trailer(TAG, tag);
        }
        if let Some(branch) = &self.branch {
            trailer(BRANCH, branch);
        }
        if let Some(of) = &self.rollback_of {
            trailer(ROLLBACK_OF, of);
        }
        if let Some(pipeline) = &self.pipeline {
            trailer(PIPELINE, pipeline);
        }
        if let Some(by) = &self.deployed_by {
            trailer(DEPLOYED_BY, by);
        }
        trailer(DEPLOYED_AT, &rfc3339_text(self.time));
        for (name, commit) in &self.components {
            trailer(COMPONENT, &format!("{name} {commit}"));
        }
        message
    }

    /// Whether `record` is this very deployment, recorded before: same environment, commit,
    /// version and pipeline, and the same deployment undone for a rollback. A new version deployed
    /// on the commit an older one ran is a new deployment, and so is a rollback to it.
    #[must_use]
    pub fn is_recorded_by(&self, record: &Record) -> bool {
        let pipeline = self.pipeline.as_deref().map(one_line);
        let recorded = &record.deployment;
        recorded.environment == self.environment
            && recorded.commit == self.commit
            && recorded.version == self.version
            && recorded.pipeline == pipeline
            && recorded.rollback_of == self.rollback_of
    }

    /// The record this deployment becomes under a tag name.
    #[must_use]
    pub fn into_record(self, tag: String, sequence: u32) -> Record {
        Record { tag, deployment: self, sequence }
    }
}

impl Record {
    /// Reads a record from its tag: the name, the commit it points to and its message.
    ///
    /// `None` when the tag is no record: its message is not a record's, or it says something
    /// else than the tag: a name other than the one the message computes (environment, version,
    /// branch, second, and `+N` for the Nth record of a second), or a `Commit:` that is not the
    /// tagged commit.
    #[must_use]
    pub fn parse(tag: &str, commit: ObjectId, message: &str, tags: &Tags) -> Option<Record> {
        Record::read(tag, commit, message, tags).ok()
    }

    /// As [`Record::read`], and no record either when its time lies after `horizon`
    /// ([`crate::clock::horizon`]): a tag dated in the future never becomes the latest deployment.
    ///
    /// # Errors
    /// Why the tag is no record.
    pub fn read_until(
        tag: &str,
        commit: ObjectId,
        message: &str,
        tags: &Tags,
        horizon: Timestamp,
    ) -> Result<Record, NotARecord> {
        let record = Record::read(tag, commit, message, tags)?;
        if record.deployment.time > horizon {
            return Err(NotARecord::Future(record.deployment.time));
        }
        Ok(record)
    }

    /// As [`Record::parse`], saying why a tag is no record.
    ///
    /// # Errors
    /// When the tag is no record, and why.
    pub fn read(tag: &str, commit: ObjectId, message: &str, tags: &Tags) -> Result<Record, NotARecord> {
        let trailers = trailers(message);
        // A fact said twice says two things; only components come one to a line.
        let said = [
            ENVIRONMENT,
            VERSION,
            COMMIT,
            RELEASE_COMMIT,
            TAG,
            BRANCH,
            PIPELINE,
            DEPLOYED_BY,
            DEPLOYED_AT,
            ROLLBACK_OF,
        ];
        if let Some(twice) = said.iter().find(|key| trailers.iter().filter(|(k, _)| k == *key).count() > 1) {
            return Err(NotARecord::Twice(twice));
        }
        let get = |key: &str| trailers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let (Some(environment), Some(version), Some(time)) =
            (get(ENVIRONMENT), get(VERSION), get(DEPLOYED_AT).and_then(|t| t.parse::<Timestamp>().ok()))
        else {
            return Err(NotARecord::Message);
        };
        let branch = get(BRANCH);
        if let Some(named) = get(COMMIT).filter(|named| ObjectId::from_hex(named).as_ref() != Some(&commit)) {
            return Err(NotARecord::Commit(named));
        }
        let base = base_name(tags, &version, &environment, branch.as_deref(), time);
        let sequence = sequence_of(tag, &base).ok_or(NotARecord::Name(base.clone()))?;
        let deployment = Deployment {
            environment,
            version,
            commit,
            release_commit: get(RELEASE_COMMIT).and_then(|id| ObjectId::from_hex(&id)),
            pipeline: get(PIPELINE),
            deployed_by: get(DEPLOYED_BY),
            branch,
            version_tag: get(TAG),
            time,
            rollback_of: get(ROLLBACK_OF),
            components: trailers
                .iter()
                .filter(|(key, _)| key == COMPONENT)
                .filter_map(|(_, value)| {
                    let (name, commit) = value.split_once(' ')?;
                    Some((name.to_owned(), ObjectId::from_hex(commit)?))
                })
                .collect(),
        };
        Ok(Record { tag: tag.to_owned(), deployment, sequence })
    }

    /// Newest first: by the time in the record, then by the order of records in one second.
    #[must_use]
    pub fn newest_first(a: &Record, b: &Record) -> Ordering {
        (b.deployment.time, b.sequence, &b.tag).cmp(&(a.deployment.time, a.sequence, &a.tag))
    }
}

/// Why a tag named like a record is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotARecord {
    /// Its message lacks the environment, the version or a readable time.
    Message,
    /// Its message computes this name (with `+N` for the Nth of a second), not the tag's.
    Name(String),
    /// Its `Commit:` names this, not the tagged commit.
    Commit(String),
    /// Its message says this trailer more than once.
    Twice(&'static str),
    /// Its time lies after the clock allows for, by more than the skew between two clocks.
    Future(Timestamp),
    /// Its tag object was made under this other name and pushed under this one.
    Renamed(String),
    /// Its `Tag:` names a version tag that is not on its commit: where that tag stands, if
    /// anywhere.
    VersionTag { tag: String, on: Option<String> },
}

impl std::fmt::Display for NotARecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotARecord::Message => f.write_str("its message is not a deployment record's"),
            NotARecord::Name(base) => write!(f, "its message makes it {base} (or {base}+N), not this name"),
            NotARecord::Commit(named) => write!(f, "its message says Commit: {named}, not the tagged commit"),
            NotARecord::Twice(key) => write!(f, "its message says {key}: more than once"),
            NotARecord::Renamed(name) => write!(f, "its tag object is {name}, pushed again under another name"),
            NotARecord::VersionTag { tag, on: Some(on) } => {
                write!(f, "its message says Tag: {tag}, which stands on {on}, not on the tagged commit")
            }
            NotARecord::VersionTag { tag, on: None } => write!(f, "its message says Tag: {tag}, which does not exist"),
            NotARecord::Future(time) => {
                write!(f, "its time {} lies in the future, later than the clock allows for", display_time(*time))
            }
        }
    }
}

/// The name of the `sequence`th record of one base name: `base`, `base+2`, `base+3`...
#[must_use]
pub fn numbered(base: &str, sequence: u32) -> String {
    if sequence <= 1 { base.to_owned() } else { format!("{base}+{sequence}") }
}

/// What a tag name alone says of a possible record: its environment and second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub tag: String,
    pub environment: String,
    pub timestamp: String,
}

/// Whether a tag name could be a record, and of which environment and second.
///
/// Names are only a first filter: the message decides, so a look-alike tag is never taken for one.
#[must_use]
pub fn candidate(tag: &str, tags: &Tags, environment: Option<&str>) -> Option<Candidate> {
    let (environment, timestamp) = candidate_in(tag, tags, environment)?;
    Some(Candidate { tag: tag.to_owned(), environment: environment.to_owned(), timestamp: timestamp.to_owned() })
}

/// As [`candidate`], borrowing the environment and second from the name: `(environment, timestamp)`.
#[must_use]
pub fn candidate_in<'a>(tag: &'a str, tags: &Tags, environment: Option<&str>) -> Option<(&'a str, &'a str)> {
    let known = Known { version: None, env: environment };
    let matched = |name: &'a str| {
        let matched = tags.deploy.matches_in(name, known).or_else(|| tags.deploy_wip.matches_in(name, known))?;
        Some((matched.env.unwrap_or_default(), matched.timestamp.unwrap_or_default()))
    };
    // Most names are their own base; only the others pay for the search for `+`.
    matched(tag).or_else(|| {
        let (base, n) = tag.rsplit_once('+')?;
        if is_number(n) { matched(base) } else { None }
    })
}

/// Whether a `YYYYMMDDTHHMMSSZ` names a second that exists: month 01–12, a day the month can
/// have, hour 00–23, minute and second 00–59. A name that says otherwise is no record, whatever
/// its object holds, and is passed over without reading it.
#[must_use]
pub fn possible_second(timestamp: &str) -> bool {
    let digits = |range: std::ops::Range<usize>| timestamp.get(range).and_then(|d| d.parse::<u16>().ok());
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (digits(0..4), digits(4..6), digits(6..8), digits(9..11), digits(11..13), digits(13..15))
    else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

/// `YYYYMMDDTHHMMSSZ`, the form `{timestamp}` takes in tag names.
#[must_use]
pub fn timestamp_text(time: Timestamp) -> String {
    time.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// `2026-11-21T10:15:00Z`, with the fraction of a second when there is one: the record's time.
#[must_use]
pub fn rfc3339_text(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}

/// `2026-11-21T10:15:00Z`, to the second: the time as tables show it.
#[must_use]
pub fn display_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The `{branch}` of a record's name when the deployed commit came from no branch.
pub const DETACHED: &str = "detached";

fn base_name(tags: &Tags, version: &str, environment: &str, branch: Option<&str>, time: Timestamp) -> String {
    let timestamp = timestamp_text(time);
    // A commit deployed from no branch (a preview pinned to a commit) is named as git calls it:
    // an empty part would make a name its own pattern cannot read back.
    let branch = refname::tag_safe(branch.filter(|b| !b.is_empty()).unwrap_or(DETACHED));
    let in_tag = Version::parse(version).map_or_else(|_| version.to_owned(), |v| v.in_tag());
    let values = TagValues { version: &in_tag, n: 0, timestamp: &timestamp, env: environment, branch: &branch };
    if version == WIP { tags.deploy_wip.render(&values) } else { tags.deploy.render(&values) }
}

/// Which record of its second `tag` is, when it is `base` (the first) or `base+N` (N from 2);
/// `None` for any other name.
fn sequence_of(tag: &str, base: &str) -> Option<u32> {
    let rest = tag.strip_prefix(base)?;
    if rest.is_empty() {
        return Some(1);
    }
    let n = rest.strip_prefix('+').filter(|n| is_number(n))?;
    n.parse().ok().filter(|n| *n >= 2)
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() < 10 && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0')
}

/// A trailer value on one line, whatever it was given.
fn one_line(value: &str) -> String {
    value.split(['\n', '\r']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The record a commit message asks to roll back to: its `Rollback-To:` trailer.
#[must_use]
pub fn rollback_to(message: &str) -> Option<String> {
    trailer(message, ROLLBACK_TO)
}

/// The value of the one `key` trailer of a message; `None` when it has none, or several.
#[must_use]
pub fn trailer(message: &str, key: &str) -> Option<String> {
    let trailers = trailers(message);
    let mut values = trailers.iter().filter(|(k, _)| k == key).map(|(_, value)| value.clone());
    match (values.next(), values.next()) {
        (Some(value), None) => Some(value),
        _ => None,
    }
}

/// The `Key: value` lines of a message's last paragraph.
fn trailers(message: &str) -> Vec<(String, String)> {
    let body = message.replace("\r\n", "\n");
    let last = body.trim_end().rsplit("\n\n").next().unwrap_or_default().to_owned();
    last.lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

fn rfc3339<S: serde::Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339_text(*time))
}

/// ` (api 1a2b3c4, web 5d6e7f8)`: each component's commit beside the umbrella's.
#[must_use]
pub fn parts_shown(components: &BTreeMap<String, ObjectId>) -> String {
    let shown: Vec<String> = components
        .iter()
        .filter(|(name, _)| name.as_str() != crate::config::UMBRELLA)
        .map(|(name, commit)| format!("{name} {}", commit.short()))
        .collect();
    if shown.is_empty() { String::new() } else { format!(" ({})", shown.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_seconds_that_exist_can_name_records() {
        for real in ["20261121T101500Z", "20240229T235959Z", "20000229T000000Z", "20261231T000000Z"] {
            assert!(possible_second(real), "{real}");
        }
        for never in
            ["20261321T101500Z", "20261100T101500Z", "20230229T101500Z", "21000229T000000Z", "20261131T000000Z"]
        {
            assert!(!possible_second(never), "{never}");
        }
        for never in ["20261121T241500Z", "20261121T106000Z", "20261121T101560Z", "2026112xT101500Z", ""] {
            assert!(!possible_second(never), "{never}");
        }
    }

    fn tags() -> Tags {
        Tags::defaults()
    }

    fn draft(version: &str, branch: Option<&str>) -> Deployment {
        Deployment {
            environment: "qa".into(),
            version: version.into(),
            commit: ObjectId::from_hex(&"a".repeat(40)).expect("hex"),
            release_commit: Some(ObjectId::from_hex(&"b".repeat(40)).expect("hex")),
            pipeline: Some("https://ci.example.com/runs/7\nInjected: yes".into()),
            deployed_by: Some("Rel Easer <rel@example.com>".into()),
            branch: branch.map(str::to_owned),
            version_tag: Some("v1.4.0-rc.2".into()),
            time: "2026-11-21T10:15:00Z".parse().expect("a time"),
            rollback_of: None,
            components: BTreeMap::new(),
        }
    }

    #[test]
    fn times_keep_their_fraction_only_where_they_have_one() {
        let whole: Timestamp = "2026-11-21T10:15:00Z".parse().expect("a time");
        let fraction: Timestamp = "2026-11-21T10:15:00.25Z".parse().expect("a time");
        assert_eq!(rfc3339_text(whole), "2026-11-21T10:15:00Z");
        assert_eq!(rfc3339_text(fraction), "2026-11-21T10:15:00.25Z");
        assert_eq!(display_time(fraction), "2026-11-21T10:15:00Z");
        assert_eq!(timestamp_text(fraction), "20261121T101500Z");
    }

    #[test]
    fn names_follow_the_patterns() {
        assert_eq!(draft("1.4.0", None).base_name(&tags()), "1.4.0.20261121T101500Z.qa");
        assert_eq!(draft(WIP, Some("feature/x")).base_name(&tags()), "20261121T101500Z_qa_feature-x");
        // Found by an independent pass: a preview pinned to a commit deploys from no branch, and
        // its record was named `…_qa_`, which the pattern could not read back, so `log` never
        // showed it.
        let detached = draft(WIP, None);
        assert_eq!(detached.base_name(&tags()), "20261121T101500Z_qa_detached");
        let read = Record::parse("20261121T101500Z_qa_detached", detached.commit.clone(), &detached.message(), &tags());
        assert!(read.is_some_and(|record| record.deployment.branch.is_none()));
        assert_eq!(numbered("1.4.0.20261121T101500Z.qa", 1), "1.4.0.20261121T101500Z.qa");
        assert_eq!(numbered("1.4.0.20261121T101500Z.qa", 3), "1.4.0.20261121T101500Z.qa+3");
        assert_eq!(crate::refname::tag_safe("feature/x y"), "feature-x-y");
    }

    #[test]
    fn a_record_reads_back_what_was_written() {
        let draft = draft("1.4.0", None);
        let message = draft.message();
        assert!(message.contains("Pipeline: https://ci.example.com/runs/7 Injected: yes\n"), "{message}");
        let record =
            Record::parse("1.4.0.20261121T101500Z.qa+2", draft.commit.clone(), &message, &tags()).expect("a record");
        assert!(draft.is_recorded_by(&record));
        assert_eq!(record.sequence, 2);
        assert_eq!(record.deployment.version_tag.as_deref(), Some("v1.4.0-rc.2"));
        assert_eq!(record.deployment.release_commit, draft.release_commit);
        assert_eq!(Record::parse("x", draft.commit, "just a tag\n", &tags()), None);
    }

    #[test]
    fn a_tag_that_says_something_else_than_its_message_is_no_record() {
        let draft = draft("1.4.0", None);
        let (message, commit) = (draft.message(), draft.commit.clone());
        let parse = |tag: &str| Record::parse(tag, commit.clone(), &message, &tags());
        assert!(parse("1.4.0.20261121T101500Z.qa").is_some());
        assert!(parse("1.4.0.20261121T101500Z.qa+3").is_some());
        for other in [
            "1.4.0.99991231T235959Z.qa",
            "1.4.0.20261121T101501Z.qa",
            "1.4.0.20261121T101500Z.stage",
            "1.4.1.20261121T101500Z.qa",
            "1.4.0.20261121T101500Z.qa+1",
            "1.4.0.20261121T101500Z.qa+02",
            "1.4.0.20261121T101500Z.qa+x",
            "1.4.0.20261121T101500Z.qa2",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
        let elsewhere = ObjectId::from_hex(&"b".repeat(40)).expect("hex");
        assert_eq!(Record::parse("1.4.0.20261121T101500Z.qa", elsewhere, &message, &tags()), None, "Commit: lies");
        let without = message.lines().filter(|l| !l.starts_with("Commit: ")).collect::<Vec<_>>().join("\n");
        assert!(Record::parse("1.4.0.20261121T101500Z.qa", commit.clone(), &without, &tags()).is_some());
        let twice = format!("{message}Commit: {}\n", "b".repeat(40));
        assert_eq!(
            Record::read("1.4.0.20261121T101500Z.qa", commit.clone(), &twice, &tags()),
            Err(NotARecord::Twice("Commit"))
        );
    }

    #[test]
    fn newer_records_and_later_numbers_come_first() {
        let at = |tag: &str, time: &str| {
            let mut draft = draft("1.4.0", None);
            draft.time = time.parse().expect("a time");
            Record::parse(tag, draft.commit.clone(), &draft.message(), &tags()).expect("a record")
        };
        let mut records = [
            at("1.4.0.20261121T101500Z.qa", "2026-11-21T10:15:00Z"),
            at("1.4.0.20261121T101500Z.qa+10", "2026-11-21T10:15:00Z"),
            at("1.4.0.20261121T101500Z.qa+2", "2026-11-21T10:15:00Z"),
            at("1.4.0.20261122T000000Z.qa", "2026-11-22T00:00:00Z"),
        ];
        records.sort_by(Record::newest_first);
        let order: Vec<&str> = records.iter().map(|r| r.tag.as_str()).collect();
        assert_eq!(
            order,
            [
                "1.4.0.20261122T000000Z.qa",
                "1.4.0.20261121T101500Z.qa+10",
                "1.4.0.20261121T101500Z.qa+2",
                "1.4.0.20261121T101500Z.qa"
            ]
        );
    }

    #[test]
    fn candidates_are_found_by_name() {
        let tags = tags();
        let found = candidate("1.4.0.20261121T101500Z.qa+2", &tags, None).expect("a candidate");
        assert_eq!((found.environment.as_str(), found.timestamp.as_str()), ("qa", "20261121T101500Z"));
        assert!(candidate("20261121T101500Z_dev_feature-x", &tags, Some("dev")).is_some());
        assert!(candidate("20261121T101500Z_dev_feature-x", &tags, Some("qa")).is_none());
        assert!(candidate("v1.4.0-rc.1", &tags, None).is_none());
    }
}
