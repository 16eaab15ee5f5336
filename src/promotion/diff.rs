//! `diff`: what a promotion from one environment into another would carry, without asking any
//! forge.

use serde::Serialize;

use crate::error::Error;
use crate::ui::{Paint, Report};

use super::gather::{COMMITS_SHOWN, Promotion};
use crate::context::Context;

#[derive(Serialize)]
struct DiffReport {
    from: String,
    to: String,
    /// The version FROM's release file holds.
    version: String,
    /// The release file's unified diff from TO to FROM; empty when they agree.
    release_file: String,
    /// The application commits TO would gain, newest first; `null` when they cannot be told.
    commits: Option<Vec<Commit>>,
    /// More commits follow than are listed.
    truncated: bool,
    /// Why the commits cannot be told, when they cannot.
    commits_unknown: Option<String>,
    /// The application commits TO runs now and would no longer run, newest first; `null` when
    /// they cannot be told.
    lost: Option<Vec<Commit>>,
    /// More lost commits follow than are listed.
    lost_truncated: bool,
    /// The Jira keys the gained commits name.
    jira: Vec<String>,
    /// The Jira keys the lost commits name.
    jira_lost: Vec<String>,
    /// The application's history here is shallow: both lists may be short.
    shallow: bool,
}

#[derive(Serialize)]
struct Commit {
    id: String,
    summary: String,
}

impl Report for DiffReport {
    fn human(&self, paint: Paint) -> String {
        let mut out = format!("{} {} → {}: {}\n\n", paint.bold("Promotion"), self.from, self.to, self.version);
        out.push_str(&format!("{}\n", paint.bold("Release file")));
        if self.release_file.is_empty() {
            out.push_str("  no change\n");
        } else {
            for line in self.release_file.lines() {
                let line = match line.chars().next() {
                    Some('+') if !line.starts_with("+++") => paint.green(line),
                    Some('-') if !line.starts_with("---") => paint.red(line),
                    _ => line.to_owned(),
                };
                out.push_str(&format!("  {line}\n"));
            }
        }
        out.push_str(&format!("\n{}\n", paint.bold("Application commits")));
        match (&self.commits, &self.commits_unknown) {
            (Some(commits), _) if commits.is_empty() => out.push_str(&format!("  none: {} runs them all\n", self.to)),
            (Some(commits), _) => {
                for commit in commits {
                    out.push_str(&format!(
                        "  {} {}\n",
                        paint.dim(&commit.id[..commit.id.len().min(7)]),
                        commit.summary
                    ));
                }
                if self.truncated {
                    out.push_str(&format!("  … and more; the first {COMMITS_SHOWN} are shown\n"));
                }
            }
            (None, why) => out.push_str(&format!("  unknown: {}\n", why.as_deref().unwrap_or_default())),
        }
        if let Some(lost) = self.lost.as_ref().filter(|lost| !lost.is_empty()) {
            out.push_str(&format!("\n{}\n", paint.bold(&format!("Commits {} runs now and would no longer", self.to))));
            for commit in lost {
                out.push_str(&format!("  {} {}\n", paint.red(&commit.id[..commit.id.len().min(7)]), commit.summary));
            }
            if self.lost_truncated {
                out.push_str(&format!("  … and more; the first {COMMITS_SHOWN} are shown\n"));
            }
        }
        if self.shallow {
            out.push_str(&format!("\n{} {}\n", paint.bold("warning:"), super::gather::shallow_warning()));
        }
        let keys = |keys: &[String]| if keys.is_empty() { "none".to_owned() } else { keys.join(", ") };
        out.push_str(&format!("\n{} {}\n", paint.bold("Jira:"), keys(&self.jira)));
        if !self.jira_lost.is_empty() {
            out.push_str(&format!(
                "{} {}\n",
                paint.bold(&format!("Jira no longer in {}:", self.to)),
                keys(&self.jira_lost)
            ));
        }
        out
    }
}

/// Reports what a promotion from `from` into `to` would carry: any two environments may be
/// compared.
///
/// # Errors
/// An unknown environment, or branches and records that cannot be read.
pub fn diff(context: &Context, from: &str, to: &str) -> Result<(), Error> {
    let workspace = context.judging_workspace()?;
    let from = workspace.find_environment(from)?;
    let to = workspace.find_environment(to)?;
    let promotion = Promotion::read(&workspace, &from, &to)?;
    let jira = promotion.jira_keys();
    let jira_lost = promotion.lost_jira_keys();
    let (commits, truncated, commits_unknown) = match promotion.commits {
        Ok(commits) => {
            let (listed, truncated) = listed(commits);
            (Some(listed), truncated, None)
        }
        Err(why) => (None, false, Some(why)),
    };
    let (lost, lost_truncated) = match promotion.lost {
        Ok(lost) => {
            let (listed, truncated) = listed(lost);
            (Some(listed), truncated)
        }
        Err(_) => (None, false),
    };
    context.ui.report(&DiffReport {
        from: from.name,
        to: to.name,
        version: promotion.version,
        release_file: promotion.diff,
        commits,
        truncated,
        commits_unknown,
        lost,
        lost_truncated,
        jira,
        jira_lost,
        shallow: promotion.shallow,
    });
    Ok(())
}

/// The first [`COMMITS_SHOWN`] commits, and whether more follow.
fn listed(commits: Vec<(crate::object_id::ObjectId, String)>) -> (Vec<Commit>, bool) {
    let truncated = commits.len() > COMMITS_SHOWN;
    let listed = commits
        .into_iter()
        .take(COMMITS_SHOWN)
        .map(|(id, message)| Commit {
            id: id.to_string(),
            summary: message.lines().next().unwrap_or_default().to_owned(),
        })
        .collect();
    (listed, truncated)
}
