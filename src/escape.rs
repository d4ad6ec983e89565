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

/// `bytes` as one shell word (bash) that is also terminal-safe: as is when
/// plain, in single quotes when printable text, else in `$'…'` with every
/// other byte as `\xNN`. `None` for a NUL byte, which no argument can hold.
pub fn shell_word(bytes: &[u8]) -> Option<String> {
    if bytes.contains(&0) {
        return None;
    }
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"/._-:=@%+,".contains(b);
    if !bytes.is_empty() && bytes.iter().all(plain) {
        return Some(String::from_utf8_lossy(bytes).into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if !text.chars().any(is_unsafe) {
            return Some(format!("'{}'", text.replace('\'', r"'\''")));
        }
    }
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('\'');
    Some(out)
}

/// An etcdctl command line naming `key`, e.g. `etcdctl del '/a b'`; when
/// the key cannot be named in a shell, says so instead.
pub fn etcdctl_line(verb: &str, key: &[u8], rest: &str) -> String {
    match shell_word(key) {
        Some(k) if rest.is_empty() => format!("etcdctl {verb} {k}"),
        Some(k) => format!("etcdctl {verb} {k} {rest}"),
        None => format!(
            "no etcdctl equivalent: the key holds a NUL byte, which no shell argument can carry ({})",
            escape_bytes(key)
        ),
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
    fn shell_words() {
        assert_eq!(shell_word(b"/a/b-1").unwrap(), "/a/b-1");
        assert_eq!(shell_word(b"/it's").unwrap(), r"'/it'\''s'");
        assert_eq!(
            shell_word(b"/e\x1b[\xff'\\").unwrap(),
            r"$'/e\x1b[\xff\'\\'"
        );
        assert_eq!(shell_word(b"a\0b"), None);
    }

    #[test]
    fn invalid_utf8_is_hex_escaped() {
        assert_eq!(escape_bytes(b"ab\xff\xfe/c"), "ab\\xff\\xfe/c");
        assert_eq!(escape_bytes(b"\x1b[2J"), "\\x1b[2J");
    }
}
