//! `gate`: may this change enter that environment? The change named (by flags, or by the CI's
//! variables), judged by `gate_gather` and `gate`, and the verdict reported: printed, and with
//! `report` posted to the forge as a commit status by `execute`.

use std::path::PathBuf;

use crate::app::AppRepo;
use crate::ci;
use crate::config::Environment;
use crate::deploy;
use crate::error::{Error, Exit, Kind};
use crate::forge::{CommitStatus, State};
use crate::gate_gather::{self, Request, Verdict};
use crate::ui::{Paint, Report};
use crate::workspace::{PREVIEW_PREFIX, Workspace};

use crate::context::Context;

/// The change to judge, and whether to post the verdict.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The environment or branch it goes into; with `ci`, the CI's target when absent.
    pub target: Option<String>,
    pub source: Option<String>,
    pub head: Option<String>,
    /// Read target, source and head from the CI's variables.
    pub ci: bool,
    pub app_dir: Option<PathBuf>,
    /// Post the verdict to the forge as a commit status.
    pub report: bool,
    pub pipeline_url: Option<String>,
}

/// The context of the gate's commit status.
pub const STATUS_CONTEXT: &str = "git-release/gate";

/// The variable a pipeline sets for the page of its run, read by `gate --report` and `record`.
pub const PIPELINE_URL: &str = "GIT_RELEASE_PIPELINE_URL";

/// The most characters of a status description every forge keeps (GitHub's limit).
const DESCRIPTION_LIMIT: usize = 140;

/// Judges the change and reports the verdict; exit 1 when the gate refuses.
///
/// # Errors
/// A change that cannot be named or read, no forge for `report`, a forge that fails.
pub fn gate(context: &Context, args: &Options) -> Result<Exit, Error> {
    let (target, source, head) = inputs(args)?;
    let mut judging = context.judging_workspace()?;
    // The change is judged as the remote has it, as its target is: a local branch left behind is
    // not what a merge would bring.
    judging.remote_first = true;
    let (workspace, target) = governing(judging, &target, !context.offline)?;
    let source = source.or_else(|| workspace.file.before(&target).first().map(|e| e.branch.clone()));
    let head = match head {
        Some(rev) => workspace
            .repo
            .rev_parse_commit(&rev)
            .map_err(|_| Refusal::NotACommit { rev: rev.clone(), remote: workspace.remote.clone() })?,
        None => branch_head(&workspace, source.as_deref().unwrap_or(&target.branch), !context.offline)?,
    };
    let app = AppRepo::open(&workspace, args.app_dir.as_deref())?;
    let online = !context.offline && app.has_remote();
    if online {
        deploy::refresh(&workspace, &app, &[&target])?;
    }
    // The gate writes no tags, and fetches nothing more: its checks may share one listing.
    app.repo.keep_tag_listing();
    let forge = if args.report {
        let forge = context.forge(&workspace)?;
        Some(forge.ok_or(Refusal::NoForge)?)
    } else {
        None
    };
    let verdict =
        gate_gather::evaluate(&workspace, Some(&app), &Request { target, source, head, settings: None }, online)?;
    context.tell_trust(&app);
    let allowed = verdict.allowed;
    if let Some(forge) = forge {
        let var = |key: &str| std::env::var(key).ok();
        let url = args.pipeline_url.clone().or_else(|| ci::System::detect(&var).and_then(|s| s.pipeline_url(&var)));
        let url = url.map(|url| crate::secret::redact(url.trim()));
        let status = status_of(&verdict, url);
        crate::execute::forge::post_status(forge.as_ref(), &verdict.head, &status)?;
        context.ui.message(&format!(
            "posted {STATUS_CONTEXT} = {} on {} to {}",
            if allowed { "success" } else { "failure" },
            verdict.head.short(),
            forge.location().kind.title()
        ));
    }
    context.ui.report(&GateReport(verdict));
    Ok(if allowed { Exit::Success } else { Exit::Refused })
}

/// The verdict as a commit status: the first failing finding says why, cut to what forges keep.
fn status_of(verdict: &Verdict, url: Option<String>) -> CommitStatus {
    let description = match verdict.findings.iter().find(|f| !f.ok) {
        Some(failed) => format!("{}: {}", failed.check.as_str(), failed.message),
        None => format!("allowed into {}: {} checks pass", verdict.target.environment, verdict.findings.len()),
    };
    let description = if description.chars().count() > DESCRIPTION_LIMIT {
        let mut cut: String = description.chars().take(DESCRIPTION_LIMIT - 1).collect();
        cut.push('…');
        cut
    } else {
        description
    };
    CommitStatus {
        state: if verdict.allowed { State::Success } else { State::Failure },
        context: STATUS_CONTEXT.to_owned(),
        description,
        url,
    }
}

/// How the change names the environment it would enter.
enum Named {
    /// As a person does: by name or by branch, looked up in the release file found first.
    Given(String),
    /// As a CI does: the pull request's target branch.
    Branch(String),
}

/// The environment the change would enter, and the settings that judge it: that environment's
/// branch's own, as the branch stands before the change. The release file found first (in CI,
/// the change's own) only turns a name into a branch.
fn governing(found: Workspace, target: &Named, online: bool) -> Result<(Workspace, Environment), Error> {
    let branch = match target {
        Named::Given(text) => {
            let environment = found.find_environment(text)?;
            if !found.file.environments.iter().any(|e| e.branch == environment.branch) {
                // A preview has no settings of its own and is never restricted.
                return Ok((found, environment));
            }
            environment.branch
        }
        Named::Branch(branch) => {
            let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
            let preview = match branch.strip_prefix(PREVIEW_PREFIX) {
                Some(name) => found.preview(name)?,
                None => None,
            };
            if let Some(preview) = preview {
                return Ok((found, preview));
            }
            branch.to_owned()
        }
    };
    found.governing(&branch, online)
}

/// Target, source and head: from the flags, else from the CI's variables with `--ci`.
fn inputs(args: &Options) -> Result<(Named, Option<String>, Option<String>), Error> {
    if !args.ci {
        let target = args.target.clone().expect("clap requires --target without --ci");
        return Ok((Named::Given(target), args.source.clone(), args.head.clone()));
    }
    let var = |key: &str| std::env::var(key).ok();
    let Some(system) = ci::System::detect(&var) else {
        return Err(Refusal::NoCi.into());
    };
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let pull_request =
        system.pull_request(&var, &read).map_err(|error| Refusal::NoPullRequest { why: error.to_string() })?;
    // A fork's branch is no branch of this repository, whatever it is called: named with its
    // repository, it is no environment's branch, and no promotion.
    let source = match &pull_request.fork {
        Some(fork) => format!("{fork}:{}", pull_request.source),
        None => pull_request.source,
    };
    Ok((
        args.target.clone().map_or(Named::Branch(pull_request.target), Named::Given),
        Some(args.source.clone().unwrap_or(source)),
        Some(args.head.clone().unwrap_or(pull_request.head)),
    ))
}

/// The head of `branch` as the remote has it: fetched first when `online`.
fn branch_head(workspace: &Workspace, branch: &str, online: bool) -> Result<crate::object_id::ObjectId, Error> {
    crate::refname::check_short(branch)
        .map_err(|why| Refusal::NotABranchName { branch: branch.escape_debug().to_string(), why: why.to_string() })?;
    if online {
        workspace.fetch_branch(branch)?;
    }
    let tip = workspace.repo.remote_branch_tip(branch, &workspace.remote)?;
    tip.id()
        .cloned()
        .ok_or_else(|| Refusal::BranchMissing { branch: branch.to_owned(), remote: workspace.remote.clone() }.into())
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct GateReport(Verdict);

impl Report for GateReport {
    fn human(&self, paint: Paint) -> String {
        render(&self.0, paint)
    }
}

/// The verdict as people read it: the change, one line per check, and the answer.
#[must_use]
pub fn render(verdict: &Verdict, paint: Paint) -> String {
    let source = verdict.source.as_deref().map_or_else(String::new, |s| format!(" from {s}"));
    let deploys = verdict.deploys.as_ref().map_or_else(String::new, |d| {
        format!(", deploying {}{}", d.short(), crate::record::parts_shown(&verdict.components))
    });
    let mut out = format!(
        "{} {} ({}){source} at {}{deploys}\n",
        paint.bold("Gate into"),
        verdict.target.environment,
        verdict.target.branch,
        verdict.head.short()
    );
    let width = verdict.findings.iter().map(|f| f.check.as_str().len()).max().unwrap_or(0);
    for finding in &verdict.findings {
        let mark = if finding.ok { paint.green("ok  ") } else { paint.red("FAIL") };
        out.push_str(&format!("  {mark}  {:<width$}  {}\n", finding.check.as_str(), finding.message));
        if let Some(hint) = &finding.hint {
            out.push_str(&format!("        {:<width$}  {} {hint}\n", "", paint.yellow("hint:")));
        }
    }
    let failed: Vec<&str> = verdict.findings.iter().filter(|f| !f.ok).map(|f| f.check.as_str()).collect();
    if failed.is_empty() {
        out.push_str(&format!("{}\n", paint.green("allowed")));
    } else {
        out.push_str(&format!("{} {}\n", paint.red("refused:"), failed.join(", ")));
    }
    out
}

/// Why the `gate` command cannot judge the change it was given: each case a variant that callers
/// and tests can match, with what to do next. (A change the gate judges and refuses is a
/// verdict, not one of these.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("--head names `{rev}`, which is not a commit here")]
    NotACommit { rev: String, remote: String },
    #[error("branch {branch} does not exist here")]
    BranchMissing { branch: String, remote: String },
    /// `branch` is shown escaped.
    #[error("`{branch}` is not a branch name: {why}")]
    NotABranchName { branch: String, why: String },
    #[error("--report has no forge to post the gate's status to")]
    NoForge,
    #[error("--ci found no CI system it knows in the environment")]
    NoCi,
    /// The CI's variables describe no pull request (`why` says how).
    #[error("{why}")]
    NoPullRequest { why: String },
    #[error("--pipeline-url names the page the gate's status links to, and --report is not given")]
    PipelineUrlWithoutReport,
}

impl crate::error::Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        Kind::Usage
    }

    fn causes(&self) -> Vec<String> {
        let cause = match self {
            Refusal::NoForge => {
                "the release repository's remote is on no forge git-release knows, [forge] kind is \"none\", or --offline is set"
            }
            Refusal::NoCi => {
                "looked for GitHub Actions, GitLab CI, Azure Pipelines, Bitbucket Pipelines, Jenkins and Tekton Pipelines-as-Code (PAC_TARGET_BRANCH)"
            }
            _ => return Vec::new(),
        };
        vec![cause.to_owned()]
    }

    fn hints(&self) -> Vec<String> {
        let hint = match self {
            Refusal::NotACommit { remote, .. } => format!("fetch it first: git fetch {remote}"),
            Refusal::BranchMissing { branch, remote } => {
                format!("fetch it with 'git fetch {remote} {branch}', or name the commit with --head")
            }
            Refusal::NotABranchName { .. } => {
                "name the change's branch as git does, or the commit itself with --head".to_owned()
            }
            Refusal::NoForge => {
                "set [forge] kind, api and repository in release.toml, or leave out --report".to_owned()
            }
            Refusal::NoCi => {
                "pass the change as flags: git release gate --target <env> --source <branch> --head <sha>".to_owned()
            }
            Refusal::NoPullRequest { .. } => {
                "run the gate on pull request pipelines, or pass --target, --source and --head".to_owned()
            }
            Refusal::PipelineUrlWithoutReport => {
                "add --report to post the gate's status, or leave out --pipeline-url".to_owned()
            }
        };
        vec![hint]
    }
}
