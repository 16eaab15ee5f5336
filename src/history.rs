//! `log`: deployment history, read from the records, newest first.

use std::path::PathBuf;

use serde::Serialize;

use crate::app::AppRepo;
use crate::approval::{Approval, Stance};
use crate::error::Error;
use crate::record::{self, Record};
use crate::ui::{Paint, Report};

use crate::context::Context;

/// What `log` is asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this environment's deployments.
    pub environment: Option<String>,
    pub max_count: Option<usize>,
    pub app_dir: Option<PathBuf>,
    /// The approvals and revocations instead of the deployments.
    pub approvals: bool,
}

/// Reports the deployments, newest first, fetching the records first when online.
///
/// # Errors
/// An unknown environment, or records that cannot be fetched or read.
pub fn log(context: &Context, args: &Options) -> Result<(), Error> {
    let workspace = context.judging_workspace()?;
    if let Some(name) = &args.environment {
        workspace.find_environment(name)?;
    }
    let app = AppRepo::open(&workspace, args.app_dir.as_deref())?.judged_by(workspace.judging_trust());
    if !context.offline && app.has_remote() {
        app.fetch(&[], None)?;
        // The records are what log needs; which branch the remote's HEAD names is what status
        // needs next, to tell what each environment's branch asks for. Without it (a remote
        // with no HEAD), status says what is not known, as before.
        if !workspace.file.app.is_here() && workspace.file.app.branch.is_none() {
            let _ = app.head_branch(true);
        }
    }
    let limit = args.max_count.unwrap_or(usize::MAX);
    if args.approvals {
        return approvals(context, &workspace, &app, args.environment.as_deref(), limit);
    }
    let records = app.records(&workspace.file.tags, args.environment.as_deref(), limit)?;
    context.tell_trust(&app);
    context.ui.report(&LogReport { records, asked_none: limit == 0 });
    Ok(())
}

#[derive(Debug, Serialize)]
struct LogReport {
    records: Vec<Record>,
    /// `-n 0`: an empty list says nothing of what is recorded.
    #[serde(skip)]
    asked_none: bool,
}

impl Report for LogReport {
    fn human(&self, paint: Paint) -> String {
        if self.records.is_empty() {
            return String::new();
        }
        let header = ["TIME", "ENVIRONMENT", "VERSION", "COMMIT", "TAG", "PIPELINE"].map(str::to_owned).to_vec();
        let mut rows = vec![header];
        for Record { tag, deployment: record, .. } in &self.records {
            rows.push(vec![
                record::display_time(record.time),
                record.environment.clone(),
                record.version.clone(),
                format!("{}{}", record.commit.short(), crate::record::parts_shown(&record.components)),
                match &record.rollback_of {
                    Some(of) => format!("{tag} (rollback of {of})"),
                    None => tag.clone(),
                },
                record.pipeline.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        crate::ui::table(&rows, paint)
    }

    fn hints(&self) -> Vec<String> {
        if self.records.is_empty() && !self.asked_none {
            vec![
                "no deployments are recorded yet; a pipeline records one with 'git release record <environment>'"
                    .into(),
            ]
        } else {
            Vec::new()
        }
    }
}

/// Reports the approvals and revocations, newest first, each with the key it counts for or why
/// it counts for no one, as the judging settings' `[trust.approvers]` say.
fn approvals(
    context: &Context,
    workspace: &crate::workspace::Workspace,
    app: &AppRepo,
    environment: Option<&str>,
    limit: usize,
) -> Result<(), Error> {
    let file = &workspace.file;
    let names: Vec<&str> = match environment {
        Some(name) => vec![name],
        None => file.environments.iter().map(|e| e.name.as_str()).collect(),
    };
    let mut approvals = Vec::new();
    let horizon = crate::clock::horizon()?;
    for name in names {
        for judged in app.approvals(&file.tags, &file.trust, name, None)? {
            let judged = judged.as_of(horizon);
            approvals.push(Shown {
                counts_for: judged.counts_for.clone().ok(),
                not_counted: judged.counts_for.err(),
                approval: judged.approval,
            });
        }
    }
    approvals.sort_by(|a, b| (b.approval.at, &b.approval.tag).cmp(&(a.approval.at, &a.approval.tag)));
    approvals.truncate(limit);
    context.ui.report(&ApprovalLog { approvals });
    Ok(())
}

#[derive(Debug, Serialize)]
struct Shown {
    #[serde(flatten)]
    approval: Approval,
    /// The approver key it counts for.
    counts_for: Option<String>,
    /// Why it counts for no one.
    not_counted: Option<String>,
}

#[derive(Debug, Serialize)]
struct ApprovalLog {
    approvals: Vec<Shown>,
}

impl Report for ApprovalLog {
    fn human(&self, paint: Paint) -> String {
        if self.approvals.is_empty() {
            return String::new();
        }
        let header = ["TIME", "ENVIRONMENT", "VERSION", "COMMIT", "TAG", "WHAT", "BY"].map(str::to_owned).to_vec();
        let mut rows = vec![header];
        for shown in &self.approvals {
            let approval = &shown.approval;
            rows.push(vec![
                record::display_time(approval.at),
                approval.environment.clone(),
                approval.version.clone(),
                approval.commit.short().to_owned(),
                approval.tag.clone(),
                match approval.stance {
                    Stance::Approve => "approved".into(),
                    Stance::Revoke => "revoked".into(),
                },
                match (&shown.counts_for, &shown.not_counted) {
                    (Some(key), _) => format!("{} ({key})", approval.by),
                    (None, why) => format!("{} (not counted: {})", approval.by, why.as_deref().unwrap_or_default()),
                },
            ]);
        }
        crate::ui::table(&rows, paint)
    }

    fn hints(&self) -> Vec<String> {
        if self.approvals.is_empty() {
            vec!["no approvals are recorded; an approver makes one with 'git release approve <environment>'".into()]
        } else {
            Vec::new()
        }
    }
}
