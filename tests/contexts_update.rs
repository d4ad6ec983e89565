//! Contexts inside the TUI (`:ctx`) as plain functions: the list, a
//! switch asked for, its answer (made, failed, or not the one waited for).
//! No terminal, no etcd.

use crate::common;

use common::fixtures::{blank, command, key, listed_root, page};
use crossterm::event::KeyCode;
use etcdlens::app::contexts::{ContextEntry, Current, Switched};
use etcdlens::app::tree::ROOT;
use etcdlens::app::{update, Cmd, Msg, State};
use ratatui::style::Color;

fn entry(name: &str, endpoints: &str, prefix: &str) -> ContextEntry {
    ContextEntry {
        name: name.into(),
        endpoints: endpoints.into(),
        user: None,
        prefix: prefix.into(),
        read_only: false,
        color: None,
        default: false,
    }
}

/// On context `staging` (the root listed as /app/ and /cfg/), with
/// `prod` and `staging` in the file.
fn on_staging() -> State {
    let mut s = listed_root(&["/app/", "/cfg/"]);
    s.contexts = vec![
        ContextEntry {
            read_only: true,
            color: Some(Color::Red),
            ..entry("prod", "10.0.0.1:2379", "/registry/")
        },
        entry("staging", "127.0.0.1:2379", "/"),
    ];
    s.context = Some(Current {
        name: "staging".into(),
        color: None,
    });
    s
}

fn switch_cmd(cmds: &[Cmd]) -> (u64, String) {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::SwitchContext { id, name } => Some((*id, name.clone())),
            _ => None,
        })
        .expect("a SwitchContext command")
}

/// The generation of the ListChildren in `cmds`.
fn list_generation(cmds: &[Cmd]) -> u64 {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::ListChildren { request, .. } => Some(request.generation),
            _ => None,
        })
        .expect("a ListChildren command")
}

/// `line` asks for nothing and says `says` as an error.
fn refused(s: &mut State, line: &str, says: &str) {
    let cmds = command(s, line);
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Cmd::SwitchContext { .. } | Cmd::Plan { .. })),
        "{line}: {cmds:?}"
    );
    let m = s.message.as_ref().unwrap();
    assert!(m.error && m.text.contains(says), "{line}: {}", m.text);
}

fn prod(read_only: bool) -> Switched {
    Switched {
        name: "prod".into(),
        endpoints: "10.0.0.1:2379".into(),
        revision: 900,
        prefix: b"/registry/".to_vec(),
        delimiter: b"/".to_vec(),
        read_only,
        metrics_urls: vec!["http://10.0.0.1:2381".into()],
        color: Some(Color::Red),
        tls_not_verified: false,
    }
}

fn row_names(s: &State) -> Vec<String> {
    s.tree
        .rows
        .iter()
        .map(|r| String::from_utf8_lossy(&s.tree.node(r.node).full).into_owned())
        .collect()
}

#[test]
fn the_list_opens_on_the_context_in_use_and_enter_asks_for_the_selected_one() {
    let mut s = on_staging();
    let cmds = command(&mut s, "ctx");
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(s.contexts_view.as_ref().map(|v| v.selected), Some(1));
    update(&mut s, key(KeyCode::Up));
    assert_eq!(s.contexts_view.as_ref().map(|v| v.selected), Some(0));
    let rows = row_names(&s);
    let cmds = update(&mut s, key(KeyCode::Enter));
    let (id, name) = switch_cmd(&cmds);
    assert_eq!(name, "prod");
    assert!(s.contexts_view.is_none());
    assert_eq!(s.switching.as_ref().map(|w| w.id), Some(id));
    // Nothing changes until the connection is made.
    assert_eq!(row_names(&s), rows);
    assert_eq!(s.context.as_ref().unwrap().name, "staging");
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("connecting to ctx prod"));
    // Esc closes the list without asking for anything.
    let mut s = on_staging();
    command(&mut s, "ctx");
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(s.contexts_view.is_none() && s.switching.is_none());
}

#[test]
fn an_unknown_name_or_a_second_switch_is_refused_with_one_line() {
    let mut s = on_staging();
    refused(&mut s, "ctx nope", "no context \"nope\"");
    switch_cmd(&command(&mut s, "ctx prod"));
    refused(&mut s, "ctx staging", "already connecting to ctx prod");
    // Without contexts, :ctx says where they come from.
    let mut s = listed_root(&["/app/"]);
    command(&mut s, "ctx");
    assert!(s.contexts_view.is_none());
    assert!(s.message.as_ref().unwrap().text.contains("[contexts.NAME]"));
}

#[test]
fn a_failed_switch_keeps_everything_and_says_why_in_one_line() {
    let mut s = on_staging();
    update(&mut s, key(KeyCode::Down));
    let (selected, rows, revision) = (s.selected, row_names(&s), s.revision);
    let (id, _) = switch_cmd(&command(&mut s, "ctx prod"));
    let cmds = update(
        &mut s,
        Msg::ContextSwitched {
            id,
            result: Err("no answer within 2s".into()),
        },
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        (s.selected, row_names(&s), s.revision),
        (selected, rows, revision)
    );
    assert_eq!(s.context.as_ref().unwrap().name, "staging");
    assert!(s.switching.is_none() && !s.read_only);
    let m = s.message.as_ref().unwrap();
    assert!(m.error);
    assert_eq!(
        m.text,
        "cannot switch to ctx prod: no answer within 2s (still on ctx staging)"
    );
}

#[test]
fn a_made_switch_starts_afresh_on_the_new_prefix_keeping_the_session() {
    let mut s = on_staging();
    command(&mut s, "cluster");
    command(&mut s, "cluster");
    let (id, _) = switch_cmd(&command(&mut s, "ctx prod"));
    let history = s.command_history.clone();
    let cmds = update(
        &mut s,
        Msg::ContextSwitched {
            id,
            result: Ok(prod(true)),
        },
    );
    // A fresh tree on the context's prefix, listed at once.
    let (dir, prefix) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::ListChildren { dir, request } => Some((*dir, request.prefix.clone())),
            _ => None,
        })
        .expect("the new root is listed");
    assert_eq!((dir, prefix.as_slice()), (ROOT, &b"/registry/"[..]));
    assert_eq!(row_names(&s), ["/registry/"]);
    // The metrics view reads the new context's metrics_urls.
    assert_eq!(s.metrics_urls, ["http://10.0.0.1:2381"]);
    assert_eq!(
        s.context,
        Some(Current {
            name: "prod".into(),
            color: Some(Color::Red)
        })
    );
    assert_eq!(
        (s.endpoints.as_str(), s.revision, s.read_only),
        ("10.0.0.1:2379", 900, true)
    );
    assert_eq!(s.watch.prefix, b"/registry/");
    // What the session keeps.
    assert_eq!(s.command_history, history);
    assert_eq!(s.size, (160, 45));
    assert_eq!(s.contexts.len(), 2);
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("switched to ctx prod"));
    // The new root's first listing starts the new cluster's watch.
    let generation = list_generation(&cmds);
    let cmds = update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation,
            result: Ok(page(&["/registry/pods/"], None)),
        },
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::Watch { prefix, .. } if prefix == b"/registry/")),
        "{cmds:?}"
    );
}

/// A context that does not check certificates says so in the state the
/// status bar reads; switching to one that does clears it.
#[test]
fn unverified_tls_comes_and_goes_with_the_context() {
    let mut s = on_staging();
    assert!(!s.tls_not_verified);
    let (id, _) = switch_cmd(&command(&mut s, "ctx prod"));
    let unverified = Switched {
        tls_not_verified: true,
        ..prod(false)
    };
    update(
        &mut s,
        Msg::ContextSwitched {
            id,
            result: Ok(unverified),
        },
    );
    assert!(s.tls_not_verified);
    // A failed switch keeps it.
    let (id, _) = switch_cmd(&command(&mut s, "ctx staging"));
    update(
        &mut s,
        Msg::ContextSwitched {
            id,
            result: Err("no answer within 2s".into()),
        },
    );
    assert!(s.tls_not_verified);
    let (id, _) = switch_cmd(&command(&mut s, "ctx staging"));
    update(
        &mut s,
        Msg::ContextSwitched {
            id,
            result: Ok(prod(false)),
        },
    );
    assert!(!s.tls_not_verified);
}

#[test]
fn answers_meant_for_the_old_state_or_another_switch_are_dropped() {
    // The old root's first listing is still in flight when the switch lands.
    let mut s = blank();
    s.contexts = on_staging().contexts;
    let old_generation = list_generation(&etcdlens::app::tree::update::start(&mut s));
    let (id, _) = switch_cmd(&command(&mut s, "ctx prod"));
    // Another switch's answer: not the one waited for.
    let cmds = update(
        &mut s,
        Msg::ContextSwitched {
            id: id + 100,
            result: Ok(prod(false)),
        },
    );
    assert!(cmds.is_empty());
    assert!(s.context.is_none());
    assert_eq!(s.switching.as_ref().map(|w| w.id), Some(id));
    let cmds = update(
        &mut s,
        Msg::ContextSwitched {
            id,
            result: Ok(prod(false)),
        },
    );
    let new_generation = list_generation(&cmds);
    assert_ne!(new_generation, old_generation);
    // The old cluster's answer arrives late: it is not this tree's listing.
    update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation: old_generation,
            result: Ok(page(&["/app/stale"], None)),
        },
    );
    assert_eq!(row_names(&s), ["/registry/"]);
    // The new one's is.
    update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation: new_generation,
            result: Ok(page(&["/registry/pods/"], None)),
        },
    );
    assert!(row_names(&s).contains(&"/registry/pods/".to_string()));
    let rows = row_names(&s);
    // The same switch answered twice: the second is dropped.
    let cmds = update(
        &mut s,
        Msg::ContextSwitched {
            id,
            result: Err("late".into()),
        },
    );
    assert!(cmds.is_empty());
    assert_eq!(row_names(&s), rows);
    assert!(!s.message.as_ref().unwrap().error);
}

#[test]
fn a_switch_waits_for_a_running_export() {
    let mut s = on_staging();
    s.export = Some(etcdlens::app::transfer::ExportJob {
        prefix: b"/app/".to_vec(),
        file: "/tmp/x".into(),
        keys: 0,
        bytes: 0,
    });
    refused(&mut s, "ctx prod", "export or a plan is running");
    assert!(s.switching.is_none());
}

#[test]
fn tab_completes_context_names() {
    let mut s = on_staging();
    update(&mut s, common::fixtures::ch(':'));
    for c in "ctx p".chars() {
        update(&mut s, common::fixtures::ch(c));
    }
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.command.as_ref().unwrap().text, "ctx prod");
}

#[test]
fn copy_to_another_context_plans_there_and_heeds_its_read_only() {
    use etcdlens::transfer::{Source, Transfer};
    let mut s = on_staging();
    // The current cluster is read-only: only the target's mode counts.
    s.read_only = true;
    // /app/ is selected.
    let cmds = command(&mut s, "copy ctx:staging");
    assert_eq!(
        cmds,
        vec![Cmd::Plan {
            transfer: Transfer {
                source: Source::Prefix(b"/app/".to_vec()),
                to: Some(b"/app/".to_vec()),
                moving: false,
                to_context: Some("staging".into()),
            },
            options: Default::default(),
        }]
    );
    assert_eq!(
        s.plan.as_ref().unwrap().what,
        "copy /app/ → ctx staging /app/"
    );
    s.plan = None;
    let cmds = command(&mut s, "copy ctx:staging /backup/");
    assert!(
        matches!(&cmds[..], [Cmd::Plan { transfer, .. }] if transfer.to.as_deref() == Some(&b"/backup/"[..]))
    );
    s.plan = None;
    for (line, says) in [
        ("copy ctx:prod /x/", "ctx prod is read-only"),
        ("copy ctx:nope /x/", "no context \"nope\""),
        (
            "move ctx:staging /x/",
            "a move to another cluster (ctx staging) is refused",
        ),
    ] {
        refused(&mut s, line, says);
        assert!(s.plan.is_none(), "{line}");
    }
}
