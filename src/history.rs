//! `log`: deployment history, read from the records, newest first.

use std::path::PathBuf;

use serde::Serialize;

use crate::app::AppRepo;
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
