//! Every user action, by name. Keys (`keymap`), the help screen and the `:`
//! command line all read this one list, so none of them can drift.

/// Which keys are active: the browser, the inline editor, the conflict view.
/// (Text fields — the filter, dialogs, the `:` line, a y/N question — take
/// typed text; Enter accepts and Esc cancels there.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Browse,
    Editor,
    Conflict,
    /// The history view; keys it does not bind work as when browsing.
    History,
    /// The changes view (`:changes`); keys it does not bind work as when
    /// browsing.
    Changes,
    /// The leases list; keys it does not bind work as when browsing.
    Leases,
    /// A transfer's plan (`:import`, `:copy`, `:move`); keys it does not
    /// bind work as when browsing.
    Plan,
    /// The maintenance view; keys it does not bind work as when browsing.
    Maint,
    /// The access-control view (`:auth`); keys it does not bind work as
    /// when browsing.
    Auth,
    /// The hot prefixes (`:top`); keys it does not bind work as when
    /// browsing.
    Top,
}

impl Mode {
    pub const ALL: [Mode; 10] = [
        Mode::Browse,
        Mode::History,
        Mode::Changes,
        Mode::Leases,
        Mode::Plan,
        Mode::Maint,
        Mode::Auth,
        Mode::Top,
        Mode::Editor,
        Mode::Conflict,
    ];

    /// The mode whose keys work too where this one binds nothing.
    pub fn parent(self) -> Option<Mode> {
        matches!(
            self,
            Mode::History
                | Mode::Changes
                | Mode::Leases
                | Mode::Plan
                | Mode::Maint
                | Mode::Auth
                | Mode::Top
        )
        .then_some(Mode::Browse)
    }

    pub fn title(self) -> &'static str {
        match self {
            Mode::Browse => "browsing",
            Mode::Editor => "in the editor",
            Mode::Conflict => "in the conflict view",
            Mode::History => "in a key's history (moving keys move, Esc closes)",
            Mode::Changes => {
                "in the changes view (moving keys move, Enter shows a key's history, Esc closes)"
            }
            Mode::Leases => {
                "in the leases list (moving keys move, Enter lists a lease's keys, Esc closes)"
            }
            Mode::Plan => "in a transfer's plan (moving keys move, Esc closes)",
            Mode::Maint => "in the maintenance view (moving keys select a member, Esc closes)",
            Mode::Auth => "in the auth view (moving keys select a user or a role, Esc closes)",
            Mode::Top => {
                "in the hot prefixes (moving keys move, Enter opens the directory in the tree, Esc closes)"
            }
        }
    }
}

/// One action's row: where its keys work, its name, its default keys (as
/// `keymap::Key::parse` reads them) and what it does.
struct Row {
    action: Action,
    mode: Mode,
    name: &'static str,
    keys: &'static [&'static str],
    about: &'static str,
}

/// Declares `Action` and its table together, so no action can be missing
/// from the table: (variant, mode, name, [default keys], description).
macro_rules! actions {
    ($($variant:ident, $mode:ident, $name:literal, [$($key:literal),*], $about:literal;)*) => {
        /// Something the user can ask for. Which keys do it is `keymap`'s
        /// business; what it does depends on the mode and the focused pane
        /// (`update`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)*
        }

        const ACTIONS: &[Row] = &[
            $(Row {
                action: Action::$variant,
                mode: Mode::$mode,
                name: $name,
                keys: &[$($key),*],
                about: $about,
            },)*
        ];
    };
}

// Moving (the focused pane decides what moves), the tree, watching and
// elections, writes, views; then the editor's and the conflict view's own.
// Default keys follow SPEC.md's key table.
#[rustfmt::skip]
actions! {
    Up, Browse, "up", ["k", "Up"], "move up / scroll up";
    Down, Browse, "down", ["j", "Down"], "move down / scroll down";
    Top, Browse, "go-top", ["g", "Home"], "go to the top";
    Bottom, Browse, "bottom", ["G", "End"], "go to the bottom (Events: follow again)";
    PageUp, Browse, "page-up", ["PgUp"], "one page up";
    PageDown, Browse, "page-down", ["PgDn", "Space"], "one page down";
    Open, Browse, "open", ["l", "Right", "Enter"], "open directory / show key; Value pane: the key's lease in :leases";
    Close, Browse, "close", ["h", "Left"], "close directory / go to parent / back to Keys";
    Back, Browse, "back", ["Esc"], "clear the filter, close a view, unselect an event";
    NextPane, Browse, "next-pane", ["Tab"], "next pane";
    PrevPane, Browse, "prev-pane", ["Shift-Tab"], "previous pane";
    Filter, Browse, "filter", ["/"], "filter keys (Enter keeps, Esc clears)";
    Reload, Browse, "reload", ["r"], "reload the selected subtree / value";
    Watch, Browse, "watch", ["w"], "watch the selected prefix in the Events pane";
    Pause, Browse, "pause", ["p"], "pause / follow the Events pane";
    FollowElection, Browse, "follow-election", ["L"], "follow the selected directory as an election";
    StepDown, Browse, "step-down", ["S"], "make the selected election's leader step down";
    Edit, Browse, "edit", ["e"], "edit the selected value in place";
    EditExternal, Browse, "edit-external", ["E"], "edit the selected value in $EDITOR";
    NewKey, Browse, "new", ["n"], "new key under the selected directory";
    Delete, Browse, "delete", ["d"], "delete the selected key (asks first)";
    DeletePrefix, Browse, "delete-prefix", ["D"], "delete everything under the directory (type yes)";
    Undo, Browse, "undo", ["u"], "restore the value etcdlens last overwrote";
    Copy, Browse, "copy", ["y"], "copy the value to the clipboard (OSC 52)";
    KubeJson, Browse, "k8s-json", ["J"], "Kubernetes objects: show as JSON / as YAML again";
    Cluster, Browse, "cluster", ["C"], "cluster view: members, leader, health, DB size, alarms";
    Maint, Browse, "maint", ["M"], "maintenance view: each member's health, sizes, fragmentation, quota use, raft term/index, alarms";
    Recover, Browse, "recover", ["R"], "NOSPACE recovery: compact, defragment every member, disarm, check — step by step (a plan first; type yes)";
    Resources, Browse, "k8s", ["K"], "Kubernetes table of the selected /registry/ dir (again: close)";
    History, Browse, "history", ["H"], "every revision of the selected key etcd still holds";
    Help, Browse, "help", ["?"], "this help";
    Command, Browse, "command", [":"], "command line (Tab completes, ↑/↓ history)";
    Quit, Browse, "quit", ["q"], "quit";
    Mark, History, "mark", ["Space"], "mark a revision: the detail shows its diff with the selected one";
    Restore, History, "restore", ["R"], "write the selected revision back (only if the key did not change)";
    Save, Editor, "save", ["Ctrl-s"], "save (only if nobody changed the key meanwhile)";
    SaveInvalid, Editor, "save-invalid", ["F2"], "save text that is not valid JSON, on purpose";
    Reformat, Editor, "reformat", ["F3"], "reformat JSON (pretty ↔ compact)";
    Cancel, Editor, "cancel", ["Esc"], "close the editor (asks when there are changes)";
    Overwrite, Conflict, "overwrite", ["o"], "write your text over the current value (checked again)";
    Reopen, Conflict, "reopen", ["r"], "edit the current value, your text kept aside";
    Drop, Conflict, "drop", ["Esc", "x"], "drop your text";
    Changes, Browse, "changes", ["c"], "what changed under the selected directory in the last 1,000 revisions (:changes A B)";
    Undelete, Changes, "undelete", ["U"], "put the selected deleted key back with its last value (only if still absent)";
    UndeleteAll, Changes, "undelete-all", ["A"], "put back every key deleted in the range (type yes; each only if still absent)";
    Usage, Browse, "du", ["U"], "usage: each child's keys and value bytes (exact, all values read), DB size and quota";
    Leases, Browse, "leases", ["T"], "leases: id, granted and remaining TTL, keys held (most first)";
    Revoke, Leases, "revoke", ["x"], "revoke the selected lease: its keys are deleted (asks first)";
    KeepAlive, Leases, "keep-alive", ["k"], "keep the selected lease alive once";
    Defrag, Maint, "defrag", ["d"], "rolling defragmentation: one member at a time while all are healthy, the leader after a move (a plan first; type yes; :defrag all|leader-last|wait=S)";
    MoveLeader, Maint, "move-leader", ["m"], "move leadership to the selected member (type yes)";
    CheckHash, Maint, "check-hash", ["c"], "check that every member holds the same data (HashKV at one revision)";
    Disarm, Maint, "disarm", ["a"], "disarm every alarm (type yes)";
    Snapshot, Maint, "snapshot", ["s"], "save a snapshot of the selected member to a new file (:snapshot FILE)";
    NextStep, Maint, "next-step", ["n"], "run the NOSPACE recovery's next step";
    AddMember, Maint, "member-add", ["+"], "add a member as a learner: its name and peer URLs, then the command that starts it (type yes)";
    PromoteMember, Maint, "member-promote", ["P"], "promote the selected learner once it has caught up (type yes)";
    RemoveMember, Maint, "member-remove", ["-"], "remove the selected member: refused when the healthy voting members left would lose quorum (type yes)";
    UpdateMember, Maint, "member-update", ["e"], "set the selected member's peer URLs (type yes)";
    StopMaint, Maint, "stop", ["x"], "stop the defragmentation before its next member, or the recovery between steps";
    ApplyPlan, Plan, "apply", ["a"], "apply the plan shown (type yes; keys changed since the plan are skipped)";
    Contexts, Browse, "ctx", ["X"], "contexts of config.toml: Enter switches to the selected one (:ctx NAME switches at once)";
    Metrics, Browse, "metrics", ["I"], "metrics view: each member's DB size, disk latency, proposals, gRPC, watches, peers, memory and CPU over the session, the etcd mixin's alerts (:metrics SECS: sampling interval)";
    Auth, Browse, "auth", ["A"], "access control: auth on or off, users with their roles, roles with their permissions";
    Who, Browse, "who", ["W"], "who can touch the selected key or directory: roles (read/write, whole or part) and their users (root role needed)";
    AddUser, Auth, "user-add", ["a"], "add a user (password asked twice, never shown)";
    AddRole, Auth, "role-add", ["o"], "add a role";
    AuthDelete, Auth, "auth-delete", ["x"], "delete the selected user or role (type yes)";
    Password, Auth, "passwd", ["p"], "change the selected user's password (asked twice, never shown)";
    AuthGrant, Auth, "grant", ["+"], "grant a role to the selected user, or a permission (key, prefix or range) to the selected role";
    AuthRevoke, Auth, "auth-revoke", ["-"], "revoke a role from the selected user, or a permission from the selected role";
    AuthEnable, Auth, "auth-enable", ["E"], "enable auth (type yes; needs user root with role root: offered)";
    AuthDisable, Auth, "auth-disable", ["O"], "disable auth (type yes)";
    HotPrefixes, Browse, "top", ["B"], "hot prefixes: the directories under the selected one written the most (writes/s, deletes/s, bytes/s over 10 s, 1 min, 5 min)";
    SortNext, Top, "sort", ["s"], "sort by the next column";
    SortBack, Top, "sort-back", ["S"], "sort by the previous column";
    Deeper, Top, "deeper", ["+"], "count one level deeper (counting starts afresh)";
    Shallower, Top, "shallower", ["-"], "count one level shallower (counting starts afresh)";
    Fleet, Browse, "fleet", ["V"], "every context of config.toml at a glance: reachable, version, members, leader, DB size, quota use, alarms, revisions/s, read latency (Enter switches)";
    Find, Browse, "find", ["F"], "find in the selected subtree: keys by text, re:REGEX or ~fuzzy; v: values too (Esc stops)";
}

impl Action {
    /// Every action, in help order.
    pub fn all() -> impl Iterator<Item = Action> {
        ACTIONS.iter().map(|a| a.action)
    }

    fn row(self) -> &'static Row {
        ACTIONS
            .iter()
            .find(|a| a.action == self)
            .expect("every action is in ACTIONS")
    }

    /// The mode whose keys can trigger it.
    pub fn mode(self) -> Mode {
        self.row().mode
    }

    /// Its stable name (`:name` runs it; `[keys]` in config.toml binds it).
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// Its keys unless config.toml rebinds them.
    pub fn default_keys(self) -> &'static [&'static str] {
        self.row().keys
    }

    /// Moving keys: what they move depends on the focused pane.
    pub fn is_moving(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown
                | Action::Open
                | Action::Close
                | Action::Back
        )
    }

    /// Where a list's selection (and its first shown row) go for a moving
    /// key: `None` when the action does not move a selection.
    pub fn step(
        self,
        selected: usize,
        offset: usize,
        last: usize,
        page: usize,
    ) -> Option<(usize, usize)> {
        let page = page.max(1);
        let s = super::list::moved(selected, last + 1, page, self)?;
        Some((s, super::list::offset_for(s, offset, page)))
    }

    /// One line for the help screen.
    pub fn about(self) -> &'static str {
        self.row().about
    }

    pub fn from_name(name: &str) -> Option<Action> {
        ACTIONS.iter().find(|a| a.name == name).map(|a| a.action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Action::all().map(Action::name).collect();
        for a in Action::all() {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ACTIONS.len());
    }
}
