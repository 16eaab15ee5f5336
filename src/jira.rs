//! Jira: issue keys in commit messages.

/// The issue keys in `text` (`SHOP-142`: an upper-case project key, a dash, a number), each
/// once, in the order they first appear.
#[must_use]
pub fn keys(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found: Vec<String> = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let boundary = start == 0 || !bytes[start - 1].is_ascii_alphanumeric() && bytes[start - 1] != b'-';
        if !boundary || !bytes[start].is_ascii_uppercase() {
            start += 1;
            continue;
        }
        let project =
            bytes[start..].iter().take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_').count();
        let dash = start + project;
        let digits = bytes.get(dash + 1..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count());
        let end = dash + 1 + digits;
        let ends_word = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
        if project >= 2 && bytes.get(dash) == Some(&b'-') && digits > 0 && bytes[dash + 1] != b'0' && ends_word {
            let key = &text[start..end];
            if !found.iter().any(|k| k == key) {
                found.push(key.to_owned());
            }
            start = end;
        } else {
            start += project.max(1);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::keys;

    #[test]
    fn finds_each_key_once_in_order() {
        let text = "SHOP-142: fix the cart (see SHOP-7, PAY2-19)\n\nRefs SHOP-142 and [OPS-3].";
        assert_eq!(keys(text), ["SHOP-142", "SHOP-7", "PAY2-19", "OPS-3"]);
    }

    #[test]
    fn leaves_look_alikes_alone() {
        let text = "X-1, abc-12, SHOP-0, SHOP-12a, v1.0.0-rc.1, MY-SHOP-1x";
        assert!(keys(text).is_empty(), "{:?}", keys(text));
    }
}
