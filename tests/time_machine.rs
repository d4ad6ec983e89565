//! The time machine on real etcd: the tree at a past revision (`:rev`),
//! what changed under a prefix (`:changes`) and undelete.

use crate::common;

use common::{del_rev, put_rev, Etcd, Headless};
use crossterm::event::KeyCode;
use etcd_client::Client;
use etcdlens::app::tree::{Listing, ROOT};
use etcdlens::app::value::ValueStatus;

fn dir_id(app: &Headless, full: &[u8]) -> u32 {
    let t = &app.state.tree;
    t.nodes_iter()
        .find(|(_, n)| n.full.as_ref() == full)
        .map(|(id, _)| id)
        .expect("directory loaded")
}

fn message(s: &etcdlens::app::State) -> String {
    s.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// Every directory of the tree listed to its end.
fn all_listed(s: &etcdlens::app::State) -> bool {
    s.tree
        .nodes_iter()
        .filter_map(|(_, n)| n.dir.as_deref())
        .filter(|d| d.expanded)
        .all(|d| d.listing == Listing::Complete)
}

/// `:rev N` shows the keys that existed at N (a reference kept while
/// writing), their values then and exact counts; writes are refused; a
/// compacted revision is one line and changes nothing; `:rev now` comes
/// back.
#[tokio::test(flavor = "multi_thread")]
async fn the_tree_at_a_revision_is_the_keyset_then() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_rev(&mut c, "/t/a", "a").await;
    put_rev(&mut c, "/t/b", "old b").await;
    for i in 0..50 {
        put_rev(&mut c, &format!("/t/d/{i:02}"), "d").await;
    }
    let then = put_rev(&mut c, "/t/e/x", "x").await;
    let reference: Vec<&str> = vec!["/t/a", "/t/b", "/t/e/x"];
    // Afterwards: deletes, creates, an update.
    del_rev(&mut c, "/t/a").await;
    put_rev(&mut c, "/t/new", "n").await;
    for i in 0..10 {
        del_rev(&mut c, &format!("/t/d/{i:02}")).await;
    }
    put_rev(&mut c, "/t/d/zz", "z").await;
    put_rev(&mut c, "/t/b", "new b").await;

    let mut app = Headless::start(etcd.connection().await, b"/t/", 100);
    app.until(10, "listed", |s| all_listed(s) && s.tree.rows.len() >= 4)
        .await;
    assert!(app.keys().contains(&"/t/new".to_string()));

    app.command(&format!("rev {then}"));
    app.until(10, "at the revision", |s| {
        s.tree.at == Some(then) && all_listed(s)
    })
    .await;
    // Open /t/e/ to see its key; /t/d/ keeps its count.
    app.select(b"/t/e/");
    app.press(KeyCode::Char('l'));
    app.until(10, "e listed", all_listed).await;
    assert_eq!(app.keys(), reference, "the keys that existed at rev {then}");
    let d = dir_id(&app, b"/t/d/");
    assert_eq!(app.state.tree.dir(d).unwrap().keys, Some(50), "count then");
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains(&format!("Keys /t/ @ rev {then}")),
        "{screen}"
    );
    // The value as it was.
    app.select(b"/t/b");
    app.until(10, "value", |s| {
        matches!(s.value.status, ValueStatus::Loaded { .. })
    })
    .await;
    match &app.state.value.status {
        ValueStatus::Loaded { value, .. } => assert_eq!(value.record.value, b"old b"),
        other => panic!("{other:?}"),
    }
    // Writes refused.
    app.press(KeyCode::Char('e'));
    assert!(app.state.editor.is_none());
    assert!(message(&app.state).contains("(the past): editing refused"));
    // Live writes do not move the past.
    put_rev(&mut c, "/t/later", "l").await;
    app.until(10, "event seen", |s| s.events.total >= 1).await;
    assert_eq!(app.keys(), reference);

    // Compacted: one line, nothing changes.
    let now = put_rev(&mut c, "/t/z", "z").await;
    c.compact(now, None).await.unwrap();
    app.command(&format!("rev {}", then - 1));
    app.until(10, "refused", |s| message(s).contains("compacted"))
        .await;
    assert_eq!(
        message(&app.state),
        format!(
            "revision {} is compacted; the oldest available is {now}",
            then - 1
        )
    );
    assert_eq!(app.state.tree.at, Some(then));
    assert_eq!(app.keys(), reference);

    // Back to now.
    app.command("rev now");
    app.until(10, "now", |s| s.tree.at.is_none() && all_listed(s))
        .await;
    let keys = app.keys();
    assert!(keys.contains(&"/t/later".to_string()), "{keys:?}");
    assert!(!keys.contains(&"/t/a".to_string()), "{keys:?}");
    let d = dir_id(&app, b"/t/d/");
    assert_eq!(app.state.tree.dir(d).unwrap().keys, Some(41));
    assert_ne!(
        app.state.tree.dir(ROOT).unwrap().listing,
        Listing::NotLoaded
    );
}

use etcdlens::etcd::changes::{self, ChangeKind, Changes, ChangesUpdate, KeyChange};
use etcdlens::etcd::revision::{RevisionError, RevisionSpec};
use std::collections::BTreeMap;

/// Reads the changes under `prefix` between `from` and `to` directly.
async fn read_changes(
    c: &mut Client,
    prefix: &[u8],
    from: RevisionSpec,
    to: RevisionSpec,
) -> Result<Changes, RevisionError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let reports = etcdlens::etcd::Reports::new(tx, |u: ChangesUpdate| u);
    let mut client = c.clone();
    let prefix = prefix.to_vec();
    tokio::spawn(async move { changes::read(&mut client, &prefix, from, to, reports).await });
    let mut progressed = false;
    while let Some(u) = rx.recv().await {
        match u {
            ChangesUpdate::Done(c) => return Ok(c),
            ChangesUpdate::Failed(e) => return Err(e),
            ChangesUpdate::Progress { .. } | ChangesUpdate::Range { .. } => progressed = true,
        }
    }
    panic!("no answer (progress seen: {progressed})");
}

/// What a reference built from the writes says one key did.
#[derive(Default, Clone)]
struct Ref {
    existed: bool,
    exists: bool,
    puts: u32,
    deletes: u32,
    last: i64,
}

/// `:changes` against a reference built from the writes: created, changed,
/// deleted, created-and-deleted, counts and last revisions; writes outside
/// the prefix and after B are not counted; more than 1,000 revisions (so
/// several of etcd's catching-up batches).
#[tokio::test(flavor = "multi_thread")]
async fn changes_count_against_a_reference() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    // Before A: k00..k49 exist.
    let mut live: BTreeMap<String, bool> = BTreeMap::new();
    for i in 0..50 {
        put_rev(&mut c, &format!("/c/k{i:02}"), "0").await;
        live.insert(format!("/c/k{i:02}"), true);
    }
    let a = put_rev(&mut c, "/other", "noise").await;
    let mut reference: BTreeMap<String, Ref> = BTreeMap::new();
    // A deterministic mix over k00..k99: updates, creates, deletes,
    // re-creates; noise outside the prefix.
    let mut x: u64 = 7;
    for step in 0..1500u32 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = format!("/c/k{:02}", (x >> 33) % 100);
        let exists = *live.get(&k).unwrap_or(&false);
        let r = reference.entry(k.clone()).or_insert_with(|| Ref {
            existed: exists,
            ..Ref::default()
        });
        let delete = exists && (x >> 20).is_multiple_of(4);
        if delete {
            r.last = del_rev(&mut c, &k).await;
            r.deletes += 1;
        } else {
            r.last = put_rev(&mut c, &k, format!("{step}")).await;
            r.puts += 1;
        }
        r.exists = !delete;
        live.insert(k, !delete);
        if step.is_multiple_of(10) {
            put_rev(&mut c, "/other", "noise").await;
        }
    }
    let b = put_rev(&mut c, "/other", "end").await;
    // After B: not counted.
    put_rev(&mut c, "/c/k00", "after").await;
    put_rev(&mut c, "/c/late", "after").await;

    let want: Vec<KeyChange> = reference
        .iter()
        .map(|(k, r)| KeyChange {
            key: k.as_bytes().to_vec(),
            puts: r.puts,
            deletes: r.deletes,
            existed: r.existed,
            exists: r.exists,
            last_revision: r.last,
        })
        .collect();
    let got = read_changes(&mut c, b"/c/", RevisionSpec::At(a), RevisionSpec::At(b))
        .await
        .unwrap();
    assert_eq!((got.from, got.to), (a, b));
    assert!(got.exact, "ended at the first event past B");
    assert_eq!(got.events, 1500);
    assert_eq!(got.keys, want);
    for kind in [
        ChangeKind::Created,
        ChangeKind::Changed,
        ChangeKind::Deleted,
        ChangeKind::Transient,
    ] {
        assert!(
            got.keys.iter().any(|k| k.kind() == kind),
            "the mix has {kind:?} keys"
        );
    }
    // Up to now: the end comes from etcd's last, short batch (exact).
    let now = read_changes(&mut c, b"/c/", RevisionSpec::At(a), RevisionSpec::Now)
        .await
        .unwrap();
    assert!(now.exact);
    assert_eq!(now.events, 1502);
    // Nothing changed under a prefix: empty, the end judged by silence.
    let none = read_changes(&mut c, b"/nothing/", RevisionSpec::At(a), RevisionSpec::Now)
        .await
        .unwrap();
    assert!(none.keys.is_empty() && !none.exact);

    // Through the app: `:changes A B` on the selected directory.
    let mut app = Headless::start(etcd.connection().await, b"/c/", 100);
    app.until(10, "listed", |s| all_listed(s) && !s.tree.rows.is_empty())
        .await;
    app.command(&format!("changes {a} {b}"));
    app.until(20, "changes read", |s| {
        s.changes.as_ref().is_some_and(|v| v.result.is_some())
    })
    .await;
    let view = app.state.changes.as_ref().unwrap();
    assert_eq!(view.rows(), want.as_slice());
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains(&format!("Changes /c/ rev {a} → {b} ({})", want.len())),
        "{screen}"
    );
    // Enter: the selected key's history, over the view; Esc back.
    app.press(KeyCode::Enter);
    app.until(10, "history", |s| {
        s.history.as_ref().is_some_and(|h| h.history.is_some())
    })
    .await;
    assert_eq!(app.state.history.as_ref().unwrap().key, want[0].key);
    app.press(KeyCode::Esc);
    assert!(app.state.history.is_none() && app.state.changes.is_some());
    app.press(KeyCode::Esc);
    assert!(app.state.changes.is_none());

    // A compacted start: one line.
    c.compact(b, None).await.unwrap();
    app.command(&format!("changes {a} now"));
    app.until(10, "refused", |s| {
        s.changes.as_ref().is_some_and(|v| v.error.is_some())
    })
    .await;
    assert_eq!(
        app.state.changes.as_ref().unwrap().error.as_deref(),
        Some(format!("revision {a} is compacted; the oldest available is {b}").as_str())
    );
}

/// Undelete of a 1,000-key subtree: one key created again meanwhile is
/// skipped, the other 999 come back with their last values in
/// transactions of at most 128 keys (8 revisions), journaled for `u`;
/// refused in --read-only.
#[tokio::test(flavor = "multi_thread")]
async fn undelete_restores_what_is_absent_in_batches() {
    common::journal_env();
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let keys: Vec<Vec<u8>> = (0..1000)
        .map(|i| format!("/u/app/k{i:04}").into_bytes())
        .collect();
    etcd.put_keys(&keys).await;
    let a = put_rev(&mut c, "/other", "a").await;
    c.delete("/u/", Some(etcd_client::DeleteOptions::new().with_prefix()))
        .await
        .unwrap();
    put_rev(&mut c, "/u/keep", "k").await;

    let mut app = Headless::start(etcd.connection().await, b"/u/", 100);
    app.until(10, "listed", |s| all_listed(s) && !s.tree.rows.is_empty())
        .await;
    app.command(&format!("changes {a}"));
    app.until(20, "changes read", |s| {
        s.changes.as_ref().is_some_and(|v| v.result.is_some())
    })
    .await;
    let view = app.state.changes.as_ref().unwrap();
    assert_eq!(
        view.summary,
        [1, 0, 1000, 0],
        "/u/keep created, 1,000 deleted"
    );
    // Read-only: refused before anything is sent.
    app.state.read_only = true;
    app.press(KeyCode::Char('A'));
    assert!(app.state.prompt.is_none());
    assert!(message(&app.state).starts_with("read-only"));
    app.state.read_only = false;

    // Created again meanwhile.
    put_rev(&mut c, "/u/app/k0500", "new").await;
    let before = put_rev(&mut c, "/other", "before").await;
    app.press(KeyCode::Char('A'));
    let label = app.state.prompt.as_ref().expect("asks first").fields[0]
        .0
        .clone();
    assert_eq!(label, "restore 1,000 keys under /u/? type yes");
    app.type_str("yes");
    app.press(KeyCode::Enter);
    app.until(20, "restored", |s| message(s).contains("restored"))
        .await;
    assert_eq!(
        message(&app.state),
        "999 restored, 1 skipped: created meanwhile"
    );
    let after = c
        .get("/other", None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision();
    assert_eq!(after - before, 8, "999 keys in transactions of at most 128");
    let all = c
        .get(
            "/u/app/",
            Some(etcd_client::GetOptions::new().with_prefix()),
        )
        .await
        .unwrap();
    assert_eq!(all.kvs().len(), 1000);
    for kv in all.kvs() {
        let want: &[u8] = if kv.key() == b"/u/app/k0500" {
            b"new"
        } else {
            kv.key()
        };
        assert_eq!(kv.value(), want, "{}", String::from_utf8_lossy(kv.key()));
    }
    // Journaled as created: `u` would delete one again.
    let j = etcdlens::journal::Journal::open_default().unwrap();
    let entry = j.last_for(b"/u/app/k0001").expect("journaled");
    assert_eq!(entry.prev, None);
    assert!(
        j.last_for(b"/u/app/k0500").is_none(),
        "skipped: not written"
    );
    // The rows say so.
    let view = app.state.changes.as_ref().unwrap();
    assert_eq!(view.restored.len(), 999);
    assert!(view.deleted().len() == 1, "only the skipped one is left");
}

/// The built binary in a real terminal: `:rev` to a past revision and
/// back, `:changes` on a deleted directory, undelete of all of it.
#[tokio::test(flavor = "multi_thread")]
async fn time_machine_in_a_terminal() {
    use common::tmux::Tmux;
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    for i in 0..12 {
        put_rev(&mut c, &format!("/app/flags/f{i:02}"), "on").await;
    }
    let then = put_rev(&mut c, "/app/config", "{}").await;
    c.delete(
        "/app/flags/",
        Some(etcd_client::DeleteOptions::new().with_prefix()),
    )
    .await
    .unwrap();
    let journal =
        std::env::temp_dir().join(format!("etcdlens-tm-e2e-{}.jsonl", std::process::id()));
    let ep = etcd.endpoints()[0].clone();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_JOURNAL={} {} --endpoints {ep} --prefix /app/",
        journal.display(),
        env!("CARGO_BIN_EXE_etcdlens")
    ));
    tmux.wait_for("config");
    tmux.send(&[":", &format!("rev {then}"), "Enter"]);
    let screen = tmux.wait_for(&format!("Keys /app/ @ rev {then}"));
    assert!(screen.contains("@ rev"), "{screen}");
    tmux.wait_for("flags/  12");
    tmux.send(&[":", "rev now", "Enter"]);
    tmux.wait_for("back to now");
    tmux.send(&[
        ":",
        &format!("changes {} now /app/flags/", then - 1),
        "Enter",
    ]);
    tmux.wait_for("0 created · 0 changed · 12 deleted");
    tmux.send(&["A"]);
    tmux.wait_for("restore 12 keys under /app/flags/? type yes");
    tmux.send(&["yes", "Enter"]);
    tmux.wait_for("12 restored");
    let back = c
        .get(
            "/app/flags/",
            Some(etcd_client::GetOptions::new().with_prefix()),
        )
        .await
        .unwrap();
    assert_eq!(back.kvs().len(), 12);
    tmux.send(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
    std::fs::remove_file(&journal).ok();
}

/// Issue 22.20: the past revision being browsed is compacted meanwhile: a
/// directory opened then cannot be read, and its row says `:rev now`
/// comes back (`r` would only fail again; it used to offer it).
#[tokio::test(flavor = "multi_thread")]
async fn a_past_revision_compacted_while_browsing_points_to_rev_now() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_rev(&mut c, "/t/a", "a").await;
    for i in 0..3 {
        put_rev(&mut c, &format!("/t/d/{i}"), "d").await;
    }
    let then = put_rev(&mut c, "/t/b", "b").await;
    let mut app = Headless::start(etcd.connection().await, b"/t/", 100);
    app.until(10, "listed", all_listed).await;
    app.command(&format!("rev {then}"));
    app.until(10, "at the revision", |s| {
        s.tree.at == Some(then) && all_listed(s)
    })
    .await;
    let now = put_rev(&mut c, "/t/z", "z").await;
    c.compact(now, None).await.unwrap();
    app.select(b"/t/d/");
    app.press(KeyCode::Char('l'));
    let d = dir_id(&app, b"/t/d/");
    app.until(10, "the listing to fail", |s| {
        matches!(
            s.tree.dir(d).unwrap().listing,
            etcdlens::app::tree::Listing::Failed(_)
        )
    })
    .await;
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains(&format!("✗ rev {then} compacted since: :rev now")),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "listing failed: revision {then} was compacted since: :rev now comes back to the present"
        )),
        "{screen}"
    );
    assert!(!screen.contains("r to retry"), "{screen}");
}
