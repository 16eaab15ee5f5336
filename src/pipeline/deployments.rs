//! Telling the forge of a recorded deployment, where it has a deployments API: GitHub
//! Deployments (with a success status), GitLab's deployments of an environment, Bitbucket Data
//! Center's deployments. The forge hears after the fact, as Jira does: a failure is a warning
//! unless `--forge-strict` asked for it to fail the command.

use serde::Serialize;

use crate::app::AppRepo;
use crate::context::Context;
use crate::deploy::Wanted;
use crate::error::{Error, Kind};
use crate::forge::{self, Told};
use crate::record::Record;
use crate::ui::Paint;
use crate::workspace::Workspace;

/// What the forge was told of the deployment.
#[derive(Debug, Serialize)]
pub struct ForgeReport {
    /// The forge, as people know it.
    pub forge: &'static str,
    /// The commit the forge's deployment is of: the deployed commit in one repository, the
    /// environment branch's commit in a release repository beside the application's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub told: Option<Told>,
    /// Why nothing was asked of the forge, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Error>,
}

impl ForgeReport {
    /// `forge: GitHub deployment to qa created`, for people.
    #[must_use]
    pub fn human(&self, paint: Paint, environment: &str) -> String {
        let head = paint.bold("forge:");
        let what = match (&self.skipped, self.told, &self.problem) {
            (Some(why), _, _) => format!("not told ({why})"),
            (_, _, Some(_)) => "not told (see the warning)".to_owned(),
            (_, Some(Told::Created), _) => format!("{} deployment to {environment} made", self.forge),
            (_, Some(Told::Completed), _) => format!("{} deployment to {environment} marked successful", self.forge),
            (_, Some(Told::Present), _) => format!("{} had this deployment already", self.forge),
            (_, Some(Told::WouldCreate), _) => format!("{} deployment to {environment} would be made", self.forge),
            (_, Some(Told::NoApi) | None, _) => format!("not told ({} has no deployments API)", self.forge),
        };
        format!("{head} {what}\n")
    }
}

/// Checks, before anything is done, that `--forge-strict` can be met: a forge that has a
/// deployments API, reachable from here, and deployments not turned off.
///
/// # Errors
/// A configuration or usage error saying why the forge cannot be told.
pub fn check(context: &Context, workspace: &Workspace, strict: bool) -> Result<(), Error> {
    if !strict {
        return Ok(());
    }
    if workspace.file.forge.as_ref().is_some_and(|forge| !forge.deployments) {
        return Err(Error::new(
            Kind::Config,
            "--forge-strict was given, but release.toml has [forge] deployments = false",
        )
        .hint("drop --forge-strict, or remove deployments = false"));
    }
    if context.offline {
        return Err(Error::new(Kind::Usage, "--forge-strict and --offline contradict each other")
            .cause("--offline makes no calls to the forge, and --forge-strict requires them")
            .hint("drop one of them"));
    }
    let Some(forge) = context.forge(workspace)? else {
        return Err(Error::new(
            Kind::Config,
            "--forge-strict was given, but the release repository is on no known forge",
        )
        .cause("neither the remote's address nor [forge] in release.toml names one")
        .hint("set [forge] kind and api in release.toml, or drop --forge-strict"));
    };
    let kind = forge.location().kind;
    if !kind.has_deployments() {
        return Err(Error::new(
            Kind::Config,
            format!("--forge-strict was given, but {} has no deployments API", kind.title()),
        )
        .cause("only GitHub, GitLab and Bitbucket Data Center take deployments made outside their own pipelines")
        .hint("drop --forge-strict"));
    }
    Ok(())
}

/// Tells the release repository's forge that `environment` runs what `record` says, once per
/// record, and only while it is the environment's newest: a rerun of an older job must not make
/// the forge believe the environment went back.
///
/// # Errors
/// Only with `--forge-strict`, when the forge cannot be told.
pub fn tell(
    context: &Context,
    workspace: &Workspace,
    app: &AppRepo,
    wanted: &Wanted,
    record: &Record,
    dry_run: bool,
    strict: bool,
) -> Result<Option<ForgeReport>, Error> {
    let environment = &wanted.environment;
    let done = if dry_run {
        format!("the deployment would be recorded as {}", record.tag)
    } else {
        format!("the deployment is recorded as {}", record.tag)
    };
    let done = done.as_str();
    if workspace.file.forge.as_ref().is_some_and(|forge| !forge.deployments) || context.offline {
        return Ok(None);
    }
    let forge = match context.forge(workspace) {
        Ok(Some(forge)) => forge,
        Ok(None) => return Ok(None),
        Err(problem) => return settle(context, "the forge", None, false, problem, strict, done),
    };
    let kind = forge.location().kind;
    let report = |told: Option<Told>, skipped: Option<String>, commit: Option<String>| ForgeReport {
        forge: kind.title(),
        commit,
        told,
        skipped,
        problem: None,
    };
    if !kind.has_deployments() {
        return Ok(Some(report(Some(Told::NoApi), None, None)));
    }
    let deployment = &record.deployment;
    let newest = app.records(&workspace.file.tags, Some(&deployment.environment), 1)?;
    let is_newer = |other: &&Record| Record::newest_first(other, record) == std::cmp::Ordering::Less;
    if let Some(newer) = newest.first().filter(|newest| newest.tag != record.tag && is_newer(newest) && !dry_run) {
        let why =
            format!("{} is the newer record of {}; the forge hears of the newest only", newer.tag, environment.name);
        return Ok(Some(report(None, Some(why), None)));
    }
    // The forge holds the release repository: in one repository that is the deployed commit,
    // beside an application repository the environment branch's commit that asked for it, as
    // this run read it: a record found already says so too, but anyone who may push a tag
    // could have written that.
    let (commit, branch) = if app.is_separate() {
        (wanted.release_commit.to_string(), environment.branch.clone())
    } else {
        (deployment.commit.to_string(), deployment.branch.clone().unwrap_or_else(|| environment.branch.clone()))
    };
    let log_url = deployment.pipeline.as_deref().filter(|url| is_web_address(url));
    let told = forge.tell_deployment(
        &forge::Deployment {
            environment: &deployment.environment,
            commit: &commit,
            branch: &branch,
            record: &record.tag,
            version: &deployment.version,
            deployed: deployment.commit.as_str(),
            log_url,
            environment_url: environment.url.as_deref(),
            time: deployment.time.as_second(),
        },
        dry_run,
    );
    match told {
        Ok(told) => Ok(Some(report(Some(told), None, Some(commit)))),
        Err(problem) => {
            let rights =
                matches!(problem, forge::ServiceError::Unauthorized { .. } | forge::ServiceError::Forbidden { .. });
            settle(context, kind.title(), Some(commit), rights, problem.into(), strict, done)
        }
    }
}

/// Whether `url` is an `http` or `https` address on one line, which a forge shows as a link;
/// anything else a pipeline was given stays in the record only.
fn is_web_address(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '"' | '<' | '>' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
}

/// A forge that could not be told: a warning, or the error under `--forge-strict`.
fn settle(
    context: &Context,
    forge: &'static str,
    commit: Option<String>,
    rights: bool,
    problem: Error,
    strict: bool,
    done: &str,
) -> Result<Option<ForgeReport>, Error> {
    let mut told = Error::new(problem.kind, format!("{forge} was not told of the deployment")).cause(problem.message);
    for cause in problem.causes {
        told = told.cause(cause);
    }
    for hint in problem.hints {
        told = told.hint(hint);
    }
    if rights {
        told = told.hint("the token needs the right to write deployments (on GitHub, deployments: write)");
    }
    let problem = told.hint("or set deployments = false under [forge] in release.toml, if the forge is not to be told");
    if strict {
        let mut error = Error::new(Kind::Forge, problem.message.clone()).cause(done.to_owned());
        for cause in &problem.causes {
            error = error.cause(cause.clone());
        }
        for hint in &problem.hints {
            error = error.hint(hint.clone());
        }
        return Err(error.hint("run the same command again: a deployment told before is not told twice"));
    }
    context.ui.warning(&problem);
    Ok(Some(ForgeReport { forge, commit, told: None, skipped: None, problem: Some(problem) }))
}

#[cfg(test)]
mod tests {
    use super::is_web_address;

    #[test]
    fn only_web_addresses_on_one_line_go_to_the_forge_as_links() {
        assert!(is_web_address("https://ci.example.com/runs/7"));
        assert!(is_web_address("HTTP://ci.example.com/runs/7"));
        for not in [
            "javascript:alert(1)",
            "not a url at all",
            "https://ci.example/runs/1\nEnvironment: prod",
            "https://ci.example/\u{202e}gpj.exe",
            "https://ci.example/\"onmouseover",
        ] {
            assert!(!is_web_address(not), "{not:?}");
        }
    }
}
