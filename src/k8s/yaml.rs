//! A JSON value written as YAML the way `kubectl get -o yaml` shows it
//! (block style, list items at their key's indentation, `|` for text with
//! line breaks), line by line into a callback: the text itself, not
//! escaped for the terminal yet, and whether the line is a block scalar's
//! content (all of it text after its indentation) or an ordinary line
//! (`key: value`, `- item`), which the Value pane highlights when drawn.

use std::fmt::Write;

use serde_json::Value;

use crate::value_doc::Tok;

/// What a written line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `key:`, `key: scalar`, `- scalar`, `- key: scalar`, `key: |`.
    Node,
    /// A line of a block scalar's text, after `indent` spaces.
    Block { indent: usize },
}

/// Writes the value as YAML, one line at a time, into `line`.
pub fn write(v: &Value, line: impl FnMut(&str, LineKind)) {
    let mut w = Writer {
        cur: String::new(),
        prefix: None,
        line,
    };
    match v {
        Value::Object(m) if !m.is_empty() => w.mapping(m, 0),
        Value::Array(a) if !a.is_empty() => w.sequence(a, 0),
        other => {
            w.start(0);
            scalar(&mut w.cur, other);
            w.end(LineKind::Node);
        }
    }
}

/// The value as YAML text (what `y` copies and the editor shows).
pub fn text(v: &Value) -> String {
    let mut s = String::new();
    write(v, |line, _| {
        s.push_str(line);
        s.push('\n');
    });
    s
}

struct Writer<F: FnMut(&str, LineKind)> {
    /// The line being written.
    cur: String,
    /// What the next line starts with instead of its indentation: a list
    /// item's `- ` (`- - ` for a list in a list), at the list's indentation.
    prefix: Option<String>,
    line: F,
}

impl<F: FnMut(&str, LineKind)> Writer<F> {
    /// Starts a line at `indent` (or the pending list item's prefix).
    fn start(&mut self, indent: usize) {
        self.cur.clear();
        match self.prefix.take() {
            Some(p) => self.cur.push_str(&p),
            None => self.cur.extend(std::iter::repeat_n(' ', indent)),
        }
    }

    fn end(&mut self, kind: LineKind) {
        (self.line)(&self.cur, kind);
    }

    fn mapping(&mut self, m: &serde_json::Map<String, Value>, indent: usize) {
        for (k, v) in m {
            self.start(indent);
            string(&mut self.cur, k);
            self.cur.push(':');
            match v {
                Value::Object(inner) if !inner.is_empty() => {
                    self.end(LineKind::Node);
                    self.mapping(inner, indent + 2);
                }
                Value::Array(items) if !items.is_empty() => {
                    self.end(LineKind::Node);
                    self.sequence(items, indent);
                }
                Value::String(s) if block_text(s) => {
                    self.cur.push(' ');
                    self.cur.push_str(block_header(s));
                    self.end(LineKind::Node);
                    for l in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                        self.cur.clear();
                        if !l.is_empty() {
                            self.cur.extend(std::iter::repeat_n(' ', indent + 2));
                            self.cur.push_str(l);
                        }
                        self.end(LineKind::Block { indent: indent + 2 });
                    }
                }
                other => {
                    self.cur.push(' ');
                    scalar(&mut self.cur, other);
                    self.end(LineKind::Node);
                }
            }
        }
    }

    /// Items at the key's own indentation (`- name: x`), as kubectl writes.
    fn sequence(&mut self, items: &[Value], indent: usize) {
        for item in items {
            // The item's first line starts with `- ` where its indentation
            // would be (after an outer item's own `- `, not yet written).
            let mut p = self.prefix.take().unwrap_or_else(|| " ".repeat(indent));
            p.push_str("- ");
            self.prefix = Some(p);
            match item {
                Value::Object(m) if !m.is_empty() => self.mapping(m, indent + 2),
                Value::Array(a) if !a.is_empty() => self.sequence(a, indent + 2),
                Value::String(s) if block_text(s) => {
                    // A block scalar needs a line of its own for its header.
                    self.start(indent + 2);
                    self.cur.push_str(block_header(s));
                    self.end(LineKind::Node);
                    for l in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                        self.cur.clear();
                        self.cur.extend(std::iter::repeat_n(' ', indent + 4));
                        self.cur.push_str(l);
                        self.end(LineKind::Block { indent: indent + 4 });
                    }
                }
                other => {
                    self.start(indent + 2);
                    scalar(&mut self.cur, other);
                    self.end(LineKind::Node);
                }
            }
        }
    }
}

/// The highlighted pieces of a line [`write`] wrote as [`LineKind::Node`]:
/// its indentation, each list item's `- `, a key and its `:`, a scalar.
/// The line may be escaped for the terminal already (an escape only ever
/// stands inside a quoted string, and changes no boundary).
pub fn node_tokens(line: &str) -> Vec<(Tok, &str)> {
    let mut out = Vec::with_capacity(6);
    let indent = line.bytes().take_while(|&c| c == b' ').count();
    if indent > 0 {
        out.push((Tok::Plain, &line[..indent]));
    }
    let mut rest = &line[indent..];
    while let Some(after) = rest.strip_prefix("- ") {
        out.push((Tok::Punct, "- "));
        rest = after;
    }
    if rest.is_empty() {
        return out;
    }
    // A key: quoted and followed by `:`, or plain up to its first `: `
    // (a plain key or scalar never holds one, nor ends with `:`).
    let key_end = if rest.starts_with('"') {
        Some(quoted_end(rest)).filter(|&e| rest[e..].starts_with(':'))
    } else {
        rest.find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))
    };
    match key_end {
        Some(e) => {
            out.push((Tok::Key, &rest[..e]));
            out.push((Tok::Punct, ":"));
            if let Some(value) = rest[e + 1..].strip_prefix(' ') {
                out.push((Tok::Plain, " "));
                out.push((scalar_tok(value), value));
            }
        }
        None => out.push((scalar_tok(rest), rest)),
    }
    out
}

/// Where a double-quoted string that starts `s` ends (after its quote).
fn quoted_end(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() && b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(b.len())
}

/// How a scalar [`write`] wrote is highlighted: a string that could be
/// read as anything else is always quoted, so the unquoted text decides.
fn scalar_tok(s: &str) -> Tok {
    match s {
        "|" | "|-" | "{}" | "[]" => Tok::Punct,
        "null" => Tok::Null,
        "true" | "false" => Tok::Bool,
        _ if s.starts_with(|c: char| c.is_ascii_digit() || c == '-')
            && s.parse::<f64>().is_ok() =>
        {
            Tok::Num
        }
        _ => Tok::Str,
    }
}

/// Reads YAML text (one document) back into a JSON value.
pub fn parse(text: &str) -> Result<Value, String> {
    refuse_aliases(text)?;
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("YAML: {e}"))?;
    match docs.as_slice() {
        [doc] => to_json(doc),
        [] => Err("YAML: the text is empty".into()),
        _ => Err("YAML: more than one document".into()),
    }
}

/// Refuses a text with an alias (`*name`) before it is loaded: the loader
/// copies the anchored node for every alias, so nine lines of aliases of
/// aliases ("billion laughs") would expand to billions of nodes and take
/// all the memory there is. Kubernetes objects never need them (kubectl
/// writes none). Anchors alone (`&name`) copy nothing and pass.
fn refuse_aliases(text: &str) -> Result<(), String> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            // A text that does not parse: the loader says where.
            Ok((Event::StreamEnd, _)) | Err(_) => return Ok(()),
            Ok((Event::Alias(_), mark)) => {
                let name: String = text
                    .lines()
                    .nth(mark.line().saturating_sub(1))
                    .and_then(|l| l.get(l.find('*')?..))
                    .map(|a| {
                        a.chars()
                            .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                            .take(40)
                            .collect()
                    })
                    .unwrap_or_else(|| "*…".into());
                return Err(format!(
                    "YAML: line {}: aliases ({}) are not supported; write the value out in full",
                    mark.line(),
                    crate::escape::escape_str(&name)
                ));
            }
            Ok(_) => {}
        }
    }
}

fn to_json(y: &yaml_rust2::Yaml) -> Result<Value, String> {
    use yaml_rust2::Yaml;
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::Real(s) => match serde_json::from_str::<serde_json::Number>(s) {
            Ok(n) => Value::Number(n),
            Err(_) => s
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("YAML: {s} is not a number JSON can hold"))?,
        },
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => {
            let mut m = serde_json::Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Null => "null".into(),
                    _ => return Err("YAML: a key that is not a plain value".into()),
                };
                m.insert(key, to_json(v)?);
            }
            Value::Object(m)
        }
        Yaml::Alias(_) => return Err("YAML: aliases are not supported".into()),
        Yaml::BadValue => return Err("YAML: a value that does not parse".into()),
    })
}

fn block_header(s: &str) -> &'static str {
    if s.ends_with('\n') {
        "|"
    } else {
        "|-"
    }
}

/// Text with line breaks that a literal block keeps exactly: no other
/// control characters, no trailing spaces, a first line that does not
/// start with a space (it sets the block's indentation), at most one final
/// line break.
fn block_text(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && !s.ends_with("\n\n")
        && s.chars().all(|c| c == '\n' || !c.is_control())
        && s.split('\n').all(|l| !l.ends_with(' '))
}

fn scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => string(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// Plain when YAML reads it back as this same string, else double-quoted
/// (JSON escapes are valid YAML double-quoted escapes).
fn string(out: &mut String, s: &str) {
    if plain(s) {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::to_string(s).expect("a string serialises"));
    }
}

fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if !(first.is_alphanumeric() || matches!(first, '/' | '.' | '_' | '$' | '(' | '=' | '+')) {
        return false;
    }
    if !chars_allowed(s) {
        return false;
    }
    // Never a flow collection, an alias-looking or quoted-looking start.
    if s.contains(['[', ']', '{', '}', ',']) && first == '[' {
        return false;
    }
    if s.len() <= 5
        && [
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", ".nan",
        ]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
    {
        return false;
    }
    // Numbers, and anything YAML 1.1 might read as a number or a date.
    if first.is_ascii_digit() || matches!(first, '.' | '+') {
        if s.parse::<f64>().is_ok()
            || s.contains(['-', ':'])
            || s.starts_with("0x")
            || s.starts_with("0o")
        {
            return false;
        }
        if s.matches('.').count() <= 1
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
        {
            return false;
        }
    }
    true
}

/// Whether every character may stand in a plain scalar (letters, digits
/// and some punctuation; no control character), with no `: ` or ` #`.
/// One pass over the bytes: this runs for every key and string written.
fn chars_allowed(s: &str) -> bool {
    const ALLOWED: [bool; 128] = {
        let mut t = [false; 128];
        let extra = b" _-./=+()@,;~^$:<>%*!?&'\"\\[]{}|`#";
        let mut i = 0;
        while i < extra.len() {
            t[extra[i] as usize] = true;
            i += 1;
        }
        let mut c = 0;
        while c < 128 {
            if (c as u8).is_ascii_alphanumeric() {
                t[c] = true;
            }
            c += 1;
        }
        t
    };
    let mut prev = 0u8;
    for &b in s.as_bytes() {
        if b < 128
            && (!ALLOWED[b as usize] || (prev == b':' && b == b' ') || (prev == b' ' && b == b'#'))
        {
            return false;
        }
        prev = b;
    }
    s.is_ascii() || s.chars().all(|c| c.is_ascii() || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_is_written_reads_back_the_same() {
        let v = json!({
            "s": ["", "true", "8080", "1.5", "-c", "a: b", "x #y", " lead", "trail ", "two\nlines\n", "server {\n  listen 80;\n\n}\n", "\nfirst empty", " lead\nx",
                  "no end\nbreak", "tab\there", "\u{1b}[2J", "ünï", "null", "~", "0x1f", "2017-06-27T16:35:34Z",
                  "10.4.1.7", "@at", "*star", "&amp", "!bang", "%pct", "{brace", "[br", "- dash", "?q", "|p", ">g"],
            "n": [0, -1, 1.5, 12345678901234_i64],
            "b": [true, false, null],
            "nested": [[1, 2], [], {}, {"k": [{"a": 1}]}],
            "8080": "numeric key",
            "": "empty key"
        });
        assert_eq!(parse(&text(&v)).unwrap(), v, "{}", text(&v));
    }

    /// Every line `write` writes is cut into tokens that put it back
    /// together, each highlighted as what it is.
    #[test]
    fn written_lines_are_highlighted_when_drawn() {
        use Tok::*;
        let v = json!({
            "metadata": {"name": "pi", "creationTimestamp": "2017-06-27T16:35:34Z", "a: b": "x #y"},
            "spec": {"ports": [{"containerPort": 8080, "ok": true, "none": null}], "args": ["-c", "10.4.1.7", 1.5],
                     "empty": {}, "list": [], "nested": [[1, "two"]]},
            "data": {"script": "echo hi\n  indented\n", "n": "8080"}
        });
        let mut lines = Vec::new();
        write(&v, |l, kind| lines.push((l.to_string(), kind)));
        for (line, kind) in &lines {
            if *kind == LineKind::Node {
                let joined: String = node_tokens(line).iter().map(|(_, s)| *s).collect();
                assert_eq!(&joined, line);
            }
        }
        let tokens = |i: usize| node_tokens(&lines[i].0);
        let text: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            text,
            [
                "metadata:",
                "  name: pi",
                "  creationTimestamp: \"2017-06-27T16:35:34Z\"",
                "  \"a: b\": \"x #y\"",
                "spec:",
                "  ports:",
                "  - containerPort: 8080",
                "    ok: true",
                "    none: null",
                "  args:",
                "  - \"-c\"",
                "  - 10.4.1.7",
                "  - 1.5",
                "  empty: {}",
                "  list: []",
                "  nested:",
                "  - - 1",
                "    - two",
                "data:",
                "  script: |",
                "    echo hi",
                "      indented",
                "  \"n\": \"8080\"",
            ]
        );
        assert_eq!(tokens(0), [(Key, "metadata"), (Punct, ":")]);
        assert_eq!(
            tokens(1),
            [
                (Plain, "  "),
                (Key, "name"),
                (Punct, ":"),
                (Plain, " "),
                (Str, "pi")
            ]
        );
        assert_eq!(tokens(2)[4], (Str, "\"2017-06-27T16:35:34Z\""));
        assert_eq!(tokens(3)[1], (Key, "\"a: b\""));
        assert_eq!(tokens(3)[4], (Str, "\"x #y\""));
        assert_eq!(
            tokens(6),
            [
                (Plain, "  "),
                (Punct, "- "),
                (Key, "containerPort"),
                (Punct, ":"),
                (Plain, " "),
                (Num, "8080")
            ]
        );
        assert_eq!(tokens(7)[4], (Bool, "true"));
        assert_eq!(tokens(8)[4], (Null, "null"));
        assert_eq!(tokens(10)[2], (Str, "\"-c\""));
        assert_eq!(tokens(11)[2], (Str, "10.4.1.7"));
        assert_eq!(tokens(12)[2], (Num, "1.5"));
        assert_eq!(tokens(13)[4], (Punct, "{}"));
        assert_eq!(tokens(14)[4], (Punct, "[]"));
        assert_eq!(
            tokens(16),
            [(Plain, "  "), (Punct, "- "), (Punct, "- "), (Num, "1")]
        );
        assert_eq!(tokens(19)[4], (Punct, "|"));
        assert_eq!(lines[21].1, LineKind::Block { indent: 4 });
        assert_eq!(tokens(22)[1], (Key, "\"n\""));
        assert_eq!(tokens(22)[4], (Str, "\"8080\""));
    }

    #[test]
    fn kubectl_shaped_yaml() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "pi", "labels": {"app": "pi"}, "creationTimestamp": "2017-06-27T16:35:34Z"},
            "spec": {"containers": [{"name": "pi", "ports": [{"containerPort": 8080}], "args": ["-c", "true"]}],
                     "empty": {}, "none": []},
            "data": {"script": "echo hi\nexit 0\n", "n": "8080", "t": "true", "e": "", "ip": "10.4.1.7"}
        });
        assert_eq!(
            text(&v),
            "apiVersion: v1
kind: Pod
metadata:
  name: pi
  labels:
    app: pi
  creationTimestamp: \"2017-06-27T16:35:34Z\"
spec:
  containers:
  - name: pi
    ports:
    - containerPort: 8080
    args:
    - \"-c\"
    - \"true\"
  empty: {}
  none: []
data:
  script: |
    echo hi
    exit 0
  \"n\": \"8080\"
  t: \"true\"
  e: \"\"
  ip: 10.4.1.7
"
        );
    }
}
