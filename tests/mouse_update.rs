//! Mouse events as plain `update` calls: a click selects a Keys row or
//! focuses a pane, the wheel scrolls the pane under the pointer, a double
//! click opens. (tmux cannot send real clicks easily; these drive `update`.)

use crate::common;

use std::time::{Duration, Instant};

use common::fixtures::{ch, key, listed_root, loaded};
use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use etcdlens::app::mouse::DOUBLE_CLICK;
use etcdlens::app::{update, Cmd, Msg, Pane, State};
use etcdlens::ui::layout::{areas, Areas};
use ratatui::layout::Rect;

fn screen(s: &State) -> Areas {
    areas(Rect::new(0, 0, s.size.0, s.size.1))
}

fn mouse(kind: MouseEventKind, column: u16, row: u16, at: Instant) -> Msg {
    Msg::Mouse {
        event: MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        },
        at,
    }
}

fn click(column: u16, row: u16, at: Instant) -> Msg {
    mouse(MouseEventKind::Down(MouseButton::Left), column, row, at)
}

fn fetched(cmds: &[Cmd]) -> Option<Vec<u8>> {
    cmds.iter().find_map(|c| match c {
        Cmd::FetchValue { key, .. } => Some(key.clone()),
        _ => None,
    })
}

fn listed_prefix(cmds: &[Cmd]) -> Option<Vec<u8>> {
    cmds.iter().find_map(|c| match c {
        Cmd::ListChildren { request, .. } => Some(request.prefix.clone()),
        _ => None,
    })
}

#[test]
fn a_click_selects_the_keys_row_under_it_and_focuses_the_pane_under_it() {
    let mut s = listed_root(&["/a/", "/b", "/c", "/d"]);
    let keys = screen(&s).keys;
    let t = Instant::now();
    // The third row inside the border: /c.
    let cmds = update(&mut s, click(keys.x + 3, keys.y + 3, t));
    assert_eq!(s.selected, 2);
    assert_eq!(fetched(&cmds).as_deref(), Some(&b"/c"[..]));
    // Below the last row: the pane is focused, the selection stays.
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Value);
    update(&mut s, click(keys.x + 3, keys.y + 10, t + DOUBLE_CLICK * 2));
    assert_eq!(s.focus, Pane::Keys);
    assert_eq!(s.selected, 2);
    let a = screen(&s);
    for (pane, area) in [
        (Pane::Value, a.value),
        (Pane::Events, a.events),
        (Pane::Leader, a.leader),
    ] {
        update(&mut s, click(area.x + 2, area.y + 1, t));
        assert_eq!(s.focus, pane);
        assert_eq!(s.selected, 2, "a click elsewhere keeps the Keys selection");
    }
}

#[test]
fn a_double_click_opens_and_two_slow_clicks_do_not() {
    let mut s = listed_root(&["/a/", "/b"]);
    let keys = screen(&s).keys;
    let t = Instant::now();
    let first = update(&mut s, click(keys.x + 2, keys.y + 1, t));
    assert!(listed_prefix(&first).is_none());
    // Slower than a double click: nothing opens.
    let slow = update(&mut s, click(keys.x + 2, keys.y + 1, t + DOUBLE_CLICK * 2));
    assert!(listed_prefix(&slow).is_none());
    assert!(!s.tree.dir(s.tree.rows[0].node).unwrap().expanded);
    // A quick second click on the same cell opens /a/ (lists it).
    let after = |ms| t + DOUBLE_CLICK * 2 + Duration::from_millis(ms);
    let double = update(&mut s, click(keys.x + 2, keys.y + 1, after(100)));
    assert_eq!(listed_prefix(&double).as_deref(), Some(&b"/a/"[..]));
    assert!(s.tree.dir(s.tree.rows[0].node).unwrap().expanded);
    // A third click starts a new pair: no second open.
    let third = update(&mut s, click(keys.x + 2, keys.y + 1, after(200)));
    assert!(listed_prefix(&third).is_none());
    assert!(s.tree.dir(s.tree.rows[0].node).unwrap().expanded);
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer() {
    let names: Vec<String> = (0..20).map(|i| format!("/k{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut s = listed_root(&names);
    let t = Instant::now();
    let a = screen(&s);
    update(
        &mut s,
        mouse(MouseEventKind::ScrollDown, a.keys.x + 5, a.keys.y + 5, t),
    );
    assert_eq!(s.selected, 3, "one notch moves three rows");
    update(
        &mut s,
        mouse(MouseEventKind::ScrollUp, a.keys.x + 5, a.keys.y + 5, t),
    );
    assert_eq!(s.selected, 0);
    // Over the Value pane: it gets the focus and its text scrolls.
    let cmds = update(&mut s, ch('j'));
    let req = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::FetchValue { req, .. } => Some(*req),
            _ => None,
        })
        .unwrap();
    let text: String = (0..200).map(|i| format!("line {i}\n")).collect();
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(loaded(b"/k01", text.as_bytes(), 7, 0))),
            revision: 7,
        },
    );
    update(
        &mut s,
        mouse(MouseEventKind::ScrollDown, a.value.x + 5, a.value.y + 5, t),
    );
    assert_eq!(s.focus, Pane::Value);
    assert_eq!(s.value.scroll, 3);
    assert_eq!(s.selected, 1, "the Keys selection stays");
}

#[test]
fn the_mouse_leaves_text_fields_and_the_help_alone() {
    let mut s = listed_root(&["/a", "/b", "/c"]);
    let keys = screen(&s).keys;
    let t = Instant::now();
    update(&mut s, ch(':'));
    assert!(update(&mut s, click(keys.x + 2, keys.y + 3, t)).is_empty());
    assert_eq!(s.selected, 0);
    assert!(s.command.is_some());
    let mut s = listed_root(&["/a", "/b", "/c"]);
    update(&mut s, ch('?'));
    update(
        &mut s,
        mouse(MouseEventKind::ScrollDown, keys.x + 2, keys.y + 3, t),
    );
    update(&mut s, click(keys.x + 2, keys.y + 3, t));
    assert_eq!(s.selected, 0);
    assert!(s.help);
}
