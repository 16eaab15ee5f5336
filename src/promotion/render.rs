//! A promotion in words: the pull request's title, its body (the block first, then the text for
//! people), and the summary printed where there is no forge.

use super::block::{Marker, with_block};
use super::gather::{COMMITS_SHOWN, Commits, Promotion, shallow_warning};
use super::plan::{Desired, Wanted};
use super::policy::{self, Call, Facts};
use crate::object_id::ObjectId;

impl Promotion {
    /// What the pull request says it carries: the source environment's latest deployment.
    /// `None` when the source's branch asks for a version it has not deployed.
    pub fn marker(&self) -> Option<Marker> {
        policy::marker(&self.from, &self.to, &self.version, self.carried.as_ref().map(|r| &r.deployment))
    }

    /// What should be open into the target now, by [`policy::call`]; `held` is
    /// [`Promotion::held`], and `limit` the most a pull request's body may hold on the forge.
    #[must_use]
    pub fn desired(&self, held: bool, now: jiff::Timestamp, limit: Option<usize>) -> Desired {
        let facts = Facts {
            from: &self.from,
            to: &self.to,
            asks: &self.version,
            carried: self.carried.as_ref().map(|r| &r.deployment),
            runs: self.runs.as_ref().map(|r| &r.deployment),
            held,
            // The pull request is where approvers look: approvals gate its merge, not its opening.
            refused: self
                .verdict
                .findings
                .iter()
                .find(|f| !f.ok && f.check != crate::gate::Check::Approved)
                .map(|f| f.message.as_str()),
        };
        match policy::call(&facts, now) {
            Call::Promote(marker) => Desired::Want(Box::new(Wanted {
                marker,
                title: self.title(),
                body: crate::forge::fit(&self.body(), limit),
                source: self.from.branch.clone(),
                rebuilt: crate::gate::rebuild_branch(&self.to.name),
            })),
            Call::Nothing(reason) => Desired::Nothing(reason),
            Call::Wait(reason) => Desired::Wait(reason),
        }
    }

    /// The pull request's title: the deployment it carries, else the version it asks for.
    pub fn title(&self) -> String {
        let what = self.marker().map_or_else(|| self.version.clone(), |marker| marker.to_string());
        format!("Promote {} → {}: {what}", self.from.name, self.to.name)
    }

    /// The pull request's body: its block, then [`Promotion::text`]. The block goes first, where
    /// a forge's length limit cannot cut it off.
    pub fn body(&self) -> String {
        let text = self.text();
        match self.marker() {
            Some(marker) => with_block(&text, &marker.block(false)),
            None => text,
        }
    }

    /// What the promotion carries, in words for people.
    pub fn text(&self) -> String {
        let gate = self
            .verdict
            .findings
            .iter()
            .map(|f| format!("- {} `{}`: {}", if f.ok { "✅" } else { "❌" }, f.check.as_str(), f.message))
            .collect::<Vec<_>>()
            .join("\n");
        let listed = |commits: &Commits| {
            let mut lines: Vec<String> = commits
                .iter()
                .take(COMMITS_SHOWN)
                .map(|(id, message)| format!("- `{}` {}", id.short(), message.lines().next().unwrap_or_default()))
                .collect();
            if commits.len() > COMMITS_SHOWN {
                lines.push(format!("- and more; the first {COMMITS_SHOWN} are shown"));
            }
            lines.join("\n")
        };
        let keys = |keys: Vec<String>| if keys.is_empty() { "none".to_owned() } else { keys.join(", ") };
        let (mut commits, mut jira) = match &self.commits {
            Ok(commits) if commits.is_empty() => {
                ("none: the target already runs them all".to_owned(), "none".to_owned())
            }
            Ok(commits) => (listed(commits), keys(self.jira_keys())),
            Err(why) => (format!("unknown: {why}"), "unknown".to_owned()),
        };
        if let Some(lost) = self.lost.as_ref().ok().filter(|lost| !lost.is_empty()) {
            commits.push_str(&format!(
                "\n\n**{} runs these now and would no longer:**\n\n{}",
                self.to.name,
                listed(lost)
            ));
            jira.push_str(&format!("; no longer in {}: {}", self.to.name, keys(self.lost_jira_keys())));
        }
        if self.shallow {
            commits.push_str(&format!("\n\n> {}", shallow_warning()));
        }
        let diff = if self.diff.is_empty() { "(no change)\n".to_owned() } else { self.diff.clone() };
        include_str!("../../templates/pull-request.md")
            .replace("{from}", &self.from.name)
            .replace("{to}", &self.to.name)
            .replace("{source}", &self.from.branch)
            .replace("{target}", &self.to.branch)
            .replace("{head}", self.head.short())
            .replace("{version}", &self.version)
            .replace("{gate}", &gate)
            .replace("{commits}", &commits)
            .replace("{jira}", &jira)
            .replace("{diff}", diff.trim_end())
    }

    /// The Jira issue keys the application commits name, each once.
    pub fn jira_keys(&self) -> Vec<String> {
        self.keys_of(&self.commits)
    }

    /// The Jira issue keys the commits the target would lose name, each once.
    pub fn lost_jira_keys(&self) -> Vec<String> {
        self.keys_of(&self.lost)
    }

    fn keys_of(&self, commits: &Result<Commits, String>) -> Vec<String> {
        let Ok(commits) = commits else { return Vec::new() };
        let mut found = Vec::new();
        for (_, message) in commits {
            self.keys.add(&mut found, message);
        }
        found
    }

    /// The promotion as `git request-pull` would put it, for a repository without a forge.
    pub fn summary(&self, title: &str, body: &str, source: &str, tip: Option<&ObjectId>) -> String {
        let target = self.target_head.as_ref().map_or("missing", ObjectId::short);
        let tip = tip.map_or("(to be built)", ObjectId::short);
        format!(
            "{title}\n\nThe changes in {} since {} ({target}) are available in the branch:\n\n  {} {}\n\nfor you to merge into {}.\n\n{body}",
            self.from.branch, self.to.branch, source, tip, self.to.branch,
        )
    }
}
