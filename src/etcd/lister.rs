//! Listing the direct children of a directory while keeping etcd's own work
//! close to the directory's key count.
//!
//! etcd walks every key between a range read's start and its range end,
//! whatever its limit (it counts them for the reply's `count`). So the cost
//! of a read is set by the range asked for, and this lister never asks for
//! more than it must:
//!
//! - The first page of a directory that may be big (its key count is
//!   unknown, or above [`FAN_OUT_FROM`]) is read as one range per first
//!   byte of its children's names (`0`–`9`, `a`–`z` one by one, the rest
//!   in three ranges), concurrently, after a one-key read that fixes the
//!   revision: the small ranges answer at once (the first rows), and no
//!   read walks the whole directory. Where reads in transactions are cheap
//!   (every release measured), each letter's range is split again per
//!   second byte, and that letter's ranges go as one transaction: etcd
//!   walks them one after the other, as it would the letter's one range,
//!   and answers per two bytes, so `endpointslices/` and `events/` are
//!   counted in one walk instead of two (`/registry/`: 1.36 × its keys
//!   walked instead of 2.19; not where the first keys, known from the
//!   parent's listing, say the children are keys: a flat directory's first
//!   page is then one range's first 1,000 keys). A directory known to be
//!   small, and every later page, starts with one read from the page's
//!   cursor.
//! - Each read has a limit. Its keys give the first children of its range;
//!   `count` says how many keys the range holds.
//! - When more keys remain, the rest of the range is split where keys can
//!   diverge from the last child seen (`app00/`): one piece per byte of its
//!   path (`app00` + a byte after `/`, `app0` + a byte after `0`, `app` +
//!   a byte after `0`, …). A piece holding another child begins with it, so
//!   its read finds that child at once. When the remainder is big (more
//!   than 4,000 keys), the pieces where siblings usually diverge — the
//!   range's own level (first letters of `configmaps`, `events`, …: `0`–`z`
//!   one by one, then the rest), the byte after a separator inside the name
//!   (`team-…`, `kube-…`) and the last two digits of a numbered name
//!   (`app01` … `app09`, digits only) — are split further into one range
//!   per byte, so
//!   siblings land in separate reads instead of being walked again and
//!   again (the skip-scan's C/2 × N). Neighbouring pieces that are not
//!   split per byte are one range (names rarely diverge mid-word, and each
//!   empty range would cost a read), and so is what follows a child's
//!   name (`app01` + a byte after `/`: only a name extending `app01` could
//!   be there). A remainder of at most 8,192 keys is one read that brings
//!   them all.
//! - Independent ranges are read concurrently under a global cap
//!   ([`set_concurrency`], 16 requests by default), in key order, all at
//!   the revision of the first read; small ones together in read-only
//!   transactions (etcd charges the request far more than a range in it),
//!   alone where etcd refuses those.
//! - Counts come for free: a child seen whole in a reply has as many keys
//!   as the reply showed; for the last (partly seen) child, the reply's
//!   `count` minus the keys before it minus the counts of the pieces that
//!   split the rest of its range is exactly its key count.
//!
//! Every range starts and ends on a child boundary (a piece's bounds are
//! prefixes of a child's path plus one byte, which no other child can
//! straddle), so a child's keys are always inside one range.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use etcd_client::{GetOptions, GetResponse, KvClient, Txn, TxnOp, TxnOpResponse};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::{mpsc, Semaphore};

use super::types::{Child, ChildPage};

/// Keys asked for by the first read of a page (also the page size the UI
/// asks for, so a wide directory's first screen costs one read).
const FIRST_LIMIT: i64 = 1000;
/// Keys asked for by each of a first byte's ranges split per second byte
/// (about 38 in one transaction: at most [`BATCH_KEYS`] in all).
const DEEP_LIMIT: i64 = 100;
/// Keys asked for by the reads of pieces (at least).
const PIECE_LIMIT: i64 = 1000;
/// Keys asked for by the reads of pieces (at most).
const MAX_LIMIT: i64 = 8192;
/// A remainder of at most this many keys is read as one range (walking it
/// again costs little); a bigger one is split per byte where siblings
/// usually diverge.
const SMALL_REST: i64 = 4000;
/// Single-byte ranges made when a piece starting at a byte that is not a
/// digit or a letter is split (the rest of its byte interval is one more
/// range, split again if it holds several children).
const SPLIT_WIDTH: u16 = 16;
/// Keys asked for by the reads of pieces among big children where reads
/// are cheap and keys sent back are not (see [`Costs`]).
const SMALL_LIMIT: i64 = 16;
/// There, a remainder of at most this many keys is read as one range.
const SMALL_REST_ALL: i64 = 100;
/// A range read costs less than this (µs, 16 in flight): reads are cheap
/// (3.5–3.7: 43–73 µs measured at start-up; a busy etcd may be above).
const CHEAP_READ_US: f64 = 150.0;

/// The same for a read inside a transaction (measured at start-up: 21–114
/// µs, the round trip shared by 16 reads): small pieces cost `events/`
/// about 3,000 reads more and save about 246,000 keys sent back (2.1–2.6
/// µs each before 3.7), so they pay while a read costs under 200 µs.
const CHEAP_TXN_READ_US: f64 = 200.0;

/// Ranges read in one transaction (at most; etcd's `--max-txn-ops` is
/// 128 by default).
const BATCH: usize = 64;
/// Keys a transaction's reads may ask for in all: big reads go alone.
const BATCH_KEYS: i64 = 4096;
/// Keys a transaction's reads are expected to walk in all. etcd reads a
/// transaction's ranges one after the other, on one core: ranges of
/// unknown or big extent go alone, concurrently (each of `/bench/`'s
/// `app01` … `app09`, 100,000 keys, read in one transaction took the top
/// level from 1.48 to 2.01 × one walk on etcd 3.5.30).
const BATCH_WALK: i64 = 65_536;
/// A range's walk when nothing says how many keys it holds.
const UNKNOWN: i64 = i64::MAX;

/// Where reads are small ([`SMALL_LIMIT`]), a remainder of more keys than
/// this is split two bytes deep after a separator (as if each of the 37
/// ranges of one byte held more than [`SMALL_REST`] keys and would be
/// split again, walking its keys once more).
const DEEP_REST: i64 = 37 * SMALL_REST;

/// Bytes at the end of a child's name whose pieces are split when the
/// remainder is big (numbered siblings: `app00` … `app09`).
const TAIL: usize = 2;

/// A directory with more keys than this (or an unknown number) has its
/// first page read in ranges split by first byte: about 40 small reads
/// cost less than one walk over more keys than this.
pub const FAN_OUT_FROM: u64 = 10_000;

/// Default number of range reads in flight across all listings.
pub const DEFAULT_CONCURRENCY: usize = 16;

static PERMITS: OnceLock<Semaphore> = OnceLock::new();
static CAP: AtomicUsize = AtomicUsize::new(DEFAULT_CONCURRENCY);
static WORK: AtomicU64 = AtomicU64::new(0);
static READS: AtomicU64 = AtomicU64::new(0);
static RETURNED: AtomicU64 = AtomicU64::new(0);

/// Sets how many range reads all listings may have in flight at once (the
/// `--list-concurrency` flag). Only the first call counts; call it before
/// listing anything.
pub fn set_concurrency(n: usize) {
    if PERMITS.set(Semaphore::new(n.max(1))).is_ok() {
        CAP.store(n.max(1), Ordering::Relaxed);
    }
}

fn permits() -> &'static Semaphore {
    PERMITS.get_or_init(|| Semaphore::new(DEFAULT_CONCURRENCY))
}

/// What the etcd this process lists charges, measured once, at the first
/// listing of a big directory. Which reads are worth it follows from it.
/// Measured with `examples/bench_costs.rs` and `--empty-reads` of
/// `examples/bench_list.rs`: a read alone costs about 290 µs of throughput
/// on etcd 3.4.23 and 40–55 µs on 3.5–3.7, but a read inside a read-only
/// transaction of 32 only 11–25 µs on every release (3,000 empty reads:
/// 52–223 ms against 1.9–2.7 s on 3.4.23, 33–70 ms against 0.6 s on
/// 3.5.30): etcd charges the request, not the range. A key sent back costs
/// 2.1–2.6 µs before 3.7 and 0.7 µs on 3.7 (keys-only replies from the
/// index). So the lister reads small ranges together in transactions, and
/// among big children (a reply's keys falling in few children) reads the
/// pieces with small limits ([`SMALL_LIMIT`]) where reads are cheap: more
/// reads, far fewer keys sent.
///
/// Where etcd refuses transactions of reads (a learner), reads go alone,
/// and small pieces pay only where those are cheap and keys sent back are
/// not (3.5, 3.6). A short timing alone does not tell 3.4.23 apart there
/// (its reads vary tenfold from one moment to the next: 94–596 µs measured
/// at start-up, 43–73 µs on 3.5.30), so the release is asked too: `Status`
/// answers any user on 3.4 and refuses users without the root role only on
/// 3.5.28–3.5.31 and 3.6.0–3.6.11, so a refusal also says "not 3.4".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costs {
    /// µs of one range read as the lister makes them (the mean of 64: in
    /// transactions of 16, or alone, 16 in flight).
    pub read_us: f64,
    /// Whether etcd took several reads in one transaction (not on a
    /// learner, or with `--max-txn-ops` below 16).
    pub in_txn: bool,
    /// Whether etcd has `RangeStream`, which came with keys-only replies
    /// served from the index (etcd 3.7): keys sent back are cheap.
    pub keys_from_index: bool,
    /// The release is 3.5 or later (its `Status` said so, or refused a
    /// user without the root role); `false` when unknown.
    pub after_3_4: bool,
}

impl Costs {
    /// Whether to read pieces among big children with small limits.
    pub fn small_pieces(&self) -> bool {
        if self.in_txn {
            self.read_us < CHEAP_TXN_READ_US
        } else {
            self.after_3_4 && self.read_us < CHEAP_READ_US && !self.keys_from_index
        }
    }
}

/// Whether the etcd behind `client` is 3.5 or later, from `Status` (see
/// [`Costs`]); `false` when it cannot be told.
pub async fn after_3_4(client: &etcd_client::Client) -> bool {
    let mut m = client.maintenance_client();
    match m.status().await {
        Ok(s) => {
            let v: Vec<u32> = s
                .version()
                .split('.')
                .filter_map(|p| p.parse().ok())
                .collect();
            v.len() >= 2 && (v[0], v[1]) >= (3, 5)
        }
        Err(e) => super::Error::from(e).is_permission_denied(),
    }
}

/// Measures this process's [`Costs`] (once; later calls return the first
/// measure), with the release asked of `client`. Without this call the
/// first big listing measures them without the release (`after_3_4`
/// false: no small pieces).
pub async fn measure_costs(client: &etcd_client::Client, key: &[u8]) -> Costs {
    if let Some(costs) = costs() {
        return costs;
    }
    let kv = client.kv_client();
    *COSTS.get_or_init(|| measure(&kv, key, Some(client))).await
}

static COSTS: tokio::sync::OnceCell<Costs> = tokio::sync::OnceCell::const_new();

/// What this process measured, once it has.
pub fn costs() -> Option<Costs> {
    COSTS.get().copied()
}

/// Measures [`Costs`] with 64 range reads over the one key `key` (they
/// walk one key at most, but take etcd's range path, which a key lookup
/// does not), as the lister makes them: in transactions of 16, 4 in
/// flight, or alone, 16 in flight, where etcd refuses the transaction;
/// averaged (a few single reads alone vary tenfold on 3.4.23). And one
/// `RangeStream` of the key, read to its end. 3–20 ms.
async fn measure(kv: &KvClient, key: &[u8], client: Option<&etcd_client::Client>) -> Costs {
    const READS: usize = 64;
    const PER_TXN: usize = 16;
    // etcd has no empty key: `\0` is the smallest.
    let key: &[u8] = if key.is_empty() { &[0] } else { key };
    let range = Range::key(key);
    let t = std::time::Instant::now();
    let batch = vec![range.clone(); PER_TXN];
    let in_txn = futures::stream::iter(0..READS / PER_TXN)
        .map(|_| read_txn(kv, &batch, 0))
        .buffer_unordered(4)
        .all(|got| async move { got.is_ok() })
        .await;
    let mut elapsed = t.elapsed();
    if !in_txn {
        let t = std::time::Instant::now();
        let failed = futures::stream::iter(0..READS)
            .map(|_| read(kv.clone(), range.clone(), 0))
            .buffer_unordered(16)
            .any(|got| async move { got.is_err() })
            .await;
        elapsed = if failed {
            std::time::Duration::MAX
        } else {
            t.elapsed()
        };
    }
    let read_us = elapsed.as_secs_f64() * 1e6 / READS as f64;
    let keys_from_index = stream_answered(kv, key).await;
    let after_3_4 = match client {
        Some(c) => after_3_4(c).await,
        None => false,
    };
    let costs = Costs {
        read_us,
        in_txn,
        keys_from_index,
        after_3_4,
    };
    tracing::info!(
        ?costs,
        small_pieces = costs.small_pieces(),
        "etcd's costs measured"
    );
    costs
}

/// Whether a `RangeStream` of the one key `key`, read to its end, is
/// answered (etcd 3.7).
async fn stream_answered(kv: &KvClient, key: &[u8]) -> bool {
    let opts = GetOptions::new().with_keys_only().with_serializable();
    let mut stream = match kv.clone().get_stream(key.to_vec(), Some(opts)).await {
        Ok(stream) => stream,
        Err(e) => {
            super::stream::failed(&e.into());
            return false;
        }
    };
    loop {
        match stream.message().await {
            Ok(Some(_)) => {}
            Ok(None) => return true,
            Err(e) => {
                super::stream::failed(&e.into());
                return false;
            }
        }
    }
}

/// What all listings of this process cost etcd (for the benchmark report).
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    /// Keys etcd walked: the sum of `count` over every reply.
    pub work: u64,
    /// Range reads made.
    pub reads: u64,
    /// Keys etcd sent back (it reads each one from its store, value
    /// included, even for a keys-only read).
    pub returned: u64,
}

pub fn totals() -> Totals {
    Totals {
        work: WORK.load(Ordering::Relaxed),
        reads: READS.load(Ordering::Relaxed),
        returned: RETURNED.load(Ordering::Relaxed),
    }
}

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

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Keys remembered per subdirectory from reads that passed through it.
const SEED_KEYS: usize = 64;
/// Seed keys kept per page in all.
const SEED_TOTAL: usize = 4096;

/// Which page of a directory to list.
#[derive(Debug, Clone, Default)]
pub struct PageSpec {
    /// Where the page starts (the `next` of a previous page); `None`: at
    /// the directory's beginning.
    pub cursor: Option<Vec<u8>>,
    /// Children wanted (at most).
    pub want: usize,
    /// A run of keys already known to be the first keys of the directory,
    /// in order and without holes (from an earlier page's `seeds`): they
    /// are used instead of reading them again.
    pub seed: Vec<Vec<u8>>,
    /// The number of keys under the directory, when known (see
    /// [`FAN_OUT_FROM`]).
    pub keys: Option<u64>,
    /// Read the directory as it was at this revision (0: now).
    pub revision: i64,
    /// Read pieces among big children with small limits: `None` as this
    /// etcd's measured [`Costs`] say.
    pub small_pieces: Option<bool>,
}

/// Lists up to `spec.want` direct children of `dir` (a full prefix, e.g.
/// `/app/` or `` for the whole keyspace) and returns them as one page.
pub async fn list_children(
    kv: &mut KvClient,
    dir: &[u8],
    delimiter: &[u8],
    spec: PageSpec,
) -> Result<ChildPage, crate::etcd::Error> {
    let (tx, mut rx) = mpsc::channel(64);
    let list = list_streaming(kv.clone(), dir, delimiter, spec, tx);
    let mut parts = Vec::new();
    let collect = async {
        while let Some(part) = rx.recv().await {
            parts.push(part);
        }
    };
    let (result, ()) = tokio::join!(list, collect);
    let mut page = result?;
    for part in parts {
        page.children.extend(part.children);
        page.counts.extend(part.counts);
        page.seeds.extend(part.seeds);
    }
    page.children.sort_by(|a, b| a.full.cmp(&b.full));
    page.children.dedup();
    if let Some(next) = &page.next {
        page.children.retain(|c| &c.full < next);
        page.counts.retain(|(d, _)| d < next);
        page.seeds.retain(|(d, _)| d < next);
    }
    page.counts.sort();
    page.seeds.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(page)
}

/// Lists like [`list_children`], sending children to `progress` as they
/// are found (batches with `partial` set, each sorted; together in
/// bytewise order once placed). Returns the last batch: `next`, revision,
/// reads, work. Children past the returned `next` may have been sent too
/// (found concurrently); they are real children, the next page finds them
/// again. Dropping the future cancels the reads in flight. `at`: read the
/// directory as it was at that revision (0: now).
#[allow(clippy::too_many_arguments)]
pub async fn list_streaming(
    kv: KvClient,
    dir: &[u8],
    delimiter: &[u8],
    spec: PageSpec,
    progress: mpsc::Sender<ChildPage>,
) -> Result<ChildPage, crate::etcd::Error> {
    let PageSpec {
        cursor,
        want,
        seed,
        keys,
        revision: at,
        small_pieces,
    } = spec;
    let end = prefix_end(dir);
    let first_page = cursor.is_none();
    let mut s = Session {
        dir,
        delimiter,
        want: want.max(1),
        found: BTreeMap::new(),
        queue: BinaryHeap::new(),
        flying: BTreeMap::new(),
        accounts: Vec::new(),
        out: ChildPage::default(),
        seed_total: 0,
        small: false,
        batch: true,
    };
    let mut start = match cursor {
        Some(c) => c,
        None => dir.to_vec(),
    };
    if start.is_empty() {
        // etcd has no empty key: "\0" is the smallest.
        start = vec![0];
    }
    if !seed.is_empty() && start == dir {
        // Known first keys of the directory: use them instead of reading.
        let groups = s.groups(&seed);
        let last = groups.len() - 1;
        for (i, g) in groups.iter().enumerate() {
            // All but the last child are whole in the seed.
            let count = (i < last).then_some(g.keys as i64);
            s.add_child(g, &seed, count);
        }
        let g = &groups[last];
        // The last child may go on past the seed: read it from its start
        // (its count comes with the read).
        let rest = if g.is_dir {
            Some(g.full.clone())
        } else {
            Some(after(&g.full))
        };
        match rest {
            Some(r) => start = r,
            None => return Ok(s.finish(None)),
        }
        if s.final_count(Some(&start)) >= s.want {
            let next = s.cut();
            return Ok(s.finish(next));
        }
    }
    if end.as_ref().is_some_and(|e| &start >= e) {
        let next = s.cut();
        return Ok(s.finish(next));
    }
    // At a past revision every read, the first one too, is pinned to it.
    let mut revision = at.max(0);
    s.out.revision = revision;
    let fan_out_first = first_page && keys.is_none_or(|n| n > FAN_OUT_FROM);
    let measured = if fan_out_first && small_pieces.is_none() {
        // What this etcd charges, measured once per process (unless the
        // caller chose).
        Some(*COSTS.get_or_init(|| measure(&kv, dir, None)).await)
    } else {
        costs()
    };
    s.small = small_pieces.unwrap_or(measured.is_some_and(|c| c.small_pieces()));
    if fan_out_first {
        // One small read fixes the revision every range is read at.
        let (_, resp) = read(kv.clone(), Range::key(dir), revision).await?;
        if revision == 0 {
            revision = resp.header().map(|h| h.revision()).unwrap_or(0);
            s.out.revision = revision;
        }
        s.out.reads += 1;
        s.out.work += resp.count().max(0) as u64;
        // Split per second byte where reads in transactions are cheap,
        // unless the known first keys say the children are keys (a flat
        // directory's first page is one range's first keys).
        let flat = seed.first().is_some_and(|k| !s.child_of(k).1);
        let deep = s.small && !flat && measured.is_none_or(|c| c.in_txn);
        for range in fan_out(dir, &start, end.as_deref(), deep) {
            s.queue.push(Reverse(range));
        }
    } else {
        s.queue.push(Reverse(Range {
            limit: FIRST_LIMIT,
            ..Range::new(start, end, dir.len())
        }));
    }

    // Until the revision is fixed, one read at a time.
    let mut first_done = revision != 0;
    let mut in_flight = FuturesUnordered::new();
    loop {
        // The first read alone fixes the revision every other read uses.
        let cap = if !first_done {
            1
        } else {
            CAP.load(Ordering::Relaxed)
        };
        while in_flight.len() < cap {
            let Some(Reverse(range)) = s.queue.pop() else {
                break;
            };
            let mut batch = vec![range];
            let bucket = batch[0].bucket;
            if first_done && s.batch && bucket != 0 {
                // A first byte's ranges: one transaction walks its keys
                // once, as one range would, and answers per two bytes.
                while batch.len() < BATCH {
                    match s.queue.peek() {
                        Some(Reverse(next)) if next.bucket == bucket => {
                            let Reverse(next) = s.queue.pop().expect("peeked");
                            batch.push(next);
                        }
                        _ => break,
                    }
                }
            } else if first_done && s.batch && batch[0].walk <= BATCH_WALK {
                // Small reads go together in one transaction: etcd charges
                // a request far more than a range inside one.
                let (mut keys, mut walk) = (batch[0].limit.max(1), batch[0].walk);
                while batch.len() < BATCH {
                    match s.queue.peek() {
                        Some(Reverse(next))
                            if keys + next.limit.max(1) <= BATCH_KEYS
                                && walk.saturating_add(next.walk) <= BATCH_WALK =>
                        {
                            keys += next.limit.max(1);
                            walk += next.walk;
                            let Reverse(next) = s.queue.pop().expect("peeked");
                            batch.push(next);
                        }
                        _ => break,
                    }
                }
            }
            for range in &batch {
                *s.flying.entry(range.lo.clone()).or_insert(0) += 1;
            }
            in_flight.push(read_many(kv.clone(), batch, revision));
        }
        let Some(done) = in_flight.next().await else {
            break;
        };
        let (replies, one_by_one) = done?;
        if one_by_one {
            // This etcd refused a transaction of reads (a learner, a
            // lower `--max-txn-ops`): one read per range from now on.
            s.batch = false;
        }
        for (range, resp) in replies {
            if let Some(n) = s.flying.get_mut(&range.lo) {
                *n -= 1;
                if *n == 0 {
                    s.flying.remove(&range.lo);
                }
            }
            if !first_done {
                first_done = true;
                if revision == 0 {
                    revision = resp.header().map(|h| h.revision()).unwrap_or(0);
                }
                s.out.revision = revision;
            }
            s.out.reads += 1;
            s.out.work += resp.count().max(0) as u64;
            s.reply(range, &resp);
        }
        let frontier = s.frontier();
        if s.final_count(frontier.as_ref()) >= s.want {
            // The page is full: what is still in flight is not needed.
            drop(in_flight);
            let all_read = frontier.is_none() && s.found.len() <= s.want;
            let next = if all_read { None } else { s.cut() };
            return Ok(s.finish(next));
        }
        if !s.out.children.is_empty() || !s.out.counts.is_empty() {
            let mut part = std::mem::take(&mut s.out);
            part.partial = true;
            part.revision = revision;
            s.out.revision = revision;
            s.out.reads = part.reads;
            s.out.work = part.work;
            // The receiver gone means the listing was abandoned.
            if progress.send(part).await.is_err() {
                return Ok(s.finish(None));
            }
        }
    }
    Ok(s.finish(None))
}

/// The key just after `key`.
fn after(key: &[u8]) -> Vec<u8> {
    let mut k = key.to_vec();
    k.push(0);
    k
}

/// One range to read: `[lo, hi)` (`hi` `None`: to the end of the
/// keyspace). Every key in it shares its first `depth` bytes. `account`:
/// the child whose count this read's `count` helps to compute.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Range {
    lo: Vec<u8>,
    hi: Option<Vec<u8>>,
    depth: usize,
    account: Option<usize>,
    /// Keys to ask for (0: the default for the read).
    limit: i64,
    /// Keys etcd is expected to walk reading it ([`UNKNOWN`]: no idea).
    walk: i64,
    /// The first page's ranges of one first byte, read together in one
    /// transaction (0: none).
    bucket: usize,
}

impl Range {
    /// `[lo, hi)`, its keys sharing `lo[..depth]`: no account, the default
    /// limit, an unknown walk.
    fn new(lo: Vec<u8>, hi: Option<Vec<u8>>, depth: usize) -> Range {
        Range {
            lo,
            hi,
            depth,
            account: None,
            limit: 0,
            walk: UNKNOWN,
            bucket: 0,
        }
    }

    /// The one key `key` (the smallest key when `key` is empty).
    fn key(key: &[u8]) -> Range {
        let lo = if key.is_empty() {
            vec![0]
        } else {
            key.to_vec()
        };
        Range {
            limit: 1,
            ..Range::new(lo.clone(), Some(after(&lo)), 0)
        }
    }
}

/// `[start, end)` of `dir` as one range per first byte of a child's name:
/// below `0`, then the per-byte split names get elsewhere (each digit,
/// `:`–`` ` `` as one range, each lower-case letter, the rest). Empty
/// ranges cost etcd nothing. `deep`: each range of one byte is split again
/// per second byte ([`split_deep`]), its ranges marked to be read in one
/// transaction (etcd walks them one after the other, as it would the
/// byte's one range): siblings that differ in their second byte
/// (`endpointslices/`, `events/`) are found and counted in one walk
/// instead of two.
fn fan_out(dir: &[u8], start: &[u8], end: Option<&[u8]>, deep: bool) -> Vec<Range> {
    let mut digits = dir.to_vec();
    digits.push(b'0');
    let mut out = vec![Range::new(dir.to_vec(), Some(digits.clone()), dir.len())];
    let end = end.map(<[u8]>::to_vec);
    split_bytes(&digits, end, dir.len(), false, &mut out);
    if deep {
        out = out
            .into_iter()
            .flat_map(|r| match r.lo.get(dir.len()) {
                Some(b'a'..=b'z') if r.lo.len() == dir.len() + 1 => split_second(r)
                    .into_iter()
                    .map(|mut sub| {
                        sub.bucket = usize::from(sub.lo[dir.len()]) + 1;
                        sub.limit = DEEP_LIMIT;
                        sub
                    })
                    .collect(),
                _ => vec![r],
            })
            .collect();
    }
    out.into_iter()
        .filter(|r| r.hi.as_deref().is_none_or(|h| h > start))
        .map(|mut r| {
            if r.lo.as_slice() < start {
                r.lo = start.to_vec();
            }
            if r.bucket == 0 {
                r.limit = FIRST_LIMIT;
            }
            r
        })
        .collect()
}

/// The options of a keys-only read of `range` (pinned to `revision` when
/// it is set).
fn read_options(range: &Range, revision: i64, serializable: bool) -> GetOptions {
    let mut opts = GetOptions::new()
        .with_keys_only()
        .with_range(range.hi.clone().unwrap_or_else(|| vec![0]))
        .with_limit(range.limit.max(1));
    if revision > 0 {
        opts = opts.with_revision(revision);
    }
    if serializable {
        opts = opts.with_serializable();
    }
    opts
}

async fn read(
    kv: KvClient,
    range: Range,
    revision: i64,
) -> Result<(Range, GetResponse), crate::etcd::Error> {
    let _permit = permits().acquire().await.expect("never closed");
    let learner = AtomicBool::new(false);
    let get = |serializable: bool, revision: i64| {
        let (kv, lo, learner) = (&kv, &range.lo, &learner);
        let opts = read_options(&range, revision, serializable);
        super::retry_read(move || {
            let (mut kv, lo, opts) = (kv.clone(), lo.clone(), opts.clone());
            async move {
                let got = kv.get(lo, Some(opts)).await;
                got.map_err(|e| learner_final(e, learner))
            }
        })
    };
    if revision > 0 {
        // Pinned to the first read's revision: any member that has applied
        // it answers exactly, without a round of consensus.
        match get(true, revision).await {
            Ok(resp) => return Ok(counted(range, resp)),
            // A member behind that revision: ask for a linearizable read.
            Err(e) if e.is_future_revision() => {}
            Err(e) => return Err(e),
        }
    }
    let resp = match get(false, revision).await {
        // A learner serves serializable reads only: at its own revision.
        Err(_) if learner.load(Ordering::Relaxed) && revision == 0 => get(true, 0).await?,
        got => got?,
    };
    Ok(counted(range, resp))
}

/// A learner's refusal, which `retry_read` would ask again twice, 500 ms
/// apart, though a learner refuses it every time: made final here (the
/// lister falls back at once), and noted in `seen`.
fn learner_final(e: etcd_client::Error, seen: &AtomicBool) -> crate::etcd::Error {
    match e.into() {
        crate::etcd::Error::Learner(m) => {
            seen.store(true, Ordering::Relaxed);
            crate::etcd::Error::Refused(m)
        }
        e => e,
    }
}

/// Reads `ranges`: one range alone, several in one read-only transaction.
/// If etcd refuses the transaction, each range is read alone, and the
/// second value says so.
async fn read_many(
    kv: KvClient,
    ranges: Vec<Range>,
    revision: i64,
) -> Result<(Vec<(Range, GetResponse)>, bool), crate::etcd::Error> {
    if ranges.len() == 1 {
        let range = ranges.into_iter().next().expect("one range");
        return Ok((vec![read(kv, range, revision).await?], false));
    }
    match read_txn(&kv, &ranges, revision).await {
        Ok(replies) => Ok((
            ranges
                .into_iter()
                .zip(replies)
                .map(|(range, resp)| counted(range, resp))
                .collect(),
            false,
        )),
        Err(e) => {
            tracing::info!(error = %e, "reading ranges in one transaction failed: one read each");
            let reads = ranges.into_iter().map(|r| read(kv.clone(), r, revision));
            Ok((futures::future::try_join_all(reads).await?, true))
        }
    }
}

/// One read-only transaction of keys-only reads, pinned to `revision`
/// (serializable: any member that has applied it answers without a round
/// of consensus; a linearizable one when the member is behind).
async fn read_txn(
    kv: &KvClient,
    ranges: &[Range],
    revision: i64,
) -> Result<Vec<GetResponse>, crate::etcd::Error> {
    let _permit = permits().acquire().await.expect("never closed");
    // At most BATCH_KEYS keys: far under the 64 MiB allowed here.
    let kv = kv.clone().max_decoding_message_size(64 << 20);
    let txn = |serializable: bool| {
        Txn::new().and_then(
            ranges
                .iter()
                .map(|r| TxnOp::get(r.lo.clone(), Some(read_options(r, revision, serializable))))
                .collect::<Vec<_>>(),
        )
    };
    let ask = |serializable: bool| {
        let (kv, txn) = (&kv, &txn);
        super::retry_read(move || {
            let mut kv = kv.clone();
            let txn = txn(serializable);
            // A learner refuses every transaction: read alone at once.
            let seen = AtomicBool::new(false);
            async move { kv.txn(txn).await.map_err(|e| learner_final(e, &seen)) }
        })
    };
    let resp = match ask(true).await {
        Err(e) if e.is_future_revision() => ask(false).await?,
        got => got?,
    };
    resp.op_responses()
        .into_iter()
        .map(|op| match op {
            TxnOpResponse::Get(got) => Ok(got),
            _ => Err(crate::etcd::Error::Other(
                "a read in a transaction was answered with something else".into(),
            )),
        })
        .collect()
}

fn counted(range: Range, resp: GetResponse) -> (Range, GetResponse) {
    READS.fetch_add(1, Ordering::Relaxed);
    WORK.fetch_add(resp.count().max(0) as u64, Ordering::Relaxed);
    RETURNED.fetch_add(resp.kvs().len() as u64, Ordering::Relaxed);
    (range, resp)
}

/// A piece of a remainder: start, end (`None`: the keyspace's end), the
/// length of the prefix its keys share, whether to split it per byte.
type Piece = (Vec<u8>, Option<Vec<u8>>, usize, Split);

/// How a piece is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// One range.
    Whole,
    /// One range per byte from `0` to `z`, then the rest.
    Names,
    /// One range per digit, then the rest.
    Digits,
    /// Like `Names`, and each byte's range again per byte.
    Deep,
}

/// A child waiting for its key count: the reply's count minus the keys
/// before it, less the count of every piece of the rest of that range.
struct Account {
    dir: Vec<u8>,
    remaining: i64,
    pending: usize,
}

/// A run of a reply's keys belonging to one child.
struct Group {
    full: Vec<u8>,
    is_dir: bool,
    first: usize,
    keys: usize,
}

struct Session<'a> {
    dir: &'a [u8],
    delimiter: &'a [u8],
    want: usize,
    /// Every child found so far (full path → is a directory).
    found: BTreeMap<Vec<u8>, bool>,
    /// Ranges waiting to be read, lowest first.
    queue: BinaryHeap<Reverse<Range>>,
    /// Starts of the ranges in flight (with multiplicity).
    flying: BTreeMap<Vec<u8>, usize>,
    accounts: Vec<Account>,
    /// What the next batch carries.
    out: ChildPage,
    seed_total: usize,
    /// Read pieces among big children with small limits ([`Costs`]).
    small: bool,
    /// Read small ranges together in transactions (until etcd refuses one).
    batch: bool,
}

impl Session<'_> {
    /// The child of `dir` that `key` belongs to.
    fn child_of(&self, key: &[u8]) -> (Vec<u8>, bool) {
        let rest = &key[self.dir.len()..];
        match find(rest, self.delimiter) {
            Some(i) => (
                key[..self.dir.len() + i + self.delimiter.len()].to_vec(),
                true,
            ),
            None => (key.to_vec(), false),
        }
    }

    /// Splits keys in order into runs per child.
    fn groups<K: AsRef<[u8]>>(&self, keys: &[K]) -> Vec<Group> {
        let mut out: Vec<Group> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let key = key.as_ref();
            if let Some(g) = out.last_mut() {
                if g.is_dir && key.starts_with(&g.full) {
                    g.keys += 1;
                    continue;
                }
            }
            let (full, is_dir) = self.child_of(key);
            out.push(Group {
                full,
                is_dir,
                first: i,
                keys: 1,
            });
        }
        out
    }

    /// Records a child (and its count when known) for the next batch.
    fn add_child<K: AsRef<[u8]>>(&mut self, g: &Group, keys: &[K], count: Option<i64>) {
        if self.found.insert(g.full.clone(), g.is_dir).is_none() {
            self.out.children.push(Child {
                full: g.full.clone(),
                is_dir: g.is_dir,
            });
        }
        if !g.is_dir {
            return;
        }
        if let Some(n) = count {
            self.out.counts.push((g.full.clone(), n.max(0) as u64));
        }
        let take = SEED_KEYS.min(g.keys).min(SEED_TOTAL - self.seed_total);
        if take > 0 {
            self.seed_total += take;
            let seed = keys[g.first..g.first + take]
                .iter()
                .map(|k| k.as_ref().to_vec())
                .collect();
            self.out.seeds.push((g.full.clone(), seed));
        }
    }

    /// Takes a reply to `range`.
    fn reply(&mut self, range: Range, resp: &GetResponse) {
        let count = resp.count();
        if let Some(a) = range.account {
            self.settle(a, count);
        }
        let keys: Vec<&[u8]> = resp.kvs().iter().map(|kv| kv.key()).collect();
        if keys.is_empty() {
            return;
        }
        let groups = self.groups(&keys);
        let more = count > keys.len() as i64;
        let last = groups.len() - 1;
        for (i, g) in groups.iter().enumerate() {
            if i < last || !more {
                self.add_child(g, &keys, Some(g.keys as i64));
            }
        }
        if !more {
            return;
        }
        let g = &groups[last];
        self.add_child(g, &keys, None);
        let account = g.is_dir.then(|| {
            self.accounts.push(Account {
                dir: g.full.clone(),
                remaining: count - g.first as i64,
                pending: 0,
            });
            self.accounts.len() - 1
        });
        let rest = count - keys.len() as i64;
        // Children of several keys each in this reply (big children): where
        // reads are cheap and keys sent back are not, small pieces.
        let small = self.small && groups.len() * 4 <= keys.len();
        let (rest_all, piece_limit, max_limit) = if small {
            (SMALL_REST_ALL, SMALL_LIMIT, SMALL_LIMIT)
        } else {
            (MAX_LIMIT, PIECE_LIMIT, MAX_LIMIT)
        };
        let pieces = if rest <= rest_all {
            // Few keys left: one read brings them all (reading a few
            // thousand keys costs less than many small reads).
            let lo = if g.is_dir {
                prefix_end(&g.full)
            } else {
                Some(after(&g.full))
            };
            lo.filter(|lo| range.hi.as_ref().is_none_or(|h| lo < h))
                .map(|lo| Range {
                    limit: rest,
                    ..Range::new(lo, range.hi.clone(), range.depth)
                })
                .into_iter()
                .collect()
        } else {
            self.pieces(&g.full, g.is_dir, &range, rest)
        };
        if let Some(a) = account {
            self.accounts[a].pending = pieces.len();
        }
        // The more keys remain, the more each piece's read asks for: a
        // small child seen whole lets the same read find the next one.
        let mut limit = (rest / 16).clamp(piece_limit, max_limit);
        if !g.is_dir {
            // Children that are keys: a read need not bring more keys than
            // the page still wants children.
            let wanted = self.want.saturating_sub(self.found.len()) + 1;
            limit = limit.min(wanted as i64);
        }
        let walk = rest / pieces.len().max(1) as i64;
        for mut p in pieces {
            p.account = account;
            p.walk = walk;
            if p.limit == 0 {
                p.limit = limit;
            }
            self.queue.push(Reverse(p));
        }
        if let Some(a) = account {
            if self.accounts[a].pending == 0 {
                // Nothing after it in this range: the rest is all its own.
                self.settle(a, 0);
            }
        }
    }

    /// One more piece of account `a` answered with `count` keys.
    fn settle(&mut self, a: usize, count: i64) {
        let acc = &mut self.accounts[a];
        acc.remaining -= count;
        acc.pending = acc.pending.saturating_sub(1);
        if acc.pending == 0 {
            let (dir, n) = (acc.dir.clone(), acc.remaining);
            self.out.counts.push((dir, n.max(0) as u64));
        }
    }

    /// The ranges that cover the rest of `range` after child `path`.
    fn pieces(&self, path: &[u8], is_dir: bool, range: &Range, rest: i64) -> Vec<Range> {
        let base = self.dir.len().max(range.depth);
        let name_end = if is_dir {
            path.len() - self.delimiter.len()
        } else {
            path.len()
        };
        // (start, end, depth, split per byte)
        let mut raw: Vec<Piece> = Vec::new();
        if !is_dir {
            // Keys that extend this key (`a` then `a-b`).
            raw.push((after(path), prefix_end(path), path.len(), Split::Whole));
        }
        for d in (base..path.len()).rev() {
            if path[d] == 0xff {
                continue;
            }
            let mut lo = path[..d].to_vec();
            lo.push(path[d] + 1);
            // Siblings diverge where this range's own keys do (the first
            // bytes after its prefix), and numbered ones in the last digits.
            let tail = d + TAIL >= name_end && d < name_end && path[d].is_ascii_digit();
            // And right after a separator inside the name (`team-…`, `kube-…`).
            let after_sep = d > range.depth && matches!(path[d - 1], b'-' | b'_' | b'.');
            // Right after the name (`app01` + a byte after `/`) only names
            // that extend this one (`app010`) can follow: rare, one range.
            let at_name_end = d >= name_end;
            let split = if rest <= SMALL_REST || at_name_end {
                Split::Whole
            } else if tail {
                // Numbered siblings (`d00` … `d09`), even where this range's
                // names begin.
                Split::Digits
            } else if after_sep && self.small && rest > DEEP_REST {
                // Many siblings after a common prefix (`team-…`): were each
                // byte's range split again, its keys would be walked once
                // more.
                Split::Deep
            } else if d == range.depth || after_sep {
                Split::Names
            } else {
                Split::Whole
            };
            raw.push((lo, prefix_end(&path[..d]), d, split));
        }
        let below_hi = |k: &[u8]| range.hi.as_ref().is_none_or(|h| k < h.as_slice());
        let mut out: Vec<Range> = Vec::new();
        // Whether the last range in `out` is a piece read whole (adjacent
        // whole pieces are one range).
        let mut last_whole = false;
        for (lo, hi, depth, split) in raw {
            if !below_hi(&lo) {
                break;
            }
            let hi = match (hi, &range.hi) {
                (Some(h), Some(r)) => Some(h.min(r.clone())),
                (None, r) => r.clone(),
                (h, None) => h,
            };
            if hi.as_ref().is_some_and(|h| &lo >= h) {
                continue;
            }
            if split != Split::Whole {
                // Names differ anywhere in `0-9a-z`; numbered siblings in
                // their digits.
                if split == Split::Deep {
                    split_deep(&lo, hi, depth, &mut out);
                } else {
                    split_bytes(&lo, hi, depth, split == Split::Digits, &mut out);
                }
                last_whole = false;
                continue;
            }
            match out.last_mut() {
                // Adjacent pieces read whole are one range: siblings rarely
                // diverge inside a name, and an empty range costs a read.
                Some(prev) if last_whole && prev.hi.as_deref() == Some(lo.as_slice()) => {
                    prev.hi = hi;
                    prev.depth = prev.depth.min(depth);
                }
                _ => out.push(Range::new(lo, hi, depth)),
            }
            last_whole = true;
        }
        out
    }

    /// The first key not yet known: children before it are final.
    fn frontier(&self) -> Option<Vec<u8>> {
        let queued = self.queue.peek().map(|Reverse(r)| r.lo.clone());
        let flying = self.flying.keys().next().cloned();
        match (queued, flying) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// How many children are known to be final (before `frontier`;
    /// `None`: all are).
    fn final_count(&self, frontier: Option<&Vec<u8>>) -> usize {
        match frontier {
            None => self.found.len(),
            Some(f) => self.found.range::<Vec<u8>, _>(..f).count(),
        }
    }

    /// Where the next page starts: just after the `want`-th child.
    fn cut(&self) -> Option<Vec<u8>> {
        let (full, is_dir) = self.found.iter().nth(self.want - 1)?;
        if *is_dir {
            prefix_end(full)
        } else {
            Some(after(full))
        }
    }

    fn finish(mut self, next: Option<Vec<u8>>) -> ChildPage {
        if let Some(n) = &next {
            self.out.children.retain(|c| &c.full < n);
        }
        self.out.next = next;
        self.out.partial = false;
        self.out
    }
}

/// The range of names beginning with one byte `b` (`[b, b+1)`), split per
/// second byte: the name `b` and names going on with a byte below `0`;
/// those going on with a digit or `:`–`` ` ``; one range per lower-case
/// letter; the rest. Each range's keys share `b` and, except the first
/// two and the last, the next byte.
fn split_second(r: Range) -> Vec<Range> {
    let depth = r.lo.len();
    let with = |b: u8| [r.lo.as_slice(), &[b]].concat();
    let mut out = vec![
        Range::new(r.lo.clone(), Some(with(b'0')), depth),
        Range::new(with(b'0'), Some(with(b'a')), depth),
    ];
    for b in b'a'..=b'z' {
        out.push(Range::new(with(b), Some(with(b + 1)), depth + 1));
    }
    out.push(Range::new(with(b'{'), r.hi, depth));
    out
}

/// Splits `[lo, hi)` like [`split_bytes`], and each range of one byte
/// again per byte: one level of reads less where a big remainder's
/// names diverge in the next two bytes.
fn split_deep(lo: &[u8], hi: Option<Vec<u8>>, depth: usize, out: &mut Vec<Range>) {
    let mut once = Vec::new();
    split_bytes(lo, hi, depth, false, &mut once);
    for r in once {
        if r.depth != depth + 1 || r.lo.len() != depth + 1 {
            out.push(r);
            continue;
        }
        // The name that ends at this byte, and names going on with a byte
        // below `0` (`-`, `.`): one range; then one per next byte.
        let mut digits = r.lo.clone();
        digits.push(b'0');
        let below_hi = r.hi.as_ref().is_none_or(|h| &digits < h);
        let hi = if below_hi {
            Some(digits.clone())
        } else {
            r.hi.clone()
        };
        out.push(Range::new(r.lo.clone(), hi, depth + 1));
        if below_hi {
            split_bytes(&digits, r.hi, depth + 1, false, out);
        }
    }
}

/// Splits `[lo, hi)` (keys sharing `lo[..depth]`, next byte from
/// `lo[depth]` on) into one range per byte, then one range for the rest.
fn split_bytes(lo: &[u8], hi: Option<Vec<u8>>, depth: usize, digits: bool, out: &mut Vec<Range>) {
    let prefix = &lo[..depth];
    let first = lo[depth] as u16;
    let below_hi = |k: &[u8]| hi.as_ref().is_none_or(|h| k < h.as_slice());
    // One range per byte up to the end of the first byte's class (digits
    // for numbered names, else digits and lower case), then one range for
    // the rest.
    let last = match first as u8 {
        b'0'..=b'9' if digits => b'9' as u16,
        b'0'..=b'z' => b'z' as u16,
        _ => (first + SPLIT_WIDTH - 1).min(0xff),
    };
    let mut b = first;
    while b <= last {
        let mut blo = prefix.to_vec();
        blo.push(b as u8);
        if !below_hi(&blo) {
            return;
        }
        // Punctuation and upper case (`:` … `` ` ``), rare in names: one
        // range.
        let next = if (b':' as u16..b'a' as u16).contains(&b) {
            b'a' as u16
        } else {
            b + 1
        };
        let mut bend = prefix.to_vec();
        bend.push(next as u8);
        let bhi = match (next <= 0xff).then_some(bend) {
            Some(e) if below_hi(&e) => Some(e),
            _ => hi.clone(),
        };
        let bdepth = if next == b + 1 { depth + 1 } else { depth };
        out.push(Range::new(blo, bhi, bdepth));
        b = next;
    }
    if b <= 0xff {
        let mut rlo = prefix.to_vec();
        rlo.push(b as u8);
        if below_hi(&rlo) {
            out.push(Range::new(rlo, hi, depth));
        }
    }
}
