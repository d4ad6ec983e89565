//! Turns a value's bytes into a displayable document: JSON pretty-printed
//! and tokenised for highlighting, other UTF-8 as text lines, anything else
//! as a hex dump. Pure and terminal-free; built off the UI thread because a
//! multi-megabyte value takes a moment.

use crate::escape::escape_str;

/// Long text lines are cut into pieces of this many characters so that
/// scrolling (one document line at a time) moves through them smoothly.
const CHUNK_CHARS: usize = 512;
pub const HEX_WIDTH: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Plain,
    Key,
    Str,
    Num,
    Bool,
    Null,
    Punct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Lines of text, each highlighted when it is drawn.
    Lines(Text),
    /// Raw bytes; the hex dump is rendered on demand, line by line.
    Hex(Vec<u8>),
}

/// A document's lines, already escaped for the terminal, in one string:
/// a 1.5 MB Kubernetes object is 140,000 lines, and one allocation per
/// line and per highlighted piece cost more than decoding it. Each line is
/// cut into highlighted pieces only when it is drawn ([`Text::tokens`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    text: String,
    lines: Vec<Line>,
}

/// One document line: `text[start..end]`, highlighted as `kind` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Line {
    start: usize,
    end: usize,
    kind: Kind,
}

/// How a line is cut into highlighted pieces when drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// All of it one kind of token.
    Whole(Tok),
    /// A line of pretty-printed JSON.
    Json,
    /// A YAML line (`key: value`, `- item`; `k8s::yaml::node_tokens`).
    Yaml,
    /// A YAML block scalar's line: its indentation, then text.
    Block(usize),
}

impl Text {
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Line `i`'s text (escaped).
    pub fn line(&self, i: usize) -> &str {
        let l = self.lines[i];
        &self.text[l.start..l.end]
    }

    /// Line `i` as highlighted pieces.
    pub fn tokens(&self, i: usize) -> Vec<(Tok, &str)> {
        let line = self.line(i);
        match self.lines[i].kind {
            Kind::Whole(tok) => vec![(tok, line)],
            Kind::Json => tokenize_json_line(line),
            Kind::Yaml => crate::k8s::yaml::node_tokens(line),
            Kind::Block(indent) => {
                let cut = indent.min(line.len());
                let (pad, text) = line.split_at(cut);
                [(Tok::Plain, pad), (Tok::Str, text)]
                    .into_iter()
                    .filter(|(_, s)| !s.is_empty())
                    .collect()
            }
        }
    }
}

/// Builds a document's lines: escapes each, cuts a very long one into
/// chunks, and measures it for wrapping.
#[derive(Default)]
struct Builder {
    text: Text,
    sources: Vec<Source>,
}

impl Builder {
    /// For the lines of a value of `bytes` bytes (a Kubernetes object's YAML
    /// is about three times its protobuf): no copy while growing.
    fn with_capacity(bytes: usize) -> Builder {
        let lines = bytes / 8;
        Builder {
            text: Text {
                text: String::with_capacity(bytes.saturating_mul(4)),
                lines: Vec::with_capacity(lines),
            },
            sources: Vec::with_capacity(lines),
        }
    }

    /// One source line (not escaped yet), highlighted as `kind` says.
    fn push(&mut self, line: &str, kind: Kind) {
        // Bytes bound characters: count characters only when the bytes
        // could be too many.
        if line.len() > CHUNK_CHARS && line.chars().count() > CHUNK_CHARS {
            // A very long line: chunks of text, so that scrolling (one
            // document line at a time) moves through it smoothly.
            let tok = match kind {
                Kind::Whole(tok) => tok,
                _ => Tok::Str,
            };
            let mut src = self.source();
            let mut chunk = String::new();
            let mut chars = 0;
            for c in line.chars() {
                chunk.push(c);
                chars += 1;
                if chars == CHUNK_CHARS {
                    self.line(&mut src, &chunk, Kind::Whole(tok));
                    chunk.clear();
                    chars = 0;
                }
            }
            if !chunk.is_empty() {
                self.line(&mut src, &chunk, Kind::Whole(tok));
            }
            self.sources.push(src);
        } else {
            let mut src = self.source();
            self.line(&mut src, line, kind);
            self.sources.push(src);
        }
    }

    /// A source line starting at the next document line.
    fn source(&self) -> Source {
        let at = self.text.lines.len();
        Source {
            start: at,
            end: at,
            cells: 0,
            wide: false,
        }
    }

    /// One document line of source `src`, escaped and measured.
    fn line(&mut self, src: &mut Source, raw: &str, kind: Kind) {
        let start = self.text.text.len();
        if raw.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            // Printable ASCII: one cell a byte, nothing to escape.
            self.text.text.push_str(raw);
            src.cells += raw.len();
        } else {
            let escaped = if raw.chars().any(crate::escape::is_unsafe) {
                std::borrow::Cow::Owned(escape_str(raw))
            } else {
                std::borrow::Cow::Borrowed(raw)
            };
            for c in escaped.chars() {
                let w = char_cells(c);
                src.wide |= w > 1;
                src.cells += w;
            }
            self.text.text.push_str(&escaped);
        }
        self.text.lines.push(Line {
            start,
            end: self.text.text.len(),
            kind,
        });
        src.end = self.text.lines.len();
    }

    fn document(mut self, format: Format) -> Document {
        self.text.text.shrink_to_fit();
        self.text.lines.shrink_to_fit();
        self.sources.shrink_to_fit();
        let simple = self.sources.iter().all(|s| !s.wide);
        let widest = self.sources.iter().map(|s| s.cells).max().unwrap_or(0);
        Document {
            format,
            body: Body::Lines(self.text),
            sources: self.sources,
            widest: simple.then_some(widest),
            note: None,
            kube_style: KubeStyle::Yaml,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Text,
    Binary,
    /// A Kubernetes object (or an encrypted or broken envelope).
    Kubernetes,
}

/// How a decoded Kubernetes object is written: YAML (as `kubectl get -o
/// yaml`), or JSON (`J`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KubeStyle {
    #[default]
    Yaml,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub format: Format,
    pub body: Body,
    /// For `Body::Lines`: the source lines, each one or more document
    /// lines (a long line is cut into chunks), with its width on screen.
    sources: Vec<Source>,
    /// The widest source line's cells when no line holds a wide character:
    /// at any width at least this, every source line is one row, and
    /// scrolling needs no walk over the lines.
    widest: Option<usize>,
    /// Why JSON-looking bytes are shown as text, if they are.
    pub note: Option<&'static str>,
    /// The style a Kubernetes object is written in.
    pub kube_style: KubeStyle,
}

/// One source line: document lines `start..end`, `cells` wide on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    start: usize,
    end: usize,
    cells: usize,
    /// Holds a character two cells wide: wrapping must look at each one.
    wide: bool,
}

fn char_cells(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

impl Document {
    pub fn build(bytes: &[u8]) -> Document {
        Document::build_as(bytes, KubeStyle::Yaml)
    }

    /// Like `build`, a Kubernetes object shown in `style`.
    pub fn build_as(bytes: &[u8], style: KubeStyle) -> Document {
        if crate::k8s::is_kubernetes(bytes) {
            return kubernetes_document(bytes, style);
        }
        if let Some(doc) = json_document(bytes) {
            return doc;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if looks_like_text(text) => text_document(text).document(Format::Text),
            _ => Document {
                format: Format::Binary,
                body: Body::Hex(bytes.to_vec()),
                sources: Vec::new(),
                widest: None,
                note: None,
                kube_style: KubeStyle::Yaml,
            },
        }
    }

    /// The pieces of source line `i`.
    fn pieces(&self, i: usize) -> Vec<(Tok, &str)> {
        match &self.body {
            Body::Lines(text) => {
                let src = self.sources[i];
                (src.start..src.end).flat_map(|l| text.tokens(l)).collect()
            }
            Body::Hex(_) => unreachable!("hex lines are made per row"),
        }
    }

    /// Whether every unit is one row at `width`.
    fn one_row_each(&self, width: usize) -> bool {
        self.widest.is_some_and(|w| w <= width)
    }

    /// Units the document scrolls through: source lines, or hex lines.
    fn units(&self) -> usize {
        match &self.body {
            Body::Lines(_) => self.sources.len(),
            Body::Hex(_) => self.line_count(),
        }
    }

    /// Screen rows unit `i` takes at `width` columns (wrapped by character).
    fn unit_rows(&self, i: usize, width: usize) -> usize {
        let width = width.max(1);
        match &self.body {
            Body::Lines(_) => {
                let src = self.sources[i];
                if src.wide {
                    wrap_pieces(&self.pieces(i), width, 0, 0).0
                } else {
                    src.cells.div_ceil(width).max(1)
                }
            }
            Body::Hex(bytes) => {
                if width >= HEX_LINE_WIDTH {
                    1
                } else {
                    hex_line(bytes, i, false)
                        .chars()
                        .count()
                        .div_ceil(width)
                        .max(1)
                }
            }
        }
    }

    /// Rows the whole document takes at `width` columns.
    pub fn row_count(&self, width: usize) -> usize {
        match &self.body {
            Body::Hex(_) => {
                // Every full line is as wide; only the last one may be shorter.
                let n = self.line_count();
                self.unit_rows(0, width) * (n - 1) + self.unit_rows(n - 1, width)
            }
            _ if self.one_row_each(width.max(1)) => self.units(),
            _ => (0..self.units()).map(|i| self.unit_rows(i, width)).sum(),
        }
    }

    /// Source lines (a long line cut into chunks counts once).
    pub fn source_line_count(&self) -> usize {
        self.units()
    }

    /// The source line (1-based) shown on screen row `row`.
    pub fn source_line_at(&self, row: usize, width: usize) -> usize {
        let (unit, _) = self.locate(row, width);
        (unit + 1).min(self.units()).max(1)
    }

    /// The unit holding screen row `row`, and the row within it.
    fn locate(&self, row: usize, width: usize) -> (usize, usize) {
        if let Body::Hex(_) = self.body {
            let per = self.unit_rows(0, width);
            return ((row / per).min(self.units()), row % per);
        }
        if self.one_row_each(width.max(1)) {
            return (row.min(self.units()), 0);
        }
        let mut left = row;
        for i in 0..self.units() {
            let n = self.unit_rows(i, width);
            if left < n {
                return (i, left);
            }
            left -= n;
        }
        (self.units(), 0)
    }

    /// Up to `count` screen rows from row `first` at `width` columns, each
    /// as (token kind, text) pieces that fit the width.
    pub fn rows(&self, first: usize, count: usize, width: usize) -> Vec<Vec<(Tok, String)>> {
        let width = width.max(1);
        let (mut unit, mut skip) = self.locate(first, width);
        let mut out = Vec::with_capacity(count);
        while out.len() < count && unit < self.units() {
            let want = count - out.len();
            let rows = match &self.body {
                Body::Lines(_) => wrap_pieces(&self.pieces(unit), width, want, skip).1,
                Body::Hex(bytes) => {
                    let text = hex_line(bytes, unit, width >= HEX_LINE_WIDTH);
                    wrap_pieces(&[(Tok::Plain, &text)], width, want, skip).1
                }
            };
            out.extend(rows);
            skip = 0;
            unit += 1;
        }
        out
    }

    /// The document as plain (escaped) text lines, for diffs.
    pub fn text_lines(&self) -> Vec<String> {
        match &self.body {
            Body::Lines(text) => (0..text.len()).map(|i| text.line(i).to_string()).collect(),
            Body::Hex(bytes) => (0..self.line_count())
                .map(|i| hex_line(bytes, i, true))
                .collect(),
        }
    }

    pub fn line_count(&self) -> usize {
        match &self.body {
            Body::Lines(text) => text.len(),
            Body::Hex(bytes) => bytes.len().div_ceil(HEX_WIDTH).max(1),
        }
    }
}

/// Text that is mostly printable: NUL or a high share of control characters
/// means binary. (A coloured log line, with a few escape sequences, is text;
/// its escapes are shown escaped.)
fn looks_like_text(text: &str) -> bool {
    let mut controls = 0usize;
    let mut total = 0usize;
    for c in text.chars() {
        total += 1;
        if c == '\0' {
            return false;
        }
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            controls += 1;
        }
    }
    controls * 10 <= total * 3
}

/// Cuts one line into rows of at most `width` cells, character by
/// character (a character two cells wide never straddles two rows). Returns
/// how many rows the line takes (all of them when `take` is 0: counting
/// only), and rows `skip..skip + take` of them.
fn wrap_pieces(
    line: &[(Tok, &str)],
    width: usize,
    take: usize,
    skip: usize,
) -> (usize, Vec<Vec<(Tok, String)>>) {
    let mut out: Vec<Vec<(Tok, String)>> = Vec::new();
    let mut row = 0;
    let mut used = 0;
    let keep = |row: usize| row >= skip && row - skip < take;
    let mut current: Vec<(Tok, String)> = Vec::new();
    for (tok, s) in line {
        let mut piece = String::new();
        for c in s.chars() {
            let w = char_cells(c);
            if used + w > width && used > 0 {
                if keep(row) {
                    if !piece.is_empty() {
                        current.push((*tok, std::mem::take(&mut piece)));
                    }
                    out.push(std::mem::take(&mut current));
                } else if take > 0 && row >= skip + take {
                    return (row + 1, out);
                }
                piece.clear();
                row += 1;
                used = 0;
            }
            if keep(row) {
                piece.push(c);
            }
            used += w;
        }
        if !piece.is_empty() {
            current.push((*tok, piece));
        }
    }
    if keep(row) {
        out.push(current);
    }
    (row + 1, out)
}

/// A Kubernetes value: the header (kind, namespace/name, …), then the
/// object with its field names (YAML or JSON); an object the schema does
/// not know, or that does not decode with it, gets the generic field dump
/// and the hex dump of the whole value; an encrypted one only says so; a
/// broken envelope says why, then the hex.
fn kubernetes_document(bytes: &[u8], style: KubeStyle) -> Document {
    use crate::k8s::{decode, Decoded};
    let mut b = Builder::with_capacity(bytes.len());
    let mut hex = true;
    match decode(bytes) {
        Some(Decoded::Object(o)) => {
            b.push(&o.header(), Kind::Whole(Tok::Key));
            b.push("", Kind::Whole(Tok::Plain));
            match o.typed() {
                Ok(t) => {
                    hex = false;
                    let unknown = t.carried.unknown_fields();
                    if unknown > 0 {
                        let line = format!(
                            "{unknown} field{} unknown to the schema (Kubernetes {}): shown in place as ?NUMBER, kept as stored",
                            if unknown == 1 { "" } else { "s" },
                            crate::k8s::typed::SCHEMA_VERSION
                        );
                        b.push(&line, Kind::Whole(Tok::Null));
                    }
                    match style {
                        KubeStyle::Yaml => crate::k8s::yaml::write(&t.value, |line, kind| {
                            use crate::k8s::yaml::LineKind;
                            match kind {
                                LineKind::Node => b.push(line, Kind::Yaml),
                                LineKind::Block { indent } => b.push(line, Kind::Block(indent)),
                            }
                        }),
                        KubeStyle::Json => {
                            let pretty = serde_json::to_string_pretty(&t.value)
                                .expect("a JSON value serialises");
                            for line in pretty.lines() {
                                b.push(line, Kind::Json);
                            }
                        }
                    }
                }
                Err(why) => {
                    b.push(
                        &format!("not decoded with the schema: {why}"),
                        Kind::Whole(Tok::Null),
                    );
                    for l in o.dump_lines() {
                        b.push(&l, Kind::Whole(Tok::Plain));
                    }
                }
            }
        }
        Some(Decoded::Encrypted { provider, key }) => {
            let line = format!(
                "encrypted at rest ({provider}, key {key:?}), {} bytes",
                bytes.len()
            );
            b.push(&line, Kind::Whole(Tok::Key));
            hex = false;
        }
        Some(Decoded::Broken(why)) => {
            b.push(&format!("✗ {why}"), Kind::Whole(Tok::Null));
        }
        None => {}
    }
    if hex {
        b.push("", Kind::Whole(Tok::Plain));
        b.push("hex:", Kind::Whole(Tok::Punct));
        for i in 0..bytes.len().div_ceil(HEX_WIDTH) {
            b.push(&hex_line(bytes, i, true), Kind::Whole(Tok::Plain));
        }
    }
    let mut doc = b.document(Format::Kubernetes);
    doc.kube_style = style;
    doc
}

/// A Kubernetes value's decoded object as text in `style` (what `y`
/// copies); `None` when the value is not one or does not decode.
pub fn kube_text(bytes: &[u8], style: KubeStyle) -> Option<String> {
    let crate::k8s::Decoded::Object(o) = crate::k8s::decode(bytes)? else {
        return None;
    };
    let t = o.typed().ok()?;
    Some(match style {
        KubeStyle::Yaml => crate::k8s::yaml::text(&t.value),
        KubeStyle::Json => serde_json::to_string_pretty(&t.value).ok()? + "\n",
    })
}

fn text_document(text: &str) -> Builder {
    let mut b = Builder::default();
    for line in text.split('\n') {
        b.push(
            line.strip_suffix('\r').unwrap_or(line),
            Kind::Whole(Tok::Plain),
        );
    }
    b
}

fn json_document(bytes: &[u8]) -> Option<Document> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) if is_too_deep(&e) => {
            // Valid as far as the parser goes, but nested deeper than it
            // follows (128 levels): shown as it is, and said so.
            let text = std::str::from_utf8(bytes).ok()?;
            let mut doc = text_document(text).document(Format::Json);
            doc.note = Some("json: too deep to pretty-print (over 128 levels), shown as is");
            return Some(doc);
        }
        Err(_) => return None,
    };
    let pretty = serde_json::to_string_pretty(&value).ok()?;
    let mut b = Builder::default();
    for line in pretty.lines() {
        b.push(line, Kind::Json);
    }
    Some(b.document(Format::Json))
}

/// serde_json stops at 128 levels of nesting.
pub fn is_too_deep(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("recursion limit exceeded")
}

/// Splits one line of `serde_json` pretty output (escaped for the
/// terminal or not) into highlighted tokens. Strings are complete within a
/// line (serde escapes newlines).
fn tokenize_json_line(line: &str) -> Vec<(Tok, &str)> {
    let mut toks = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let tok = match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                let rest = line[i..].trim_start();
                if rest.starts_with(':') {
                    Tok::Key
                } else {
                    Tok::Str
                }
            }
            b' ' => {
                while i < b.len() && b[i] == b' ' {
                    i += 1;
                }
                Tok::Plain
            }
            b'{' | b'}' | b'[' | b']' | b':' | b',' => {
                i += 1;
                Tok::Punct
            }
            _ => {
                while i < b.len() && !matches!(b[i], b',' | b' ' | b']' | b'}') {
                    i += 1;
                }
                match &line[start..i] {
                    "true" | "false" => Tok::Bool,
                    "null" => Tok::Null,
                    _ => Tok::Num,
                }
            }
        };
        toks.push((tok, &line[start..i]));
    }
    toks
}

/// A line of a diff: in both, only in the old value, only in the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffTag {
    Same,
    Old,
    New,
}

/// A line diff of two values as they are displayed (pretty JSON, text,
/// hex). Computed once per pair, not per frame: big, very different values
/// get a coarser diff after 20 ms rather than a stall.
pub fn line_diff(old: &[u8], new: &[u8]) -> Vec<(DiffTag, String)> {
    use similar::{ChangeTag, TextDiff};
    let old = Document::build(old).text_lines().join("\n");
    let new = Document::build(new).text_lines().join("\n");
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_millis(20))
        .diff_lines(&old, &new);
    diff.iter_all_changes()
        .map(|change| {
            let tag = match change.tag() {
                ChangeTag::Equal => DiffTag::Same,
                ChangeTag::Delete => DiffTag::Old,
                ChangeTag::Insert => DiffTag::New,
            };
            (tag, change.value().trim_end_matches('\n').to_string())
        })
        .collect()
}

/// Columns a hex dump line needs with its ASCII column.
pub const HEX_LINE_WIDTH: usize = 10 + 3 * HEX_WIDTH + 1 + 2 + HEX_WIDTH + 1;

/// One line of the hex dump: offset, 16 bytes in two groups, and the ASCII
/// column when `ascii` (left out on narrow screens).
pub fn hex_line(bytes: &[u8], line: usize, ascii: bool) -> String {
    use std::fmt::Write;
    let start = line * HEX_WIDTH;
    let chunk = &bytes[start.min(bytes.len())..(start + HEX_WIDTH).min(bytes.len())];
    let mut s = format!("{start:08x}  ");
    for i in 0..HEX_WIDTH {
        match chunk.get(i) {
            Some(b) => {
                let _ = write!(s, "{b:02x} ");
            }
            None => s.push_str("   "),
        }
        if i == 7 {
            s.push(' ');
        }
    }
    if !ascii {
        return s.trim_end().to_string();
    }
    s.push_str(" |");
    s.extend(chunk.iter().map(|&b| {
        if b.is_ascii_graphic() || b == b' ' {
            b as char
        } else {
            '.'
        }
    }));
    s.push('|');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(doc: &Document) -> Vec<String> {
        doc.text_lines()
    }

    #[test]
    fn json_is_pretty_and_keeps_order_and_big_numbers() {
        let doc =
            Document::build(br#"{"z":1,"a":[true,null,"x"],"n":123456789012345678901234567890}"#);
        assert_eq!(doc.format, Format::Json);
        assert_eq!(
            text(&doc),
            [
                "{",
                "  \"z\": 1,",
                "  \"a\": [",
                "    true,",
                "    null,",
                "    \"x\"",
                "  ],",
                "  \"n\": 123456789012345678901234567890",
                "}"
            ]
        );
        let Body::Lines(lines) = &doc.body else {
            panic!()
        };
        assert_eq!(lines.tokens(1)[1], (Tok::Key, "\"z\""));
        assert_eq!(lines.tokens(1)[4], (Tok::Num, "1"));
        assert_eq!(lines.tokens(3)[1], (Tok::Bool, "true"));
    }

    #[test]
    fn json_string_escapes_stay_escaped() {
        let doc = Document::build(b"{\"k\":\"\\u001b[31mred\\u009b\"}");
        assert!(
            text(&doc)[1].contains("\\u001b[31mred\\x9b"),
            "{:?}",
            text(&doc)
        );
    }

    #[test]
    fn text_and_binary() {
        let doc = Document::build(b"line one\r\nline\ttwo\x1b");
        assert_eq!(doc.format, Format::Text);
        assert_eq!(text(&doc), ["line one", "line\\ttwo\\x1b"]);

        let doc = Document::build(&[0x89, b'P', b'N', b'G', 0, 1, 2]);
        assert_eq!(doc.format, Format::Binary);
        assert_eq!(
            text(&doc),
            ["00000000  89 50 4e 47 00 01 02                              |.PNG...|"]
        );
        assert_eq!(Document::build(b"not { json").format, Format::Text);
        let full: Vec<u8> = (0u8..20).collect();
        let doc = Document::build(&full);
        assert_eq!(
            text(&doc)[0].find('|'),
            text(&doc)[1].find('|'),
            "columns line up"
        );
    }

    #[test]
    fn rows_wrap_by_cells_and_wide_chars_stay_whole() {
        let doc = Document::build("ab漢字c\nxyz".as_bytes());
        // width 3: "ab" (漢 does not fit), "漢", "字c", then "xyz".
        assert_eq!(doc.row_count(3), 4);
        let rows: Vec<String> = doc
            .rows(0, 10, 3)
            .iter()
            .map(|r| r.iter().map(|(_, s)| s.as_str()).collect())
            .collect();
        assert_eq!(rows, ["ab", "漢", "字c", "xyz"]);
        assert_eq!(doc.source_line_at(3, 3), 2);
        let long = "x".repeat(CHUNK_CHARS * 2 + 1);
        let doc = Document::build(long.as_bytes());
        assert_eq!(doc.source_line_count(), 1);
        // Chunks flow on: rows are full up to the last one.
        assert_eq!(doc.row_count(100), long.len().div_ceil(100));
        let rows = doc.rows(4, 100, 100);
        assert_eq!(rows.len(), 7);
        let len = |r: &Vec<(Tok, String)>| r.iter().map(|(_, s)| s.len()).sum::<usize>();
        assert!(rows[..6].iter().all(|r| len(r) == 100));
        assert_eq!(len(&rows[6]), 25);
        // Wide characters: skipping rows keeps the same cuts.
        let doc = Document::build("漢字かな交じり文".repeat(5).as_bytes());
        let all = doc.rows(0, 100, 7);
        assert_eq!(doc.row_count(7), all.len());
        assert_eq!(doc.rows(3, 2, 7), all[3..5].to_vec());
    }

    #[test]
    fn long_lines_are_chunked() {
        let long = "x".repeat(CHUNK_CHARS * 2 + 1);
        assert_eq!(Document::build(long.as_bytes()).line_count(), 3);
    }
}
