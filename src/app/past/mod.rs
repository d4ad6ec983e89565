//! The tree as it was at a past revision (`:rev N`, `:rev -N`, `:rev now`):
//! the listing, the counts and the values are read at that revision, the
//! live watch no longer moves the tree, and writes are refused. The
//! revision itself lives in the tree (`Tree::at`), which every read asks.

pub mod update;

use crate::etcd::revision::{RevisionError, RevisionSpec};

/// Why etcd cannot read a revision, in one line.
pub fn describe(e: &RevisionError) -> String {
    match e {
        RevisionError::Compacted { revision, oldest } => {
            format!("revision {revision} is compacted; the oldest available is {oldest}")
        }
        RevisionError::Future { revision, current } => {
            format!("revision {revision} does not exist yet; the newest is {current}")
        }
        RevisionError::Other(e) => e.clone(),
    }
}

/// A listing that failed because the past revision the tree is at was
/// compacted since: reading it again (`r`) cannot help, only coming back
/// to the present can. `None` for any other failure.
pub fn compacted_since(at: Option<i64>, error: &str) -> Option<String> {
    at.filter(|_| error.contains("compacted")).map(|revision| {
        format!("revision {revision} was compacted since: :rev now comes back to the present")
    })
}

/// Reads a revision as typed: `N`, `-N` (N revisions ago) or `now`.
pub fn parse_spec(text: &str) -> Result<RevisionSpec, String> {
    let t = text.trim().replace([',', '_'], "");
    if t == "now" {
        return Ok(RevisionSpec::Now);
    }
    let (ago, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.as_str()),
    };
    match digits.parse::<i64>() {
        Ok(n) if n >= 0 && ago => Ok(RevisionSpec::Ago(n)),
        Ok(n) if n > 0 => Ok(RevisionSpec::At(n)),
        _ => Err(format!(
            "not a revision: {} (N, -N for N revisions ago, or now)",
            crate::escape::escape_str(text)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_as_typed() {
        assert_eq!(parse_spec("1200"), Ok(RevisionSpec::At(1200)));
        assert_eq!(parse_spec("1,200"), Ok(RevisionSpec::At(1200)));
        assert_eq!(parse_spec("-50"), Ok(RevisionSpec::Ago(50)));
        assert_eq!(parse_spec(" now "), Ok(RevisionSpec::Now));
        assert!(parse_spec("0").is_err());
        assert!(parse_spec("yesterday")
            .unwrap_err()
            .contains("not a revision"));
    }
}
