//! Shell completion: clap's scripts for bash, zsh and fish, finished so that they complete
//! environment names where a command asks for one, read from the release file as the line
//! stands (`-C` included), and so that `git release <TAB>` completes through git's own scripts.

use crate::context::Context;

/// The shells completion scripts are made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The environments' names, one a line, for a completion script in the middle of a command
/// line: nothing at all where there is no release file to read them from.
#[must_use]
pub fn environment_names(context: &Context) -> String {
    context
        .judging_workspace()
        .map(|w| w.file.environments.iter().map(|e| e.name.clone() + "\n").collect())
        .unwrap_or_default()
}

/// clap's script for `shell`, finished: environment names offered where they are asked for.
#[must_use]
pub fn finish(shell: Shell, script: &str) -> String {
    match shell {
        Shell::Bash => {
            // clap labels the subcommands of a bin name with a space (`git release`) by that
            // name, but looks them up by the command's name (`git-release`): one spelling for both.
            let mut text = script.replace("git__subcmd__release__subcmd__", "git__release__subcmd__");
            text.push_str(BASH);
            text
        }
        Shell::Zsh => zsh_with_environments(script),
        Shell::Fish => fish_with_environments(script),
    }
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
    # How many arguments the command has been given already: one environment at most (two
    # for promote and diff), so `set qa <TAB>` is asked for a version, not a name.
    local j given=0
    for ((j = i + 1; j < COMP_CWORD; j++)); do [[ ${COMP_WORDS[j]} == -* ]] || ((given++)); done
    case "$sub,$prev" in
        gate,--target) COMPREPLY=() ;;
        *,-*|gate,*) return ;;
        promote,*|diff,*) ((given < 2)) || return ;;
        prepare,*|record,*|set,*|bump,*|rollback,*|log,*) ((given < 1)) || return ;;
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

/// zsh: the environment names where an environment is asked for. Saved as `_git-release` in a
/// folder of `fpath`, the file completes `git-release` and, through zsh's own git completion
/// (which calls `_git-<command>`), `git release`; `-C` anywhere on the line says where to read.
const ZSH: &str = r#"
(( $+functions[__git_release_environments] )) ||
__git_release_environments() {
    local -a names cargs words_here
    local i
    words_here=(${(z)BUFFER})
    for (( i = 1; i < ${#words_here}; i++ )); do
        [[ ${words_here[i]} == -C ]] && cargs+=(-C "${(Q)words_here[i+1]}")
    done
    names=(${(f)"$(command git-release $cargs completions --environments 2>/dev/null)"})
    _describe -t environments 'environment' names
}
"#;

/// fish: the environment names where an environment is asked for. fish's own git completion
/// hands `git release …` to the completions of `git-release`, so one file serves both.
const FISH: &str = r#"
function __fish_git_release_environments
    set -l cmd (commandline -opc)
    set -l cargs
    for i in (seq (count $cmd))
        if test "$cmd[$i]" = -C; and test $i -lt (count $cmd)
            set -a cargs -C $cmd[(math $i + 1)]
        end
    end
    command git-release $cargs completions --environments 2>/dev/null
end
complete -c git-release -f -n "__fish_git_release_using_subcommand prepare record set bump rollback log promote diff" -a "(__fish_git_release_environments)"
"#;

/// clap's zsh script, with the environment names offered for every argument that takes one,
/// and the function that lists them defined before the script's last lines call it.
fn zsh_with_environments(script: &str) -> String {
    let mut out = String::with_capacity(script.len() + ZSH.len());
    for line in script.split_inclusive('\n') {
        let takes_environment =
            [":environment -- ", ":from -- ", ":to -- ", "--target=[", "*--env=[Only this environment"]
                .iter()
                .any(|spec| line.contains(spec))
                && !line.contains("--env=[An environment, in promotion order");
        if takes_environment && line.contains(":_default'") {
            out.push_str(&line.replace(":_default'", ":__git_release_environments'"));
        } else {
            if line.starts_with("if [ \"$funcstack[1]\" = \"_git-release\" ]") {
                out.push_str(ZSH.trim_start());
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}

/// clap's fish script, with the environment names offered for the options that take one (an
/// option's values come from its own line) and for the commands' arguments.
fn fish_with_environments(script: &str) -> String {
    let mut out = String::with_capacity(script.len() + FISH.len());
    for line in script.lines() {
        out.push_str(line);
        let option = |command: &str, long: &str| {
            line.contains(&format!("__fish_git_release_using_subcommand {command}\" -l {long} "))
        };
        if option("gate", "target") || option("reconcile", "env") {
            out.push_str(" -f -a \"(__fish_git_release_environments)\"");
        }
        out.push('\n');
    }
    out.push_str(FISH);
    out
}
