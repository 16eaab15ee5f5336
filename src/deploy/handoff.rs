//! The hand-off from `prepare` to `record`: what `prepare` decided, kept in the release
//! repository's git directory for `record` in the same checkout. `record` then records what was
//! deployed instead of deciding again, when a commit that lands in between was never tagged or
//! deployed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Kind};
use crate::object_id::ObjectId;

/// The form of the file; another is not read.
const FORMAT: u32 = 1;

/// What `prepare` decided for one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub format: u32,
    pub environment: String,
    pub version: String,
    pub commit: ObjectId,
    /// The version tag made or reused.
    pub tag: Option<String>,
    /// The branch the commit was taken from.
    pub branch: Option<String>,
    /// The environment branch's commit the version was read from.
    pub release_commit: ObjectId,
    /// Each component of an application of several repositories.
    #[serde(default)]
    pub components: BTreeMap<String, Component>,
    /// The CI run that prepared it (its pipeline's address), when a CI said: a `record` in
    /// another run does not take it.
    pub run: Option<String>,
    /// The record of the environment's latest deployment, when it is this one already and
    /// `prepare` deployed nothing: `record` then records nothing either.
    #[serde(default)]
    pub recorded: Option<String>,
    /// The record `record` made of this hand-off: recording it again finds that one, whatever
    /// the environment deployed since, and makes no other.
    #[serde(default)]
    pub made: Option<String>,
}

/// What `prepare` decided for one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub commit: ObjectId,
    pub tag: Option<String>,
    pub branch: Option<String>,
}

impl Handoff {
    /// A hand-off in the current form.
    #[must_use]
    pub fn new(environment: &str, version: &str, commit: ObjectId, release_commit: ObjectId) -> Handoff {
        Handoff {
            format: FORMAT,
            environment: environment.to_owned(),
            version: version.to_owned(),
            commit,
            tag: None,
            branch: None,
            release_commit,
            components: BTreeMap::new(),
            run: None,
            recorded: None,
            made: None,
        }
    }

    /// Whether a `record` in `run` may take this hand-off: made by the same CI run, or outside
    /// any CI on both sides.
    #[must_use]
    pub fn is_for(&self, run: Option<&str>) -> bool {
        self.run.as_deref() == run
    }
}

/// Where the hand-off of `environment` is kept in the git directory `git_dir`.
#[must_use]
pub fn path(git_dir: &Path, environment: &str) -> PathBuf {
    git_dir.join("release").join("prepared").join(format!("{environment}.json"))
}

/// Keeps the hand-off, replacing any earlier one of the environment; written whole or not at all.
///
/// # Errors
/// When the file cannot be written.
pub fn save(git_dir: &Path, handoff: &Handoff) -> Result<(), Error> {
    let file = path(git_dir, &handoff.environment);
    let written = (|| {
        let folder = file.parent().expect("the hand-off file is in a folder");
        std::fs::create_dir_all(folder)?;
        let text = serde_json::to_string_pretty(handoff).map_err(std::io::Error::other)?;
        let partial = file.with_extension("json.partial");
        std::fs::write(&partial, text + "\n")?;
        std::fs::rename(&partial, &file)
    })();
    written.map_err(|error| {
        Error::new(Kind::Git, format!("cannot keep what prepare decided in {}", file.display()))
            .cause(error.to_string())
            .hint("check that the repository's git directory is writable")
    })
}

/// The hand-off `prepare` left for `environment`, if any.
///
/// # Errors
/// When it cannot be read or is not one this version of git-release wrote.
pub fn load(git_dir: &Path, environment: &str) -> Result<Option<Handoff>, Error> {
    let file = path(git_dir, environment);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(Error::new(Kind::Git, format!("cannot read what prepare decided in {}", file.display()))
                .cause(error.to_string()));
        }
    };
    let unreadable = |why: String| {
        Error::from(super::Refusal::NotAHandoff {
            environment: environment.to_owned(),
            file: file.display().to_string(),
            why,
        })
    };
    let handoff: Handoff = serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
    if handoff.format != FORMAT || handoff.environment != environment {
        return Err(unreadable(format!(
            "it is of format {} for environment {}; this is format {FORMAT} for {environment}",
            handoff.format, handoff.environment
        )));
    }
    Ok(Some(handoff))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(digit: char) -> ObjectId {
        ObjectId::from_hex(&digit.to_string().repeat(40)).expect("an id")
    }

    #[test]
    fn a_hand_off_reads_back_as_it_was_kept_and_only_for_its_run() {
        let dir = tempfile::tempdir().expect("a temp dir");
        assert_eq!(load(dir.path(), "qa").expect("nothing to read"), None);
        let mut handoff = Handoff::new("qa", "1.4.0", id('a'), id('b'));
        handoff.tag = Some("v1.4.0-rc.2".into());
        handoff.run = Some("https://ci.example/run/7".into());
        handoff.components.insert("web".into(), Component { commit: id('c'), tag: None, branch: Some("main".into()) });
        save(dir.path(), &handoff).expect("kept");
        assert_eq!(load(dir.path(), "qa").expect("read"), Some(handoff.clone()));
        assert!(handoff.is_for(Some("https://ci.example/run/7")));
        assert!(!handoff.is_for(Some("https://ci.example/run/8")), "another run's");
        assert!(!handoff.is_for(None), "a run outside CI does not take a CI run's");
    }

    #[test]
    fn a_file_that_is_no_hand_off_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = path(dir.path(), "qa");
        std::fs::create_dir_all(file.parent().expect("a folder")).expect("made");
        std::fs::write(&file, "{\"format\": 9}").expect("written");
        let error = load(dir.path(), "qa").expect_err("refused");
        assert_eq!(error.kind, Kind::Usage);
        assert!(error.hints.iter().any(|h| h.contains("--commit")), "{error:?}");
        let other = Handoff::new("prod", "1.4.0", id('a'), id('b'));
        std::fs::write(&file, serde_json::to_string(&other).expect("json")).expect("written");
        assert!(load(dir.path(), "qa").is_err(), "prod's hand-off is not qa's");
    }
}
