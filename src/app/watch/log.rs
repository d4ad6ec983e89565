//! The Events pane's model: a bounded ring buffer of rows, exact counters
//! kept apart from it, a per-second rate for the sparkline, and the
//! pause/follow view.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use crate::etcd::types::{EventKind, WatchEvent};
use crate::value_doc::{line_diff, DiffTag, Document};

pub const DEFAULT_CAPACITY: usize = 10_000;
/// Bytes of a value kept in the log per row (the rest is cut).
pub const VALUE_KEEP: usize = 64 * 1024;
/// Value bytes the log may hold in all; the oldest rows go first beyond.
pub const MAX_BYTES: usize = 48 * 1024 * 1024;
/// Seconds of history behind the sparkline.
pub const RATE_WINDOW: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEntry {
    Event(EventRow),
    /// Revisions `from..=to` could not be replayed (compacted).
    Gap {
        from: i64,
        to: i64,
    },
    /// Election `name` changed leader (proposals; `None`: no leader).
    Leader {
        name: Vec<u8>,
        from: Option<Vec<u8>>,
        to: Option<Vec<u8>>,
        revision: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub kind: EventKind,
    pub revision: i64,
    pub key: Vec<u8>,
    /// Possibly cut to `VALUE_KEEP` bytes (see `truncated`).
    pub value: Vec<u8>,
    /// The value before this event, when known (`None` with
    /// `prev_unknown` false: there was none).
    pub prev_value: Option<Vec<u8>>,
    /// An update or delete whose previous value is not in the log (the
    /// watch does not ask etcd for previous values: on etcd 3.4 that makes
    /// it about ten times slower); it is read at `revision - 1` on demand.
    pub prev_unknown: bool,
    pub truncated: bool,
    /// A PUT that created the key (rather than updating it).
    pub created: bool,
}

impl EventRow {
    pub fn from_event(ev: WatchEvent) -> EventRow {
        let mut truncated = false;
        let mut cut = |mut v: Vec<u8>| {
            if v.len() > VALUE_KEEP {
                v.truncate(VALUE_KEEP);
                v.shrink_to_fit();
                truncated = true;
            }
            v
        };
        let value = cut(ev.value);
        let prev_value = ev.prev_value.map(&mut cut);
        EventRow {
            kind: ev.kind,
            revision: ev.mod_revision,
            created: ev.kind == EventKind::Put && ev.create_revision == ev.mod_revision,
            key: ev.key,
            value,
            prev_value,
            prev_unknown: false,
            truncated,
        }
    }

    /// What the event did to the key, as far as the log knows.
    pub fn change(&self) -> Change {
        match self.kind {
            EventKind::Delete => Change::Deleted,
            EventKind::Put if self.created => Change::Created,
            EventKind::Put if self.value_changed() => Change::Changed,
            EventKind::Put if self.prev_value.is_some() => Change::Same,
            EventKind::Put if self.prev_unknown => Change::PrevUnknown,
            EventKind::Put => Change::Updated,
        }
    }

    /// Whether the previous value matters and is not known yet.
    pub fn wants_prev(&self) -> bool {
        self.prev_unknown && (self.kind == EventKind::Delete || !self.created)
    }

    /// An update whose value differs from the previous one.
    pub fn value_changed(&self) -> bool {
        self.kind == EventKind::Put
            && self
                .prev_value
                .as_deref()
                .is_some_and(|p| p != self.value.as_slice())
    }

    fn bytes(&self) -> usize {
        self.key.len() + self.value.len() + self.prev_value.as_ref().map_or(0, Vec::len)
    }
}

/// What an event did, for the Events row's marker and the detail's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Deleted,
    Created,
    /// Updated to another value.
    Changed,
    /// Updated with the same value.
    Same,
    /// Updated; the previous value is not in the log (yet).
    PrevUnknown,
    /// Updated; nothing known of the previous value.
    Updated,
}

impl Change {
    /// What the Events rows' markers mean, in the order of the legend
    /// (the Events pane's bottom border and the help). A delete has none:
    /// its row says DELETE.
    pub const LEGEND: [(Change, &'static str); 4] = [
        (Change::Created, "created"),
        (Change::Changed, "value changed"),
        (Change::Same, "updated, no change seen"),
        (Change::PrevUnknown, "previous value not read yet"),
    ];

    /// The markers explained in one line: `+ created  ~ value changed …`.
    pub fn legend() -> String {
        Self::LEGEND
            .iter()
            .map(|(c, what)| format!("{} {what}", c.marker()))
            .collect::<Vec<_>>()
            .join("  ")
    }

    /// One character in the Events row.
    pub fn marker(self) -> &'static str {
        match self {
            Change::Deleted => " ",
            Change::Created => "+",
            Change::Changed => "~",
            Change::PrevUnknown => "?",
            Change::Same | Change::Updated => "=",
        }
    }

    /// The detail's header.
    pub fn label(self) -> &'static str {
        match self {
            Change::Deleted => "DELETE",
            Change::Created => "PUT (created)",
            Change::Changed => "PUT (updated, value changed)",
            Change::Same => "PUT (updated, same value)",
            Change::PrevUnknown => "PUT (updated; previous value not in the log)",
            Change::Updated => "PUT (updated)",
        }
    }
}

#[derive(Debug)]
pub struct EventLog {
    /// The watched prefix.
    pub prefix: Vec<u8>,
    rows: VecDeque<LogEntry>,
    /// Sequence number of `rows[0]`; rows are numbered consecutively.
    first_seq: u64,
    capacity: usize,
    /// Bytes held by the rows' keys and values.
    held: usize,
    /// Events received since the watch started: exact, whatever the ring
    /// buffer dropped.
    pub total: u64,
    origin: Instant,
    /// Events per second: (second since `origin`, count), oldest first.
    rate: VecDeque<(u64, u64)>,
    /// Frozen view (`p`): the row shown at the bottom, and events that
    /// arrived since.
    pub paused: Option<u64>,
    pub unseen: u64,
    /// Selected row (by sequence number) while the pane has the focus.
    pub selected: Option<u64>,
    /// The newest event row of each key, to know an event's previous value.
    latest: HashMap<Vec<u8>, u64>,
    /// The selected row's detail, prepared when the selection or its
    /// previous value changes, not per frame.
    pub detail: Option<(u64, Detail)>,
}

/// What the Value pane shows of the selected event, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// An update: previous → new, line by line.
    Diff(Vec<(DiffTag, String)>),
    /// A put's value, or a delete's previous value, as text lines.
    Text(Vec<String>),
}

impl EventLog {
    pub fn new(prefix: Vec<u8>, capacity: usize, origin: Instant) -> EventLog {
        EventLog {
            prefix,
            rows: VecDeque::new(),
            first_seq: 0,
            capacity: capacity.max(1),
            held: 0,
            total: 0,
            origin,
            rate: VecDeque::new(),
            paused: None,
            unseen: 0,
            selected: None,
            latest: HashMap::new(),
            detail: None,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Sequence numbers of the rows held: `first..end`.
    pub fn seq_range(&self) -> (u64, u64) {
        (self.first_seq, self.first_seq + self.rows.len() as u64)
    }

    pub fn get(&self, seq: u64) -> Option<&LogEntry> {
        self.rows.get(seq.checked_sub(self.first_seq)? as usize)
    }

    pub fn push_events(&mut self, events: Vec<WatchEvent>, at: Instant) {
        let n = events.len() as u64;
        self.total += n;
        self.count_rate(n, at);
        if self.paused.is_some() {
            self.unseen += n;
        }
        // Only the newest `capacity` of a huge batch can stay anyway.
        let skip = events.len().saturating_sub(self.capacity);
        if skip > 0 {
            // Every row held now would be evicted; number rows as if the
            // skipped events had passed through.
            self.first_seq += (self.rows.len() + skip) as u64;
            self.rows.clear();
            self.held = 0;
        }
        for ev in events.iter().take(skip) {
            // Their values are not kept: later rows cannot use them.
            self.latest.remove(&ev.key);
        }
        for ev in events.into_iter().skip(skip) {
            let mut row = EventRow::from_event(ev);
            if row.prev_value.is_none() && !row.created {
                match self.latest.get(&row.key).and_then(|&seq| self.get(seq)) {
                    Some(LogEntry::Event(prev)) => {
                        row.prev_value = (prev.kind == EventKind::Put).then(|| prev.value.clone());
                        row.truncated |= prev.truncated;
                    }
                    _ => row.prev_unknown = true,
                }
            }
            let key = row.key.clone();
            self.push(LogEntry::Event(row));
            self.latest
                .insert(key, self.first_seq + self.rows.len() as u64 - 1);
        }
        if self.latest.len() > 2 * self.capacity {
            let first = self.first_seq;
            self.latest.retain(|_, seq| *seq >= first);
        }
    }

    /// Fills in a row's previous value read from etcd.
    pub fn set_prev(&mut self, seq: u64, prev: Option<Vec<u8>>) {
        let Some(i) = seq.checked_sub(self.first_seq) else {
            return;
        };
        if let Some(LogEntry::Event(row)) = self.rows.get_mut(i as usize) {
            self.held += prev.as_ref().map_or(0, Vec::len);
            row.prev_value = prev;
            row.prev_unknown = false;
        }
        if self.selected == Some(seq) {
            self.refresh_detail();
        }
    }

    /// Selects row `seq` (or none) and prepares its diff.
    pub fn select(&mut self, seq: Option<u64>) {
        self.selected = seq;
        self.refresh_detail();
    }

    fn refresh_detail(&mut self) {
        self.detail = self.selected.and_then(|seq| {
            let LogEntry::Event(row) = self.get(seq)? else {
                return None;
            };
            let text = |bytes: &[u8]| Detail::Text(Document::build(bytes).text_lines());
            let detail = match row.kind {
                EventKind::Delete => text(row.prev_value.as_deref()?),
                EventKind::Put if row.value_changed() => {
                    Detail::Diff(line_diff(row.prev_value.as_deref()?, &row.value))
                }
                // A Kubernetes object cut by the log is named, not decoded.
                EventKind::Put if row.truncated && crate::k8s::is_kubernetes(&row.value) => {
                    return None
                }
                EventKind::Put => text(&row.value),
            };
            Some((seq, detail))
        });
    }

    pub fn push(&mut self, entry: LogEntry) {
        self.held += entry_bytes(&entry);
        self.rows.push_back(entry);
        while self.rows.len() > self.capacity || (self.held > MAX_BYTES && self.rows.len() > 1) {
            if let Some(old) = self.rows.pop_front() {
                self.held -= entry_bytes(&old);
                self.first_seq += 1;
            }
        }
    }

    fn count_rate(&mut self, n: u64, at: Instant) {
        let sec = at.saturating_duration_since(self.origin).as_secs();
        match self.rate.back_mut() {
            Some((s, count)) if *s == sec => *count += n,
            _ => self.rate.push_back((sec, n)),
        }
        while self
            .rate
            .front()
            .is_some_and(|(s, _)| s + (RATE_WINDOW as u64) <= sec)
        {
            self.rate.pop_front();
        }
    }

    /// Events per second for the last `width` whole seconds before `now`,
    /// oldest first.
    pub fn rates(&self, now: Instant, width: usize) -> Vec<u64> {
        let now_sec = now.saturating_duration_since(self.origin).as_secs();
        let mut out = vec![0; width];
        for &(sec, count) in &self.rate {
            let age = now_sec.saturating_sub(sec) as usize;
            if age < width {
                out[width - 1 - age] = count;
            }
        }
        out
    }

    /// The row at the bottom of the view.
    pub fn bottom(&self) -> Option<u64> {
        let (first, end) = self.seq_range();
        if end == first {
            return None;
        }
        Some(self.paused.map_or(end - 1, |p| p.clamp(first, end - 1)))
    }

    pub fn pause(&mut self) {
        if self.paused.is_none() {
            self.paused = Some(self.seq_range().1.saturating_sub(1));
            self.unseen = 0;
        }
    }

    pub fn follow(&mut self) {
        self.paused = None;
        self.unseen = 0;
    }

    /// Bytes held by the log's rows.
    pub fn bytes(&self) -> usize {
        self.held
    }
}

fn entry_bytes(entry: &LogEntry) -> usize {
    match entry {
        LogEntry::Event(e) => e.bytes(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ev(rev: i64) -> WatchEvent {
        WatchEvent {
            kind: EventKind::Put,
            key: format!("/k{rev}").into_bytes(),
            value: vec![b'x'; 10],
            prev_value: None,
            mod_revision: rev,
            create_revision: rev,
            version: 1,
            lease: 0,
        }
    }

    #[test]
    fn ring_buffer_keeps_the_newest_and_counts_all() {
        let t0 = Instant::now();
        let mut log = EventLog::new(b"/".to_vec(), 100, t0);
        for batch in 0..10 {
            log.push_events((0..50).map(|i| ev(batch * 50 + i + 1)).collect(), t0);
        }
        log.push_events((501..=750).map(ev).collect(), t0);
        assert_eq!(log.total, 750);
        assert_eq!(log.len(), 100);
        assert_eq!(log.seq_range(), (650, 750));
        match log.get(749) {
            Some(LogEntry::Event(e)) => assert_eq!(e.revision, 750),
            other => panic!("{other:?}"),
        }
        assert!(log.get(649).is_none());
    }

    #[test]
    fn rate_per_second_over_the_window() {
        let t0 = Instant::now();
        let mut log = EventLog::new(Vec::new(), 10, t0);
        log.push_events(vec![ev(1), ev(2)], t0);
        log.push_events(vec![ev(3)], t0 + Duration::from_millis(1500));
        log.push_events(vec![ev(4)], t0 + Duration::from_secs(3));
        assert_eq!(
            log.rates(t0 + Duration::from_secs(3), 5),
            vec![0, 2, 1, 0, 1]
        );
        // Old seconds fall out of the window.
        log.push_events(vec![ev(5)], t0 + Duration::from_secs(200));
        assert_eq!(log.rate.len(), 1);
        assert_eq!(log.total, 5);
    }

    #[test]
    fn pause_freezes_the_view_and_counts_unseen() {
        let t0 = Instant::now();
        let mut log = EventLog::new(Vec::new(), 5, t0);
        log.push_events((1..=3).map(ev).collect(), t0);
        log.pause();
        assert_eq!(log.bottom(), Some(2));
        log.push_events((4..=5).map(ev).collect(), t0);
        assert_eq!((log.bottom(), log.unseen), (Some(2), 2));
        // The frozen row is evicted: the view sticks to the oldest held.
        log.push_events((6..=9).map(ev).collect(), t0);
        assert_eq!(log.bottom(), Some(4));
        log.follow();
        assert_eq!((log.bottom(), log.unseen), (Some(8), 0));
    }

    #[test]
    fn big_values_are_cut_and_changes_flagged() {
        let mut e = ev(7);
        e.create_revision = 3;
        e.value = vec![b'a'; VALUE_KEEP + 10];
        e.prev_value = Some(b"old".to_vec());
        let row = EventRow::from_event(e);
        assert!(row.truncated && !row.created && row.value_changed());
        assert_eq!(row.value.len(), VALUE_KEEP);
    }

    #[test]
    fn previous_values_come_from_the_log_or_are_marked_unknown() {
        let t0 = Instant::now();
        let mut log = EventLog::new(Vec::new(), 100, t0);
        let update = |key: &str, value: &[u8], rev: i64| WatchEvent {
            key: key.as_bytes().to_vec(),
            value: value.to_vec(),
            create_revision: 1,
            ..ev(rev)
        };
        log.push_events(
            vec![
                update("/a", b"1", 5),
                update("/a", b"2", 6),
                update("/a", b"2", 7),
            ],
            t0,
        );
        let row = |log: &EventLog, seq| match log.get(seq) {
            Some(LogEntry::Event(e)) => e.clone(),
            other => panic!("{other:?}"),
        };
        assert!(row(&log, 0).prev_unknown, "the first update of a key seen");
        assert!(row(&log, 0).wants_prev());
        assert_eq!(row(&log, 1).prev_value.as_deref(), Some(&b"1"[..]));
        assert!(row(&log, 1).value_changed());
        assert!(!row(&log, 2).value_changed() && !row(&log, 2).prev_unknown);
        log.set_prev(0, Some(b"0".to_vec()));
        assert_eq!(row(&log, 0).prev_value.as_deref(), Some(&b"0"[..]));
        assert!(!row(&log, 0).wants_prev());
        // A created key has no previous value to look for.
        log.push_events(vec![ev(8)], t0);
        assert!(!row(&log, 3).prev_unknown && row(&log, 3).prev_value.is_none());
    }

    #[test]
    fn byte_budget_evicts_oldest() {
        let t0 = Instant::now();
        let mut log = EventLog::new(Vec::new(), 10_000, t0);
        let big = |rev| WatchEvent {
            value: vec![0; VALUE_KEEP],
            prev_value: Some(vec![1; VALUE_KEEP]),
            ..ev(rev)
        };
        log.push_events((1..=1000).map(big).collect(), t0);
        assert!(log.bytes() <= MAX_BYTES);
        assert!(log.len() < 1000);
        assert_eq!(log.total, 1000);
    }
}
