//! The rules git applies to reference names (`git check-ref-format`), as pure functions.
//!
//! Environment branches and every tag this tool creates must pass them, so a release file is
//! refused before any name reaches git.

use std::fmt;

/// Why git would refuse a reference name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    LeadingDash,
    LeadingSlash,
    TrailingSlash,
    TrailingDot,
    DoubleSlash,
    DoubleDot,
    ComponentStartsWithDot,
    ComponentEndsWithLock,
    AtBrace,
    Head,
    NotUnderRefs,
    Forbidden(char),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("it is empty"),
            Problem::LeadingDash => f.write_str("it starts with '-'"),
            Problem::LeadingSlash => f.write_str("it starts with '/'"),
            Problem::TrailingSlash => f.write_str("it ends with '/'"),
            Problem::TrailingDot => f.write_str("it ends with '.'"),
            Problem::DoubleSlash => f.write_str("it contains '//'"),
            Problem::DoubleDot => f.write_str("it contains '..'"),
            Problem::ComponentStartsWithDot => f.write_str("a part between slashes starts with '.'"),
            Problem::ComponentEndsWithLock => f.write_str("a part between slashes ends with '.lock'"),
            Problem::AtBrace => f.write_str("it contains '@{'"),
            Problem::Head => f.write_str("it is 'HEAD', which git keeps for the checked-out commit"),
            Problem::NotUnderRefs => f.write_str("it does not start with 'refs/'"),
            Problem::Forbidden(c) if c.is_ascii_control() => {
                write!(f, "it contains the control character U+{:04X}", u32::from(*c))
            }
            Problem::Forbidden(' ') => f.write_str("it contains a space"),
            Problem::Forbidden(c) => write!(f, "it contains '{c}'"),
        }
    }
}

/// Checks a short branch or tag name (what follows `refs/heads/` or `refs/tags/`): exactly the
/// names `git check-ref-format --branch` accepts, which are also valid tag names.
///
/// # Errors
/// The first rule of `git check-ref-format --branch` that `name` breaks.
pub fn check_short(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::Empty);
    }
    if name.starts_with('-') {
        return Err(Problem::LeadingDash);
    }
    if name == "HEAD" {
        return Err(Problem::Head);
    }
    check_rest(name)
}

/// Checks a full reference name as a hook receives it, such as `refs/tags/v1.0.0`: the rules of
/// `git check-ref-format`, and it must be under `refs/`.
///
/// # Errors
/// The first rule that `reference` breaks.
pub fn check_full(reference: &str) -> Result<(), Problem> {
    let rest = reference.strip_prefix("refs/").ok_or(Problem::NotUnderRefs)?;
    if rest.is_empty() {
        return Err(Problem::TrailingSlash);
    }
    check_rest(rest)
}

fn check_rest(name: &str) -> Result<(), Problem> {
    if let Some(c) = name.chars().find(|&c| is_forbidden(c)) {
        return Err(Problem::Forbidden(c));
    }
    check_layout(name)
}

fn check_layout(name: &str) -> Result<(), Problem> {
    if name.starts_with('/') {
        return Err(Problem::LeadingSlash);
    }
    if name.ends_with('/') {
        return Err(Problem::TrailingSlash);
    }
    if name.ends_with('.') {
        return Err(Problem::TrailingDot);
    }
    if name.contains("//") {
        return Err(Problem::DoubleSlash);
    }
    if name.contains("..") {
        return Err(Problem::DoubleDot);
    }
    if name.contains("@{") {
        return Err(Problem::AtBrace);
    }
    for part in name.split('/') {
        if part.starts_with('.') {
            return Err(Problem::ComponentStartsWithDot);
        }
        if part.as_bytes().ends_with(b".lock") {
            return Err(Problem::ComponentEndsWithLock);
        }
    }
    Ok(())
}

fn is_forbidden(c: char) -> bool {
    c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
}

/// Text made fit for the middle of a tag name: every character but ASCII letters, digits, `.`,
/// `_` and `-` becomes `-`, so `feature/x` becomes `feature-x`.
#[must_use]
pub fn tag_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect()
}

/// `text` as one word a POSIX shell reads back unchanged, for commands a hint prints: as it is
/// when it holds only characters no shell treats specially, else in single quotes. A branch may
/// be named `qa;touch${IFS}x`: pasted unquoted, that runs a command.
#[must_use]
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/@:+=,%-".contains(&b))
        && !text.starts_with('-');
    if plain { text.to_owned() } else { format!("'{}'", text.replace('\'', "'\\''")) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_a_shell_would_read_otherwise_is_quoted() {
        assert_eq!(super::shell_word("environment/qa"), "environment/qa");
        assert_eq!(super::shell_word("qa;touch${IFS}x"), "'qa;touch${IFS}x'");
        assert_eq!(super::shell_word("it's"), "'it'\\''s'");
        assert_eq!(super::shell_word(""), "''");
    }

    use super::*;

    #[test]
    fn accepts_names_git_accepts() {
        for name in [
            "main",
            "environment/prod",
            "v1.4.0-rc.3",
            "1.4.0.20261121T101500Z.qa",
            "a@b",
            "x.lock.y",
            "a\u{85}b",
            "@",
            "HEAD/x",
        ] {
            assert_eq!(check_short(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn refuses_names_git_refuses() {
        let cases = [
            ("", Problem::Empty),
            ("-x", Problem::LeadingDash),
            ("/x", Problem::LeadingSlash),
            ("x/", Problem::TrailingSlash),
            ("x.", Problem::TrailingDot),
            ("a//b", Problem::DoubleSlash),
            ("1.0..0", Problem::DoubleDot),
            ("a/.b", Problem::ComponentStartsWithDot),
            ("1.0.0.lock", Problem::ComponentEndsWithLock),
            ("a@{1}", Problem::AtBrace),
            ("HEAD", Problem::Head),
            ("a b", Problem::Forbidden(' ')),
            ("a~1", Problem::Forbidden('~')),
            ("a^", Problem::Forbidden('^')),
            ("a:b", Problem::Forbidden(':')),
            ("a?", Problem::Forbidden('?')),
            ("a*", Problem::Forbidden('*')),
            ("a[", Problem::Forbidden('[')),
            ("a\\b", Problem::Forbidden('\\')),
            ("a\u{7}b", Problem::Forbidden('\u{7}')),
            ("a\u{7f}", Problem::Forbidden('\u{7f}')),
        ];
        for (name, problem) in cases {
            assert_eq!(check_short(name), Err(problem), "{name:?}");
        }
    }

    #[test]
    fn full_names_must_be_under_refs_and_well_formed() {
        assert_eq!(check_full("refs/tags/v1.0.0"), Ok(()));
        assert_eq!(check_full("refs/tags/-x"), Ok(()), "a leading dash is only refused at the start");
        assert_eq!(check_full("refs/tags/../tags/v1.0.0"), Err(Problem::DoubleDot));
        assert_eq!(check_full("refs/tags//v1"), Err(Problem::DoubleSlash));
        assert_eq!(check_full("refs/"), Err(Problem::TrailingSlash));
        assert_eq!(check_full("HEAD"), Err(Problem::NotUnderRefs));
    }
}
