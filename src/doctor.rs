//! `git release doctor`: what makes this setup trustworthy and working, each as a finding with
//! what to do about it. It reads this repository as last fetched, and asks the forge and the
//! application repository read-only questions; it writes nothing anywhere.

use serde::Serialize;

use crate::config::pipeline::System;
use crate::config::{self, Content, Environment, FILE_NAME, TrustMode, edit};
use crate::context::Context;
use crate::error::{Error, Exit};
use crate::forge::Forge;
use crate::git::Repo;
use crate::guard::HookOwner;
use crate::ui::{Paint, Report};
use crate::workspace::Workspace;

/// The status checks that count as the gate's: the one `gate --report` posts, and the job of the
/// GitHub Actions template.
const GATE_CHECKS: [&str; 2] = [crate::gate_report::STATUS_CONTEXT, "gate"];

/// How long a repository asked over http may send nothing before doctor gives up on it.
const ANSWER_WITHIN: u32 = 20;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub ok: bool,
    pub message: String,
    /// What to do about a failed check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    fn pass(check: &'static str, message: impl Into<String>) -> Finding {
        Finding { check, ok: true, message: message.into(), hint: None }
    }

    fn fail(check: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Finding {
        Finding { check, ok: false, message: message.into(), hint: Some(hint.into()) }
    }
}

#[derive(Debug, Serialize)]
struct DoctorReport {
    ok: bool,
    findings: Vec<Finding>,
}

impl Report for DoctorReport {
    fn human(&self, paint: Paint) -> String {
        let width = self.findings.iter().map(|f| f.check.len()).max().unwrap_or(0);
        let mut out = String::new();
        for finding in &self.findings {
            let mark = if finding.ok { paint.green("ok  ") } else { paint.red("FAIL") };
            out.push_str(&format!("  {mark}  {:<width$}  {}\n", finding.check, finding.message));
            if let Some(hint) = &finding.hint {
                out.push_str(&format!("        {:<width$}  {} {hint}\n", "", paint.yellow("fix:")));
            }
        }
        let failed: Vec<&str> = self.findings.iter().filter(|f| !f.ok).map(|f| f.check).collect();
        if failed.is_empty() {
            out.push_str(&format!("{}\n", paint.green("nothing to fix")));
        } else {
            out.push_str(&format!("{} {}\n", paint.red(&format!("{} to fix:", failed.len())), failed.join(", ")));
        }
        out
    }
}

/// Checks the setup and prints every finding: exit 0 when nothing is wrong, 1 otherwise.
///
/// # Errors
/// When this is not a git repository.
pub fn doctor(context: &Context) -> Result<Exit, Error> {
    let repo = context.repo()?;
    let findings = if let Some(url) = repo.config_string(crate::released::REPOSITORY_KEY) {
        application(context, &repo, &url)
    } else {
        match context.judging_workspace() {
            Ok(workspace) => examine(context, &repo, &workspace),
            // The file proposed on release-init/<branch> is not read: anyone who may push can
            // write it. Nothing else can be judged until the branch holds one.
            Err(error) => match waiting(&repo, &context.remote) {
                Some(branch) => vec![Finding::fail(
                    "release-file",
                    format!("release.configRef reads the settings from {branch}: {}", error.message),
                    format!(
                        "{}; read it first: anyone who may push can change {}{branch}",
                        merge_hint(&branch),
                        crate::init::SIDE_PREFIX
                    ),
                )],
                None => vec![Finding::fail(
                    "release-file",
                    format!("no release file decides here: {}", error.message),
                    "in a release repository, git release init brings release.toml onto every environment branch \
                     (it adopts branches that exist); in an application repository, git release hooks install \
                     --release <url> guards its tags by the release repository's settings",
                )],
            },
        }
    };
    let ok = findings.iter().all(|f| f.ok);
    context.ui.report(&DoctorReport { ok, findings });
    Ok(if ok { Exit::Success } else { Exit::Refused })
}

/// The branch `release.configRef` names, where `init` proposed a release file for it on
/// release-init/<branch> and the pull request waits.
fn waiting(repo: &Repo, remote: &str) -> Option<String> {
    let reference = repo.config_string("release.configRef")?;
    let branch = reference.strip_prefix("refs/heads/")?.to_owned();
    let side = format!("refs/remotes/{remote}/{}{branch}", crate::init::SIDE_PREFIX);
    repo.reference(&side).ok()?.map(|_| branch)
}

fn merge_hint(branch: &str) -> String {
    format!(
        "merge the pull request from {}{branch} into {branch} (a merge commit, not squashed)",
        crate::init::SIDE_PREFIX
    )
}

/// An application repository whose hooks guard its tags by a release repository's settings:
/// that repository answers with the branch they are read from, and the hook is installed.
fn application(context: &Context, repo: &Repo, url: &str) -> Vec<Finding> {
    let shown = crate::secret::redact(url);
    let fix = format!("git release hooks install --release {}", crate::refname::shell_word(&shown));
    let release = match repo.config_string(crate::released::BRANCH_KEY) {
        None => Finding::fail(
            "release-repository",
            format!("{} is {shown}, and {} is not set", crate::released::REPOSITORY_KEY, crate::released::BRANCH_KEY),
            fix,
        ),
        Some(_) if context.offline => Finding::pass("release-repository", format!("{shown}: not asked (--offline)")),
        Some(branch) => match repo.ls_remote_within(url, &[format!("refs/heads/{branch}")], ANSWER_WITHIN) {
            Ok(heads) if !heads.is_empty() => Finding::pass(
                "release-repository",
                format!("{shown} answers; its {branch} decides which tags this repository takes"),
            ),
            Ok(_) => Finding::fail("release-repository", format!("{shown} has no branch {branch}"), fix),
            Err(error) => Finding::fail(
                "release-repository",
                format!("{shown} does not answer: {}", Error::from(error).causes.join("; ")),
                "check the address and this machine's access to it",
            ),
        },
    };
    vec![release, hooks(repo)]
}

fn examine(context: &Context, repo: &Repo, workspace: &Workspace) -> Vec<Finding> {
    let file = &workspace.file;
    let last = file.environments.last().expect("a release file lists at least one environment");
    let mut findings = vec![Finding::pass("release-file", workspace.origin.to_string())];
    findings.extend(environment_branches(workspace));
    findings.push(shared_history(workspace));
    findings.push(config_ref(repo, &last.branch));
    findings.push(hooks(repo));
    findings.push(trust(file.trust.mode));
    findings.push(signing(repo, workspace));
    let pipeline = pipeline(workspace);
    let system = pipeline.found.as_ref().map(|(system, _, _)| *system);
    findings.push(ci(workspace, &pipeline));
    findings.extend(forge(context, workspace, system));
    findings.push(app_repository(context, repo, &file.app.repo));
    findings
}

/// Every environment branch exists and holds a valid release file, and all of them agree with
/// the one that decides on everything but the version.
fn environment_branches(workspace: &Workspace) -> Vec<Finding> {
    let mut missing = Vec::new();
    let mut hint = "git release init brings release.toml onto every environment branch".to_owned();
    let mut differing = Vec::new();
    let decides = settings_of(&workspace.content);
    for env in &workspace.file.environments {
        let tip = match workspace.repo.remote_branch_tip(&env.branch, &workspace.remote) {
            Ok(tip) => tip,
            Err(error) => {
                missing.push(format!("{} cannot be read ({error})", env.branch));
                continue;
            }
        };
        let read = workspace.branch_file(env, &tip);
        let Ok(Some((content, origin))) = read else {
            if tip.id().is_none() {
                missing.push(format!("{} does not exist here or on {}", env.branch, workspace.remote));
            } else {
                missing.push(format!("{} has no {FILE_NAME}", env.branch));
                let side = format!("refs/remotes/{}/{}{}", workspace.remote, crate::init::SIDE_PREFIX, env.branch);
                if workspace.repo.reference(&side).ok().flatten().is_some() {
                    hint = merge_hint(&env.branch);
                }
            }
            continue;
        };
        if let Err(error) = config::parse(&content, &origin) {
            missing.push(format!("{origin} is not valid: {}", Error::from(error).message));
        } else if settings_of(&content) != decides {
            differing.push(origin.place.clone());
        }
    }
    let names: Vec<&str> = workspace.file.environments.iter().map(|e| e.branch.as_str()).collect();
    let branches = if missing.is_empty() {
        Finding::pass("environment-branches", format!("{} each hold {FILE_NAME}", names.join(", ")))
    } else {
        Finding::fail("environment-branches", missing.join("; "), hint)
    };
    let agree = if differing.is_empty() {
        Finding::pass("settings-agree", format!("every environment branch's {FILE_NAME} agrees but for its version"))
    } else {
        Finding::fail(
            "settings-agree",
            format!(
                "{FILE_NAME} on {} differs from {} in more than its version",
                differing.join(", "),
                workspace.origin.place
            ),
            format!(
                "commit the settings of {} onto every environment branch (each keeps its own version)",
                workspace.origin.place
            ),
        )
    };
    vec![branches, agree]
}

/// Each environment and the one it comes after share the commit that added the release file:
/// else (a squash-merged pull request from init, files added by hand on each branch) a promotion
/// between them meets an add/add conflict in it.
fn shared_history(workspace: &Workspace) -> Finding {
    let repo = &workspace.repo;
    let tip = |branch: &str| repo.remote_branch_tip(branch, &workspace.remote).ok().and_then(|t| t.id().cloned());
    let mut apart = Vec::new();
    let mut fix = String::new();
    for env in &workspace.file.environments {
        for after in &env.after {
            let Some(before) = workspace.file.environments.iter().find(|e| &e.name == after) else { continue };
            let (Some(from), Some(into)) = (tip(&before.branch), tip(&env.branch)) else { continue };
            let bases = repo.merge_bases(&from, &into).unwrap_or_default();
            let shares = bases.iter().any(|base| repo.read_top_file(base, FILE_NAME).ok().flatten().is_some());
            if !shares {
                apart.push(format!("{} and {}", before.branch, env.branch));
                if let Ok(Some(added)) = repo.first_adding(&from, FILE_NAME) {
                    fix = format!(
                        "give {} a merge that keeps its files: git switch {} && git merge -s ours {}, then push it (by pull request where it is protected)",
                        env.branch,
                        crate::refname::shell_word(&env.branch),
                        added.short()
                    );
                }
            }
        }
    }
    if apart.is_empty() {
        return Finding::pass("shared-history", "each promotion's branches share the commit that added release.toml");
    }
    Finding::fail(
        "shared-history",
        format!(
            "{} do not share the commit that added {FILE_NAME}: a promotion between them meets a conflict in it",
            apart.join("; ")
        ),
        if fix.is_empty() {
            "merge the commit that added it into each branch, keeping its files".to_owned()
        } else {
            fix
        },
    )
}

/// A release file's settings, but for its version and its comments.
fn settings_of(content: &Content) -> Option<String> {
    let Content::Bytes(bytes) = content else { return None };
    edit::settings_only(std::str::from_utf8(bytes).ok()?)
}

fn config_ref(repo: &Repo, last: &str) -> Finding {
    let wanted = format!("refs/heads/{last}");
    let fix = format!(
        "git config release.configRef {} (git release hooks install sets it too)",
        crate::refname::shell_word(&wanted)
    );
    match repo.config_string("release.configRef") {
        Some(set) if set == wanted => Finding::pass("config-ref", format!("release.configRef = {set}")),
        Some(set) => Finding::fail(
            "config-ref",
            format!("release.configRef is {set}, not the last environment's branch {last}"),
            fix,
        ),
        None => Finding::fail(
            "config-ref",
            "release.configRef is not set: what a hook or the gate judges by could be read from a branch any push changes",
            fix,
        ),
    }
}

fn hooks(repo: &Repo) -> Finding {
    let (name, state) = crate::guard::hook_state(repo);
    let fix = if repo.is_bare() {
        "git release hooks install (here, on the server: pushes with --no-verify cannot skip it)"
    } else {
        "git release hooks install"
    };
    match state {
        HookOwner::GitRelease => Finding::pass("hooks", format!("{name} is git-release's")),
        HookOwner::Broken(why) => Finding::fail(
            "hooks",
            format!("{name} is git-release's, but {why}"),
            "git release hooks uninstall, then git release hooks install",
        ),
        HookOwner::Framework => Finding::pass("hooks", format!("{name} runs git-release through pre-commit")),
        HookOwner::Other => Finding::fail(
            "hooks",
            format!("{name} is another tool's hook"),
            format!("{fix} --force, which runs it first"),
        ),
        HookOwner::None => Finding::fail(
            "hooks",
            format!("no {name} hook: a push from here into a restricted environment is judged only on the server"),
            fix,
        ),
    }
}

fn trust(mode: TrustMode) -> Finding {
    let fix = "sign the deploy jobs' tags, list their keys under [trust.signers] and set [trust] mode = \"enforce\" \
               on every environment branch (git release init --sign KEY does it for a new setup; see \"Trust\" in docs/gate.md)";
    match mode {
        TrustMode::Enforce => Finding::pass(
            "trust",
            "[trust] mode = \"enforce\": only records and version tags a listed key signed count",
        ),
        TrustMode::Warn => Finding::fail(
            "trust",
            "[trust] mode = \"warn\": an unsigned or forged record still counts, with a warning",
            "set [trust] mode = \"enforce\" once every deploy job signs",
        ),
        TrustMode::Off => Finding::fail(
            "trust",
            "[trust] is off: anyone who may push a tag can forge a record the gate believes",
            fix,
        ),
    }
}

/// Where tags are made here, they are signed with a key the release file trusts. A clone that
/// signs nothing is fine, but for a CI job, which makes the records.
fn signing(repo: &Repo, workspace: &Workspace) -> Finding {
    let listed: Vec<&config::Signer> = workspace.file.trust.signers.iter().flat_map(|(_, keys)| keys).collect();
    let sign = repo.config_string("tag.gpgSign").is_some_and(|v| matches!(v.as_str(), "true" | "yes" | "on" | "1"));
    let key = repo.config_string("user.signingKey");
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let fix = "git config tag.gpgSign true, git config gpg.format ssh, git config user.signingKey <key file>, \
               with the key listed under [trust.signers]";
    match (sign, key) {
        (true, Some(key)) => {
            let signer = crate::init::signer_of(&key);
            match signer {
                Some(signer) if listed.is_empty() || listed.contains(&&signer) => {
                    Finding::pass("signing", "tags made here are signed")
                }
                Some(_) => Finding::fail(
                    "signing",
                    format!("tags made here are signed with {key}, which [trust.signers] does not list"),
                    "list its public key under [trust.signers] for the environments it deploys",
                ),
                None => {
                    Finding::fail("signing", format!("user.signingKey {key} names no key git-release can read"), fix)
                }
            }
        }
        _ if in_ci => Finding::fail("signing", "this CI job makes records, and its tags are not signed", fix),
        _ => Finding::pass("signing", "this clone signs no tags; the deploy jobs that make records sign theirs"),
    }
}

/// Each environment branch's tip, and the pipeline found on the last one that holds one: its
/// system, that branch, and the text of each of its files.
struct Pipeline<'w> {
    tips: Vec<(&'w str, Option<crate::object_id::ObjectId>)>,
    found: Option<(System, &'w str, Vec<String>)>,
}

fn pipeline(workspace: &Workspace) -> Pipeline<'_> {
    let tips: Vec<(&str, Option<crate::object_id::ObjectId>)> = workspace
        .file
        .environments
        .iter()
        .map(|env| {
            let tip =
                workspace.repo.remote_branch_tip(&env.branch, &workspace.remote).ok().and_then(|t| t.id().cloned());
            (env.branch.as_str(), tip)
        })
        .collect();
    let found = tips.iter().rev().find_map(|(branch, tip)| {
        let tip = tip.as_ref()?;
        System::ALL.iter().find_map(|s| pipeline_files(workspace, *s, tip).map(|texts| (*s, *branch, texts)))
    });
    Pipeline { tips, found }
}

/// The text of each file of `system`'s pipeline at `commit`, where it has them all.
fn pipeline_files(workspace: &Workspace, system: System, commit: &crate::object_id::ObjectId) -> Option<Vec<String>> {
    system.files().iter().map(|(path, _)| workspace.repo.read_path(commit, path).ok().flatten()).collect()
}

/// The CI pipeline of the environment branches: present on each, naming them all, and running
/// every git-release command its template runs.
fn ci(workspace: &Workspace, pipeline: &Pipeline<'_>) -> Finding {
    let tips = &pipeline.tips;
    let present = |system: System, commit: &crate::object_id::ObjectId| pipeline_files(workspace, system, commit);
    let Some((system, holder, texts)) = &pipeline.found else {
        let guess = guess_system(workspace);
        let write = if workspace.repo.is_bare() {
            format!("in a clone, git release init --ci {guess} writes it")
        } else {
            format!("git release init --ci {guess} writes it")
        };
        return Finding::fail(
            "ci",
            "no git-release pipeline on any environment branch",
            format!("{write}; commit it onto every environment branch"),
        );
    };
    let (system, holder) = (*system, *holder);
    let name = system.name();
    let lacking: Vec<&str> = tips
        .iter()
        .filter(|(_, tip)| tip.as_ref().is_none_or(|tip| present(system, tip).is_none()))
        .map(|(branch, _)| *branch)
        .collect();
    if !lacking.is_empty() {
        return Finding::fail(
            "ci",
            format!("the {name} pipeline is on {holder} but not on {}", lacking.join(", ")),
            format!("commit it onto {} too", lacking.join(", ")),
        );
    }
    let unnamed: Vec<&str> = tips
        .iter()
        .map(|(branch, _)| *branch)
        .filter(|branch| names_branches(system) && !texts.iter().any(|text| text.contains(*branch)))
        .collect();
    let refresh = format!("move it away, run git release init --ci {name} in a clone, and put your own changes back");
    if !unnamed.is_empty() {
        return Finding::fail("ci", format!("the {name} pipeline does not name {}", unnamed.join(", ")), refresh);
    }
    // Each branch runs the pipeline it holds: a gate job emptied on one of them opens it.
    for (branch, tip) in tips {
        let Some(texts) = tip.as_ref().and_then(|tip| present(system, tip)) else { continue };
        for ((path, template), text) in system.files().iter().zip(&texts) {
            let missing: Vec<String> =
                commands(template).into_iter().filter(|command| !text.contains(command.as_str())).collect();
            if !missing.is_empty() {
                return Finding::fail("ci", format!("{path} on {branch} does not run {}", missing.join(", ")), refresh);
            }
        }
    }
    Finding::pass("ci", format!("the {name} pipeline is on every environment branch"))
}

/// The git-release commands a pipeline template runs: `git release gate`, `git release record`.
fn commands(template: &str) -> Vec<String> {
    let mut found: Vec<String> = template
        .lines()
        .filter(|line| !line.trim_start().starts_with(['#', '/']))
        .flat_map(|line| line.split("git release ").skip(1))
        .filter_map(|rest| {
            let word: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '-').collect();
            (!word.is_empty()).then(|| format!("git release {word}"))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Whether the system's pipeline lists the branches it runs on.
fn names_branches(system: System) -> bool {
    matches!(system, System::Github | System::Gitlab | System::Azure | System::Bitbucket)
}

fn guess_system(workspace: &Workspace) -> &'static str {
    match workspace.configured_forge() {
        Some(crate::forge::Kind::Gitlab) => "gitlab",
        Some(crate::forge::Kind::AzureDevops) => "azure",
        Some(crate::forge::Kind::BitbucketCloud | crate::forge::Kind::BitbucketServer) => "bitbucket",
        _ => "github",
    }
}

/// The forge answers with a token that may push, and requires the gate on the branches it guards.
fn forge(context: &Context, workspace: &Workspace, system: Option<System>) -> Vec<Finding> {
    if context.offline {
        return vec![Finding::pass("forge", "not asked (--offline)")];
    }
    let forge = match context.forge(workspace) {
        Ok(Some(forge)) => forge,
        Ok(None) => return vec![Finding::pass("forge", "no forge: promotions are printed, not opened")],
        Err(error) => return vec![Finding::fail("forge", error.message, error.hints.join("; "))],
    };
    let title = forge.location().kind.title();
    // Without a token, or with one refused, a forge still answers what anyone may read.
    if let Err(error) = forge.account() {
        let error = Error::from(error);
        let hint = error.hints.first().cloned().unwrap_or_else(|| "check the token and [forge]".into());
        let said = std::iter::once(error.message).chain(error.causes).collect::<Vec<_>>().join(": ");
        return vec![Finding::fail("forge", said, hint)];
    }
    let reached = match forge.may_push() {
        Ok(Some(true) | None) => {
            Finding::pass("forge", format!("{title} answers, and the token may open pull requests"))
        }
        Ok(Some(false)) => Finding::fail(
            "forge",
            format!("{title} answers, but the token may not push: promotions cannot be opened"),
            "give the token write access to contents and pull requests",
        ),
        Err(error) => {
            let error = Error::from(error);
            let hint = error.hints.first().cloned().unwrap_or_else(|| "check the token and [forge]".into());
            return vec![Finding::fail("forge", error.message, hint)];
        }
    };
    vec![reached, protection(forge.as_ref(), &workspace.file.environments, system)]
}

/// Each environment a change enters by the gate requires the gate's status on the forge.
fn protection(forge: &dyn Forge, environments: &[Environment], system: Option<System>) -> Finding {
    let guarded: Vec<&Environment> = environments.iter().filter(|e| e.restricted || !e.after.is_empty()).collect();
    let mut unreadable = Vec::new();
    let mut unrequired = Vec::new();
    for env in &guarded {
        match forge.required_checks(&env.branch) {
            Ok(Some(checks)) if checks.iter().any(|c| GATE_CHECKS.contains(&c.as_str())) => {}
            Ok(Some(_)) => unrequired.push(env.branch.as_str()),
            Ok(None) | Err(_) => unreadable.push(env.branch.as_str()),
        }
    }
    let title = forge.location().kind.title();
    if !unrequired.is_empty() {
        return Finding::fail(
            "protection",
            format!("{title} does not require the gate's status on {}", unrequired.join(", ")),
            match system {
                Some(System::Github) | None => format!(
                    "make gate (the release-gate workflow's check) a required status check of {} in branch protection",
                    unrequired.join(", ")
                ),
                Some(_) => format!(
                    "require the pipeline's gate job on changes into {} (a job that runs 'git release gate --report' posts {})",
                    unrequired.join(", "),
                    crate::gate_report::STATUS_CONTEXT
                ),
            },
        );
    }
    if !unreadable.is_empty() {
        return Finding::pass(
            "protection",
            format!("{title} does not let this token read the protection of {}: not checked", unreadable.join(", ")),
        );
    }
    let names: Vec<&str> = guarded.iter().map(|e| e.branch.as_str()).collect();
    Finding::pass("protection", format!("{title} requires the gate on {}", names.join(", ")))
}

fn app_repository(context: &Context, repo: &Repo, app: &str) -> Finding {
    if app == "." {
        return Finding::pass("app-repository", "the application lives in this repository");
    }
    let shown = crate::secret::redact(app);
    if context.offline {
        return Finding::pass("app-repository", format!("{shown}: not asked (--offline)"));
    }
    match repo.ls_remote_within(app, &["HEAD".to_owned()], ANSWER_WITHIN) {
        Ok(_) => Finding::pass("app-repository", format!("{shown} answers")),
        Err(error) => Finding::fail(
            "app-repository",
            format!("{shown} does not answer: {}", Error::from(error).causes.join("; ")),
            "check [app] repo and this machine's access to it",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_compare_without_version_or_comments() {
        let a = Content::Bytes(b"# one\nversion = \"1.0.0\"\n[app]\nrepo = \".\"\n".to_vec());
        let b = Content::Bytes(b"version = \"WIP\" # two\n\n[app]\nrepo = \".\"\n".to_vec());
        let c = Content::Bytes(b"version = \"WIP\"\n[app]\nrepo = \"../app.git\"\n".to_vec());
        assert_eq!(settings_of(&a), settings_of(&b));
        assert_ne!(settings_of(&a), settings_of(&c));
        assert!(settings_of(&a).is_some());
    }

    #[test]
    fn each_template_runs_the_gate_or_a_deployment() {
        for system in System::ALL {
            let all: Vec<String> = system.files().iter().flat_map(|(_, template)| commands(template)).collect();
            assert!(
                all.iter().any(|c| c == "git release gate" || c == "git release record"),
                "{}: {all:?}",
                system.name()
            );
        }
    }

    #[test]
    fn trust_off_is_a_finding_with_its_fix() {
        let off = trust(TrustMode::Off);
        assert!(!off.ok);
        assert!(off.hint.as_deref().is_some_and(|h| h.contains("git release init --sign KEY")), "{off:?}");
        assert!(trust(TrustMode::Enforce).ok);
    }
}
