//! Listing the direct children of a directory without reading what lies
//! below them.
//!
//! Reads are keys-only range reads. When a key reveals a subdirectory
//! (`dir/a/...`), the rest of that subdirectory is skipped: the next read
//! starts just past the end of prefix `dir/a/`. A directory with ten
//! subdirectories therefore costs about ten small reads, however many keys
//! lie below them. The read size adapts: it grows while the reads return
//! direct children and shrinks after a skip.

use etcd_client::{GetOptions, KvClient};

use super::types::{Child, ChildPage};

const MIN_LIMIT: i64 = 16;
const MAX_LIMIT: i64 = 1000;

/// The first key after every key that starts with `prefix` (etcd's
/// "prefix end"). `None` when no such key exists (prefix of 0xff bytes or
/// empty): the range runs to the end of the keyspace.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(&last) = end.last() {
        if last < 0xff {
            *end.last_mut().expect("non-empty") += 1;
            return Some(end);
        }
        end.pop();
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Lists up to `want` direct children of `dir` (a full prefix, e.g. `/app/`
/// or `` for the whole keyspace), starting at `cursor` (the `next` of a
/// previous page) or at the beginning.
pub async fn list_children(
    kv: &mut KvClient,
    dir: &[u8],
    delimiter: &[u8],
    cursor: Option<Vec<u8>>,
    want: usize,
) -> Result<ChildPage, etcd_client::Error> {
    // etcd has no empty key: "\0" is the smallest, and a range end of "\0"
    // means "to the end of the keyspace".
    let end = prefix_end(dir).unwrap_or_else(|| vec![0]);
    let mut start = cursor.unwrap_or_else(|| dir.to_vec());
    if start.is_empty() {
        start = vec![0];
    }
    let mut page = ChildPage {
        children: Vec::new(),
        next: None,
        revision: 0,
        reads: 0,
    };
    let mut limit = MIN_LIMIT * 4;
    loop {
        if end != [0] && start >= end {
            return Ok(page);
        }
        let opts = GetOptions::new()
            .with_keys_only()
            .with_range(end.clone())
            .with_limit(limit);
        let resp = kv.get(start.clone(), Some(opts)).await?;
        page.reads += 1;
        if page.revision == 0 {
            page.revision = resp.header().map(|h| h.revision()).unwrap_or(0);
        }
        let kvs = resp.kvs();
        let mut skipping: Option<Vec<u8>> = None;
        for kv in kvs {
            let key = kv.key();
            if let Some(sub) = &skipping {
                if key.starts_with(sub) {
                    continue;
                }
                skipping = None;
            }
            if page.children.len() >= want {
                page.next = Some(key.to_vec());
                return Ok(page);
            }
            let rest = &key[dir.len()..];
            match find(rest, delimiter) {
                None => page.children.push(Child {
                    full: key.to_vec(),
                    is_dir: false,
                }),
                Some(i) => {
                    let sub = key[..dir.len() + i + delimiter.len()].to_vec();
                    page.children.push(Child {
                        full: sub.clone(),
                        is_dir: true,
                    });
                    skipping = Some(sub);
                }
            }
        }
        if !resp.more() {
            return Ok(page);
        }
        match skipping {
            Some(sub) => {
                // Jump past the whole subdirectory.
                match prefix_end(&sub) {
                    Some(next) => start = next,
                    None => return Ok(page),
                }
                limit = MIN_LIMIT;
            }
            None => {
                let last = kvs.last().map(|kv| kv.key().to_vec()).unwrap_or_default();
                start = last;
                start.push(0);
                limit = (limit * 4).min(MAX_LIMIT);
            }
        }
        if page.children.len() >= want {
            page.next = Some(start);
            return Ok(page);
        }
    }
}
