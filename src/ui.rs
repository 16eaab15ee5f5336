//! The only code that writes to the terminal: data on stdout, messages for people on stderr.

use std::io::{IsTerminal, Write};

use crate::error::Error;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Adds ANSI colours, or not, to text.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    enabled: bool,
}

impl Paint {
    #[must_use]
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    #[must_use]
    pub fn red(self, text: &str) -> String {
        self.wrap("1;31", text)
    }

    #[must_use]
    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    #[must_use]
    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }

    #[must_use]
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }
}

/// What a command hands back: one JSON document, or text for people.
pub trait Report: serde::Serialize {
    /// The text for stdout; empty for none.
    fn human(&self, paint: Paint) -> String;

    /// `hint:` lines for stderr, shown after the text.
    fn hints(&self) -> Vec<String> {
        Vec::new()
    }

    /// The text only tells what was done, as git's own commands tell it, and `-q` silences it;
    /// a report whose text scripts read (`key=value` lines, tables) is printed whatever `-q`.
    fn only_tells(&self) -> bool {
        false
    }

    /// Errors met along the way that did not stop the command, for stderr in every mode.
    fn errors(&self) -> Vec<Error> {
        Vec::new()
    }
}

/// The terminal, as the global options set it up.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    json: bool,
    quiet: bool,
    verbose: bool,
    out: Paint,
    err: Paint,
}

impl Ui {
    #[must_use]
    pub fn new(color: ColorChoice, json: bool, quiet: bool, verbose: bool) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let decide = |is_terminal: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color && !dumb,
        };
        Ui {
            json,
            quiet,
            verbose,
            out: Paint { enabled: !json && decide(std::io::stdout().is_terminal()) },
            err: Paint { enabled: decide(std::io::stderr().is_terminal()) },
        }
    }

    /// Prints a command's result: JSON on stdout, or its text and hints.
    pub fn report(&self, report: &impl Report) {
        for error in report.errors() {
            write_err(&render_error(&error, self.err));
        }
        if self.json {
            let json = serde_json::to_string_pretty(report).expect("reports serialize to JSON");
            write_out(&format!("{json}\n"));
            return;
        }
        if self.quiet && report.only_tells() {
            return;
        }
        let text = report.human(self.out);
        if !text.is_empty() {
            write_out(&text);
        }
        for hint in report.hints() {
            self.hint(&hint);
        }
    }

    /// Whether `--json` was given.
    #[must_use]
    pub fn json(&self) -> bool {
        self.json
    }

    /// How text for stdout is coloured.
    #[must_use]
    pub fn stdout_paint(&self) -> Paint {
        self.out
    }

    /// Text for stdout as it happens, for commands that show a session rather than one result.
    pub fn stream(&self, text: &str) {
        if !self.json {
            write_out(text);
        }
    }

    /// Text for a program rather than a person (a shell's completion script), on stdout as it
    /// is, whatever `--json` says.
    ///
    /// # Errors
    /// When stdout cannot be written.
    pub fn verbatim(&self, text: &str) -> std::io::Result<()> {
        std::io::stdout().lock().write_all(text.as_bytes())
    }

    /// A message for people, unless `-q`.
    pub fn message(&self, text: &str) {
        if !self.quiet {
            write_err(&format!("{text}\n"));
        }
    }

    pub fn hint(&self, text: &str) {
        if !self.quiet {
            write_err(&format!("{} {text}\n", self.err.yellow("hint:")));
        }
    }

    /// A git command about to run, with `-v`.
    pub fn trace(&self, command: &str) {
        if self.verbose {
            write_err(&format!("{} {command}\n", self.err.dim("trace: run:")));
        }
    }

    /// An error that does not end the command (a failed round of `reconcile --watch`): on stderr.
    pub fn problem(&self, error: &Error) {
        write_err(&render_error(error, self.err));
    }

    /// Something that went wrong beside the command's purpose (Jira after a deployment): on
    /// stderr as `warning:` with its causes and hints, unless `-q`.
    pub fn warning(&self, error: &Error) {
        if !self.quiet {
            let text = render_error(error, self.err);
            let text = text.replacen(&self.err.red("error:"), &self.err.yellow("warning:"), 1);
            write_err(&text);
        }
    }

    /// An error: always on stderr, and as a JSON document on stdout with `--json`.
    pub fn error(&self, error: &Error) {
        if self.json {
            let document = serde_json::json!({ "error": error });
            let json = serde_json::to_string_pretty(&document).expect("errors serialize to JSON");
            write_out(&format!("{json}\n"));
        }
        write_err(&render_error(error, self.err));
    }
}

/// `error:`, `  caused by:` and `hint:` lines, as git prints them.
#[must_use]
pub fn render_error(error: &Error, paint: Paint) -> String {
    let mut text = format!("{} {}\n", paint.red("error:"), error.message);
    for cause in &error.causes {
        text.push_str(&format!("  caused by: {cause}\n"));
    }
    for hint in &error.hints {
        text.push_str(&format!("{} {hint}\n", paint.yellow("hint:")));
    }
    text
}

fn write_out(text: &str) {
    // No credential reaches the terminal, a log or a script, whatever a message was built from.
    let text = crate::secret::redact(text);
    // A closed pipe (`git release status | head`) is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn write_err(text: &str) {
    let text = crate::secret::redact(text);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Columns padded to their widest cell; the header bold, the first column green, `missing` red.
#[must_use]
pub fn table(rows: &[Vec<String>], paint: Paint) -> String {
    let columns = rows[0].len();
    let widths: Vec<usize> =
        (0..columns).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (index, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let padded =
                if column + 1 == columns { cell.clone() } else { format!("{cell:<width$}  ", width = widths[column]) };
            let painted = match (index, cell.as_str()) {
                (0, _) => paint.bold(&padded),
                (_, "missing") => paint.red(&padded),
                _ if column == 0 => paint.green(&padded),
                _ => padded,
            };
            line.push_str(&painted);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What `prepare` and `record` print: with `--dry-run` the steps, then `key=value` lines, ready
/// for `$GITHUB_OUTPUT` or a dotenv file.
#[must_use]
pub fn key_values<S: std::fmt::Display>(paint: Paint, steps: Option<&[S]>, values: &[(&str, &str)]) -> String {
    let mut out = String::new();
    if let Some(steps) = steps {
        out.push_str(&paint.bold("Would run:\n"));
        for step in steps {
            out.push_str(&format!("  {step}\n"));
        }
        if steps.is_empty() {
            out.push_str("  nothing\n");
        }
    }
    for (key, value) in values {
        out.push_str(&format!("{key}={value}\n"));
    }
    out
}
