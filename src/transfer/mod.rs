//! Moving data: export to a file, and import / copy / move through a plan.
//!
//! A transfer reads its source twice, in the same order: once to make the
//! plan (each target key read as it is now: created, updated or unchanged,
//! and the revision the plan saw it at), once to apply it. An export file
//! reads the same both times; a prefix of the cluster is read both times at
//! the revision the plan pinned, so what is applied is what the plan
//! showed. Applying writes batches of at most 128 operations, each key
//! guarded by what the plan saw (`etcd::bulk`); a key that changed since is
//! skipped and named in the summary.

pub mod cli;
pub mod export;
pub mod format;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::etcd::bulk::{self, BulkOutcome, BulkWrite, MAX_TXN_OPS};
use crate::etcd::export::PinnedReader;
use crate::etcd::types::{Expect, ValueRecord};
use crate::etcd::{value, Connection};
use crate::journal::{Entry, Journal};

/// Bytes of values one batch read or written carries at most (one batch
/// always holds at least one key).
pub const BATCH_BYTES: usize = 1024 * 1024;
/// Batches written at once.
pub const APPLY_IN_FLIGHT: usize = 4;
/// Journal entries appended between two trims of the journal.
const TRIM_EVERY: usize = 8192;

/// Where a transfer reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An export file (`jsonl`).
    File(PathBuf),
    /// A prefix of the connected cluster.
    Prefix(Vec<u8>),
}

/// What to do: from a source to a target prefix, moving or copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub source: Source,
    /// The target prefix (`None`: the export's own prefix).
    pub to: Option<Vec<u8>>,
    /// Delete each source key once its copy landed.
    pub moving: bool,
    /// The target is another context's cluster (config.toml), not the
    /// connected one (`:copy ctx:NAME /prefix/`, `copy --to-context`).
    pub to_context: Option<String>,
}

impl Transfer {
    /// A move between two clusters cannot put a key and delete its source
    /// in one transaction: it is refused (copy, check, then delete). An
    /// empty destination for a prefix is refused (see [`empty_destination`]).
    pub fn check(&self) -> Result<(), String> {
        if let (Source::Prefix(from), Some(to)) = (&self.source, &self.to) {
            empty_destination(from, to)?;
        }
        match &self.to_context {
            Some(ctx) if self.moving => Err(format!(
                "a move to another cluster (ctx {}) is refused: no transaction spans two clusters; copy, check, then delete the source",
                crate::escape::escape_str(ctx)
            )),
            _ => Ok(()),
        }
    }
}

/// An empty destination for a non-empty source prefix puts every key at
/// the top of the keyspace, without its prefix (`/x/a` → `a`): refused, as
/// no one means it (etcd itself answered "key is not provided").
pub(crate) fn empty_destination(from: &[u8], to: &[u8]) -> Result<(), String> {
    if to.is_empty() && !from.is_empty() {
        return Err(format!(
            "the destination prefix is empty: the keys would lose their prefix {} and land at the top of the keyspace; give the prefix they go under (e.g. /restore/)",
            shown_prefix(from)
        ));
    }
    Ok(())
}

/// A prefix in a message: `''` (the whole keyspace) when empty.
pub fn shown_prefix(prefix: &[u8]) -> String {
    if prefix.is_empty() {
        "'' (the whole keyspace)".into()
    } else {
        crate::escape::escape_bytes(prefix)
    }
}

/// When the destination ends with the delimiter and the source does not,
/// or the other way round, keys change shape (`/x/` → `/xx` makes `/x/k1`
/// into `/xxk1`): the warning that says so, with the first key as it
/// would be written.
fn delimiter_warning(from: &[u8], to: &[u8], delimiter: &[u8], first: &[u8]) -> Option<String> {
    if from.is_empty() || to.is_empty() || delimiter.is_empty() {
        return None;
    }
    let d = crate::escape::escape_bytes(delimiter);
    let (f, t) = (
        crate::escape::escape_bytes(from),
        crate::escape::escape_bytes(to),
    );
    let first = crate::escape::escape_bytes(first);
    match (from.ends_with(delimiter), to.ends_with(delimiter)) {
        (true, false) => Some(format!(
            "the destination {t} does not end with {d} as the source {f} does: keys will be {first}, …"
        )),
        (false, true) => Some(format!(
            "the destination {t} ends with {d} and the source {f} does not: keys will be {first}, …"
        )),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Unchanged,
}

/// One key of the plan (in source order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    pub target: Vec<u8>,
    pub change: Change,
    /// The target as the plan saw it.
    pub expect: Expect,
    /// The source key's mod revision (a move deletes it only while there).
    pub source_revision: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub entries: Vec<PlanEntry>,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Source keys a move deletes.
    pub deleted: u64,
    /// Source keys that were on a lease (written without one).
    pub leased: u64,
    pub from_prefix: Vec<u8>,
    pub to_prefix: Vec<u8>,
    /// The revision a cluster source was read at (0 for a file).
    pub source_revision: i64,
    /// The request limit the plan was checked against (it bounds the
    /// lines read from a file again).
    pub max_request_bytes: usize,
    /// What the plan does that may not be meant (keys change shape): a
    /// person confirms it (typed yes); `--yes` alone does not.
    pub warnings: Vec<String>,
}

impl Plan {
    /// One line: what applying would do.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} created, {} updated, {} unchanged",
            self.created, self.updated, self.unchanged
        );
        if self.deleted > 0 {
            s.push_str(&format!(", {} deleted at the source", self.deleted));
        }
        if self.leased > 0 {
            s.push_str(&format!(
                " ({} were on a lease: written without one)",
                self.leased
            ));
        }
        s
    }
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Target keys written.
    pub applied: u64,
    /// Source keys deleted (move).
    pub deleted: u64,
    /// Keys skipped because the target (or the moved source) changed
    /// since the plan: the target keys.
    pub skipped: Vec<Vec<u8>>,
    /// Journal failure (the writes applied; `u` cannot restore them).
    pub journal_error: Option<String>,
    /// The most batches that were being written at once (at most
    /// `APPLY_IN_FLIGHT`).
    pub most_in_flight: usize,
}

impl Summary {
    pub fn line(&self) -> String {
        let mut s = format!("{} applied", self.applied);
        if self.deleted > 0 {
            s.push_str(&format!(", {} moved sources deleted", self.deleted));
        }
        s.push_str(&format!(
            ", {} skipped because they changed since the plan",
            self.skipped.len()
        ));
        s
    }
}

/// What a plan is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// The server's request limit as etcdlens knows it
    /// (`--max-request-bytes`): a key whose write would be over it is
    /// refused by the plan, not by etcd half way through the apply.
    pub max_request_bytes: usize,
    /// The delimiter (`--delimiter`): a destination that does not end with
    /// it when the source does (or the other way round) is warned about.
    pub delimiter: Vec<u8>,
}

impl Default for PlanOptions {
    fn default() -> PlanOptions {
        PlanOptions {
            max_request_bytes: crate::app::writes::editor::DEFAULT_MAX_REQUEST_BYTES,
            delimiter: b"/".to_vec(),
        }
    }
}

/// Reads the source in order, in batches.
enum Reader {
    /// An export file, and the line each record of the last batch came
    /// from.
    File(
        Box<format::Reader<std::io::BufReader<std::fs::File>>>,
        Vec<u64>,
    ),
    Etcd(Box<PinnedReader>),
}

impl Reader {
    /// `max_request_bytes` bounds the lines of a file.
    async fn open(
        client: &Connection,
        source: &Source,
        revision: i64,
        max_request_bytes: usize,
    ) -> Result<(Reader, Vec<u8>), String> {
        match source {
            Source::File(path) => {
                let r = open_file(path, max_request_bytes)?;
                let prefix = r.header.prefix_bytes()?;
                Ok((Reader::File(Box::new(r), Vec::new()), prefix))
            }
            Source::Prefix(p) => {
                let mut r = PinnedReader::new(&client.client, p);
                if revision != 0 {
                    r = r.at_revision(revision);
                }
                Ok((Reader::Etcd(Box::new(r)), p.clone()))
            }
        }
    }

    /// The next records (at most 128 and about `BATCH_BYTES` of values for
    /// a file; a page for the cluster), `None` at the end.
    async fn next_batch(&mut self) -> Result<Option<Vec<ValueRecord>>, String> {
        match self {
            Reader::File(r, lines) => {
                let mut batch = Vec::new();
                let mut bytes = 0;
                lines.clear();
                while batch.len() < MAX_TXN_OPS && bytes < BATCH_BYTES {
                    match r.next_record()? {
                        Some(rec) => {
                            bytes += rec.value.len() + rec.key.len();
                            batch.push(rec);
                            lines.push(r.line());
                        }
                        None => break,
                    }
                }
                Ok((!batch.is_empty()).then_some(batch))
            }
            Reader::Etcd(r) => loop {
                match r.next_page().await {
                    Ok(Some(page)) if page.is_empty() => continue,
                    Ok(page) => return Ok(page),
                    Err(e) => return Err(crate::etcd::describe_error(&e)),
                }
            },
        }
    }

    /// Where the `i`th record of the last batch came from, for messages:
    /// `line N: ` for a file, nothing for the cluster.
    fn place(&self, i: usize) -> String {
        match self {
            Reader::File(_, lines) => lines
                .get(i)
                .map_or(String::new(), |l| format!("line {l}: ")),
            Reader::Etcd(_) => String::new(),
        }
    }

    fn revision(&self) -> i64 {
        match self {
            Reader::File(..) => 0,
            Reader::Etcd(r) => r.origin().map_or(0, |o| o.revision),
        }
    }
}

/// Whether a file source is `-`: standard input.
pub fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// A file source opened at its start; `-` is standard input, copied once
/// into an unnamed temporary file (the plan and the apply each read the
/// source from its start), each open with an offset of its own.
pub fn open_input(path: &std::path::Path) -> Result<std::fs::File, String> {
    use std::os::fd::AsRawFd;
    static STDIN: std::sync::OnceLock<Result<std::fs::File, String>> = std::sync::OnceLock::new();
    if !is_stdin(path) {
        return std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()));
    }
    let copy = STDIN.get_or_init(|| {
        let mut f =
            tempfile::tempfile().map_err(|e| format!("cannot keep a copy of stdin: {e}"))?;
        std::io::copy(&mut std::io::stdin().lock(), &mut f)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        Ok(f)
    });
    let f = copy.as_ref().map_err(Clone::clone)?;
    std::fs::File::open(format!("/proc/self/fd/{}", f.as_raw_fd()))
        .map_err(|e| format!("cannot read the copy of stdin: {e}"))
}

/// A file source's name in messages (`stdin` for `-`).
pub fn input_name(path: &std::path::Path) -> String {
    if is_stdin(path) {
        "stdin".into()
    } else {
        path.display().to_string()
    }
}

fn open_file(
    path: &std::path::Path,
    max_request_bytes: usize,
) -> Result<format::Reader<std::io::BufReader<std::fs::File>>, String> {
    let file = open_input(path)?;
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    format::Reader::with_request_limit(input, max_request_bytes)
        .map_err(|e| format!("{}: {e}", input_name(path)))
}

/// Prefixes that overlap: a move or copy into itself would read what it
/// writes.
fn overlapping(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

fn target_of(key: &[u8], from: &[u8], to: &[u8]) -> Result<Vec<u8>, String> {
    let rest = key.strip_prefix(from).ok_or_else(|| {
        format!(
            "key {} is not under the export's prefix {}",
            crate::escape::escape_bytes(key),
            crate::escape::escape_bytes(from)
        )
    })?;
    let mut t = to.to_vec();
    t.extend_from_slice(rest);
    Ok(t)
}

/// Splits records into chunks of at most `keys` keys and about `bytes`
/// bytes of values (at least one record each).
fn chunks(records: &[ValueRecord], keys: usize, bytes: usize) -> Vec<&[ValueRecord]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, r) in records.iter().enumerate() {
        let len = r.key.len() + r.value.len();
        if i > start && (i - start == keys || size + len > bytes) {
            out.push(&records[start..i]);
            start = i;
            size = 0;
        }
        size += len;
    }
    if start < records.len() {
        out.push(&records[start..]);
    }
    out
}

/// Makes the plan: reads the whole source once and each target key as it
/// is now. `progress(keys planned)` after each batch.
pub async fn plan(
    client: &Connection,
    transfer: &Transfer,
    progress: impl FnMut(u64),
) -> Result<Plan, String> {
    plan_between(client, client, transfer, &PlanOptions::default(), progress).await
}

/// [`plan`] with the target on `target`'s cluster (another context's, or
/// the same). What the apply would fail on is refused here, naming the
/// key (and its line): a write over the request limit, a key twice.
pub async fn plan_between(
    client: &Connection,
    target: &Connection,
    transfer: &Transfer,
    options: &PlanOptions,
    mut progress: impl FnMut(u64),
) -> Result<Plan, String> {
    transfer.check()?;
    let limit = options.max_request_bytes;
    let (mut reader, from) = Reader::open(client, &transfer.source, 0, limit).await?;
    let to = transfer.to.clone().unwrap_or_else(|| from.clone());
    empty_destination(&from, &to)?;
    let same_cluster = transfer.to_context.is_none();
    if same_cluster && matches!(transfer.source, Source::Prefix(_)) && overlapping(&from, &to) {
        return Err(format!(
            "{} and {} overlap: the destination must be outside the source",
            shown_prefix(&from),
            shown_prefix(&to)
        ));
    }
    let kv = target.kv();
    let mut plan = Plan {
        from_prefix: from.clone(),
        to_prefix: to.clone(),
        max_request_bytes: limit,
        ..Plan::default()
    };
    let mut existing = Targets::new(target, &to);
    // The line of each key of a file, to name both lines of a key twice.
    let mut lines = Vec::new();
    let mut ascending = true;
    while let Some(batch) = reader.next_batch().await? {
        let mut targets = Vec::with_capacity(batch.len());
        for (i, r) in batch.iter().enumerate() {
            let place = || {
                format!(
                    "{}key {}",
                    reader.place(i),
                    crate::escape::escape_bytes(&r.key)
                )
            };
            let target =
                target_of(&r.key, &from, &to).map_err(|e| format!("{}{e}", reader.place(i)))?;
            let size = r.value.len()
                + 2 * target.len()
                + if transfer.moving { 2 * r.key.len() } else { 0 };
            if crate::app::writes::editor::over_limit(size, limit) {
                return Err(format!(
                    "{}: writing it takes {size} bytes, over the request limit of {limit} bytes ({}); nothing was written",
                    place(),
                    limit_name(limit)
                ));
            }
            if let Reader::File(_, l) = &reader {
                lines.push(l[i]);
            }
            let last = targets.last().or(plan.entries.last().map(|e| &e.target));
            if let Some(last) = last {
                if target == *last {
                    let other = lines.len().checked_sub(2).map(|i| lines[i]);
                    return Err(format!(
                        "{} is there twice{}: nothing was written",
                        place(),
                        other.map_or(String::new(), |l| format!(" (line {l} too)"))
                    ));
                }
                ascending &= target > *last;
            }
            targets.push(target);
        }
        let mut targets = targets.into_iter();
        for chunk in chunks(&batch, MAX_TXN_OPS, BATCH_BYTES) {
            let targets: Vec<Vec<u8>> = targets.by_ref().take(chunk.len()).collect();
            let now = if existing.in_order(&targets) {
                existing.lookup(&targets).await?
            } else {
                bulk::get_many(&kv, &targets)
                    .await
                    .map_err(|e| crate::etcd::describe_error(&e))?
                    .0
            };
            for ((src, target), cur) in chunk.iter().zip(targets).zip(now) {
                let (change, expect) = match cur {
                    None => (Change::Create, Expect::Absent),
                    Some(c) if c.value == src.value => {
                        (Change::Unchanged, Expect::ModRevision(c.mod_revision))
                    }
                    Some(c) => (Change::Update, Expect::ModRevision(c.mod_revision)),
                };
                match change {
                    Change::Create => plan.created += 1,
                    Change::Update => plan.updated += 1,
                    Change::Unchanged => plan.unchanged += 1,
                }
                if src.lease != 0 {
                    plan.leased += 1;
                }
                if transfer.moving {
                    plan.deleted += 1;
                }
                plan.entries.push(PlanEntry {
                    target,
                    change,
                    expect,
                    source_revision: src.mod_revision,
                });
            }
        }
        progress(plan.entries.len() as u64);
    }
    if !ascending {
        twice(&plan.entries, &lines, &from, &to)?;
    }
    if let Some(first) = plan.entries.first() {
        plan.warnings.extend(delimiter_warning(
            &from,
            &to,
            &options.delimiter,
            &first.target,
        ));
    }
    plan.source_revision = reader.revision();
    Ok(plan)
}

/// How the request limit was set, for messages.
fn limit_name(limit: usize) -> &'static str {
    if limit == crate::app::writes::editor::DEFAULT_MAX_REQUEST_BYTES {
        "etcd's default; --max-request-bytes N when the server allows more"
    } else {
        "--max-request-bytes"
    }
}

/// A key that is in a file twice (the file is not in key order, so the
/// keys are sorted to find it): named as the file has it, with both lines.
fn twice(entries: &[PlanEntry], lines: &[u64], from: &[u8], to: &[u8]) -> Result<(), String> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| entries[a].target.cmp(&entries[b].target).then(a.cmp(&b)));
    let dup = order
        .windows(2)
        .filter(|w| entries[w[0]].target == entries[w[1]].target)
        .min_by_key(|w| w[1]);
    let Some(w) = dup else {
        return Ok(());
    };
    let mut key = from.to_vec();
    key.extend_from_slice(&entries[w[1]].target[to.len()..]);
    Err(format!(
        "line {}: key {} is there twice (line {} too): nothing was written",
        lines.get(w[1]).copied().unwrap_or(0),
        crate::escape::escape_bytes(&key),
        lines.get(w[0]).copied().unwrap_or(0)
    ))
}

/// The keys under the target prefix, read in order alongside a source in
/// key order (a merge: one pass over the target instead of a read per
/// batch of keys). Keys out of order are read one batch at a time instead.
struct Targets {
    reader: PinnedReader,
    page: std::collections::VecDeque<ValueRecord>,
    done: bool,
    last: Option<Vec<u8>>,
}

impl Targets {
    fn new(client: &Connection, prefix: &[u8]) -> Targets {
        Targets {
            reader: PinnedReader::new(&client.client, prefix),
            page: Default::default(),
            done: false,
            last: None,
        }
    }

    /// Whether `keys` ascend and come after every key looked up before.
    fn in_order(&self, keys: &[Vec<u8>]) -> bool {
        let after_last = match (&self.last, keys.first()) {
            (Some(last), Some(first)) => first > last,
            _ => true,
        };
        after_last && keys.windows(2).all(|w| w[0] < w[1])
    }

    async fn lookup(&mut self, keys: &[Vec<u8>]) -> Result<Vec<Option<ValueRecord>>, String> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.find(key).await?);
        }
        self.last = keys.last().cloned();
        Ok(out)
    }

    async fn find(&mut self, key: &[u8]) -> Result<Option<ValueRecord>, String> {
        loop {
            while self.page.front().is_some_and(|r| r.key.as_slice() < key) {
                self.page.pop_front();
            }
            match self.page.front() {
                Some(r) if r.key == key => return Ok(self.page.pop_front()),
                Some(_) => return Ok(None),
                None if self.done => return Ok(None),
                None => match self.reader.next_page().await {
                    Ok(Some(page)) => self.page.extend(page),
                    Ok(None) => self.done = true,
                    Err(e) => return Err(crate::etcd::describe_error(&e)),
                },
            }
        }
    }
}

/// Applies `plan`: reads the source again (a cluster prefix at the plan's
/// revision), writes batches of at most 128 guarded operations and about
/// `max_request_bytes` (at most `APPLY_IN_FLIGHT` at once), journals what
/// each write replaced. `progress(keys done)` after each batch.
pub async fn apply(
    client: &Connection,
    transfer: &Transfer,
    plan: &Plan,
    journal: Option<&Journal>,
    max_request_bytes: usize,
    progress: impl FnMut(u64),
) -> Result<Summary, String> {
    apply_between(
        client,
        client,
        transfer,
        plan,
        journal,
        max_request_bytes,
        progress,
    )
    .await
}

/// Writes waiting to be sent: the batch being filled, and full batches.
struct Batches {
    /// Bytes of keys and values one batch carries at most.
    budget: usize,
    filling: Vec<BulkWrite>,
    ops: usize,
    bytes: usize,
    full: std::collections::VecDeque<Vec<BulkWrite>>,
}

impl Batches {
    fn push(&mut self, w: BulkWrite) {
        let size = w.key.len() + w.value.len() + w.source.as_ref().map_or(0, |s| s.0.len());
        if !self.filling.is_empty()
            && (self.ops + w.ops() > MAX_TXN_OPS || self.bytes + size > self.budget)
        {
            self.close();
        }
        self.ops += w.ops();
        self.bytes += size;
        self.filling.push(w);
    }

    /// The batch being filled is full (or the source ended).
    fn close(&mut self) {
        if !self.filling.is_empty() {
            self.full.push_back(std::mem::take(&mut self.filling));
        }
        (self.ops, self.bytes) = (0, 0);
    }
}

/// Keys of transactions that failed.
#[derive(Default)]
struct Failed {
    /// The first error.
    error: Option<String>,
    /// Keys surely not written (the server refused their transaction).
    not_written: u64,
    /// Keys whose transaction may have applied all the same (it timed out,
    /// or the connection was lost after it went out).
    maybe: u64,
}

/// [`apply`] with the writes on `target`'s cluster. When a transaction
/// fails, nothing more is sent; the transactions already in flight are
/// waited for and counted, so the error says exactly what was written.
///
/// With a journal, a start marker is written before the first write and
/// an end marker after the last answer (however it ended), and every
/// entry carries the operation's id: a start without an end is an apply
/// that was interrupted, named by the next start of etcdlens.
pub async fn apply_between(
    client: &Connection,
    target: &Connection,
    transfer: &Transfer,
    plan: &Plan,
    journal: Option<&Journal>,
    max_request_bytes: usize,
    progress: impl FnMut(u64),
) -> Result<Summary, String> {
    transfer.check()?;
    let (what, file) = match &transfer.source {
        Source::File(path) => ("import", Some(path.display().to_string())),
        Source::Prefix(_) if transfer.moving => ("move", None),
        Source::Prefix(_) => ("copy", None),
    };
    let marker = crate::journal::Marker::start(
        what,
        file,
        &plan.from_prefix,
        &plan.to_prefix,
        plan.entries.len() as u64,
    );
    let marked = journal.map(|j| j.mark(&marker));
    let op = matches!(marked, Some(Ok(()))).then_some(marker.op.as_str());
    let mut result = apply_marked(
        client,
        target,
        transfer,
        plan,
        journal,
        op,
        max_request_bytes,
        progress,
    )
    .await;
    let mut journal_error = match marked {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    if let (Some(j), Some(_)) = (journal, op) {
        if let Err(e) = j.mark(&marker.finish()) {
            journal_error.get_or_insert(e.to_string());
        }
    }
    if let (Ok(summary), Some(e)) = (&mut result, journal_error) {
        summary.journal_error.get_or_insert(e);
    }
    result
}

/// [`apply_between`] once the start is marked: `op` is the operation's
/// id, which its journal entries carry.
#[allow(clippy::too_many_arguments)]
async fn apply_marked(
    client: &Connection,
    target: &Connection,
    transfer: &Transfer,
    plan: &Plan,
    journal: Option<&Journal>,
    op: Option<&str>,
    max_request_bytes: usize,
    mut progress: impl FnMut(u64),
) -> Result<Summary, String> {
    use futures::stream::{FuturesOrdered, StreamExt};
    let (mut reader, from) = Reader::open(
        client,
        &transfer.source,
        plan.source_revision,
        max_request_bytes,
    )
    .await?;
    if from != plan.from_prefix {
        return Err("the source changed since the plan was made".into());
    }
    let mut summary = Summary::default();
    let mut entries = plan.entries.iter();
    let mut in_flight = FuturesOrdered::new();
    let gauge = Gauge::default();
    let mut batches = Batches {
        // Room for the request's own framing and the keys.
        budget: max_request_bytes.saturating_sub(64 * 1024).max(1),
        filling: Vec::new(),
        ops: 0,
        bytes: 0,
        full: Default::default(),
    };
    let mut done = 0u64;
    let mut finished = false;
    let mut unjournaled = 0;
    // Why it stops before the end: nothing more is sent once set.
    let mut stop: Option<String> = None;
    let mut failed = Failed::default();
    loop {
        // At most APPLY_IN_FLIGHT batches sent and not answered; the
        // source is read only when no full batch waits.
        while stop.is_none() && in_flight.len() < APPLY_IN_FLIGHT {
            if let Some(batch) = batches.full.pop_front() {
                in_flight.push_back(send(target.clone(), batch, gauge.clone()));
                continue;
            }
            if finished {
                if batches.filling.is_empty() {
                    break;
                }
                batches.close();
                continue;
            }
            let batch = match reader.next_batch().await {
                Ok(Some(batch)) => batch,
                Ok(None) => {
                    finished = true;
                    continue;
                }
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            };
            for src in batch {
                match write_for(src, entries.next(), transfer, &from, plan) {
                    Ok(Some(w)) => batches.push(w),
                    // Already as in the source (a copy): nothing to send.
                    Ok(None) => done += 1,
                    Err(e) => {
                        stop = Some(e);
                        break;
                    }
                }
            }
        }
        let Some((batch, outcomes)) = in_flight.next().await else {
            break;
        };
        let mut journaled = Vec::new();
        for (w, o) in batch.iter().zip(outcomes) {
            match o {
                BulkOutcome::Changed => summary.skipped.push(w.key.clone()),
                BulkOutcome::Failed {
                    error,
                    maybe_applied,
                } => {
                    if maybe_applied {
                        failed.maybe += 1;
                    } else {
                        failed.not_written += 1;
                    }
                    failed.error.get_or_insert(error);
                }
                BulkOutcome::Applied {
                    revision,
                    prev,
                    source_prev,
                } => {
                    if w.put {
                        summary.applied += 1;
                        // A moved key's copy is its only copy: `u` must not
                        // delete it, so only copies and imports are journaled.
                        if !transfer.moving {
                            let (value, lease) = match &prev {
                                Some((v, l)) => (Some(v.as_slice()), *l),
                                None => (None, 0),
                            };
                            let mut e = Entry::new(&w.key, value, lease, revision);
                            e.op = op.map(str::to_string);
                            journaled.push(e);
                        }
                    }
                    if w.source.is_some() && source_prev.is_some() {
                        summary.deleted += 1;
                    }
                }
            }
        }
        if let Some(e) = &failed.error {
            stop.get_or_insert_with(|| e.clone());
        }
        done += batch.len() as u64;
        if let (Some(j), false) = (journal, journaled.is_empty()) {
            // Trimmed now and then, not after every batch (it rewrites the file).
            unjournaled += journaled.len();
            let mut r = j.append_untrimmed(&journaled);
            if r.is_ok() && unjournaled >= TRIM_EVERY {
                unjournaled = 0;
                r = j.trim();
            }
            if let Err(e) = r {
                summary.journal_error.get_or_insert(e.to_string());
            }
        }
        progress(done);
    }
    summary.most_in_flight = gauge.most();
    if let (Some(j), true) = (journal, unjournaled > 0) {
        if let Err(e) = j.trim() {
            summary.journal_error.get_or_insert(e.to_string());
        }
    }
    if let Some(e) = stop {
        let total = plan.entries.len() as u64;
        let mut what = format!("{e} (stopped: {}", summary.line());
        if failed.not_written > 0 {
            what.push_str(&format!(
                "; {} in the transaction that failed were not written",
                failed.not_written
            ));
        }
        if failed.maybe > 0 {
            what.push_str(&format!(
                "; {} in a transaction that failed may still have been written (a new plan shows which)",
                failed.maybe
            ));
        }
        what.push_str(&format!("; {} not sent)", total.saturating_sub(done)));
        return Err(what);
    }
    if entries.next().is_some() {
        return Err(format!(
            "the source holds fewer keys than the plan saw (after {})",
            summary.line()
        ));
    }
    Ok(summary)
}

/// The write for one source key and its plan entry (`None`: a copy whose
/// target already holds the value), or why the source no longer matches
/// the plan.
fn write_for(
    src: ValueRecord,
    entry: Option<&PlanEntry>,
    transfer: &Transfer,
    from: &[u8],
    plan: &Plan,
) -> Result<Option<BulkWrite>, String> {
    let entry = entry.ok_or("the source holds more keys than the plan saw")?;
    if target_of(&src.key, from, &plan.to_prefix)? != entry.target {
        return Err("the source changed since the plan was made".into());
    }
    if entry.change == Change::Unchanged && !transfer.moving {
        return Ok(None);
    }
    Ok(Some(BulkWrite {
        key: entry.target.clone(),
        value: src.value,
        expect: entry.expect,
        put: entry.change != Change::Unchanged,
        source: transfer
            .moving
            .then(|| (src.key.clone(), entry.source_revision)),
    }))
}

/// Batches being written now, and the most there were at once.
#[derive(Clone, Default)]
struct Gauge(std::sync::Arc<(AtomicUsize, AtomicUsize)>);

impl Gauge {
    fn enter(&self) {
        let now = self.0 .0.fetch_add(1, Ordering::SeqCst) + 1;
        self.0 .1.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.0 .0.fetch_sub(1, Ordering::SeqCst);
    }

    fn most(&self) -> usize {
        self.0 .1.load(Ordering::SeqCst)
    }
}

type Sent = (Vec<BulkWrite>, Vec<BulkOutcome>);

async fn send(target: Connection, batch: Vec<BulkWrite>, gauge: Gauge) -> Sent {
    gauge.enter();
    let r = bulk::apply(&target.kv(), &batch).await;
    gauge.leave();
    (batch, r)
}

/// Where a plan's key comes from: its prefixes and the revision a cluster
/// source was read at (a plan without its entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOrigin {
    pub from_prefix: Vec<u8>,
    pub to_prefix: Vec<u8>,
    pub source_revision: i64,
    pub max_request_bytes: usize,
}

impl Plan {
    pub fn origin(&self) -> PlanOrigin {
        PlanOrigin {
            from_prefix: self.from_prefix.clone(),
            to_prefix: self.to_prefix.clone(),
            source_revision: self.source_revision,
            max_request_bytes: self.max_request_bytes,
        }
    }
}

/// One key of a plan, for its diff: the target's value now (`None`:
/// absent) and the value the source would write (a cluster prefix at the
/// plan's revision; an export file read up to the key).
pub async fn key_values(
    client: &Connection,
    target_client: &Connection,
    source: &Source,
    plan: &PlanOrigin,
    target: &[u8],
) -> Result<(Option<Vec<u8>>, Vec<u8>), String> {
    let rest = target
        .strip_prefix(plan.to_prefix.as_slice())
        .ok_or("the key is not under the plan's target")?;
    let mut source_key = plan.from_prefix.clone();
    source_key.extend_from_slice(rest);
    let describe = |e: crate::etcd::Error| crate::etcd::describe_error(&e);
    let new = match source {
        Source::Prefix(_) => value::fetch_at(
            &mut client.client.clone(),
            &source_key,
            plan.source_revision,
        )
        .await
        .map_err(describe)?
        .ok_or("the source key is gone at the plan's revision")?,
        Source::File(path) => {
            let mut r = open_file(path, plan.max_request_bytes)?;
            loop {
                match r.next_record()? {
                    Some(rec) if rec.key == source_key => break rec.value,
                    Some(_) => {}
                    None => return Err("the key is no longer in the file".into()),
                }
            }
        }
    };
    let old = value::fetch_at(&mut target_client.client.clone(), target, 0)
        .await
        .map_err(describe)?;
    Ok((old, new))
}
