//! Text fields' characters: control characters are refused in every text a request carries
//! (a NUL byte cannot be stored in PostgreSQL text, and no field has a use for the others);
//! tabs and line breaks pass.

/// Whether a character is refused in text fields.
pub fn refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether raw JSON text may hold a refused character in a string: JSON cannot carry one
/// unescaped, so this looks for the escapes that make one (`\u0000`–`\u001f` but tab and
/// line breaks, `\u007f`–`\u009f`, `\b`, `\f`). A byte scan, so a clean body (nearly every
/// one) is not parsed a second time to look.
pub fn json_may_hold_refused(raw: &[u8]) -> bool {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            i += 1;
            continue;
        }
        match raw.get(i + 1) {
            Some(b'b' | b'f') => return true,
            Some(b'u') => {
                let code = raw
                    .get(i + 2..i + 6)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok());
                if code.and_then(char::from_u32).is_some_and(refused) {
                    return true;
                }
                i += 6;
            }
            _ => i += 2, // an escaped backslash, quote, slash, n, r or t
        }
    }
    false
}

/// The JSON path ("lines[2].sku") of the first string in `value` holding a refused
/// character.
pub fn first_refused_in_json(value: &serde_json::Value) -> Option<String> {
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        match v {
            serde_json::Value::String(s) => s.chars().any(refused).then(|| path.to_string()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                if k.chars().any(refused) {
                    return Some(path.to_string());
                }
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(item, &here)
            }),
            _ => None,
        }
    }
    walk(value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_control_characters_in_json() {
        let raw = br#"{"member": "ok", "lines": [{"sku": "A"}, {"sku": "B\u0000"}]}"#;
        assert!(json_may_hold_refused(raw));
        assert!(
            !json_may_hold_refused(br#"{"a": "x\\u0000 \n \t \u00e9 \"q\""}"#),
            "escaped backslash, allowed escapes"
        );
        assert!(json_may_hold_refused(br#"{"a": "\u001B"}"#));
        assert!(json_may_hold_refused(br#"{"a": "\f"}"#));
        let v = serde_json::json!({"member": "ok", "lines": [{"sku": "A"}, {"sku": "B\u{0}"}]});
        assert_eq!(first_refused_in_json(&v), Some("lines[1].sku".into()));
        assert_eq!(
            first_refused_in_json(&serde_json::json!({"reason": "two\nlines"})),
            None
        );
        assert!(refused('\u{7f}') && refused('\u{1b}') && !refused('é') && !refused('\n'));
    }
}
