//! The export file formats.
//!
//! `jsonl` (etcdlens's own, what `import` reads): a header line, then one
//! line per key in key order. Text that is not UTF-8 is written as base64
//! under a `*_base64` field instead (as `--record` does):
//!
//! ```text
//! {"format":"etcdlens-export","version":1,"cluster_id":1484…,"member_id":1027…,"revision":42,"prefix":"/app/"}
//! {"key":"/app/a","value":"1","lease":0,"create_revision":2,"mod_revision":2,"version":1}
//! {"key_base64":"L2FwcC//","value_base64":"/wE=","lease":0,"create_revision":3,"mod_revision":3,"version":1}
//! ```
//!
//! `etcdctl`: byte for byte what `etcdctl get --prefix P -w json` prints
//! (one JSON object, keys and values in base64), written as it is read.

use std::io::{self, Write};

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::etcd::export::Origin;
use crate::etcd::types::ValueRecord;

pub const FORMAT_NAME: &str = "etcdlens-export";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Etcdctl,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "jsonl" => Ok(Format::Jsonl),
            "etcdctl" => Ok(Format::Etcdctl),
            _ => Err(format!(
                "unknown format {s:?} (jsonl: etcdlens's own, etcdctl: like `etcdctl get --prefix -w json`)"
            )),
        }
    }
}

/// The header line of a `jsonl` export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub cluster_id: u64,
    pub member_id: u64,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prefix_base64: Option<String>,
}

impl Header {
    pub fn new(origin: Origin, prefix: &[u8]) -> Header {
        let (prefix, prefix_base64) = text_or_base64(prefix);
        Header {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            cluster_id: origin.cluster_id,
            member_id: origin.member_id,
            revision: origin.revision,
            prefix,
            prefix_base64,
        }
    }

    pub fn prefix_bytes(&self) -> Result<Vec<u8>, String> {
        bytes_of(&self.prefix, &self.prefix_base64, "prefix")
    }
}

/// One key of a `jsonl` export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value_base64: Option<String>,
    #[serde(default)]
    pub lease: i64,
    #[serde(default)]
    pub create_revision: i64,
    #[serde(default)]
    pub mod_revision: i64,
    #[serde(default)]
    pub version: i64,
}

impl Line {
    pub fn new(r: &ValueRecord) -> Line {
        let (key, key_base64) = text_or_base64(&r.key);
        let (value, value_base64) = text_or_base64(&r.value);
        Line {
            key,
            key_base64,
            value,
            value_base64,
            lease: r.lease,
            create_revision: r.create_revision,
            mod_revision: r.mod_revision,
            version: r.version,
        }
    }

    /// The key-value this line describes.
    pub fn record(self) -> Result<ValueRecord, String> {
        Ok(ValueRecord {
            key: bytes_of(&self.key, &self.key_base64, "key")?,
            value: bytes_of(&self.value, &self.value_base64, "value")?,
            mod_revision: self.mod_revision,
            create_revision: self.create_revision,
            version: self.version,
            lease: self.lease,
            lease_ttl: None,
        })
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn text_or_base64(bytes: &[u8]) -> (Option<String>, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Some(s.to_string()), None),
        Err(_) => (None, Some(b64().encode(bytes))),
    }
}

fn bytes_of(text: &Option<String>, base64: &Option<String>, what: &str) -> Result<Vec<u8>, String> {
    match (text, base64) {
        (Some(t), None) => Ok(t.clone().into_bytes()),
        (None, Some(b)) => b64()
            .decode(b)
            .map_err(|e| format!("{what}_base64 is not base64: {e}")),
        (None, None) if what == "value" => Ok(Vec::new()),
        (None, None) => Err(format!("no {what}")),
        (Some(_), Some(_)) => Err(format!("both {what} and {what}_base64")),
    }
}

/// Writes an export as it is read: `start` once the origin is known, then
/// `page` for each page, then `finish`.
pub struct Writer<W: Write> {
    out: W,
    format: Format,
    count: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, format: Format) -> Writer<W> {
        Writer {
            out,
            format,
            count: 0,
        }
    }

    pub fn start(&mut self, origin: Origin, prefix: &[u8]) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut self.out, &Header::new(origin, prefix))?;
                self.out.write_all(b"\n")
            }
            Format::Etcdctl => write!(
                self.out,
                "{{\"header\":{{\"cluster_id\":{},\"member_id\":{},\"revision\":{},\"raft_term\":{}}}",
                origin.cluster_id, origin.member_id, origin.revision, origin.raft_term
            ),
        }
    }

    pub fn page(&mut self, page: &[ValueRecord]) -> io::Result<()> {
        for r in page {
            match self.format {
                Format::Jsonl => {
                    serde_json::to_writer(&mut self.out, &Line::new(r))?;
                    self.out.write_all(b"\n")?;
                }
                Format::Etcdctl => {
                    let sep = if self.count == 0 { ",\"kvs\":[" } else { "," };
                    write!(
                        self.out,
                        "{sep}{{\"key\":\"{}\",\"create_revision\":{},\"mod_revision\":{},\"version\":{}",
                        b64().encode(&r.key),
                        r.create_revision,
                        r.mod_revision,
                        r.version
                    )?;
                    if !r.value.is_empty() {
                        write!(self.out, ",\"value\":\"{}\"", b64().encode(&r.value))?;
                    }
                    if r.lease != 0 {
                        write!(self.out, ",\"lease\":{}", r.lease)?;
                    }
                    self.out.write_all(b"}")?;
                }
            }
            self.count += 1;
        }
        Ok(())
    }

    /// Ends the output; returns the number of keys written.
    pub fn finish(mut self) -> io::Result<u64> {
        if self.format == Format::Etcdctl {
            if self.count > 0 {
                write!(self.out, "],\"count\":{}}}", self.count)?;
            } else {
                self.out.write_all(b"}")?;
            }
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

/// The longest line read for a request limit of `max_request_bytes`: a
/// key line holds a key and a value that together fit one request, and
/// JSON may write a byte as six (`\u0001`), base64 as 4/3; a longer line
/// cannot be imported, so it is refused before it is held whole.
pub fn line_cap(max_request_bytes: usize) -> usize {
    max_request_bytes
        .saturating_mul(6)
        .saturating_add(64 * 1024)
}

/// Reads a `jsonl` export line by line, no line longer than its cap.
pub struct Reader<R: io::BufRead> {
    input: R,
    pub header: Header,
    line_no: u64,
    buf: Vec<u8>,
    cap: usize,
}

impl<R: io::BufRead> Reader<R> {
    /// Reads and checks the header line (lines capped for etcd's default
    /// request limit).
    pub fn new(input: R) -> Result<Reader<R>, String> {
        Self::with_request_limit(input, crate::app::writes::editor::DEFAULT_MAX_REQUEST_BYTES)
    }

    /// Reads and checks the header line; lines longer than
    /// [`line_cap`]`(max_request_bytes)` are refused.
    pub fn with_request_limit(input: R, max_request_bytes: usize) -> Result<Reader<R>, String> {
        let mut r = Reader {
            input,
            header: Header::new(Origin::default(), b""),
            line_no: 0,
            buf: Vec::new(),
            cap: line_cap(max_request_bytes),
        };
        if !r.read_line()? {
            return Err("the file is empty (export files start with a header line)".into());
        }
        r.header = parse_header(&r.buf)?;
        Ok(r)
    }

    /// The number of the line the last record came from.
    pub fn line(&self) -> u64 {
        self.line_no
    }

    /// The next line into `buf` (without its line end); false at the end.
    /// A line over the cap is refused after reading the cap, not held.
    fn read_line(&mut self) -> Result<bool, String> {
        self.buf.clear();
        let no = self.line_no + 1;
        loop {
            let chunk = self
                .input
                .fill_buf()
                .map_err(|e| format!("line {no}: cannot read: {e}"))?;
            if chunk.is_empty() {
                if self.buf.is_empty() {
                    return Ok(false);
                }
                break;
            }
            let (take, end) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if self.buf.len() + take > self.cap {
                let room = self.cap - self.buf.len();
                self.buf.extend_from_slice(&chunk[..room]);
                let key = leading_key(&self.buf)
                    .map(|k| format!(" (key {})", crate::escape::escape_bytes(&k)))
                    .unwrap_or_default();
                return Err(format!(
                    "line {no}{key} is longer than {} bytes: more than one request can carry (--max-request-bytes); nothing was written",
                    self.cap
                ));
            }
            self.buf.extend_from_slice(&chunk[..take]);
            self.input.consume(take + usize::from(end));
            if end {
                break;
            }
        }
        self.line_no = no;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(true)
    }

    /// The next key-value, `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<ValueRecord>, String> {
        loop {
            if !self.read_line()? {
                return Ok(None);
            }
            if self.buf.is_empty() {
                continue;
            }
            let line: Line = serde_json::from_slice(&self.buf)
                .map_err(|e| format!("line {}: not a key line: {e}", self.line_no))?;
            return line
                .record()
                .map(Some)
                .map_err(|e| format!("line {}: {e}", self.line_no));
        }
    }
}

/// The header line, checked: its format and version first (a newer
/// version's header may have other fields), then its fields. A UTF-8 byte
/// order mark (which some editors add) is skipped.
fn parse_header(line: &[u8]) -> Result<Header, String> {
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    let not_ours = || {
        "line 1 is not an etcdlens export header (export files start with {\"format\":\"etcdlens-export\",…})"
            .to_string()
    };
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|_| not_ours())?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT_NAME) => {}
        Some(other) => {
            return Err(format!(
                "line 1: format \"{}\" is not an etcdlens export ({FORMAT_NAME})",
                crate::escape::escape_str(other)
            ))
        }
        None => return Err(not_ours()),
    }
    match value.get("version") {
        Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
        Some(v) => {
            let v = crate::escape::escape_str(&v.to_string());
            return Err(format!(
                "line 1: an etcdlens export of version {v}, which this etcdlens does not know (it reads version {FORMAT_VERSION}); a newer etcdlens reads it"
            ));
        }
        None => {
            return Err(format!(
                "line 1: an etcdlens export header without a version (this etcdlens reads version {FORMAT_VERSION})"
            ))
        }
    }
    let header: Header = serde_json::from_value(value).map_err(|e| {
        format!(
            "line 1: an etcdlens export header of version {FORMAT_VERSION} with a bad field: {e}"
        )
    })?;
    header.prefix_bytes().map_err(|e| format!("line 1: {e}"))?;
    Ok(header)
}

/// The key of a key line read only in part (`{"key":"…",…` or
/// `{"key_base64":"…",…`, as the writer puts it first), to name it.
fn leading_key(part: &[u8]) -> Option<Vec<u8>> {
    let field = |name: &str| {
        let rest = part.strip_prefix(format!("{{\"{name}\":").as_bytes())?;
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<String>();
        values.next()?.ok()
    };
    if let Some(k) = field("key") {
        return Some(k.into_bytes());
    }
    let b = field("key_base64")?;
    b64().decode(b).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: &[u8], value: &[u8], lease: i64) -> ValueRecord {
        ValueRecord {
            key: key.to_vec(),
            value: value.to_vec(),
            mod_revision: 3,
            create_revision: 2,
            version: 1,
            lease,
            lease_ttl: None,
        }
    }

    #[test]
    fn jsonl_round_trips_text_and_binary() {
        let records = vec![
            rec(b"/a", b"1", 0),
            rec(b"/b\xff\x1b[2J", b"", 7),
            rec(b"/c", b"\x00\xff", 0),
        ];
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, Format::Jsonl);
        w.start(Origin::default(), b"/").unwrap();
        w.page(&records).unwrap();
        assert_eq!(w.finish().unwrap(), 3);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("{\"key\":\"/a\",\"value\":\"1\""));
        let mut r = Reader::new(&out[..]).unwrap();
        assert_eq!(r.header.prefix_bytes().unwrap(), b"/");
        let mut back = Vec::new();
        while let Some(x) = r.next_record().unwrap() {
            back.push(x);
        }
        assert_eq!(back, records);
    }

    #[test]
    fn bad_files_are_named_by_line() {
        assert!(Reader::new(&b"{\"key\":\"/a\"}\n"[..]).is_err());
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, Format::Jsonl);
        w.start(Origin::default(), b"/").unwrap();
        w.finish().unwrap();
        out.extend_from_slice(b"{\"key_base64\":\"!!\"}\n");
        let mut r = Reader::new(&out[..]).unwrap();
        let e = r.next_record().unwrap_err();
        assert!(e.starts_with("line 2: key_base64 is not base64"), "{e}");
    }
}
