//! `etcdlens open FILE` (issue 27): a snapshot saved from real etcd after
//! scripted writes, served from the file (`etcd::offline`), answers every
//! read as the live cluster does at the same revision — ranges at each
//! revision the file holds, errors below the compaction point and past the
//! last revision, a key's history, leases, an export.

use crate::common;

use std::time::Duration;

use common::Etcd;
use etcd_client::{Client, Compare, CompareOp, GetOptions, Txn, TxnOp};
use etcdlens::etcd::offline::{serve, Store};
use etcdlens::etcd::{connect, ConnSettings, Connection};

/// Puts, overwrites, deletes, a transaction of several operations, binary
/// values, a lease, a compaction, and writes after it. Returns the
/// compaction revision.
async fn scripted(c: &mut Client) -> i64 {
    for v in ["v1", "v2", "v3"] {
        c.put("/app/config", v, None).await.unwrap();
    }
    c.put("/app/flags/x", "on", None).await.unwrap();
    c.put("/svc/a", "1", None).await.unwrap();
    c.put(
        "/registry/pods/default/web-1",
        crate::k8s::built::pod("Running"),
        None,
    )
    .await
    .unwrap();
    c.put("/bin/k", vec![0u8, 1, 0xff, b'\n', 0x80], None)
        .await
        .unwrap();
    c.delete("/svc/a", None).await.unwrap();
    let compact_at = c.put("/app/config", "v4", None).await.unwrap();
    let compact_at = compact_at.header().unwrap().revision();
    c.txn(
        Txn::new()
            .when([Compare::version("/t/a", CompareOp::Equal, 0)])
            .and_then([
                TxnOp::put("/t/a", "A", None),
                TxnOp::put("/t/b", "B", None),
                TxnOp::delete("/app/flags/x", None),
            ]),
    )
    .await
    .unwrap();
    let lease = c.lease_grant(600, None).await.unwrap().id();
    c.put(
        "/lock/k",
        "held",
        Some(etcd_client::PutOptions::new().with_lease(lease)),
    )
    .await
    .unwrap();
    c.compact(
        compact_at,
        Some(etcd_client::CompactionOptions::new().with_physical()),
    )
    .await
    .unwrap();
    c.put("/app/config", "v5", None).await.unwrap();
    c.delete(
        "/svc/",
        Some(etcd_client::DeleteOptions::new().with_prefix()),
    )
    .await
    .unwrap();
    compact_at
}

/// `etcdctl snapshot save` of `etcd` into a temporary directory.
fn save_snapshot(etcd: &Etcd) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.db");
    let out = common::etcdctl()
        .args(["--endpoints", &etcd.endpoints()[0], "snapshot", "save"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, file)
}

fn plain(etcd_endpoints: Vec<String>) -> ConnSettings {
    ConnSettings {
        endpoints: etcd_endpoints,
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(10),
        ..ConnSettings::default()
    }
}

/// A reply's content, comparable: (keys with their fields, count, more).
type Reply = (Vec<(Vec<u8>, Vec<u8>, i64, i64, i64, i64)>, i64, bool);

async fn get(c: &mut Client, key: &str, opts: GetOptions) -> Result<Reply, String> {
    match c.get(key, Some(opts)).await {
        Ok(r) => Ok((
            r.kvs()
                .iter()
                .map(|kv| {
                    (
                        kv.key().to_vec(),
                        kv.value().to_vec(),
                        kv.create_revision(),
                        kv.mod_revision(),
                        kv.version(),
                        kv.lease(),
                    )
                })
                .collect(),
            r.count(),
            r.more(),
        )),
        // The kind of failure as the app classifies it.
        Err(e) => Err(format!("{:?}", etcdlens::etcd::Error::from(&e))
            .split('(')
            .next()
            .unwrap()
            .to_string()),
    }
}

/// What `:changes FROM now` reads under `/`.
async fn changes(
    c: &mut Client,
    from: etcdlens::etcd::revision::RevisionSpec,
) -> Result<etcdlens::etcd::changes::Changes, etcdlens::etcd::revision::RevisionError> {
    use etcdlens::etcd::changes::{self, ChangesUpdate};
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let reports = etcdlens::etcd::Reports::new(tx, |u: ChangesUpdate| u);
    let mut client = c.clone();
    tokio::spawn(async move {
        let now = etcdlens::etcd::revision::RevisionSpec::Now;
        changes::read(&mut client, b"/", from, now, reports).await
    });
    while let Some(u) = rx.recv().await {
        match u {
            ChangesUpdate::Done(c) => return Ok(c),
            ChangesUpdate::Failed(e) => return Err(e),
            _ => {}
        }
    }
    panic!("no answer");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_answers_every_read_as_the_live_cluster_did() {
    let etcd = Etcd::single().await;
    let mut live = etcd.client().await;
    let compacted = scripted(&mut live).await;
    let last = common::revision(&mut live).await;
    let (_dir, file) = save_snapshot(&etcd);

    let store = Store::open(&file).unwrap();
    assert_eq!((store.revision, store.compacted), (last, compacted));
    let addr = serve(store).await.unwrap();
    let offline: Connection = connect(&plain(vec![format!("http://{addr}")]))
        .await
        .expect("the served file connects");
    let mut off = offline.client.clone();

    // Every revision from below the compaction point to past the last.
    let mut compared = 0;
    for rev in (compacted - 2)..=(last + 1) {
        for (key, opts) in [
            ("\0", GetOptions::new().with_from_key()),
            ("/app/", GetOptions::new().with_prefix()),
            ("/", GetOptions::new().with_prefix().with_keys_only()),
            ("/", GetOptions::new().with_prefix().with_limit(2)),
            ("/", GetOptions::new().with_prefix().with_count_only()),
            ("/app/config", GetOptions::new()),
            ("/svc/a", GetOptions::new()),
            (
                "/",
                GetOptions::new().with_prefix().with_sort(
                    etcd_client::SortTarget::Mod,
                    etcd_client::SortOrder::Descend,
                ),
            ),
        ] {
            let keys_only = format!("{opts:?}").contains("keys_only: true");
            let opts = opts.with_revision(rev);
            let mut want = get(&mut live, key, opts.clone()).await;
            let mut got = get(&mut off, key, opts).await;
            // etcd 3.7 serves keys-only replies from its index, which
            // holds no lease: 0 there, the stored lease from the file.
            if keys_only && common::etcd_version() >= (3, 7, 0) {
                for r in [&mut want, &mut got].into_iter().flatten() {
                    r.0.iter_mut().for_each(|kv| kv.5 = 0);
                }
            }
            assert_eq!(got, want, "{key:?} at rev {rev}");
            compared += 1;
        }
    }
    assert!(compared > 50);
    // Below the compaction point and past the last revision: refused alike.
    let below = get(
        &mut off,
        "/app/config",
        GetOptions::new().with_revision(compacted - 1),
    )
    .await;
    assert_eq!(below, Err("Compacted".into()));
    let past = get(
        &mut off,
        "/app/config",
        GetOptions::new().with_revision(last + 1),
    )
    .await;
    assert_eq!(past, Err("FutureRevision".into()));

    // A key's history, through the watch replay.
    for key in [&b"/app/config"[..], b"/app/flags/x", b"/t/a"] {
        let want = etcdlens::etcd::history::key_history(&mut live, key)
            .await
            .unwrap();
        let got = etcdlens::etcd::history::key_history(&mut off, key)
            .await
            .unwrap();
        let shape = |h: &etcdlens::etcd::history::KeyHistory| {
            (
                h.events
                    .iter()
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>(),
                h.compacted,
                h.revision,
                h.current.clone(),
            )
        };
        assert_eq!(shape(&got), shape(&want), "history of {key:?}");
    }

    // :changes between the compaction point and now, and from further back
    // (refused alike).
    use etcdlens::etcd::revision::RevisionSpec;
    for from in [RevisionSpec::At(compacted), RevisionSpec::At(compacted - 2)] {
        let want = format!("{:?}", changes(&mut live, from).await);
        let got = format!("{:?}", changes(&mut off, from).await);
        assert_eq!(got, want);
    }

    // Leases as stored: the same ids, the TTL as granted.
    let ids =
        |r: etcd_client::LeaseLeasesResponse| r.leases().iter().map(|l| l.id()).collect::<Vec<_>>();
    let live_ids = ids(live.leases().await.unwrap());
    assert_eq!(ids(off.leases().await.unwrap()), live_ids);
    let ttl = off
        .lease_time_to_live(
            live_ids[0],
            Some(etcd_client::LeaseTimeToLiveOptions::new().with_keys()),
        )
        .await
        .unwrap();
    assert_eq!(ttl.granted_ttl(), 600);
    assert_eq!(ttl.keys(), [b"/lock/k".to_vec()]);

    // An export of everything: the same records (the first line names
    // where it came from).
    let export = |conn: Connection| async move {
        let mut out = Vec::new();
        let done = etcdlens::transfer::export::write_export(
            &conn,
            b"",
            &mut out,
            etcdlens::transfer::format::Format::Jsonl,
            |_, _| {},
        )
        .await
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        (
            done.keys,
            done.revision,
            text.lines().skip(1).map(String::from).collect::<Vec<_>>(),
        )
    };
    let live_conn = connect(&plain(etcd.endpoints())).await.unwrap();
    let (want, got) = (export(live_conn).await, export(offline).await);
    assert_eq!(got, want);
    assert_eq!(got.0, 6, "{:?}", got.2);

    // Writes are refused before anything happens.
    let put = off.put("/app/config", "v6", None).await;
    assert!(format!("{put:?}").contains("read-only"), "{put:?}");
}

/// A truncated file and a file that is not bbolt: one line each, exit 2.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_a_whole_etcd_backend_is_one_line_and_exit_2() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    for i in 0..200 {
        c.put(format!("/k/{i:03}"), vec![b'x'; 512], None)
            .await
            .unwrap();
    }
    let (dir, file) = save_snapshot(&etcd);
    let bytes = std::fs::read(&file).unwrap();
    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database\n".repeat(1000)).unwrap();
    for (path, words) in [
        (&truncated, "truncated"),
        (&text, "not a valid bbolt database"),
        (&dir.path().join("missing.db"), "No such file"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_etcdlens"))
            .arg("open")
            .arg(path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
    }
}

/// A member's `member/snap/db`: refused while its etcd runs (it holds the
/// file's lock), then, once it is stopped, read as the snapshot is.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_db_is_refused_while_etcd_runs_and_read_once_stopped() {
    let mut etcd = Etcd::single().await;
    let mut live = etcd.client().await;
    scripted(&mut live).await;
    let last = common::revision(&mut live).await;
    let want = get(&mut live, "\0", GetOptions::new().with_from_key()).await;
    let db = etcd.cluster.members[0].data_dir.join("member/snap/db");
    let open = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_etcdlens"))
            .arg("open")
            .arg(&db)
            .output()
            .unwrap()
    };
    let out = open();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("in use by a running etcd"), "{stderr}");
    // etcd commits its backend every 100 ms: the last writes are in the
    // file before the kill.
    tokio::time::sleep(Duration::from_secs(1)).await;
    etcd.cluster.kill(0);
    let store = Store::open(&db).expect("the stopped member's db");
    assert_eq!(store.revision, last);
    let addr = serve(store).await.unwrap();
    let mut off = connect(&plain(vec![format!("http://{addr}")]))
        .await
        .unwrap()
        .client;
    assert_eq!(
        get(&mut off, "\0", GetOptions::new().with_from_key()).await,
        want
    );
}
