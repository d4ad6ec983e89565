//! Browsing as a user whose roles cover only part of what it asks for
//! (issue 25): the ranges of a directory its roles let it read, and the
//! rest. Listings, find, usage and export read the first and say the
//! second, instead of failing on the whole directory.
//!
//! etcd answers a user its own roles (`UserGet` of itself) and the
//! permissions of a role it holds (`RoleGet`), on every version of the
//! matrix: no root role is needed to know what one may read.

use std::collections::VecDeque;

use super::auth::{prefix_end, Perm};
use super::scan::{ScanPage, ScanStats, Scanner};
use super::{Connection, Error};
use crate::escape::escape_bytes;

/// Keys from `lo` up to `hi` (excluded); `hi` `None`: to the end of the
/// keyspace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyRange {
    pub lo: Vec<u8>,
    pub hi: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key under `prefix` (the whole keyspace for ``).
    pub fn prefix(prefix: &[u8]) -> KeyRange {
        KeyRange {
            // etcd's lowest key is "\0" (the empty key is none).
            lo: if prefix.is_empty() {
                vec![0]
            } else {
                prefix.to_vec()
            },
            hi: match prefix_end(prefix) {
                end if end == [0] => None,
                end => Some(end),
            },
        }
    }

    /// etcd's range end for it (`"\0"`: to the end).
    pub fn end(&self) -> Vec<u8> {
        self.hi.clone().unwrap_or_else(|| vec![0])
    }

    /// The prefix it is exactly, if it is one.
    pub fn as_prefix(&self) -> Option<&[u8]> {
        (KeyRange::prefix(&self.lo) == *self).then_some(&self.lo)
    }

    /// Whether `key` is in it.
    pub fn holds(&self, key: &[u8]) -> bool {
        key >= self.lo.as_slice() && self.hi.as_ref().is_none_or(|h| key < h.as_slice())
    }

    /// How the user reads it: `/app/*` (a prefix), `/app/x` (one key),
    /// `[/a, /b)`, `every key from /a`.
    pub fn words(&self) -> String {
        let lo = escape_bytes(&self.lo);
        let mut next = self.lo.clone();
        next.push(0);
        match &self.hi {
            _ if self.as_prefix().is_some() => format!("{lo}*"),
            Some(h) if *h == next => lo,
            Some(h) => format!("[{lo}, {})", escape_bytes(h)),
            None => format!("every key from {lo}"),
        }
    }

    fn of_perm(p: &Perm) -> KeyRange {
        let hi = if p.range_end.is_empty() {
            let mut next = p.key.clone();
            next.push(0);
            Some(next)
        } else if p.range_end == [0] {
            None
        } else {
            Some(p.range_end.clone())
        };
        KeyRange {
            lo: p.key.clone(),
            hi,
        }
    }
}

/// A directory (or any range) cut into what the user may read and what
/// it may not, both in key order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parts {
    pub readable: Vec<KeyRange>,
    pub denied: Vec<KeyRange>,
}

impl Parts {
    /// The whole of it is readable.
    pub fn whole(&self) -> bool {
        self.denied.is_empty()
    }

    /// One line saying what was left out: `skipped 2 ranges this user
    /// may not read: /secret/*, [/app/flags/, /app/flags0)` (at most three
    /// named).
    pub fn skipped(&self) -> Option<String> {
        let n = self.denied.len();
        if n == 0 {
            return None;
        }
        let mut named: Vec<String> = self.denied.iter().take(3).map(KeyRange::words).collect();
        if n > 3 {
            named.push(format!("… {} more", n - 3));
        }
        let what = if n == 1 { "range" } else { "ranges" };
        Some(format!(
            "skipped {n} {what} this user may not read: {}",
            named.join(", ")
        ))
    }
}

/// Cuts `want` by the read permissions `perms` (a role's `read` and
/// `readwrite` ones; others are ignored).
pub fn split(perms: &[Perm], want: &KeyRange) -> Parts {
    let mut ranges: Vec<KeyRange> = perms
        .iter()
        .filter(|p| p.kind.reads())
        .map(KeyRange::of_perm)
        .filter_map(|r| clip(&r, want))
        .collect();
    ranges.sort();
    // Union of overlapping or touching ranges.
    let mut readable: Vec<KeyRange> = Vec::new();
    for r in ranges {
        match readable.last_mut() {
            Some(last) if last.hi.as_ref().is_none_or(|h| r.lo <= *h) => {
                last.hi = max_end(&last.hi, &r.hi);
            }
            _ => readable.push(r),
        }
    }
    let mut denied = Vec::new();
    let mut at = want.lo.clone();
    for r in &readable {
        if r.lo > at {
            denied.push(KeyRange {
                lo: at.clone(),
                hi: Some(r.lo.clone()),
            });
        }
        match &r.hi {
            Some(h) => at = h.clone(),
            None => return Parts { readable, denied },
        }
    }
    if want.hi.as_ref().is_none_or(|h| at < *h) {
        denied.push(KeyRange {
            lo: at,
            hi: want.hi.clone(),
        });
    }
    Parts { readable, denied }
}

/// `r` within `want`, if they meet.
fn clip(r: &KeyRange, want: &KeyRange) -> Option<KeyRange> {
    let lo = r.lo.clone().max(want.lo.clone());
    let hi = match (&r.hi, &want.hi) {
        (None, h) | (h, None) => h.clone(),
        (Some(a), Some(b)) => Some(a.clone().min(b.clone())),
    };
    hi.as_ref()
        .is_none_or(|h| lo < *h)
        .then_some(KeyRange { lo, hi })
}

fn max_end(a: &Option<Vec<u8>>, b: &Option<Vec<u8>>) -> Option<Vec<u8>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.clone().max(b.clone())),
        _ => None,
    }
}

/// The read permissions of the connected user's roles, as etcd tells the
/// user itself. `None`: everything (the `root` role) or nothing to ask
/// (no user: auth off or a client certificate's name we cannot ask for).
pub async fn my_read_perms(conn: &Connection) -> Result<Option<Vec<Perm>>, Error> {
    let Some((user, _)) = &conn.settings.user else {
        return Ok(None);
    };
    let mut c = conn.client.clone();
    let me = c
        .user_get(user.clone())
        .await
        .map_err(|e| Error::from(&e))?;
    if me.roles().iter().any(|r| r == "root") {
        return Ok(None);
    }
    let mut perms = Vec::new();
    for role in me.roles() {
        let got = c
            .role_get(role.clone())
            .await
            .map_err(|e| Error::from(&e))?;
        perms.extend(got.permissions().iter().map(Perm::from_etcd));
    }
    Ok(Some(perms))
}

/// `want` cut by what the connected user may read; `Ok(None)` when that
/// cannot be known (see [`my_read_perms`]): the caller keeps etcd's
/// refusal.
pub async fn parts(conn: &Connection, want: &KeyRange) -> Result<Option<Parts>, Error> {
    Ok(my_read_perms(conn).await?.map(|perms| split(&perms, want)))
}

/// Keys read at once while listing a part.
const BATCH: i64 = 64;

/// Lists the direct children of `dir` the user may read, part by part
/// (`parts.readable`, already within `dir`): a key's row, or a
/// subdirectory's found by its first readable key and passed over at
/// once (one read per subdirectory, [`BATCH`] keys per read among keys).
/// Every read is pinned to the first one's revision (or to `revision`).
/// Subdirectories come without counts: their keys may be denied in part.
pub async fn list_readable(
    kv: etcd_client::KvClient,
    dir: &[u8],
    delimiter: &[u8],
    parts: &Parts,
    mut revision: i64,
) -> Result<super::types::ChildPage, Error> {
    use super::types::{Child, ChildPage};
    let mut page = ChildPage {
        partly_denied: true,
        ..ChildPage::default()
    };
    for part in &parts.readable {
        let mut cursor = part.lo.clone();
        loop {
            let mut opts = etcd_client::GetOptions::new()
                .with_keys_only()
                .with_range(part.end())
                .with_limit(BATCH);
            if revision > 0 {
                opts = opts.with_revision(revision);
            }
            let resp = super::retry_read(|| {
                let (mut kv, from, opts) = (kv.clone(), cursor.clone(), opts.clone());
                async move { kv.get(from, Some(opts)).await }
            })
            .await?;
            page.reads += 1;
            page.work += resp.count().max(0) as u64;
            if revision == 0 {
                revision = resp.header().map_or(0, |h| h.revision());
                page.revision = revision;
            }
            let kvs = resp.kvs();
            let mut next = None;
            for kv in kvs {
                let key = kv.key();
                if next.as_ref().is_some_and(|n: &Vec<u8>| key < n.as_slice()) {
                    continue; // in the subdirectory just found
                }
                let rest = key.get(dir.len()..).unwrap_or(&[]);
                match super::lister::find(rest, delimiter) {
                    Some(i) => {
                        let full = key[..dir.len() + i + delimiter.len()].to_vec();
                        next = Some(prefix_end(&full));
                        page.children.push(Child { full, is_dir: true });
                    }
                    None => {
                        let mut after = key.to_vec();
                        after.push(0);
                        next = Some(after);
                        page.children.push(Child {
                            full: key.to_vec(),
                            is_dir: false,
                        });
                    }
                }
            }
            // Done with the part: no more keys, or past its end (or the
            // keyspace's: a subdirectory's end "\0").
            let past = |n: &Vec<u8>| n == &[0] || part.hi.as_ref().is_some_and(|h| n >= h);
            match next {
                Some(n) if resp.more() && !past(&n) => cursor = n,
                _ => break,
            }
        }
    }
    page.children.sort_by(|a, b| a.full.cmp(&b.full));
    page.children.dedup();
    Ok(page)
}

/// A scan of a prefix (see [`super::scan::Scanner`]) that, when etcd
/// refuses the prefix as a whole, goes on over the parts the user may
/// read, at the revision the first part was read at, and says what it
/// skipped ([`ReadableScanner::skipped`]).
pub struct ReadableScanner {
    conn: Connection,
    prefix: Vec<u8>,
    values: bool,
    current: Scanner,
    rest: VecDeque<KeyRange>,
    /// The counters of the parts done.
    before: ScanStats,
    /// The parts were asked for (once).
    split: bool,
    skipped: Option<String>,
}

impl ReadableScanner {
    pub fn new(conn: &Connection, prefix: &[u8], values: bool) -> ReadableScanner {
        ReadableScanner {
            conn: conn.clone(),
            prefix: prefix.to_vec(),
            values,
            current: Scanner::new(conn.kv(), prefix, values),
            rest: VecDeque::new(),
            before: ScanStats::default(),
            split: false,
            skipped: None,
        }
    }

    /// What was left out, once the scan went over parts.
    pub fn skipped(&self) -> Option<String> {
        self.skipped.clone()
    }

    /// The counters of every part so far (the revision of the first).
    pub fn stats(&self) -> ScanStats {
        let now = self.current.stats();
        let b = self.before;
        ScanStats {
            total: b.total + now.total,
            scanned: b.scanned + now.scanned,
            revision: if b.revision > 0 {
                b.revision
            } else {
                now.revision
            },
            reads: b.reads + now.reads,
            work: b.work + now.work,
        }
    }

    /// The next page, as [`Scanner::next`].
    pub async fn next(&mut self) -> Option<Result<ScanPage, Error>> {
        loop {
            match self.current.next().await {
                Some(Err(e)) if e.is_permission_denied() && !self.split => {
                    self.split = true;
                    let want = KeyRange::prefix(&self.prefix);
                    let parts = match parts(&self.conn, &want).await {
                        Ok(Some(p)) if !p.readable.is_empty() && !p.whole() => p,
                        _ => return Some(Err(e)),
                    };
                    self.skipped = parts.skipped();
                    self.rest = parts.readable.into();
                    // The refused read counts for nothing.
                    self.current = Scanner::new(self.conn.kv(), &self.prefix, self.values);
                }
                None => {}
                page => return page,
            }
            let part = self.rest.pop_front()?;
            self.before = self.stats();
            self.current = Scanner::range(
                self.conn.kv(),
                &part.lo,
                part.hi.as_deref(),
                self.values,
                self.before.revision,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::auth::PermKind;

    fn perm(kind: PermKind, key: &str, end: &str) -> Perm {
        Perm {
            kind,
            key: key.into(),
            range_end: end.into(),
        }
    }

    fn words(rs: &[KeyRange]) -> Vec<String> {
        rs.iter().map(KeyRange::words).collect()
    }

    #[test]
    fn a_directory_is_cut_by_read_permissions_only() {
        let perms = [
            perm(PermKind::Read, "/a/", "/a0"),
            perm(PermKind::ReadWrite, "/a/x/", "/a/x0"), // inside /a/*
            perm(PermKind::Write, "/b/", "/b0"),         // write only
            perm(PermKind::Read, "/c/k", ""),            // one key
            perm(PermKind::Read, "/q", "1"),             // a range past the end
        ];
        let p = split(&perms, &KeyRange::prefix(b"/"));
        assert_eq!(words(&p.readable), ["/a/*", "/c/k", "[/q, 0)"]);
        assert_eq!(
            words(&p.denied),
            ["[/, /a/)", "[/a0, /c/k)", "[/c/k\\x00, /q)"]
        );
        assert!(!p.whole());
        assert_eq!(
            p.skipped().unwrap(),
            "skipped 3 ranges this user may not read: [/, /a/), [/a0, /c/k), [/c/k\\x00, /q)"
        );
    }

    #[test]
    fn touching_ranges_join_and_a_covered_directory_is_whole() {
        let perms = [
            perm(PermKind::Read, "/a/", "/a/m"),
            perm(PermKind::Read, "/a/m", "/a0"),
        ];
        let p = split(&perms, &KeyRange::prefix(b"/a/"));
        assert_eq!(words(&p.readable), ["/a/*"]);
        assert!(p.whole() && p.skipped().is_none());
        // Every key from /a/ onwards covers /a/ and the whole rest.
        let p = split(&[perm(PermKind::Read, "/a/", "\0")], &KeyRange::prefix(b""));
        assert_eq!(words(&p.readable), ["every key from /a/"]);
        assert_eq!(words(&p.denied), ["[\\x00, /a/)"]);
        // Nothing readable: one denied range, the whole of it.
        let p = split(&[], &KeyRange::prefix(b"/s/"));
        assert!(p.readable.is_empty());
        assert_eq!(words(&p.denied), ["/s/*"]);
    }
}
