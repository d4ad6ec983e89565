//! Writes against real etcd through the real worker and `update`: guarded
//! saves, conflicts, leases, creates, prefix deletes, read-only, and a race.

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use common::{revision, Etcd, Headless};
use crossterm::event::{KeyCode, KeyModifiers};
use etcd_client::{Client, GetOptions, PutOptions};
use etcdlens::app::value::ValueStatus;
use etcdlens::etcd::types::{Expect, WriteOutcome};

async fn app_on(etcd: &Etcd, prefix: &[u8]) -> Headless {
    common::journal_env();
    let mut app = Headless::start(etcd.connection().await, prefix, 1000);
    app.until_listed(10).await;
    app
}

async fn open_value(app: &mut Headless, key: &[u8]) {
    app.select(key);
    let k = key.to_vec();
    app.until(10, "value loaded", move |s| {
        matches!(&s.value.status, ValueStatus::Loaded { value, .. } if value.record.key == k)
    })
    .await;
}

fn ctrl_s(app: &mut Headless) {
    app.press_mod(KeyCode::Char('s'), KeyModifiers::CONTROL);
}

/// `key` = `value` (and a sibling, so the directory stays), shown and open
/// in the editor.
async fn editing(etcd: &Etcd, key: &str, value: &str) -> (Client, Headless) {
    let mut c = etcd.client().await;
    c.put(key, value, None).await.unwrap();
    let dir = &key[..=key.rfind('/').expect("a key under a directory")];
    c.put(format!("{dir}zz-sibling"), "z", None).await.unwrap();
    let mut app = app_on(etcd, dir.as_bytes()).await;
    open_value(&mut app, key.as_bytes()).await;
    app.press(KeyCode::Char('e'));
    (c, app)
}

async fn get(c: &mut Client, key: &str) -> Option<(String, i64, i64)> {
    let r = c.get(key, None).await.unwrap();
    r.kvs().first().map(|kv| {
        (
            String::from_utf8_lossy(kv.value()).into_owned(),
            kv.mod_revision(),
            kv.lease(),
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_concurrent_put_makes_the_save_fail_then_overwrite_after_review_succeeds() {
    let etcd = Etcd::single().await;
    let (mut c, mut app) = editing(&etcd, "/w/cfg", r#"{"port":80}"#).await;
    app.press(KeyCode::End);
    app.press(KeyCode::Backspace);
    app.type_str(r#","mine":1}"#);
    // Someone else writes meanwhile.
    c.put("/w/cfg", r#"{"port":81}"#, None).await.unwrap();
    let before = revision(&mut c).await;
    ctrl_s(&mut app);
    app.until(10, "conflict", |s| s.conflict.is_some()).await;
    assert_eq!(revision(&mut c).await, before, "nothing written");
    assert_eq!(get(&mut c, "/w/cfg").await.unwrap().0, r#"{"port":81}"#);
    let conflict = app.state.conflict.clone().unwrap();
    assert_eq!(conflict.mine, r#"{"port":80,"mine":1}"#);
    assert_eq!(conflict.current.unwrap().value, br#"{"port":81}"#);
    // Reviewed: overwrite (guarded against the current revision).
    app.press(KeyCode::Char('o'));
    app.until(10, "saved", |s| s.conflict.is_none()).await;
    assert_eq!(
        get(&mut c, "/w/cfg").await.unwrap().0,
        r#"{"port":80,"mine":1}"#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_deleted_meanwhile_is_a_conflict_too() {
    let etcd = Etcd::single().await;
    let (mut c, mut app) = editing(&etcd, "/d/k", "v1").await;
    app.type_str("X");
    c.delete("/d/k", None).await.unwrap();
    ctrl_s(&mut app);
    app.until(10, "conflict", |s| s.conflict.is_some()).await;
    assert!(app.state.conflict.as_ref().unwrap().current.is_none());
    assert!(get(&mut c, "/d/k").await.is_none(), "not recreated");
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_keep_the_lease_and_invalid_json_is_refused() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let lease = c.lease_grant(600, None).await.unwrap().id();
    c.put(
        "/l/k",
        r#"{"a":1}"#,
        Some(PutOptions::new().with_lease(lease)),
    )
    .await
    .unwrap();
    c.put("/l/z", "z", None).await.unwrap();
    let mut app = app_on(&etcd, b"/l/").await;
    open_value(&mut app, b"/l/k").await;
    app.press(KeyCode::Char('e'));
    app.press(KeyCode::End);
    app.type_str(",");
    let before = revision(&mut c).await;
    ctrl_s(&mut app);
    assert!(app
        .state
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("invalid JSON"));
    assert!(app.state.editor.is_some(), "the text stays in the editor");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(revision(&mut c).await, before, "refused before sending");
    for _ in 0..3 {
        app.press(KeyCode::Backspace);
    }
    app.type_str("2}");
    ctrl_s(&mut app);
    app.until(10, "saved", |s| s.editor.is_none()).await;
    let (value, _, kept) = get(&mut c, "/l/k").await.unwrap();
    assert_eq!((value.as_str(), kept), (r#"{"a":2}"#, lease));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_is_refused_if_it_appeared_meanwhile() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/n/a", "1", None).await.unwrap();
    c.put("/n/b", "1", None).await.unwrap();
    let mut app = app_on(&etcd, b"/n/").await;
    app.press(KeyCode::Char('n'));
    app.type_str("fresh");
    app.press(KeyCode::Tab);
    app.type_str("300");
    app.press(KeyCode::Enter);
    app.type_str("mine");
    c.put("/n/fresh", "theirs", None).await.unwrap();
    ctrl_s(&mut app);
    app.until(10, "conflict", |s| s.conflict.is_some()).await;
    assert_eq!(get(&mut c, "/n/fresh").await.unwrap().0, "theirs");
    // A key that does not exist is created, on a lease of that TTL.
    app.press(KeyCode::Esc);
    app.press(KeyCode::Char('n'));
    app.type_str("other");
    app.press(KeyCode::Tab);
    app.type_str("300");
    app.press(KeyCode::Enter);
    app.type_str("mine");
    ctrl_s(&mut app);
    app.until(10, "created", |s| s.editor.is_none()).await;
    let (v, _, lease) = get(&mut c, "/n/other").await.unwrap();
    assert_eq!(v, "mine");
    let ttl = c.lease_time_to_live(lease, None).await.unwrap().ttl();
    assert!(ttl > 250 && ttl <= 300, "ttl {ttl}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_prefix_of_10000_keys_is_one_revision() {
    let etcd = Etcd::single().await;
    let keys: Vec<Vec<u8>> = (0..10_000)
        .map(|i| format!("/p/big/k{i:05}").into_bytes())
        .collect();
    etcd.put_keys(&keys).await;
    let mut c = etcd.client().await;
    c.put("/p/keep", "1", None).await.unwrap();
    let mut app = app_on(&etcd, b"/p/").await;
    app.select(b"/p/big/");
    app.press(KeyCode::Char('D'));
    app.until(10, "the count", |s| s.prompt.is_some()).await;
    let prompt = app.state.prompt.as_ref().unwrap();
    assert!(
        prompt.intro.starts_with("Delete 10,000 keys under /p/big/"),
        "{}",
        prompt.intro
    );
    assert!(matches!(
        &prompt.submit,
        etcdlens::app::dialogs::Submit::Yes { cmds, .. }
            if matches!(&cmds[..], [etcdlens::app::Cmd::DeletePrefix { prefix }] if prefix == b"/p/big/")
    ));
    let before = revision(&mut c).await;
    app.type_str("yes");
    app.press(KeyCode::Enter);
    app.until(20, "deleted", |s| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("deleted 10000 keys"))
    })
    .await;
    assert_eq!(revision(&mut c).await, before + 1, "one revision for all");
    let left = c
        .get(
            "/p/big/",
            Some(GetOptions::new().with_prefix().with_count_only()),
        )
        .await
        .unwrap()
        .count();
    assert_eq!(left, 0);
    assert!(get(&mut c, "/p/keep").await.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_sends_nothing() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/r/k", "v", None).await.unwrap();
    c.put("/r/sub/x", "v", None).await.unwrap();
    let mut app = app_on(&etcd, b"/r/").await;
    app.state.read_only = true;
    open_value(&mut app, b"/r/k").await;
    let before = revision(&mut c).await;
    for k in ['e', 'E', 'd', 'n', 'u', 'S'] {
        app.press(KeyCode::Char(k));
        app.press(KeyCode::Char('y'));
        assert!(
            app.state.editor.is_none() && app.state.prompt.is_none() && app.state.confirm.is_none(),
            "{k}"
        );
    }
    app.select(b"/r/sub/");
    app.press(KeyCode::Char('D'));
    assert!(app
        .state
        .message
        .as_ref()
        .unwrap()
        .text
        .starts_with("read-only"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(revision(&mut c).await, before, "revision did not move");
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_restores_the_overwritten_value_guarded() {
    let etcd = Etcd::single().await;
    let (mut c, mut app) = editing(&etcd, "/u/k", "original").await;
    app.press(KeyCode::End);
    app.type_str("-edited");
    ctrl_s(&mut app);
    app.until(10, "saved", |s| s.editor.is_none()).await;
    assert_eq!(get(&mut c, "/u/k").await.unwrap().0, "original-edited");
    app.press(KeyCode::Char('u'));
    app.until(10, "undo question", |s| s.confirm.is_some())
        .await;
    assert!(app
        .state
        .confirm
        .as_ref()
        .unwrap()
        .question
        .contains("put back /u/k"));
    app.press(KeyCode::Char('y'));
    app.until(10, "restored", |s| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("restored"))
    })
    .await;
    assert_eq!(get(&mut c, "/u/k").await.unwrap().0, "original");
}

/// Several writers and etcdlens's save path on the same keys: every save
/// reported done was the value at its revision, and no save reported as a
/// conflict ever landed.
#[tokio::test(flavor = "multi_thread")]
async fn racing_writers_never_lose_or_fake_a_save() {
    let etcd = Etcd::single().await;
    let keys = ["/race/a", "/race/b", "/race/c"];
    let mut c = etcd.client().await;
    for k in keys {
        c.put(k, "init", None).await.unwrap();
    }
    let start_rev = revision(&mut c).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..3 {
        let mut wc = etcd.client().await;
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = wc.put(keys[i % 3], format!("writer{w}-{i}"), None).await;
                i += 1;
            }
        }));
    }
    let conn = etcd.connection().await;
    let mut client = conn.client.clone();
    let mut done = Vec::new();
    let mut refused = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut n = 0;
    while tokio::time::Instant::now() < deadline {
        let key = keys[n % 3];
        n += 1;
        // Read, then save guarded on what was read — as an edit does.
        let seen = client.get(key, None).await.unwrap().kvs()[0].mod_revision();
        let value = format!("lens-{n}");
        match etcdlens::etcd::write::put(
            &mut client,
            key.as_bytes(),
            value.as_bytes(),
            Expect::ModRevision(seen),
            0,
            None,
        )
        .await
        {
            Ok(WriteOutcome::Done { revision }) => done.push((key, value, revision)),
            Ok(WriteOutcome::Conflict { .. }) => refused.push(value),
            Err(e) => panic!("{e}"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(
        !done.is_empty() && !refused.is_empty(),
        "both outcomes exercised: {} done, {} refused",
        done.len(),
        refused.len()
    );
    for (key, value, rev) in &done {
        let at = c
            .get(*key, Some(GetOptions::new().with_revision(*rev)))
            .await
            .unwrap();
        assert_eq!(at.kvs()[0].value(), value.as_bytes(), "{key} at rev {rev}");
    }
    // The whole history of the keys since the start: no refused value.
    let mut history = HashSet::new();
    let (_w, mut stream) = c
        .watch(
            "/race/",
            Some(
                etcd_client::WatchOptions::new()
                    .with_prefix()
                    .with_start_revision(start_rev + 1),
            ),
        )
        .await
        .unwrap()
        .split();
    let end = revision(&mut c).await;
    let mut seen_rev = start_rev;
    while seen_rev < end {
        let resp = tokio::time::timeout(Duration::from_secs(10), stream.message())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        for ev in resp.events() {
            let kv = ev.kv().unwrap();
            seen_rev = kv.mod_revision();
            history.insert(String::from_utf8_lossy(kv.value()).into_owned());
        }
    }
    for v in &refused {
        assert!(!history.contains(v), "{v} was reported refused but landed");
    }
    for (_, v, _) in &done {
        assert!(history.contains(v));
    }
}

/// Issue 16.7: the etcdctl command shown before a delete names the key
/// exactly, whatever its bytes: running it (in bash) deletes that key.
#[tokio::test(flavor = "multi_thread")]
async fn the_etcdctl_command_shown_names_odd_keys_exactly() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let mut c = etcd.client().await;
    let keys: Vec<Vec<u8>> = vec![
        b"/k/it's".to_vec(),
        b"/k/esc\x1b[31mred".to_vec(),
        b"/k/bin\xff\xfe end".to_vec(),
        b"/k/tab\there\nnl".to_vec(),
        "/k/ü \u{202e}bidi $HOME `x` \\".as_bytes().to_vec(),
        b"/k/plain-key".to_vec(),
    ];
    for k in &keys {
        c.put(k.clone(), "v", None).await.unwrap();
    }
    c.put(b"/k/nul\x00byte".to_vec(), "v", None).await.unwrap();
    let mut app = app_on(&etcd, b"/k/").await;
    let etcdctl = etcdlens::demo::cluster::etcdctl_binary().unwrap();
    for k in &keys {
        open_value(&mut app, k).await;
        app.press(KeyCode::Char('d'));
        let shown = app.state.confirm.take().expect("a question").etcdctl;
        assert!(!shown.chars().any(etcdlens::escape::is_unsafe), "{shown:?}");
        let cmd = shown
            .strip_prefix("etcdctl ")
            .unwrap_or_else(|| panic!("{shown}"));
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "ETCDCTL_API=3 {} --endpoints {ep} {cmd}",
                etcdctl.display()
            ))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "1",
            "{shown}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            c.get(k.clone(), None).await.unwrap().kvs().is_empty(),
            "{shown}"
        );
    }
    // No shell argument can hold a NUL byte: say so rather than show a
    // command that names another key.
    open_value(&mut app, b"/k/nul\x00byte").await;
    app.press(KeyCode::Char('d'));
    let shown = app.state.confirm.take().unwrap().etcdctl;
    assert!(shown.contains("NUL"), "{shown}");
    assert!(!shown.starts_with("etcdctl del"), "{shown}");
}

/// Issue 22.20: a save whose deadline passed did not fail — it may still
/// apply (the member here is only stopped, its request queued) — and the
/// message says so instead of "save failed".
#[tokio::test(flavor = "multi_thread")]
async fn a_save_that_timed_out_says_it_may_still_have_been_applied() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/t/cfg", "1", None).await.unwrap();
    c.put("/t/zz-sibling", "z", None).await.unwrap();
    common::journal_env();
    let conn = etcdlens::etcd::connect(&etcdlens::etcd::ConnSettings {
        endpoints: etcd.endpoints(),
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut app = Headless::start(conn, b"/t/", 1000);
    app.until_listed(10).await;
    open_value(&mut app, b"/t/cfg").await;
    app.press(KeyCode::Char('e'));
    app.press(KeyCode::End);
    app.type_str("2");
    etcd.cluster.pause(0);
    ctrl_s(&mut app);
    app.until(30, "the save's answer", |s| {
        s.editor.as_ref().is_some_and(|e| !e.saving)
    })
    .await;
    etcd.cluster.resume(0);
    let m = app.state.message.clone().unwrap();
    assert!(m.error);
    assert_eq!(
        m.text,
        "save timed out: it may still have been applied; check with r; your text is still in the editor"
    );
}
