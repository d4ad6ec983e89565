//! docs/reference.md's generated parts (key and command tables, flags)
//! are what `etcdlens::reference` produces from the action table and the
//! clap definitions now. `ETCDLENS_UPDATE_REFERENCE=1` rewrites them.

use std::path::PathBuf;

const END: &str = "<!-- end generated -->";
const UPDATE_VAR: &str = "ETCDLENS_UPDATE_REFERENCE";

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md")
}

/// The text between `<!-- generated: NAME -->` and the next end marker:
/// (start, end) byte offsets of what lies between them.
fn find(doc: &str, name: &str) -> Result<(usize, usize), String> {
    let open = format!("<!-- generated: {name} -->\n");
    let start = doc
        .find(&open)
        .map(|i| i + open.len())
        .ok_or_else(|| format!("docs/reference.md has no {open:?} marker"))?;
    let end = doc[start..]
        .find(END)
        .map(|i| start + i)
        .ok_or_else(|| format!("docs/reference.md: {open:?} has no {END:?} after it"))?;
    Ok((start, end))
}

#[test]
fn generated_parts_are_current() {
    let path = path();
    let mut doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let update = std::env::var_os(UPDATE_VAR).is_some_and(|v| !v.is_empty() && v != "0");
    let mut stale = Vec::new();
    for (name, generate) in etcdlens::reference::SECTIONS {
        let (start, end) = find(&doc, name).unwrap_or_else(|e| panic!("{e}"));
        let now = generate();
        if doc[start..end] != now {
            stale.push(*name);
            doc.replace_range(start..end, &now);
        }
    }
    if stale.is_empty() {
        return;
    }
    if update {
        std::fs::write(&path, &doc)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!(
            "rewrote the generated parts {stale:?} of {}",
            path.display()
        );
    } else {
        panic!(
            "docs/reference.md's generated parts {stale:?} differ from what the action table and the CLI definitions give now; \
             regenerate them with `{UPDATE_VAR}=1 cargo test --test unit reference` and review the diff"
        );
    }
}
