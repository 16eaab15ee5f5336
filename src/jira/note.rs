//! A comment's content, written once and rendered for each Jira: Atlassian Document Format for
//! Cloud, plain text for Data Center.

use serde_json::{Value, json};

/// One run of a paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// An address, shown as itself and linked.
    Link(String),
    /// A name to show in monospace: a tag, a commit.
    Code(String),
}

/// A comment: paragraphs of pieces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Note {
    pub paragraphs: Vec<Vec<Piece>>,
}

impl Note {
    /// The comment as Data Center takes it: paragraphs apart by a blank line, names in `{{…}}`,
    /// which its wiki renderer shows in monospace.
    #[must_use]
    pub fn plain(&self) -> String {
        let paragraph = |pieces: &Vec<Piece>| {
            pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Text(text) | Piece::Link(text) => text.clone(),
                    Piece::Code(text) => format!("{{{{{text}}}}}"),
                })
                .collect::<String>()
        };
        self.paragraphs.iter().map(paragraph).collect::<Vec<_>>().join("\n\n")
    }

    /// The comment as Cloud's REST v3 takes it: an ADF document of paragraphs, with link and
    /// code marks.
    #[must_use]
    pub fn adf(&self) -> Value {
        let node = |piece: &Piece| match piece {
            Piece::Text(text) => json!({"type": "text", "text": text}),
            Piece::Link(url) => {
                json!({"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}]})
            }
            Piece::Code(text) => json!({"type": "text", "text": text, "marks": [{"type": "code"}]}),
        };
        let content: Vec<Value> = self
            .paragraphs
            .iter()
            .map(|pieces| {
                let pieces: Vec<Value> =
                    pieces.iter().filter(|p| !matches!(p, Piece::Text(t) if t.is_empty())).map(node).collect();
                json!({"type": "paragraph", "content": pieces})
            })
            .collect();
        json!({"type": "doc", "version": 1, "content": content})
    }
}

/// The text of a comment body as either Jira returns it: a string (REST v2), or an ADF
/// document (REST v3), whose text nodes are joined, blocks a line apart.
#[must_use]
pub fn text_of(body: &Value) -> String {
    fn walk(node: &Value, out: &mut String) {
        match node {
            Value::String(text) => out.push_str(text),
            Value::Object(map) => {
                if let Some(Value::String(text)) = map.get("text") {
                    out.push_str(text);
                }
                if let Some(Value::Array(children)) = map.get("content") {
                    for child in children {
                        walk(child, out);
                    }
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = String::new();
    walk(body, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Note {
        Note {
            paragraphs: vec![
                vec![Piece::Text("Deployed to qa: ".into()), Piece::Link("https://ci.example/run/7".into())],
                vec![
                    Piece::Text("Recorded as ".into()),
                    Piece::Code("qa/20261121T101500Z".into()),
                    Piece::Text(".".into()),
                ],
            ],
        }
    }

    #[test]
    fn plain_text_for_data_center() {
        assert_eq!(
            sample().plain(),
            "Deployed to qa: https://ci.example/run/7\n\nRecorded as {{qa/20261121T101500Z}}."
        );
    }

    #[test]
    fn adf_for_cloud_reads_back_as_the_same_words() {
        let adf = sample().adf();
        assert_eq!(adf["type"], "doc");
        assert_eq!(adf["content"][0]["content"][1]["marks"][0]["attrs"]["href"], "https://ci.example/run/7");
        assert_eq!(adf["content"][1]["content"][1]["marks"][0]["type"], "code");
        let text = text_of(&adf);
        assert!(text.contains("Deployed to qa: https://ci.example/run/7\n"), "{text}");
        assert!(text.contains("Recorded as qa/20261121T101500Z."), "{text}");
        assert_eq!(text_of(&Value::String(sample().plain())), sample().plain());
    }
}
