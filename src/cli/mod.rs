//! The command line: clap types, one file per command, one exhaustive dispatch.

mod approve;
mod completions;
mod demo;
mod deployment;
mod diff;
mod doctor;
mod gate;
pub(crate) mod hook;
mod init;
mod jira;
mod log;
mod metrics;
mod prepare;
pub(crate) mod preview;
mod promote;
mod reconcile;
mod record;
mod report;
mod set;
mod status;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

pub use crate::context::Context;
use crate::error::{Error, Exit, Kind};
use crate::ui::{ColorChoice, Ui};

const AFTER_HELP: &str = "\
Exit status: 0 done (or the gate allows), 1 refused, 2 usage or configuration error,
128 git, forge or network failure. The full manual: git help release (man git-release).";

/// Releases through environment branches: versions, deployment records, promotions and a merge gate.
#[derive(Debug, Parser)]
#[expect(clippy::struct_excessive_bools, reason = "each bool is an independent command-line switch")]
#[command(name = "git-release", bin_name = "git release", version, after_help = AFTER_HELP)]
#[command(long_about = "Releases through environment branches, from git alone.\n\n\
An environment is a branch of the release repository holding release.toml, whose `version` \
says what the environment should run. Deployments cut rc and final version tags and leave \
timestamped deployment records; promotions are pull requests between environment branches.")]
pub struct Cli {
    /// Run as if started in PATH (given more than once, each is taken from the one before; an
    /// empty PATH changes nothing, as with git -C)
    #[arg(short = 'C', global = true, value_name = "PATH", action = clap::ArgAction::Append)]
    pub directory: Vec<OsString>,
    /// Print one JSON document on stdout (errors too)
    #[arg(long, global = true)]
    pub json: bool,
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    #[arg(
        help = "When to colour output (default: color.release, else color.ui, as for git's own commands, else auto: on a terminal, unless NO_COLOR is set)"
    )]
    pub color: Option<ColorChoice>,
    /// Print only data and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Show each git command that runs
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The remote that holds the environment branches
    #[arg(long, global = true, value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// Make no fetches and no forge calls
    #[arg(long, global = true)]
    pub offline: bool,
    /// Read the release file from REV instead of HEAD or release.configRef
    #[arg(long, global = true, value_name = "REV")]
    pub config_from: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::Args),
    Status(status::Args),
    Set(set::SetArgs),
    Bump(set::BumpArgs),
    Rollback(set::RollbackArgs),
    Prepare(prepare::Args),
    Record(record::Args),
    Approve(approve::ApproveArgs),
    Revoke(approve::RevokeArgs),
    Log(log::Args),
    Metrics(metrics::Args),
    Report(report::Args),
    Doctor(doctor::Args),
    Gate(gate::Args),
    Promote(promote::Args),
    Reconcile(reconcile::Args),
    Preview(preview::Args),
    Diff(diff::Args),
    Hook(hook::HookArgs),
    Hooks(hook::HooksArgs),
    Demo(demo::Args),
    Completions(completions::Args),
}

/// The clap definition, for the man page and completions.
#[must_use]
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses the arguments, runs the command and returns the exit status.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut args: Vec<OsString> = args.into_iter().collect();
    // `help --help`, as git takes it: the help of `help`.
    if args.len() == 3 && args[1] == "help" && (args[2] == "--help" || args[2] == "-h") {
        args[2] = "help".into();
    }
    // clap's own messages (usage errors, help) follow --color and NO_COLOR too.
    let asked = |value: &str| {
        args.windows(2).any(|w| w[0] == "--color" && w[1] == value)
            || args.iter().any(|a| *a == *format!("--color={value}"))
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let clap_color = if asked("never") || (no_color && !asked("always")) {
        clap::ColorChoice::Never
    } else if asked("always") {
        clap::ColorChoice::Always
    } else {
        clap::ColorChoice::Auto
    };
    let parsed = Cli::command().color(clap_color).try_get_matches_from(&args);
    let cli = match parsed.and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches)) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error, &args),
    };
    // A preview made from a webhook's JSON answers in JSON.
    let json = cli.json
        || matches!(&cli.command, Command::Preview(p) if matches!(&p.action, preview::Action::Create { from_json: Some(_), .. }));
    if let Err(error) = check_remote(&cli.remote).and_then(|()| change_directory(&cli.directory)) {
        Ui::new(cli.color.unwrap_or(ColorChoice::Auto), json, cli.quiet, cli.verbose).error(&error);
        return ExitCode::from(error.exit().code());
    }
    let color = cli.color.unwrap_or_else(configured_color);
    let ui = Ui::new(color, json, cli.quiet, cli.verbose);
    let context =
        Context { ui, remote: cli.remote.clone(), offline: cli.offline, config_from: cli.config_from.clone() };
    match dispatch(&context, &cli.command) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(error) => {
            ui.error(&error);
            ExitCode::from(error.exit().code())
        }
    }
}

/// What git's configuration says of colour, as git's own commands read it: `color.release`,
/// else `color.ui` (`always`, `never`, or `auto`/`true` for a terminal only). On a terminal git
/// is asked; elsewhere only `always` could colour, and git is asked only when some configuration
/// could say it, so that a hook or a pipe pays nothing for it.
fn configured_color() -> ColorChoice {
    use std::io::IsTerminal;
    // git's own reading: configuration files, `git -c` and GIT_CONFIG_COUNT alike, and
    // color.ui where color.release is not set; `tty` says whether the output is a terminal.
    let colours = |tty: &str| {
        let asked = crate::git::GitCommand::new(["config", "--get-colorbool", "color.release", tty]);
        asked.output_in(Path::new(".")).ok().filter(|o| o.success).map(|o| o.stdout.trim() == "true")
    };
    if std::io::stdout().is_terminal() {
        return if colours("true") == Some(false) { ColorChoice::Never } else { ColorChoice::Auto };
    }
    if config_may_say_always() && colours("false") == Some(true) {
        return ColorChoice::Always;
    }
    if std::io::stderr().is_terminal() && colours("true") == Some(false) {
        return ColorChoice::Never;
    }
    ColorChoice::Auto
}

/// Whether any configuration git would read could hold `always` (or include a file that does):
/// `git -c`, `GIT_CONFIG_COUNT`, the system, global and repository files. Reading a few small files
/// costs far less than starting git; a word found in the wrong place only costs that start.
fn config_may_say_always() -> bool {
    let says = |text: &str| {
        let text = text.to_ascii_lowercase();
        text.contains("always") || text.contains("include")
    };
    let from_env = |name: &str| std::env::var(name).ok();
    if from_env("GIT_CONFIG_PARAMETERS").is_some_and(|p| says(&p)) {
        return true;
    }
    let count = from_env("GIT_CONFIG_COUNT").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    if (0..count).any(|n| from_env(&format!("GIT_CONFIG_VALUE_{n}")).is_some_and(|v| says(&v))) {
        return true;
    }
    let mut files: Vec<PathBuf> = Vec::new();
    if from_env("GIT_CONFIG_NOSYSTEM").is_none() {
        files.push(from_env("GIT_CONFIG_SYSTEM").map_or_else(|| PathBuf::from("/etc/gitconfig"), PathBuf::from));
    }
    if let Some(global) = from_env("GIT_CONFIG_GLOBAL") {
        files.push(global.into());
    } else if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        let xdg = std::env::var_os("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from);
        files.extend([xdg.join("git").join("config"), home.join(".gitconfig")]);
    }
    match repository_config() {
        Some(local) => files.extend(local),
        // A linked work tree or an unusual layout: git knows where its settings are.
        None => return true,
    }
    files.iter().any(|file| std::fs::read(file).is_ok_and(|bytes| says(&String::from_utf8_lossy(&bytes))))
}

/// The repository's own configuration files, found as git finds the repository from here;
/// `None` where that takes more than looking for `.git` upwards.
fn repository_config() -> Option<Vec<PathBuf>> {
    if let Some(dir) = std::env::var_os("GIT_DIR") {
        let dir = PathBuf::from(dir);
        return Some(vec![dir.join("config"), dir.join("config.worktree")]);
    }
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let dot_git = dir.join(".git");
        if dot_git.is_dir() {
            return Some(vec![dot_git.join("config"), dot_git.join("config.worktree")]);
        }
        if dot_git.exists() {
            return None;
        }
        // A bare repository is its own git directory.
        if dir.join("HEAD").is_file() && dir.join("objects").is_dir() {
            return Some(vec![dir.join("config")]);
        }
        if !dir.pop() {
            return Some(Vec::new());
        }
    }
}

/// `-C PATH`: as `git -C`, every path given afterwards, and the repository itself, are found
/// from PATH.
fn change_directory(directories: &[OsString]) -> Result<(), Error> {
    for directory in directories.iter().filter(|d| !d.is_empty()).map(Path::new) {
        std::env::set_current_dir(directory).map_err(|e| {
            Error::new(Kind::Usage, format!("cannot change to `{}`", directory.display()))
                .cause(e.to_string())
                .hint("-C takes a directory that exists, as in git -C")
        })?;
    }
    Ok(())
}

/// clap's text of a usage error as an [`Error`]: its first line the message, the lines under it
/// (the missing arguments, the value that was refused) the causes, its tips and usage the hints.
fn json_usage_error(rendered: &str) -> Error {
    let mut lines = rendered.lines().peekable();
    let first = lines.next().unwrap_or_default().trim_start_matches("error: ");
    // "the following required arguments were not provided:" names them on the lines below.
    let mut named = Vec::new();
    let message = match first.strip_suffix(':') {
        Some(lead) => {
            while let Some(line) = lines.next_if(|l| l.starts_with("  ")) {
                named.push(line.trim());
            }
            format!("{lead}: {}", named.join(", "))
        }
        None => first.to_owned(),
    };
    let mut report = Error::new(Kind::Usage, message);
    for name in named {
        report = report.cause(name);
    }
    for line in lines.map(str::trim).filter(|l| !l.is_empty()) {
        report = if let Some(tip) = line.strip_prefix("tip: ") {
            report.hint(tip)
        } else if let Some(usage) = line.strip_prefix("Usage: ") {
            report.hint(format!("usage: {usage}"))
        } else if line.starts_with("For more information") {
            report
        } else {
            report.cause(line)
        };
    }
    report.hint("see 'git release -h'")
}

/// A remote is named as in `git remote add`: never a URL (which may hold credentials) or an option.
fn check_remote(remote: &str) -> Result<(), Error> {
    if crate::refname::check_short(remote).is_ok() {
        return Ok(());
    }
    Err(Error::new(Kind::Usage, "--remote takes the name of a remote, such as origin")
        .hint("add the remote first: git remote add <name> <url>"))
}

fn dispatch(context: &Context, command: &Command) -> Result<Exit, Error> {
    let done = |result: Result<(), Error>| result.map(|()| Exit::Success);
    if dates_what_it_writes(command) {
        // A date git cannot write is a usage error before anything is read or written.
        crate::clock::check_dates()?;
    }
    match command {
        Command::Init(args) => done(init::run(context, args)),
        Command::Status(args) => status::run(context, args),
        Command::Set(args) => done(set::run_set(context, args)),
        Command::Bump(args) => done(set::run_bump(context, args)),
        Command::Rollback(args) => done(set::run_rollback(context, args)),
        Command::Prepare(args) => done(prepare::run(context, args)),
        Command::Record(args) => done(record::run(context, args)),
        Command::Approve(args) => done(approve::run_approve(context, args)),
        Command::Revoke(args) => done(approve::run_revoke(context, args)),
        Command::Log(args) => done(log::run(context, args)),
        Command::Metrics(args) => done(metrics::run(context, args)),
        Command::Report(args) => done(report::run(context, args)),
        Command::Doctor(args) => doctor::run(context, args),
        Command::Gate(args) => gate::run(context, args),
        Command::Promote(args) => done(promote::run(context, args)),
        Command::Reconcile(args) => reconcile::run(context, args),
        Command::Preview(args) => done(preview::run(context, args)),
        Command::Diff(args) => done(diff::run(context, args)),
        Command::Hook(args) => hook::run_hook(context, args),
        Command::Hooks(args) => hook::run_hooks(context, args),
        Command::Demo(args) => done(demo::run(context, args)),
        Command::Completions(args) => done(completions::run(context, args)),
    }
}

/// Whether a command writes commits or tags, or decides by the time: those need the clock.
fn dates_what_it_writes(command: &Command) -> bool {
    match command {
        Command::Init(_)
        | Command::Set(_)
        | Command::Bump(_)
        | Command::Rollback(_)
        | Command::Prepare(_)
        | Command::Record(_)
        | Command::Approve(_)
        | Command::Revoke(_)
        | Command::Promote(_)
        | Command::Reconcile(_)
        | Command::Demo(_) => true,
        Command::Preview(args) => matches!(args.action, preview::Action::Create { .. }),
        Command::Status(_)
        | Command::Log(_)
        | Command::Metrics(_)
        | Command::Report(_)
        | Command::Doctor(_)
        | Command::Gate(_)
        | Command::Diff(_)
        | Command::Hook(_)
        | Command::Hooks(_)
        | Command::Completions(_) => false,
    }
}

/// Help and version go to stdout with status 0; anything else is a usage error (2), in JSON
/// too when `--json` was given.
fn usage_error(error: &clap::Error, args: &[OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        let code = if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            Exit::Usage
        } else {
            Exit::Success
        };
        return ExitCode::from(code.code());
    }
    let json = args.iter().any(|a| a == "--json");
    if json {
        let report = json_usage_error(&error.render().to_string());
        Ui::new(ColorChoice::Never, true, true, false).error(&report);
        return ExitCode::from(Exit::Usage.code());
    }
    let _ = error.print();
    ExitCode::from(Exit::Usage.code())
}
