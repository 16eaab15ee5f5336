//! `git release completions <shell>`: completion scripts for bash, zsh and fish.

use clap_complete::Shell;

use crate::error::Error;

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

/// The bash functions git's own completion calls for `git release <TAB>` (`_git_release`, with
/// git's `words`, `cword` and `__git_cmd_idx`), and that completes `git-release` alone: clap's
/// function for the words after `release`, then the environment names from the release file
/// where an environment is asked for.
const BASH: &str = r#"
__git_release_environments() {
    local i w sub="" cargs=() cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local kept=()
    for i in "${COMPREPLY[@]}"; do [[ $i == \<* ]] || kept+=("$i"); done
    COMPREPLY=("${kept[@]}")
    [[ $cur == -* ]] && return
    # The subcommand is the first word that is neither an option nor an option's value.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        case "$w" in
            -C) cargs+=(-C "${COMP_WORDS[i+1]}"); ((i++)) ;;
            --remote|--config-from|--color) ((i++)) ;;
            -*) ;;
            *) sub="$w"; break ;;
        esac
    done
    case "$sub,$prev" in
        gate,--target) COMPREPLY=() ;;
        *,-*|gate,*) return ;;
        prepare,*|record,*|set,*|bump,*|rollback,*|log,*|promote,*|diff,*) ;;
        *) return ;;
    esac
    local names
    names="$(command git "${__git_C_args[@]}" release "${cargs[@]}" completions --environments 2>/dev/null)"
    COMPREPLY+=($(compgen -W "$names" -- "$cur"))
}

_git_release() {
    local at="${__git_cmd_idx:-1}"
    local COMP_WORDS=(git-release "${words[@]:at+1}")
    local COMP_CWORD=$((cword - at))
    _git__release git-release "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    __git_release_environments
}

__git_release_alone() {
    _git__release "$@"
    __git_release_environments
}
complete -F __git_release_alone -o bashdefault -o default git-release
"#;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let Some(asked) = args.shell else {
        // For a shell in the middle of a command line: the names, or nothing at all.
        let lines: String = context
            .judging_workspace()
            .map(|w| w.file.environments.iter().map(|e| e.name.clone() + "\n").collect())
            .unwrap_or_default();
        return std::io::Write::write_all(&mut std::io::stdout().lock(), lines.as_bytes())
            .map_err(|e| Error::new(crate::error::Kind::Usage, format!("cannot write the names: {e}")));
    };
    let shell = match asked {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = super::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "git-release", &mut script);
    if matches!(asked, CompletionShell::Bash) {
        // clap labels the subcommands of a bin name with a space (`git release`) by that name,
        // but looks them up by the command's name (`git-release`): one spelling for both.
        let text = String::from_utf8_lossy(&script).replace("git__subcmd__release__subcmd__", "git__release__subcmd__");
        script = text.into_bytes();
        script.extend_from_slice(BASH.as_bytes());
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)
        .map_err(|e| Error::new(crate::error::Kind::Usage, format!("cannot write the completion script: {e}")))
}
