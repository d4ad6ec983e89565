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
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Browse, Mode::Editor, Mode::Conflict];

    pub fn title(self) -> &'static str {
        match self {
            Mode::Browse => "browsing",
            Mode::Editor => "in the editor",
            Mode::Conflict => "in the conflict view",
        }
    }
}

/// Declares `Action` and its table together, so no action can be missing
/// from the table: (variant, mode, name, description).
macro_rules! actions {
    ($($variant:ident, $mode:ident, $name:literal, $about:literal;)*) => {
        /// Something the user can ask for. Which keys do it is `keymap`'s
        /// business; what it does depends on the mode and the focused pane
        /// (`update`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)*
        }

        const ACTIONS: &[(Action, Mode, &str, &str)] = &[
            $((Action::$variant, Mode::$mode, $name, $about),)*
        ];
    };
}

// Moving (the focused pane decides what moves), the tree, watching and
// elections, writes, views; then the editor's and the conflict view's own.
#[rustfmt::skip]
actions! {
    Up, Browse, "up", "move up / scroll up";
    Down, Browse, "down", "move down / scroll down";
    Top, Browse, "top", "go to the top";
    Bottom, Browse, "bottom", "go to the bottom (Events: follow again)";
    PageUp, Browse, "page-up", "one page up";
    PageDown, Browse, "page-down", "one page down";
    Open, Browse, "open", "open directory / show key";
    Close, Browse, "close", "close directory / go to parent / back to Keys";
    Back, Browse, "back", "clear the filter, close a view, unselect an event";
    NextPane, Browse, "next-pane", "next pane";
    PrevPane, Browse, "prev-pane", "previous pane";
    Filter, Browse, "filter", "filter keys (Enter keeps, Esc clears)";
    Reload, Browse, "reload", "reload the selected subtree / value";
    Watch, Browse, "watch", "watch the selected prefix in the Events pane";
    Pause, Browse, "pause", "pause / follow the Events pane";
    FollowElection, Browse, "follow-election", "follow the selected directory as an election";
    StepDown, Browse, "step-down", "make the selected election's leader step down";
    Edit, Browse, "edit", "edit the selected value in place";
    EditExternal, Browse, "edit-external", "edit the selected value in $EDITOR";
    NewKey, Browse, "new", "new key under the selected directory";
    Delete, Browse, "delete", "delete the selected key (asks first)";
    DeletePrefix, Browse, "delete-prefix", "delete everything under the directory (type yes)";
    Undo, Browse, "undo", "restore the value etcdlens last overwrote";
    Copy, Browse, "copy", "copy the value to the clipboard (OSC 52)";
    Cluster, Browse, "cluster", "cluster view: members, leader, health, DB size, alarms";
    Help, Browse, "help", "this help";
    Command, Browse, "command", "command line (Tab completes, ↑/↓ history)";
    Quit, Browse, "quit", "quit";
    Save, Editor, "save", "save (only if nobody changed the key meanwhile)";
    SaveInvalid, Editor, "save-invalid", "save text that is not valid JSON, on purpose";
    Reformat, Editor, "reformat", "reformat JSON (pretty ↔ compact)";
    Cancel, Editor, "cancel", "close the editor (asks when there are changes)";
    Overwrite, Conflict, "overwrite", "write your text over the current value (checked again)";
    Reopen, Conflict, "reopen", "edit the current value, your text kept aside";
    Drop, Conflict, "drop", "drop your text";
}

impl Action {
    /// Every action, in help order.
    pub fn all() -> impl Iterator<Item = Action> {
        ACTIONS.iter().map(|a| a.0)
    }

    fn row(self) -> &'static (Action, Mode, &'static str, &'static str) {
        ACTIONS
            .iter()
            .find(|a| a.0 == self)
            .expect("every action is in ACTIONS")
    }

    /// The mode whose keys can trigger it.
    pub fn mode(self) -> Mode {
        self.row().1
    }

    /// Its stable name (`:name` runs it; `[keys]` in config.toml binds it).
    pub fn name(self) -> &'static str {
        self.row().2
    }

    /// One line for the help screen.
    pub fn about(self) -> &'static str {
        self.row().3
    }

    pub fn from_name(name: &str) -> Option<Action> {
        ACTIONS.iter().find(|a| a.2 == name).map(|a| a.0)
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
