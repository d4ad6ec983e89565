//! The `:` command line's model: the text being typed, history browsing,
//! Tab completion, and what a line means. Every action is a command by its
//! name (`:cluster`, `:help`, `:quit`, `:reload`); a few commands take an
//! argument (`:watch /prefix/`, `:election /name`).

pub mod update;

use super::action::Action;
use crate::etcd::revision::RevisionSpec;

/// Commands that take an argument: (name, argument, description).
pub const WITH_ARGUMENT: &[(&str, &str, &str)] = &[
    (
        "watch",
        "PREFIX",
        "watch PREFIX in the Events pane (no PREFIX: the selected one)",
    ),
    (
        "election",
        "NAME",
        "follow election NAME in the Leader pane",
    ),
    (
        "changes",
        "[A [B [PREFIX]]]",
        "what changed under PREFIX (default: the selected directory) between revisions A and B (N, -N or now; default -1000 now)",
    ),
    (
        "rev",
        "N|-N|now",
        "browse the keys as they were at revision N (-N: N revisions ago; now: back), read-only",
    ),
    (
        "compact",
        "N|-N|now",
        "compact the history up to revision N (-N: keep the last N revisions; now: up to the current one): a plan, then type yes",
    ),
    (
        "metrics",
        "SECS",
        "the metrics view, sampling every member every SECS seconds (default 5)",
    ),
    (
        "defrag",
        "[all] [leader-last] [wait=S]",
        "rolling defragmentation (all: no member skipped; leader-last: no leadership move; wait=S: seconds between members, default 5): a plan, then type yes",
    ),
    (
        "snapshot",
        "FILE",
        "save a snapshot of the member selected in the maintenance view to FILE (never over an existing file)",
    ),
    (
        "find",
        "QUERY",
        "find QUERY under the selected directory (re:REGEX, ~fuzzy, v: values too)",
    ),
    (
        "export",
        "FILE",
        "export the selected directory (all of it, at one revision) to FILE as JSON lines",
    ),
    (
        "import",
        "FILE",
        "import an export FILE under its own prefix: a plan first, a applies it (type yes)",
    ),
    (
        "copy",
        "DEST",
        "copy the selected directory to the prefix DEST: a plan first, a applies it (type yes); :copy alone copies the value to the clipboard",
    ),
    (
        "ctx",
        "NAME",
        "switch to context NAME of config.toml (new connection, fresh tree; :ctx alone lists them)",
    ),
    (
        "move",
        "DEST",
        "move the selected directory to the prefix DEST (each copy and its source's delete in one transaction): a plan first",
    ),
];

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Action),
    Watch(Vec<u8>),
    Election(Vec<u8>),
    Rev(RevisionSpec),
    /// `:compact N|-N|now`.
    Compact(RevisionSpec),
    /// `:defrag [all] [leader-last] [wait=S]` (with arguments).
    Defrag(super::maint::DefragChoice),
    /// `:metrics SECS`.
    MetricsEvery(String),
    /// `:snapshot FILE`.
    Snapshot(String),
    /// `:changes A B PREFIX`.
    Changes(super::changes::Range),
    Find(String),
    Export(String),
    Import(String),
    /// `:copy DEST` (false) or `:move DEST` (true).
    Copy(String, bool),
    /// `:ctx NAME`.
    Ctx(String),
}

/// Reads a command line (without the `:`).
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, Some(a.trim()).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    let name = match name {
        "q" | "q!" | "exit" => "quit",
        "h" => "help",
        n => n,
    };
    match (name, arg) {
        ("watch", Some(prefix)) => Ok(Command::Watch(prefix.as_bytes().to_vec())),
        ("election", Some(n)) => Ok(Command::Election(n.as_bytes().to_vec())),
        ("find", Some(q)) => Ok(Command::Find(q.to_string())),
        ("election", None) => Err(":election needs a NAME (e.g. :election /testelection)".into()),
        ("rev", Some(r)) => super::past::parse_spec(r).map(Command::Rev),
        ("rev", None) => Err(":rev needs N, -N (N revisions ago) or now".into()),
        ("compact", Some(r)) => super::past::parse_spec(r).map(Command::Compact),
        ("compact", None) => Err(":compact needs N, -N (keep the last N revisions) or now".into()),
        ("defrag", Some(args)) => super::maint::parse_defrag(args).map(Command::Defrag),
        ("metrics", Some(secs)) => Ok(Command::MetricsEvery(secs.to_string())),
        ("snapshot", Some(file)) => Ok(Command::Snapshot(file.to_string())),
        ("changes", Some(args)) => super::changes::parse_range(args).map(Command::Changes),
        ("export", Some(file)) => Ok(Command::Export(file.to_string())),
        ("export", None) => Err(":export needs a FILE (e.g. :export /tmp/app.jsonl)".into()),
        ("import", Some(file)) => Ok(Command::Import(file.to_string())),
        ("import", None) => Err(":import needs a FILE (e.g. :import /tmp/app.jsonl)".into()),
        ("copy", Some(dest)) => Ok(Command::Copy(dest.to_string(), false)),
        ("ctx", Some(name)) => Ok(Command::Ctx(name.to_string())),
        ("move", Some(dest)) => Ok(Command::Copy(dest.to_string(), true)),
        // `:copy` alone is the clipboard's action.
        ("move", None) => Err(":move needs a DEST prefix (e.g. :move /backup/)".into()),
        (name, arg) => match (Action::from_name(name), arg) {
            (Some(action), None) => Ok(Command::Run(action)),
            (Some(_), Some(_)) => Err(format!(":{name} takes no argument")),
            (None, _) if name.is_empty() => Err("empty command".into()),
            (None, _) => Err(format!(
                "unknown command :{} (Tab lists them)",
                crate::escape::escape_str(name)
            )),
        },
    }
}

/// Every command name, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&str> = Action::all()
        .map(Action::name)
        .chain(WITH_ARGUMENT.iter().map(|c| c.0))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Whether command `name` takes an argument.
pub fn takes_argument(name: &str) -> bool {
    WITH_ARGUMENT.iter().any(|c| c.0 == name)
}

/// A Tab completion in progress: repeated Tabs cycle through `candidates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The text before the completed word.
    pub head: String,
    pub candidates: Vec<String>,
    /// Which candidate is shown (`None`: only the common prefix so far).
    pub index: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    pub text: String,
    /// While browsing history with ↑/↓: the entry shown.
    pub history_pos: Option<usize>,
    pub completion: Option<Completion>,
}

impl CommandLine {
    /// Tab: complete the word being typed from `candidates` (already
    /// filtered to those starting with it). One candidate: take it. More:
    /// first extend to their common prefix, then cycle through them.
    pub fn complete(&mut self, head: String, word: &str, candidates: Vec<String>) {
        if let Some(c) = self.completion.as_mut().filter(|c| c.head == head) {
            if !c.candidates.is_empty() {
                let n = c.candidates.len();
                let next = match c.index {
                    Some(i) => (i + 1) % n,
                    // After the common prefix: the first candidate that is
                    // not already the text.
                    None => usize::from(format!("{}{}", c.head, c.candidates[0]) == self.text) % n,
                };
                c.index = Some(next);
                self.text = format!("{}{}", c.head, c.candidates[next]);
                return;
            }
        }
        match candidates.len() {
            0 => self.completion = None,
            1 => {
                self.text = format!("{head}{}", candidates[0]);
                self.completion = None;
            }
            _ => {
                let common = common_prefix(&candidates);
                let index = (common.len() <= word.len()).then_some(0);
                self.text = match index {
                    Some(i) => format!("{head}{}", candidates[i]),
                    None => format!("{head}{common}"),
                };
                self.completion = Some(Completion {
                    head,
                    candidates,
                    index,
                });
            }
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let first = &words[0];
    let mut len = first.len();
    for w in &words[1..] {
        len = len.min(
            first
                .char_indices()
                .zip(w.chars())
                .find(|((_, a), b)| a != b)
                .map_or(len.min(w.len()), |((i, _), _)| i),
        );
    }
    first[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_mean_actions_or_commands_with_arguments() {
        assert_eq!(parse("cluster"), Ok(Command::Run(Action::Cluster)));
        assert_eq!(parse(" q "), Ok(Command::Run(Action::Quit)));
        assert_eq!(parse("watch"), Ok(Command::Run(Action::Watch)));
        assert_eq!(parse("watch /app/"), Ok(Command::Watch(b"/app/".to_vec())));
        assert_eq!(parse("election  /e"), Ok(Command::Election(b"/e".to_vec())));
        assert!(parse("election").unwrap_err().contains("needs a NAME"));
        assert!(parse("help me").unwrap_err().contains("takes no argument"));
        assert!(parse("fly").unwrap_err().contains("unknown command :fly"));
    }

    #[test]
    fn tab_takes_the_common_prefix_then_cycles() {
        let mut line = CommandLine::default();
        let cands = vec!["delete".to_string(), "delete-prefix".to_string()];
        line.complete(String::new(), "de", cands.clone());
        assert_eq!(line.text, "delete");
        line.complete(String::new(), "delete", cands.clone());
        assert_eq!(line.text, "delete-prefix");
        line.complete(String::new(), "delete", cands);
        assert_eq!(line.text, "delete");
        let mut line = CommandLine::default();
        line.complete("watch ".into(), "/a", vec!["/app/".into()]);
        assert_eq!(line.text, "watch /app/");
    }

    #[test]
    fn every_action_is_a_command() {
        let names = names();
        for a in Action::all() {
            assert!(names.contains(&a.name()), "{}", a.name());
        }
    }
}
