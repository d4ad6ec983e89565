//! The `:` command line: typing, Tab completion over command names and
//! their arguments (prefixes from the loaded tree, context names), history,
//! running.

use crossterm::event::{KeyCode, KeyEvent};

use super::{names, parse, takes_argument, Command, CommandLine};
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::app::{changes, elections, find, past, update, watch};

/// Commands kept for ↑/↓.
pub const HISTORY: usize = 100;

/// `:`: open the command line.
pub fn open(state: &mut State) {
    state.command = Some(CommandLine::default());
}

pub fn on_key(state: &mut State, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    let Some(line) = state.command.as_mut() else {
        return;
    };
    if key.code != KeyCode::Tab {
        line.completion = None;
    }
    match key.code {
        KeyCode::Esc => state.command = None,
        KeyCode::Enter => {
            let text = line.text.trim().to_string();
            state.command = None;
            run(state, &text, cmds);
        }
        KeyCode::Tab => complete(state),
        KeyCode::Up | KeyCode::Down => {
            let len = state.command_history.len();
            let pos = match (key.code, line.history_pos) {
                (KeyCode::Up, None) => len.checked_sub(1),
                (KeyCode::Up, Some(p)) => Some(p.saturating_sub(1)),
                (_, Some(p)) if p + 1 < len => Some(p + 1),
                _ => None,
            };
            line.history_pos = pos;
            line.text = pos
                .map(|p| state.command_history[p].clone())
                .unwrap_or_default();
        }
        // Like vim: backspace on an empty line closes it.
        KeyCode::Backspace if line.text.pop().is_none() => state.command = None,
        KeyCode::Char(c) => line.text.push(c),
        _ => {}
    }
}

/// Runs a command line (also from tests and the `--` flags' equivalents).
pub fn run(state: &mut State, text: &str, cmds: &mut Vec<Cmd>) {
    if text.is_empty() {
        return;
    }
    if state.command_history.last().map(String::as_str) != Some(text) {
        state.command_history.push(text.to_string());
        if state.command_history.len() > HISTORY {
            state.command_history.remove(0);
        }
    }
    match parse(text) {
        Ok(Command::Run(action)) => {
            update::run_action(state, action, cmds);
        }
        Ok(Command::Watch(prefix)) => watch::update::watch_prefix(state, prefix, cmds),
        Ok(Command::Election(name)) => elections::update::follow_named(state, name, cmds),
        Ok(Command::Rev(spec)) => past::update::go(state, spec, cmds),
        Ok(Command::Compact(spec)) => crate::app::maint::update::compact(state, spec),
        Ok(Command::Defrag(choice)) => crate::app::maint::update::defrag(state, choice, cmds),
        Ok(Command::MetricsEvery(secs)) => {
            crate::app::metrics::update::set_every(state, &secs, cmds)
        }
        Ok(Command::Snapshot(file)) => {
            if let Err(e) = crate::app::maint::update::snapshot(state, &file, cmds) {
                state.error(format!("snapshot: {e}"));
            }
        }
        Ok(Command::Changes((from, to, prefix))) => {
            changes::update::open(state, from, to, prefix, cmds)
        }
        Ok(Command::Find(query)) => find::update::start(state, &query, cmds),
        Ok(Command::Export(file)) => crate::app::transfer::update::export(state, file, cmds),
        Ok(Command::Import(file)) => crate::app::transfer::update::import(state, file, cmds),
        Ok(Command::Copy(dest, moving)) => {
            crate::app::transfer::update::copy(state, dest, moving, cmds)
        }
        Ok(Command::Ctx(name)) => crate::app::contexts::update::switch(state, &name, cmds),
        Err(e) => state.error(e),
    }
}

fn complete(state: &mut State) {
    let Some(line) = state.command.as_ref() else {
        return;
    };
    let text = line.text.clone();
    let (head, word, candidates) = match text.split_once(' ') {
        None => {
            let c = names()
                .into_iter()
                .filter(|n| n.starts_with(&text))
                .map(|n| {
                    if takes_argument(n) {
                        format!("{n} ")
                    } else {
                        n.to_string()
                    }
                })
                .collect();
            (String::new(), text.clone(), c)
        }
        Some(("ctx", arg)) => {
            let arg = arg.trim_start();
            (
                "ctx ".to_string(),
                arg.to_string(),
                context_candidates(state, arg, ""),
            )
        }
        // Another context as the destination: `ctx:NAME `.
        Some((name @ "copy", arg))
            if arg.trim_start().starts_with("ctx:") && !arg.trim_end().contains(' ') =>
        {
            let arg = arg.trim_start();
            (
                format!("{name} "),
                arg.to_string(),
                context_candidates(state, arg, "ctx:")
                    .into_iter()
                    .map(|c| c + " ")
                    .collect(),
            )
        }
        // A file name is not completed from the tree.
        Some((name, arg))
            if takes_argument(name)
                && !matches!(name, "export" | "import" | "snapshot" | "defrag") =>
        {
            let arg = arg.trim_start();
            (
                format!("{name} "),
                arg.to_string(),
                prefix_candidates(state, arg),
            )
        }
        Some(_) => return,
    };
    if let Some(line) = state.command.as_mut() {
        line.complete(head, &word, candidates);
    }
}

/// Context names extending `typed` (after `lead`), as `lead` + name.
fn context_candidates(state: &State, typed: &str, lead: &str) -> Vec<String> {
    let typed = typed.strip_prefix(lead).unwrap_or(typed);
    state
        .contexts
        .iter()
        .filter(|c| c.name.starts_with(typed))
        .map(|c| format!("{lead}{}", c.name))
        .collect()
}

/// Directories of the loaded tree that extend `typed` by one level.
fn prefix_candidates(state: &State, typed: &str) -> Vec<String> {
    let delimiter = &state.tree.delimiter;
    let mut out: Vec<String> = state
        .tree
        .nodes_iter()
        .filter(|(_, n)| n.is_dir())
        .filter_map(|(_, n)| std::str::from_utf8(&n.full).ok())
        .filter(|full| full.starts_with(typed) && full.len() > typed.len())
        .filter(|full| {
            // One level deeper than what is typed, no more.
            let rest = &full.as_bytes()[typed.len()..];
            let inner = &rest[..rest.len().saturating_sub(delimiter.len())];
            !inner
                .windows(delimiter.len().max(1))
                .any(|w| w == delimiter.as_slice())
        })
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}
