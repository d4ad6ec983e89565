//! The generated parts of `docs/reference.md`: the key and command tables
//! (from the `actions!` table, `app::keymap`'s defaults and the commands
//! that take an argument) and the flag tables (from clap's definitions in
//! `cli`). The help screen reads the same tables, so the manual cannot
//! drift from what the program does: a test in the `unit` binary compares
//! each part with the text between its markers in the file
//! (`<!-- generated: NAME -->` … `<!-- end generated -->`).

use clap::CommandFactory;

use crate::app::command::WITH_ARGUMENT;
use crate::app::keymap::Keymap;
use crate::app::{Action, Mode};

/// Makes one generated part's text.
pub type Generator = fn() -> String;

/// Each generated part: its marker name and what it holds now.
pub const SECTIONS: &[(&str, Generator)] = &[
    ("actions", actions),
    ("commands", commands),
    ("cli", cli),
    ("layers", layers),
];

/// Which view is on top when several are open: `app::layer::PRECEDENCE`,
/// in words.
pub fn layers() -> String {
    use crate::app::layer::{Layer, PRECEDENCE};
    let words: Vec<&str> = PRECEDENCE
        .iter()
        .map(|l| match l {
            Layer::Help => "help",
            Layer::Confirm => "a question",
            Layer::Prompt => "a dialog",
            Layer::Command => "the `:` line",
            Layer::Cluster => "the cluster view",
            Layer::Filter => "the filter",
            Layer::Editor => "the editor",
            Layer::Conflict => "the conflict view",
            Layer::Maint => "maintenance",
            Layer::Metrics => "metrics",
            Layer::Auth => "access control",
            Layer::Contexts => "contexts",
            Layer::Fleet => "the fleet",
            Layer::Top => "hot prefixes",
            Layer::Usage => "usage",
            Layer::Leases => "leases",
            Layer::Plan => "plan",
            Layer::History => "history",
            Layer::Changes => "changes",
            Layer::Resources => "the Kubernetes table",
            Layer::Find => "find's results",
            Layer::Panes => "the panes",
        })
        .collect();
    format!(
        "When several are open, one order decides which is on top and takes\nthe keys (top first): {}.\n",
        words.join(", ")
    )
}

/// Text for one cell of a Markdown table: `|` escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Inline code that may itself hold backticks.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// Per mode, every action: its default keys, its `:` command, what it does
/// (as the help screen lists them).
pub fn actions() -> String {
    let keymap = Keymap::default();
    let mut out = String::new();
    for mode in Mode::ALL {
        out.push_str(&format!("### {mode:?}: {}\n\n", mode.title()));
        if let Some(parent) = mode.parent() {
            out.push_str(&format!(
                "Keys this mode does not bind work as {}.\n\n",
                parent.title()
            ));
        }
        out.push_str("| keys | command | what it does |\n|---|---|---|\n");
        for action in Action::all().filter(|a| a.mode() == mode) {
            let keys: Vec<String> = keymap.keys(action).map(|k| code(&k.to_string())).collect();
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                cell(&keys.join(" ")),
                cell(&code(&format!(":{}", action.name()))),
                cell(action.about())
            ));
        }
        out.push('\n');
    }
    out
}

/// The commands that take an argument (besides every action's name).
pub fn commands() -> String {
    let mut out = String::from("| command | what it does |\n|---|---|\n");
    for (name, argument, about) in WITH_ARGUMENT {
        out.push_str(&format!(
            "| {} | {} |\n",
            cell(&code(&format!(":{name} {argument}"))),
            cell(about)
        ));
    }
    out
}

/// How an argument is written: `--endpoints ENDPOINTS`, `-o, --output
/// OUTPUT`, `--read-only`, `PREFIX`.
fn usage(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map(|v| v.to_string())
        .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
    if arg.is_positional() {
        return if arg.is_required_set() {
            value
        } else {
            format!("[{value}]")
        };
    }
    let mut text = String::new();
    if let Some(s) = arg.get_short() {
        text.push_str(&format!("-{s}"));
        if arg.get_long().is_some() {
            text.push_str(", ");
        }
    }
    if let Some(l) = arg.get_long() {
        text.push_str(&format!("--{l}"));
    }
    if arg.get_action().takes_values() {
        text.push(' ');
        text.push_str(&value);
    }
    text
}

/// What an argument does: its help, and whether it may be given again.
fn about(arg: &clap::Arg) -> String {
    let mut text = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    if matches!(arg.get_action(), clap::ArgAction::Append) && !text.contains("repeatable") {
        text.push_str(" (repeatable)");
    }
    if text.is_empty() {
        text.push('—');
    }
    text
}

fn default(arg: &clap::Arg) -> String {
    let values: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| code(&v.to_string_lossy()))
        .collect();
    match values.join(" ") {
        d if d == "``" => "empty".into(),
        d if d.is_empty() && !arg.get_action().takes_values() => "off".into(),
        d if d.is_empty() => "—".into(),
        d => d,
    }
}

/// The options every command takes (flag, environment variable, default,
/// help), then each subcommand with its own arguments; hidden ones left
/// out.
/// One subcommand's section (and its own subcommands', after it): its
/// usage line (optional flags in brackets), what it does, its arguments.
fn subcommand(out: &mut String, parent: &str, sub: &clap::Command) {
    let args: Vec<&clap::Arg> = sub.get_arguments().filter(|a| !a.is_hide_set()).collect();
    let name = format!("{parent} {}", sub.get_name());
    let mut line = name.clone();
    for a in &args {
        let u = usage(a);
        if a.is_positional() || a.is_required_set() {
            line.push_str(&format!(" {u}"));
        } else {
            line.push_str(&format!(" [{u}]"));
        }
    }
    let nested: Vec<&clap::Command> = sub.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if !nested.is_empty() {
        line.push_str(" SUBCOMMAND");
    }
    out.push_str(&format!("\n### `{line}`\n\n"));
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        out.push_str(&format!("{}\n", about.to_string().trim()));
    }
    if !args.is_empty() {
        out.push_str("\n| argument | default | what it does |\n|---|---|---|\n");
        for a in args {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                cell(&code(&usage(a))),
                cell(&default(a)),
                cell(&about(a))
            ));
        }
    }
    for n in nested {
        subcommand(out, &name, n);
    }
}

pub fn cli() -> String {
    let command = crate::cli::Cli::command();
    let mut out = String::from("### Options (every command)\n\n");
    out.push_str("| flag | environment | default | what it does |\n|---|---|---|---|\n");
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        let env = arg
            .get_env()
            .map(|e| code(&e.to_string_lossy()))
            .unwrap_or_else(|| "—".into());
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&code(&usage(arg))),
            cell(&env),
            cell(&default(arg)),
            cell(&about(arg))
        ));
    }
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        subcommand(&mut out, "etcdlens", sub);
    }
    out
}
