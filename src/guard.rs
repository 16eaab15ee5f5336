//! What the hooks guard: environment branches and the tags that record releases and deployments.
//! Each pushed reference is classified from its name alone, so that an ordinary branch costs
//! nothing; only guarded references are looked at further.

use crate::admission::{self, Request};
use crate::app::AppRepo;
use crate::config::{self, Environment, FILE_NAME, Origin, ReleaseFile, TrustMode};
use crate::deploy;
use crate::error::Error;
use crate::git::ObjectKind;
use crate::object_id::ObjectId;
use crate::record::{self, NotARecord, Record};
use crate::refname;
use crate::trust::Use;
use crate::version::{Cut, Known, PatternKind, Version};
use crate::workspace::Workspace;

/// One reference a push would change; `None` is the all-zero id git uses for "absent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The full reference name on the receiving side.
    pub reference: String,
    pub old: Option<ObjectId>,
    pub new: Option<ObjectId>,
}

/// What a reference is to git-release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guarded {
    EnvironmentBranch(Environment),
    /// An rc or final tag, with the version its name carries.
    VersionTag {
        kind: PatternKind,
        version: String,
    },
    Record,
}

/// A push git-release refuses, with why and what to do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub reference: String,
    pub reason: String,
    pub details: Vec<String>,
    pub hints: Vec<String>,
}

/// What a reference name makes of it; `None` for anything git-release does not guard.
#[must_use]
pub fn classify(reference: &str, file: &ReleaseFile) -> Option<Guarded> {
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
        return file.environments.iter().find(|e| e.branch == branch).cloned().map(Guarded::EnvironmentBranch);
    }
    let tag = reference.strip_prefix("refs/tags/")?;
    for (kind, pattern) in [(PatternKind::Rc, &file.tags.rc), (PatternKind::Final, &file.tags.final_)] {
        let version = pattern.matches(tag, Known::default()).and_then(|m| m.version);
        // `v{version}` matches any word after a `v`; a version tag's version starts with a digit.
        if let Some(version) = version.filter(|v| v.starts_with(|c: char| c.is_ascii_digit())) {
            return Some(Guarded::VersionTag { kind, version });
        }
    }
    record::candidate(tag, &file.tags, None).map(|_| Guarded::Record)
}

/// Whether git-release has anything to say about a pushed reference: it is guarded, or its name
/// is one git would refuse.
#[must_use]
pub fn concerns(reference: &str, file: &ReleaseFile) -> bool {
    refname::check_full(reference).is_err() || classify(reference, file).is_some()
}

/// Decides one update. `workspace` says what is guarded; each environment branch is judged by
/// its own settings before the update. `fetch` brings a separate application repository's
/// records up to date first (on the server); otherwise they are read as they are here.
///
/// # Errors
/// When a repository cannot be read, or the application repository cannot be fetched.
pub fn check(workspace: &Workspace, update: &Update, fetch: bool) -> Result<Option<Refusal>, Error> {
    let refuse = |reason: String, details: Vec<String>, hints: Vec<String>| {
        Ok(Some(Refusal { reference: update.reference.clone(), reason, details, hints }))
    };
    // git refuses such names itself; a hook must not rely on whatever handed it the line having
    // asked git, since `refs/tags/../tags/v1.0.0` would otherwise pass as no tag at all.
    if let Err(problem) = refname::check_full(&update.reference) {
        return refuse(
            format!("`{}` is not a valid reference name: {problem}", update.reference.escape_debug()),
            Vec::new(),
            vec!["push to a name that 'git check-ref-format' accepts".into()],
        );
    }
    let Some(guarded) = classify(&update.reference, &workspace.file) else { return Ok(None) };
    match (guarded, &update.old, &update.new) {
        (Guarded::EnvironmentBranch(environment), _, None) => refuse(
            format!(
                "{} is the branch of environment {}, and environment branches are never deleted",
                environment.branch, environment.name
            ),
            Vec::new(),
            vec!["to retire the environment, remove it from release.toml first".into()],
        ),
        (Guarded::EnvironmentBranch(environment), _, Some(new)) => {
            environment_branch(workspace, &environment, update, new, fetch)
        }
        // A tag named like a record that is none records nothing: it may go.
        (Guarded::Record, Some(old), None) if not_a_record(workspace, short(&update.reference), old)?.is_some() => {
            Ok(None)
        }
        (_, Some(_), None) => refuse(
            format!("{} records a release or deployment, and such tags are never deleted", short(&update.reference)),
            Vec::new(),
            vec!["history stays as it was; record what happened next with a new deployment".into()],
        ),
        (_, Some(old), Some(new)) if old != new => refuse(
            format!("{} records a release or deployment, and such tags are never moved", short(&update.reference)),
            vec![format!("it is {} on the remote; the push would make it {}", old.short(), new.short())],
            vec!["release a new version or record a new deployment instead".into()],
        ),
        (_, Some(_), Some(_)) | (_, None, None) => Ok(None),
        (guarded, None, Some(new)) => new_tag(workspace, &guarded, update, new),
    }
}

fn environment_branch(
    workspace: &Workspace,
    environment: &Environment,
    update: &Update,
    new: &ObjectId,
    fetch: bool,
) -> Result<Option<Refusal>, Error> {
    let branch = &environment.branch;
    let refusal = |reason: String, details: Vec<String>, hints: Vec<String>| {
        Some(Refusal { reference: update.reference.clone(), reason, details, hints })
    };
    // An environment branch is the history of what the environment ran: it only moves forward.
    // When the old commit is not here at all (a client that has not fetched), the new one cannot
    // contain it either.
    if let Some(old) = update.old.as_ref().filter(|old| *old != new) {
        if !workspace.repo.has_object(old) || !workspace.repo.is_ancestor(old, new)? {
            return Ok(refusal(
                format!("{branch} is the branch of environment {}, and it only moves forward", environment.name),
                vec![format!("the push would replace {} with {}, which does not contain it", old.short(), new.short())],
                vec![format!(
                    "fetch, merge {branch} into your change and push again; to undo a change, push a commit that reverts it"
                )],
            ));
        }
    }
    let origin = Origin { place: format!("{branch} at {}", new.short()), branch: Some(branch.clone()) };
    let problems = match workspace.repo.read_top_file(new, FILE_NAME)? {
        None => vec![format!("commit {} has no {FILE_NAME}", new.short())],
        Some(content) => config::parse(&content, &origin).err().map(|e| admission::problems(&e)).unwrap_or_default(),
    };
    if !problems.is_empty() {
        return Ok(refusal(
            format!("{FILE_NAME} on {branch} at {} is not valid", new.short()),
            problems,
            vec![format!("fix {FILE_NAME} and commit again; every environment branch must hold a valid one")],
        ));
    }
    // The branch's own settings before the push judge it; the push contributes its version. A
    // new branch, or one whose file cannot govern, is judged by the settings that list it.
    let governed = update.old.as_ref().and_then(|old| workspace.governed(branch, old).ok());
    let (settings, environment) = match &governed {
        Some((settings, environment)) => (settings, environment),
        None => (workspace, environment),
    };
    if !environment.restricted {
        return Ok(None);
    }
    let app = if fetch && !settings.file.app.is_here() {
        let app = AppRepo::open(settings, None)?;
        deploy::refresh(settings, &app, &[environment])?;
        Some(app)
    } else {
        AppRepo::existing(settings)?
    };
    if let Some(app) = &app {
        app.repo.keep_tag_listing();
    }
    let request = Request { target: environment.clone(), source: None, head: new.clone(), settings: None };
    let verdict = admission::evaluate(settings, app.as_ref(), &request, false)?;
    if verdict.allowed {
        return Ok(None);
    }
    let failed = verdict.findings.iter().filter(|f| !f.ok);
    let details = failed.clone().map(|f| format!("{}: {}", f.check.as_str(), f.message)).collect();
    let hints = failed.filter_map(|f| f.hint.clone()).collect();
    Ok(refusal(
        format!("{branch} is restricted, and the merge gate refuses {} for {}", new.short(), environment.name),
        details,
        hints,
    ))
}

/// A new rc, final or record tag must be annotated and say what its name says.
fn new_tag(
    workspace: &Workspace,
    guarded: &Guarded,
    update: &Update,
    new: &ObjectId,
) -> Result<Option<Refusal>, Error> {
    let name = short(&update.reference);
    let refusal = |reason: String, hints: Vec<String>| {
        Some(Refusal { reference: update.reference.clone(), reason, details: Vec::new(), hints })
    };
    if workspace.repo.object_kind(new)? != Some(ObjectKind::Tag) {
        return Ok(refusal(
            format!("{name} is named like a release or deployment tag but is lightweight"),
            vec![format!(
                "make it an annotated tag (git tag -a {name}), or let 'git release prepare' and 'git release record' make it"
            )],
        ));
    }
    let owners: Vec<String> = match guarded {
        Guarded::VersionTag { kind, version } => {
            if !matches!(Version::parse(version), Ok(Version::Semver(_))) {
                let what = if *kind == PatternKind::Rc { "an rc" } else { "a final" };
                return Ok(refusal(
                    format!("{name} is named like {what} tag, but `{version}` is not a semantic version"),
                    vec!["version tags carry semantic versions such as 1.4.0; name other tags differently".into()],
                ));
            }
            let cut = if *kind == PatternKind::Rc { Cut::Rc } else { Cut::Final };
            workspace.file.environments.iter().filter(|e| e.cut == cut).map(|e| e.name.clone()).collect()
        }
        Guarded::Record => match read_record(workspace, name, new)? {
            Err(why) => {
                return Ok(refusal(
                    format!("{name} is named like a deployment record, but is none: {why}"),
                    vec!["deployment records are made by 'git release record <environment>'".into()],
                ));
            }
            Ok(record) => vec![record.deployment.environment],
        },
        Guarded::EnvironmentBranch(_) => return Ok(None),
    };
    let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
    let Some(why) = unvouched(workspace, name, new, &owners)? else { return Ok(None) };
    Ok(refusal(
        why,
        vec![format!(
            "tags that record releases and deployments are signed by the deploy job of their environment ({}): \
             set tag.gpgSign, gpg.format and user.signingKey there, with a key [trust.signers] lists",
            if owners.is_empty() { "none cuts such tags".to_owned() } else { owners.join(", ") }
        )],
    ))
}

/// Under `[trust] mode = "enforce"`, why the new tag `id` does not count: not signed by a key
/// listed for one of `owners`. `None` when it counts, or trust does not enforce.
fn unvouched(workspace: &Workspace, name: &str, id: &ObjectId, owners: &[&str]) -> Result<Option<String>, Error> {
    let trust = &workspace.file.trust;
    if trust.mode != TrustMode::Enforce {
        return Ok(None);
    }
    let tag = crate::git::TagRef::unpeeled(name, id.clone());
    let Some(object) = workspace.repo.tag_object(&tag)? else { return Ok(Some(format!("{name} is no annotated tag"))) };
    let seal = workspace.repo.verify_tag(&object, &trust.ssh_keys())?;
    Ok(match crate::trust::judge(trust, name, owners, &seal) {
        Use::Ignored(why) => Some(why),
        Use::Counts | Use::Warned(_) => None,
    })
}

/// The record the tag object `id`, named `name`, is, or why it is none.
fn read_record(workspace: &Workspace, name: &str, id: &ObjectId) -> Result<Result<Record, NotARecord>, Error> {
    let tag = crate::git::TagRef::unpeeled(name, id.clone());
    let Some(object) = workspace.repo.tag_object(&tag)? else { return Ok(Err(NotARecord::Message)) };
    let horizon = crate::clock::horizon()?;
    Ok(Record::read_until(name, object.commit, &object.message, &workspace.file.tags, horizon))
}

/// Why the tag object `id`, named `name`, is no deployment record; `None` when it is one.
fn not_a_record(workspace: &Workspace, name: &str, id: &ObjectId) -> Result<Option<NotARecord>, Error> {
    Ok(read_record(workspace, name, id)?.err())
}

fn short(reference: &str) -> &str {
    reference.strip_prefix("refs/tags/").or_else(|| reference.strip_prefix("refs/heads/")).unwrap_or(reference)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Content, parse};

    fn file() -> ReleaseFile {
        let text = "version = \"1.0.0\"\n[[environments]]\nname = \"qa\"\ncut = \"rc\"\n\
                    [[environments]]\nname = \"prod\"\ncut = \"final\"\nafter = \"qa\"\nrestricted = true\n";
        parse(&Content::Bytes(text.into()), &Origin { place: "test".into(), branch: None }).expect("valid")
    }

    #[test]
    fn names_alone_tell_what_is_guarded() {
        let file = file();
        let kind = |reference: &str| match classify(reference, &file) {
            None => "none".to_owned(),
            Some(Guarded::EnvironmentBranch(e)) => format!("branch {}", e.name),
            Some(Guarded::VersionTag { kind, version }) => format!("{} {version}", kind.key()),
            Some(Guarded::Record) => "record".to_owned(),
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
        assert_eq!(kind("refs/notes/commits"), "none");
    }
}
