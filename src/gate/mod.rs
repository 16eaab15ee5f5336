//! The merge gate: may a change enter an environment? One rule for CI, hooks and promotions.
//!
//! Pure: the gatherer reads branches, release files and records into a [`Snapshot`]; each check
//! here is a small function of it that yields one [`Finding`].

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::config::FILE_NAME;
use crate::config::{Environment, GateMode, Match};
use crate::object_id::ObjectId;
use crate::record::Record;
use crate::trust::Use;
use crate::version::{Cut, Version};

/// The checks, named as findings and documentation name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    PromotionPath,
    ReleaseFile,
    ReleaseSettings,
    VersionValid,
    VersionBumped,
    ReleaseCandidate,
    PreviousDeployed,
    PreviousCurrent,
    SelfDeployed,
    Approved,
    Rollback,
}

impl Check {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Check::PromotionPath => "promotion-path",
            Check::ReleaseFile => "release-file",
            Check::ReleaseSettings => "release-settings",
            Check::VersionValid => "version-valid",
            Check::VersionBumped => "version-bumped",
            Check::ReleaseCandidate => "release-candidate",
            Check::PreviousDeployed => "previous-deployed",
            Check::PreviousCurrent => "previous-current",
            Check::SelfDeployed => "self-deployed",
            Check::Approved => "approved",
            Check::Rollback => "rollback",
        }
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: Check,
    pub ok: bool,
    pub message: String,
    /// What to do about a failed check.
    pub hint: Option<String>,
}

impl Finding {
    fn pass(check: Check, message: String) -> Finding {
        Finding { check, ok: true, message, hint: None }
    }

    fn fail(check: Check, message: String, hint: String) -> Finding {
        Finding { check, ok: false, message, hint: Some(hint) }
    }
}

/// Everything the checks look at, gathered before any of them runs.
#[derive(Debug, Clone)]
pub struct Snapshot<'a> {
    pub target: &'a Environment,
    /// Every environment, in the order of the release file.
    pub environments: &'a [Environment],
    /// Whether the release repository is the application repository.
    pub one_repository: bool,
    /// The branch the change comes from; `None` for a direct push.
    pub source: Option<&'a str>,
    /// The commit whose release file the change brings.
    pub head: &'a ObjectId,
    /// The incoming release file: its version, or the problems that make it invalid.
    pub incoming: Result<Version, Vec<String>>,
    /// The settings the incoming release file edits, relative to the target's own.
    pub edits: Vec<String>,
    /// Where trust is on and the change edits a restricted target's settings: whether the
    /// change's commit is signed by a key the target lists.
    pub edits_vouched: Option<Use>,
    /// The commit the target would deploy, or why it cannot be told; `None` when the incoming
    /// version gave nothing to resolve.
    pub deploys: Option<Result<ObjectId, String>>,
    /// For a final cut: where the final tag goes, or why it cannot go anywhere.
    pub candidate: Option<Result<String, String>>,
    /// What each environment the target comes after (`after`) has deployed, in the order
    /// [`previous_environments`] gives them; empty for a first environment.
    pub previous: Vec<Deployed>,
    /// What the target itself has deployed.
    pub itself: Deployed,
    /// The earlier record of the target that the change rolls back to, as the records bear it
    /// out (`Rollback-To:` on the change's commit, of the incoming version, on the commit the
    /// target would deploy).
    pub rollback: Option<Record>,
    /// From the rebuilt branch (`promote/<target>`): what the change holds, beside the release
    /// file, that the target's head does not (top-level names); empty when nothing.
    pub rebuilt_extra: Vec<String>,
    /// From the rebuilt branch: its release file is not the one the environment before's
    /// branch holds, which a rebuilt promotion carries as it is.
    pub rebuilt_foreign_file: bool,
    /// Where the target requires approvals: what those of the commit it would deploy add up
    /// to; `None` when they could not be read (the commit unknown, the application not here).
    pub approvals: Option<crate::approval::Tally>,
}

/// An environment's deployments, as far as the gate needs them.
#[derive(Debug, Clone, Default)]
pub struct Deployed {
    /// The newest record on the commit the target would deploy (or on a commit with its tree,
    /// when the target matches trees).
    pub matching: Option<Record>,
    /// The environment's newest record.
    pub latest: Option<Record>,
}

/// Every finding, in the order of [`Check`].
#[must_use]
pub fn evaluate(snapshot: &Snapshot<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if snapshot.rollback.is_none() {
        findings.extend(promotion_path(snapshot));
    }
    findings.push(release_file(snapshot));
    if let (Ok(version), Some(record)) = (&snapshot.incoming, &snapshot.rollback) {
        // What the target itself ran before needs no other environment to run it now.
        findings.push(release_settings(snapshot));
        findings.push(version_valid(snapshot.target, version));
        findings.push(rollback(snapshot.target, record));
        findings.extend(approved(snapshot));
        return findings;
    }
    if let Ok(version) = &snapshot.incoming {
        findings.push(release_settings(snapshot));
        findings.push(version_valid(snapshot.target, version));
        if snapshot.target.require_bump {
            let unresolved = match &snapshot.deploys {
                Some(Err(why)) => Some(why.as_str()),
                _ => None,
            };
            findings.push(version_bumped(snapshot.target, version, snapshot.itself.latest.as_ref(), unresolved));
        }
    }
    if let Some(candidate) = snapshot.candidate.as_ref().filter(|_| snapshot.target.cut == Cut::Final) {
        findings.push(release_candidate(candidate));
    }
    let befores = previous_environments(snapshot);
    if !befores.is_empty() && befores.len() == snapshot.previous.len() {
        let pairs: Vec<(&Environment, &Deployed)> = befores.into_iter().zip(&snapshot.previous).collect();
        findings.push(previous_deployed(snapshot, &pairs));
        if snapshot.target.previous_current {
            let each: Vec<Finding> =
                pairs.iter().filter_map(|(after, previous)| previous_current(after, previous)).collect();
            findings.extend(all_of(Check::PreviousCurrent, each));
        }
    }
    if snapshot.target.gate == GateMode::Self_ {
        findings.push(self_deployed(snapshot));
    }
    findings.extend(approved(snapshot));
    findings
}

/// With `require-approvals = N`: N distinct approvers `[trust.approvers]` lists have approved
/// the commit the target would deploy, and not taken it back since.
fn approved(snapshot: &Snapshot<'_>) -> Option<Finding> {
    let target = snapshot.target;
    let wanted = target.require_approvals;
    if wanted == 0 {
        return None;
    }
    let (Some(Ok(commit)), Some(tally)) = (&snapshot.deploys, &snapshot.approvals) else {
        return Some(Finding::fail(
            Check::Approved,
            format!("approvals: cannot tell which commit {} would deploy, so none can be counted", target.name),
            "make the version resolvable first".into(),
        ));
    };
    let count = tally.approved.len();
    let by: Vec<&str> = tally.approved.iter().map(|word| word.key.as_str()).collect();
    let mut message = format!("approvals: {count} of {wanted} for {} in {}", commit.short(), target.name);
    if !by.is_empty() {
        message.push_str(&format!(" (by {})", by.join(", ")));
    }
    if !tally.revoked.is_empty() {
        let revoked: Vec<String> = tally.revoked.iter().map(|word| format!("{} in {}", word.key, word.tag)).collect();
        message.push_str(&format!("; revoked: {}", revoked.join(", ")));
    }
    if !tally.ignored.is_empty() {
        message.push_str(&format!("; not counted: {}", tally.ignored.join("; ")));
    }
    let needed = usize::try_from(wanted).unwrap_or(usize::MAX);
    if count >= needed {
        return Some(Finding::pass(Check::Approved, message));
    }
    let more = needed - count;
    Some(Finding::fail(
        Check::Approved,
        message,
        format!(
            "{more} more of the approvers [trust.approvers] lists for {} approve it with a signed tag: git release approve {} --commit {}",
            target.name,
            target.name,
            commit.short()
        ),
    ))
}

/// Whether every finding passed.
#[must_use]
pub fn allows(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.ok)
}

/// The environments the target comes after, as its `after` lists them.
#[must_use]
pub fn previous_environments<'a>(snapshot: &Snapshot<'a>) -> Vec<&'a Environment> {
    let target = snapshot.target;
    target.after.iter().filter_map(|name| snapshot.environments.iter().find(|e| &e.name == name)).collect()
}

/// One finding of several of a check: passed when each passed, else the failures.
fn all_of(check: Check, each: Vec<Finding>) -> Option<Finding> {
    if each.len() < 2 {
        return each.into_iter().next();
    }
    let failed: Vec<&Finding> = each.iter().filter(|f| !f.ok).collect();
    if failed.is_empty() {
        return Some(Finding::pass(check, each.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ")));
    }
    let message = failed.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ");
    let hint = failed.iter().filter_map(|f| f.hint.as_deref()).collect::<Vec<_>>().join("; ");
    Some(Finding::fail(check, message, hint))
}

/// The branch `promote --rebuild` opens a promotion into `environment` from: the environment's
/// head with the previous environment's release file.
#[must_use]
pub fn rebuild_branch(environment: &str) -> String {
    format!("promote/{environment}")
}

fn promotion_path(snapshot: &Snapshot<'_>) -> Option<Finding> {
    let source = snapshot.source?;
    let target = snapshot.target;
    let from = snapshot.environments.iter().find(|e| e.branch == source);
    let befores = previous_environments(snapshot);
    if let Some(first) = befores.first() {
        let named = target.after_named();
        let branches = crate::config::and_list(&befores.iter().map(|e| e.branch.as_str()).collect::<Vec<_>>())
            .replacen(" and ", " or ", 1);
        let others = |of: &Environment| -> String {
            let rest: Vec<&str> = befores.iter().filter(|e| e.name != of.name).map(|e| e.name.as_str()).collect();
            if rest.is_empty() {
                String::new()
            } else {
                format!("; {} must have run it too", crate::config::and_list(&rest))
            }
        };
        let rebuilt = source == rebuild_branch(&target.name);
        let whose = if befores.len() == 1 { format!("{named}'s") } else { format!("one of {named}'s") };
        let rebuild_hint = || format!("rebuild it: git release promote {} {} --rebuild", first.name, target.name);
        let any_branch = befores.iter().find(|e| e.deploys == crate::config::Deploys::AnyBranch);
        return Some(if let Some(after) = befores.iter().find(|e| e.branch == source) {
            let message = if befores.len() == 1 {
                format!("{} comes after {}, whose branch is {source}", target.name, after.name)
            } else {
                format!(
                    "{} comes after {named}; {source} is the branch of {}{}",
                    target.name,
                    after.name,
                    others(after)
                )
            };
            Finding::pass(Check::PromotionPath, message)
        } else if let (Some(after), None) = (any_branch, from) {
            Finding::pass(
                Check::PromotionPath,
                format!(
                    "{} comes after {}, which deploys any branch: {source} enters once {} ran its head{}",
                    target.name,
                    after.name,
                    after.name,
                    others(after)
                ),
            )
        } else if rebuilt && !snapshot.rebuilt_extra.is_empty() {
            Finding::fail(
                Check::PromotionPath,
                format!(
                    "{source} changes {} beside {FILE_NAME}, and a rebuilt promotion carries {whose} {FILE_NAME} onto {}'s head and nothing else",
                    snapshot.rebuilt_extra.join(", "),
                    target.name
                ),
                rebuild_hint(),
            )
        } else if rebuilt && snapshot.rebuilt_foreign_file {
            Finding::fail(
                Check::PromotionPath,
                format!(
                    "{source}'s {FILE_NAME} is not the one {branches} holds, and a rebuilt promotion carries {whose} {FILE_NAME} as it is"
                ),
                rebuild_hint(),
            )
        } else if rebuilt {
            Finding::pass(
                Check::PromotionPath,
                format!("{source} carries {whose} release file onto {}'s head (promote --rebuild)", target.name),
            )
        } else {
            let what = from.map_or_else(
                || format!("{source} is not an environment branch"),
                |e| format!("{source} is the branch of {}", e.name),
            );
            Finding::fail(
                Check::PromotionPath,
                format!("{} comes after {named}, so changes enter it from {branches} only; {what}", target.name),
                format!("bring the change into {} first, then promote {} to {}", first.branch, first.name, target.name),
            )
        });
    }
    let first = snapshot.environments.first().is_some_and(|e| e.name == target.name);
    if snapshot.one_repository && from.is_none() && !first {
        let first = snapshot.environments.first().map_or("", |e| e.name.as_str());
        return Some(Finding::fail(
            Check::PromotionPath,
            format!("{source} is a feature branch, and feature branches enter the first environment ({first}) only"),
            format!("merge {source} into the branch of {first}, and promote it from there"),
        ));
    }
    Some(Finding::pass(
        Check::PromotionPath,
        format!("{} has no previous environment; any branch may enter it", target.name),
    ))
}

/// A change is judged by the settings it would replace, so what it edits is shown, for the
/// people who review it. Where `[trust]` is enforced, a change to a restricted environment's
/// settings must also be a commit signed by a key that environment lists: on a server whose hook
/// is the only review, nobody else would stop a push that weakens prod's rules.
fn release_settings(snapshot: &Snapshot<'_>) -> Finding {
    let target = &snapshot.target.name;
    if snapshot.edits.is_empty() {
        return Finding::pass(
            Check::ReleaseSettings,
            format!("the change edits no setting; {target}'s own settings judge it"),
        );
    }
    let edits = snapshot.edits.join(", ");
    let message = format!(
        "the change edits {edits}; {target}'s settings before it judge it, and the edits govern from the next change on"
    );
    match &snapshot.edits_vouched {
        Some(Use::Ignored(why)) => Finding::fail(
            Check::ReleaseSettings,
            format!("the change edits {edits} of restricted {target}, and {why}"),
            format!(
                "a change to {target}'s settings is a commit signed (git commit -S) by a key [trust.signers] lists for {target}; \
                 a promotion that should change none carries {target}'s settings as they are (edit them on every environment branch)"
            ),
        ),
        Some(Use::Warned(why)) => Finding::pass(Check::ReleaseSettings, format!("{message}; {why}")),
        Some(Use::Counts) | None => Finding::pass(Check::ReleaseSettings, message),
    }
}

fn release_file(snapshot: &Snapshot<'_>) -> Finding {
    let head = snapshot.head.short();
    match &snapshot.incoming {
        Ok(version) => {
            Finding::pass(Check::ReleaseFile, format!("release.toml at {head} is valid (version {version})"))
        }
        Err(problems) => Finding::fail(
            Check::ReleaseFile,
            format!("release.toml at {head} is not valid: {}", problems.join("; ")),
            "fix the release file on the source branch; 'git release status' shows what each branch holds".into(),
        ),
    }
}

fn version_valid(target: &Environment, version: &Version) -> Finding {
    match version.fits(target.cut) {
        Ok(()) => Finding::pass(
            Check::VersionValid,
            format!("version {version} suits {} (cut = \"{}\")", target.name, target.cut.as_str()),
        ),
        Err(misfit) => Finding::fail(
            Check::VersionValid,
            format!("version {version} does not suit {}: {misfit}", target.name),
            format!("set a semantic version: git release set <environment> 1.4.0 (cut = \"{}\")", target.cut.as_str()),
        ),
    }
}

/// `unresolved`: why the commit the target would deploy cannot be told, which may be why its
/// records could not be read either.
fn version_bumped(target: &Environment, version: &Version, last: Option<&Record>, unresolved: Option<&str>) -> Finding {
    let Some(last) = last else {
        if let Some(why) = unresolved {
            return Finding::fail(
                Check::VersionBumped,
                format!("cannot tell what {} last deployed to compare {version} with: {why}", target.name),
                "make the version resolvable, then run the gate again".into(),
            );
        }
        return Finding::pass(
            Check::VersionBumped,
            format!("{} has no deployment record yet, so any version is a bump", target.name),
        );
    };
    let last_text = &last.deployment.version;
    let hint = || format!("bump it: git release bump <environment> patch (after {last_text})");
    let Version::Semver(incoming) = version else {
        return Finding::fail(
            Check::VersionBumped,
            format!("{} requires a bump, and {version} is not a semantic version to compare", target.name),
            hint(),
        );
    };
    match Version::parse(last_text) {
        Ok(Version::Semver(previous)) if *incoming > previous => Finding::pass(
            Check::VersionBumped,
            format!("{version} is greater than {last_text}, which {} last deployed", target.name),
        ),
        Ok(Version::Semver(_)) => Finding::fail(
            Check::VersionBumped,
            format!("{version} is not greater than {last_text}, which {} last deployed ({})", target.name, last.tag),
            hint(),
        ),
        _ => Finding::pass(
            Check::VersionBumped,
            format!("{} last deployed {last_text}, not a semantic version; any version follows it", target.name),
        ),
    }
}

fn release_candidate(candidate: &Result<String, String>) -> Finding {
    match candidate {
        Ok(found) => Finding::pass(Check::ReleaseCandidate, found.clone()),
        Err(why) => Finding::fail(
            Check::ReleaseCandidate,
            why.clone(),
            "a final tag goes on the highest release candidate: deploy the version where rc tags are cut first, or release a new version".into(),
        ),
    }
}

/// Whether every environment the target comes after deployed the commit the target would; a
/// refusal names those that have not.
fn previous_deployed(snapshot: &Snapshot<'_>, befores: &[(&Environment, &Deployed)]) -> Finding {
    let target = snapshot.target;
    let named = target.after_named();
    let commit = match &snapshot.deploys {
        Some(Ok(commit)) => commit,
        Some(Err(why)) => {
            return Finding::fail(
                Check::PreviousDeployed,
                format!("cannot tell which commit {} would deploy: {why}", target.name),
                format!("make the version resolvable, then deploy it to {named}"),
            );
        }
        None => {
            return Finding::fail(
                Check::PreviousDeployed,
                format!("cannot tell which commit {} would deploy: the release file is not valid", target.name),
                "fix the release file first".into(),
            );
        }
    };
    let ran: Vec<String> = befores
        .iter()
        .filter_map(|(after, previous)| {
            let record = previous.matching.as_ref()?;
            Some(format!("{} deployed {} as {}", after.name, deployed(record, commit), record.tag))
        })
        .collect();
    let missing: Vec<&str> = befores
        .iter()
        .filter(|(_, previous)| previous.matching.is_none())
        .map(|(after, _)| after.name.as_str())
        .collect();
    if missing.is_empty() {
        return Finding::pass(Check::PreviousDeployed, ran.join("; "));
    }
    let trees = target.match_ == Match::Tree || snapshot.one_repository;
    let tree = if trees { " (nor a commit with its tree)" } else { "" };
    let has = if missing.len() == 1 { "has" } else { "have" };
    let mut message = format!(
        "{} {has} not deployed {}{tree}, which {} would deploy",
        crate::config::and_list(&missing),
        commit.short(),
        target.name
    );
    if !ran.is_empty() {
        message.push_str(&format!(" ({})", ran.join("; ")));
    }
    let pipelines: Vec<String> = missing.iter().map(|name| format!("'git release record {name}'")).collect();
    let its = if missing.len() == 1 { "its pipeline ends" } else { "their pipelines end" };
    Finding::fail(
        Check::PreviousDeployed,
        message,
        format!(
            "deploy it to {} first; {its} with {}",
            crate::config::and_list(&missing),
            crate::config::and_list(&pipelines)
        ),
    )
}

/// Whether the record that matches is still the previous environment's latest; `None` when
/// nothing matches. Shared with `prepare`, which releases only what the gate would let in.
#[must_use]
pub fn previous_current(after: &Environment, previous: &Deployed) -> Option<Finding> {
    let matching = previous.matching.as_ref()?;
    let latest = previous.latest.as_ref()?;
    Some(if latest.tag == matching.tag {
        Finding::pass(Check::PreviousCurrent, format!("{} is the latest deployment of {}", matching.tag, after.name))
    } else {
        Finding::fail(
            Check::PreviousCurrent,
            format!(
                "{} no longer runs it: {} deployed {} since ({})",
                after.name,
                after.name,
                latest.deployment.commit.short(),
                latest.tag
            ),
            format!("deploy the change to {} again, or promote what {} runs now", after.name, after.name),
        )
    })
}

fn self_deployed(snapshot: &Snapshot<'_>) -> Finding {
    let target = snapshot.target;
    let Some(Ok(commit)) = &snapshot.deploys else {
        return Finding::fail(
            Check::SelfDeployed,
            format!("cannot tell which commit {} would deploy", target.name),
            "make the version resolvable first".into(),
        );
    };
    match (&snapshot.itself.matching, &snapshot.itself.latest) {
        // What the target deployed once and has replaced since is not what it runs.
        (Some(record), Some(latest)) if latest.tag != record.tag => Finding::fail(
            Check::SelfDeployed,
            format!(
                "{} deployed {} as {}, but has deployed {} since ({})",
                target.name,
                deployed(record, commit),
                record.tag,
                latest.deployment.commit.short(),
                latest.tag
            ),
            format!(
                "deploy {} to {} again from the pull request, then run the gate again",
                commit.short(),
                target.name
            ),
        ),
        (Some(record), _) => Finding::pass(
            Check::SelfDeployed,
            format!(
                "{} deployed {} before the merge, as {}, and runs it still",
                target.name,
                deployed(record, commit),
                record.tag
            ),
        ),
        (None, _) => Finding::fail(
            Check::SelfDeployed,
            format!(
                "{} has not deployed {} yet; it deploys a change before the change merges (gate = \"self\")",
                target.name,
                commit.short()
            ),
            format!("deploy {} to {} from the pull request, then run the gate again", commit.short(), target.name),
        ),
    }
}

fn rollback(target: &Environment, record: &Record) -> Finding {
    let deployment = &record.deployment;
    Finding::pass(
        Check::Rollback,
        format!(
            "a rollback: {} ran {} ({}) before, as {}, so no other environment needs to run it now",
            target.name,
            deployment.version,
            deployment.commit.short(),
            record.tag
        ),
    )
}

/// The commit a record is on, and when that is another commit than the one asked about, so.
fn deployed(record: &Record, commit: &ObjectId) -> String {
    let on = record.deployment.commit.short();
    if &record.deployment.commit == commit { on.to_owned() } else { format!("{on} (the tree of {})", commit.short()) }
}
