//! Approvals: annotated, signed tags on a commit saying that a person approved it for an
//! environment (`git release approve`), and later tags that take that back (`revoke`); never a
//! deletion. Pure: reading the tags and checking their signatures happen in `app`; this writes
//! and reads messages and counts what they say.

use jiff::Timestamp;
use serde::Serialize;

use crate::config::Tags;
use crate::object_id::ObjectId;
use crate::record::{rfc3339_text, timestamp_text, trailer};
use crate::version::TagValues;

const ENVIRONMENT: &str = "Environment";
const VERSION: &str = "Version";
const COMMIT: &str = "Commit";
const APPROVED_BY: &str = "Approved-By";
const APPROVED_AT: &str = "Approved-At";
const REVOKED_BY: &str = "Revoked-By";
const REVOKED_AT: &str = "Revoked-At";

/// Whether a tag approves or takes an approval back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stance {
    Approve,
    Revoke,
}

/// One approval or revocation, as its tag says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub tag: String,
    pub stance: Stance,
    pub environment: String,
    pub version: String,
    pub commit: ObjectId,
    /// Who made it, as git names the tagger: `Name <email>`. Who it counts for is the key that
    /// signed it.
    pub by: String,
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
    pub reason: Option<String>,
}

impl Approval {
    /// The tag name it takes when no other approval of its second holds it yet.
    #[must_use]
    pub fn base_name(&self, tags: &Tags) -> String {
        let timestamp = timestamp_text(self.at);
        let version =
            crate::version::Version::parse(&self.version).map_or_else(|_| self.version.clone(), |v| v.in_tag());
        let values = TagValues { version: &version, n: 0, timestamp: &timestamp, env: &self.environment, branch: "" };
        tags.approval.render(&values)
    }

    /// The tag message: a subject, the reason, then the facts as trailers.
    #[must_use]
    pub fn message(&self) -> String {
        let verb = match self.stance {
            Stance::Approve => "Approve",
            Stance::Revoke => "Revoke the approval of",
        };
        let mut message = format!("{verb} {} for {}\n\n", self.version, self.environment);
        if let Some(reason) = self.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            // A reason is prose: a line that reads as a trailer would end the message early.
            let prose: Vec<String> = reason.lines().map(|line| line.replace(": ", " - ")).collect();
            message.push_str(&prose.join("\n"));
            message.push_str("\n\n");
        }
        let (by, at) = match self.stance {
            Stance::Approve => (APPROVED_BY, APPROVED_AT),
            Stance::Revoke => (REVOKED_BY, REVOKED_AT),
        };
        let one_line = |value: &str| value.replace(['\r', '\n'], " ");
        for (key, value) in [
            (ENVIRONMENT, self.environment.clone()),
            (VERSION, self.version.clone()),
            (COMMIT, self.commit.as_str().to_owned()),
            (by, self.by.clone()),
            (at, rfc3339_text(self.at)),
        ] {
            message.push_str(&format!("{key}: {}\n", one_line(&value)));
        }
        message
    }

    /// Reads an approval or revocation from its tag: the name, the commit it points to, and its
    /// message. `None` when the tag is none, or says something else than the tag: a `Commit:`
    /// other than the tagged commit, or a name that is not its own (the name its message makes,
    /// or that name and `+N`).
    #[must_use]
    pub fn read(tag: &str, commit: ObjectId, message: &str, tags: &Tags) -> Option<Approval> {
        let (stance, by, at) = match (trailer(message, APPROVED_BY), trailer(message, REVOKED_BY)) {
            (Some(by), None) => (Stance::Approve, by, trailer(message, APPROVED_AT)?),
            (None, Some(by)) => (Stance::Revoke, by, trailer(message, REVOKED_AT)?),
            _ => return None,
        };
        if trailer(message, COMMIT)? != commit.as_str() {
            return None;
        }
        let approval = Approval {
            tag: tag.to_owned(),
            stance,
            environment: trailer(message, ENVIRONMENT)?,
            version: trailer(message, VERSION)?,
            commit,
            by,
            at: at.parse().ok()?,
            reason: reason(message),
        };
        let base = approval.base_name(tags);
        let own = tag == base
            || tag
                .strip_prefix(&base)
                .and_then(|rest| rest.strip_prefix('+'))
                .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 2));
        own.then_some(approval)
    }
}

/// Which of its second's approvals a tag is: 1 for the first, N for `…+N`.
fn sequence(tag: &str) -> u32 {
    tag.rsplit_once('+').and_then(|(_, n)| n.parse().ok()).unwrap_or(1)
}

/// The paragraphs between the subject and the trailers.
fn reason(message: &str) -> Option<String> {
    let paragraphs: Vec<&str> = message.trim_end().split("\n\n").collect();
    (paragraphs.len() > 2).then(|| paragraphs[1..paragraphs.len() - 1].join("\n\n"))
}

fn rfc3339<S: serde::Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339_text(*time))
}

/// An approval or revocation as the gate weighs it: by whom it counts (the listed key that
/// signed it, as people read it), or why it does not count.
#[derive(Debug, Clone)]
pub struct Judged {
    pub approval: Approval,
    pub counts_for: Result<String, String>,
}

impl Judged {
    /// As the gate weighs it at `horizon` ([`crate::clock::horizon`]): a word dated later counts
    /// for no one yet, whoever signed it.
    #[must_use]
    pub fn as_of(mut self, horizon: Timestamp) -> Judged {
        if self.counts_for.is_ok() && self.approval.at > horizon {
            self.counts_for = Err(format!("it is dated {}, ahead of the clock", rfc3339_text(self.approval.at)));
        }
        self
    }
}

/// An approver's latest word on a commit: the key it counts for, and the tag that says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Word {
    pub key: String,
    pub tag: String,
}

/// What the approvals of one environment on one commit add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// One per approver whose latest word on the commit is an approval: the key, and the tag.
    pub approved: Vec<Word>,
    /// Approvers whose latest word is a revocation: the key, and the revoking tag.
    pub revoked: Vec<Word>,
    /// Tags that do not count, each with why.
    pub ignored: Vec<String>,
}

/// Counts distinct approvers of `commit` for `environment`: each key once, by its latest word
/// (an approval, or a revocation that takes its approvals back); an approval of another
/// commit or environment, or one no listed key signed, does not count.
#[must_use]
pub fn tally(environment: &str, commit: &ObjectId, judged: &[Judged], horizon: Timestamp) -> Tally {
    let mut tally = Tally::default();
    let mut latest: Vec<(&str, &Approval)> = Vec::new();
    for entry in judged {
        let approval = &entry.approval;
        if approval.environment != environment || &approval.commit != commit {
            continue;
        }
        let key = match &entry.counts_for {
            Ok(key) => key.as_str(),
            Err(why) => {
                tally.ignored.push(format!("{}: {why}", approval.tag));
                continue;
            }
        };
        // A word dated ahead of the clock would outrank every later one: none counts yet.
        if approval.at > horizon {
            tally.ignored.push(format!(
                "{}: it is dated {}, ahead of the clock",
                approval.tag,
                rfc3339_text(approval.at)
            ));
            continue;
        }
        // Later wins; within one second, the later name (`+2` after the first, `+10` after `+9`).
        let rank = |a: &Approval| (a.at, sequence(&a.tag));
        match latest.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) if rank(slot.1) < rank(approval) => slot.1 = approval,
            Some(_) => {}
            None => latest.push((key, approval)),
        }
    }
    for (key, approval) in latest {
        let entry = Word { key: key.to_owned(), tag: approval.tag.clone() };
        match approval.stance {
            Stance::Approve => tally.approved.push(entry),
            Stance::Revoke => tally.revoked.push(entry),
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_hex(&format!("{n:02x}").repeat(20)).expect("hex")
    }

    fn approval(stance: Stance, commit: u8, second: i64) -> Approval {
        Approval {
            tag: format!("approval/prod/{second}"),
            stance,
            environment: "prod".into(),
            version: "1.4.0".into(),
            commit: id(commit),
            by: "Ann <ann@example.com>".into(),
            at: Timestamp::from_second(1_800_000_000 + second).expect("time"),
            reason: None,
        }
    }

    fn far() -> Timestamp {
        Timestamp::from_second(1_900_000_000).expect("time")
    }

    fn judged(approval: Approval, key: &str) -> Judged {
        Judged { approval, counts_for: Ok(key.into()) }
    }

    #[test]
    fn a_message_reads_back_as_itself_under_its_own_name_only() {
        let tags = Tags::defaults();
        let mut made = approval(Stance::Approve, 1, 0);
        made.reason = Some("Checked the release notes.\nTicket: OPS-1".into());
        made.tag = made.base_name(&tags);
        assert_eq!(made.tag, "approval/prod/20270115T080000Z");
        let message = made.message();
        let read = Approval::read(&made.tag, id(1), &message, &tags).expect("an approval");
        assert_eq!(read.reason.as_deref(), Some("Checked the release notes.\nTicket - OPS-1"));
        assert_eq!(Approval { reason: made.reason.clone(), ..read.clone() }, made);
        assert!(Approval::read(&format!("{}+2", made.tag), id(1), &message, &tags).is_some());
        assert!(Approval::read("approval/prod/20270115T080001Z", id(1), &message, &tags).is_none(), "another second");
        assert!(Approval::read(&made.tag, id(2), &message, &tags).is_none(), "moved to another commit");
        let revoked = Approval { stance: Stance::Revoke, ..made.clone() };
        assert_eq!(Approval::read(&made.tag, id(1), &revoked.message(), &tags).map(|a| a.stance), Some(Stance::Revoke));
    }

    #[test]
    fn a_duplicate_approval_by_one_person_counts_once() {
        let both = [judged(approval(Stance::Approve, 1, 0), "ann"), judged(approval(Stance::Approve, 1, 5), "ann")];
        assert_eq!(tally("prod", &id(1), &both, far()).approved.len(), 1);
    }

    #[test]
    fn a_revoked_approval_counts_no_more_until_approved_again() {
        let mut words = vec![
            judged(approval(Stance::Approve, 1, 0), "ann"),
            judged(approval(Stance::Revoke, 1, 10), "ann"),
            judged(approval(Stance::Approve, 1, 1), "bob"),
        ];
        let counted = tally("prod", &id(1), &words, far());
        assert_eq!(counted.approved, [Word { key: "bob".into(), tag: "approval/prod/1".into() }]);
        assert_eq!(counted.revoked, [Word { key: "ann".into(), tag: "approval/prod/10".into() }]);
        words.push(judged(approval(Stance::Approve, 1, 20), "ann"));
        assert_eq!(tally("prod", &id(1), &words, far()).approved.len(), 2);
    }

    #[test]
    fn within_one_second_the_later_name_decides() {
        let named = |stance, tag: &str| {
            let mut approval = approval(stance, 1, 0);
            approval.tag = tag.into();
            judged(approval, "bob")
        };
        let words: Vec<Judged> = [(Stance::Approve, "a"), (Stance::Revoke, "a+2"), (Stance::Approve, "a+3")]
            .into_iter()
            .map(|(stance, tag)| named(stance, tag))
            .collect();
        assert_eq!(tally("prod", &id(1), &words, far()).approved.len(), 1, "approved again after the revocation");
        let tens: Vec<Judged> = [(Stance::Approve, "a+9"), (Stance::Revoke, "a+10")]
            .into_iter()
            .map(|(stance, tag)| named(stance, tag))
            .collect();
        assert_eq!(tally("prod", &id(1), &tens, far()).revoked.len(), 1, "+10 comes after +9");
    }

    #[test]
    fn an_approval_dated_ahead_of_the_clock_does_not_count() {
        let ahead = [judged(approval(Stance::Approve, 1, 100), "ann")];
        let now = Timestamp::from_second(1_800_000_050).expect("time");
        let counted = tally("prod", &id(1), &ahead, now);
        assert!(counted.approved.is_empty());
        assert!(counted.ignored[0].contains("ahead of the clock"), "{:?}", counted.ignored);
    }

    #[test]
    fn an_approval_of_another_commit_or_by_an_untrusted_key_does_not_count() {
        let words = [
            judged(approval(Stance::Approve, 2, 0), "ann"),
            Judged {
                approval: approval(Stance::Approve, 1, 1),
                counts_for: Err("signed by a key no one lists".into()),
            },
        ];
        let counted = tally("prod", &id(1), &words, far());
        assert!(counted.approved.is_empty());
        assert_eq!(counted.ignored, ["approval/prod/1: signed by a key no one lists"]);
    }
}
