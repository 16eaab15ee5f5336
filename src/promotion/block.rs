//! The block that marks a pull request as a promotion, and says what it carries. Pure.
//!
//! A promotion pull request is known by a block at the top of its body, an HTML comment that
//! forges do not show, holding TOML:
//!
//! ```text
//! <!-- git-release:promotion
//! format = 1
//! from = "qa"
//! to = "prod"
//! version = "1.4.0"
//! tag = "v1.4.0-rc.3"
//! commit = "…"
//! -->
//! ```
//!
//! `closed-by = "git-release"` marks one the reconciler closed itself; any other closed one was
//! closed by a person, which holds its version back.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The block's format; blocks of an older one are closed, a newer one is left to the newer tool.
pub const FORMAT: u32 = 1;
const START: &str = "<!-- git-release:promotion";
const END: &str = "-->";
const RETIRED: &str = "git-release";

/// What a promotion pull request carries: the deployment of `from` it brings into `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub from: String,
    pub to: String,
    /// The version the source environment deployed.
    pub version: String,
    /// The rc or final tag it deployed, when it cut one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The deployed application commit.
    pub commit: String,
}

impl Marker {
    /// The block that marks a pull request as this promotion; `retired` when git-release closes it.
    #[must_use]
    pub fn block(&self, retired: bool) -> String {
        let mut block = format!("{START}\nformat = {FORMAT}\n");
        let mut line = |key: &str, value: &str| block.push_str(&format!("{key} = {}\n", quote(value)));
        line("from", &self.from);
        line("to", &self.to);
        line("version", &self.version);
        if let Some(tag) = &self.tag {
            line("tag", tag);
        }
        line("commit", &self.commit);
        if retired {
            line("closed-by", RETIRED);
        }
        block.push_str(END);
        block
    }

    /// Whether both carry the same deployment.
    #[must_use]
    pub fn carries_same(&self, other: &Marker) -> bool {
        self.from == other.from && self.version == other.version && self.tag == other.tag && self.commit == other.commit
    }
}

impl fmt::Display for Marker {
    /// `1.4.0 (v1.4.0-rc.3)`, or the version alone when no tag was cut.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            Some(tag) => write!(f, "{} ({tag})", self.version),
            None => f.write_str(&self.version),
        }
    }
}

/// A TOML basic string that also never holds `-->`, which would end the comment.
fn quote(value: &str) -> String {
    let mut quoted = String::from('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '>' => quoted.push_str("\\u003E"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// What a pull request's body says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// No block: not a promotion git-release made.
    Missing,
    /// A block that cannot be read, and why.
    Unreadable(String),
    /// A block of an older format.
    Older(u32),
    /// A block of a newer format: a newer git-release owns it.
    Newer(u32),
    Found {
        marker: Marker,
        retired: bool,
    },
}

#[derive(Deserialize)]
struct Versioned {
    format: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Written {
    #[expect(dead_code, reason = "read by `Versioned`; named here so that it is not unknown")]
    format: i64,
    #[serde(flatten)]
    marker: Marker,
    closed_by: Option<String>,
}

impl Block {
    /// Reads the block in a pull request's body.
    #[must_use]
    pub fn read(body: &str) -> Block {
        let Some(start) = body.find(START) else { return Block::Missing };
        let rest = &body[start + START.len()..];
        let Some(end) = rest.find(END) else {
            return Block::Unreadable("the block has no end (`-->`)".to_owned());
        };
        let text = &rest[..end];
        let format = match toml_edit::de::from_str::<Versioned>(text) {
            Ok(Versioned { format: Some(format) }) => format,
            Ok(Versioned { format: None }) => return Block::Unreadable("the block has no `format`".to_owned()),
            Err(error) => return Block::Unreadable(error.message().trim_end().to_owned()),
        };
        match u32::try_from(format) {
            Ok(format) if format > FORMAT => return Block::Newer(format),
            Ok(format) if format < FORMAT => return Block::Older(format),
            Ok(_) => {}
            Err(_) => return Block::Unreadable(format!("`format = {format}` is not a format")),
        }
        match toml_edit::de::from_str::<Written>(text) {
            Ok(written) => Block::Found { marker: written.marker, retired: written.closed_by.is_some() },
            Err(error) => Block::Unreadable(error.message().trim_end().to_owned()),
        }
    }
}

/// `body` with `block` in place of the one it has, or before it when it has none.
#[must_use]
pub fn with_block(body: &str, block: &str) -> String {
    if let Some(start) = body.find(START) {
        if let Some(end) = body[start..].find(END) {
            let end = start + end + END.len();
            return format!("{}{block}{}", &body[..start], &body[end..]);
        }
    }
    format!("{block}\n{body}")
}
