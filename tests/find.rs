//! Find against a real etcd: the scan delivers every key of a subtree once
//! (checked against the key set), at one revision, at about twice the
//! keys' count in server work; queries match what a reference computed
//! from the key set says; `Esc` stops the reads.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Etcd, Headless};
use crossterm::event::KeyCode;
use etcdlens::app::find::{FindBatch, Progress, Query};
use etcdlens::app::Msg;
use etcdlens::etcd::scan::{ScanStats, Scanner};
use etcdlens::etcd::Reports;

/// A deterministic pseudo-random key set under `prefix` over a nasty
/// alphabet (0xff bytes, keys that are prefixes of others, empty segments),
/// in clumps of very different density.
fn keyspace(prefix: &[u8], n: usize) -> BTreeSet<Vec<u8>> {
    let alphabet: &[u8] = b"/a-0\xffz:";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut set = BTreeSet::new();
    while set.len() < n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut k = prefix.to_vec();
        // A few dense clumps (long shared prefixes) and a sparse rest.
        match seed % 4 {
            0 => k.extend_from_slice(b"dense/"),
            1 => k.extend_from_slice(b"m/very/long/shared/prefix/"),
            _ => {}
        }
        let len = 1 + (seed >> 3) as usize % 12;
        for j in 0..len {
            k.push(alphabet[((seed >> (j * 5 + 7)) % alphabet.len() as u64) as usize]);
        }
        set.insert(k);
    }
    set
}

async fn scan_all(etcd: &Etcd, prefix: &[u8], values: bool) -> (Vec<Vec<u8>>, ScanStats) {
    let kv = etcd.client().await.kv_client();
    let mut s = Scanner::new(kv, prefix, values);
    let mut keys = Vec::new();
    while let Some(page) = s.next().await {
        keys.extend(page.expect("page").kvs.into_iter().map(|kv| kv.key));
    }
    (keys, s.stats())
}

#[tokio::test]
async fn scan_delivers_every_key_once_at_about_twice_the_work() {
    let etcd = Etcd::single().await;
    let set = keyspace(b"/s/", 30_000);
    // Neighbours outside the prefix must not show.
    let mut all: Vec<Vec<u8>> = set.iter().cloned().collect();
    all.extend([
        b"/s".to_vec(),
        b"/r/x".to_vec(),
        b"/s0".to_vec(),
        b"/t".to_vec(),
    ]);
    etcd.put_keys(&all).await;

    let (mut got, stats) = scan_all(&etcd, b"/s/", false).await;
    let n = got.len();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), n, "a key was delivered twice");
    assert_eq!(got, set.iter().cloned().collect::<Vec<_>>());
    assert_eq!(stats.total, set.len() as u64);
    assert_eq!(stats.scanned, set.len() as u64);
    let ratio = stats.work as f64 / set.len() as f64;
    println!(
        "30,000 keys: {} reads, server work {ratio:.2} x",
        stats.reads
    );
    // The first read walks everything (the total); the windows about as
    // much again. Paging [after last, end) would cost ~N/2048/2 ≈ 7 x.
    assert!(ratio < 3.0, "server work {ratio:.2} x the keys");

    // The whole keyspace (no range end) and an empty prefix.
    let (mut got, _) = scan_all(&etcd, b"", false).await;
    got.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(got, expected);
    let (got, stats) = scan_all(&etcd, b"/nothing/", false).await;
    assert!(got.is_empty());
    assert_eq!((stats.total, stats.reads), (0, 1));
}

#[tokio::test]
async fn scan_is_pinned_to_its_first_revision() {
    let etcd = Etcd::single().await;
    let set = keyspace(b"/p/", 12_000);
    etcd.put_keys(&set.iter().cloned().collect::<Vec<_>>())
        .await;
    let mut client = etcd.client().await;
    let mut s = Scanner::new(client.kv_client(), b"/p/", false);
    let mut got: Vec<Vec<u8>> = s
        .next()
        .await
        .expect("a page")
        .expect("read")
        .kvs
        .into_iter()
        .map(|kv| kv.key)
        .collect();
    // Writes after the scan started: new keys all over the range, and
    // deletes of keys not read yet.
    for i in 0..50 {
        client.put(format!("/p/new{i}"), "x", None).await.unwrap();
        client
            .put(format!("/p/\u{7f}{i}"), "x", None)
            .await
            .unwrap();
    }
    let doomed: Vec<Vec<u8>> = set.iter().rev().take(20).cloned().collect();
    for k in &doomed {
        client.delete(k.clone(), None).await.unwrap();
    }
    while let Some(page) = s.next().await {
        got.extend(page.expect("page").kvs.into_iter().map(|kv| kv.key));
    }
    got.sort();
    assert_eq!(got, set.iter().cloned().collect::<Vec<_>>());
}

/// Every key of a find, as the UI would receive them.
async fn find(etcd: &Etcd, prefix: &[u8], query: &str) -> Vec<Vec<u8>> {
    let conn = etcd.connection().await;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<FindBatch>(64);
    let q = Query::parse(query).expect("query");
    let task = tokio::spawn(etcdlens::search::find(
        conn,
        prefix.to_vec(),
        q,
        Reports::new(tx, |b| b),
    ));
    let mut keys = Vec::new();
    let mut done = None;
    while let Some(b) = rx.recv().await {
        keys.extend(b.hits.into_iter().map(|h| h.key));
        if b.done.is_some() {
            done = b.done;
        }
    }
    task.await.unwrap();
    assert_eq!(done, Some(Ok(())), "query {query}");
    keys.sort();
    keys
}

/// The needle's bytes in order, ignoring ASCII case (the reference's own).
fn subsequence(hay: &[u8], needle: &[u8]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h.eq_ignore_ascii_case(n)))
}

#[tokio::test]
async fn queries_match_a_reference_from_the_key_set() {
    let etcd = Etcd::single().await;
    let set = keyspace(b"/q/", 8_000);
    let mut keys: Vec<Vec<u8>> = set.iter().cloned().collect();
    keys.push(b"/q/Upper-A0".to_vec());
    etcd.put_keys(&keys).await;
    let names = |pred: &dyn Fn(&[u8]) -> bool| -> Vec<Vec<u8>> {
        keys.iter()
            .filter(|k| pred(&k[3..]))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    // Substring, ignoring case (all lower case).
    let expect = names(&|n| n.to_ascii_lowercase().windows(3).any(|w| w == b"a-0"));
    assert!(expect.len() > 10);
    assert_eq!(find(&etcd, b"/q/", "a-0").await, expect);
    // With upper case, case matters.
    assert_eq!(find(&etcd, b"/q/", "r-A0").await, [b"/q/Upper-A0".to_vec()]);
    // Regex, on the name (after the searched directory), bytes allowed.
    let expect = names(&|n| n.starts_with(b"dense/") && n.ends_with(&[0xff]));
    assert!(!expect.is_empty());
    assert_eq!(find(&etcd, b"/q/", r"re:(?-u)^dense/.*\xff$").await, expect);
    // Fuzzy: the letters in order.
    let expect = names(&|n| subsequence(n, b"mz0z"));
    assert!(!expect.is_empty());
    assert_eq!(find(&etcd, b"/q/", "~mz0z").await, expect);
}

#[tokio::test]
async fn values_are_matched_as_shown() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    let puts: &[(&str, &[u8])] = &[
        ("/v/compact", br#"{"port":8080,"name":"pay"}"#),
        ("/v/escaped", br#"{"name":"caf\u00e9 payment"}"#),
        ("/v/text", b"payment service"),
        ("/v/binary", &[0xff, 0xfe, b'p', b'a', b'y', 0x00]),
        ("/v/other", br#"{"port":9090}"#),
        ("/v/payment-key", b"nothing"),
    ];
    for (k, v) in puts {
        client.put(*k, *v, None).await.unwrap();
    }
    let f = |q: &'static str| {
        let etcd = &etcd;
        async move {
            find(etcd, b"/v/", q)
                .await
                .into_iter()
                .map(|k| String::from_utf8(k).unwrap())
                .collect::<Vec<_>>()
        }
    };
    // Names only without v:.
    assert_eq!(f("payment").await, ["/v/payment-key"]);
    // Values too with v: (the name still counts).
    assert_eq!(
        f("v:payment").await,
        ["/v/escaped", "/v/payment-key", "/v/text"]
    );
    // JSON as the Value pane shows it: pretty, escapes decoded.
    assert_eq!(f("v:\"port\": 8080").await, ["/v/compact"]);
    assert_eq!(f("v:café").await, ["/v/escaped"]);
    assert_eq!(f("v:re:\"port\": \\d{4}").await, ["/v/compact", "/v/other"]);
    // A binary value is matched as its hex dump, not its raw bytes.
    assert_eq!(f("v:ff fe 70").await, ["/v/binary"]);
    assert_eq!(f("v:re:(?-u)\\xffpay").await, Vec::<String>::new());
}

/// The server's own count of range requests it received.
fn ranges_started(endpoint: &str) -> u64 {
    common::metric(
        endpoint,
        "grpc_server_started_total",
        "grpc_method=\"Range\"",
    ) as u64
}

#[tokio::test]
async fn esc_stops_the_scan_and_its_reads() {
    let etcd = Etcd::single().await;
    let set = keyspace(b"/c/", 40_000);
    etcd.put_keys(&set.iter().cloned().collect::<Vec<_>>())
        .await;
    let endpoint = etcd.endpoints()[0].clone();
    // What a whole scan of /c/ reads.
    let (_, whole) = scan_all(&etcd, b"/c/", false).await;
    assert!(whole.reads > 10, "{} reads", whole.reads);

    let mut h = Headless::start(etcd.connection().await, b"/", 100);
    // The tree's own listing reads are over before counting.
    h.until(20, "the listing", |s| {
        s.tree.rows.len() > 1 && s.tree.loading_under(etcdlens::app::tree::ROOT).is_empty()
    })
    .await;
    let before = ranges_started(&endpoint);
    // A query matching nearly every key: the first batch comes with the
    // first read.
    h.press(KeyCode::Char('F'));
    h.type_str("/");
    h.press(KeyCode::Enter);
    h.until(10, "the first matches", |s| {
        s.find.as_ref().is_some_and(|f| f.matches > 0)
    })
    .await;
    h.press(KeyCode::Esc);
    let view = h.state.find.as_ref().expect("results stay");
    assert_eq!(view.progress, Progress::Cancelled);
    let at_cancel = ranges_started(&endpoint);
    // Run a whole scan again: it takes as long as the first one would
    // have gone on.
    let (_, again) = scan_all(&etcd, b"/c/", false).await;
    let after = ranges_started(&endpoint);
    let cancelled_reads = after - before - again.reads;
    println!(
        "reads: a whole scan {}, the cancelled one {cancelled_reads} ({} at Esc)",
        whole.reads,
        at_cancel - before
    );
    // Only reads already sent at Esc (at most 8 in flight) reached etcd.
    assert!(
        cancelled_reads <= at_cancel - before + 8,
        "{cancelled_reads} reads after Esc at {}",
        at_cancel - before
    );
    assert!(cancelled_reads < whole.reads);
    // Nothing more arrives for the cancelled find.
    while let Some(msg) = h.next_msg(Duration::from_millis(300)).await {
        if let Msg::Found { .. } = msg {
            let before = h.state.find.as_ref().unwrap().scanned;
            h.apply(msg);
            assert_eq!(h.state.find.as_ref().unwrap().scanned, before);
        }
    }
    // Esc again closes the results: the tree is back.
    h.press(KeyCode::Esc);
    assert!(h.state.find.is_none());
}

/// `D` on the results' row, `yes`: every result unchanged since the scan
/// is deleted (300 keys: three transactions), one changed after the scan
/// is skipped and keeps its new value, keys that did not match stay.
#[tokio::test]
async fn deleting_all_results_skips_a_key_changed_since_the_search() {
    common::journal_env();
    let etcd = Etcd::single().await;
    let hits: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("/d/hit-{i:03}").into_bytes())
        .collect();
    let others: Vec<Vec<u8>> = (0..10)
        .map(|i| format!("/d/keep-{i}").into_bytes())
        .collect();
    etcd.put_keys(&hits).await;
    etcd.put_keys(&others).await;

    let mut h = Headless::start(etcd.connection().await, b"/", 100);
    h.until(20, "the listing", |s| {
        s.tree.rows.len() > 1 && s.tree.loading_under(etcdlens::app::tree::ROOT).is_empty()
    })
    .await;
    h.press(KeyCode::Char('F'));
    h.type_str("hit-");
    h.press(KeyCode::Enter);
    h.until(20, "the whole find", |s| {
        s.find
            .as_ref()
            .is_some_and(|f| f.progress == Progress::Done)
    })
    .await;
    assert_eq!(h.state.find.as_ref().unwrap().hits.len(), 300);

    // Changed after the scan: its guard fails.
    let mut client = etcd.client().await;
    client.put("/d/hit-150", "changed", None).await.unwrap();

    h.press(KeyCode::Char('D'));
    assert!(h.state.prompt.is_some(), "asks for yes");
    h.type_str("yes");
    h.press(KeyCode::Enter);
    h.until(20, "the summary", |s| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("skipped"))
    })
    .await;
    assert_eq!(
        h.state.message.as_ref().unwrap().text,
        "299 deleted, 1 skipped (changed since the search)"
    );
    let left: Vec<Vec<u8>> = h
        .state
        .find
        .as_ref()
        .unwrap()
        .hits
        .iter()
        .map(|h| h.key.clone())
        .collect();
    assert_eq!(left, [b"/d/hit-150".to_vec()], "deleted rows go");

    let resp = client
        .get("/d/", Some(etcd_client::GetOptions::new().with_prefix()))
        .await
        .unwrap();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = vec![(b"/d/hit-150".to_vec(), b"changed".to_vec())];
    let got: Vec<(Vec<u8>, Vec<u8>)> = resp
        .kvs()
        .iter()
        .map(|kv| (kv.key().to_vec(), kv.value().to_vec()))
        .collect();
    let kept: Vec<Vec<u8>> = got
        .iter()
        .filter(|(k, _)| k.starts_with(b"/d/keep-"))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(kept, others, "keys that did not match stay");
    let hit_left: Vec<(Vec<u8>, Vec<u8>)> = got
        .into_iter()
        .filter(|(k, _)| k.starts_with(b"/d/hit-"))
        .collect();
    assert_eq!(hit_left, expected);
    // The deleted values are journaled for `u`.
    let entry = etcdlens::journal::Journal::open_default()
        .and_then(|j| j.last_for(b"/d/hit-299"))
        .expect("journaled");
    assert_eq!(entry.prev_bytes(), Some(b"/d/hit-299".to_vec()));
    let skipped =
        etcdlens::journal::Journal::open_default().and_then(|j| j.last_for(b"/d/hit-150"));
    assert!(skipped.is_none(), "the skipped key was not written");
}
