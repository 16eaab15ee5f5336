//! What a reconcile round did, for people and for `--json`.

use serde::Serialize;

use super::Deferred;
use crate::error::Error;
use crate::execute::forge::{Done, Outcome, Shown};
use crate::plan::Step;
use crate::preview::Expiry;
use crate::promotion::plan::{Desired, Why};
use crate::ui::{Paint, Report};

#[derive(Debug, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub(super) enum DesiredReport {
    Want {
        version: String,
        tag: Option<String>,
        commit: String,
    },
    Nothing {
        reason: String,
    },
    Wait {
        reason: String,
    },
    /// The promotion could not be read.
    Unknown,
}

impl DesiredReport {
    pub(super) fn of(desired: &Desired) -> DesiredReport {
        match desired {
            Desired::Want(wanted) => DesiredReport::Want {
                version: wanted.marker.version.clone(),
                tag: wanted.marker.tag.clone(),
                commit: wanted.marker.commit.clone(),
            },
            Desired::Nothing(reason) => DesiredReport::Nothing { reason: reason.clone() },
            Desired::Wait(reason) => DesiredReport::Wait { reason: reason.clone() },
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct EnvironmentReport {
    pub(super) environment: String,
    pub(super) from: String,
    pub(super) desired: DesiredReport,
    /// What was done, and the promotion open once the round is done.
    #[serde(flatten)]
    pub(super) outcome: Outcome,
    pub(super) notes: Vec<String>,
    pub(super) error: Option<Error>,
    /// What rebuilding `promote/<to>` runs (run, or on a dry run would run): a commit and a push.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) steps: Vec<Step>,
    #[serde(skip)]
    pub(super) deferred: Option<Deferred>,
}

#[derive(Debug, Serialize)]
pub(super) struct RoundReport {
    pub(super) dry_run: bool,
    pub(super) environments: Vec<EnvironmentReport>,
    /// Previews deleted (or, in a dry run, to be deleted) for outliving `[preview] ttl`, or for a
    /// date further ahead than it; JSON lists their names.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "names")]
    pub(super) expired: Vec<(String, Expiry)>,
}

fn names<S: serde::Serializer>(expired: &[(String, Expiry)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(expired.iter().map(|(name, _)| name))
}

impl Report for RoundReport {
    fn human(&self, paint: Paint) -> String {
        let mut out = String::new();
        let would = |done: &str, planned: &str| if self.dry_run { planned.to_owned() } else { done.to_owned() };
        for (name, why) in &self.expired {
            let why = match why {
                Expiry::Old => "older than [preview] ttl",
                Expiry::Ahead => "dated further ahead of now than [preview] ttl, so its age cannot be told",
            };
            out.push_str(&format!("preview {name}: {} ({why})\n", would("deleted", "would delete")));
        }
        for env in &self.environments {
            let name = paint.bold(&env.environment);
            let shown =
                |pull: &Option<Shown>| pull.as_ref().map(|p| format!(" #{}: {}", p.number, p.url)).unwrap_or_default();
            if self.dry_run {
                for step in &env.steps {
                    out.push_str(&format!("{name}: would run: {step}\n"));
                }
            }
            for done in &env.outcome.actions {
                let line = match done {
                    Done::Create { source, pull, .. } => {
                        format!("{} from {source}{}", would("opened", "would open"), shown(pull))
                    }
                    Done::Rebuild { replaces, source, pull } => {
                        format!("{} #{replaces} from {source}{}", would("rebuilt", "would rebuild"), shown(pull))
                    }
                    Done::Update { pull } => {
                        format!("{} #{}: {}", would("updated", "would update"), pull.number, pull.url)
                    }
                    Done::Close { number, why, .. } => {
                        format!("{} #{number}: {}", would("closed", "would close"), why_text(why))
                    }
                    Done::Merge { pull, method, head } => format!(
                        "{} #{} ({method}, head {}): {}",
                        would("merged", "would merge"),
                        pull.number,
                        &head[..head.len().min(7)],
                        pull.url
                    ),
                };
                out.push_str(&format!("{name}: {line}\n"));
            }
            let state = match (&env.desired, &env.outcome.open) {
                (DesiredReport::Want { .. }, Some(open)) if env.outcome.actions.is_empty() => {
                    format!("up to date: #{} carries it: {}", open.number, open.url)
                }
                (DesiredReport::Nothing { reason }, _) => format!("nothing to promote: {reason}"),
                (DesiredReport::Wait { reason }, _) => format!("waiting: {reason}"),
                (DesiredReport::Want { .. } | DesiredReport::Unknown, _) => String::new(),
            };
            if !state.is_empty() {
                out.push_str(&format!("{name}: {state}\n"));
            }
            for note in &env.notes {
                out.push_str(&format!("{name}: {note}\n"));
            }
            if env.error.is_some() {
                out.push_str(&format!("{name}: failed, see the error\n"));
            }
        }
        out
    }

    fn errors(&self) -> Vec<Error> {
        let failed = self.environments.iter().filter_map(|env| Some((&env.environment, env.error.as_ref()?)));
        failed.map(|(name, error)| Error { message: format!("{name}: {}", error.message), ..error.clone() }).collect()
    }
}

fn why_text(why: &Why) -> String {
    match why {
        Why::Superseded { by: Some(number) } => format!("superseded by #{number}"),
        Why::Superseded { by: None } => "superseded".to_owned(),
        Why::Obsolete { reason } => reason.clone(),
        Why::Unreadable { reason } => format!("its block cannot be read: {reason}"),
        Why::OlderFormat { format } => format!("written by an older git-release (format {format})"),
    }
}
