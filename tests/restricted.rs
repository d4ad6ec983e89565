//! A user who may read one prefix only (etcd RBAC): the time machine, the
//! changes view and the cluster view's compaction point probe inside what
//! the user may read (issue 22.7), and a root listing the user may not
//! read says so (issue 22.8).

use crate::common;

use std::time::Duration;

use common::{put_rev, Etcd, Headless};
use etcdlens::etcd::revision::RevisionSpec;
use etcdlens::etcd::{connect, ConnSettings};

/// alice may read `/app/` only; some history there; auth on.
async fn alice_on(etcd: &Etcd) -> (etcd_client::Client, i64) {
    let mut c = etcd.client().await;
    let first = put_rev(&mut c, "/app/config", "v1").await;
    put_rev(&mut c, "/app/config", "v2").await;
    put_rev(&mut c, "/app/flags/x", "on").await;
    put_rev(&mut c, "/secret/token", "s").await;
    common::alice_reads_app(&mut c).await;
    (c, first)
}

fn alice(etcd: &Etcd) -> ConnSettings {
    ConnSettings {
        endpoints: etcd.endpoints(),
        user: Some(("alice".into(), "alicepw".into())),
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        ..ConnSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rev_changes_and_the_compaction_point_work_for_a_user_limited_to_a_prefix() {
    let etcd = Etcd::single().await;
    let (_root, first) = alice_on(&etcd).await;
    let conn = connect(&alice(&etcd)).await.expect("alice connects");
    let mut client = conn.client.clone();
    // The library: probed at the prefix alice may read.
    let (rev, _) = etcdlens::etcd::revision::check(&mut client, b"/app/", RevisionSpec::At(first))
        .await
        .expect(":rev inside the user's prefix");
    assert_eq!(rev, first);
    assert_eq!(
        etcdlens::etcd::revision::oldest_revision(&mut client, b"/app/").await,
        Ok(1)
    );
    // Through the app: :rev, :changes, the cluster view.
    let mut app = Headless::start(conn.clone(), b"/app/", 100);
    app.until_listed(10).await;
    app.command(&format!("rev {first}"));
    app.until(10, ":rev", move |s| s.tree.at == Some(first))
        .await;
    app.command("rev now");
    app.until(10, "back to now", |s| s.tree.at.is_none()).await;
    app.command(&format!("changes {} now", first - 1));
    app.until(10, "changes read", |s| {
        s.changes
            .as_ref()
            .is_some_and(|v| v.result.is_some() || v.error.is_some())
    })
    .await;
    let view = app.state.changes.as_ref().unwrap();
    assert_eq!(view.error, None);
    assert_eq!(view.rows().len(), 2, "config and flags/x changed");
    let info = etcdlens::etcd::cluster::collect(&conn, b"/app/")
        .await
        .unwrap();
    assert_eq!(info.oldest_revision, Ok(1));
}

/// The status line's text (empty when there is none).
fn status_line(app: &Headless) -> String {
    app.state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// A user whose roles cover parts of the keyspace (two prefixes, one key,
/// one range): the root and the directories refused as a whole list the
/// parts its roles allow (`partly denied` on their rows), the status line
/// says so and no watch is started (it would be refused); find, `:du` and
/// `:export` on the root go over those parts and say what they skipped.
#[tokio::test(flavor = "multi_thread")]
async fn a_user_browses_finds_sizes_and_exports_the_parts_its_roles_allow() {
    use crossterm::event::KeyCode;
    use etcdlens::app::find::Progress;
    use etcdlens::app::watch::ROOT_PARTLY;
    use etcdlens::etcd::permitted::KeyRange;
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    for (k, v) in [
        ("/app/config", "1"),
        ("/app/flags/x", "on"),
        ("/shared/s", "shared"),
        ("/cfg/one", "1"),
        ("/cfg/two", "2"),
        ("/secret/token", "s3cr3t"),
        ("/zz/b", "b"),
        ("/zz/q", "q"),
    ] {
        c.put(k, v, None).await.unwrap();
    }
    for p in [
        etcd_client::Permission::read("/shared/").with_prefix(),
        etcd_client::Permission::read("/cfg/one"),
        etcd_client::Permission::read("/zz/a").with_range_end("/zz/m"),
    ] {
        c.role_add("parts").await.ok();
        c.role_grant_permission("parts", p).await.unwrap();
    }
    common::alice_reads_app(&mut c).await;
    let root = ConnSettings {
        user: Some(("root".into(), "rootpw".into())),
        ..alice(&etcd)
    };
    let mut root = connect(&root).await.expect("root connects").client;
    root.user_grant_role("alice", "parts").await.unwrap();
    let conn = connect(&alice(&etcd)).await.expect("alice connects");

    // The cluster view's compaction point, asked at the root alice may
    // not read whole: probed in a part she may read.
    let info = etcdlens::etcd::cluster::collect(&conn, b"").await.unwrap();
    assert_eq!(info.oldest_revision, Ok(1));

    // The library: what alice may read of the whole keyspace.
    let parts = etcdlens::etcd::permitted::parts(&conn, &KeyRange::prefix(b""))
        .await
        .unwrap()
        .expect("alice's roles are known to her");
    let words: Vec<String> = parts.readable.iter().map(KeyRange::words).collect();
    assert_eq!(words, ["/app/*", "/cfg/one", "/shared/*", "[/zz/a, /zz/m)"]);
    assert_eq!(parts.denied.len(), 5, "{:?}", parts.denied);

    let mut app = Headless::start(conn, b"", 100);
    app.until(10, "the root listed", |s| {
        s.tree
            .dir(0)
            .is_some_and(|d| d.listing == etcdlens::app::tree::Listing::Complete)
    })
    .await;
    assert!(app.state.tree.dir(0).unwrap().partly_denied);
    assert_eq!(
        app.state.message.as_ref().map(|m| m.text.as_str()),
        Some(ROOT_PARTLY)
    );
    assert!(app.state.watch.status.is_none(), "no watch started");
    // The root holds `/` alone, opened at once: refused whole too.
    app.until(10, "/ listed", |s| {
        s.tree
            .rows
            .iter()
            .any(|r| s.tree.node(r.node).full.as_ref() == b"/cfg/")
    })
    .await;
    // A directory holding a single directory opens it: cfg/ and zz/ are
    // opened by hand.
    for dir in [&b"/cfg/"[..], b"/zz/"] {
        app.select(dir);
        app.press(KeyCode::Char('l'));
        let d = dir.to_vec();
        app.until(10, "opened", move |s| {
            s.tree.nodes_iter().any(|(_, n)| {
                n.full.as_ref() == d.as_slice()
                    && n.dir
                        .as_ref()
                        .is_some_and(|d| d.listing == etcdlens::app::tree::Listing::Complete)
            })
        })
        .await;
    }
    let mut keys = app.keys();
    keys.sort();
    assert_eq!(
        keys,
        ["/cfg/one", "/zz/b"],
        "the keys of the opened directories"
    );
    let screen = common::fixtures::screen(&app.state);
    assert!(!screen.contains("secret"), "{screen}");
    for dir in ["cfg/", "zz/"] {
        let row = screen
            .lines()
            .find(|l| l.contains(dir))
            .unwrap_or_else(|| panic!("{screen}"));
        assert!(row.contains(&format!("{dir}  partly denied")), "{row}");
    }
    for dir in ["app/", "shared/"] {
        assert!(screen.lines().any(|l| l.contains(dir)), "{screen}");
    }

    // Find on the root: matches in what alice may read, and what was skipped.
    app.state.message = None;
    app.select(b"/app/");
    app.press(KeyCode::Char('h'));
    app.state.selected = 0;
    app.state.message = None;
    app.command("find o");
    app.until(20, "the find", |s| {
        s.find
            .as_ref()
            .is_some_and(|f| f.progress == Progress::Done)
    })
    .await;
    let mut hits: Vec<String> = app
        .state
        .find
        .as_ref()
        .unwrap()
        .hits
        .iter()
        .map(|h| String::from_utf8_lossy(&h.key).into_owned())
        .collect();
    hits.sort();
    assert_eq!(hits, ["/app/config", "/cfg/one"]);
    let said = status_line(&app);
    assert!(
        said.starts_with("find: skipped 5 ranges this user may not read: "),
        "{said}"
    );
    app.press(KeyCode::Esc);

    // :du on the root: the readable keys, and what was skipped.
    app.state.selected = 0;
    app.state.message = None;
    app.command("du");
    app.until(20, "du", |s| s.usage.as_ref().is_some_and(|u| !u.running()))
        .await;
    let usage = app.state.usage.as_ref().unwrap();
    assert_eq!(usage.keys, 5, "{:?}", usage.rows);
    let said = status_line(&app);
    assert!(said.starts_with("du: skipped 5 ranges"), "{said}");
    app.press(KeyCode::Esc);

    // :export of the root: those five keys, and what was skipped.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("root.jsonl");
    app.state.selected = 0;
    app.state.message = None;
    app.command(&format!("export {}", file.display()));
    app.until(20, "the export", |s| s.export.is_none()).await;
    let said = status_line(&app);
    assert!(said.starts_with("exported 5 keys under "), "{said}");
    assert!(
        said.contains("(skipped 5 ranges this user may not read: "),
        "{said}"
    );
    let written = std::fs::read_to_string(&file).unwrap();
    for key in [
        "/app/config",
        "/app/flags/x",
        "/shared/s",
        "/cfg/one",
        "/zz/b",
    ] {
        assert!(written.contains(key), "{key} in {written}");
    }
    for key in ["/cfg/two", "/secret/token", "/zz/q"] {
        assert!(!written.contains(key), "{key} in {written}");
    }
}
