//! The one error type that reaches the user, and the exit status it maps to.
//!
//! Each module keeps its own error enum that describes its layer; `Diagnostic` tells how such an
//! error is classified and what the user can do next, and `From` turns it into an [`Error`].

use std::fmt;

/// The exit status of every command, as documented in the man page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, or the gate allows.
    Success,
    /// Refused: a gate failed or the operation is not allowed in this state.
    Refused,
    /// Usage or configuration error.
    Usage,
    /// Git, forge or network failure.
    External,
}

impl Exit {
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Refused => 1,
            Exit::Usage => 2,
            Exit::External => 128,
        }
    }
}

/// What sort of failure an error is; printed as `kind` in JSON errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The operation is not allowed in this state.
    Refused,
    /// The command line asked for something impossible.
    Usage,
    /// The release file or git configuration is invalid.
    Config,
    /// A git command or repository read failed.
    Git,
    /// A forge answered with an error.
    Forge,
    /// The network failed.
    Network,
}

impl Kind {
    #[must_use]
    pub fn exit(self) -> Exit {
        match self {
            Kind::Refused => Exit::Refused,
            Kind::Usage | Kind::Config => Exit::Usage,
            Kind::Git | Kind::Forge | Kind::Network => Exit::External,
        }
    }
}

/// How a module's error presents itself to the user.
pub trait Diagnostic: std::error::Error + Send + Sync + 'static {
    fn kind(&self) -> Kind;

    /// `hint:` lines: what to run next.
    fn hints(&self) -> Vec<String> {
        Vec::new()
    }

    /// `caused by:` lines; by default the chain of sources.
    fn causes(&self) -> Vec<String> {
        let mut causes = Vec::new();
        let mut source = self.source();
        while let Some(error) = source {
            causes.push(error.to_string());
            source = error.source();
        }
        causes
    }
}

/// An error as the user sees it: `error:`, `caused by:` lines and `hint:` lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub causes: Vec<String>,
    pub hints: Vec<String>,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), causes: Vec::new(), hints: Vec::new() }
    }

    #[must_use]
    pub fn cause(mut self, cause: impl Into<String>) -> Error {
        self.causes.push(cause.into());
        self
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hints.push(hint.into());
        self
    }

    #[must_use]
    pub fn exit(&self) -> Exit {
        self.kind.exit()
    }
}

impl<D: Diagnostic> From<D> for Error {
    fn from(error: D) -> Error {
        Error { kind: error.kind(), message: error.to_string(), causes: error.causes(), hints: error.hints() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
