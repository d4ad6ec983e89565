//! The access-control view's transitions without etcd: opening and
//! closing, what each change sends (its etcdctl equivalent shown first),
//! passwords asked twice and never shown, enable refused without root,
//! read-only refusals, the "who can touch" panel; snapshots of the view
//! and the panel.

use crate::common;

use common::fixtures::{ch, key, listed_root, screen, typed};
use crossterm::event::KeyCode;
use etcdlens::app::auth::{AuthCmd, AuthMsg, Who, NEEDS_ROOT};
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::auth::{
    AuthOp, AuthSnapshot, Perm, PermKind, Role, Secret, User, ENABLE_NEEDS_ROOT,
};

fn snapshot(root: bool) -> AuthSnapshot {
    let mut users = vec![
        User {
            name: "alice".into(),
            roles: vec!["app-rw".into()],
        },
        User {
            name: "bob".into(),
            roles: vec!["app-rw".into(), "ops".into()],
        },
    ];
    if root {
        users.push(User {
            name: "root".into(),
            roles: vec!["root".into()],
        });
    }
    AuthSnapshot {
        enabled: Some(root),
        me: root.then(|| "root".to_string()),
        users,
        roles: vec![
            Role {
                name: "app-rw".into(),
                perms: vec![
                    Perm {
                        kind: PermKind::ReadWrite,
                        key: b"/app/".to_vec(),
                        range_end: b"/app0".to_vec(),
                    },
                    Perm {
                        kind: PermKind::Read,
                        key: b"/shared/".to_vec(),
                        range_end: b"/shared0".to_vec(),
                    },
                ],
            },
            Role {
                name: "ops".into(),
                perms: vec![
                    Perm {
                        kind: PermKind::Write,
                        key: b"/app/flags".to_vec(),
                        range_end: vec![],
                    },
                    Perm {
                        kind: PermKind::Read,
                        key: b"/z".to_vec(),
                        range_end: vec![0],
                    },
                ],
            },
        ],
    }
}

/// The view open on `snap`, the tree listing `/app/` and `/config`.
fn open(snap: AuthSnapshot) -> State {
    let mut s = listed_root(&["/app/", "/config"]);
    let cmds = update(&mut s, ch('A'));
    assert!(cmds.contains(&Cmd::Auth(AuthCmd::Load)), "{cmds:?}");
    update(&mut s, Msg::Auth(AuthMsg::Loaded(Ok(snap))));
    s
}

fn enter(s: &mut State) -> Vec<Cmd> {
    update(s, key(KeyCode::Enter))
}

fn type_in(s: &mut State, text: &str) -> Vec<Cmd> {
    typed(text).into_iter().flat_map(|m| update(s, m)).collect()
}

fn runs(cmds: &[Cmd]) -> Vec<AuthOp> {
    cmds.iter()
        .flat_map(|c| match c {
            Cmd::Auth(AuthCmd::Run(ops)) => ops.clone(),
            _ => vec![],
        })
        .collect()
}

/// Selects the row whose text starts with `user NAME` or `role NAME`.
fn select(s: &mut State, user: bool, name: &str) {
    let v = s.auth.as_mut().unwrap();
    let snap = v.snap().unwrap().clone();
    v.selected = v
        .rows()
        .iter()
        .position(|r| match *r {
            etcdlens::app::auth::Row::User(i) => user && snap.users[i].name == name,
            etcdlens::app::auth::Row::Role(i) => !user && snap.roles[i].name == name,
        })
        .unwrap();
}

#[test]
fn a_opens_reads_and_esc_closes_the_panel_then_the_view() {
    let mut s = open(snapshot(true));
    assert_eq!(s.auth.as_ref().unwrap().rows().len(), 5);
    update(&mut s, ch('j'));
    assert_eq!(s.auth.as_ref().unwrap().selected, 1);
    update(&mut s, ch('W'));
    assert!(s.auth.as_ref().unwrap().who.is_some());
    update(&mut s, key(KeyCode::Esc));
    assert!(s.auth.as_ref().is_some_and(|v| v.who.is_none()));
    update(&mut s, key(KeyCode::Esc));
    assert!(s.auth.is_none());
}

#[test]
fn a_new_users_password_is_asked_twice_masked_and_never_in_debug() {
    let mut s = open(snapshot(true));
    update(&mut s, ch('a'));
    type_in(&mut s, "carol");
    update(&mut s, key(KeyCode::Tab));
    type_in(&mut s, "s3cret-one");
    update(&mut s, key(KeyCode::Tab));
    type_in(&mut s, "s3cret-two");
    let shown = screen(&s);
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("••••••••••"), "{shown}");
    let debug = format!("{:?}", s.prompt);
    assert!(!debug.contains("s3cret"), "{debug}");
    // Different: refused, the form stays.
    assert!(runs(&enter(&mut s)).is_empty());
    assert_eq!(
        s.prompt.as_ref().unwrap().error.as_deref(),
        Some("the two passwords differ: type them again")
    );
    for _ in 0.."two".len() {
        update(&mut s, key(KeyCode::Backspace));
    }
    type_in(&mut s, "one");
    let cmds = enter(&mut s);
    assert_eq!(
        runs(&cmds),
        [AuthOp::AddUser {
            name: "carol".into(),
            password: Secret::new("s3cret-one"),
        }]
    );
    let debug = format!("{cmds:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(s.prompt.is_none());
    assert_eq!(
        s.auth.as_ref().unwrap().running.as_deref(),
        Some("etcdctl user add carol")
    );
    // The answer: said, and users and roles read again.
    let cmds = update(
        &mut s,
        Msg::Auth(AuthMsg::Done {
            ops: runs(&cmds),
            result: Ok("user carol added".into()),
            audit: Ok(()),
        }),
    );
    assert!(cmds.contains(&Cmd::Auth(AuthCmd::Load)));
    assert_eq!(s.message.as_ref().unwrap().text, "user carol added");
    assert!(s.auth.as_ref().unwrap().running.is_none());
}

#[test]
fn grants_and_revokes_follow_the_selected_row() {
    let mut s = open(snapshot(true));
    // A role to a user.
    select(&mut s, true, "alice");
    update(&mut s, ch('+'));
    type_in(&mut s, "ops");
    assert_eq!(
        runs(&enter(&mut s)),
        [AuthOp::GrantRole {
            user: "alice".into(),
            role: "ops".into()
        }]
    );
    // A permission to a role: a bad range keeps the form open.
    select(&mut s, false, "ops");
    update(&mut s, ch('+'));
    type_in(&mut s, "[/b, /a)");
    assert!(runs(&enter(&mut s)).is_empty());
    assert!(s.prompt.as_ref().unwrap().error.is_some());
    for _ in 0.."[/b, /a)".len() {
        update(&mut s, key(KeyCode::Backspace));
    }
    type_in(&mut s, "every key from /m");
    assert_eq!(
        runs(&enter(&mut s)),
        [AuthOp::GrantPermission {
            role: "ops".into(),
            perm: Perm {
                kind: PermKind::ReadWrite,
                key: b"/m".to_vec(),
                range_end: vec![0],
            }
        }]
    );
    // Revoke a permission: its keys as shown.
    update(&mut s, ch('-'));
    let intro = s.prompt.as_ref().unwrap().intro.clone();
    assert!(
        intro.contains("write /app/flags · read every key from /z"),
        "{intro}"
    );
    type_in(&mut s, "every key from /z");
    assert_eq!(
        runs(&enter(&mut s)),
        [AuthOp::RevokePermission {
            role: "ops".into(),
            key: b"/z".to_vec(),
            range_end: vec![0],
        }]
    );
    // Delete a role: typed yes, its holders named, etcdctl first.
    update(&mut s, ch('x'));
    let p = s.prompt.as_ref().unwrap();
    assert!(p.intro.contains("bob"), "{}", p.intro);
    assert!(p.intro.contains("= etcdctl role delete ops"), "{}", p.intro);
    type_in(&mut s, "no");
    assert!(runs(&enter(&mut s)).is_empty());
    for _ in 0..2 {
        update(&mut s, key(KeyCode::Backspace));
    }
    type_in(&mut s, "yes");
    assert_eq!(
        runs(&enter(&mut s)),
        [AuthOp::DeleteRole { name: "ops".into() }]
    );
}

#[test]
fn enable_is_refused_without_root_and_root_is_offered() {
    let mut s = open(snapshot(false));
    assert!(runs(&update(&mut s, ch('E'))).is_empty());
    assert_eq!(s.message.as_ref().unwrap().text, ENABLE_NEEDS_ROOT);
    let p = s.prompt.as_ref().expect("root offered");
    assert_eq!(p.masked, [0, 1]);
    type_in(&mut s, "pw");
    update(&mut s, key(KeyCode::Tab));
    type_in(&mut s, "pw");
    assert_eq!(
        runs(&enter(&mut s)),
        [
            AuthOp::AddUser {
                name: "root".into(),
                password: Secret::new("pw")
            },
            AuthOp::GrantRole {
                user: "root".into(),
                role: "root".into()
            }
        ]
    );
    // With root: typed yes, etcdctl first.
    let mut s = open(AuthSnapshot {
        enabled: Some(false),
        ..snapshot(true)
    });
    update(&mut s, ch('E'));
    let p = s.prompt.as_ref().unwrap();
    assert!(p.intro.ends_with("= etcdctl auth enable"), "{}", p.intro);
    type_in(&mut s, "yes");
    assert_eq!(runs(&enter(&mut s)), [AuthOp::Enable]);
    // Disable: typed yes.
    let mut s = open(snapshot(true));
    update(&mut s, ch('O'));
    type_in(&mut s, "yes");
    assert_eq!(runs(&enter(&mut s)), [AuthOp::Disable]);
}

#[test]
fn read_only_refuses_every_change_before_asking() {
    let mut s = open(snapshot(true));
    s.read_only = true;
    for c in ['a', 'o', 'x', 'p', '+', '-', 'E', 'O'] {
        let cmds = update(&mut s, ch(c));
        assert!(runs(&cmds).is_empty() && s.prompt.is_none(), "{c}");
        assert!(
            s.message.as_ref().unwrap().text.starts_with("read-only:"),
            "{c}: {:?}",
            s.message
        );
    }
}

#[test]
fn who_targets_the_selected_key_or_directory() {
    let mut s = listed_root(&["/app/", "/config"]);
    // The first row is the directory /app/.
    update(&mut s, ch('W'));
    assert_eq!(
        s.auth.as_ref().unwrap().who,
        Some(Who {
            target: b"/app/".to_vec(),
            is_dir: true
        })
    );
    update(&mut s, key(KeyCode::Esc));
    update(&mut s, key(KeyCode::Esc));
    update(&mut s, ch('j'));
    update(&mut s, ch('W'));
    assert_eq!(
        s.auth.as_ref().unwrap().who,
        Some(Who {
            target: b"/config".to_vec(),
            is_dir: false
        })
    );
}

#[test]
fn snapshot_of_the_view_and_the_who_panel() {
    let mut s = open(snapshot(true));
    select(&mut s, false, "app-rw");
    insta::assert_snapshot!("auth_view", screen(&s));
    s.auth.as_mut().unwrap().who = Some(Who {
        target: b"/app/".to_vec(),
        is_dir: true,
    });
    insta::assert_snapshot!("auth_who_dir", screen(&s));
    s.auth.as_mut().unwrap().who = Some(Who {
        target: b"/app/flags".to_vec(),
        is_dir: false,
    });
    insta::assert_snapshot!("auth_who_key", screen(&s));
}

#[test]
fn snapshot_without_the_root_role() {
    let mut s = listed_root(&["/app/", "/config"]);
    update(&mut s, ch('W'));
    update(
        &mut s,
        Msg::Auth(AuthMsg::Loaded(Err(NEEDS_ROOT.to_string()))),
    );
    insta::assert_snapshot!("auth_needs_root", screen(&s));
}

#[test]
fn a_directory_the_user_may_not_read_says_denied_on_its_row() {
    let mut s = listed_root(&["/app/", "/secret/"]);
    update(&mut s, ch('j'));
    let cmds = update(&mut s, ch('l'));
    let (dir, generation) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::ListChildren { dir, request } => Some((*dir, request.generation)),
            _ => None,
        })
        .expect("/secret/ is listed");
    s.message = None;
    update(
        &mut s,
        Msg::Listed {
            dir,
            generation,
            result: Err("etcdserver: permission denied".into()),
        },
    );
    assert!(s.message.is_none(), "no error line: {:?}", s.message);
    let shown = screen(&s);
    let row = shown
        .lines()
        .find(|l| l.contains("secret/"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(row.contains("secret/  denied"), "{row}");
    assert!(!shown.contains("✗"), "no error row: {shown}");
    // Any other failure keeps its error row and line.
    let mut s = listed_root(&["/app/", "/secret/"]);
    update(&mut s, ch('j'));
    let cmds = update(&mut s, ch('l'));
    let (dir, generation) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::ListChildren { dir, request } => Some((*dir, request.generation)),
            _ => None,
        })
        .unwrap();
    update(
        &mut s,
        Msg::Listed {
            dir,
            generation,
            result: Err("no answer within the command timeout".into()),
        },
    );
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .starts_with("listing failed"));
    assert!(screen(&s).contains("✗ no answer"));
}
