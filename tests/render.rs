//! Rendering on ratatui's TestBackend, checked with insta snapshots.

use crate::common;

use std::fmt::Write;
use std::time::{Duration, Instant};

use common::fixtures::{cluster_info, loaded, member_status, page_at};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use etcdlens::app::tree::ROOT;
use etcdlens::app::{update, Msg, State};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::Terminal;

fn state_with(children: &[&[u8]]) -> State {
    let mut s = State::new(b"/", b"/", "127.0.0.1:2379".into(), Instant::now());
    s.size = (100, 30);
    s.revision = 1234;
    let g = s.tree.begin_load(ROOT).unwrap().generation;
    s.tree.apply_page(ROOT, g, page_at(children, None, 1234));
    s.tree.rebuild_rows();
    s
}

fn with_value(mut s: State, key: &[u8], value: &[u8], lease: i64) -> State {
    s.value.key = Some(key.to_vec());
    let mut v = loaded(key, value, 1200, lease);
    v.record.create_revision = 17;
    v.record.version = 9;
    s.value.status = etcdlens::app::value::ValueStatus::Loaded {
        value: Box::new(v),
        fetched_at: s.now,
    };
    s
}

fn render(s: &State) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
    t.draw(|f| etcdlens::ui::draw(f, s)).unwrap();
    t.backend().buffer().clone()
}

fn text(buf: &Buffer, area: Rect) -> String {
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn screen(buf: &Buffer) -> String {
    text(buf, buf.area)
}

/// The text of `area` with `{color}` markers where the foreground changes,
/// to check highlighting.
fn colored(buf: &Buffer, area: Rect) -> String {
    marked(buf, area, false)
}

/// `colored`, with `[modifiers]` markers where the modifiers change.
fn styled(buf: &Buffer, area: Rect) -> String {
    marked(buf, area, true)
}

fn marked(buf: &Buffer, area: Rect, modifiers: bool) -> String {
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut fg = Color::Reset;
        let mut modifier = ratatui::style::Modifier::empty();
        for x in area.left()..area.right() {
            let cell = &buf[(x, y)];
            if modifiers && cell.modifier != modifier {
                modifier = cell.modifier;
                let _ = write!(out, "[{modifier:?}]");
            }
            if cell.fg != fg && cell.symbol() != " " {
                fg = cell.fg;
                let _ = write!(out, "{{{fg:?}}}");
            }
            out.push_str(cell.symbol());
        }
        out.push('\n');
    }
    out
}

fn value_area(s: &State) -> Rect {
    etcdlens::ui::layout::areas(Rect::new(0, 0, s.size.0, s.size.1)).value
}

#[test]
fn full_screen_with_tree_and_json_value() {
    let s = state_with(&[b"/app00/", b"/config", b"/config/", b"/flags", b"/legacy"]);
    let s = with_value(
        s,
        b"/config",
        br#"{"name":"api","port":8080,"tags":["a","b"],"tls":true,"owner":null}"#,
        0,
    );
    insta::assert_snapshot!(screen(&render(&s)));
}

#[test]
fn json_is_highlighted() {
    let s = state_with(&[b"/config"]);
    let s = with_value(
        s,
        b"/config",
        br#"{"name":"api","port":8080,"ratio":0.5,"tls":true,"owner":null,"list":[1]}"#,
        0,
    );
    let buf = render(&s);
    insta::assert_snapshot!(colored(&buf, value_area(&s)));
}

#[test]
fn binary_value_is_a_hex_dump_and_lease_ttl_counts_down() {
    let mut s = state_with(&[b"/blob"]);
    s.size = (160, 30);
    let bytes: Vec<u8> = (0u8..=40).map(|b| b.wrapping_mul(7)).collect();
    let mut s = with_value(s, b"/blob", &bytes, 0x694d_2c1f);
    s.now += Duration::from_secs(15);
    insta::assert_snapshot!(text(&render(&s), value_area(&s)));
    // Narrow screens drop the ASCII column rather than wrap.
    s.size = (100, 30);
    insta::assert_snapshot!("hex_narrow", text(&render(&s), value_area(&s)));
}

#[test]
fn control_characters_in_keys_and_values_are_escaped() {
    let s = state_with(&[
        b"/evil\x1b]0;owned\x07",
        b"/latin1-\xe9t\xe9",
        b"/tab\there",
        b"/rtl\xe2\x80\xaeabc",
        b"/dir/",
        b"/ok",
    ]);
    let s = with_value(
        s,
        b"/evil\x1b]0;owned\x07",
        b"red \x1b[31mRED\x1b[0m\r\nclear \x1b[2J bell \x07 csi \xc2\x9b",
        0,
    );
    let buf = render(&s);
    let screen = text(&buf, Rect::new(0, 0, 100, 30));
    // Nothing raw reaches a cell.
    assert!(
        !screen.chars().any(|c| c.is_control() && c != '\n'),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn help_overlay_and_filter_prompt() {
    let mut s = state_with(&[b"/alpha", b"/beta"]);
    update(
        &mut s,
        Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Char('/'),
            KeyModifiers::NONE,
        ))),
    );
    update(
        &mut s,
        Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Char('a'),
            KeyModifiers::NONE,
        ))),
    );
    insta::assert_snapshot!("filter", screen(&render(&s)));
    s.help = true;
    insta::assert_snapshot!("help", screen(&render(&s)));
}

#[test]
fn partially_loaded_directory_shows_progress() {
    let mut s = State::new(b"/", b"/", "e1,e2".into(), Instant::now());
    s.size = (100, 12);
    let g = s.tree.begin_load(ROOT).unwrap().generation;
    let names: Vec<Vec<u8>> = (0..1000)
        .map(|i| format!("/k{i:04}").into_bytes())
        .collect();
    let names: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
    s.tree
        .apply_page(ROOT, g, page_at(&names, Some(b"/k1000"), 5));
    s.tree.rebuild_rows();
    s.tree.begin_load(ROOT).unwrap();
    s.tree.rebuild_rows();
    s.selected = 1000;
    s.offset = 1001 - 9;
    insta::assert_snapshot!(text(
        &render(&s),
        etcdlens::ui::layout::areas(Rect::new(0, 0, 100, 12)).keys
    ));
}

fn watch_event(
    kind: etcdlens::etcd::types::EventKind,
    key: &[u8],
    value: &[u8],
    prev: Option<&[u8]>,
    rev: i64,
    created: i64,
) -> etcdlens::etcd::types::WatchEvent {
    etcdlens::etcd::types::WatchEvent {
        kind,
        key: key.to_vec(),
        value: value.to_vec(),
        prev_value: prev.map(|p| p.to_vec()),
        mod_revision: rev,
        create_revision: created,
        version: 1,
        lease: 0,
    }
}

#[test]
fn events_pane_rows_title_and_sparkline() {
    use etcdlens::etcd::types::EventKind::{Delete, Put};
    let mut s = state_with(&[b"/a"]);
    s.size = (120, 40);
    let t0 = s.now;
    s.events.push_events(
        vec![watch_event(
            Put,
            b"/svc/api",
            br#"{"port":80}"#,
            None,
            11,
            11,
        )],
        t0,
    );
    s.events.push_events(
        vec![
            watch_event(
                Put,
                b"/svc/api",
                br#"{"port":81}"#,
                Some(br#"{"port":80}"#),
                12,
                11,
            ),
            watch_event(
                Put,
                b"/svc/api",
                br#"{"port":81}"#,
                Some(br#"{"port":81}"#),
                13,
                11,
            ),
        ],
        t0 + Duration::from_secs(2),
    );
    s.events
        .push(etcdlens::app::watch::log::LogEntry::Gap { from: 14, to: 20 });
    s.events.push_events(
        vec![
            watch_event(Delete, b"/svc/api", b"", Some(br#"{"port":81}"#), 21, 0),
            watch_event(Put, b"/bin\x1b[2J\xff", &[0, 1, 2, 0xff], None, 22, 22),
        ],
        t0 + Duration::from_secs(4),
    );
    s.now = t0 + Duration::from_secs(4);
    let area = etcdlens::ui::layout::areas(Rect::new(0, 0, 120, 40)).events;
    insta::assert_snapshot!("events_following", text(&render(&s), area));
    // Paused, two more arrive: counted in the title, the view stays.
    s.events.pause();
    s.events.push_events(
        vec![
            watch_event(Put, b"/late", b"1", None, 23, 23),
            watch_event(Put, b"/late", b"2", Some(b"1"), 24, 23),
        ],
        s.now,
    );
    insta::assert_snapshot!("events_paused", text(&render(&s), area));
}

#[test]
fn selected_update_shows_the_diff_in_the_value_pane() {
    use etcdlens::etcd::types::EventKind::Put;
    let mut s = state_with(&[b"/a"]);
    s.size = (120, 40);
    s.events.push_events(
        vec![watch_event(
            Put,
            b"/cfg",
            br#"{"a":1,"b":2,"c":3}"#,
            Some(br#"{"a":1,"b":3,"c":3}"#),
            12,
            5,
        )],
        s.now,
    );
    s.focus = etcdlens::app::Pane::Events;
    s.events.select(Some(0));
    let area = etcdlens::ui::layout::areas(Rect::new(0, 0, 120, 40)).value;
    insta::assert_snapshot!(text(&render(&s), area));
}

#[test]
fn leader_pane_counts_the_ttl_down_and_lists_the_queue() {
    use etcdlens::app::elections::ElectionView;
    use etcdlens::etcd::types::{Candidate, ElectionSnapshot};
    let mut s = state_with(&[b"/a"]);
    s.size = (120, 40);
    let cand = |lease: i64, value: &str, rev: i64, ttl: i64| Candidate {
        key: format!("/testelection/{lease:x}").into_bytes(),
        value: value.as_bytes().to_vec(),
        create_revision: rev,
        lease,
        ttl: Some(ttl),
    };
    let mut view = ElectionView::new(b"/testelection".to_vec(), s.now);
    etcdlens::app::elections::update::follow(&mut s, b"/testelection".to_vec(), &mut Vec::new());
    view.snapshot = Some(ElectionSnapshot {
        candidates: vec![
            cand(0x694d, "node1", 10, 58),
            cand(0x694e, "node2", 12, 60),
            cand(0x694f, "node3", 15, -1),
        ],
        revision: 20,
    });
    view.leader = Some((b"/testelection/694d".to_vec(), None, s.now));
    s.elections[0] = view;
    let mut empty = ElectionView::new(b"/jobs/cron".to_vec(), s.now);
    empty.snapshot = Some(ElectionSnapshot {
        candidates: vec![],
        revision: 20,
    });
    s.elections.push(empty);
    let area = etcdlens::ui::layout::areas(Rect::new(0, 0, 120, 40)).leader;
    insta::assert_snapshot!("leader_at_0s", text(&render(&s), area));
    s.now += Duration::from_secs(3);
    insta::assert_snapshot!("leader_at_3s", text(&render(&s), area));
}

fn press(s: &mut State, msgs: Vec<Msg>) {
    for m in msgs {
        update(s, m);
    }
}

/// The inline editor with a JSON error, then the conflict view after a
/// save that someone else's write beat.
#[test]
fn editor_and_conflict_view() {
    use common::fixtures::{ctrl, key, typed};
    let mut s = with_value(state_with(&[b"/cfg"]), b"/cfg", br#"{"retries":2}"#, 0);
    s.selected = 0;
    press(&mut s, typed("e"));
    press(&mut s, vec![key(KeyCode::End), key(KeyCode::Backspace)]);
    press(&mut s, typed(",\"timeout\":"));
    insta::assert_snapshot!(
        "editor_with_invalid_json",
        text(&render(&s), value_area(&s))
    );
    press(&mut s, typed("5}"));
    press(&mut s, vec![ctrl('s')]);
    let mut theirs = loaded(b"/cfg", br#"{"retries":3}"#, 1300, 0).record;
    theirs.mod_revision = 1300;
    update(
        &mut s,
        Msg::WriteDone {
            op: etcdlens::app::msg::WriteOp::Save,
            key: b"/cfg".to_vec(),
            result: Ok(etcdlens::etcd::types::WriteOutcome::Conflict {
                current: Some(theirs),
            }),
            journal: Ok(()),
        },
    );
    insta::assert_snapshot!("conflict_view", text(&render(&s), value_area(&s)));
}

/// The new-key dialog and the prefix-delete question.
#[test]
fn dialogs() {
    use common::fixtures::{key, typed};
    let mut s = state_with(&[b"/app/", b"/b"]);
    press(&mut s, typed("n"));
    press(&mut s, typed("new"));
    press(&mut s, vec![key(KeyCode::Tab)]);
    press(&mut s, typed("30"));
    insta::assert_snapshot!("new_key_dialog", screen(&render(&s)));
    let mut s = state_with(&[b"/app/", b"/b"]);
    update(
        &mut s,
        Msg::PrefixCount {
            prefix: b"/app/".to_vec(),
            count: Ok(1234),
        },
    );
    insta::assert_snapshot!("delete_prefix_dialog", screen(&render(&s)));
}

/// The cluster view with one member down and an alarm.
#[test]
fn cluster_view() {
    let mut s = state_with(&[b"/a"]);
    update(&mut s, common::fixtures::ch('C'));
    let info = cluster_info(member_status("3.5.1", 2, 1, 0));
    update(&mut s, Msg::Cluster(Ok(info)));
    insta::assert_snapshot!(screen(&render(&s)));
}

/// The maintenance view: a member with a NOSPACE alarm, one down, the
/// quota reported (etcd 3.6 and later).
#[test]
fn maint_view() {
    let mut s = state_with(&[b"/a"]);
    s.size = (140, 20);
    update(&mut s, common::fixtures::ch('M'));
    let info = cluster_info(member_status("3.6.16", 60, 15, 64));
    update(&mut s, Msg::Cluster(Ok(info)));
    insta::assert_snapshot!(screen(&render(&s)));
}

/// The maintenance view during a NOSPACE recovery: what comes next and
/// its keys, then the log's end (long lines wrapped).
#[test]
fn maint_view_during_a_recovery() {
    use etcdlens::app::maint::{MaintMsg, MaintOp};
    let mut s = state_with(&[b"/a"]);
    s.size = (140, 26);
    s.revision = 5000;
    update(&mut s, common::fixtures::ch('M'));
    let info = cluster_info(member_status("3.6.16", 60, 15, 64));
    update(&mut s, Msg::Cluster(Ok(info)));
    update(&mut s, common::fixtures::ch('R'));
    for m in common::fixtures::typed("yes") {
        update(&mut s, m);
    }
    update(&mut s, common::fixtures::key(KeyCode::Enter));
    update(
        &mut s,
        Msg::Maint(MaintMsg::Done {
            op: MaintOp::Compact,
            lines: vec![],
            result: Ok("compacted at rev 5000: older revisions can no longer be read".into()),
            audit: Ok(()),
        }),
    );
    insta::assert_snapshot!(screen(&render(&s)));
}

/// The `:` line with Tab's candidates above it.
#[test]
fn command_line_with_candidates() {
    use common::fixtures::{key, typed};
    let mut s = state_with(&[b"/a"]);
    press(&mut s, typed(":del"));
    press(&mut s, vec![key(KeyCode::Tab), key(KeyCode::Tab)]);
    let area = Rect::new(0, s.size.1 - 2, s.size.0, 2);
    insta::assert_snapshot!(text(&render(&s), area));
}

/// Issue 16.9: a key 40 levels deep keeps its name visible in the Keys
/// pane (the indent is capped, the depth shown).
#[test]
fn deep_paths_keep_the_selected_name_visible() {
    let mut s = state_with(&[b"/l0/"]);
    let mut dir = s.tree.dir(ROOT).unwrap().children[0];
    let mut prefix = b"/l0/".to_vec();
    for level in 1..=40 {
        let child = if level == 40 {
            [prefix.clone(), b"leaf-key".to_vec()].concat()
        } else {
            [prefix.clone(), format!("l{level}/").into_bytes()].concat()
        };
        s.tree.set_expanded(dir, true);
        let g = s.tree.begin_load(dir).unwrap().generation;
        s.tree
            .apply_page(dir, g, page_at(&[child.as_slice()], None, 1234));
        dir = s.tree.dir(dir).unwrap().children[0];
        prefix = child;
    }
    s.tree.rebuild_rows();
    s.selected = s.tree.rows.len() - 1;
    s.offset = s.selected.saturating_sub(10);
    let buf = render(&s);
    let keys = etcdlens::ui::layout::areas(Rect::new(0, 0, s.size.0, s.size.1)).keys;
    let pane = text(&buf, keys);
    assert!(pane.contains("leaf-key"), "{pane}");
    assert!(pane.contains("l39/"), "{pane}");
    assert!(
        pane.contains("·40·   leaf-key"),
        "the depth is shown:\n{pane}"
    );
}

/// Issue 16.10: JSON nested deeper than the parser goes is labelled as
/// such, not as plain text.
#[test]
fn json_too_deep_to_pretty_print_says_so() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let s = with_value(state_with(&[b"/deep"]), b"/deep", deep.as_bytes(), 0);
    let buf = render(&s);
    let pane = text(&buf, value_area(&s));
    assert!(pane.contains("json: too deep to pretty-print"), "{pane}");
}

#[test]
fn directory_rows_show_key_counts_and_listing_progress() {
    let mut s = State::new(b"/registry/", b"/", "e1".into(), Instant::now());
    s.size = (100, 14);
    let g = s.tree.begin_load(ROOT).unwrap().generation;
    let dirs: &[&[u8]] = &[
        b"/registry/configmaps/",
        b"/registry/events/",
        b"/registry/pods/",
        b"/registry/secrets/",
    ];
    let mut top = page_at(dirs, None, 7);
    // secrets/ has no count: nothing is shown for it.
    top.counts = vec![
        (b"/registry/configmaps/".to_vec(), 999),
        (b"/registry/pods/".to_vec(), 152_340),
    ];
    s.tree.apply_page(ROOT, g, top);
    // events/ is open and still being listed: two namespaces found so far.
    s.tree.rebuild_rows();
    let events = s.tree.rows[1].node;
    s.tree.set_expanded(events, true);
    let ge = s.tree.begin_load(events).unwrap().generation;
    let mut found = page_at(
        &[
            b"/registry/events/default/",
            b"/registry/events/kube-system/",
        ],
        None,
        7,
    );
    found.counts = vec![(b"/registry/events/default/".to_vec(), 15_021)];
    found.partial = true;
    s.tree.apply_page(events, ge, found);
    s.tree.rebuild_rows();
    insta::assert_snapshot!(text(
        &render(&s),
        etcdlens::ui::layout::areas(Rect::new(0, 0, 100, 14)).keys
    ));
}

#[test]
fn find_results_as_a_virtual_directory_with_progress_and_highlights() {
    use etcdlens::app::find::{FindBatch, FindView, Hit, Query};
    let mut s = state_with(&[b"/app/"]);
    s.size = (120, 12);
    let started = s.now;
    let mut view = FindView::new(1, Query::parse("pay").unwrap(), b"/app/".to_vec(), started);
    let hit = |k: &[u8]| Hit {
        key: k.to_vec(),
        mod_revision: 3,
    };
    view.add(
        FindBatch {
            hits: vec![
                hit(b"/app/billing/payment-7"),
                hit(b"/app/PAY/x"),
                hit(b"/app/odd\x1b[2J/pay"),
            ],
            scanned: 412_000,
            total: 1_000_000,
            revision: 99,
            done: None,
            skipped: None,
        },
        started,
    );
    view.selected = 2;
    s.find = Some(view);
    s.now = started + Duration::from_millis(1200);
    insta::assert_snapshot!(colored(
        &render(&s),
        etcdlens::ui::layout::areas(Rect::new(0, 0, 120, 12)).keys
    ));
}

#[test]
fn usage_view_sorted_by_size_with_bars_and_quota() {
    use etcdlens::app::usage::{UsageBatch, UsageView};
    let mut s = state_with(&[b"/registry/"]);
    s.size = (120, 16);
    let started = s.now;
    let mut view = UsageView::new(
        1,
        b"/registry/".to_vec(),
        vec![(b"/registry/secrets/".to_vec(), Some(12))],
        started,
    );
    view.add(
        UsageBatch {
            adds: vec![
                (b"/registry/events/".to_vec(), 412_000, 180 << 20),
                (b"/registry/pods/".to_vec(), 150_000, 90 << 20),
                (b"/registry/configmaps/".to_vec(), 999, 3 << 20),
                (b"/registry/ranges".to_vec(), 1, 300),
            ],
            scanned: 563_000,
            total: 1_000_000,
            revision: 99,
            db: Some(Ok(etcdlens::etcd::usage::DbStatus {
                size: 7 << 30,
                in_use: 6 << 30,
                quota: 8 << 30,
            })),
            done: None,
            skipped: None,
        },
        started,
    );
    s.usage = Some(view);
    s.now = started + Duration::from_millis(2300);
    insta::assert_snapshot!(screen(&render(&s)));
}

fn themed(theme: etcdlens::ui::theme::Theme) -> State {
    let mut s = state_with(&[b"/app00/", b"/config", b"/flags"]);
    s.selected = 1;
    s.theme = theme;
    with_value(
        s,
        b"/config",
        br#"{"name":"api","port":8080,"tls":true,"owner":null}"#,
        0,
    )
}

#[test]
fn no_color_draws_no_colour_and_shows_the_selection_in_reverse_video() {
    use etcdlens::ui::theme::Theme;
    let s = themed(Theme::NoColor);
    let buf = render(&s);
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    // The same text as with colours.
    assert_eq!(screen(&buf), screen(&render(&themed(Theme::Dark))));
    let keys = etcdlens::ui::layout::areas(buf.area).keys;
    insta::assert_snapshot!(styled(&buf, keys));
}

#[test]
fn the_light_theme_uses_no_pale_text_colour_on_the_terminal_background() {
    use etcdlens::ui::theme::Theme;
    let s = themed(Theme::Light);
    let buf = render(&s);
    let pale = [
        Color::Yellow,
        Color::LightYellow,
        Color::White,
        Color::Gray,
        Color::Cyan,
        Color::LightCyan,
        Color::LightBlue,
        Color::Green,
        Color::LightGreen,
        Color::LightMagenta,
        Color::LightRed,
    ];
    for cell in buf.content() {
        assert!(
            cell.bg != Color::Reset || !pale.contains(&cell.fg),
            "{cell:?}"
        );
    }
    assert_eq!(screen(&buf), screen(&render(&themed(Theme::Dark))));
    insta::assert_snapshot!(colored(&buf, value_area(&s)));
}

fn with_contexts(mut s: State) -> State {
    use etcdlens::app::contexts::{ContextEntry, Current};
    let entry = |name: &str, endpoints: &str| ContextEntry {
        name: name.into(),
        endpoints: endpoints.into(),
        user: None,
        prefix: String::new(),
        read_only: false,
        color: None,
        default: false,
    };
    s.contexts = vec![
        ContextEntry {
            user: Some("alice".into()),
            prefix: "/registry/".into(),
            read_only: true,
            color: Some(Color::Red),
            ..entry("prod", "https://10.0.0.1:2379,https://10.0.0.2:2379")
        },
        ContextEntry {
            default: true,
            color: Some(Color::Green),
            ..entry("staging", "127.0.0.1:2379")
        },
    ];
    s.context = Some(Current {
        name: "prod".into(),
        color: Some(Color::Red),
    });
    s.read_only = true;
    s
}

#[test]
fn the_contexts_list_marks_the_one_in_use() {
    let mut s = with_contexts(state_with(&[b"/app00/", b"/config"]));
    s.contexts_view = Some(etcdlens::app::contexts::ContextsView {
        selected: 1,
        offset: 0,
    });
    insta::assert_snapshot!(screen(&render(&s)));
}

/// The text of `area` with `<bg>` markers where the background changes.
fn backgrounds(buf: &Buffer, area: Rect) -> String {
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut bg = Color::Reset;
        for x in area.left()..area.right() {
            let cell = &buf[(x, y)];
            if cell.bg != bg {
                bg = cell.bg;
                let _ = write!(out, "<{bg:?}>");
            }
            out.push_str(cell.symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn a_context_colour_marks_the_status_bar_and_every_border_and_no_color_wins() {
    let s = with_contexts(state_with(&[b"/app00/", b"/config"]));
    let buf = render(&s);
    let areas = etcdlens::ui::layout::areas(buf.area);
    insta::assert_snapshot!(backgrounds(&buf, areas.status));
    // Every pane's corners are in the context's colour.
    for area in [areas.keys, areas.value, areas.events, areas.leader] {
        for (x, y) in [
            (area.left(), area.top()),
            (area.right() - 1, area.bottom() - 1),
        ] {
            assert_eq!(buf[(x, y)].fg, Color::Red, "{area:?}");
        }
    }
    // Titles keep their own colour.
    let title = &buf[(areas.keys.left() + 2, areas.keys.top())];
    assert_eq!(title.symbol(), "K");
    assert_ne!(title.fg, Color::Red);
    // NO_COLOR: no colour at all, the badge in reverse video.
    let mut s = s;
    s.theme = etcdlens::ui::theme::Theme::NoColor;
    let buf = render(&s);
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    let badge = &buf[(1, areas.status.top())];
    assert_eq!(badge.symbol(), "c");
    assert!(badge.modifier.contains(ratatui::style::Modifier::REVERSED));
}

/// `--insecure-skip-tls-verify`: the status bar says `TLS NOT VERIFIED` in
/// the error colour, beside the context badge and the read-only marker,
/// and a long error message does not push it out of sight.
#[test]
fn unverified_tls_is_said_in_the_status_bar_whatever_else_is_there() {
    let mut s = with_contexts(state_with(&[b"/app00/", b"/config"]));
    s.tls_not_verified = true;
    s.error("cannot read /app00/: permission denied, and a message long enough to fill the rest of the bar");
    let buf = render(&s);
    // The message wraps onto a second row of the bar (issue 22.18).
    let areas = s.areas();
    assert_eq!(areas.status.height, 2);
    insta::assert_snapshot!(backgrounds(&buf, areas.status));
    let bar = text(&buf, areas.status);
    let at = bar.find("TLS NOT VERIFIED").expect("the badge is shown");
    // One cell per character before it (`⬡` and `│` are one cell each).
    let column = bar[..at].chars().count() as u16;
    let cell = &buf[(column, areas.status.top())];
    assert_eq!(cell.symbol(), "T");
    assert_eq!((cell.bg, cell.fg), (Color::Red, Color::White));
    // Off: not a word of it.
    s.tls_not_verified = false;
    assert!(!text(&render(&s), areas.status).contains("NOT VERIFIED"));
}

/// `screen` of `s` drawn at `w`×`h`.
fn screen_at(s: &mut State, w: u16, h: u16) -> String {
    s.size = (w, h);
    screen(&render(s))
}

/// The text of a screen as one line of words (wrapped text joined again,
/// borders gone).
fn words(screen: &str) -> String {
    screen
        .replace(['│', '┃'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Issue 22.18: the `D` dialog on a long prefix is as tall as its wrapped
/// text: the question, the journal note and the whole etcdctl line, at
/// 80×24 and 160×45 (the box used to cut its last lines).
#[test]
fn the_delete_prefix_dialog_wraps_its_whole_text() {
    let prefix =
        "/registry/apiextensions.k8s.io/customresourcedefinitions/verylongname.example.com/";
    for (w, h) in [(80u16, 24u16), (160, 45)] {
        let mut s = state_with(&[prefix.as_bytes(), b"/b"]);
        update(
            &mut s,
            Msg::PrefixCount {
                prefix: prefix.as_bytes().to_vec(),
                count: Ok(50_192),
            },
        );
        let screen = screen_at(&mut s, w, h);
        // Without any space: a path longer than a line is split inside.
        let text: String = words(&screen).split(' ').collect();
        for part in [
            format!("Delete 50,192 keys under {prefix} in one transaction? Over 10,000 keys: too many to journal, u cannot restore them."),
            format!("= etcdctl del --prefix {prefix}"),
            "type yes to delete them all:".to_string(),
            "Enter ok · Tab next field · Esc cancel".to_string(),
        ] {
            let part: String = part.split(' ').collect();
            assert!(text.contains(&part), "{part}\n{screen}");
        }
        insta::assert_snapshot!(format!("delete_prefix_dialog_{w}x{h}"), screen);
    }
}

/// Issue 22.18: the help wraps a description longer than its box under
/// itself (after the keys column), at 80×24 and 160×45; scrolled to the
/// end, every line of it has been shown whole.
#[test]
fn the_help_wraps_long_descriptions() {
    use etcdlens::app::keymap::Keymap;
    use etcdlens::app::Action;
    for (w, h) in [(80u16, 24u16), (160, 45)] {
        let mut s = state_with(&[b"/a"]);
        s.size = (w, h);
        update(&mut s, common::fixtures::ch('?'));
        let mut seen = String::new();
        let mut first = None;
        // Line by line to the end.
        for _ in 0..200 {
            let screen = screen_at(&mut s, w, h);
            first.get_or_insert_with(|| screen.clone());
            seen.push_str(&words(&screen));
            seen.push(' ');
            if screen.contains("any other key closes this help") {
                break;
            }
            update(&mut s, common::fixtures::key(KeyCode::Down));
        }
        for action in Action::all() {
            let row = format!("{} :{}", action.about(), action.name());
            assert!(seen.contains(&row), "{row} not shown whole at {w}x{h}");
        }
        let keys = Keymap::default();
        let width = etcdlens::ui::help::text_width(ratatui::layout::Rect::new(0, 0, w, h));
        let wrapped = etcdlens::ui::help::wrapped(&keys, width);
        assert!(wrapped.iter().all(|l| l.width() <= width));
        insta::assert_snapshot!(format!("help_{w}x{h}"), first.unwrap());
    }
}

/// Issue 22.20: the Events rows' markers are explained: on the pane's
/// bottom border when it is wide enough, and always in the help.
#[test]
fn the_events_markers_are_explained() {
    let legend =
        "+ created  ~ value changed  = updated, no change seen  ? previous value not read yet";
    let mut s = state_with(&[b"/a"]);
    let wide = screen_at(&mut s, 160, 45);
    assert!(wide.contains(legend), "{wide}");
    s.help = true;
    s.help_scroll = usize::MAX / 2;
    let help = words(&screen_at(&mut s, 80, 24));
    assert!(
        help.contains(
            &format!(
                "Events markers: {legend} (selecting the row reads it); DELETE rows have none."
            )
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
        ),
        "{help}"
    );
}

/// A file opened offline: the status bar names it (no loopback port), the
/// Events pane says there is no live watch, the cluster view is refused
/// with one line.
#[test]
fn a_file_opened_offline_says_so() {
    let mut s = state_with(&[b"/app/", b"/svc/", b"/config"]);
    s.offline = Some("offline: /backups/etcd.db @ rev 1234 (read-only)".into());
    s.endpoints = "file".into();
    s.read_only = true;
    s.watch.started = true;
    let mut cmds = Vec::new();
    etcdlens::app::update::run_action(&mut s, etcdlens::app::action::Action::Cluster, &mut cmds);
    assert!(cmds.is_empty(), "nothing asked of a file: {cmds:?}");
    insta::assert_snapshot!(screen(&render(&s)));
}
