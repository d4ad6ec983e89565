//! Which view is on top: one list, [`PRECEDENCE`], and one function,
//! [`layer`], decide it for every consumer — key routing (`update`), the
//! moving keys and the actions (`update::run_action`), the mouse
//! (`mouse::update`) and drawing (`ui::draw`, bottom to top). A new view
//! is a variant here, one line in `PRECEDENCE`, an arm in [`Layer::is_open`]
//! (and [`Layer::mode`] if it has keys of its own), an arm in
//! `update::layer_action`/`layer_moving`, and a draw arm in `ui::draw_layer`.

use super::action::Mode;
use super::state::State;

/// Everything that can be on top of the four panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The help screen (whole screen).
    Help,
    /// A y/N question in the status bar.
    Confirm,
    /// A dialog form (new key, type `yes`).
    Prompt,
    /// The `:` line.
    Command,
    /// Typing the Keys pane's filter.
    Filter,
    /// The cluster view (over every pane).
    Cluster,
    /// The inline editor (over the Value pane).
    Editor,
    /// A save that did not apply, under review (over the Value pane).
    Conflict,
    /// The maintenance view (over the right panes).
    Maint,
    /// The metrics view (over every pane).
    Metrics,
    /// The access-control view (over the right panes).
    Auth,
    /// `:ctx`'s list (over the right panes).
    Contexts,
    /// `:top`, the prefixes writing the most (over every pane).
    Top,
    /// `:fleet`, every context at a glance (over every pane).
    Fleet,
    /// `:du` (over the right panes).
    Usage,
    /// `:leases` (over the right panes).
    Leases,
    /// A transfer's plan (over the right panes).
    Plan,
    /// A key's history (over the right panes).
    History,
    /// `:changes` (over the right panes).
    Changes,
    /// The Kubernetes resource table (over every pane).
    Resources,
    /// Find's results or a lease's keys (in the Keys pane).
    Find,
    /// The four panes: always there, at the bottom.
    Panes,
}

/// Top first. Layers drawn over the whole screen (the status bar included)
/// come before those drawn inside the panes' area (a test holds this).
pub const PRECEDENCE: [Layer; 22] = [
    Layer::Help,
    Layer::Confirm,
    Layer::Prompt,
    Layer::Command,
    Layer::Cluster,
    Layer::Filter,
    Layer::Editor,
    Layer::Conflict,
    Layer::Maint,
    Layer::Metrics,
    Layer::Auth,
    Layer::Contexts,
    Layer::Fleet,
    Layer::Top,
    Layer::Usage,
    Layer::Leases,
    Layer::Plan,
    Layer::History,
    Layer::Changes,
    Layer::Resources,
    Layer::Find,
    Layer::Panes,
];

impl Layer {
    pub fn is_open(self, s: &State) -> bool {
        match self {
            Layer::Help => s.help,
            Layer::Confirm => s.confirm.is_some(),
            Layer::Prompt => s.prompt.is_some(),
            Layer::Command => s.command.is_some(),
            Layer::Filter => s.filter.editing,
            Layer::Cluster => s.cluster.open,
            Layer::Editor => s.editor.is_some(),
            Layer::Conflict => s.conflict.is_some(),
            Layer::Maint => s.maint.is_some(),
            Layer::Metrics => s.metrics_view.is_some(),
            Layer::Auth => s.auth.is_some(),
            Layer::Contexts => s.contexts_view.is_some(),
            Layer::Top => s.top.is_some(),
            Layer::Fleet => s.fleet.is_some(),
            Layer::Usage => s.usage.is_some(),
            Layer::Leases => s.leases.is_some(),
            Layer::Plan => s.plan.is_some(),
            Layer::History => s.history.is_some(),
            Layer::Changes => s.changes.is_some(),
            Layer::Resources => s.resources.is_some(),
            Layer::Find => s.find.is_some(),
            Layer::Panes => true,
        }
    }

    /// The key table that applies while this layer is on top.
    pub fn mode(self) -> Mode {
        match self {
            Layer::Editor => Mode::Editor,
            Layer::Conflict => Mode::Conflict,
            Layer::History => Mode::History,
            Layer::Changes => Mode::Changes,
            Layer::Leases => Mode::Leases,
            Layer::Plan => Mode::Plan,
            Layer::Maint => Mode::Maint,
            Layer::Auth => Mode::Auth,
            Layer::Top => Mode::Top,
            _ => Mode::Browse,
        }
    }

    /// Takes every key itself (a text field, a question, the help, the
    /// editor): the mouse is ignored and the keymap is not asked.
    pub fn takes_keys(self) -> bool {
        matches!(
            self,
            Layer::Help
                | Layer::Confirm
                | Layer::Prompt
                | Layer::Command
                | Layer::Filter
                | Layer::Editor
                | Layer::Conflict
        )
    }

    /// Drawn over the whole screen (the status bar included), after it.
    pub fn over_screen(self) -> bool {
        matches!(
            self,
            Layer::Help | Layer::Confirm | Layer::Prompt | Layer::Command | Layer::Cluster
        )
    }

    /// The four panes are what the pointer is over (nothing covers them;
    /// find's results only fill the Keys pane).
    pub fn plain_panes(self) -> bool {
        matches!(self, Layer::Find | Layer::Panes)
    }
}

/// Whether the Keys pane is seen (no open layer covers it): its filter
/// opens only then, so that no hidden text field takes the keys.
pub fn keys_pane_shown(state: &State) -> bool {
    !open(state).any(|l| matches!(l, Layer::Help | Layer::Cluster | Layer::Resources))
}

/// Every open layer, top first.
pub fn open(state: &State) -> impl DoubleEndedIterator<Item = Layer> + '_ {
    PRECEDENCE.into_iter().filter(|l| l.is_open(state))
}

/// The layer on top now.
pub fn layer(state: &State) -> Layer {
    open(state).next().unwrap_or(Layer::Panes)
}

/// The topmost layer that has a key table (below any text field or
/// question): the mode whose keys apply once they close, and the one the
/// help describes.
pub fn mode(state: &State) -> Mode {
    open(state)
        .find(|l| !l.takes_keys() || matches!(l, Layer::Editor | Layer::Conflict))
        .unwrap_or(Layer::Panes)
        .mode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_is_in_the_precedence_once_and_panes_is_last() {
        let mut seen = std::collections::HashSet::new();
        assert!(PRECEDENCE.iter().all(|l| seen.insert(*l)));
        assert_eq!(PRECEDENCE.last(), Some(&Layer::Panes));
    }

    #[test]
    fn screen_layers_come_before_pane_layers() {
        let first_in_panes = PRECEDENCE.iter().position(|l| !l.over_screen()).unwrap();
        assert!(PRECEDENCE[first_in_panes..]
            .iter()
            .all(|l| !l.over_screen()));
    }
}
