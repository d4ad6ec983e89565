//! The demo's sample data, described in `assets/demo.json` (written by
//! `etcd::seed::load`, in transactions of at most 128 operations).

use base64::Engine;
use serde::Deserialize;

const DEMO_DATA: &str = include_str!("../../assets/demo.json");

#[derive(Deserialize)]
struct DataFile {
    keys: Vec<Entry>,
    generate: Vec<Generated>,
}

#[derive(Deserialize)]
struct Entry {
    key: Option<String>,
    key_base64: Option<String>,
    json: Option<serde_json::Value>,
    text: Option<String>,
    base64: Option<String>,
    ttl: Option<i64>,
}

/// `count` keys `prefix` + zero-padded index; `{n}`, `{n100}`, `{n10}` in
/// the template become the index, index / 100 and index % 100.
#[derive(Deserialize)]
struct Generated {
    prefix: String,
    count: usize,
    width: usize,
    template: String,
}

/// One sample key (written by `etcd::seed::load`).
pub use crate::etcd::seed::Item;

/// Every sample key, in file order.
pub fn items() -> Result<Vec<Item>, String> {
    let file: DataFile =
        serde_json::from_str(DEMO_DATA).map_err(|e| format!("assets/demo.json: {e}"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for e in file.keys {
        let key = match (e.key, e.key_base64) {
            (Some(k), _) => k.into_bytes(),
            (None, Some(b)) => b64.decode(b).map_err(|e| e.to_string())?,
            _ => return Err("assets/demo.json: an entry has no key".into()),
        };
        let value = match (e.json, e.text, e.base64) {
            (Some(j), _, _) => serde_json::to_vec(&j).map_err(|e| e.to_string())?,
            (_, Some(t), _) => t.into_bytes(),
            (_, _, Some(b)) => b64.decode(b).map_err(|e| e.to_string())?,
            _ => Vec::new(),
        };
        out.push(Item {
            key,
            value,
            ttl: e.ttl,
        });
    }
    for g in file.generate {
        for i in 1..=g.count {
            let value = g
                .template
                .replace("{n100}", &(i / 100).to_string())
                .replace("{n10}", &(i % 100).to_string())
                .replace("{n}", &i.to_string());
            out.push(Item {
                key: format!("{}{:0w$}", g.prefix, i, w = g.width).into_bytes(),
                value: value.into_bytes(),
                ttl: None,
            });
        }
    }
    Ok(out)
}
