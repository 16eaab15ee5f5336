//! `status`: what each environment branch holds, what runs there, whether it runs what its
//! branch asks for, and whether a promotion into it would pass the gate.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::AppRepo;
use crate::config::Environment;
use crate::deploy::drift::{self, Drift};
use crate::error::{Error, Exit};
use crate::gate_gather::{self, Request, Verdict};
use crate::git::BranchTip;
use crate::object_id::ObjectId;
use crate::record::{self, Record};
use crate::ui::{Paint, Report};
use crate::version::Cut;
use crate::workspace::{EnvironmentState, Workspace};

use crate::context::Context;

/// Reports every environment; with `exit_code`, exit 1 when any does not run what its branch
/// asks for, or its release file is invalid.
///
/// # Errors
/// When the release repository or the records cannot be read.
pub fn status(context: &Context, exit_code: bool) -> Result<Exit, Error> {
    let workspace = context.judging_workspace()?;
    let report = survey(context, &workspace)?;
    let off =
        report.environments.iter().any(|row| row.invalid.is_some() || row.drift.as_ref().is_some_and(|d| d.behind));
    context.ui.report(&report);
    Ok(if exit_code && off { Exit::Refused } else { Exit::Success })
}

/// What `status` shows, read from local references only: each environment's branch, latest
/// record, drift and gate.
///
/// # Errors
/// When the release repository or the records cannot be read.
pub fn survey(context: &Context, workspace: &Workspace) -> Result<StatusReport, Error> {
    let (states, invalid): (Vec<EnvironmentState>, Vec<Option<Error>>) =
        workspace.environment_states_each()?.into_iter().unzip();
    let names: Vec<&str> = workspace.file.environments.iter().map(|e| e.name.as_str()).collect();
    // Each environment's own settings judge what enters it, as the gate reads them.
    let settings: Vec<Option<(Workspace, Environment)>> =
        states.iter().map(|state| gate_gather::settings_of(workspace, &state.environment, Some(state))).collect();
    // A promotion into each environment: its `after` environment's branch, as it is now.
    let requests: Vec<Option<Request>> = states
        .iter()
        .zip(&settings)
        .map(|(state, settings)| {
            let target = settings.as_ref().map_or(&state.environment, |(_, environment)| environment);
            // An environment that deploys any branch promotes none of its own: feature
            // branches go on from it, each judged by the gate on its own pull request. Where
            // several come before, the promotion comes from the first listed, as reconcile's.
            let after = target.after.first()?;
            let source = states
                .iter()
                .find(|s| &s.environment.name == after && s.environment.deploys != crate::config::Deploys::AnyBranch)?;
            Some(Request {
                target: target.clone(),
                source: Some(source.environment.branch.clone()),
                head: source.tip.id()?.clone(),
                settings: settings.as_ref().map(|(workspace, _)| workspace),
            })
        })
        .collect();
    let asked: Vec<Request> = requests.iter().flatten().cloned().collect();
    // What the last environment's own branch says, not the file checked out, says whose
    // signatures count for what every environment ran.
    let trust = workspace.judging_trust();
    let app = AppRepo::existing(workspace)?.map(|app| app.judged_by(trust));
    // status writes no tags: its gates may share one listing of the loose tags.
    if let Some(app) = &app {
        app.repo.keep_tag_listing();
    }
    let evaluation = gate_gather::evaluate_all(workspace, app.as_ref(), &asked, false, &names)?;
    if let Some(app) = &app {
        context.tell_trust(app);
    }
    let mut verdicts = evaluation.verdicts.into_iter();
    let mut rows = Vec::with_capacity(states.len());
    for ((state, request), invalid) in states.iter().zip(&requests).zip(invalid) {
        let latest = evaluation.survey.latest(&state.environment.name).cloned();
        let drift = drift::drift(workspace, app.as_ref(), state, latest.as_ref().map(|r| &r.deployment))?;
        let gate = request.as_ref().and_then(|_| verdicts.next());
        if let Some(error) = &invalid {
            context.ui.warning(error);
        }
        rows.push(Row::new(state, &workspace.repo, latest, drift, gate, invalid));
    }
    // Nothing deployed anywhere may only mean that the records are not here: the application
    // repository was never fetched, or this clone was made with --no-tags (which git notes).
    let no_tags = || {
        app.as_ref().is_some_and(|app| {
            app.repo.config_string(&format!("remote.{}.tagOpt", app.remote)).as_deref() == Some("--no-tags")
        })
    };
    let unfetched = match &app {
        _ if rows.iter().any(|row| row.deployed.is_some()) => None,
        None => Some("no deployment shows: the application repository has not been fetched here; 'git release log' fetches its records".to_owned()),
        Some(app) if no_tags() => Some(format!(
            "no deployment records are here: this clone was made without tags; fetch them with 'git fetch --tags {}'",
            app.remote
        )),
        Some(_) => None,
    };
    Ok(StatusReport { environments: rows, remote: workspace.remote.clone(), unfetched })
}

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub environments: Vec<Row>,
    #[serde(skip)]
    remote: String,
    /// Why no deployment may show, when none does.
    #[serde(skip)]
    unfetched: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub name: String,
    pub branch: String,
    /// Where the branch was read: `refs/heads/...`, `refs/remotes/...`, or null when missing.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// The branch head, in full.
    pub head: Option<ObjectId>,
    #[serde(skip)]
    pub short_head: Option<String>,
    pub version: Option<String>,
    /// Why the branch's release file cannot be read, when it cannot: the row shows nothing else of it.
    pub invalid: Option<Error>,
    pub cut: Cut,
    /// As the release file writes it: null, one name, or a list where several come before.
    #[serde(serialize_with = "after_as_written")]
    pub after: Vec<String>,
    pub restricted: bool,
    pub deployed: Option<Deployed>,
    /// What the branch asks for against what runs; null when the branch asks for nothing.
    pub drift: Option<Drift>,
    /// Whether a promotion from the `after` environment's branch would pass the gate now, in the
    /// shape of `gate --json`; null for an environment nothing is promoted into.
    pub gate: Option<Verdict>,
}

/// The latest deployment record of an environment.
#[derive(Debug, Serialize)]
pub struct Deployed {
    pub tag: String,
    pub commit: ObjectId,
    pub version: String,
    pub time: String,
    /// Each repository's commit, for an application of several.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub components: BTreeMap<String, ObjectId>,
    #[serde(skip)]
    pub shown_time: String,
}

impl Row {
    fn new(
        state: &EnvironmentState,
        repo: &crate::git::Repo,
        record: Option<Record>,
        drift: Option<Drift>,
        gate: Option<Verdict>,
        invalid: Option<Error>,
    ) -> Row {
        let env = &state.environment;
        let reference = match &state.tip {
            BranchTip::Local(_) => Some(format!("refs/heads/{}", env.branch)),
            BranchTip::Remote { remote, .. } => Some(format!("refs/remotes/{remote}/{}", env.branch)),
            BranchTip::Missing => None,
        };
        Row {
            name: env.name.clone(),
            branch: env.branch.clone(),
            reference,
            head: state.tip.id().cloned(),
            short_head: state.tip.id().map(|id| repo.short_id(id)),
            version: state.version.as_ref().map(ToString::to_string),
            invalid,
            cut: env.cut,
            after: env.after.clone(),
            restricted: env.restricted,
            deployed: record.map(|Record { tag, deployment, .. }| Deployed {
                time: record::rfc3339_text(deployment.time),
                shown_time: record::display_time(deployment.time),
                tag,
                commit: deployment.commit,
                version: deployment.version,
                components: deployment.components,
            }),
            drift,
            gate,
        }
    }

    /// The RUNS column: `as asked`, `behind by 2 commits`, `never deployed`, or `-`.
    #[must_use]
    pub fn runs(&self) -> String {
        self.drift.as_ref().map_or_else(|| "-".into(), |drift| runs(drift, self.deployed.as_ref()))
    }

    /// The GATE column: `allowed`, `refused: previous-deployed`, with approvals where asked, or `-`.
    #[must_use]
    pub fn gate_shown(&self) -> String {
        self.gate.as_ref().map_or_else(
            || "-".into(),
            |verdict| {
                let approvals = verdict
                    .approvals
                    .as_ref()
                    .map_or_else(String::new, |a| format!(" (approvals {}/{})", a.tally.approved.len(), a.required));
                match failed(verdict).as_slice() {
                    [] => format!("allowed{approvals}"),
                    failed => format!("refused: {}{approvals}", failed.join(", ")),
                }
            },
        )
    }

    /// The DEPLOYED column: `1.4.0 1a2b3c4 2026-11-21T10:15:00Z`, or `-`.
    #[must_use]
    pub fn deployed_shown(&self) -> String {
        self.deployed.as_ref().map_or_else(
            || "-".into(),
            |d| {
                format!(
                    "{} {}{} {}",
                    d.version,
                    d.commit.short(),
                    crate::record::parts_shown(&d.components),
                    d.shown_time
                )
            },
        )
    }

    fn shown_branch(&self) -> String {
        match &self.reference {
            Some(reference) if reference.starts_with("refs/remotes/") => reference["refs/remotes/".len()..].to_owned(),
            _ => self.branch.clone(),
        }
    }
}

/// The RUNS column: whether the environment runs what its branch asks for.
fn runs(drift: &Drift, deployed: Option<&Deployed>) -> String {
    if deployed.is_none() {
        return "never deployed".into();
    }
    // Which commit the branch asks for cannot be told here: not "as asked", which it may not be.
    if !drift.behind && drift.unknown_here {
        return "unknown here".into();
    }
    if !drift.behind {
        return "as asked".into();
    }
    match drift.undeployed_commits {
        Some(n) if n > 0 => format!("behind by {n} commit{}", if n == 1 { "" } else { "s" }),
        _ => "behind".into(),
    }
}

/// The names of the checks a verdict failed.
fn failed(verdict: &Verdict) -> Vec<&'static str> {
    verdict.findings.iter().filter(|f| !f.ok).map(|f| f.check.as_str()).collect()
}

impl Report for StatusReport {
    fn human(&self, paint: Paint) -> String {
        let header =
            ["ENVIRONMENT", "BRANCH", "HEAD", "VERSION", "CUT", "AFTER", "DEPLOYED", "RUNS", "GATE"].map(str::to_owned);
        let mut table = vec![header.to_vec()];
        for row in &self.environments {
            let mut name = row.name.clone();
            if row.restricted {
                name.push_str(" (restricted)");
            }
            table.push(vec![
                name,
                row.shown_branch(),
                row.short_head.clone().unwrap_or_else(|| "missing".into()),
                if row.invalid.is_some() {
                    "invalid".into()
                } else {
                    row.version.clone().unwrap_or_else(|| "-".into())
                },
                row.cut.to_string(),
                if row.after.is_empty() { "-".into() } else { row.after.join(", ") },
                row.deployed_shown(),
                row.runs(),
                row.gate_shown(),
            ]);
        }
        crate::ui::table(&table, paint)
    }

    fn hints(&self) -> Vec<String> {
        let missing: Vec<&Row> = self.environments.iter().filter(|r| r.reference.is_none()).collect();
        let mut hints: Vec<String> = self.unfetched.iter().cloned().collect();
        if !missing.is_empty() {
            let branches = missing.iter().map(|r| r.branch.as_str()).collect::<Vec<_>>().join(" ");
            hints.push(format!("missing branches: {branches}"));
            let words = missing.iter().map(|r| crate::refname::shell_word(&r.branch)).collect::<Vec<_>>().join(" ");
            hints.push(format!(
                "fetch them with 'git fetch {} {words}', or create them with 'git release init'",
                crate::refname::shell_word(&self.remote)
            ));
        }
        for row in
            self.environments.iter().filter(|r| r.reference.is_some() && r.version.is_none() && r.invalid.is_none())
        {
            hints.push(format!("{} has no {}; commit one there", row.shown_branch(), crate::config::FILE_NAME));
        }
        for row in &self.environments {
            let (Some(drift), Some(deployed)) = (row.drift.as_ref().filter(|d| d.behind), &row.deployed) else {
                continue;
            };
            let wants = match (&drift.commit, &drift.unresolved) {
                (Some(commit), _) => format!("{} ({})", drift.version, commit.short()),
                (None, Some(why)) => format!("{}, which cannot be deployed now: {why}", drift.version),
                (None, None) => drift.version.clone(),
            };
            hints.push(format!(
                "{} runs {} ({}) but its branch asks for {wants}; its deployment runs 'git release prepare {0}'",
                row.name,
                deployed.version,
                deployed.commit.short()
            ));
        }
        for row in self.environments.iter().filter(|r| r.gate.as_ref().is_some_and(|v| !v.allowed)) {
            hints.push(format!("see why a promotion into {0} is refused: git release gate --target {0}", row.name));
        }
        hints
    }
}

/// `after` in JSON as the release file writes it.
fn after_as_written<S: serde::Serializer>(after: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    match after {
        [] => serializer.serialize_none(),
        [one] => serializer.serialize_str(one),
        several => serde::Serialize::serialize(several, serializer),
    }
}
