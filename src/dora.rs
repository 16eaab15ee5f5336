//! The four DORA keys of one environment, from its records and the commit times of what each
//! deployed first. Pure: `metrics` reads the records and the history; this counts.
//!
//! - Deployment frequency: the records made in the period, and that number per day.
//! - Lead time for changes: for each application commit a record in the period deployed first
//!   (reachable from its commit and not from the environment's record before it), the record's
//!   time less the commit's committer time; median and 90th percentile.
//! - Change failure rate: of the records in the period, the share that failed: the next record of
//!   the environment rolls it back (`Rollback-Of` names it), or deploys another commit within the
//!   fix window (a fix forward).
//! - Time to restore: for each failed record, the time to the environment's next record.

use jiff::Timestamp;
use serde::Serialize;

/// One record of the environment, oldest first, with what the metrics need of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub tag: String,
    pub time: Timestamp,
    /// The application commit.
    pub commit: String,
    /// The record it rolls back, when it is a rollback.
    pub rollback_of: Option<String>,
    /// The committer times (seconds) of the commits this record deployed first.
    pub first_commits: Vec<i64>,
}

/// A median and a 90th percentile, in seconds, over `count` values; `None` without values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub count: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// The four keys of one environment over one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keys {
    pub environment: String,
    pub deployments: usize,
    pub deployments_per_day: f64,
    pub lead_time: Spread,
    pub failed: usize,
    /// `failed / deployments`; `None` without deployments.
    pub change_failure_rate: Option<f64>,
    pub time_to_restore: Spread,
}

/// The period the keys cover: `since` included, `until` not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub since: Timestamp,
    pub until: Timestamp,
    /// A deployment of another commit this soon after a record makes the record a failure.
    pub fix_window_seconds: i64,
}

/// The keys of `environment` from its records, oldest first (those before the period too: the
/// one before the first in the period decides what it deployed first, and the one after the last
/// whether it failed).
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "counts of deployments and seconds of a period stay far below 2^52")]
pub fn keys(environment: &str, records: &[Deployed], period: Period) -> Keys {
    let within = |time: Timestamp| time >= period.since && time < period.until;
    let mut deployments = 0;
    let mut lead_times = Vec::new();
    let mut restores = Vec::new();
    for (at, record) in records.iter().enumerate() {
        if !within(record.time) {
            continue;
        }
        deployments += 1;
        // A commit dated after the record that deployed it (a record made with an earlier --at, a
        // committer's clock ahead) went out at once: no lead time is less than none.
        lead_times.extend(record.first_commits.iter().map(|committed| (record.time.as_second() - committed).max(0)));
        let Some(next) = records.get(at + 1) else { continue };
        let rolled_back = next.rollback_of.as_deref() == Some(record.tag.as_str());
        let fixed = next.commit != record.commit
            && next.time.as_second() - record.time.as_second() <= period.fix_window_seconds;
        if rolled_back || fixed {
            restores.push(next.time.as_second() - record.time.as_second());
        }
    }
    let days = (period.until.as_second() - period.since.as_second()).max(1) as f64 / 86_400.0;
    let failed = restores.len();
    Keys {
        environment: environment.to_owned(),
        deployments,
        deployments_per_day: deployments as f64 / days,
        lead_time: spread(lead_times),
        failed,
        change_failure_rate: (deployments > 0).then(|| failed as f64 / deployments as f64),
        time_to_restore: spread(restores),
    }
}

/// Median and 90th percentile by the nearest rank.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a rank among at most a few million values"
)]
fn spread(mut values: Vec<i64>) -> Spread {
    values.sort_unstable();
    let rank = |share: f64| {
        let at = (share * values.len() as f64).ceil() as usize;
        values.get(at.max(1) - 1).copied()
    };
    Spread { count: values.len(), median_seconds: rank(0.5), p90_seconds: rank(0.9) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).expect("time")
    }

    fn record(tag: &str, second: i64, commit: &str, rollback_of: Option<&str>, first: &[i64]) -> Deployed {
        Deployed {
            tag: tag.into(),
            time: at(second),
            commit: commit.into(),
            rollback_of: rollback_of.map(Into::into),
            first_commits: first.iter().map(|s| 1_800_000_000 + s).collect(),
        }
    }

    #[test]
    fn the_four_keys_of_a_known_history() {
        let day = 86_400;
        let records = [
            // Before the period: decides nothing but what came first.
            record("r0", -day, "a", None, &[-2 * day]),
            record("r1", 3_600, "b", None, &[0, 1_800]),
            record("r2", 2 * day, "c", None, &[day]),
            // Rolls r2 back, 10 minutes later.
            record("r3", 2 * day + 600, "b", Some("r2"), &[]),
            record("r4", 5 * day, "d", None, &[4 * day]),
        ];
        let period = Period { since: at(0), until: at(10 * day), fix_window_seconds: 3_600 };
        let keys = keys("prod", &records, period);
        assert_eq!(keys.deployments, 4);
        assert!((keys.deployments_per_day - 0.4).abs() < 1e-9);
        // Lead times: 3600, 1800, 86400, 86400 (seconds).
        assert_eq!(keys.lead_time, Spread { count: 4, median_seconds: Some(1_800 + 1_800), p90_seconds: Some(day) });
        assert_eq!(keys.failed, 1);
        assert_eq!(keys.change_failure_rate, Some(0.25));
        assert_eq!(keys.time_to_restore, Spread { count: 1, median_seconds: Some(600), p90_seconds: Some(600) });
    }

    #[test]
    fn a_commit_dated_after_its_deployment_has_no_lead_time_rather_than_a_negative_one() {
        let period = Period { since: at(0), until: at(1_000), fix_window_seconds: 60 };
        let keys = keys("qa", &[record("r1", 100, "a", None, &[50, 400])], period);
        assert_eq!(keys.lead_time.median_seconds, Some(0));
        assert_eq!(keys.lead_time.p90_seconds, Some(50));
    }

    #[test]
    fn an_empty_period_has_no_rates() {
        let period = Period { since: at(0), until: at(86_400), fix_window_seconds: 3_600 };
        let keys = keys("qa", &[], period);
        assert_eq!((keys.deployments, keys.change_failure_rate, keys.lead_time.median_seconds), (0, None, None));
    }

    #[test]
    fn a_fix_forward_within_the_window_is_a_failure_and_a_later_one_is_not() {
        let records = [
            record("r1", 0, "a", None, &[]),
            record("r2", 1_200, "b", None, &[]),
            record("r3", 90_000, "c", None, &[]),
        ];
        let period = Period { since: at(0), until: at(100_000), fix_window_seconds: 3_600 };
        let keys = keys("qa", &records, period);
        assert_eq!((keys.deployments, keys.failed), (3, 1));
        assert_eq!(keys.time_to_restore.median_seconds, Some(1_200));
    }
}
