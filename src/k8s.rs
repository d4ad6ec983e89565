//! Kubernetes values as kube-apiserver stores them in etcd: protobuf inside
//! the `k8s\0` envelope (a `runtime.Unknown`: type meta, raw object bytes,
//! content encoding and type), or encrypted at rest behind
//! `k8s:enc:<provider>:v1:<key name>:`.
//!
//! The envelope and the object's `metadata` (field 1 of every built-in
//! kind: name, namespace, uid, creation time, labels) are read without a
//! schema (headers, previews); `typed` decodes the whole object with
//! Kubernetes' field names (and encodes it back), `yaml` writes it as
//! kubectl does. An object the schema does not know gets a generic dump
//! (field numbers, varints, nested messages, strings). Pure and
//! terminal-free.

pub mod typed;
pub mod yaml;

/// The envelope's magic prefix.
pub const MAGIC: &[u8] = b"k8s\0";
const ENCRYPTED: &[u8] = b"k8s:enc:";
/// Nested messages deeper than this are dumped as bytes.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Object(Box<Object>),
    /// Encrypted at rest: the provider and the key's name.
    Encrypted {
        provider: String,
        key: String,
    },
    /// Starts like an envelope but does not parse: why.
    Broken(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub content_type: String,
    pub meta: Meta,
    /// The object's bytes.
    raw: Vec<u8>,
}

/// What the header shows, from the object's `ObjectMeta`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub resource_version: String,
    /// Seconds since the epoch.
    pub created: Option<i64>,
    pub labels: Vec<(String, String)>,
}

/// One protobuf field as found on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub number: u32,
    pub value: Wire,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Text(String),
    Message(Vec<Field>),
    Bytes(Vec<u8>),
}

/// Whether `bytes` look like a Kubernetes value (cheap: the first bytes).
pub fn is_kubernetes(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC) || bytes.starts_with(ENCRYPTED)
}

/// Decodes a value that `is_kubernetes`; `None` for anything else.
pub fn decode(bytes: &[u8]) -> Option<Decoded> {
    if let Some(rest) = bytes.strip_prefix(ENCRYPTED) {
        let (provider, key) = encryption(rest);
        return Some(Decoded::Encrypted { provider, key });
    }
    let body = bytes.strip_prefix(MAGIC)?;
    Some(match envelope(body) {
        Ok(o) => Decoded::Object(Box::new(o)),
        Err(e) => Decoded::Broken(e),
    })
}

/// One line for previews (the Events pane, the history): `Pod
/// default/web-7d9c  phase=Running`, `encrypted at rest (aescbc)`, or why
/// the envelope is broken. Reads only the fields it shows (previews are
/// drawn every frame): the envelope, the object's metadata, and the
/// top-level fields of the known columns.
pub fn summary(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(ENCRYPTED) {
        let (provider, _) = encryption(rest);
        return Some(format!("encrypted at rest ({provider})"));
    }
    let env = match parse_envelope(bytes.strip_prefix(MAGIC)?) {
        Ok(env) => env,
        Err(why) => return Some(format!("✗ {why}")),
    };
    let m = if is_json(env.raw) {
        Meta::default()
    } else {
        field_bytes(env.raw, 1)
            .and_then(|b| dump(b, 0).ok())
            .map(|f| meta(&f))
            .unwrap_or_default()
    };
    let mut s = title(&env.kind, &m);
    for (name, value) in columns(&env.kind, env.raw) {
        s.push_str(&format!("  {name}={value}"));
    }
    Some(s)
}

/// The preview of a Kubernetes value cut short (the Events log keeps the
/// first 64 KiB of a value): what the first bytes tell (the kind, and the
/// name when the metadata is whole), and that it was cut, not corrupt.
pub fn summary_cut(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(ENCRYPTED) {
        return summary(bytes);
    }
    let body = bytes.strip_prefix(MAGIC)?;
    let env = fields_cut(body);
    let text = |b: &[u8], n: u32| {
        fields(b).ok()?.into_iter().find_map(|(k, v)| match v {
            Raw::Bytes(s) if k == n => Some(lossy(s)),
            _ => None,
        })
    };
    let part = |n: u32| {
        env.iter().find_map(|(k, v)| match v {
            Raw::Bytes(b) if *k == n => Some(*b),
            _ => None,
        })
    };
    let kind = part(1).and_then(|tm| text(tm, 2));
    let raw = part(2).unwrap_or_default();
    let m = if is_json(raw) {
        Meta::default()
    } else {
        fields_cut(raw)
            .into_iter()
            .find_map(|(n, v)| match v {
                // Whole only when the parse did not stop inside it.
                Raw::Bytes(b) if n == 1 => dump(b, 0).ok(),
                _ => None,
            })
            .map(|f| meta(&f))
            .unwrap_or_default()
    };
    Some(match kind {
        Some(kind) if !m.name.is_empty() => {
            format!("{}  (value cut to 64 KiB in the log)", title(&kind, &m))
        }
        Some(kind) => format!("{kind}  (value cut to 64 KiB in the log)"),
        None => "Kubernetes object (value cut to 64 KiB in the log)".into(),
    })
}

/// The fields of a message cut short: the whole ones, then what is there
/// of a length-delimited field the cut went through.
fn fields_cut(buf: &[u8]) -> Vec<(u32, Raw<'_>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let Ok(tag) = varint(buf, &mut pos) else {
            break;
        };
        let number = (tag >> 3) as u32;
        match tag & 7 {
            0 => match varint(buf, &mut pos) {
                Ok(v) => out.push((number, Raw::Varint(v))),
                Err(_) => break,
            },
            2 => {
                let Ok(len) = varint(buf, &mut pos) else {
                    break;
                };
                let end = pos.saturating_add(len as usize).min(buf.len());
                out.push((number, Raw::Bytes(&buf[pos..end])));
                pos = end;
            }
            _ => break,
        }
    }
    out
}

/// The bytes of length-delimited field `number` of a message.
fn field_bytes(message: &[u8], number: u32) -> Option<&[u8]> {
    fields(message)
        .ok()?
        .into_iter()
        .find_map(|(n, v)| match v {
            Raw::Bytes(b) if n == number => Some(b),
            _ => None,
        })
}

/// A string at `path` (field numbers from the object down).
fn text_at(raw: &[u8], path: &[u32]) -> Option<String> {
    let mut b = raw;
    for n in path {
        b = field_bytes(b, *n)?;
    }
    std::str::from_utf8(b).ok().map(str::to_string)
}

/// A varint at `path` (field numbers from the object down).
fn int_at(raw: &[u8], path: &[u32]) -> Option<u64> {
    let (last, outer) = path.split_last()?;
    let mut b = raw;
    for n in outer {
        b = field_bytes(b, *n)?;
    }
    fields(b).ok()?.into_iter().find_map(|(n, v)| match v {
        Raw::Varint(x) if n == *last => Some(x),
        _ => None,
    })
}

/// What `kubectl get` would show beside the name, for the kinds whose field
/// numbers are known here: a Pod's phase (status.phase = 3.1) and node
/// (spec.nodeName = 2.10); a Deployment's ready replicas
/// (status.readyReplicas = 3.7 of spec.replicas = 2.1).
fn columns(kind: &str, raw: &[u8]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if is_json(raw) {
        return out;
    }
    match kind {
        "Pod" => {
            if let Some(p) = text_at(raw, &[3, 1]) {
                out.push(("phase", p));
            }
            if let Some(n) = text_at(raw, &[2, 10]) {
                out.push(("node", n));
            }
        }
        "Deployment" => {
            let ready = int_at(raw, &[3, 7]).unwrap_or(0);
            let want = int_at(raw, &[2, 1]).unwrap_or(1);
            out.push(("ready", format!("{ready}/{want}")));
        }
        _ => {}
    }
    out
}

/// One row of the resource table: what a value is, from its envelope and
/// metadata only (cheap: drawn for the rows on screen).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableRow {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Seconds since the epoch.
    pub created: Option<i64>,
    /// `phase`, `node`, `ready` where known.
    pub columns: Vec<(&'static str, String)>,
    /// Encrypted at rest, or why the envelope is broken.
    pub note: Option<String>,
}

/// The table row of a Kubernetes value; `None` for other values.
pub fn table_row(bytes: &[u8]) -> Option<TableRow> {
    if let Some(rest) = bytes.strip_prefix(ENCRYPTED) {
        let (provider, _) = encryption(rest);
        return Some(TableRow {
            note: Some(format!("encrypted at rest ({provider})")),
            ..Default::default()
        });
    }
    let env = match parse_envelope(bytes.strip_prefix(MAGIC)?) {
        Ok(env) => env,
        Err(why) => {
            return Some(TableRow {
                note: Some(format!("✗ {why}")),
                ..Default::default()
            })
        }
    };
    let m = if is_json(env.raw) {
        serde_json::from_slice::<serde_json::Value>(env.raw)
            .map(|v| json_meta(&v["metadata"]))
            .unwrap_or_default()
    } else {
        field_bytes(env.raw, 1)
            .and_then(|b| dump(b, 0).ok())
            .map(|f| meta(&f))
            .unwrap_or_default()
    };
    Some(TableRow {
        columns: columns(&env.kind, env.raw),
        kind: env.kind,
        namespace: m.namespace,
        name: m.name,
        created: m.created,
        note: None,
    })
}

/// `Pod default/web-7d9c` (cluster-scoped: `Node node-1`).
fn title(kind: &str, m: &Meta) -> String {
    if m.namespace.is_empty() {
        format!("{kind} {}", m.name)
    } else {
        format!("{kind} {}/{}", m.namespace, m.name)
    }
}

/// (provider, key name) of `<provider>:v1:<key name>:<ciphertext>`.
fn encryption(rest: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(&rest[..rest.len().min(256)]);
    let mut parts = text.splitn(4, ':');
    let provider = parts.next().unwrap_or_default().to_string();
    let _version = parts.next();
    let key = parts.next().unwrap_or_default().to_string();
    (provider, key)
}

/// The envelope's parts; `raw` is the object's bytes, not parsed yet.
struct Envelope<'a> {
    api_version: String,
    kind: String,
    content_type: String,
    raw: &'a [u8],
}

/// `runtime.Unknown`: 1 typeMeta {1 apiVersion, 2 kind}, 2 raw,
/// 3 contentEncoding, 4 contentType. Reads only the envelope's own fields.
fn parse_envelope(body: &[u8]) -> Result<Envelope<'_>, String> {
    let mut env = Envelope {
        api_version: String::new(),
        kind: String::new(),
        content_type: String::new(),
        raw: &[],
    };
    let mut raw = None;
    for (number, value) in fields(body).map_err(|e| format!("corrupt envelope: {e}"))? {
        match (number, value) {
            (1, Raw::Bytes(tm)) => {
                for (n, v) in fields(tm).map_err(|e| format!("corrupt type meta: {e}"))? {
                    match (n, v) {
                        (1, Raw::Bytes(s)) => env.api_version = lossy(s),
                        (2, Raw::Bytes(s)) => env.kind = lossy(s),
                        _ => {}
                    }
                }
            }
            (2, Raw::Bytes(r)) => raw = Some(r),
            (4, Raw::Bytes(s)) => env.content_type = lossy(s),
            _ => {}
        }
    }
    if env.kind.is_empty() {
        return Err("envelope without a kind".into());
    }
    env.raw = raw.ok_or("envelope without the object's bytes")?;
    Ok(env)
}

/// Custom resources are stored as JSON inside the envelope.
fn is_json(raw: &[u8]) -> bool {
    raw.first() == Some(&b'{')
}

fn envelope(body: &[u8]) -> Result<Object, String> {
    let env = parse_envelope(body)?;
    let mut object = Object {
        api_version: env.api_version,
        kind: env.kind,
        content_type: env.content_type,
        meta: Meta::default(),
        raw: env.raw.to_vec(),
    };
    if is_json(env.raw) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(env.raw) {
            object.meta = json_meta(&v["metadata"]);
        }
        return Ok(object);
    }
    fields(env.raw).map_err(|e| format!("corrupt object: {e}"))?;
    if let Some(b) = field_bytes(env.raw, 1) {
        object.meta = meta_of(b);
    }
    Ok(object)
}

/// A custom resource's (JSON) metadata.
fn json_meta(m: &serde_json::Value) -> Meta {
    let text = |k: &str| m[k].as_str().unwrap_or_default().to_string();
    Meta {
        name: text("name"),
        namespace: text("namespace"),
        uid: text("uid"),
        resource_version: text("resourceVersion"),
        created: typed::parse_timestamp(&text("creationTimestamp")).map(|(s, _)| s),
        labels: m["labels"]
            .as_object()
            .map(|l| {
                l.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// ObjectMeta's bytes read: its text fields as they are (a name with a
/// control character in it is still the name: shown escaped, not dropped
/// as the dump's bytes), the rest through the dump.
fn meta_of(b: &[u8]) -> Meta {
    let mut m = dump(b, 0).map(|d| meta(&d)).unwrap_or_default();
    for (number, raw) in fields(b).unwrap_or_default() {
        let Raw::Bytes(text) = raw else { continue };
        let slot = match number {
            1 => &mut m.name,
            3 => &mut m.namespace,
            5 => &mut m.uid,
            6 => &mut m.resource_version,
            _ => continue,
        };
        *slot = lossy(text);
    }
    m
}

/// ObjectMeta (field 1 of the object): 1 name, 3 namespace, 5 uid,
/// 6 resourceVersion, 8 creationTimestamp {1 seconds}, 11 labels.
fn meta(meta: &[Field]) -> Meta {
    let mut m = Meta::default();
    for f in meta {
        match (f.number, &f.value) {
            (1, Wire::Text(s)) => m.name = s.clone(),
            (3, Wire::Text(s)) => m.namespace = s.clone(),
            (5, Wire::Text(s)) => m.uid = s.clone(),
            (6, Wire::Text(s)) => m.resource_version = s.clone(),
            (8, Wire::Message(ts)) => {
                m.created = ts.iter().find_map(|t| match (t.number, &t.value) {
                    (1, Wire::Varint(s)) => Some(*s as i64),
                    _ => None,
                })
            }
            (11, Wire::Message(kv)) => {
                let text = |n| {
                    kv.iter().find_map(|t| match (t.number == n, &t.value) {
                        (true, Wire::Text(s)) => Some(s.clone()),
                        _ => None,
                    })
                };
                m.labels
                    .push((text(1).unwrap_or_default(), text(2).unwrap_or_default()));
            }
            _ => {}
        }
    }
    m
}

#[derive(Clone, Copy)]
enum Raw<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(out);
        }
    }
    Err("varint longer than 10 bytes".into())
}

/// The fields of one message, or why the bytes are not one.
fn fields(buf: &[u8]) -> Result<Vec<(u32, Raw<'_>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let tag = varint(buf, &mut pos)?;
        let number = u32::try_from(tag >> 3).map_err(|_| "field number too big")?;
        if number == 0 {
            return Err("field number 0".into());
        }
        let value = match tag & 7 {
            0 => Raw::Varint(varint(buf, &mut pos)?),
            1 => {
                let b = buf.get(pos..pos + 8).ok_or("truncated fixed64")?;
                pos += 8;
                Raw::Fixed64(u64::from_le_bytes(b.try_into().expect("8 bytes")))
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).map_err(|_| "length too big")?;
                let end = pos.checked_add(len).filter(|&e| e <= buf.len());
                let b = &buf[pos..end.ok_or("truncated length-delimited field")?];
                pos += len;
                Raw::Bytes(b)
            }
            5 => {
                let b = buf.get(pos..pos + 4).ok_or("truncated fixed32")?;
                pos += 4;
                Raw::Fixed32(u32::from_le_bytes(b.try_into().expect("4 bytes")))
            }
            w => return Err(format!("wire type {w} (groups are not used by Kubernetes)")),
        };
        out.push((number, value));
    }
    Ok(out)
}

/// A message's fields, length-delimited ones read as text when they are
/// printable UTF-8, as a nested message when they parse as one, else bytes.
fn dump(buf: &[u8], depth: usize) -> Result<Vec<Field>, String> {
    fields(buf)?
        .into_iter()
        .map(|(number, raw)| {
            let value = match raw {
                Raw::Varint(v) => Wire::Varint(v),
                Raw::Fixed64(v) => Wire::Fixed64(v),
                Raw::Fixed32(v) => Wire::Fixed32(v),
                Raw::Bytes(b) => bytes_value(b, depth),
            };
            Ok(Field { number, value })
        })
        .collect()
}

/// Printable one-line text first; then a nested message (a message whose
/// first field is 1 starts with `\n`, so it would read as text too); then
/// text with line breaks; else bytes.
fn bytes_value(b: &[u8], depth: usize) -> Wire {
    let text = std::str::from_utf8(b).ok().filter(|s| !s.is_empty());
    if let Some(s) = text.filter(|s| s.chars().all(|c| !c.is_control())) {
        return Wire::Text(s.to_string());
    }
    if depth < MAX_DEPTH && !b.is_empty() {
        if let Ok(nested) = dump(b, depth + 1) {
            return Wire::Message(nested);
        }
    }
    match text.filter(|s| s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t')) {
        Some(s) => Wire::Text(s.to_string()),
        None => Wire::Bytes(b.to_vec()),
    }
}

impl Object {
    /// `Pod default/web-7d9c` (cluster-scoped: `Node node-1`).
    pub fn title(&self) -> String {
        title(&self.kind, &self.meta)
    }

    /// What `kubectl get` would show beside the name, for the kinds whose
    /// field numbers are known here: a Pod's phase (status.phase = 3.1)
    /// and node (spec.nodeName = 2.10).
    pub fn columns(&self) -> Vec<(&'static str, String)> {
        columns(&self.kind, &self.raw)
    }

    /// The header line: kind, namespace/name, apiVersion, uid, created.
    pub fn header(&self) -> String {
        let mut h = format!("{}  {}", self.title(), self.api_version);
        if !self.meta.uid.is_empty() {
            h.push_str(&format!("  uid {}", self.meta.uid));
        }
        if let Some(t) = self.meta.created {
            h.push_str(&format!("  created {}", rfc3339(t)));
        }
        h
    }

    /// The generic dump, one line per field, nested messages indented.
    pub fn dump_lines(&self) -> Vec<String> {
        let fields = if is_json(&self.raw) {
            vec![Field {
                number: 0,
                value: Wire::Text(lossy(&self.raw)),
            }]
        } else {
            dump(&self.raw, 0).unwrap_or_default()
        };
        let mut out = Vec::new();
        dump_into(&fields, 0, true, &mut out);
        out
    }

    /// The whole object with Kubernetes' field names: decoded with the
    /// schema (built-in kinds), or parsed (custom resources are JSON).
    pub fn typed(&self) -> Result<typed::Typed, String> {
        if is_json(&self.raw) {
            let value = serde_json::from_slice(&self.raw).map_err(|e| format!("not JSON: {e}"))?;
            return Ok(typed::Typed {
                value,
                carried: typed::Carried::default(),
            });
        }
        typed::decode(&self.api_version, &self.kind, &self.raw)
    }
}

fn dump_into(fields: &[Field], depth: usize, top: bool, out: &mut Vec<String>) {
    let pad = "  ".repeat(depth);
    for f in fields {
        let name = match (top, f.number) {
            (true, 0) => "json".to_string(),
            (true, 1) => "1 metadata".to_string(),
            (true, 2) => "2 spec".to_string(),
            (true, 3) => "3 status".to_string(),
            (_, n) => n.to_string(),
        };
        match &f.value {
            Wire::Varint(v) => out.push(format!("{pad}{name}: {v}")),
            Wire::Fixed64(v) => out.push(format!("{pad}{name}: {v} (fixed64)")),
            Wire::Fixed32(v) => out.push(format!("{pad}{name}: {v} (fixed32)")),
            Wire::Text(s) if s.contains('\n') => {
                out.push(format!("{pad}{name}: |"));
                out.extend(s.lines().map(|l| format!("{pad}  {l}")));
            }
            Wire::Text(s) => out.push(format!("{pad}{name}: {s:?}")),
            Wire::Message(m) => {
                out.push(format!("{pad}{name}:"));
                dump_into(m, depth + 1, false, out);
            }
            Wire::Bytes(b) => out.push(format!(
                "{pad}{name}: {} bytes {}",
                b.len(),
                b.iter()
                    .take(32)
                    .map(|x| format!("{x:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
        }
    }
}

/// The decoded object of a Kubernetes value as JSON (`--record`); `None`
/// for other values and ones that do not decode.
pub fn object_json(bytes: &[u8]) -> Option<serde_json::Value> {
    if !bytes.starts_with(MAGIC) {
        return None;
    }
    match decode(bytes)? {
        Decoded::Object(o) => o.typed().ok().map(|t| t.value),
        _ => None,
    }
}

/// A Kubernetes object ready to be edited as YAML: the text, and what
/// encoding it back needs (the empty fields the text leaves out, the
/// fields the schema does not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editable {
    pub text: String,
    carried: typed::Carried,
    /// Custom resources: JSON text that ends with a line break.
    json_newline: bool,
}

/// The object of `bytes` as YAML to edit, when encoding it back unchanged
/// gives exactly `bytes` (so an edit changes only what the user changed);
/// else why it cannot be edited this way.
pub fn editable(bytes: &[u8]) -> Result<Editable, String> {
    let o = match decode(bytes) {
        Some(Decoded::Object(o)) => o,
        Some(Decoded::Encrypted { provider, .. }) => {
            return Err(format!("the value is encrypted at rest ({provider})"))
        }
        Some(Decoded::Broken(why)) => return Err(why),
        None => return Err("not a Kubernetes value".into()),
    };
    let t = o.typed()?;
    let e = Editable {
        text: yaml::text(&t.value),
        carried: t.carried,
        json_newline: is_json(&o.raw) && o.raw.ends_with(b"\n"),
    };
    let again = encode_object(bytes, &t.value, &e)?;
    if again != bytes {
        let at = again
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(bytes.len()));
        return Err(format!(
            "encoding this object again does not give back the stored bytes (they differ from byte {at} on, {} bytes stored, {} encoded)",
            bytes.len(),
            again.len()
        ));
    }
    Ok(e)
}

/// `bytes` with its object replaced by the edited YAML `text`: the same
/// envelope (type, content type) around the object encoded again.
pub fn apply_edit(bytes: &[u8], text: &str, e: &Editable) -> Result<Vec<u8>, String> {
    let value = yaml::parse(text)?;
    encode_object(bytes, &value, e)
}

fn encode_object(bytes: &[u8], value: &serde_json::Value, e: &Editable) -> Result<Vec<u8>, String> {
    let body = bytes.strip_prefix(MAGIC).ok_or("not a Kubernetes value")?;
    let env = parse_envelope(body)?;
    let text = |k: &str| {
        value
            .get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    };
    if text("apiVersion") != env.api_version || text("kind") != env.kind {
        return Err(format!(
            "apiVersion and kind must stay {} {}",
            env.api_version, env.kind
        ));
    }
    let raw = if is_json(env.raw) {
        let mut raw = serde_json::to_vec(value).map_err(|e| e.to_string())?;
        if e.json_newline {
            raw.push(b'\n');
        }
        raw
    } else {
        typed::encode(value, &e.carried)?.2
    };
    // The envelope again, field by field, with the new object.
    let mut out = MAGIC.to_vec();
    for (number, v) in fields(body).map_err(|e| format!("corrupt envelope: {e}"))? {
        match v {
            Raw::Bytes(_) if number == 2 => typed::length_delimited(2, &raw, &mut out),
            v => typed::write_raw(number, &v, &mut out),
        }
    }
    Ok(out)
}

/// Seconds since the epoch as `2017-06-27T16:35:34Z` (UTC).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_498_581_334), "2017-06-27T16:35:34Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn encrypted_values_name_provider_and_key() {
        let d = decode(b"k8s:enc:aescbc:v1:key1:\x8f\x00garbage").unwrap();
        assert_eq!(
            d,
            Decoded::Encrypted {
                provider: "aescbc".into(),
                key: "key1".into()
            }
        );
    }

    #[test]
    fn truncated_envelopes_say_so() {
        // typeMeta claims 50 bytes, 2 follow.
        let d = decode(b"k8s\0\x0a\x32\x0a\x02").unwrap();
        let Decoded::Broken(why) = d else {
            panic!("{d:?}")
        };
        assert!(why.contains("truncated"), "{why}");
        assert!(decode(b"k8").is_none());
        assert!(decode(b"{\"a\":1}").is_none());
    }
}
