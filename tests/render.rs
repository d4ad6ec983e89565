//! Rendering on ratatui's TestBackend, checked with insta snapshots.

use std::fmt::Write;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use etcdlens::app::tree::ROOT;
use etcdlens::app::{update, LoadedValue, Msg, State};
use etcdlens::etcd::types::{Child, ChildPage, ValueRecord};
use etcdlens::value_doc::Document;
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
    s.tree.apply_page(
        ROOT,
        g,
        ChildPage {
            children: children
                .iter()
                .map(|c| Child {
                    full: c.to_vec(),
                    is_dir: c.ends_with(b"/"),
                })
                .collect(),
            next: None,
            revision: 1234,
            reads: 1,
            seeds: Vec::new(),
            ..Default::default()
        },
    );
    s.tree.rebuild_rows();
    s
}

fn with_value(mut s: State, key: &[u8], value: &[u8], lease: i64) -> State {
    s.value.key = Some(key.to_vec());
    s.value.status = etcdlens::app::state::ValueStatus::Loaded {
        value: Box::new(LoadedValue {
            record: ValueRecord {
                key: key.to_vec(),
                value: value.to_vec(),
                mod_revision: 1200,
                create_revision: 17,
                version: 9,
                lease,
                lease_ttl: (lease != 0).then_some(60),
            },
            doc: Document::build(value),
        }),
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
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut fg = Color::Reset;
        for x in area.left()..area.right() {
            let cell = &buf[(x, y)];
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
    let children: Vec<Child> = (0..1000)
        .map(|i| Child {
            full: format!("/k{i:04}").into_bytes(),
            is_dir: false,
        })
        .collect();
    s.tree.apply_page(
        ROOT,
        g,
        ChildPage {
            children,
            next: Some(b"/k1000".to_vec()),
            revision: 5,
            reads: 2,
            seeds: Vec::new(),
            ..Default::default()
        },
    );
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
        .push(etcdlens::app::events::LogEntry::Gap { from: 14, to: 20 });
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
    etcdlens::app::elections::follow(&mut s, b"/testelection".to_vec(), &mut Vec::new());
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
    s.tree.apply_page(
        ROOT,
        g,
        ChildPage {
            children: dirs
                .iter()
                .map(|d| Child {
                    full: d.to_vec(),
                    is_dir: true,
                })
                .collect(),
            // secrets/ has no count: nothing is shown for it.
            counts: vec![
                (b"/registry/configmaps/".to_vec(), 999),
                (b"/registry/pods/".to_vec(), 152_340),
            ],
            revision: 7,
            ..Default::default()
        },
    );
    // events/ is open and still being listed: two namespaces found so far.
    s.tree.rebuild_rows();
    let events = s.tree.rows[1].node;
    s.tree.set_expanded(events, true);
    let ge = s.tree.begin_load(events).unwrap().generation;
    s.tree.apply_page(
        events,
        ge,
        ChildPage {
            children: vec![
                Child {
                    full: b"/registry/events/default/".to_vec(),
                    is_dir: true,
                },
                Child {
                    full: b"/registry/events/kube-system/".to_vec(),
                    is_dir: true,
                },
            ],
            counts: vec![(b"/registry/events/default/".to_vec(), 15_021)],
            revision: 7,
            partial: true,
            ..Default::default()
        },
    );
    s.tree.rebuild_rows();
    insta::assert_snapshot!(text(
        &render(&s),
        etcdlens::ui::layout::areas(Rect::new(0, 0, 100, 14)).keys
    ));
}
