//! The access-control view's model (`A`, `:auth`): whether auth is on,
//! the users with their roles and the roles with their permissions, as
//! one list (users first) whose selected row the actions act on; and the
//! "who can touch this key?" panel (`W`, `:who`) for a key or directory of
//! the tree, computed from the same snapshot by
//! `etcd::auth::who_can_touch`.

pub mod update;

use crate::etcd::auth::{AuthOp, AuthSnapshot};

/// The view: the snapshot read last, the selected row, the panel.
#[derive(Debug, Default)]
pub struct AuthView {
    /// `None` while the first read is under way; `Err`: why it failed
    /// (already worded: see [`NEEDS_ROOT`]).
    pub snapshot: Option<Result<AuthSnapshot, String>>,
    pub selected: usize,
    pub offset: usize,
    /// The "who can touch" panel, when asked for.
    pub who: Option<Who>,
    /// A change under way (its etcdctl equivalent): said on the view.
    pub running: Option<String>,
}

/// What the "who can touch" panel is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// A key, or a directory's prefix.
    pub target: Vec<u8>,
    pub is_dir: bool,
}

/// The one line said when the user may not read users and roles.
pub const NEEDS_ROOT: &str =
    "users and roles need the root role: etcd lists them (and who can touch a key) to root only";

/// A row of the list: a user or a role, by index in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    User(usize),
    Role(usize),
}

impl AuthView {
    pub fn snap(&self) -> Option<&AuthSnapshot> {
        self.snapshot.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// Users then roles.
    pub fn rows(&self) -> Vec<Row> {
        let Some(s) = self.snap() else {
            return Vec::new();
        };
        (0..s.users.len())
            .map(Row::User)
            .chain((0..s.roles.len()).map(Row::Role))
            .collect()
    }

    pub fn selected_row(&self) -> Option<Row> {
        self.rows().get(self.selected).copied()
    }

    /// The selected user's name.
    pub fn selected_user(&self) -> Option<&str> {
        match self.selected_row()? {
            Row::User(i) => self.snap()?.users.get(i).map(|u| u.name.as_str()),
            Row::Role(_) => None,
        }
    }

    /// The selected role's name.
    pub fn selected_role(&self) -> Option<&str> {
        match self.selected_row()? {
            Row::Role(i) => self.snap()?.roles.get(i).map(|r| r.name.as_str()),
            Row::User(_) => None,
        }
    }
}

/// `:auth`'s commands for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthCmd {
    /// Read auth's status, users and roles.
    Load,
    /// Make these changes in order, stopping at the first that fails
    /// (then read again), each audit-logged.
    Run(Vec<AuthOp>),
}

/// Their answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMsg {
    Loaded(Result<AuthSnapshot, String>),
    /// The changes' result (`Ok`: what they did; `Err`: the one that
    /// failed, its etcdctl equivalent and etcd's words, after what was
    /// done) and whether the audit log took them.
    Done {
        ops: Vec<AuthOp>,
        result: Result<String, String>,
        audit: Result<(), String>,
    },
}
