//! The access-control view (`A`, `:auth`, `W`) against real etcd, through
//! the real worker and `update`: a role and a user made with the view's
//! keys log in and are held to their permissions; auth enabled (refused
//! without root, root created from the refusal) and disabled again; who
//! can touch a key; the passwords typed are in no file etcdlens writes.

use crate::common;

use std::time::Duration;

use common::{Etcd, Headless};
use crossterm::event::{KeyCode, KeyModifiers};
use etcdlens::app::auth::{Row, NEEDS_ROOT};
use etcdlens::app::value::ValueStatus;
use etcdlens::etcd::auth::{enabled, ENABLE_NEEDS_ROOT};
use etcdlens::etcd::{connect, ConnSettings, Connection};

const CAROL_PW: &str = "c4rol-Pw-7731";
const ROOT_PW: &str = "r00t-Pw-5523";

fn settings(etcd: &Etcd, user: &str, password: &str) -> ConnSettings {
    ConnSettings {
        endpoints: etcd.endpoints(),
        user: Some((user.into(), password.into())),
        dial_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        ..ConnSettings::default()
    }
}

async fn as_user(etcd: &Etcd, user: &str, password: &str) -> Connection {
    connect(&settings(etcd, user, password))
        .await
        .unwrap_or_else(|e| panic!("{user} connects: {e}"))
}

/// Opens the view and waits for users and roles.
async fn open_view(app: &mut Headless) {
    app.press(KeyCode::Char('A'));
    app.until(10, "users and roles", |s| {
        s.auth.as_ref().is_some_and(|v| v.snapshot.is_some())
    })
    .await;
}

/// Selects the user or role named `name`.
fn select(app: &mut Headless, user: bool, name: &str) {
    let v = app.state.auth.as_mut().expect("the view");
    let snap = v.snap().expect("users and roles read").clone();
    let pos = v
        .rows()
        .iter()
        .position(|r| match *r {
            Row::User(i) => user && snap.users[i].name == name,
            Row::Role(i) => !user && snap.roles[i].name == name,
        })
        .unwrap_or_else(|| panic!("no row {name}"));
    v.selected = pos;
}

/// Waits until the change sent ended and the view read users and roles
/// again; returns the message said.
async fn done(app: &mut Headless) -> String {
    app.until(10, "the change's answer", |s| {
        s.auth.as_ref().is_some_and(|v| v.running.is_none())
    })
    .await;
    let said = app.state.message.as_ref().map(|m| m.text.clone());
    // The view reads again after each change.
    app.state.auth.as_mut().unwrap().snapshot = None;
    app.until(10, "read again", |s| {
        s.auth.as_ref().is_some_and(|v| v.snapshot.is_some())
    })
    .await;
    said.unwrap_or_default()
}

fn roles_of(app: &Headless, user: &str) -> Vec<String> {
    let snap = app.state.auth.as_ref().unwrap().snap().unwrap();
    snap.users
        .iter()
        .find(|u| u.name == user)
        .map(|u| u.roles.clone())
        .unwrap_or_default()
}

fn perms_of(app: &Headless, role: &str) -> Vec<String> {
    let snap = app.state.auth.as_ref().unwrap().snap().unwrap();
    snap.roles
        .iter()
        .find(|r| r.name == role)
        .map(|r| r.perms.iter().map(|p| p.line()).collect())
        .unwrap_or_default()
}

/// Every file under `dir`, as text, with the paths.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}

async fn open_value(app: &mut Headless, key: &[u8]) {
    app.select(key);
    let k = key.to_vec();
    app.until(10, "value loaded", move |s| {
        matches!(&s.value.status, ValueStatus::Loaded { value, .. } if value.record.key == k)
    })
    .await;
}

/// Opens `key` in the editor, changes its text, saves.
async fn edit_and_save(app: &mut Headless, key: &[u8]) {
    open_value(app, key).await;
    app.press(KeyCode::Char('e'));
    assert!(app.state.editor.is_some(), "the editor opens on {key:?}");
    app.press(KeyCode::End);
    app.press(KeyCode::Backspace);
    app.type_str("2}");
    app.press_mod(KeyCode::Char('s'), KeyModifiers::CONTROL);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_and_user_made_in_the_view_are_held_to_their_permissions() {
    common::journal_env();
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/app/x", r#"{"a":1}"#, None).await.unwrap();
    c.put("/shared/y", r#"{"b":1}"#, None).await.unwrap();
    c.put("/secret/z", "s", None).await.unwrap();

    // Auth off: anyone may manage it. The view, as the user uses it.
    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    open_view(&mut app).await;
    let snap = app.state.auth.as_ref().unwrap().snap().unwrap().clone();
    assert_eq!(snap.enabled, Some(false));
    assert!(snap.users.is_empty() && snap.roles.is_empty(), "{snap:?}");

    // o: a role.
    app.press(KeyCode::Char('o'));
    app.type_str("app-rw");
    app.press(KeyCode::Enter);
    assert_eq!(done(&mut app).await, "role app-rw added");
    // +: readwrite on /app/ (the kind is offered), read on /shared/.
    select(&mut app, false, "app-rw");
    app.press(KeyCode::Char('+'));
    app.type_str("/app/*");
    app.press(KeyCode::Enter);
    done(&mut app).await;
    app.press(KeyCode::Char('+'));
    app.press(KeyCode::BackTab);
    for _ in 0.."readwrite".len() {
        app.press(KeyCode::Backspace);
    }
    app.type_str("read");
    app.press(KeyCode::Tab);
    app.type_str("/shared/*");
    app.press(KeyCode::Enter);
    done(&mut app).await;
    assert_eq!(
        perms_of(&app, "app-rw"),
        ["readwrite /app/*", "read /shared/*"]
    );

    // a: a user, its password twice (masked on screen).
    app.press(KeyCode::Char('a'));
    app.type_str("carol");
    app.press(KeyCode::Tab);
    app.type_str(CAROL_PW);
    app.press(KeyCode::Tab);
    app.type_str(CAROL_PW);
    let screen = common::fixtures::screen(&app.state);
    assert!(!screen.contains(CAROL_PW), "{screen}");
    assert!(screen.contains(&"•".repeat(CAROL_PW.len())), "{screen}");
    assert!(!format!("{:?}", app.state.prompt).contains(CAROL_PW));
    app.press(KeyCode::Enter);
    assert_eq!(done(&mut app).await, "user carol added");
    // +: the role to the user.
    select(&mut app, true, "carol");
    app.press(KeyCode::Char('+'));
    app.type_str("app-rw");
    app.press(KeyCode::Enter);
    done(&mut app).await;
    assert_eq!(roles_of(&app, "carol"), ["app-rw"]);

    // E without root: refused with the reason, root offered.
    app.press(KeyCode::Char('E'));
    assert_eq!(
        app.state.message.as_ref().map(|m| m.text.as_str()),
        Some(ENABLE_NEEDS_ROOT)
    );
    let prompt = app.state.prompt.as_ref().expect("root offered");
    assert!(
        prompt.intro.contains("etcdctl user add root"),
        "{}",
        prompt.intro
    );
    assert_eq!(enabled(&etcd.connection().await).await, Ok(false));
    app.type_str(ROOT_PW);
    app.press(KeyCode::Tab);
    app.type_str(ROOT_PW);
    app.press(KeyCode::Enter);
    done(&mut app).await;
    assert_eq!(roles_of(&app, "root"), ["root"]);
    // E again: typed yes, then auth is on.
    app.press(KeyCode::Char('E'));
    let prompt = app.state.prompt.as_ref().expect("typed yes asked");
    assert!(
        prompt.intro.contains("= etcdctl auth enable"),
        "{}",
        prompt.intro
    );
    app.type_str("yes");
    app.press(KeyCode::Enter);
    app.until(10, "enabled", |s| {
        s.auth.as_ref().is_some_and(|v| v.running.is_none())
    })
    .await;
    assert_eq!(
        app.state.message.as_ref().map(|m| m.text.as_str()),
        Some("auth enabled")
    );
    let root_conn = as_user(&etcd, "root", ROOT_PW).await;
    assert_eq!(enabled(&root_conn).await, Ok(true));
    drop(app);

    // carol logs in with etcdlens's connection.
    let carol = as_user(&etcd, "carol", CAROL_PW).await;
    let mut app = Headless::start(carol.clone(), b"/app/", 100);
    app.until_listed(10).await;
    edit_and_save(&mut app, b"/app/x").await;
    app.until(10, "saved", |s| s.editor.is_none()).await;
    let mut root = as_user(&etcd, "root", ROOT_PW).await.client;
    let got = root.get("/app/x", None).await.unwrap();
    assert_ne!(got.kvs()[0].value(), br#"{"a":1}"#, "carol's save applied");
    assert!(got.kvs()[0].mod_revision() > 3);
    // /shared/: readable, a save refused with etcd's words in one line.
    let mut app = Headless::start(carol.clone(), b"/shared/", 100);
    app.until_listed(10).await;
    edit_and_save(&mut app, b"/shared/y").await;
    app.until(10, "refused", |s| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("permission denied"))
    })
    .await;
    let said = app.state.message.as_ref().unwrap().text.clone();
    assert!(!said.contains('\n'), "{said}");
    assert!(app.state.editor.is_some(), "the text stays: {said}");
    let got = root.get("/shared/y", None).await.unwrap();
    assert_eq!(got.kvs()[0].value(), br#"{"b":1}"#);
    // Who can touch, as carol: one line saying root is needed.
    app.press(KeyCode::Esc);
    if app.state.confirm.is_some() {
        app.press(KeyCode::Char('y'));
    }
    app.until(5, "editor closed", |s| {
        s.editor.is_none() && s.confirm.is_none()
    })
    .await;
    app.press(KeyCode::Char('W'));
    app.until(10, "refused", |s| {
        s.auth.as_ref().is_some_and(|v| v.snapshot.is_some())
    })
    .await;
    let v = app.state.auth.as_ref().unwrap();
    assert_eq!(v.snapshot, Some(Err(NEEDS_ROOT.to_string())));
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains("need the root role"), "{screen}");
    drop(app);

    // As root: who can touch /app/x — the role and carol; then disable.
    let mut app = Headless::start(root_conn, b"/app/", 100);
    app.until_listed(10).await;
    app.select(b"/app/x");
    app.press(KeyCode::Char('W'));
    app.until(10, "who", |s| {
        s.auth.as_ref().is_some_and(|v| v.snapshot.is_some())
    })
    .await;
    let v = app.state.auth.as_ref().unwrap();
    let who = v.who.clone().expect("the panel");
    assert_eq!((who.target.as_slice(), who.is_dir), (&b"/app/x"[..], false));
    let cover = etcdlens::etcd::auth::who_can_touch(&who.target, false, v.snap().unwrap());
    let app_rw = cover.iter().find(|c| c.role == "app-rw").expect("app-rw");
    assert_eq!(app_rw.users, ["carol"]);
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains("Who can touch /app/x?"), "{screen}");
    let line = screen
        .lines()
        .find(|l| l.contains("app-rw") && l.contains("users:"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        line.contains("read + write") && line.contains("carol"),
        "{line}"
    );
    // /shared/y: read only.
    let cover = etcdlens::etcd::auth::who_can_touch(b"/shared/y", false, v.snap().unwrap());
    let app_rw = cover.iter().find(|c| c.role == "app-rw").expect("app-rw");
    assert_eq!(
        (app_rw.read, app_rw.write),
        (
            etcdlens::etcd::auth::Reach::All,
            etcdlens::etcd::auth::Reach::None
        )
    );
    // O: disable (typed yes).
    app.press(KeyCode::Char('O'));
    app.type_str("yes");
    app.press(KeyCode::Enter);
    let said = done(&mut app).await;
    assert_eq!(said, "auth disabled");
    assert_eq!(enabled(&etcd.connection().await).await, Ok(false));

    // The passwords typed are in no file etcdlens wrote (the journal's
    // directory holds the journal and the audit log), and the audit log
    // holds every change.
    let journal = std::path::PathBuf::from(std::env::var("ETCDLENS_JOURNAL").unwrap());
    let dir = journal.parent().unwrap();
    let files = files_under(dir);
    assert!(!files.is_empty());
    for (path, text) in &files {
        for pw in [CAROL_PW, ROOT_PW] {
            assert!(!text.contains(pw), "{} holds a password", path.display());
        }
    }
    let audit = files
        .iter()
        .find(|(p, _)| p.ends_with("audit.jsonl"))
        .map(|(_, t)| t.clone())
        .expect("the audit log");
    for line in [
        "etcdctl role add app-rw",
        "etcdctl role grant-permission app-rw readwrite /app/ --prefix",
        "etcdctl role grant-permission app-rw read /shared/ --prefix",
        "etcdctl user add carol",
        "etcdctl user grant-role carol app-rw",
        "etcdctl user add root",
        "etcdctl user grant-role root root",
        "etcdctl auth enable",
        "etcdctl auth disable",
    ] {
        assert!(audit.contains(line), "{line} not in {audit}");
    }
}

/// Deleting and revoking through the view, and a read-only session
/// refusing every change before sending it.
#[tokio::test(flavor = "multi_thread")]
async fn revoke_and_delete_in_the_view_and_read_only_refuses() {
    common::journal_env();
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.role_add("r1").await.unwrap();
    c.role_grant_permission(
        "r1",
        etcd_client::Permission::read("/a").with_range_end("/c"),
    )
    .await
    .unwrap();
    c.user_add("dave", "davepw", None).await.unwrap();
    c.user_grant_role("dave", "r1").await.unwrap();
    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    open_view(&mut app).await;
    assert_eq!(perms_of(&app, "r1"), ["read [/a, /c)"]);
    // -: the only permission is offered; revoked.
    select(&mut app, false, "r1");
    app.press(KeyCode::Char('-'));
    assert_eq!(app.state.prompt.as_ref().unwrap().fields[0].1, "[/a, /c)");
    app.press(KeyCode::Enter);
    done(&mut app).await;
    assert!(perms_of(&app, "r1").is_empty());
    // -: the user's only role, offered; revoked.
    select(&mut app, true, "dave");
    app.press(KeyCode::Char('-'));
    app.press(KeyCode::Enter);
    done(&mut app).await;
    assert!(roles_of(&app, "dave").is_empty());
    // p: a new password (twice), then dave logs in with it.
    app.press(KeyCode::Char('p'));
    app.type_str("new-pw");
    app.press(KeyCode::Tab);
    app.type_str("other");
    app.press(KeyCode::Enter);
    assert_eq!(
        app.state
            .prompt
            .as_ref()
            .and_then(|p| p.error.clone())
            .as_deref(),
        Some("the two passwords differ: type them again")
    );
    app.press(KeyCode::Esc);
    app.press(KeyCode::Char('p'));
    app.type_str("new-pw");
    app.press(KeyCode::Tab);
    app.type_str("new-pw");
    app.press(KeyCode::Enter);
    assert_eq!(done(&mut app).await, "password of dave changed");
    // x: delete the user and the role (typed yes).
    app.press(KeyCode::Char('x'));
    assert!(app
        .state
        .prompt
        .as_ref()
        .unwrap()
        .intro
        .contains("= etcdctl user delete dave"));
    app.type_str("yes");
    app.press(KeyCode::Enter);
    done(&mut app).await;
    select(&mut app, false, "r1");
    app.press(KeyCode::Char('x'));
    app.type_str("yes");
    app.press(KeyCode::Enter);
    done(&mut app).await;
    let snap = app.state.auth.as_ref().unwrap().snap().unwrap();
    assert!(snap.users.is_empty() && snap.roles.is_empty(), "{snap:?}");
    let users = c.user_list().await.unwrap();
    assert!(users.users().is_empty());
    // Read-only: every change refused before anything is sent.
    c.role_add("kept").await.unwrap();
    app.state.read_only = true;
    app.state.auth.as_mut().unwrap().snapshot = None;
    app.send(etcdlens::app::Cmd::Auth(etcdlens::app::auth::AuthCmd::Load));
    app.until(10, "read again", |s| {
        s.auth.as_ref().is_some_and(|v| v.snapshot.is_some())
    })
    .await;
    select(&mut app, false, "kept");
    for key in ['a', 'o', 'x', '+', '-', 'E', 'O'] {
        app.state.message = None;
        app.press(KeyCode::Char(key));
        assert!(app.state.prompt.is_none(), "{key}: no prompt");
        let said = app.state.message.as_ref().map(|m| m.text.clone());
        assert!(
            said.as_deref().is_some_and(|m| m.starts_with("read-only:")),
            "{key}: {said:?}"
        );
    }
    assert!(app.state.auth.as_ref().unwrap().running.is_none());
    let roles = c.role_list().await.unwrap();
    assert_eq!(roles.roles(), ["kept"]);
}

/// A directory the user may no longer read (its role changed while
/// browsing) says `denied` on its row when opened, with no error line;
/// its siblings still open.
#[tokio::test(flavor = "multi_thread")]
async fn a_directory_the_user_may_not_read_shows_denied_in_place() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/app/config", "1", None).await.unwrap();
    c.put("/app/flags/x", "on", None).await.unwrap();
    c.put("/app/other/y", "y", None).await.unwrap();
    common::alice_reads_app(&mut c).await;
    let alice = as_user(&etcd, "alice", "alicepw").await;
    let mut app = Headless::start(alice, b"/app/", 100);
    app.until_listed(10).await;
    // Now: everything under /app/ but /app/flags/.
    let mut root = as_user(&etcd, "root", "rootpw").await.client;
    root.role_revoke_permission(
        "app-reader",
        "/app/",
        Some(etcd_client::RoleRevokePermissionOptions::new().with_prefix()),
    )
    .await
    .unwrap();
    for (from, to) in [("/app/", "/app/flags/"), ("/app/flags0", "/app0")] {
        root.role_grant_permission(
            "app-reader",
            etcd_client::Permission::read(from).with_range_end(to),
        )
        .await
        .unwrap();
    }
    app.state.message = None;
    app.select(b"/app/flags/");
    app.press(KeyCode::Char('l'));
    app.until(10, "refused", |s| {
        s.tree.nodes_iter().any(|(_, n)| {
            n.full.as_ref() == b"/app/flags/" && n.dir.as_ref().is_some_and(|d| d.listing.denied())
        })
    })
    .await;
    assert!(app.state.message.is_none(), "{:?}", app.state.message);
    let screen = common::fixtures::screen(&app.state);
    let row = screen
        .lines()
        .find(|l| l.contains("flags/"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("flags/  denied"), "{row}");
    assert!(!screen.contains("✗"), "{screen}");
    // The sibling opens.
    app.select(b"/app/other/");
    app.press(KeyCode::Char('l'));
    app.until(10, "other/ listed", |s| {
        s.tree
            .rows
            .iter()
            .any(|r| s.tree.node(r.node).full.as_ref() == b"/app/other/y")
    })
    .await;
}
