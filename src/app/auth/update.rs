//! The access-control view: `A`/`:auth` opens and closes it (reading
//! users and roles), moving keys select a user or a role, `Esc` closes;
//! `W`/`:who` opens it on the "who can touch" panel of the tree's selected
//! key or directory. Its changes — add a user (`a`) or a role (`o`),
//! delete the selected one (`x`, typed `yes`), change a password (`p`,
//! asked twice, masked), grant (`+`) and revoke (`-`) a role to the
//! selected user or a permission to the selected role, enable (`E`) and
//! disable (`O`) auth (typed `yes`) — each show their etcdctl equivalent
//! first, are refused read-only, and are audit-logged by the task.

use super::{AuthCmd, AuthMsg, AuthView, Who, NEEDS_ROOT};
use crate::app::action::Action;
use crate::app::dialogs::{Prompt, Submit};
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::selection::Selection;
use crate::app::state::State;
use crate::escape::escape_str;
use crate::etcd::auth::{parse_keys, AuthOp, Perm, PermKind, Secret, ENABLE_NEEDS_ROOT, ROOT};

pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Auth => {
            if state.auth.take().is_none() {
                open(state, cmds);
            }
        }
        Action::Who => who(state, cmds),
        Action::AddUser => add_user(state),
        Action::AddRole => add_role(state),
        Action::AuthDelete => delete(state),
        Action::Password => password(state),
        Action::AuthGrant => grant(state),
        Action::AuthRevoke => revoke(state),
        Action::AuthEnable => enable(state),
        Action::AuthDisable => disable(state),
        _ => return false,
    }
    true
}

/// Opens the view (reading users and roles) unless it is open.
fn open(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.auth.is_none() {
        state.auth = Some(AuthView::default());
        cmds.push(Cmd::Auth(AuthCmd::Load));
    }
}

/// Moving keys while the view is open. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, _cmds: &mut Vec<Cmd>) -> bool {
    let page = crate::ui::list_rows(state, crate::app::layer::Layer::Auth);
    let Some(v) = state.auth.as_mut() else {
        return false;
    };
    let rows = v.rows().len();
    if list::move_in(&mut v.selected, &mut v.offset, rows, page, action) {
        return true;
    }
    match action {
        // Esc closes the panel first, then the view.
        Action::Back if v.who.is_some() => v.who = None,
        Action::Back | Action::Close => state.auth = None,
        _ => return false,
    }
    true
}

/// `W`: who can touch the tree's selected key or directory (the view
/// opened on its panel).
fn who(state: &mut State, cmds: &mut Vec<Cmd>) {
    let target = match state.tree_selection() {
        Selection::Key(n) => Who {
            target: state.tree.node(n).full.to_vec(),
            is_dir: false,
        },
        _ => Who {
            target: state.tree_dir_full().to_vec(),
            is_dir: true,
        },
    };
    open(state, cmds);
    if let Some(v) = state.auth.as_mut() {
        v.who = Some(target);
    }
}

pub fn on_msg(state: &mut State, msg: AuthMsg, cmds: &mut Vec<Cmd>) {
    match msg {
        AuthMsg::Loaded(result) => {
            if let Some(v) = state.auth.as_mut() {
                let rows_before = v.rows().len();
                v.snapshot = Some(result);
                let rows = v.rows().len();
                if rows < rows_before || v.selected >= rows {
                    v.selected = rows.saturating_sub(1).min(v.selected);
                }
            }
        }
        AuthMsg::Done { result, audit, .. } => {
            if let Some(v) = state.auth.as_mut() {
                v.running = None;
            }
            if let Err(e) = audit {
                state.file_warnings.insert("audit log".into(), e);
            }
            match result {
                Ok(line) => state.result(line),
                Err(e) => state.result_error(e),
            }
            if state.auth.is_some() {
                cmds.push(Cmd::Auth(AuthCmd::Load));
            }
        }
    }
}

/// The read-only refusal, and the view's snapshot (`None`: said why).
fn ready(state: &mut State, what: &str) -> bool {
    if !state.writable(what) {
        return false;
    }
    match state.auth.as_ref().map(|v| &v.snapshot) {
        Some(Some(Ok(_))) => true,
        Some(Some(Err(e))) => {
            let e = e.clone();
            state.error(format!("{what}: {e}"));
            false
        }
        Some(None) => {
            state.error(format!("{what}: users and roles are still being read"));
            false
        }
        None => {
            state.error(format!("{what}: open the auth view first (:auth)"));
            false
        }
    }
}

/// The prompt for one change: its etcdctl equivalent first, typed `yes`.
fn ask_yes(state: &mut State, title: &str, intro: String, label: String, op: AuthOp) {
    let info = format!("{}…", op.etcdctl());
    let submit = Submit::Yes {
        info,
        cmds: vec![Cmd::Auth(AuthCmd::Run(vec![op]))],
        then: Some(mark_running),
    };
    state.prompt = Some(Prompt::yes(title, intro, label, submit));
}

#[allow(clippy::ptr_arg)] // the signature `Submit::Yes`'s `then` takes
fn mark_running(state: &mut State, cmds: &mut Vec<Cmd>) {
    if let (Some(v), Some(Cmd::Auth(AuthCmd::Run(ops)))) = (state.auth.as_mut(), cmds.last()) {
        v.running = Some(etcdctl(ops));
    }
}

/// The etcdctl equivalents of `ops`, `; ` between them.
fn etcdctl(ops: &[AuthOp]) -> String {
    ops.iter()
        .map(AuthOp::etcdctl)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sends `op` (a form's answer), marking it running.
fn send(state: &mut State, op: AuthOp, cmds: &mut Vec<Cmd>) {
    send_all(state, vec![op], cmds)
}

/// Sends `ops`, run in order, marking them running.
fn send_all(state: &mut State, ops: Vec<AuthOp>, cmds: &mut Vec<Cmd>) {
    let line = etcdctl(&ops);
    state.info(format!("{line}…"));
    if let Some(v) = state.auth.as_mut() {
        v.running = Some(line);
    }
    cmds.push(Cmd::Auth(AuthCmd::Run(ops)));
}

/// A password typed twice: the same, not empty.
fn twice(a: &str, b: &str) -> Result<Secret, String> {
    if a.is_empty() {
        return Err("the password is empty".into());
    }
    if a != b {
        return Err("the two passwords differ: type them again".into());
    }
    Ok(Secret::new(a))
}

/// A name etcd takes: not empty, no spaces around it.
fn name(text: &str, what: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("no {what} name"));
    }
    Ok(t.to_string())
}

/// `a`: a new user (name, password twice; masked).
fn add_user(state: &mut State) {
    if !ready(state, "adding a user") {
        return;
    }
    let prompt = Prompt::form(
        " Add a user ",
        "A new etcd user with a password (it holds no role yet: + grants one).\n= etcdctl user add NAME".into(),
        vec!["name".into(), "password".into(), "password again".into()],
        Submit::Form(add_user_form),
    )
    .masking(&[1, 2]);
    state.prompt = Some(prompt);
}

fn add_user_form(state: &mut State, v: &[String], cmds: &mut Vec<Cmd>) -> Result<(), String> {
    let name = name(&v[0], "user")?;
    let password = twice(&v[1], &v[2])?;
    send(state, AuthOp::AddUser { name, password }, cmds);
    Ok(())
}

/// `o`: a new role.
fn add_role(state: &mut State) {
    if !ready(state, "adding a role") {
        return;
    }
    state.prompt = Some(Prompt::form(
        " Add a role ",
        "A new role without permissions (+ on it grants one).\n= etcdctl role add NAME".into(),
        vec!["name".into()],
        Submit::Form(|state, v, cmds| {
            let name = name(&v[0], "role")?;
            send(state, AuthOp::AddRole { name }, cmds);
            Ok(())
        }),
    ));
}

/// `x`: delete the selected user or role (typed `yes`).
fn delete(state: &mut State) {
    if !ready(state, "deleting") {
        return;
    }
    let v = state.auth.as_ref().expect("ready");
    let (op, intro) = if let Some(user) = v.selected_user() {
        let op = AuthOp::DeleteUser { name: user.into() };
        let warn = if user == ROOT && enabled(v) {
            " etcd refuses to delete root while auth is enabled."
        } else {
            ""
        };
        (
            op.clone(),
            format!(
                "Delete user {}: it can no longer log in.{warn}\n= {}",
                escape_str(user),
                op.etcdctl()
            ),
        )
    } else if let Some(role) = v.selected_role() {
        let holders = v.snap().map(|s| s.holders(role)).unwrap_or_default();
        let op = AuthOp::DeleteRole { name: role.into() };
        (
            op.clone(),
            format!(
                "Delete role {} and its permissions; {} lose it.\n= {}",
                escape_str(role),
                if holders.is_empty() {
                    "no user holds it, none will".to_string()
                } else {
                    holders
                        .iter()
                        .map(|h| escape_str(h))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                op.etcdctl()
            ),
        )
    } else {
        return state.error("delete: select a user or a role first");
    };
    ask_yes(state, " Delete ", intro, "delete? type yes".into(), op);
}

fn enabled(v: &AuthView) -> bool {
    v.snap().and_then(|s| s.enabled) == Some(true)
}

/// `p`: the selected user's new password (twice; masked).
fn password(state: &mut State) {
    if !ready(state, "changing a password") {
        return;
    }
    let Some(user) = state.auth.as_ref().and_then(|v| v.selected_user()) else {
        return state.error("password: select a user first");
    };
    let intro = format!(
        "A new password for {}.\n= etcdctl user passwd {}",
        escape_str(user),
        escape_str(user)
    );
    let prompt = Prompt::form(
        " Change a password ",
        intro,
        vec!["new password".into(), "new password again".into()],
        Submit::Form(|state, v, cmds| {
            let password = twice(&v[0], &v[1])?;
            let Some(name) = state
                .auth
                .as_ref()
                .and_then(|a| a.selected_user())
                .map(String::from)
            else {
                return Err("the user is no longer selected".into());
            };
            send(state, AuthOp::ChangePassword { name, password }, cmds);
            Ok(())
        }),
    )
    .masking(&[0, 1]);
    state.prompt = Some(prompt);
}

/// The permission forms' syntax, said in their intro.
const KEYS_SYNTAX: &str = "Keys: /app/x (that key), /app/* (every key under /app/), every key from /app/x, [/a, /b) (a range), every key.";

/// `+`: a role to the selected user, or a permission to the selected role.
fn grant(state: &mut State) {
    if !ready(state, "granting") {
        return;
    }
    let v = state.auth.as_ref().expect("ready");
    if let Some(user) = v.selected_user() {
        let roles: Vec<String> = v
            .snap()
            .map(|s| s.roles.iter().map(|r| escape_str(&r.name)).collect())
            .unwrap_or_default();
        let intro = format!(
            "Grant a role to {}. Roles: {}{}.\n= etcdctl user grant-role {} ROLE",
            escape_str(user),
            roles.join(", "),
            if roles.iter().any(|r| r == ROOT) {
                ""
            } else {
                " (root: etcd's own, everything)"
            },
            escape_str(user)
        );
        state.prompt = Some(Prompt::form(
            " Grant a role ",
            intro,
            vec!["role".into()],
            Submit::Form(|state, v, cmds| {
                let role = name(&v[0], "role")?;
                let user = selected_user(state)?;
                send(state, AuthOp::GrantRole { user, role }, cmds);
                Ok(())
            }),
        ));
    } else if let Some(role) = v.selected_role() {
        let intro = format!(
            "Grant a permission to role {}. {KEYS_SYNTAX}\n= etcdctl role grant-permission {} read|write|readwrite KEY [--prefix|--from-key|END]",
            escape_str(role),
            escape_str(role)
        );
        let mut prompt = Prompt::form(
            " Grant a permission ",
            intro,
            vec!["read, write or readwrite".into(), "keys".into()],
            Submit::Form(grant_permission_form),
        );
        prompt.fields[0].1 = "readwrite".into();
        prompt.active = 1;
        state.prompt = Some(prompt);
    } else {
        state.error("grant: select a user or a role first");
    }
}

fn selected_user(state: &State) -> Result<String, String> {
    state
        .auth
        .as_ref()
        .and_then(|a| a.selected_user())
        .map(String::from)
        .ok_or_else(|| "the user is no longer selected".into())
}

fn selected_role(state: &State) -> Result<String, String> {
    state
        .auth
        .as_ref()
        .and_then(|a| a.selected_role())
        .map(String::from)
        .ok_or_else(|| "the role is no longer selected".into())
}

fn grant_permission_form(
    state: &mut State,
    v: &[String],
    cmds: &mut Vec<Cmd>,
) -> Result<(), String> {
    let kind = PermKind::parse(&v[0])?;
    let (key, range_end) = parse_keys(&v[1])?;
    let role = selected_role(state)?;
    let perm = Perm {
        kind,
        key,
        range_end,
    };
    send(state, AuthOp::GrantPermission { role, perm }, cmds);
    Ok(())
}

/// `-`: a role from the selected user, or a permission from the selected
/// role (its keys as the view shows them).
fn revoke(state: &mut State) {
    if !ready(state, "revoking") {
        return;
    }
    let v = state.auth.as_ref().expect("ready");
    let snap = v.snap().expect("ready");
    if let Some(user) = v.selected_user() {
        let held = snap
            .users
            .iter()
            .find(|u| u.name == user)
            .map(|u| u.roles.iter().map(|r| escape_str(r)).collect::<Vec<_>>())
            .unwrap_or_default();
        let intro = format!(
            "Revoke a role from {}. It holds: {}.\n= etcdctl user revoke-role {} ROLE",
            escape_str(user),
            if held.is_empty() {
                "none".to_string()
            } else {
                held.join(", ")
            },
            escape_str(user)
        );
        let mut prompt = Prompt::form(
            " Revoke a role ",
            intro,
            vec!["role".into()],
            Submit::Form(|state, v, cmds| {
                let role = name(&v[0], "role")?;
                let user = selected_user(state)?;
                send(state, AuthOp::RevokeRole { user, role }, cmds);
                Ok(())
            }),
        );
        if held.len() == 1 {
            prompt.fields[0].1 = held[0].clone();
        }
        state.prompt = Some(prompt);
    } else if let Some(role) = v.selected_role() {
        let perms: Vec<String> = snap
            .roles
            .iter()
            .find(|r| r.name == role)
            .map(|r| r.perms.iter().map(Perm::line).collect())
            .unwrap_or_default();
        let intro = format!(
            "Revoke a permission from role {}: its keys as shown. It has: {}.\n= etcdctl role revoke-permission {} KEY [--prefix|--from-key|END]",
            escape_str(role),
            if perms.is_empty() {
                "none".to_string()
            } else {
                perms.join(" · ")
            },
            escape_str(role)
        );
        let mut prompt = Prompt::form(
            " Revoke a permission ",
            intro,
            vec!["keys".into()],
            Submit::Form(|state, v, cmds| {
                let (key, range_end) = parse_keys(&v[0])?;
                let role = selected_role(state)?;
                send(
                    state,
                    AuthOp::RevokePermission {
                        role,
                        key,
                        range_end,
                    },
                    cmds,
                );
                Ok(())
            }),
        );
        if let [only] = perms.as_slice() {
            prompt.fields[0].1 = only
                .split_once(' ')
                .map_or(String::new(), |(_, k)| k.to_string());
        }
        state.prompt = Some(prompt);
    } else {
        state.error("revoke: select a user or a role first");
    }
}

/// `E`: enable auth (typed `yes`) — refused with the reason unless a root
/// user holding the root role exists, offering to create it.
fn enable(state: &mut State) {
    if !ready(state, "enabling auth") {
        return;
    }
    let snap = state.auth.as_ref().and_then(|v| v.snap()).expect("ready");
    if snap.enabled == Some(true) {
        return state.info("auth is already enabled");
    }
    if !snap.root_ready() {
        let has_root = snap.users.iter().any(|u| u.name == ROOT);
        state.error(ENABLE_NEEDS_ROOT);
        let (intro, labels, masked): (String, Vec<String>, Vec<usize>) = if has_root {
            (
                format!("{ENABLE_NEEDS_ROOT}. User root exists without the role root: grant it now?\n= etcdctl user grant-role root root"),
                vec!["grant root the role root? type yes".into()],
                vec![],
            )
        } else {
            (
                format!("{ENABLE_NEEDS_ROOT}. Create user root with the role root now (then E again)?\n= etcdctl user add root; etcdctl user grant-role root root"),
                vec!["root's password".into(), "password again".into()],
                vec![0, 1],
            )
        };
        let form: crate::app::dialogs::FormFn = if has_root {
            |state, v, cmds| {
                if v[0] != "yes" {
                    return Err("type yes (or Esc to cancel)".into());
                }
                send(state, root_grant(), cmds);
                Ok(())
            }
        } else {
            |state, v, cmds| {
                let password = twice(&v[0], &v[1])?;
                let add = AuthOp::AddUser {
                    name: ROOT.into(),
                    password,
                };
                send_all(state, vec![add, root_grant()], cmds);
                Ok(())
            }
        };
        state.prompt = Some(
            Prompt::form(" Create root first ", intro, labels, Submit::Form(form)).masking(&masked),
        );
        return;
    }
    let op = AuthOp::Enable;
    let intro = format!(
        "Enable authentication: from now on every client must log in, and each user may touch only what its roles allow (root: everything). This connection {}.\n= {}",
        match &snap.me {
            Some(u) => format!("logs in as {}", escape_str(u)),
            None => "has no user: it will be refused until it connects again with --user".into(),
        },
        op.etcdctl()
    );
    ask_yes(
        state,
        " Enable auth ",
        intro,
        "enable auth? type yes".into(),
        op,
    );
}

fn root_grant() -> AuthOp {
    AuthOp::GrantRole {
        user: ROOT.into(),
        role: ROOT.into(),
    }
}

/// `O`: disable auth (typed `yes`).
fn disable(state: &mut State) {
    if !ready(state, "disabling auth") {
        return;
    }
    let snap = state.auth.as_ref().and_then(|v| v.snap()).expect("ready");
    if snap.enabled == Some(false) {
        return state.info("auth is already disabled");
    }
    let op = AuthOp::Disable;
    let intro = format!(
        "Disable authentication: every client may then read and write every key without logging in; users and roles are kept for when it is enabled again.\n= {}",
        op.etcdctl()
    );
    ask_yes(
        state,
        " Disable auth ",
        intro,
        "disable auth? type yes".into(),
        op,
    );
}

/// The panel's words when users and roles cannot be read.
pub fn why_not(e: &str) -> String {
    if e == NEEDS_ROOT {
        NEEDS_ROOT.into()
    } else {
        format!("cannot read users and roles: {e}")
    }
}
