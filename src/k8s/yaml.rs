//! A JSON value written as YAML the way `kubectl get -o yaml` shows it
//! (block style, list items at their key's indentation, `|` for text with
//! line breaks), as lines of highlighted pieces. The pieces are the YAML
//! text itself, not escaped for the terminal yet.

use serde_json::Value;

use crate::value_doc::Tok;

pub type Line = Vec<(Tok, String)>;

/// The value as YAML lines.
pub fn lines(v: &Value) -> Vec<Line> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) if !m.is_empty() => mapping(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => sequence(a, 0, &mut out),
        other => out.push(vec![scalar(other)]),
    }
    out
}

/// The value as YAML text (what `y` copies and the editor shows).
pub fn text(v: &Value) -> String {
    let mut s = String::new();
    for line in lines(v) {
        for (_, piece) in line {
            s.push_str(&piece);
        }
        s.push('\n');
    }
    s
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

fn pad(indent: usize) -> (Tok, String) {
    (Tok::Plain, " ".repeat(indent))
}

fn mapping(m: &serde_json::Map<String, Value>, indent: usize, out: &mut Vec<Line>) {
    for (k, v) in m {
        let mut line = vec![pad(indent), (Tok::Key, key(k)), (Tok::Punct, ":".into())];
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push(line);
                mapping(inner, indent + 2, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push(line);
                sequence(items, indent, out);
            }
            Value::String(s) if block_text(s) => {
                line.push((Tok::Plain, " ".into()));
                line.push((Tok::Punct, block_header(s).into()));
                out.push(line);
                for l in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                    if l.is_empty() {
                        out.push(Vec::new());
                    } else {
                        out.push(vec![pad(indent + 2), (Tok::Str, l.to_string())]);
                    }
                }
            }
            other => {
                line.push((Tok::Plain, " ".into()));
                line.push(scalar(other));
                out.push(line);
            }
        }
    }
}

/// Items at the key's own indentation (`- name: x`), as kubectl writes.
fn sequence(items: &[Value], indent: usize, out: &mut Vec<Line>) {
    for item in items {
        let start = out.len();
        match item {
            Value::Object(m) if !m.is_empty() => mapping(m, indent + 2, out),
            Value::Array(a) if !a.is_empty() => sequence(a, indent + 2, out),
            Value::String(s) if block_text(s) => {
                // A block scalar needs a line of its own for its header.
                out.push(vec![pad(indent + 2), (Tok::Punct, block_header(s).into())]);
                for l in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                    out.push(vec![pad(indent + 4), (Tok::Str, l.to_string())]);
                }
            }
            other => out.push(vec![pad(indent + 2), scalar(other)]),
        }
        // The first line's indentation becomes `- `.
        let first = &mut out[start];
        first[0] = pad(indent);
        first.insert(1, (Tok::Punct, "- ".into()));
    }
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

fn scalar(v: &Value) -> (Tok, String) {
    match v {
        Value::Null => (Tok::Null, "null".into()),
        Value::Bool(b) => (Tok::Bool, b.to_string()),
        Value::Number(n) => (Tok::Num, n.to_string()),
        Value::String(s) => (Tok::Str, string(s)),
        Value::Object(_) => (Tok::Punct, "{}".into()),
        Value::Array(_) => (Tok::Punct, "[]".into()),
    }
}

fn key(k: &str) -> String {
    string(k)
}

/// Plain when YAML reads it back as this same string, else double-quoted
/// (JSON escapes are valid YAML double-quoted escapes).
fn string(s: &str) -> String {
    if plain(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serialises")
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
    if s.contains(": ") || s.contains(" #") || s.chars().any(char::is_control) {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_alphanumeric() || " _-./=+()@,;~^$:<>%*!?&'\"\\[]{}|`#".contains(c))
    {
        return false;
    }
    // Never a flow collection, an alias-looking or quoted-looking start.
    if s.contains(['[', ']', '{', '}', ',']) && first == '[' {
        return false;
    }
    if [
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
