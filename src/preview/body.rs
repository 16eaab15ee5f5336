//! A preview asked for by a webhook: its JSON body read from a file or stdin, and the name and
//! references taken from it. A key given twice, which a JSON reader would take as its last
//! value, is refused rather than guessed at.

use std::io::Read;

use super::Refusal;
use crate::error::Error;

/// The largest body `--from-json` reads: a name and a few references.
pub const MAX_BODY: u64 = 64 * 1024;

/// What a webhook asks for: the preview's name and its `(key, reference)` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

/// Reads the body from `source`, a file or `-` for stdin, and takes it apart.
///
/// # Errors
/// When it cannot be read, or is not a preview request.
pub fn read(source: &str) -> Result<Body, Error> {
    let shown = if source == "-" { "stdin".to_owned() } else { source.to_owned() };
    let mut text = String::new();
    let read = if source == "-" {
        std::io::stdin().take(MAX_BODY + 1).read_to_string(&mut text)
    } else {
        std::fs::File::open(source).and_then(|file| file.take(MAX_BODY + 1).read_to_string(&mut text))
    };
    read.map_err(|e| Refusal::UnreadableBody { from: shown.clone(), why: e.to_string() })?;
    parse(&text).map_err(|why| Refusal::NotARequest { from: shown, why }.into())
}

/// `{"name": ..., "components": {key: reference}}`; other fields are let be.
///
/// # Errors
/// Why `text` is not such a body, in words.
pub fn parse(text: &str) -> Result<Body, String> {
    if text.len() as u64 > MAX_BODY {
        return Err(format!("it is longer than {MAX_BODY} bytes"));
    }
    serde_json::from_str::<unique::Unique>(text).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let name = value.get("name").and_then(serde_json::Value::as_str).ok_or("no \"name\" string")?;
    let components = value
        .get("components")
        .and_then(serde_json::Value::as_object)
        .filter(|c| !c.is_empty())
        .ok_or("no \"components\" object with a reference")?;
    let mut entries = Vec::new();
    for (key, reference) in components {
        let reference = reference.as_str().ok_or_else(|| format!("components.{key} is not a string"))?;
        entries.push((key.clone(), reference.to_owned()));
    }
    Ok(Body { name: name.to_owned(), entries })
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

#[cfg(test)]
mod tests {
    use super::{Body, MAX_BODY, parse};

    #[test]
    fn a_body_gives_its_name_and_references_in_order() {
        let body = parse(r#"{"name": "try-it", "components": {"web": "o/web#4", "api": "o/api@1a2b"}, "sender": {}}"#);
        assert_eq!(
            body,
            Ok(Body {
                name: "try-it".into(),
                entries: vec![("api".into(), "o/api@1a2b".into()), ("web".into(), "o/web#4".into())],
            })
        );
    }

    #[test]
    fn a_key_given_twice_anywhere_is_refused() {
        let twice = parse(r#"{"name": "a", "name": "b", "components": {"web": "o/web#4"}}"#);
        assert!(twice.as_ref().is_err_and(|why| why.contains("the key \"name\" is given twice")), "{twice:?}");
        let nested = parse(r#"{"name": "a", "components": {"web": "o/web#4", "web": "o/web#5"}}"#);
        assert!(nested.is_err_and(|why| why.contains("the key \"web\" is given twice")));
    }

    #[test]
    fn a_body_without_what_a_preview_needs_says_what_is_missing() {
        assert_eq!(parse(r#"{"components": {"web": "o/web#4"}}"#), Err("no \"name\" string".into()));
        assert_eq!(
            parse(r#"{"name": "a", "components": {}}"#),
            Err("no \"components\" object with a reference".into())
        );
        assert_eq!(parse(r#"{"name": "a", "components": {"web": 4}}"#), Err("components.web is not a string".into()));
        let long = format!(r#"{{"name": "{}"}}"#, "a".repeat(usize::try_from(MAX_BODY).expect("64 KiB fits a usize")));
        assert_eq!(parse(&long), Err(format!("it is longer than {MAX_BODY} bytes")));
    }
}
