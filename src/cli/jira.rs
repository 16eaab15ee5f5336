//! The Jira flags `record` and `promote` share, handed to the library as `jira::Asked`.

use crate::jira::Asked;

#[derive(Debug, Clone, clap::Args)]
pub struct JiraArgs {
    /// Tell this Jira issue too, besides the keys found (repeat, or separate with commas)
    #[arg(long = "jira-issue", value_name = "KEY", env = "JIRA_ISSUE", value_delimiter = ',')]
    pub issues: Vec<String>,
    /// Fail (exit 128) when Jira cannot be told; by default that is a warning, since what Jira
    /// hears about has already happened
    #[arg(long)]
    pub jira_strict: bool,
}

impl JiraArgs {
    #[must_use]
    pub fn asked(&self) -> Asked {
        Asked { issues: self.issues.clone(), strict: self.jira_strict }
    }
}
