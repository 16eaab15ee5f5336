//! Telling Jira what a command did: the keys asked for on the command line checked before
//! anything is done, each issue told as an update says, and what became of each, reported; a
//! failure is a warning unless `--jira-strict` asked for it to fail the command.

use serde::Serialize;

use super::{Client, Keys, Outcome, Update};
use crate::context::Context;
use crate::error::{Error, Kind};
use crate::http::Settings;
use crate::ui::Paint;
use crate::workspace::Workspace;

/// What the command line asks of Jira beside the keys found: more issues, and whether a failure
/// to tell it fails the command.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub issues: Vec<String>,
    pub strict: bool,
}

impl Asked {
    /// The keys given, checked before anything is done; with `--jira-strict`, also that Jira
    /// can be told at all, so that a command that will fail on Jira writes nothing first.
    ///
    /// # Errors
    /// A usage error for a key that is not one; with `--jira-strict`, a configuration error
    /// when Jira cannot be reached from here (no `[jira]`, no token, `--offline`).
    pub fn check(&self, context: &Context, workspace: &Workspace) -> Result<Vec<String>, Error> {
        let given = self.keys(workspace)?;
        if !self.strict {
            return Ok(given);
        }
        let Some(config) = &workspace.file.jira else {
            return Err(Refusal::NoJira { flag: "--jira-strict" }.into());
        };
        if context.offline {
            return Err(Refusal::StrictOffline.into());
        }
        let var = |name: &str| std::env::var(name).ok();
        Client::connect(
            config,
            Some(&workspace.repo),
            &var,
            Settings::from_env(workspace.repo.trace(), crate::clock::seconds, &var),
        )?;
        Ok(given)
    }

    /// The keys given, each checked to be one.
    /// # Errors
    /// A usage error for a key that is not one.
    pub fn keys(&self, workspace: &Workspace) -> Result<Vec<String>, Error> {
        let keys = Keys::of(workspace.file.jira.as_ref());
        let mut given = Vec::new();
        for key in self.issues.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
            if !keys.is_key(key) {
                return Err(Refusal::NotAKey { key: key.to_owned(), pattern: keys.pattern().to_string() }.into());
            }
            if !given.iter().any(|k| k == key) {
                given.push(key.to_owned());
            }
        }
        Ok(given)
    }
}

/// What Jira was told.
#[derive(Debug, Serialize)]
pub struct JiraReport {
    pub issues: Vec<Outcome>,
    /// Why nothing was asked of Jira, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// What went wrong beside any one issue (no token, say).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Error>,
}

impl JiraReport {
    #[must_use]
    pub fn skipped(why: &str) -> JiraReport {
        JiraReport { issues: Vec::new(), skipped: Some(why.to_owned()), problems: Vec::new() }
    }

    /// `Jira:` and one line per issue, for people.
    #[must_use]
    pub fn human(&self, paint: Paint) -> String {
        let head = paint.bold("Jira:");
        if let Some(why) = &self.skipped {
            return format!("{head} not told ({why})\n");
        }
        if self.issues.is_empty() {
            let none = if self.problems.is_empty() { "no issue keys in what was deployed" } else { "not told" };
            return format!("{head} {none}\n");
        }
        let width = self.issues.iter().map(|o| o.key.len()).max().unwrap_or(0);
        let mut out = format!("{head}\n");
        for outcome in &self.issues {
            out.push_str(&format!("  {:<width$}  {}\n", outcome.key, outcome.summary()));
        }
        out
    }
}

/// Tells each issue, as `update` says, and reports what became of each. Failures are printed
/// as warnings, or, with `--jira-strict`, make the error returned, which says what had already
/// happened (`done`).
///
/// # Errors
/// Only with `--jira-strict`, when anything failed.
pub fn tell_all(
    context: &Context,
    workspace: &Workspace,
    args: &Asked,
    keys: &[String],
    update: &Update,
    dry_run: bool,
    done: &str,
) -> Result<Option<JiraReport>, Error> {
    let Some(config) = &workspace.file.jira else {
        if args.issues.is_empty() {
            return Ok(None);
        }
        let problem = Error::from(Refusal::NoJira { flag: "--jira-issue" });
        return failed(context, args, problem, done).map(Some);
    };
    if context.offline {
        return Ok(Some(JiraReport::skipped("--offline")));
    }
    if keys.is_empty() {
        return Ok(Some(JiraReport { issues: Vec::new(), skipped: None, problems: Vec::new() }));
    }
    let var = |name: &str| std::env::var(name).ok();
    let settings = Settings::from_env(workspace.repo.trace(), crate::clock::seconds, &var);
    let report = match Client::connect(config, Some(&workspace.repo), &var, settings) {
        Ok(client) => {
            let given = args.keys(workspace).unwrap_or_default();
            let issues = super::tell(&client, keys, &given, update, dry_run);
            JiraReport { issues, skipped: None, problems: Vec::new() }
        }
        Err(problem) => JiraReport { issues: Vec::new(), skipped: None, problems: vec![problem] },
    };
    settle(context, args, report, done).map(Some)
}

/// A report of Jira not told at all, for `problem`: a warning, or the error under `--jira-strict`.
///
/// # Errors
/// Only with `--jira-strict`.
pub fn failed(context: &Context, args: &Asked, problem: Error, done: &str) -> Result<JiraReport, Error> {
    settle(context, args, JiraReport { issues: Vec::new(), skipped: None, problems: vec![problem] }, done)
}

fn settle(context: &Context, args: &Asked, report: JiraReport, done: &str) -> Result<JiraReport, Error> {
    let problems: Vec<&Error> =
        report.problems.iter().chain(report.issues.iter().filter_map(|o| o.problem.as_ref())).collect();
    if problems.is_empty() {
        return Ok(report);
    }
    if args.strict {
        let mut error = Error::new(Kind::Forge, format!("Jira was not told everything ({} failed)", problems.len()))
            .cause(done.to_owned());
        for problem in &problems {
            error = error.cause(problem.message.clone());
            for cause in &problem.causes {
                error = error.cause(format!("  {cause}"));
            }
        }
        for hint in problems.iter().flat_map(|p| &p.hints) {
            if !error.hints.contains(hint) {
                error = error.hint(hint.clone());
            }
        }
        return Err(error.hint("run the same command again: issues told before are not told twice"));
    }
    for problem in problems {
        context.ui.warning(problem);
    }
    Ok(report)
}

/// Why what the command line asks of Jira cannot be done: each case a variant that callers and
/// tests can match, with what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `flag` is the option that asks for Jira: `--jira-strict` or `--jira-issue`.
    #[error("{flag}{} was given, but release.toml has no [jira]", if *.flag == "--jira-issue" { " (or JIRA_ISSUE)" } else { "" })]
    NoJira { flag: &'static str },
    #[error("--jira-strict and --offline contradict each other")]
    StrictOffline,
    #[error("--jira-issue (or JIRA_ISSUE) `{key}` is not a Jira issue key")]
    NotAKey { key: String, pattern: String },
}

impl crate::error::Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        match self {
            Refusal::NoJira { .. } => Kind::Config,
            Refusal::StrictOffline | Refusal::NotAKey { .. } => Kind::Usage,
        }
    }

    fn causes(&self) -> Vec<String> {
        vec![match self {
            Refusal::NoJira { .. } => "with no [jira], there is no Jira to tell".to_owned(),
            Refusal::StrictOffline => "--offline makes no calls to Jira, and --jira-strict requires them".to_owned(),
            Refusal::NotAKey { pattern, .. } => format!("keys match `{pattern}` ([jira] key-pattern)"),
        }]
    }

    fn hints(&self) -> Vec<String> {
        vec![match self {
            Refusal::NoJira { flag } => format!("add [jira] with the site's url to release.toml, or drop {flag}"),
            Refusal::StrictOffline => "drop one of them".to_owned(),
            Refusal::NotAKey { .. } => "give a key such as SHOP-142, or several separated by commas".to_owned(),
        }]
    }
}
