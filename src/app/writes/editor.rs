//! The inline editor (`e`, `n`) and what an edit needs to be saved safely.

use crossterm::event::KeyEvent;
use ratatui_textarea::{TextArea, WrapMode};

use crate::etcd::types::Expect;

/// etcd's default request limit (its `--max-request-bytes`, 1.5 MiB). The
/// server's setting cannot be read over the API: `--max-request-bytes`
/// tells etcdlens when it was raised.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1536 * 1024;

/// Room for the request's own fields within the limit.
const REQUEST_OVERHEAD: usize = 512;

/// Whether a value of `size` bytes (key included) fits under `limit`.
pub fn over_limit(size: usize, limit: usize) -> bool {
    size > limit.saturating_sub(REQUEST_OVERHEAD)
}

/// ratatui-textarea keeps its viewport (top row and column) in 16 bits:
/// past column 65,535 it draws the wrong part of a line. Lines longer than
/// this are wrapped instead of scrolled sideways, so the column stays 0.
const WRAP_FROM_CHARS: usize = 4096;

/// Screen rows the text area can address (the same 16 bits).
const MAX_SCREEN_ROWS: usize = 60_000;

/// Whether `text` fits the inline editor: its screen rows (long lines
/// wrapped, counted at a narrow 40 columns) within what the text area can
/// address. The error says what to do instead.
pub fn fits_inline(text: &str) -> Result<(), String> {
    let rows: usize = text
        .split('\n')
        .map(|l| {
            if l.len() > WRAP_FROM_CHARS {
                l.chars().count().div_ceil(40)
            } else {
                1
            }
        })
        .sum();
    if rows > MAX_SCREEN_ROWS {
        return Err(format!(
            "this value takes {rows} rows, more than the inline editor can show: E edits it in $EDITOR"
        ));
    }
    Ok(())
}

/// What a save of this edit must know: the guard, the lease to keep, and
/// the value before (for the undo journal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditContext {
    pub key: Vec<u8>,
    pub expect: Expect,
    /// Lease to keep the key on (0: none).
    pub lease: i64,
    /// New key: grant a lease of this TTL.
    pub ttl: Option<i64>,
    /// The value the edit started from (`None`: a new key).
    pub prev: Option<Vec<u8>>,
    /// The text the edit started from.
    pub original: String,
    /// The value is JSON: validate before saving.
    pub json: bool,
    /// A Kubernetes object edited as YAML: saving encodes the text back
    /// into the value's envelope.
    pub kube: Option<crate::k8s::Editable>,
}

#[derive(Debug)]
pub struct Editor {
    pub ctx: EditContext,
    pub textarea: TextArea<'static>,
    /// Live JSON check: `line L, column C: message`.
    pub json_error: Option<String>,
    /// A save is in flight.
    pub saving: bool,
    /// The user's own text kept aside after a conflict (read-only).
    pub scratch: Option<String>,
}

impl EditContext {
    /// The bytes a save of `text` writes: the text, or for a Kubernetes
    /// object the YAML encoded back into the envelope (or why it cannot be).
    pub fn value_of(&self, text: &str) -> Result<Vec<u8>, String> {
        match (&self.kube, &self.prev) {
            (Some(k), Some(prev)) => crate::k8s::apply_edit(prev, text, k),
            _ => Ok(text.as_bytes().to_vec()),
        }
    }

    /// The request a save of `text` makes, in bytes, when it is over the
    /// request limit `limit` (`None`: it fits).
    pub fn over_limit(&self, text: &str, limit: usize) -> Option<usize> {
        let size = text.len() + self.key.len();
        over_limit(size, limit).then_some(size)
    }
}

/// Whether `text` is a JSON object or array (then edits are validated).
pub fn is_json(text: &str) -> bool {
    looks_like_json(text) && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Whether `text` should be treated as JSON (an object or an array).
pub fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('{' | '['))
}

/// The JSON error of `text`, if any, as `line L, column C: message`.
pub fn json_error(text: &str) -> Option<String> {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => None,
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            Some(format!("line {}, column {}: {msg}", e.line(), e.column()))
        }
    }
}

/// Why `reformat` gave nothing.
pub fn reformat_refusal(text: &str) -> &'static str {
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(e) if crate::value_doc::is_too_deep(&e) => {
            "JSON nested too deep to reformat (over 128 levels): left as it is"
        }
        _ => "not valid JSON: cannot reformat",
    }
}

/// Pretty when compact, compact when pretty (`None` if not valid JSON).
pub fn reformat(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if text.trim().contains('\n') {
        serde_json::to_string(&value).ok()
    } else {
        serde_json::to_string_pretty(&value).ok()
    }
}

impl Editor {
    pub fn new(ctx: EditContext, text: &str) -> Editor {
        // split('\n') (not lines()) so a trailing newline survives.
        let mut textarea = TextArea::new(text.split('\n').map(str::to_string).collect());
        textarea.set_max_histories(1000);
        let mut editor = Editor {
            ctx,
            textarea,
            json_error: None,
            saving: false,
            scratch: None,
        };
        if editor
            .textarea
            .lines()
            .iter()
            .any(|l| l.len() > WRAP_FROM_CHARS)
        {
            editor.textarea.set_wrap_mode(WrapMode::Glyph);
        }
        editor.check();
        editor
    }

    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    pub fn modified(&self) -> bool {
        self.text() != self.ctx.original
    }

    fn check(&mut self) {
        // Typing or pasting made the line long: wrap from now on.
        if self.textarea.wrap_mode() == WrapMode::None {
            let row = self.textarea.cursor().0;
            if self.textarea.lines()[row].len() > WRAP_FROM_CHARS {
                self.textarea.set_wrap_mode(WrapMode::Glyph);
            }
        }
        self.json_error = if self.ctx.json {
            json_error(&self.text())
        } else {
            None
        };
    }

    pub fn set_text(&mut self, text: &str) {
        self.textarea.select_all();
        self.textarea.cut();
        self.textarea.insert_str(text);
        self.check();
    }

    /// A bracketed paste. Terminals send a pasted line break as CR (the
    /// Enter key's byte): it is a line break here, not a CR in the line.
    pub fn paste(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        self.textarea.insert_str(text);
        self.check();
    }

    /// Passes an editing key to the text area (undo `Ctrl-u`/redo `Ctrl-r`,
    /// selection, search keys are the text area's own).
    pub fn input(&mut self, key: KeyEvent) {
        if self.textarea.input(key) {
            self.check();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_name_line_and_column() {
        assert_eq!(json_error("{\"a\": 1}"), None);
        let e = json_error("{\n  \"a\": 1,\n}").unwrap();
        assert_eq!(e, "line 3, column 1: key must be a string");
    }

    #[test]
    fn reformat_toggles_compact_and_pretty_keeping_order() {
        let pretty = reformat(r#"{"z":1,"a":[1,2]}"#).unwrap();
        assert!(pretty.contains("\n  \"z\": 1,"));
        assert_eq!(reformat(&pretty).unwrap(), r#"{"z":1,"a":[1,2]}"#);
        assert!(reformat("{nope").is_none());
    }

    #[test]
    fn text_round_trips_with_trailing_newline() {
        let ctx = EditContext {
            key: b"/k".to_vec(),
            expect: Expect::Absent,
            lease: 0,
            ttl: None,
            prev: None,
            original: "a\nb\n".into(),
            json: false,
            kube: None,
        };
        let e = Editor::new(ctx, "a\nb\n");
        assert_eq!(e.text(), "a\nb\n");
        assert!(!e.modified());
    }
}
