//! What the hooks guard: environment branches and the tags that record releases and deployments.
//! Each pushed reference is classified from its name alone, so that an ordinary branch costs
//! nothing; only guarded references are looked at further.

pub mod install;

pub use install::{HookOwner, hook_state};
mod run;
mod stdin;

pub use run::run;
pub use stdin::{HookName, parse_updates, pre_commit_framework};

use crate::app::AppRepo;
use crate::approval::Approval;
use crate::config::{self, Deploys, Environment, FILE_NAME, GateMode, Origin, ReleaseFile, TrustMode};
use crate::deploy;
use crate::error::Error;
use crate::gate_gather::{self, Request, Verdict};
use crate::git::{ObjectKind, TagObject};
use crate::object_id::ObjectId;
use crate::record::{self, NotARecord, Record};
use crate::refname;
use crate::trust::Use;
use crate::version::{Cut, Known, PatternKind, Version};
use crate::workspace::Workspace;

/// One reference a push would change; `None` is the all-zero id git uses for "absent".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// An approval or revocation (`git release approve`, `revoke`).
    Approval,
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
        // `v{version}` matches any word after a `v`: a final tag's version starts with a digit.
        // An rc's name says what it is, whatever its (opaque) version starts with.
        let named = |v: &String| kind == PatternKind::Rc || v.starts_with(|c: char| c.is_ascii_digit());
        if let Some(version) = version.filter(named) {
            return Some(Guarded::VersionTag { kind, version });
        }
    }
    if record::candidate(tag, &file.tags, None).is_some() {
        return Some(Guarded::Record);
    }
    // The second approval of a second is `<name>+2`.
    let base = tag.rsplit_once('+').filter(|(_, n)| n.parse::<u32>().is_ok()).map_or(tag, |(base, _)| base);
    file.tags.approval.matches(base, Known::default()).map(|_| Guarded::Approval)
}

/// Whether git-release has anything to say about a pushed reference: it is guarded, or its name
/// is one git would refuse.
#[must_use]
pub fn concerns(reference: &str, file: &ReleaseFile) -> bool {
    refname::check_full(reference).is_err() || classify(reference, file).is_some()
}

/// What the repositories say about one pushed reference: only what its decision needs, and
/// nothing at all for a reference git-release does not guard.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub update: Update,
    /// Why git would refuse the name, if it would.
    pub bad_name: Option<String>,
    pub guarded: Option<Guarded>,
    /// For an environment branch that moves: whether the new commit contains the old one.
    pub forward: bool,
    /// For an environment branch: what is wrong with the release file at the new commit.
    pub file_problems: Vec<String>,
    /// For a restricted environment branch: the gate's verdict, by the branch's own settings
    /// before the push, and the environment it judged.
    pub gate: Option<(String, Verdict)>,
    /// For a new tag: the kind of object it names.
    pub kind: Option<ObjectKind>,
    /// For a record-shaped tag, new or deleted: the record it is, or why it is none.
    pub record: Option<Result<Record, NotARecord>>,
    /// For an approval-shaped tag, new or deleted: the approval it is, or why it is none.
    pub approval: Option<Result<Approval, String>>,
    /// For a new record or version tag: the environments whose signers vouch for it.
    pub owners: Vec<String>,
    /// Under `[trust]` enforce, why a new record or version tag does not count.
    pub untrusted: Option<String>,
    /// For a new version tag: the other name its tag object was made under.
    pub renamed: Option<String>,
    /// What lets the reference in but is worth saying (`[trust] mode = "warn"`).
    pub warnings: Vec<String>,
    /// In one repository, for a new rc, final or record tag: why its commit is on no branch
    /// that may hold it.
    pub astray: Option<String>,
}

/// Gathers the facts of one update. `workspace` says what is guarded; each environment branch is
/// judged by its own settings before the update. `fetch` brings a separate application
/// repository's records up to date first (on the server); otherwise they are read as they are.
///
/// # Errors
/// When a repository cannot be read, or the application repository cannot be fetched.
pub fn gather(workspace: &Workspace, update: &Update, fetch: bool) -> Result<Facts, Error> {
    let mut facts = Facts { update: update.clone(), ..Facts::default() };
    // git refuses such names itself; a hook must not rely on whatever handed it the line having
    // asked git, since `refs/tags/../tags/v1.0.0` would otherwise pass as no tag at all.
    if let Err(problem) = refname::check_full(&update.reference) {
        facts.bad_name = Some(problem.to_string());
        return Ok(facts);
    }
    facts.guarded = classify(&update.reference, &workspace.file);
    let Some(guarded) = facts.guarded.clone() else { return Ok(facts) };
    let name = short(&update.reference);
    match (&guarded, &update.old, &update.new) {
        (Guarded::EnvironmentBranch(environment), old, Some(new)) => {
            facts.forward = match old.as_ref().filter(|old| *old != new) {
                None => true,
                // When the old commit is not here at all (a client that has not fetched), the
                // new one cannot contain it either.
                Some(old) => workspace.repo.has_object(old) && workspace.repo.is_ancestor(old, new)?,
            };
            if facts.forward {
                facts.file_problems = file_problems(workspace, &environment.branch, new)?;
            }
            if facts.forward && facts.file_problems.is_empty() {
                facts.gate = gate(workspace, environment, update, new, fetch, &mut facts.warnings)?;
            }
        }
        (Guarded::Record, Some(old), None) => facts.record = Some(read_record(workspace, name, old)?),
        (Guarded::Approval, Some(old), None) => {
            let object = workspace.repo.tag_object(&crate::git::TagRef::unpeeled(name, old.clone()))?;
            facts.approval = Some(approval_of(workspace, name, object.as_ref()));
        }
        (_, None, Some(new)) => {
            facts.kind = workspace.repo.object_kind(new)?;
            if facts.kind != Some(ObjectKind::Tag) {
                return Ok(facts);
            }
            // Read once: what the tag says, what it was made as, and who signed it.
            let object = workspace.repo.tag_object(&crate::git::TagRef::unpeeled(name, new.clone()))?;
            match &guarded {
                Guarded::VersionTag { kind, version } if Version::parse(version).is_ok_and(|v| v.cuts_tags()) => {
                    facts.renamed = object.as_ref().map(|o| o.name.clone()).filter(|made| made != name);
                    if facts.renamed.is_some() {
                        return Ok(facts);
                    }
                    let cut = if *kind == PatternKind::Rc { Cut::Rc } else { Cut::Final };
                    let cutting: Vec<&Environment> =
                        workspace.file.environments.iter().filter(|e| e.cut == cut).collect();
                    facts.owners = cutting.iter().map(|e| e.name.clone()).collect();
                    if let Some(object) = &object {
                        facts.astray = astray(workspace, &cutting, &object.commit, name)?;
                        if facts.astray.is_none() && workspace.file.app.is_here() {
                            facts.astray = unfounded(workspace, *kind, version, &object.commit, name)?;
                        }
                    }
                }
                Guarded::Record => {
                    let record = match &object {
                        Some(object) => {
                            record_of(workspace, name, object)?.and_then(|record| tagged(workspace, record))
                        }
                        None => Err(NotARecord::Message),
                    };
                    if let Ok(record) = &record {
                        facts.owners = vec![record.deployment.environment.clone()];
                        let environment = workspace.file.environment(&record.deployment.environment);
                        let deploys: Vec<&Environment> =
                            environment.into_iter().filter(|e| e.deploys != Deploys::AnyBranch).collect();
                        facts.astray = astray(workspace, &deploys, &record.deployment.commit, name)?;
                        if facts.astray.is_none() && workspace.file.app.is_here() {
                            facts.astray = deploys.first().and_then(|e| untagged(workspace, e, record, name));
                        }
                    }
                    facts.record = Some(record);
                }
                Guarded::Approval => {
                    let approval = approval_of(workspace, name, object.as_ref());
                    if let (Ok(approval), Some(object)) = (&approval, &object) {
                        // An approval counts only signed by an approver, whatever `[trust] mode`
                        // says: one that counts for no one has no place among them.
                        let environment = &approval.environment;
                        let keys = crate::trust::approver_ssh_keys(&workspace.file.trust, environment);
                        let seal = workspace.repo.verify_tag(object, &keys)?;
                        if let Err(why) = crate::trust::approver(&workspace.file.trust, environment, &seal) {
                            facts.untrusted = Some(format!("{name} does not count as an approval: {why}"));
                        } else if approval.at > crate::clock::horizon()? {
                            let at = crate::record::rfc3339_text(approval.at);
                            facts.untrusted = Some(format!("{name} is dated {at}, ahead of the clock"));
                        }
                        facts.owners = vec![environment.clone()];
                    }
                    facts.approval = Some(approval);
                    return Ok(facts);
                }
                _ => return Ok(facts),
            }
            if facts.record.as_ref().is_none_or(Result::is_ok) {
                let owners: Vec<&str> = facts.owners.iter().map(String::as_str).collect();
                match judged(workspace, name, object.as_ref(), &owners)? {
                    Use::Ignored(why) => facts.untrusted = Some(why),
                    Use::Warned(note) => facts.warnings.push(note),
                    Use::Counts => {}
                }
            }
        }
        _ => {}
    }
    Ok(facts)
}

/// One repository holds the environment branches beside the tags: a version or record tag of
/// `environments` must be on a commit one of their branches holds (for one that deploys on
/// approval, the branch of the environment before it, where the pull request's head is), here or
/// as last fetched. `None` when it is, or in two repositories, where the branches live elsewhere.
fn astray(
    workspace: &Workspace,
    environments: &[&Environment],
    commit: &ObjectId,
    name: &str,
) -> Result<Option<String>, Error> {
    if !workspace.file.app.is_here() || environments.is_empty() {
        return Ok(None);
    }
    let (repo, remote) = (&workspace.repo, &workspace.remote);
    let mut branches: Vec<&str> = Vec::new();
    for environment in environments {
        branches.push(&environment.branch);
        if environment.gate == GateMode::Self_ {
            branches.extend(workspace.file.before(environment).into_iter().map(|before| before.branch.as_str()));
        }
    }
    for branch in &branches {
        for reference in [format!("refs/heads/{branch}"), format!("refs/remotes/{remote}/{branch}")] {
            if let Some(tip) = repo.reference(&reference)? {
                if repo.has_object(commit) && repo.is_ancestor(commit, &tip)? {
                    return Ok(None);
                }
            }
        }
    }
    Ok(Some(format!("{name} is on {}, which no branch it may be on holds ({})", commit.short(), branches.join(", "))))
}

/// One repository: what a version tag must be besides being on its branch, as `prepare` cuts
/// them: an rc of a version not released yet, on a commit whose release file asks for that
/// version; a final on the commit of the version's highest rc.
fn unfounded(
    workspace: &Workspace,
    kind: PatternKind,
    version: &str,
    commit: &ObjectId,
    name: &str,
) -> Result<Option<String>, Error> {
    let app = crate::app::AppRepo::open(workspace, None)?.judged_by(workspace.judging_trust());
    let existing = app.version_tags(&workspace.file.tags, version)?;
    if kind == PatternKind::Final {
        return Ok(match existing.highest_rc() {
            Some((_, rc)) if &rc.commit == commit => None,
            Some((_, rc)) => Some(format!(
                "{name} is on {}, not on {}, the highest release candidate's commit",
                commit.short(),
                rc.name
            )),
            None => Some(format!("{name} releases {version}, of which no release candidate exists")),
        });
    }
    if let Some(released) = &existing.final_ {
        return Ok(Some(format!("{name} is a candidate of {version}, which {} released already", released.name)));
    }
    let origin = Origin { place: format!("{} at {}", name, commit.short()), branch: None };
    let asks = match workspace.repo.read_top_file(commit, FILE_NAME)? {
        Some(content) => config::parse(&content, &origin).ok().map(|file| file.version.to_string()),
        None => None,
    };
    Ok((asks.as_deref() != Some(version)).then(|| {
        let asks = asks.map_or_else(|| "no valid release file".to_owned(), |v| format!("version {v}"));
        format!("{name} is a candidate of {version}, but its commit {} asks for {asks}", commit.short())
    }))
}

/// One repository: a record of an environment that cuts version tags names the tag it deployed,
/// of its own kind and version: an rc for an rc environment, the final for a final one.
fn untagged(workspace: &Workspace, environment: &Environment, record: &Record, name: &str) -> Option<String> {
    let deployment = &record.deployment;
    let wanted = match environment.cut {
        Cut::None => return None,
        Cut::Rc => PatternKind::Rc,
        Cut::Final => PatternKind::Final,
    };
    if !Version::parse(&deployment.version).is_ok_and(|v| v.cuts_tags()) {
        return None;
    }
    let fits = deployment.version_tag.as_deref().and_then(|tag| classify(&format!("refs/tags/{tag}"), &workspace.file));
    match fits {
        Some(Guarded::VersionTag { kind, version }) if kind == wanted && version == deployment.version => None,
        _ => Some(format!(
            "{name} records {} {} in {}, which cuts {} tags, without naming such a tag of {}",
            deployment.version,
            deployment.version_tag.as_deref().map_or_else(|| "(no Tag:)".to_owned(), |t| format!("as {t}")),
            environment.name,
            environment.cut,
            deployment.version
        )),
    }
}

/// What is wrong with the release file at `new` on `branch`.
fn file_problems(workspace: &Workspace, branch: &str, new: &ObjectId) -> Result<Vec<String>, Error> {
    let origin = Origin { place: format!("{branch} at {}", new.short()), branch: Some(branch.to_owned()) };
    Ok(match workspace.repo.read_top_file(new, FILE_NAME)? {
        None => vec![format!("commit {} has no {FILE_NAME}", new.short())],
        Some(content) => config::parse(&content, &origin).err().map(|e| gate_gather::problems(&e)).unwrap_or_default(),
    })
}

/// The gate's verdict on `new` for a restricted environment, by the branch's own settings before
/// the push (a new branch, or one whose file cannot govern, by the settings that list it);
/// `None` when the environment is not restricted.
fn gate(
    workspace: &Workspace,
    environment: &Environment,
    update: &Update,
    new: &ObjectId,
    fetch: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<(String, Verdict)>, Error> {
    let governed = update.old.as_ref().and_then(|old| workspace.governed(&environment.branch, old).ok());
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
    let verdict = gate_gather::evaluate(settings, app.as_ref(), &request, false)?;
    warnings.extend(verdict.warnings.iter().cloned());
    warnings.extend(app.iter().flat_map(AppRepo::take_trust_notes));
    Ok(Some((environment.name.clone(), verdict)))
}

/// The refusal the facts call for, if any: pure, so that every rule is tested case by case.
#[must_use]
pub fn decide(facts: &Facts) -> Option<Refusal> {
    let update = &facts.update;
    let refuse = |reason: String, details: Vec<String>, hints: Vec<String>| {
        Some(Refusal { reference: update.reference.clone(), reason, details, hints })
    };
    if let Some(problem) = &facts.bad_name {
        return refuse(
            format!("`{}` is not a valid reference name: {problem}", update.reference.escape_debug()),
            Vec::new(),
            vec!["push to a name that 'git check-ref-format' accepts".into()],
        );
    }
    let guarded = facts.guarded.as_ref()?;
    let name = short(&update.reference);
    match (guarded, &update.old, &update.new) {
        (Guarded::EnvironmentBranch(environment), _, None) => refuse(
            format!(
                "{} is the branch of environment {}, and environment branches are never deleted",
                environment.branch, environment.name
            ),
            Vec::new(),
            vec!["to retire the environment, remove it from release.toml first".into()],
        ),
        (Guarded::EnvironmentBranch(environment), old, Some(new)) => {
            decide_branch(facts, environment, old.as_ref(), new)
        }
        // A tag named like a record that is none records nothing: it may go.
        (Guarded::Record, Some(_), None) if matches!(facts.record, Some(Err(_))) => None,
        (Guarded::Approval, Some(_), None) if matches!(facts.approval, Some(Err(_))) => None,
        (Guarded::Approval, Some(_), None) => refuse(
            format!("{name} records an approval or its revocation, and those are never deleted"),
            Vec::new(),
            vec!["take it back with a later tag: git release revoke <environment> --commit <commit>".into()],
        ),
        (Guarded::Approval, Some(old), Some(new)) if old != new => refuse(
            format!("{name} records an approval or its revocation, and those are never moved"),
            vec![format!("it is {} on the remote; the push would make it {}", old.short(), new.short())],
            vec!["approve the other commit with a new tag: git release approve <environment> --commit <commit>".into()],
        ),
        (_, Some(_), None) => refuse(
            format!("{name} records a release or deployment, and such tags are never deleted"),
            Vec::new(),
            vec!["history stays as it was; record what happened next with a new deployment".into()],
        ),
        (_, Some(old), Some(new)) if old != new => refuse(
            format!("{name} records a release or deployment, and such tags are never moved"),
            vec![format!("it is {} on the remote; the push would make it {}", old.short(), new.short())],
            vec!["release a new version or record a new deployment instead".into()],
        ),
        (_, Some(_), Some(_)) | (_, None, None) => None,
        (guarded, None, Some(_)) => decide_new_tag(facts, guarded, name),
    }
}

fn decide_branch(facts: &Facts, environment: &Environment, old: Option<&ObjectId>, new: &ObjectId) -> Option<Refusal> {
    let branch = &environment.branch;
    let refuse = |reason: String, details: Vec<String>, hints: Vec<String>| {
        Some(Refusal { reference: facts.update.reference.clone(), reason, details, hints })
    };
    // An environment branch is the history of what the environment ran: it only moves forward.
    if !facts.forward {
        let old = old.map_or_else(|| "-".to_owned(), |old| old.short().to_owned());
        return refuse(
            format!("{branch} is the branch of environment {}, and it only moves forward", environment.name),
            vec![format!("the push would replace {old} with {}, which does not contain it", new.short())],
            vec![format!(
                "fetch, merge {branch} into your change and push again; to undo a change, push a commit that reverts it"
            )],
        );
    }
    if !facts.file_problems.is_empty() {
        return refuse(
            format!("{FILE_NAME} on {branch} at {} is not valid", new.short()),
            facts.file_problems.clone(),
            vec![format!("fix {FILE_NAME} and commit again; every environment branch must hold a valid one")],
        );
    }
    let (judged, verdict) = facts.gate.as_ref().filter(|(_, verdict)| !verdict.allowed)?;
    let failed = verdict.findings.iter().filter(|f| !f.ok);
    let details = failed.clone().map(|f| format!("{}: {}", f.check.as_str(), f.message)).collect();
    let hints = failed.filter_map(|f| f.hint.clone()).collect();
    refuse(format!("{branch} is restricted, and the merge gate refuses {} for {judged}", new.short()), details, hints)
}

/// A new rc, final or record tag must be annotated, say what its name says, and count.
fn decide_new_tag(facts: &Facts, guarded: &Guarded, name: &str) -> Option<Refusal> {
    let refuse = |reason: String, hints: Vec<String>| {
        Some(Refusal { reference: facts.update.reference.clone(), reason, details: Vec::new(), hints })
    };
    if facts.kind != Some(ObjectKind::Tag) && *guarded == Guarded::Approval {
        return refuse(
            format!("{name} is named like an approval but is lightweight"),
            vec!["approvals are signed, annotated tags: git release approve <environment>".into()],
        );
    }
    if facts.kind != Some(ObjectKind::Tag) {
        return refuse(
            format!("{name} is named like a release or deployment tag but is lightweight"),
            vec![format!(
                "make it an annotated tag (git tag -a {name}), or let 'git release prepare' and 'git release record' make it"
            )],
        );
    }
    match (guarded, &facts.record) {
        (Guarded::VersionTag { kind, version }, _) if !Version::parse(version).is_ok_and(|v| v.cuts_tags()) => {
            let what = if *kind == PatternKind::Rc { "an rc" } else { "a final" };
            return refuse(
                format!("{name} is named like {what} tag, but no version tags are cut of `{version}`"),
                vec!["version tags carry versions such as 1.4.0 or 2026.11, never WIP or a pin; name other tags differently".into()],
            );
        }
        (Guarded::VersionTag { .. }, _) if facts.renamed.is_some() => {
            let made = facts.renamed.as_deref().unwrap_or_default();
            return refuse(
                format!("{name} is the tag object of {made}, pushed again under another name"),
                vec![format!(
                    "a version tag is made under its own name: 'git release prepare' makes {name} when it is due"
                )],
            );
        }
        (Guarded::Record, Some(Err(why))) => {
            return refuse(
                format!("{name} is named like a deployment record, but is none: {why}"),
                vec!["deployment records are made by 'git release record <environment>'".into()],
            );
        }
        (Guarded::Approval, _) => {
            let why = match &facts.approval {
                Some(Err(why)) => format!("{name} is named like an approval, but is none: {why}"),
                _ => facts.untrusted.clone()?,
            };
            return refuse(
                why,
                vec![
                    "approvals are made by 'git release approve <environment>', signed by a key [trust.approvers] lists for the environment"
                        .into(),
                ],
            );
        }
        _ => {}
    }
    if let Some(astray) = &facts.astray {
        return refuse(
            astray.clone(),
            vec![
                "a version or record tag goes on what an environment's branch holds: merge the change there first, \
                 then let 'git release prepare' and 'git release record' tag it"
                    .into(),
            ],
        );
    }
    let why = facts.untrusted.clone()?;
    let owners = if facts.owners.is_empty() { "none cuts such tags".to_owned() } else { facts.owners.join(", ") };
    refuse(
        why,
        vec![format!(
            "tags that record releases and deployments are signed by the deploy job of their environment ({owners}): \
             set tag.gpgSign, gpg.format and user.signingKey there, with a key [trust.signers] lists"
        )],
    )
}

/// What `[trust]` makes of the new tag `name`: whether a key listed for one of `owners` signed
/// its object; verified only where trust is on.
fn judged(workspace: &Workspace, name: &str, object: Option<&TagObject>, owners: &[&str]) -> Result<Use, Error> {
    let trust = &workspace.file.trust;
    if trust.mode == TrustMode::Off {
        return Ok(Use::Counts);
    }
    let Some(object) = object else { return Ok(Use::Ignored(format!("{name} is no annotated tag of a commit"))) };
    let seal = workspace.repo.verify_tag(object, &trust.ssh_keys())?;
    Ok(crate::trust::judge(trust, name, owners, &seal))
}

/// The record the tag object `id`, named `name`, is, or why it is none.
fn read_record(workspace: &Workspace, name: &str, id: &ObjectId) -> Result<Result<Record, NotARecord>, Error> {
    let tag = crate::git::TagRef::unpeeled(name, id.clone());
    let Some(object) = workspace.repo.tag_object(&tag)? else { return Ok(Err(NotARecord::Message)) };
    record_of(workspace, name, &object)
}

/// A record whose `Tag:` names a version tag says it deployed that tag: the tag must stand on
/// the record's commit here, as `prepare` put it there before the deployment.
/// Where the environment matches trees (always in one repository), on a commit of the same
/// files: a final runs the head that merges its candidate unchanged.
fn tagged(workspace: &Workspace, record: Record) -> Result<Record, NotARecord> {
    let Some(tag) = &record.deployment.version_tag else { return Ok(record) };
    let on = workspace.repo.rev_parse_commit(&format!("refs/tags/{tag}^{{commit}}")).ok();
    let trees =
        workspace.file.environment(&record.deployment.environment).is_some_and(|e| workspace.file.matches_trees(e));
    if on.as_ref().is_some_and(|on| crate::deploy::stands_on(&workspace.repo, on, &record.deployment.commit, trees)) {
        return Ok(record);
    }
    Err(NotARecord::VersionTag { tag: tag.clone(), on: on.map(|id| id.short().to_owned()) })
}

/// The record a tag object pushed as `name` is, or why it is none.
fn record_of(workspace: &Workspace, name: &str, object: &TagObject) -> Result<Result<Record, NotARecord>, Error> {
    if object.name != name {
        return Ok(Err(NotARecord::Renamed(object.name.clone())));
    }
    let horizon = crate::clock::horizon()?;
    Ok(Record::read_until(name, object.commit.clone(), &object.message, &workspace.file.tags, horizon))
}

/// The approval a tag object pushed as `name` is, or why it is none.
fn approval_of(workspace: &Workspace, name: &str, object: Option<&TagObject>) -> Result<Approval, String> {
    let Some(object) = object else { return Err("it is no annotated tag of a commit".into()) };
    if object.name != name {
        return Err(format!("it is the tag object of {}, pushed again under another name", object.name));
    }
    Approval::read(name, object.commit.clone(), &object.message, &workspace.file.tags)
        .filter(|approval| workspace.file.environment(&approval.environment).is_some())
        .ok_or_else(|| "its message is not an approval of an environment of this release file under this name".into())
}

fn short(reference: &str) -> &str {
    reference.strip_prefix("refs/tags/").or_else(|| reference.strip_prefix("refs/heads/")).unwrap_or(reference)
}

#[cfg(test)]
mod tests;
