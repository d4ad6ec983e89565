//! A key's history on real etcd: one watch from the oldest revision held,
//! the compaction point as a row, restore guarded like every write.

use crate::common;

use common::{put_rev, Etcd, Headless};
use crossterm::event::KeyCode;
use etcd_client::CompactionOptions;
use etcdlens::etcd::history::key_history;
use etcdlens::etcd::types::EventKind;

/// Written 300 times, deleted, created again: every revision, in order,
/// in one request; the end is exact because the key exists.
#[tokio::test(flavor = "multi_thread")]
async fn every_revision_of_a_key_across_incarnations() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_rev(&mut c, "/h/other", "x").await;
    let mut revs = Vec::new();
    for i in 0..300 {
        revs.push(put_rev(&mut c, "/h/k", format!("{{\"n\":{i}}}")).await);
        put_rev(&mut c, "/h/other", format!("{i}")).await; // interleaved noise
    }
    let del = c
        .delete("/h/k", None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision();
    revs.push(del);
    for i in 0..5 {
        revs.push(put_rev(&mut c, "/h/k", format!("again {i}")).await);
    }
    let h = key_history(&mut c, b"/h/k").await.unwrap();
    assert!(h.exact);
    assert_eq!(h.compacted, None);
    let got: Vec<i64> = h.events.iter().map(|e| e.revision()).collect();
    assert_eq!(
        got, revs,
        "every revision of the key, none of the other key's"
    );
    assert_eq!(h.events[300].kind, EventKind::Delete);
    assert_eq!(h.events[0].value, b"{\"n\":0}");
    assert_eq!(
        h.events[301].version, 1,
        "a new incarnation starts at version 1"
    );
    assert_eq!(h.events.last().unwrap().value, b"again 4");
}

/// History before a compaction is gone: the view says where it starts and
/// shows the key as it was at that point.
#[tokio::test(flavor = "multi_thread")]
async fn compaction_is_a_row_and_the_state_there_is_kept() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    for i in 0..5 {
        put_rev(&mut c, "/c/k", format!("v{i}")).await;
    }
    // Compacted at a revision where the key did not change: its state
    // there is v4, written before.
    let at = put_rev(&mut c, "/c/z", "z").await;
    for i in 5..10 {
        put_rev(&mut c, "/c/k", format!("v{i}")).await;
    }
    c.compact(at, Some(CompactionOptions::new().with_physical()))
        .await
        .unwrap();
    let app = history_of(&etcd, b"/c/", b"/c/k").await;
    let view = app.state.history.as_ref().unwrap();
    assert_eq!(view.error, None);
    let h = view.history.as_ref().unwrap();
    assert_eq!(h.compacted, Some(at));
    // The value at the compaction point (write 4), then writes 5..9.
    let values: Vec<&[u8]> = h.events.iter().map(|e| e.value.as_slice()).collect();
    assert_eq!(
        values,
        [b"v4".as_slice(), b"v5", b"v6", b"v7", b"v8", b"v9"]
    );
    assert_eq!(view.len(), 7, "six revisions and the compaction row");
    // The screen says so.
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains("History /c/k (7)"), "{screen}");
    assert!(
        screen.contains(&format!("— older history compacted at rev {at} —")),
        "{screen}"
    );
}

/// A deleted key's history ends at its delete (the end is judged by a
/// quiet stream, and said so).
#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_key_has_its_history_too() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_rev(&mut c, "/d/k", "one").await;
    put_rev(&mut c, "/d/k", "two").await;
    c.delete("/d/k", None).await.unwrap();
    put_rev(&mut c, "/d/later", "x").await;
    let h = key_history(&mut c, b"/d/k").await.unwrap();
    let kinds: Vec<EventKind> = h.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Put, EventKind::Put, EventKind::Delete]);
    assert!(!h.exact);
    assert!(h.current.is_none());
}

/// Restoring a revision is a guarded write: refused when the key moved
/// since the history was read, applied (and the history read again) when
/// it did not.
#[tokio::test(flavor = "multi_thread")]
async fn restore_is_guarded_and_reloads_the_history() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_rev(&mut c, "/r/k", "first").await;
    put_rev(&mut c, "/r/k", "second").await;
    put_rev(&mut c, "/r/z", "z").await;
    let mut app = history_of(&etcd, b"/r/", b"/r/k").await;
    // Rows: second (newest), first. Select "first", mark nothing: value.
    app.press(KeyCode::Char('j'));
    app.press(KeyCode::Char('R'));
    let q = app.state.confirm.as_ref().expect("asks first");
    assert!(q.question.contains("put back /r/k"), "{}", q.question);
    assert_eq!(q.etcdctl, "etcdctl put /r/k <value of rev 2>");
    // Someone writes meanwhile: the restore must not apply.
    put_rev(&mut c, "/r/k", "third").await;
    app.press(KeyCode::Char('y'));
    app.until(10, "refused", |s| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("not written"))
    })
    .await;
    let now = c.get("/r/k", None).await.unwrap();
    assert_eq!(now.kvs()[0].value(), b"third");
    // Read it again, restore "first" for real.
    app.press(KeyCode::Char('H'));
    app.until(10, "history again", |s| {
        s.history.as_ref().is_some_and(|h| h.len() == 3)
    })
    .await;
    app.press(KeyCode::Char('G'));
    app.press(KeyCode::Char('R'));
    app.press(KeyCode::Char('y'));
    app.until(10, "restored and read again", |s| {
        s.history.as_ref().is_some_and(|h| h.len() == 4)
    })
    .await;
    let now = c.get("/r/k", None).await.unwrap();
    assert_eq!(now.kvs()[0].value(), b"first");
    // Read-only: refused before anything is sent.
    app.state.read_only = true;
    app.press(KeyCode::Char('R'));
    assert!(app.state.confirm.is_none());
    assert!(app
        .state
        .message
        .as_ref()
        .unwrap()
        .text
        .starts_with("read-only"));
}

/// Marking two rows shows their diff, field by field.
#[tokio::test(flavor = "multi_thread")]
async fn two_marked_revisions_show_their_diff() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    put_rev(&mut c, "/m/k", r#"{"a":1,"b":[1,2],"c":"x"}"#).await;
    put_rev(&mut c, "/m/k", r#"{"a":2,"b":[1,2],"c":"x"}"#).await;
    put_rev(&mut c, "/m/z", "z").await;
    let mut app = history_of(&etcd, b"/m/", b"/m/k").await;
    app.press(KeyCode::Char(' '));
    app.press(KeyCode::Char('j'));
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains("Diff rev 2 → 3"), "{screen}");
    assert!(screen.contains("-   \"a\": 1,"), "{screen}");
    assert!(screen.contains("+   \"a\": 2,"), "{screen}");
    assert!(
        !screen.contains("-   \"c\""),
        "unchanged fields are not changes"
    );
    app.press(KeyCode::Esc);
    assert!(app.state.history.is_none(), "Esc closes it");
}

/// The app on `dir` with `key`'s history open and read.
async fn history_of(etcd: &Etcd, dir: &[u8], key: &[u8]) -> Headless {
    let mut app = Headless::start(etcd.connection().await, dir, 100);
    app.until_listed(10).await;
    app.select(key);
    app.press(KeyCode::Char('H'));
    app.until(10, "history", |s| {
        s.history
            .as_ref()
            .is_some_and(|h| h.history.is_some() || h.error.is_some())
    })
    .await;
    app
}

/// The compaction point, as the cluster view shows it: 1 while nothing is
/// compacted, then the compaction revision (found without reading history).
#[tokio::test(flavor = "multi_thread")]
async fn the_oldest_revision_is_the_compaction_point() {
    use etcdlens::etcd::revision::oldest_revision;
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    for i in 0..20 {
        put_rev(&mut c, "/o/k", format!("v{i}")).await;
    }
    assert_eq!(oldest_revision(&mut c, b"").await, Ok(1));
    let at = put_rev(&mut c, "/o/k", "x").await - 5;
    c.compact(at, None).await.unwrap();
    assert_eq!(oldest_revision(&mut c, b"").await, Ok(at));
    // Through the cluster view's data too.
    let conn = etcd.connection().await;
    let info = etcdlens::etcd::cluster::collect(&conn, b"").await.unwrap();
    assert_eq!(info.oldest_revision, Ok(at));
}

/// A long history (several segments read in parallel on one stream): every
/// revision once, in order, across a delete and a re-creation.
#[tokio::test(flavor = "multi_thread")]
async fn a_long_history_is_read_in_segments_exactly() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let mut revs = Vec::new();
    for i in 0..4500 {
        if i == 2000 {
            revs.push(
                c.delete("/l/k", None)
                    .await
                    .unwrap()
                    .header()
                    .unwrap()
                    .revision(),
            );
        }
        revs.push(put_rev(&mut c, "/l/k", format!("{i}")).await);
        if i % 2 == 0 {
            put_rev(&mut c, "/l/noise", format!("{i}")).await;
        }
    }
    put_rev(&mut c, "/l/noise", "after").await;
    let h = key_history(&mut c, b"/l/k").await.unwrap();
    assert!(
        revs.last().unwrap() - revs[0] >= 6000,
        "long enough for several segments"
    );
    let got: Vec<i64> = h.events.iter().map(|e| e.revision()).collect();
    assert_eq!(got, revs);
    assert!(h.exact);
    assert_eq!(h.events[2000].kind, EventKind::Delete);
    assert_eq!(h.events.last().unwrap().value, b"4499");
}
