//! Usage (`:du`): figures against a reference computed from the key set on
//! a real etcd, and the view's transitions as plain functions.

use crate::common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::fixtures::{key, page};
use common::Etcd;
use crossterm::event::KeyCode;
use etcdlens::app::find::Progress;
use etcdlens::app::tree::ROOT;
use etcdlens::app::usage::UsageBatch;
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::Reports;

#[tokio::test]
async fn du_figures_match_a_reference_from_the_key_set() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    // Children of very different sizes, nested directories, keys directly
    // in the directory, and neighbours outside it.
    let mut kvs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..20_000u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let child = ["events", "pods", "pods-x", "a", "\u{ff}odd"][(seed % 5) as usize];
        let depth = if seed.is_multiple_of(3) { "ns/" } else { "" };
        let key = format!("/r/{child}/{depth}k{i}").into_bytes();
        let value = vec![b'v'; (seed % 700) as usize];
        kvs.push((key, value));
    }
    kvs.push((b"/r/top".to_vec(), b"12345".to_vec()));
    kvs.push((b"/r/".to_vec(), b"self".to_vec()));
    kvs.push((b"/r".to_vec(), b"outside".to_vec()));
    kvs.push((b"/s/x".to_vec(), b"outside".to_vec()));
    let ops = kvs
        .iter()
        .map(|(k, v)| etcd_client::TxnOp::put(k.clone(), v.clone(), None))
        .collect();
    etcdlens::etcd::seed::put_batched(&mut client, ops)
        .await
        .unwrap();

    let mut reference: BTreeMap<Vec<u8>, (u64, u64)> = BTreeMap::new();
    for (k, v) in kvs.iter().filter(|(k, _)| k.starts_with(b"/r/")) {
        let rest = &k[3..];
        let child = match rest.iter().position(|&b| b == b'/') {
            Some(i) => k[..3 + i + 1].to_vec(),
            None => k.clone(),
        };
        let e = reference.entry(child).or_default();
        e.0 += 1;
        e.1 += v.len() as u64;
    }

    let (tx, mut rx) = tokio::sync::mpsc::channel::<UsageBatch>(64);
    let task = tokio::spawn(etcdlens::search::usage(
        etcd.connection().await,
        b"/r/".to_vec(),
        b"/".to_vec(),
        Reports::new(tx, |b| b),
    ));
    let mut got: BTreeMap<Vec<u8>, (u64, u64)> = BTreeMap::new();
    let mut db = None;
    let mut done = None;
    while let Some(b) = rx.recv().await {
        for (k, n, bytes) in b.adds {
            let e = got.entry(k).or_default();
            e.0 += n;
            e.1 += bytes;
        }
        db = db.or(b.db);
        done = done.or(b.done);
    }
    let stats = task.await.unwrap();
    assert_eq!(done, Some(Ok(())));
    assert_eq!(got, reference);
    assert_eq!(stats.total, kvs.len() as u64 - 2);
    let db = db.expect("the DB status").expect("answered");
    assert!(
        db.size > 0 && db.in_use > 0 && db.in_use <= db.size,
        "{db:?}"
    );
}

fn run(s: &mut State, msgs: Vec<Msg>) -> Vec<Cmd> {
    msgs.into_iter().flat_map(|m| update(s, m)).collect()
}

#[test]
fn du_on_a_directory_reuses_known_counts_and_esc_stops_then_closes() {
    let mut s = State::new(b"/", b"/", "e".into(), Instant::now());
    s.size = (160, 45);
    let g = s.tree.begin_load(ROOT).unwrap().generation;
    let mut p = page(&["/a/", "/b/", "/k"], None);
    p.counts = vec![(b"/a/".to_vec(), 40), (b"/b/".to_vec(), 2)];
    s.tree.apply_page(ROOT, g, p);
    s.tree.rebuild_rows();
    // `:du` with the key /k selected: its directory, the root `/`.
    s.selected = 2;
    let mut msgs = vec![key(KeyCode::Char(':'))];
    msgs.extend(common::fixtures::typed("du"));
    msgs.push(key(KeyCode::Enter));
    let cmds = run(&mut s, msgs);
    let id = match cmds.as_slice() {
        [Cmd::Usage { id, prefix }] if prefix == b"/" => *id,
        other => panic!("{other:?}"),
    };
    let v = s.usage.as_ref().unwrap();
    let known: Vec<Option<u64>> = v.rows.iter().map(|r| r.known).collect();
    assert_eq!(known, [Some(40), Some(2), Some(1)], "what the listing knew");
    update(
        &mut s,
        Msg::Usage {
            id,
            batch: UsageBatch {
                adds: vec![(b"/b/".to_vec(), 2, 9000), (b"/a/".to_vec(), 3, 10)],
                scanned: 5,
                total: 43,
                revision: 8,
                db: Some(Ok(etcdlens::etcd::usage::DbStatus {
                    size: 1 << 30,
                    in_use: 1 << 29,
                    quota: 0,
                })),
                done: None,
                skipped: None,
            },
        },
    );
    let v = s.usage.as_ref().unwrap();
    assert_eq!(v.rows[0].full, b"/b/", "sorted by value bytes");
    assert_eq!(
        v.percent_full().map(|(p, known)| (p.round(), known)),
        Some((50.0, false))
    );
    let text = common::fixtures::screen(&s);
    assert!(text.contains("Usage /"), "{text}");
    assert!(
        text.contains("DB 50.0% full: 1.0 GiB (512.0 MiB in use) of quota 2.0 GiB (etcd's default"),
        "{text}"
    );
    let cmds = update(&mut s, key(KeyCode::Esc));
    assert_eq!(cmds, vec![Cmd::CancelUsage { id }]);
    assert_eq!(s.usage.as_ref().unwrap().progress, Progress::Cancelled);
    update(&mut s, key(KeyCode::Esc));
    assert!(s.usage.is_none());
}
