//! The flags `prepare` and `record` share, handed to the library as `pipeline::Run`.

use std::path::PathBuf;

use crate::pipeline::Run;

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// Use this clone of the application repository (its remote origin) instead of the cache
    #[arg(long, value_name = "PATH", env = "GIT_RELEASE_APP_DIR")]
    pub app_dir: Option<PathBuf>,
    /// Create tags here only; do not push them
    #[arg(long)]
    pub no_push: bool,
    /// Show what would be created and pushed, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

impl DeployArgs {
    #[must_use]
    pub fn run(&self) -> Run {
        Run { app_dir: self.app_dir.clone(), no_push: self.no_push, dry_run: self.dry_run }
    }
}
