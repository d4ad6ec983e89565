//! Dialogs: the y/N question in the status bar ([`Confirm`]) and the
//! boxed prompt (a typed `yes`, or a small form: [`Prompt`]). Each dialog
//! carries what it does when answered — commands to send, or a function of
//! the feature that opened it — so answering one never routes through
//! another feature: `dialogs` imports no feature.

pub mod update;

use super::msg::Cmd;
use super::state::State;

/// A question in the status bar: `y` runs `action`, any other key drops it.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub question: String,
    /// The equivalent etcdctl command, shown for audit.
    pub etcdctl: String,
    pub action: ConfirmAction,
}

/// What `y` does.
#[derive(Debug, Clone)]
pub enum ConfirmAction {
    /// Sends this command.
    Run(Cmd),
    /// Runs the asking feature's own function (e.g. closing the editor).
    Then(fn(&mut State, &mut Vec<Cmd>)),
    /// Quits, dropping what was not saved (asked by Ctrl-c over unsaved
    /// text: another Ctrl-c on this question quits too).
    Quit,
}

/// A boxed dialog: a title, an explanation, fields to type in, and what
/// `Enter` does with them.
#[derive(Clone)]
pub struct Prompt {
    /// On the box's border (` Delete a prefix `).
    pub title: String,
    /// The text above the fields (`\n` separates lines).
    pub intro: String,
    /// (label, text typed).
    pub fields: Vec<(String, String)>,
    pub active: usize,
    /// Why the last `Enter` was refused (the dialog stays open).
    pub error: Option<String>,
    pub submit: Submit,
    /// The fields (by index) whose text is a secret: drawn as `•`, and
    /// `***` in this type's `Debug`.
    pub masked: Vec<usize>,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<(&str, &str)> = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, (label, text))| {
                let shown = if self.masked.contains(&i) {
                    "***"
                } else {
                    text
                };
                (label.as_str(), shown)
            })
            .collect();
        f.debug_struct("Prompt")
            .field("title", &self.title)
            .field("intro", &self.intro)
            .field("fields", &fields)
            .field("active", &self.active)
            .field("error", &self.error)
            .field("submit", &self.submit)
            .field("masked", &self.masked)
            .finish()
    }
}

/// A form's function: the fields' texts in, the commands it sends out;
/// `Err` keeps the form open with that error.
pub type FormFn = fn(&mut State, &[String], &mut Vec<Cmd>) -> Result<(), String>;

/// What `Enter` on a prompt does.
#[derive(Debug, Clone)]
pub enum Submit {
    /// The first field must read `yes`; then the dialog closes, `info` is
    /// said (when not empty), `cmds` are sent, and `then` (the asking
    /// feature's own follow-up) runs.
    Yes {
        info: String,
        cmds: Vec<Cmd>,
        then: Option<fn(&mut State, &mut Vec<Cmd>)>,
    },
    /// The fields' texts go to the asking feature's function: `Ok` closes
    /// the dialog (the function did what it does), `Err` keeps it open
    /// with that error.
    Form(FormFn),
}

impl Prompt {
    /// A prompt whose one field must read `yes` before `submit` runs.
    pub fn yes(title: &str, intro: String, label: String, submit: Submit) -> Prompt {
        Prompt::form(title, intro, vec![label], submit)
    }

    /// A prompt with empty fields under `labels`.
    pub fn form(title: &str, intro: String, labels: Vec<String>, submit: Submit) -> Prompt {
        Prompt {
            title: title.to_string(),
            intro,
            fields: labels.into_iter().map(|l| (l, String::new())).collect(),
            active: 0,
            error: None,
            submit,
            masked: Vec::new(),
        }
    }

    /// The same prompt with the fields at `indices` masked (a password:
    /// never shown, never in `Debug`).
    pub fn masking(mut self, indices: &[usize]) -> Prompt {
        self.masked = indices.to_vec();
        self
    }

    /// The field's text as drawn: `•` per character when masked.
    pub fn shown(&self, i: usize) -> String {
        let text = self.fields.get(i).map_or("", |(_, v)| v.as_str());
        if self.masked.contains(&i) {
            "•".repeat(text.chars().count())
        } else {
            text.to_string()
        }
    }

    /// The texts typed, in field order.
    pub fn values(&self) -> Vec<String> {
        self.fields.iter().map(|(_, v)| v.clone()).collect()
    }
}

/// What a question before deleting `count` keys adds when they are too
/// many for the undo journal (a prefix delete, find's delete-all).
pub fn unjournaled(count: i64) -> String {
    let limit = crate::journal::MAX_BULK_KEYS;
    if count > limit {
        format!(
            " Over {} keys: too many to journal, u cannot restore them.",
            crate::ui::keys::thousands(limit as u64)
        )
    } else {
        String::new()
    }
}
