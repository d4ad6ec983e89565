//! Terminal safety: text that comes from etcd never reaches the terminal raw.
//!
//! Every byte string shown on screen goes through [`escape_bytes`] (keys) or
//! [`escape_str`] (one line of a value). Control characters (C0, DEL, C1),
//! bidirectional overrides and invalid UTF-8 become visible escapes such as
//! `\x1b`, so no key can move the cursor, retitle the window or write the
//! clipboard.

use std::fmt::Write;

/// Escape a byte string that may not be UTF-8 (a key, a segment).
/// Invalid bytes are shown as `\xNN`; valid text goes through [`escape_str`].
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        push_escaped(&mut out, chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Escape one line of text: every control character becomes visible.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// True when the character must not be written to a terminal as is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        // bidi embeddings, overrides and isolates can reorder what the user sees
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn push_escaped(out: &mut String, s: &str) {
    if !s.chars().any(is_unsafe) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(escape_str("config/app-01 ü €"), "config/app-01 ü €");
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(escape_str("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
        assert_eq!(escape_str("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(escape_str("\u{9b}31m"), "\\x9b31m");
        assert_eq!(escape_str("\u{7f}"), "\\x7f");
        assert_eq!(escape_str("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn invalid_utf8_is_hex_escaped() {
        assert_eq!(escape_bytes(b"ab\xff\xfe/c"), "ab\\xff\\xfe/c");
        assert_eq!(escape_bytes(b"\x1b[2J"), "\\x1b[2J");
    }
}
