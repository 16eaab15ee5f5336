//! `git release completions <shell>`: completion scripts for bash, zsh and fish.

use crate::completions::{Shell, environment_names, finish};
use crate::error::{Error, Kind};

use super::Context;

/// Print a completion script for a shell
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum, required_unless_present = "environments")]
    pub shell: Option<CompletionShell>,
    /// Print the names of the environments, one a line (for the completion scripts)
    #[arg(long, hide = true, conflicts_with = "shell")]
    pub environments: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let Some(asked) = args.shell else {
        return context
            .ui
            .verbatim(&environment_names(context))
            .map_err(|e| Error::new(Kind::Usage, format!("cannot write the names: {e}")));
    };
    let (shell, clap_shell) = match asked {
        CompletionShell::Bash => (Shell::Bash, clap_complete::Shell::Bash),
        CompletionShell::Zsh => (Shell::Zsh, clap_complete::Shell::Zsh),
        CompletionShell::Fish => (Shell::Fish, clap_complete::Shell::Fish),
    };
    let mut script = Vec::new();
    clap_complete::generate(clap_shell, &mut super::command(), "git-release", &mut script);
    context
        .ui
        .verbatim(&finish(shell, &String::from_utf8_lossy(&script)))
        .map_err(|e| Error::new(Kind::Usage, format!("cannot write the completion script: {e}")))
}
