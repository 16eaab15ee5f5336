//! `metrics`: the four DORA keys per environment over a period, from the records and the
//! application's history alone (`dora` counts), as a table, JSON, or `OpenMetrics` text.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::Serialize;

use crate::app::AppRepo;
use crate::context::Context;
use crate::dora::{self, Deployed, Keys, Period};
use crate::error::{Diagnostic, Error, Kind};
use crate::ui::{Paint, Report};

/// What `metrics` is asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub environment: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub fix_window: Option<String>,
    pub openmetrics: bool,
    pub app_dir: Option<PathBuf>,
}

/// A period the flags do not describe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("`{text}` is not a moment: {why}")]
    NotAMoment { text: String, why: String },
    #[error("--since {since} is not before --until {until}")]
    Empty { since: String, until: String },
    #[error("--fix-window: {why}")]
    FixWindow { why: String },
}

impl Diagnostic for Refusal {
    fn kind(&self) -> Kind {
        Kind::Usage
    }

    fn hints(&self) -> Vec<String> {
        vec![match self {
            Refusal::NotAMoment { .. } | Refusal::Empty { .. } => {
                "give a date (2026-11-01) or a moment (2026-11-01T08:00:00Z)".into()
            }
            Refusal::FixWindow { .. } => "give a duration such as 1h or 30m".into(),
        }]
    }
}

/// The most commits one record is read for: a first deployment of a long history counts its
/// newest ones.
const COMMITS_READ: usize = 10_000;

/// Reports the keys of each environment (or of one).
///
/// # Errors
/// An unknown environment, a period the flags do not describe, records that cannot be read.
pub fn metrics(context: &Context, args: &Options) -> Result<(), Error> {
    let workspace = context.judging_workspace()?;
    let environments: Vec<String> = match &args.environment {
        Some(name) => vec![workspace.find_environment(name)?.name],
        None => workspace.file.environments.iter().map(|e| e.name.clone()).collect(),
    };
    let until = match &args.until {
        Some(text) => moment(text)?,
        None => crate::clock::now()?,
    };
    let since = match &args.since {
        Some(text) => moment(text)?,
        None => until.checked_sub(jiff::SignedDuration::from_hours(30 * 24)).unwrap_or(until),
    };
    if since >= until {
        return Err(Refusal::Empty { since: since.to_string(), until: until.to_string() }.into());
    }
    let fix_window = match &args.fix_window {
        Some(text) => crate::policy::parse_duration(text).map_err(|why| Refusal::FixWindow { why })?,
        None => std::time::Duration::from_secs(3_600),
    };
    let period = Period { since, until, fix_window_seconds: i64::try_from(fix_window.as_secs()).unwrap_or(i64::MAX) };
    let app = AppRepo::open(&workspace, args.app_dir.as_deref())?.judged_by(workspace.judging_trust());
    if !context.offline && app.has_remote() {
        app.fetch(&[], None)?;
    }
    let mut report = compute(&workspace, &app, &environments, period)?;
    report.openmetrics = args.openmetrics;
    context.tell_trust(&app);
    context.ui.report(&report);
    Ok(())
}

/// The keys of each of `environments` over `period`, from the records in `app` as they are here.
///
/// # Errors
/// When the records or the application's history cannot be read.
pub fn compute(
    workspace: &crate::workspace::Workspace,
    app: &AppRepo,
    environments: &[String],
    period: Period,
) -> Result<MetricsReport, Error> {
    let mut keys = Vec::new();
    for name in environments {
        let mut records = app.records(&workspace.file.tags, Some(name), usize::MAX)?;
        records.reverse();
        let mut deployed = Vec::new();
        let mut before: Option<&crate::object_id::ObjectId> = None;
        for record in &records {
            let deployment = &record.deployment;
            // Only records that can count need their commits read.
            let first_commits = if deployment.time >= period.since && deployment.time < period.until {
                app.repo.commit_times_between(before, &deployment.commit, COMMITS_READ)?
            } else {
                Vec::new()
            };
            deployed.push(Deployed {
                tag: record.tag.clone(),
                time: deployment.time,
                commit: deployment.commit.as_str().to_owned(),
                rollback_of: deployment.rollback_of.clone(),
                first_commits,
            });
            before = Some(&deployment.commit);
        }
        keys.push(dora::keys(name, &deployed, period));
    }
    Ok(MetricsReport {
        since: period.since,
        until: period.until,
        fix_window_seconds: period.fix_window_seconds,
        environments: keys,
        openmetrics: false,
    })
}

/// A date (`2026-11-01`, midnight UTC) or an RFC 3339 moment with its offset. A moment without
/// one is refused rather than read as midnight of its day.
fn moment(text: &str) -> Result<Timestamp, Error> {
    let refused = |why: String| Refusal::NotAMoment { text: text.escape_debug().to_string(), why };
    if let Ok(time) = text.parse::<Timestamp>() {
        return Ok(time);
    }
    let is_date = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !is_date {
        let why = text.parse::<Timestamp>().err().map_or_else(String::new, |e| e.to_string());
        return Err(refused(format!("give a date, or a moment with its offset (Z or +01:00): {why}")).into());
    }
    let date = text.parse::<jiff::civil::Date>().map_err(|e| refused(e.to_string()))?;
    date.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).map_err(|e| refused(e.to_string()).into())
}

#[derive(Debug, Serialize)]
pub struct MetricsReport {
    #[serde(serialize_with = "rfc3339")]
    pub since: Timestamp,
    #[serde(serialize_with = "rfc3339")]
    pub until: Timestamp,
    pub fix_window_seconds: i64,
    pub environments: Vec<Keys>,
    #[serde(skip)]
    pub openmetrics: bool,
}

fn rfc3339<S: serde::Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::record::rfc3339_text(*time))
}

/// Seconds as people read them: `45s`, `12m`, `3.5h`, `2.1d`.
#[expect(clippy::cast_precision_loss, reason = "seconds of a lead time stay far below 2^52")]
#[must_use]
pub fn shown(seconds: Option<i64>) -> String {
    let Some(seconds) = seconds else { return "-".into() };
    let s = seconds as f64;
    match seconds {
        ..60 => format!("{seconds}s"),
        60..3_600 => format!("{:.0}m", s / 60.0),
        3_600..86_400 => format!("{:.1}h", s / 3_600.0),
        _ => format!("{:.1}d", s / 86_400.0),
    }
}

impl Report for MetricsReport {
    fn human(&self, paint: Paint) -> String {
        if self.openmetrics {
            return self.openmetrics_text();
        }
        let header =
            ["ENVIRONMENT", "DEPLOYS", "PER DAY", "LEAD TIME (MEDIAN/P90)", "CHANGE FAILURE", "RESTORE (MEDIAN)"];
        let mut rows = vec![header.map(str::to_owned).to_vec()];
        for keys in &self.environments {
            rows.push(vec![
                keys.environment.clone(),
                keys.deployments.to_string(),
                format!("{:.2}", keys.deployments_per_day),
                format!("{} / {}", shown(keys.lead_time.median_seconds), shown(keys.lead_time.p90_seconds)),
                keys.change_failure_rate.map_or_else(
                    || "-".into(),
                    |rate| format!("{:.0}% ({} of {})", rate * 100.0, keys.failed, keys.deployments),
                ),
                shown(keys.time_to_restore.median_seconds),
            ]);
        }
        let period = format!(
            "from {} to {} (fix window {})\n",
            crate::record::rfc3339_text(self.since),
            crate::record::rfc3339_text(self.until),
            shown(Some(self.fix_window_seconds))
        );
        format!("{period}{}", crate::ui::table(&rows, paint))
    }
}

impl MetricsReport {
    /// The keys as `OpenMetrics` text, which a Prometheus textfile collector reads: gauges over
    /// the period, labelled by environment.
    fn openmetrics_text(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, help: &str, unit: Option<&str>, samples: Vec<(String, String)>| {
            out.push_str(&format!("# TYPE {name} gauge\n"));
            if let Some(unit) = unit {
                out.push_str(&format!("# UNIT {name} {unit}\n"));
            }
            out.push_str(&format!("# HELP {name} {help}\n"));
            for (labels, value) in samples {
                out.push_str(&format!("{name}{{{labels}}} {value}\n"));
            }
        };
        let label = |keys: &Keys| format!("environment=\"{}\"", keys.environment);
        let quantiles = |spread: fn(&Keys) -> dora::Spread| {
            let mut samples = Vec::new();
            for keys in &self.environments {
                let spread = spread(keys);
                for (q, value) in [("50", spread.median_seconds), ("90", spread.p90_seconds)] {
                    if let Some(value) = value {
                        samples.push((format!("{},percentile=\"{q}\"", label(keys)), value.to_string()));
                    }
                }
            }
            samples
        };
        family(
            "git_release_deployments",
            "Deployments recorded in the period.",
            None,
            self.environments.iter().map(|k| (label(k), k.deployments.to_string())).collect(),
        );
        family(
            "git_release_lead_time_seconds",
            "Time from a commit to the record that brought it, which the environment's record before did not hold.",
            Some("seconds"),
            quantiles(|keys| keys.lead_time),
        );
        family(
            "git_release_change_failure_ratio",
            "Share of the period's deployments rolled back or fixed forward within the fix window.",
            Some("ratio"),
            self.environments.iter().filter_map(|k| Some((label(k), k.change_failure_rate?.to_string()))).collect(),
        );
        family(
            "git_release_time_to_restore_seconds",
            "Time from a failed deployment's record to the next record.",
            Some("seconds"),
            quantiles(|keys| keys.time_to_restore),
        );
        out.push_str("# EOF\n");
        out
    }
}
