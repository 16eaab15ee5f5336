//! What merging a promotion asks: decided from the promotion read this round (the gate's verdict
//! evaluated again, never remembered), carried out by `execute::forge::merge`.

use super::Promotion;
use super::plan::Wanted;
use crate::config::MergeMethod;
use crate::object_id::ObjectId;

/// A merge the round asks for, or why it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeAsk {
    /// The source branch's head the gate judged this round: the pull request's head must still
    /// be this commit when it merges.
    pub head: ObjectId,
    pub method: MergeMethod,
    /// The merge commit's message.
    pub message: String,
    /// Why the gate refuses the merge now (approvals still missing, say); `None` when it allows.
    pub refused: Option<String>,
}

impl Promotion {
    /// The merge of the promotion `wanted` describes, as its target's settings ask for it.
    /// `ran_head`: [`Promotion::source_ran_head`].
    #[must_use]
    pub fn merge_ask(&self, wanted: &Wanted, ran_head: bool) -> MergeAsk {
        let refused =
            self.verdict.findings.iter().find(|f| !f.ok).map(|f| format!("{}: {}", f.check.as_str(), f.message));
        // A change to the target's own rules is merged by a person: merged unseen, it would set
        // what judges every change after it.
        let refused = refused.or_else(|| {
            (!self.verdict.edits.is_empty()).then(|| {
                format!(
                    "it edits {}'s settings ({}), and a person merges such a change",
                    self.to.name,
                    self.verdict.edits.join(", ")
                )
            })
        });
        let refused = refused.or_else(|| {
            (!ran_head).then(|| {
                format!(
                    "{}'s branch holds commits {} has not deployed (its head {} is not what its latest deployment ran), and a person merges those",
                    self.from.name,
                    self.from.name,
                    self.head.short()
                )
            })
        });
        MergeAsk {
            head: self.head.clone(),
            method: self.to.merge_method,
            message: message(self.to.merge_message.as_deref(), &self.from.name, &self.to.name, wanted),
            refused,
        }
    }
}

/// The merge commit's message: `template` with `{from}`, `{to}`, `{version}` and `{tag}` filled
/// in, else the promotion's title and a line that says who merged it.
fn message(template: Option<&str>, from: &str, to: &str, wanted: &Wanted) -> String {
    let marker = &wanted.marker;
    match template {
        Some(template) => template
            .replace("{from}", from)
            .replace("{to}", to)
            .replace("{version}", &marker.version)
            .replace("{tag}", marker.tag.as_deref().unwrap_or(&marker.version)),
        None => format!("{}\n\nMerged by git release once the gate allowed it.", wanted.title),
    }
}
