//! State transitions as plain functions: message in, state and commands out.
//! No terminal, no etcd.

use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use etcdlens::app::state::ValueStatus;
use etcdlens::app::tree::{Listing, ROOT};
use etcdlens::app::update::start;
use etcdlens::app::{update, Cmd, LoadedValue, Msg, Pane, State};
use etcdlens::etcd::types::{Child, ChildPage, ValueRecord};
use etcdlens::value_doc::Document;

fn key(code: KeyCode) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn page(children: &[&str], next: Option<&str>) -> ChildPage {
    ChildPage {
        children: children
            .iter()
            .map(|c| Child {
                full: c.as_bytes().to_vec(),
                is_dir: c.ends_with('/'),
            })
            .collect(),
        next: next.map(|n| n.as_bytes().to_vec()),
        revision: 42,
        reads: 1,
        seeds: Vec::new(),
        ..Default::default()
    }
}

fn new_state() -> State {
    let mut s = State::new(b"/", b"/", "127.0.0.1:2379".into(), Instant::now());
    s.size = (160, 45);
    s
}

/// The ListChildren command in `cmds`, as (dir, generation, prefix, cursor).
fn list_cmd(cmds: &[Cmd]) -> (u32, u64, Vec<u8>, Option<Vec<u8>>) {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::ListChildren { dir, request } => Some((
                *dir,
                request.generation,
                request.prefix.clone(),
                request.cursor.clone(),
            )),
            _ => None,
        })
        .expect("a ListChildren command")
}

fn fetch_cmd(cmds: &[Cmd]) -> Option<(u64, Vec<u8>)> {
    cmds.iter().find_map(|c| match c {
        Cmd::FetchValue { req, key } => Some((*req, key.clone())),
        _ => None,
    })
}

fn listed(dir: u32, generation: u64, p: ChildPage) -> Msg {
    Msg::Listed {
        dir,
        generation,
        result: Ok(p),
    }
}

fn record(key: &str, value: &[u8]) -> LoadedValue {
    LoadedValue {
        record: ValueRecord {
            key: key.as_bytes().to_vec(),
            value: value.to_vec(),
            mod_revision: 7,
            create_revision: 3,
            version: 2,
            lease: 0,
            lease_ttl: None,
        },
        doc: Document::build(value),
    }
}

#[test]
fn start_lists_the_root_and_selecting_a_key_fetches_its_value() {
    let mut s = new_state();
    let cmds = start(&mut s);
    let (dir, generation, prefix, cursor) = list_cmd(&cmds);
    assert_eq!((dir, prefix.as_slice(), cursor), (ROOT, &b"/"[..], None));

    let cmds = update(
        &mut s,
        listed(ROOT, generation, page(&["/a/", "/b", "/c"], None)),
    );
    assert_eq!(s.revision, 42);
    assert_eq!(s.tree.rows.len(), 3);
    assert!(fetch_cmd(&cmds).is_none(), "a directory is selected");

    let cmds = update(&mut s, ch('j'));
    let (req, k) = fetch_cmd(&cmds).expect("fetch on selection");
    assert_eq!(k, b"/b");
    assert!(matches!(s.value.status, ValueStatus::Loading));

    // Moving on supersedes the fetch: the late answer for /b is dropped.
    let cmds = update(&mut s, key(KeyCode::Down));
    let (req2, k2) = fetch_cmd(&cmds).unwrap();
    assert_eq!(k2, b"/c");
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(record("/b", b"old"))),
            revision: 50,
        },
    );
    assert!(
        matches!(s.value.status, ValueStatus::Loading),
        "stale answer ignored"
    );
    update(
        &mut s,
        Msg::Value {
            req: req2,
            result: Ok(Some(record("/c", br#"{"x":1}"#))),
            revision: 51,
        },
    );
    match &s.value.status {
        ValueStatus::Loaded { value, .. } => assert_eq!(value.record.key, b"/c"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.revision, 51);
}

#[test]
fn opening_a_directory_lists_it_and_a_single_subdirectory_opens_itself() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(&mut s, listed(ROOT, g, page(&["/a/", "/b"], None)));
    let cmds = update(&mut s, ch('l'));
    let (dir, g2, prefix, _) = list_cmd(&cmds);
    assert_eq!(prefix, b"/a/");
    // /a/ holds only /a/deep/: it opens too, and is listed.
    let cmds = update(&mut s, listed(dir, g2, page(&["/a/deep/"], None)));
    let (_, _, prefix, _) = list_cmd(&cmds);
    assert_eq!(prefix, b"/a/deep/");
    // `h` on an open directory closes it; again goes to the parent.
    update(&mut s, ch('j'));
    update(&mut s, ch('h'));
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/a/deep/"
    );
    assert!(!s.tree.dir(s.tree.rows[s.selected].node).unwrap().expanded);
    update(&mut s, ch('h'));
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/a/"
    );
}

#[test]
fn next_page_is_requested_only_when_the_end_comes_into_view() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    let names: Vec<String> = (0..1000).map(|i| format!("/k{i:04}")).collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let cmds = update(&mut s, listed(ROOT, g, page(&refs, Some("/k1000"))));
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::ListChildren { .. })),
        "end not in view: {cmds:?}"
    );
    assert_eq!(
        s.tree.dir(ROOT).unwrap().listing,
        Listing::Partial(b"/k1000".to_vec())
    );
    let cmds = update(&mut s, ch('G'));
    let (_, g2, _, cursor) = list_cmd(&cmds);
    assert_eq!(cursor.as_deref(), Some(&b"/k1000"[..]));
    // While it loads, the last row is the "loading…" row, and no duplicate
    // request goes out.
    assert!(s.tree.rows.last().unwrap().more);
    let cmds = update(&mut s, ch('k'));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::ListChildren { .. })));
    update(&mut s, listed(ROOT, g2, page(&["/k1000", "/k1001"], None)));
    assert_eq!(s.tree.rows.len(), 1002);
    assert_eq!(s.tree.dir(ROOT).unwrap().listing, Listing::Complete);
}

#[test]
fn reload_discards_answers_of_the_old_listing() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(&mut s, listed(ROOT, g, page(&["/a/"], None)));
    // /a/ auto-opened; reload it before its listing answers.
    let a = s.tree.rows[0].node;
    let g_old = match s.tree.dir(a).unwrap().in_flight {
        Some(g) => g,
        None => panic!("listing in flight"),
    };
    let cmds = update(&mut s, ch('r'));
    let (_, g_new, _, _) = list_cmd(&cmds);
    assert_ne!(g_old, g_new);
    update(&mut s, listed(a, g_old, page(&["/a/stale"], None)));
    assert_eq!(s.tree.dir(a).unwrap().children.len(), 0);
    update(&mut s, listed(a, g_new, page(&["/a/fresh"], None)));
    assert_eq!(
        s.tree
            .node(s.tree.dir(a).unwrap().children[0])
            .full
            .as_ref(),
        b"/a/fresh"
    );
}

#[test]
fn listing_errors_are_shown_and_retried_with_r() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(
        &mut s,
        Msg::Listed {
            dir: ROOT,
            generation: g,
            result: Err("permission denied".into()),
        },
    );
    assert!(matches!(
        s.tree.dir(ROOT).unwrap().listing,
        Listing::Failed(_)
    ));
    assert!(s.message.as_ref().unwrap().error);
    let cmds = update(&mut s, ch('r'));
    list_cmd(&cmds);
}

#[test]
fn filter_hides_non_matching_keys_and_esc_clears_it() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(
        &mut s,
        listed(ROOT, g, page(&["/alpha", "/beta", "/gamma"], None)),
    );
    update(&mut s, ch('/'));
    for c in "MM".chars() {
        update(&mut s, ch(c));
    }
    assert_eq!(
        s.tree.rows.len(),
        1,
        "only gamma matches (case-insensitive)"
    );
    update(&mut s, key(KeyCode::Enter));
    assert!(!s.filter.editing);
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(s.tree.rows.len(), 3);
}

#[test]
fn focus_help_quit_and_messages() {
    let mut s = new_state();
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Value);
    update(&mut s, key(KeyCode::BackTab));
    assert_eq!(s.focus, Pane::Keys);
    update(&mut s, ch('?'));
    assert!(s.help);
    assert!(update(&mut s, ch('j')).is_empty());
    assert!(!s.help);
    update(&mut s, ch('e'));
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("select a key whose value is shown"));
    let later = s.now + Duration::from_secs(60);
    update(&mut s, Msg::Tick(later));
    assert!(s.message.is_none(), "messages expire");
    assert_eq!(update(&mut s, ch('q')), vec![Cmd::Quit]);
    let mut s = new_state();
    let ctrl_c = Msg::Input(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(update(&mut s, ctrl_c), vec![Cmd::Quit]);
    let mut s = new_state();
    assert_eq!(update(&mut s, Msg::Signal), vec![Cmd::Quit]);
}

#[test]
fn value_pane_scrolls_within_the_document() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    let cmds = update(&mut s, listed(ROOT, g, page(&["/big"], None)));
    let (req, _) = fetch_cmd(&cmds).unwrap();
    let text: String = (0..500).map(|i| format!("line {i}\n")).collect();
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(record("/big", text.as_bytes()))),
            revision: 1,
        },
    );
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.focus, Pane::Value);
    update(&mut s, ch('j'));
    assert_eq!(s.value.scroll, 1);
    update(&mut s, ch('G'));
    let max = s.value.scroll;
    update(&mut s, ch('j'));
    assert_eq!(s.value.scroll, max, "cannot scroll past the end");
    assert!(max > 400);
    update(&mut s, ch('g'));
    assert_eq!(s.value.scroll, 0);
}

fn batch(children: &[&str], counts: &[(&str, u64)]) -> ChildPage {
    let mut p = page(children, None);
    p.partial = true;
    p.counts = counts
        .iter()
        .map(|(d, n)| (d.as_bytes().to_vec(), *n))
        .collect();
    p
}

fn row_names(s: &State) -> Vec<String> {
    s.tree
        .rows
        .iter()
        .map(|r| {
            if r.more {
                "…".to_string()
            } else {
                String::from_utf8_lossy(s.tree.node(r.node).name()).into_owned()
            }
        })
        .collect()
}

#[test]
fn batches_show_rows_in_order_while_the_listing_goes_on() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    // Found concurrently: later ranges may answer first.
    update(
        &mut s,
        listed(ROOT, g, batch(&["/c", "/d/"], &[("/d/", 7)])),
    );
    assert_eq!(row_names(&s), ["c", "d/", "…"]);
    assert_eq!(
        s.tree.dir(ROOT).unwrap().in_flight,
        Some(g),
        "still listing"
    );
    update(&mut s, listed(ROOT, g, batch(&["/a/", "/b"], &[])));
    assert_eq!(row_names(&s), ["a/", "b", "c", "d/", "…"]);
    let d = s.tree.rows[3].node;
    assert_eq!(s.tree.dir(d).unwrap().keys, Some(7));
    // The selection stays on its row as rows appear above it.
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/c"
    );
    // The user moves and opens a directory while the rest loads.
    update(&mut s, ch('j'));
    let cmds = update(&mut s, ch('l'));
    let (dir, _, prefix, _) = list_cmd(&cmds);
    assert_eq!((dir, prefix.as_slice()), (d, &b"/d/"[..]));
    // A count learned later for a directory found earlier.
    update(&mut s, listed(ROOT, g, batch(&[], &[("/a/", 3)])));
    let a = s.tree.rows[0].node;
    assert_eq!(s.tree.dir(a).unwrap().keys, Some(3));
    // The last message ends the page.
    let mut last = page(&["/e"], None);
    last.counts = vec![(b"/d/".to_vec(), 8)];
    update(&mut s, listed(ROOT, g, last));
    assert_eq!(s.tree.dir(ROOT).unwrap().listing, Listing::Complete);
    assert_eq!(s.tree.dir(ROOT).unwrap().in_flight, None);
    assert_eq!(s.tree.dir(d).unwrap().keys, Some(8));
    assert_eq!(
        s.tree.node(s.tree.rows[s.selected].node).full.as_ref(),
        b"/d/"
    );
}

#[test]
fn closing_a_directory_cancels_its_listing() {
    let mut s = new_state();
    let (_, g, _, _) = list_cmd(&start(&mut s));
    update(&mut s, listed(ROOT, g, page(&["/a/", "/b/"], None)));
    let cmds = update(&mut s, ch('l'));
    let (a, ga, _, _) = list_cmd(&cmds);
    update(&mut s, listed(a, ga, batch(&["/a/x"], &[])));
    // `h` on the open directory closes it: its reads are cancelled.
    let cmds = update(&mut s, ch('h'));
    assert!(
        cmds.contains(&Cmd::CancelList {
            dir: a,
            generation: ga
        }),
        "{cmds:?}"
    );
    assert_eq!(s.tree.dir(a).unwrap().in_flight, None);
    // Late answers of the cancelled request change nothing.
    update(&mut s, listed(a, ga, page(&["/a/y"], None)));
    assert_eq!(s.tree.dir(a).unwrap().children.len(), 1);
    assert_eq!(s.tree.dir(a).unwrap().listing, Listing::NotLoaded);
    // Opening it again lists it again.
    let cmds = update(&mut s, ch('l'));
    let (dir, g2, _, cursor) = list_cmd(&cmds);
    assert_eq!((dir, cursor), (a, None));
    assert_ne!(g2, ga);
    update(&mut s, listed(a, g2, page(&["/a/x", "/a/y"], None)));
    assert_eq!(s.tree.dir(a).unwrap().children.len(), 2);
}
