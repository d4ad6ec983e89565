//! What is selected, decided in one place: "key or directory?" is asked
//! here and nowhere else. The Keys pane shows the tree or, while a find's
//! results fill it, those results ([`State::selection`]); some actions
//! work on the tree's row whatever fills the pane ([`State::tree_selection`]).

use super::state::State;
use super::tree::{NodeId, ROOT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// No row (an empty tree).
    None,
    /// A key's row in the tree.
    Key(NodeId),
    /// A directory's own row in the tree.
    Dir(NodeId),
    /// The "loading… / more" line that ends a directory's rows (the
    /// directory's node).
    More(NodeId),
    /// A result of the find that fills the Keys pane.
    Found,
    /// The find's own row (its directory).
    FoundDir,
}

impl Selection {
    /// The directory this selection is in or is: a directory's (or its
    /// "more" line's) own node, a key's parent; the root without a row.
    /// `None` for find's rows (see `State::selected_dir_full`).
    pub fn dir(self, state: &State) -> Option<NodeId> {
        match self {
            Selection::Dir(n) | Selection::More(n) => Some(n),
            Selection::Key(n) => Some(state.tree.node(n).parent),
            Selection::None => Some(ROOT),
            Selection::Found | Selection::FoundDir => None,
        }
    }
}

impl State {
    /// What the Keys pane has selected: find's rows while its results
    /// fill the pane, else the tree's.
    pub fn selection(&self) -> Selection {
        match &self.find {
            Some(view) if view.selected_key().is_some() => Selection::Found,
            Some(_) => Selection::FoundDir,
            None => self.tree_selection(),
        }
    }

    /// The tree's selected row, whatever fills the Keys pane.
    pub fn tree_selection(&self) -> Selection {
        let Some(row) = self.selected_row() else {
            return Selection::None;
        };
        if row.more {
            Selection::More(row.node)
        } else if self.tree.node(row.node).is_dir() {
            Selection::Dir(row.node)
        } else {
            Selection::Key(row.node)
        }
    }

    /// The selected key's full name (a tree key or a find result).
    pub fn selected_key(&self) -> Option<&[u8]> {
        match self.selection() {
            Selection::Key(n) => Some(&self.tree.node(n).full),
            Selection::Found => self.find.as_ref()?.selected_key(),
            _ => None,
        }
    }

    /// The tree directory the selection is in or is (its full prefix):
    /// the root without a row.
    pub fn tree_dir_full(&self) -> &[u8] {
        let dir = self.tree_selection().dir(self).unwrap_or(ROOT);
        &self.tree.node(dir).full
    }
}
