//! `git release completions <shell>`: completion scripts for bash, zsh and fish.

use clap_complete::Shell;

use crate::error::Error;

use super::Context;

/// Print a completion script for a shell
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(_context: &Context, args: &Args) -> Result<(), Error> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = super::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "git-release", &mut script);
    if matches!(args.shell, CompletionShell::Bash) {
        // git's own completion calls _git_release for `git release <TAB>`.
        script.extend_from_slice(b"\n_git_release() { COMP_WORDS=(git-release \"${COMP_WORDS[@]:2}\"); COMP_CWORD=$((COMP_CWORD - 1)); _git-release; }\n");
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)
        .map_err(|e| Error::new(crate::error::Kind::Usage, format!("cannot write the completion script: {e}")))
}
