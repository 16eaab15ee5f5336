//! `decide` case by case, and what names alone make guarded.

use super::*;
use crate::config::{Content, parse};

fn file() -> ReleaseFile {
    let text = "version = \"1.0.0\"\n[[environments]]\nname = \"qa\"\ncut = \"rc\"\n\
                [[environments]]\nname = \"prod\"\ncut = \"final\"\nafter = \"qa\"\nrestricted = true\n";
    parse(&Content::Bytes(text.into()), &Origin { place: "test".into(), branch: None }).expect("valid")
}

fn id(c: char) -> ObjectId {
    ObjectId::from_hex(&c.to_string().repeat(40)).expect("hex")
}

/// The facts of pushing `reference` from `old` to `new` (`-` for absent), classified by name.
fn facts(reference: &str, old: char, new: char) -> Facts {
    let absent = |c: char| (c != '-').then(|| id(c));
    let update = Update { reference: reference.into(), old: absent(old), new: absent(new) };
    Facts { guarded: classify(reference, &file()), forward: true, update, ..Facts::default() }
}

fn reason(facts: &Facts) -> String {
    decide(facts).map_or_else(|| "allowed".to_owned(), |refusal| refusal.reason)
}

fn record(environment: &str) -> Record {
    let tags = file().tags;
    Record::read(
        &format!("1.0.0.20261121T101500Z.{environment}"),
        id('a'),
        &format!("Deploy\n\nEnvironment: {environment}\nVersion: 1.0.0\nDeployed-At: 2026-11-21T10:15:00Z\n"),
        &tags,
    )
    .expect("a record")
}

fn verdict(allowed: bool) -> Verdict {
    let finding = crate::gate::Finding {
        check: crate::gate::Check::PreviousDeployed,
        ok: allowed,
        message: "qa has not deployed aaaaaaa".into(),
        hint: Some("deploy it to qa first".into()),
    };
    Verdict {
        allowed,
        target: gate_gather::Target { environment: "prod".into(), branch: "environment/prod".into() },
        source: None,
        head: id('b'),
        deploys: None,
        components: std::collections::BTreeMap::new(),
        findings: vec![finding],
        warnings: Vec::new(),
        edits: Vec::new(),
        approvals: None,
    }
}

#[test]
fn ordinary_references_and_bad_names() {
    assert_eq!(reason(&facts("refs/heads/feature", 'a', 'b')), "allowed");
    assert_eq!(reason(&facts("refs/tags/vendor-drop", 'a', '-')), "allowed");
    let mut bad = facts("refs/tags/../tags/v1.0.0", '-', 'a');
    bad.bad_name = Some("it holds `..`".into());
    assert!(reason(&bad).contains("is not a valid reference name: it holds `..`"));
}

#[test]
fn environment_branches_are_never_deleted_and_only_move_forward() {
    let deleted = facts("refs/heads/environment/prod", 'a', '-');
    assert!(reason(&deleted).contains("environment branches are never deleted"));
    let mut back = facts("refs/heads/environment/prod", 'a', 'b');
    back.forward = false;
    let refusal = decide(&back).expect("refused");
    assert!(refusal.reason.contains("only moves forward"));
    assert_eq!(refusal.details, ["the push would replace aaaaaaa with bbbbbbb, which does not contain it"]);
    let mut broken = facts("refs/heads/environment/qa", 'a', 'b');
    broken.file_problems = vec!["line 1: missing `version`".into()];
    assert!(reason(&broken).contains("release.toml on environment/qa at bbbbbbb is not valid"));
    assert_eq!(reason(&facts("refs/heads/environment/qa", 'a', 'b')), "allowed", "qa is not restricted");
}

#[test]
fn a_restricted_branch_takes_what_its_gate_allows() {
    let mut promoted = facts("refs/heads/environment/prod", 'a', 'b');
    promoted.gate = Some(("prod".into(), verdict(true)));
    assert_eq!(reason(&promoted), "allowed");
    promoted.gate = Some(("prod".into(), verdict(false)));
    let refusal = decide(&promoted).expect("refused");
    assert_eq!(refusal.reason, "environment/prod is restricted, and the merge gate refuses bbbbbbb for prod");
    assert_eq!(refusal.details, ["previous-deployed: qa has not deployed aaaaaaa"]);
    assert_eq!(refusal.hints, ["deploy it to qa first"]);
}

#[test]
fn release_tags_are_never_deleted_or_moved_but_a_look_alike_may_go() {
    assert!(reason(&facts("refs/tags/v1.0.0", 'a', '-')).contains("never deleted"));
    assert!(reason(&facts("refs/tags/v1.0.0-rc.1", 'a', 'b')).contains("never moved"));
    assert_eq!(reason(&facts("refs/tags/v1.0.0-rc.1", 'a', 'a')), "allowed", "pushed again unchanged");
    let mut real = facts("refs/tags/1.0.0.20261121T101500Z.qa", 'a', '-');
    real.record = Some(Ok(record("qa")));
    assert!(reason(&real).contains("never deleted"));
    let mut look_alike = facts("refs/tags/1.0.0.29991231T235959Z.qa", 'a', '-');
    look_alike.record = Some(Err(NotARecord::Message));
    assert_eq!(reason(&look_alike), "allowed");
}

#[test]
fn a_new_release_tag_is_annotated_says_what_its_name_says_and_counts() {
    let lightweight = facts("refs/tags/v1.0.0-rc.1", '-', 'a');
    assert!(reason(&lightweight).contains("is lightweight"));
    let mut annotated = facts("refs/tags/v1.0.0-rc.1", '-', 'a');
    annotated.kind = Some(ObjectKind::Tag);
    assert_eq!(reason(&annotated), "allowed");
    let mut opaque = facts("refs/tags/v2026.11-rc.1", '-', 'a');
    opaque.kind = Some(ObjectKind::Tag);
    assert_eq!(reason(&opaque), "allowed", "an opaque version is cut as a semantic one is");
    let mut wip = facts("refs/tags/vWIP-rc.1", '-', 'a');
    wip.kind = Some(ObjectKind::Tag);
    assert!(reason(&wip).contains("no version tags are cut of `WIP`"), "{}", reason(&wip));
    let mut lying = facts("refs/tags/1.0.0.20261121T101500Z.qa", '-', 'a');
    lying.kind = Some(ObjectKind::Tag);
    lying.record = Some(Err(NotARecord::Commit("b".repeat(40))));
    assert!(reason(&lying).contains("is named like a deployment record, but is none"));
    let mut untrusted = facts("refs/tags/1.0.0.20261121T101500Z.qa", '-', 'a');
    untrusted.kind = Some(ObjectKind::Tag);
    untrusted.record = Some(Ok(record("qa")));
    untrusted.owners = vec!["qa".into()];
    untrusted.untrusted = Some("1.0.0.20261121T101500Z.qa does not count: it is not signed".into());
    let refusal = decide(&untrusted).expect("refused");
    assert_eq!(refusal.reason, "1.0.0.20261121T101500Z.qa does not count: it is not signed");
    assert!(refusal.hints[0].contains("deploy job of their environment (qa)"), "{:?}", refusal.hints);
}

#[test]
fn names_alone_tell_what_is_guarded() {
    let file = file();
    let kind = |reference: &str| match classify(reference, &file) {
        None => "none".to_owned(),
        Some(Guarded::EnvironmentBranch(e)) => format!("branch {}", e.name),
        Some(Guarded::VersionTag { kind, version }) => format!("{} {version}", kind.key()),
        Some(Guarded::Record) => "record".to_owned(),
        Some(Guarded::Approval) => "approval".to_owned(),
    };
    assert_eq!(kind("refs/heads/environment/prod"), "branch prod");
    assert_eq!(kind("refs/heads/main"), "none");
    assert_eq!(kind("refs/heads/environment/prod-hotfix"), "none");
    assert_eq!(kind("refs/tags/v1.0.0-rc.1"), "rc 1.0.0");
    assert_eq!(kind("refs/tags/v1.0.0"), "final 1.0.0");
    assert_eq!(kind("refs/tags/v1.0"), "final 1.0", "guarded, and refused later as no semver");
    assert_eq!(kind("refs/tags/vendor-drop"), "none");
    assert_eq!(kind("refs/tags/1.0.0.20261121T101500Z.qa"), "record");
    assert_eq!(kind("refs/tags/1.0.0.20261121T101500Z.qa+2"), "record");
    assert_eq!(kind("refs/tags/20261121T101500Z_dev_feature-x"), "record");
    assert_eq!(kind("refs/tags/release-notes"), "none");
    assert_eq!(kind("refs/tags/approval/prod/20261121T101500Z"), "approval");
    assert_eq!(kind("refs/tags/approval/prod/20261121T101500Z+2"), "approval");
    assert_eq!(kind("refs/tags/approval/prod/notes"), "none");
    assert_eq!(kind("refs/notes/commits"), "none");
}
