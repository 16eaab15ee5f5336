//! `git release preview`: throwaway environments for unmerged work.

use crate::error::{Error, Kind};
use crate::preview::{ListReport, create, delete, keyed, list};

use super::Context;

/// Run unmerged work as a throwaway environment: pull requests, fork branches, single commits
///
/// A preview is the environment branch preview/<name>-<6 hex>, whose release file pins each
/// repository named to the commit its reference resolves to; the hex follows from those commits,
/// so the same references give the same preview and a rerun changes nothing. Pushing the branch
/// starts the deployment pipeline, as for every environment.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create and push a preview's branch; prints its unique name
    Create {
        /// What to call it: lower-case letters, digits and '-'
        #[arg(required_unless_present = "from_json", conflicts_with = "from_json")]
        name: Option<String>,
        /// [component=]reference: owner/repo#pull/42 (or owner/repo#42), someone/repo#branch,
        /// owner/repo@<sha>, group/project!42, or the forge's web address of a pull request,
        /// branch or commit
        #[arg(required_unless_present = "from_json", value_name = "REF")]
        references: Vec<String>,
        /// Read the name and references from a JSON body, as a webhook sends it (FILE, or - for
        /// stdin): {"name": "test-my-thing", "components": {"owner/repo": "owner/repo#42"}}; the
        /// result is printed as JSON
        #[arg(long, value_name = "FILE|-")]
        from_json: Option<String>,
        /// Show what would be created and pushed, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// List the previews, as the remote has them
    List,
    /// Delete a preview's branch here and on the remote; its deployment records stay
    Delete {
        /// The preview's unique name, as 'preview list' shows it
        name: String,
        /// Show what would be deleted, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(context: &Context, args: &Args) -> Result<(), Error> {
    let workspace = context.workspace()?;
    match &args.action {
        Action::Create { name, references, from_json, dry_run } => {
            if let Some(source) = from_json {
                let (name, entries) = body(source)?;
                let references = keyed(&workspace, entries)?;
                create(context, &workspace, &name, &references, *dry_run)
            } else {
                let name = name.as_deref().expect("clap requires a name without --from-json");
                create(context, &workspace, name, references, *dry_run)
            }
        }
        Action::List => {
            let previews = list(&workspace, context.may_fetch(false, true))?;
            context.ui.report(&ListReport { previews });
            Ok(())
        }
        Action::Delete { name, dry_run } => delete(context, &workspace, name, *dry_run),
    }
}

/// The largest body `--from-json` reads: a name and a few references.
const MAX_BODY: u64 = 64 * 1024;

/// The name and the `(key, reference)` entries of a webhook's JSON body:
/// `{"name": ..., "components": {key: reference}}`. Other fields are let be; a key given twice
/// (which a JSON reader would take as its last value) is refused.
fn body(source: &str) -> Result<(String, Vec<(String, String)>), Error> {
    use std::io::Read;
    let shown = if source == "-" { "stdin".to_owned() } else { source.to_owned() };
    let mut text = String::new();
    let read = if source == "-" {
        std::io::stdin().take(MAX_BODY + 1).read_to_string(&mut text)
    } else {
        std::fs::File::open(source).and_then(|file| file.take(MAX_BODY + 1).read_to_string(&mut text))
    };
    read.map_err(|e| Error::new(Kind::Usage, format!("cannot read the preview's JSON from {shown}: {e}")))?;
    let refused = |why: String| {
        Error::new(Kind::Usage, format!("{shown} is not a preview request: {why}"))
            .hint(r#"send {"name": "test-my-thing", "components": {"owner/repo": "owner/repo#42"}}"#)
    };
    if text.len() as u64 > MAX_BODY {
        return Err(refused(format!("it is longer than {MAX_BODY} bytes")));
    }
    serde_json::from_str::<unique::Unique>(&text).map_err(|e| refused(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| refused(e.to_string()))?;
    let name =
        value.get("name").and_then(serde_json::Value::as_str).ok_or_else(|| refused("no \"name\" string".into()))?;
    let components = value
        .get("components")
        .and_then(serde_json::Value::as_object)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| refused("no \"components\" object with a reference".into()))?;
    let mut entries = Vec::new();
    for (key, reference) in components {
        let reference = reference.as_str().ok_or_else(|| refused(format!("components.{key} is not a string")))?;
        entries.push((key.clone(), reference.to_owned()));
    }
    Ok((name.to_owned(), entries))
}

/// A JSON document whose objects never give a key twice.
mod unique {
    use serde::de::{Error, MapAccess, SeqAccess, Visitor};

    pub struct Unique;

    impl<'de> serde::Deserialize<'de> for Unique {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Unique, D::Error> {
            deserializer.deserialize_any(UniqueVisitor)
        }
    }

    struct UniqueVisitor;

    impl<'de> Visitor<'de> for UniqueVisitor {
        type Value = Unique;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("JSON")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
            let mut seen = std::collections::BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(A::Error::custom(format!("the key \"{key}\" is given twice")));
                }
                map.next_value::<Unique>()?;
            }
            Ok(Unique)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }

        fn visit_bool<E: Error>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }

        fn visit_i64<E: Error>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }

        fn visit_u64<E: Error>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }

        fn visit_f64<E: Error>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }

        fn visit_str<E: Error>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }

        fn visit_unit<E: Error>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
    }
}
