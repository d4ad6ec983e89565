//! Reading every key under a prefix as a stream of bounded pages, pinned
//! to one revision, while keeping etcd's own work near the prefix's key
//! count.
//!
//! etcd walks every key between a read's start and its range end whatever
//! its limit, so paging with `[after last key, end)` and a limit costs
//! N²/page. Here each read covers a *window* `[lo, hi)` whose end is
//! chosen so that it holds about [`TARGET`] keys: keys are seen as
//! fractions (the bytes after the prefix, base 256), and the width of the
//! next window is the width of the last one scaled by how many keys it
//! held (a window that held few keys is widened, one that held many is
//! narrowed, at most 4× per step; while windows come back empty they are
//! issued one at a time). A window's read asks for 4× the target, so a
//! density that changes by less than that costs nothing extra. A window
//! that holds more than its limit returns its first keys; the rest of it
//! (after its last key, to its end) becomes a lane of its own, scanned the
//! same way from the density its keys showed (from its first key to its
//! last), and the lane that made it narrows to that density too.
//!
//! What this cannot avoid: the window that first crosses a wide gap into
//! dense keys (from `app00/…` to `app01/…`) holds all the keys it reaches
//! (it is walked whole, its first keys returned). On 1M keys in 10 apps ×
//! 100 services that is about one app per app gap: the server's work is
//! about 3.7× the key count (1× of it the first read's count).
//!
//! The first read covers the whole prefix with a limit: its `count` is the
//! total (for the progress line) and its keys the first window; it is the
//! one read that walks every key (the sum of the replies' `count` is the
//! server's work).
//!
//! Windows are read ahead, several at once ([`AHEAD`] per lane, at most
//! [`IN_FLIGHT`] in all), all at the first read's revision. Pages come back
//! in any order; dropping the [`Scanner`] drops its reads in flight and
//! makes no more.

use std::collections::VecDeque;

use etcd_client::{GetOptions, GetResponse, KvClient};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::Future;
use std::pin::Pin;

use super::lister::prefix_end;

/// Keys a window aims to hold (keys only).
pub const TARGET: u64 = 2048;
/// Bytes of keys and values a window aims to hold when values are read.
const TARGET_BYTES: u64 = 1 << 20;
/// Windows in flight per lane.
const AHEAD: usize = 4;
/// Reads in flight per scan.
const IN_FLIGHT: usize = 8;
/// How much a window may widen (an empty one) or narrow per step.
const GROW: u64 = 4;
/// Longest fraction kept (bytes): spans finer than this are rounded up.
const MAX_FRAC: usize = 512;

/// One key (and its value when asked for) as the scan read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanKv {
    pub key: Vec<u8>,
    /// Empty when values were not asked for.
    pub value: Vec<u8>,
    pub mod_revision: i64,
    /// The key's lease; `None` when values were not asked for: etcd 3.7
    /// answers keys-only reads from its index with lease 0 (etcd #22209),
    /// so a keys-only reply never says which lease a key is on.
    pub lease: Option<i64>,
}

/// One reply's keys.
#[derive(Debug, Default)]
pub struct ScanPage {
    pub kvs: Vec<ScanKv>,
}

/// Where a scan stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Keys under the prefix at `revision` (from the first read's count).
    pub total: u64,
    /// Keys delivered so far.
    pub scanned: u64,
    /// The revision every read is pinned to.
    pub revision: i64,
    /// Range reads made.
    pub reads: u64,
    /// Keys etcd walked (sum of the replies' `count`).
    pub work: u64,
}

type Read = Pin<Box<dyn Future<Output = (Window, Result<GetResponse, crate::etcd::Error>)> + Send>>;

/// A range being read, for lane `lane`.
#[derive(Debug, Clone)]
struct Window {
    lane: usize,
    lo: Vec<u8>,
    /// `None`: to the end of the keyspace.
    hi: Option<Vec<u8>>,
    limit: i64,
}

/// A run of the keyspace read window after window.
#[derive(Debug)]
struct Lane {
    cursor: Vec<u8>,
    end: Option<Vec<u8>>,
    /// Width of the next window (a fraction of the prefix's key space).
    span: Vec<u8>,
    in_flight: usize,
    /// Every window up to `end` has been issued.
    issued: bool,
    /// The last window held no key: windows grow one at a time (not read
    /// ahead, which would cross into dense keys with a wide span).
    gap: bool,
}

/// A scan of every key under a prefix. Call [`Scanner::next`] until it
/// returns `None`.
pub struct Scanner {
    kv: KvClient,
    /// Where fractions are counted from: the scanned prefix (for a range,
    /// the bytes its two ends share).
    prefix: Vec<u8>,
    /// The first key read.
    start: Vec<u8>,
    /// The revision every read is pinned to (0: the first read's).
    at: i64,
    end: Option<Vec<u8>>,
    values: bool,
    target: u64,
    lanes: Vec<Lane>,
    reads: FuturesUnordered<Read>,
    stats: ScanStats,
    started: bool,
    ready: VecDeque<ScanPage>,
}

impl Scanner {
    /// A scan of `prefix` (every key starting with it), keys only unless
    /// `values`. Nothing is read before the first [`Scanner::next`].
    pub fn new(kv: KvClient, prefix: &[u8], values: bool) -> Self {
        Scanner {
            kv,
            prefix: prefix.to_vec(),
            // etcd wants a key: the whole keyspace starts at \0.
            start: if prefix.is_empty() {
                vec![0]
            } else {
                prefix.to_vec()
            },
            at: 0,
            end: prefix_end(prefix),
            values,
            target: TARGET,
            lanes: Vec::new(),
            reads: FuturesUnordered::new(),
            stats: ScanStats::default(),
            started: false,
            ready: VecDeque::new(),
        }
    }

    /// A scan of the keys from `lo` up to `hi` (excluded; `None`: to the
    /// end of the keyspace), read at revision `at` (0: now).
    pub fn range(kv: KvClient, lo: &[u8], hi: Option<&[u8]>, values: bool, at: i64) -> Self {
        let shared = match hi {
            Some(hi) => lo.iter().zip(hi).take_while(|(a, b)| a == b).count(),
            None => 0,
        };
        let mut s = Scanner::new(kv, &lo[..shared], values);
        s.start = lo.to_vec();
        s.end = hi.map(<[u8]>::to_vec);
        s.at = at;
        s
    }

    pub fn stats(&self) -> ScanStats {
        self.stats
    }

    /// The next page of keys (in no particular order between pages), or
    /// `None` when every key was delivered.
    pub async fn next(&mut self) -> Option<Result<ScanPage, crate::etcd::Error>> {
        if !self.started {
            self.started = true;
            if let Err(e) = self.first().await {
                return Some(Err(e));
            }
        }
        loop {
            if let Some(page) = self.ready.pop_front() {
                return Some(Ok(page));
            }
            self.issue();
            let (window, result) = self.reads.next().await?;
            match result {
                Ok(resp) => self.take(window, resp),
                Err(e) => {
                    // Nothing more after an error.
                    self.reads = FuturesUnordered::new();
                    self.lanes.clear();
                    return Some(Err(e));
                }
            }
        }
    }

    /// The first read: the whole range with a limit; its count is the
    /// total, its revision the one every later read uses.
    async fn first(&mut self) -> Result<(), crate::etcd::Error> {
        let limit = if self.values { 256 } else { self.target as i64 };
        let window = Window {
            lane: usize::MAX,
            lo: self.start.clone(),
            hi: self.end.clone(),
            limit,
        };
        let (window, resp) = read(self.kv.clone(), window, self.values, self.at).await;
        let resp = resp?;
        self.stats.revision = match self.at {
            0 => resp.header().map(|h| h.revision()).unwrap_or(0),
            at => at,
        };
        self.stats.total = resp.count().max(0) as u64;
        if self.values {
            // Aim at a number of bytes per window.
            let bytes: u64 = resp
                .kvs()
                .iter()
                .map(|kv| (kv.key().len() + kv.value().len()) as u64)
                .sum();
            let n = resp.kvs().len().max(1) as u64;
            self.target = (TARGET_BYTES / (bytes / n).max(1)).clamp(16, TARGET);
        }
        self.take(window, resp);
        Ok(())
    }

    /// Takes a reply: its keys become a page; a window that held more than
    /// its limit leaves a lane for the rest; the lane's next windows are
    /// sized from what this one held.
    fn take(&mut self, window: Window, resp: GetResponse) {
        self.stats.reads += 1;
        let count = resp.count().max(0) as u64;
        self.stats.work += count;
        let kvs = resp.kvs();
        let n = kvs.len() as u64;
        self.stats.scanned += n;
        if let Some(lane) = self.lanes.get_mut(window.lane) {
            lane.in_flight -= 1;
        }
        let lo_frac = self.frac(&window.lo).to_vec();
        if count > n && n > 0 {
            // The rest of this window: a lane of its own, sized from the
            // density of the keys just read (from the first to the last:
            // the window may start in a gap).
            let last = kvs[kvs.len() - 1].key();
            let first = kvs[0].key();
            let width = if n > 1 {
                frac_sub(self.frac(last), self.frac(first))
            } else {
                frac_sub(self.frac(last), &lo_frac)
            };
            let span = nonzero(frac_scale(&width, self.target, (n - 1).max(1)));
            // The lane that made this window goes on from its end: dense
            // keys likely go on there too.
            if let Some(lane) = self.lanes.get_mut(window.lane) {
                if frac_cmp(&span, &lane.span).is_lt() {
                    lane.span = span.clone();
                }
                lane.gap = false;
            }
            let mut cursor = last.to_vec();
            cursor.push(0);
            self.lanes.push(Lane {
                cursor,
                end: window.hi.clone(),
                span,
                in_flight: 0,
                issued: false,
                gap: false,
            });
        } else if let Some(lane) = self.lanes.get_mut(window.lane) {
            // A whole window: the next ones hold about `target` keys.
            let hi_frac = match &window.hi {
                Some(hi) if hi.starts_with(&self.prefix) => hi[self.prefix.len()..].to_vec(),
                _ => vec![0xff; 8],
            };
            let width = frac_sub(&hi_frac, &lo_frac);
            let scaled = frac_scale(&width, self.target, n.max(1));
            let grown = frac_scale(&width, GROW, 1);
            let shrunk = frac_scale(&width, 1, GROW);
            let span = if n == 0 || frac_cmp(&scaled, &grown).is_gt() {
                grown
            } else if frac_cmp(&scaled, &shrunk).is_lt() {
                shrunk
            } else {
                scaled
            };
            lane.span = nonzero(span);
            lane.gap = n == 0;
        }
        if n > 0 {
            let values = self.values;
            self.ready.push_back(ScanPage {
                kvs: kvs
                    .iter()
                    .map(|kv| ScanKv {
                        key: kv.key().to_vec(),
                        value: if values {
                            kv.value().to_vec()
                        } else {
                            Vec::new()
                        },
                        mod_revision: kv.mod_revision(),
                        lease: values.then(|| kv.lease()),
                    })
                    .collect(),
            });
        }
    }

    /// The bytes of `key` after the prefix (its fraction).
    fn frac<'k>(&self, key: &'k [u8]) -> &'k [u8] {
        key.get(self.prefix.len()..).unwrap_or(&[])
    }

    /// Issues windows while reads may be added.
    fn issue(&mut self) {
        let limit = (self.target * 4) as i64;
        let mut i = 0;
        while self.reads.len() < IN_FLIGHT && i < self.lanes.len() {
            let lane = &mut self.lanes[i];
            let ahead = if lane.gap { 1 } else { AHEAD };
            if lane.issued || lane.in_flight >= ahead {
                i += 1;
                continue;
            }
            let lo = lane.cursor.clone();
            let lo_frac = lo.get(self.prefix.len()..).unwrap_or(&[]);
            let hi = match frac_add(lo_frac, &lane.span) {
                Some(sum) => {
                    let mut k = self.prefix.clone();
                    k.extend_from_slice(&sum);
                    match &lane.end {
                        Some(end) if &k >= end => None,
                        _ => Some(k),
                    }
                }
                None => None,
            };
            let hi = match hi {
                Some(h) => h,
                None => {
                    lane.issued = true;
                    match lane.end.clone() {
                        Some(e) => e,
                        None => vec![0],
                    }
                }
            };
            if hi <= lo && hi != [0] {
                lane.issued = true;
                continue;
            }
            lane.cursor = hi.clone();
            lane.in_flight += 1;
            let hi = if hi == [0] { None } else { Some(hi) };
            let window = Window {
                lane: i,
                lo,
                hi,
                limit,
            };
            self.reads.push(Box::pin(read(
                self.kv.clone(),
                window,
                self.values,
                self.stats.revision,
            )));
        }
    }
}

/// Reads one window at `revision` (0: the current one).
async fn read(
    kv: KvClient,
    window: Window,
    values: bool,
    revision: i64,
) -> (Window, Result<GetResponse, crate::etcd::Error>) {
    let mut opts = GetOptions::new()
        .with_range(window.hi.clone().unwrap_or_else(|| vec![0]))
        .with_limit(window.limit);
    if !values {
        opts = opts.with_keys_only();
    }
    if revision > 0 {
        // Pinned: any member that applied it answers exactly.
        opts = opts.with_revision(revision);
        let serializable = opts.clone().with_serializable();
        let got = super::retry_read(|| {
            let mut kv = kv.clone();
            let (lo, opts) = (window.lo.clone(), serializable.clone());
            async move { kv.get(lo, Some(opts)).await }
        })
        .await;
        match got {
            // A member behind that revision: ask for a linearizable read.
            Err(e) if e.is_future_revision() => {}
            other => return (window, other),
        }
    }
    let got = super::retry_read(|| {
        let mut kv = kv.clone();
        let (lo, opts) = (window.lo.clone(), opts.clone());
        async move { kv.get(lo, Some(opts)).await }
    })
    .await;
    (window, got)
}

/// A span is never zero (the window would not move).
fn nonzero(mut span: Vec<u8>) -> Vec<u8> {
    if span.iter().all(|&b| b == 0) {
        span.truncate(MAX_FRAC - 1);
        span.resize(MAX_FRAC, 0);
        span[MAX_FRAC - 1] = 1;
    }
    span
}

/// Compares two fractions (trailing zeros do not count).
fn frac_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

/// `a + b`, or `None` when it reaches 1 (past every key of the prefix).
fn frac_add(a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    let n = a.len().max(b.len());
    let mut out = vec![0u8; n];
    let mut carry = 0u16;
    for i in (0..n).rev() {
        let s =
            a.get(i).copied().unwrap_or(0) as u16 + b.get(i).copied().unwrap_or(0) as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    if carry > 0 {
        return None;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Some(out)
}

/// `a - b` (0 when `b ≥ a`).
fn frac_sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    if frac_cmp(a, b).is_le() {
        return Vec::new();
    }
    let n = a.len().max(b.len());
    let mut out = vec![0u8; n];
    let mut borrow = 0i16;
    for i in (0..n).rev() {
        let mut d =
            a.get(i).copied().unwrap_or(0) as i16 - b.get(i).copied().unwrap_or(0) as i16 - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

/// `a × num / den`, capped just below 1, at most [`MAX_FRAC`] bytes.
fn frac_scale(a: &[u8], num: u64, den: u64) -> Vec<u8> {
    let den = den.max(1) as u128;
    let num = num as u128;
    // Multiply (the integer part lands in `int`).
    let mut digits: Vec<u8> = a.iter().copied().take(MAX_FRAC).collect();
    digits.extend_from_slice(&[0; 8]);
    let mut carry: u128 = 0;
    for d in digits.iter_mut().rev() {
        let p = *d as u128 * num + carry;
        *d = p as u8;
        carry = p >> 8;
    }
    let int = carry;
    // Divide, starting with the integer part.
    let mut rem = int % den;
    if int / den > 0 {
        return vec![0xff; 8];
    }
    for d in digits.iter_mut() {
        let cur = (rem << 8) | *d as u128;
        *d = (cur / den) as u8;
        rem = cur % den;
    }
    digits.truncate(MAX_FRAC);
    while digits.last() == Some(&0) {
        digits.pop();
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions() {
        assert_eq!(frac_add(&[0x10], &[0x01, 0x80]), Some(vec![0x11, 0x80]));
        assert_eq!(frac_add(&[0xff], &[0x01]), None);
        assert_eq!(frac_add(&[0x00, 0xff], &[0x00, 0x01]), Some(vec![0x01]));
        assert_eq!(frac_sub(&[0x11, 0x80], &[0x10]), vec![0x01, 0x80]);
        assert_eq!(frac_sub(&[0x10], &[0x11]), Vec::<u8>::new());
        assert_eq!(frac_scale(&[0x10], 2, 1), vec![0x20]);
        assert_eq!(frac_scale(&[0x10], 1, 2), vec![0x08]);
        assert_eq!(frac_scale(&[0x01], 1, 2), vec![0x00, 0x80]);
        assert_eq!(frac_scale(&[0x80], 4, 1), vec![0xff; 8]);
        assert!(frac_cmp(&[1, 0, 0], &[1]).is_eq());
        assert!(frac_cmp(&[1, 0, 1], &[1]).is_gt());
    }
}
