//! Listing the direct children of a directory without reading what lies
//! below them.
//!
//! Reads are keys-only range reads. When a key reveals a subdirectory
//! (`dir/a/...`), the rest of that subdirectory is skipped: the next read
//! starts just past the end of prefix `dir/a/`. A directory with ten
//! subdirectories therefore costs about ten small reads, however many keys
//! lie below them — in round trips. (On etcd 3.4 each read still costs the
//! server a walk over every key in its range, whatever the limit; the keys
//! passed over are kept as "seeds" so opening that subdirectory next does
//! not walk its range again.) Reads ask for 1,000 keys, 64 after a skip.

use etcd_client::{GetOptions, KvClient};

use super::types::{Child, ChildPage};

const SKIP_LIMIT: i64 = 64;
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

/// Keys remembered per subdirectory from reads that passed through it.
const SEED_KEYS: usize = 64;
/// Seed keys kept per page in all.
const SEED_TOTAL: usize = 4096;

/// Lists up to `want` direct children of `dir` (a full prefix, e.g. `/app/`
/// or `` for the whole keyspace), starting at `cursor` (the `next` of a
/// previous page) or at the beginning.
///
/// `seed` is a run of keys already known to be the first keys of `dir`, in
/// order and without holes (from an earlier page's `seeds`): they are used
/// instead of reading them again. On etcd 3.4 a range read costs the server
/// a walk over every key in the range whatever the limit, so not reading
/// a big directory's range twice matters.
pub async fn list_children(
    kv: &mut KvClient,
    dir: &[u8],
    delimiter: &[u8],
    cursor: Option<Vec<u8>>,
    want: usize,
    seed: Vec<Vec<u8>>,
) -> Result<ChildPage, etcd_client::Error> {
    // etcd has no empty key: "\0" is the smallest, and a range end of "\0"
    // means "to the end of the keyspace".
    let end = prefix_end(dir).unwrap_or_else(|| vec![0]);
    let mut scan = Scan {
        dir,
        delimiter,
        want,
        page: ChildPage {
            children: Vec::new(),
            next: None,
            revision: 0,
            reads: 0,
            seeds: Vec::new(),
        },
        skipping: None,
        seed_total: 0,
    };
    let mut start = match cursor {
        Some(c) => c,
        None if !seed.is_empty() => {
            for key in &seed {
                if let Some(next) = scan.key(key) {
                    scan.page.next = Some(next);
                    return Ok(scan.page);
                }
            }
            match scan.resume_after(seed.last().expect("not empty")) {
                Some(next) => next,
                None => return Ok(scan.page),
            }
        }
        None => dir.to_vec(),
    };
    if start.is_empty() {
        start = vec![0];
    }
    let mut limit = MAX_LIMIT;
    loop {
        if end != [0] && start >= end {
            return Ok(scan.page);
        }
        if scan.page.children.len() >= want {
            scan.page.next = Some(start);
            return Ok(scan.page);
        }
        let opts = GetOptions::new()
            .with_keys_only()
            .with_range(end.clone())
            .with_limit(limit);
        let resp = super::retry_unsent(|| {
            let mut kv = kv.clone();
            let (start, opts) = (start.clone(), opts.clone());
            async move { kv.get(start, Some(opts)).await }
        })
        .await?;
        scan.page.reads += 1;
        if scan.page.revision == 0 {
            scan.page.revision = resp.header().map(|h| h.revision()).unwrap_or(0);
        }
        let kvs = resp.kvs();
        for kv in kvs {
            if let Some(next) = scan.key(kv.key()) {
                scan.page.next = Some(next);
                return Ok(scan.page);
            }
        }
        let Some(last) = kvs.last() else {
            return Ok(scan.page);
        };
        if !resp.more() {
            return Ok(scan.page);
        }
        // After jumping past a subdirectory, where the next child starts is
        // unknown: read less. While reads return direct children, read more.
        limit = if scan.skipping.is_some() {
            SKIP_LIMIT
        } else {
            MAX_LIMIT
        };
        match scan.resume_after(last.key()) {
            Some(next) => start = next,
            None => return Ok(scan.page),
        }
    }
}

/// The state of one listing as keys go by.
struct Scan<'a> {
    dir: &'a [u8],
    delimiter: &'a [u8],
    want: usize,
    page: ChildPage,
    /// The subdirectory whose keys are being passed over.
    skipping: Option<Vec<u8>>,
    seed_total: usize,
}

impl Scan<'_> {
    /// Takes the next key in order; `Some(key)` when the page is full and
    /// the next page must start at this key.
    fn key(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        if let Some(sub) = &self.skipping {
            if key.starts_with(sub) {
                self.remember(key);
                return None;
            }
            self.skipping = None;
        }
        if self.page.children.len() >= self.want {
            return Some(key.to_vec());
        }
        let rest = &key[self.dir.len()..];
        match find(rest, self.delimiter) {
            None => self.page.children.push(Child {
                full: key.to_vec(),
                is_dir: false,
            }),
            Some(i) => {
                let sub = key[..self.dir.len() + i + self.delimiter.len()].to_vec();
                self.page.children.push(Child {
                    full: sub.clone(),
                    is_dir: true,
                });
                self.page.seeds.push((sub.clone(), Vec::new()));
                self.skipping = Some(sub);
                self.remember(key);
            }
        }
        None
    }

    /// Keeps a key of the subdirectory being skipped as its seed.
    fn remember(&mut self, key: &[u8]) {
        if self.seed_total >= SEED_TOTAL {
            return;
        }
        if let Some((_, keys)) = self.page.seeds.last_mut() {
            if keys.len() < SEED_KEYS {
                keys.push(key.to_vec());
                self.seed_total += 1;
            }
        }
    }

    /// Where reading goes on after `last`: past the subdirectory being
    /// skipped, or just after `last`. `None`: nothing can follow.
    fn resume_after(&self, last: &[u8]) -> Option<Vec<u8>> {
        match &self.skipping {
            Some(sub) => prefix_end(sub),
            None => {
                let mut next = last.to_vec();
                next.push(0);
                Some(next)
            }
        }
    }
}
