//! `git release preview`: throwaway environments for unmerged work.

use crate::error::Error;
use crate::preview::{ListReport, body, create, delete, keyed, list};

use super::Context;

/// Run unmerged work as a throwaway environment: pull requests, fork branches, single commits
///
/// A preview is the environment branch preview/<name>-<6 hex>, whose release file pins each
/// repository named to the commit its reference resolves to; the hex follows from those commits,
/// so the same references give the same preview and a rerun changes nothing. Pushing the branch
/// starts the deployment pipeline, as for every environment.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create and push a preview's branch; prints its unique name
    Create {
        /// What to call it: lower-case letters, digits and '-'
        #[arg(required_unless_present = "from_json", conflicts_with = "from_json")]
        name: Option<String>,
        /// [component=]reference: owner/repo#pull/42 (or owner/repo#42), someone/repo#branch,
        /// owner/repo@<sha>, group/project!42, or the forge's web address of a pull request,
        /// branch or commit
        #[arg(required_unless_present = "from_json", value_name = "REF")]
        references: Vec<String>,
        /// Read the name and references from a JSON body, as a webhook sends it (FILE, or - for
        /// stdin): {"name": "test-my-thing", "components": {"owner/repo": "owner/repo#42"}}; the
        /// result is printed as JSON
        #[arg(long, value_name = "FILE|-")]
        from_json: Option<String>,
        /// Show what would be created and pushed, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// List the previews, as the remote has them
    List,
    /// Delete a preview's branch here and on the remote; its deployment records stay
    Delete {
        /// The preview's unique name, as 'preview list' shows it
        name: String,
        /// Show what would be deleted, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let workspace = context.workspace()?;
    match &args.action {
        Action::Create { name, references, from_json, dry_run } => {
            if let Some(source) = from_json {
                let body = body::read(source)?;
                let references = keyed(&workspace, body.entries)?;
                create(context, &workspace, &body.name, &references, *dry_run)
            } else {
                let name = name.as_deref().expect("clap requires a name without --from-json");
                create(context, &workspace, name, references, *dry_run)
            }
        }
        Action::List => {
            let previews = list(&workspace, context.may_fetch(false, true))?;
            context.ui.report(&ListReport { previews });
            Ok(())
        }
        Action::Delete { name, dry_run } => delete(context, &workspace, name, *dry_run),
    }
}
