//! What the fuzz targets in `fuzz/` run: each reads hostile bytes the way the tool meets them
//! and checks the properties that must hold whatever they are. A broken property panics, which
//! the fuzzer reports as a crash. The integration tests replay every committed corpus file
//! through the same functions, so a case the fuzzer once found stays fixed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::ci::System;
use crate::config::{self, Content, Origin, ReleaseFile};
use crate::forge::Kind;
use crate::guard::{self, Guarded};
use crate::guard::{HookName, parse_updates};
use crate::object_id::ObjectId;
use crate::preview::{self, Request};
use crate::record::{Deployment, Record};
use crate::refname;
use crate::version::pin::{Pin, Target};
use crate::version::{Known, PatternKind, TagPattern, TagValues, Version};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn origin() -> Origin {
    Origin { place: "fuzz".into(), branch: None }
}

/// A release file: parsing never panics, and a file that parses names every deployment with a
/// tag git accepts, whose record reads back as the deployment it was made from. Setting a new
/// version changes the version and nothing else.
pub fn release_file(data: &[u8]) {
    let Ok(file) = config::parse(&Content::Bytes(data.to_vec()), &origin()) else { return };
    let commit = ObjectId::from_hex(COMMIT).expect("a valid id");
    let time = "2026-11-21T10:15:00Z".parse().expect("a valid time");
    for environment in &file.environments {
        let deployment = Deployment {
            environment: environment.name.clone(),
            version: file.version.to_string(),
            commit: commit.clone(),
            release_commit: Some(commit.clone()),
            pipeline: Some("https://ci.example.com/run/1".into()),
            deployed_by: Some("someone".into()),
            branch: Some("feature/x".into()),
            version_tag: None,
            time,
            rollback_of: None,
            components: BTreeMap::from([("app".to_owned(), commit.clone())]),
        };
        let name = deployment.base_name(&file.tags);
        assert_eq!(refname::check_short(&name), Ok(()), "record name {name:?}");
        let record = Record::parse(&name, commit.clone(), &deployment.message(), &file.tags);
        let record = record.unwrap_or_else(|| panic!("the record {name:?} reads back"));
        assert_eq!(record.deployment, deployment, "record {name:?}");
        assert_eq!(record.sequence, 1, "record {name:?}");
        assert_eq!(refname::check_short(&environment.branch), Ok(()), "branch {:?}", environment.branch);
    }
    if let (Ok(text), Version::Semver(_)) = (std::str::from_utf8(data), &file.version) {
        let edited = config::edit::set_version(text, "9.9.9").expect("a parsed file has a version to set");
        let reparsed = config::parse(&Content::Bytes(edited.into_bytes()), &origin());
        let reparsed = reparsed.unwrap_or_else(|e| panic!("the file with a new version parses: {e}"));
        assert_eq!(reparsed.version.to_string(), "9.9.9");
        assert_eq!(reparsed.environments, file.environments);
    }
}

/// Lines: a tag pattern, a tag name, a version. A version that parses reads back as itself;
/// a pattern that parses yields valid tags, reads its own tags back, and starts them with its
/// prefix; matching any tag never panics.
pub fn versions_and_patterns(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let (pattern, tag, version) =
        (lines.next().unwrap_or_default(), lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    if let Ok(parsed) = Version::parse(version) {
        assert_eq!(Version::parse(&parsed.to_string()).as_ref(), Ok(&parsed), "{version:?}");
        assert!(!parsed.in_tag().is_empty(), "{version:?}");
    }
    for kind in
        [PatternKind::Rc, PatternKind::Final, PatternKind::Deploy, PatternKind::DeployWip, PatternKind::Approval]
    {
        let Ok(pattern) = TagPattern::parse(kind, pattern) else { continue };
        let _ = pattern.matches(tag, Known::default());
        let rendered = pattern.render(&TagValues::SAMPLE);
        assert_eq!(refname::check_short(&rendered), Ok(()), "{pattern:?} renders {rendered:?}");
        assert!(pattern.matches(&rendered, Known::default()).is_some(), "{pattern:?} reads {rendered:?} back");
        let known = Known { version: Some(TagValues::SAMPLE.version), env: Some(TagValues::SAMPLE.env) };
        let prefix = pattern.prefix(known);
        assert!(rendered.starts_with(&prefix), "{rendered:?} starts with {prefix:?}");
    }
}

/// A reference as `preview create` and a pinned version take it. Whatever parses points git at
/// a web address or a `[forge] git-url`, never at something git could read as an option, and
/// at a reference name git accepts.
pub fn references(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Version::parse(text);
    if let Some(pin) = Pin::parse(text) {
        assert_eq!(pin.text, text);
        check_pin(&pin);
    }
    let Some(request) = Request::parse(text) else { return };
    check_pin(&request.pin);
    let forges = std::iter::once(None).chain(Kind::ALL.map(Some));
    for forge in forges {
        for template in [None, Some("https://git.example.com/{repository}.git")] {
            if let Ok(url) = preview::git_url(&request, template, forge) {
                assert!(!url.starts_with('-') && !url.is_empty(), "{text:?} gives the URL {url:?}");
            }
        }
        if let Ok(Some(reference)) = preview::git_ref(&request, forge) {
            assert_eq!(refname::check_full(&reference), Ok(()), "{text:?} gives {reference:?}");
        }
    }
}

fn check_pin(pin: &Pin) {
    match &pin.target {
        Target::Branch(branch) => assert_eq!(refname::check_short(branch), Ok(()), "{pin:?}"),
        Target::Commit(id) => assert!((7..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())),
        Target::PullRequest(number) => assert!(*number > 0, "{pin:?}"),
    }
    if let Some(url) = &pin.url {
        let address = ["https://", "http://", "file:///"].iter().any(|scheme| url.starts_with(scheme));
        assert!(address, "{pin:?}");
        assert!(!url.contains(char::is_whitespace), "{pin:?}");
    }
}

fn hook_file() -> &'static ReleaseFile {
    static FILE: OnceLock<ReleaseFile> = OnceLock::new();
    FILE.get_or_init(|| {
        let text = "version = \"1.0.0\"\n[[environments]]\nname = \"qa\"\ncut = \"rc\"\n\
                    [[environments]]\nname = \"prod\"\ncut = \"final\"\nafter = \"qa\"\nrestricted = true\n";
        config::parse(&Content::Bytes(text.into()), &origin()).expect("the hook file is valid")
    })
}

/// What git hands pre-push and pre-receive on stdin. Every line read names one reference,
/// which is classified without panicking; a name git would refuse is always the hook's concern.
pub fn hook_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let file = hook_file();
    for hook in [HookName::PrePush, HookName::PreReceive] {
        let Ok(updates) = parse_updates(hook, &text) else { continue };
        assert!(updates.len() <= text.lines().count());
        for update in &updates {
            let reference = &update.reference;
            assert!(!reference.is_empty() && !reference.contains(char::is_whitespace), "{reference:?}");
            if refname::check_full(reference).is_err() {
                assert!(guard::concerns(reference, file), "{reference:?} passes unchecked");
            }
            if let Some(Guarded::VersionTag { version, .. }) = guard::classify(reference, file) {
                assert!(reference.contains(&version), "{reference:?} carries {version:?}");
            }
        }
    }
}

/// A GitHub Actions event file (`GITHUB_EVENT_PATH`): the pull request's head is read from it,
/// or the run is told it is not for a pull request; never a panic, never an empty head.
pub fn ci_event(data: &[u8]) {
    let Ok(event) = std::str::from_utf8(data) else { return };
    let var = |key: &str| match key {
        "GITHUB_ACTIONS" => Some("true".to_owned()),
        "GITHUB_BASE_REF" => Some("environment/prod".to_owned()),
        "GITHUB_HEAD_REF" => Some("refs/heads/environment/qa".to_owned()),
        "GITHUB_EVENT_PATH" => Some("/event.json".to_owned()),
        _ => None,
    };
    let read = |path: &str| (path == "/event.json").then(|| event.to_owned());
    assert_eq!(System::detect(&var), Some(System::GithubActions));
    if let Ok(pull_request) = System::GithubActions.pull_request(&var, &read) {
        assert!(!pull_request.head.is_empty());
        assert_eq!(
            (pull_request.target.as_str(), pull_request.source.as_str()),
            ("environment/prod", "environment/qa")
        );
    }
}
