//! Session guards: rules every feature applies before or after a write,
//! kept on `State` so that no feature imports another to use them.

use super::state::State;

impl State {
    /// Refuses a write in read-only mode or at a past revision (before
    /// anything is sent); says why in the status bar.
    pub fn writable(&mut self, what: &str) -> bool {
        if let Some(at) = self.tree.at {
            self.error(format!(
                "at rev {at} (the past): {what} refused, nothing sent; :rev now comes back"
            ));
            return false;
        }
        if self.read_only {
            self.error(format!("read-only: {what} refused; nothing was sent"));
        }
        !self.read_only
    }

    /// A write applied but what it replaced could not be journaled: the
    /// message says so (`u` will not find it) and a warning stays.
    pub fn journal_failed(&mut self, error: String) {
        if let Some(m) = self.message.as_mut() {
            m.text
                .push_str(" — the undo copy was NOT kept (u cannot restore it)");
            m.error = true;
        }
        self.file_warnings.insert("undo journal".into(), error);
    }
}
