//! One precedence (`app::layer::PRECEDENCE`) decides which view is on top,
//! and every consumer follows it: for each pair of views open together,
//! the one earlier in `PRECEDENCE` is what is drawn on top and what takes
//! `Esc`, and the mouse is left to it. The expectations are derived from
//! `PRECEDENCE` itself: moving a view there moves every consumer with it,
//! and a consumer with an order of its own fails here.

use std::time::Instant;

use crossterm::event::KeyCode;
use etcdlens::app::history::HistoryView;
use etcdlens::app::layer::{self, Layer, PRECEDENCE};
use etcdlens::app::tree::ROOT;
use etcdlens::app::usage::{UsageBatch, UsageView};
use etcdlens::app::{update, State};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

use crate::common::fixtures::{key, page_at};

/// The views this test opens, each in a way that `Esc` closes at once.
const VIEWS: [Layer; 9] = [
    Layer::Help,
    Layer::Cluster,
    Layer::Maint,
    Layer::Metrics,
    Layer::Auth,
    Layer::Fleet,
    Layer::Top,
    Layer::Usage,
    Layer::History,
];

fn base() -> State {
    let mut s = State::new(b"/", b"/", "127.0.0.1:2379".into(), Instant::now());
    s.size = (100, 30);
    s.revision = 40;
    let g = s.tree.begin_load(ROOT).unwrap().generation;
    s.tree
        .apply_page(ROOT, g, page_at(&[b"/app/", b"/config"], None, 40));
    s.tree.rebuild_rows();
    s
}

fn open(s: &mut State, view: Layer) {
    match view {
        Layer::Help => s.help = true,
        Layer::Cluster => s.cluster.open = true,
        Layer::Maint => s.maint = Some(Default::default()),
        Layer::Metrics => s.metrics_view = Some(Default::default()),
        Layer::Auth => s.auth = Some(Default::default()),
        Layer::Usage => {
            let mut v = UsageView::new(1, b"/".to_vec(), vec![], s.now);
            v.add(
                UsageBatch {
                    adds: vec![(b"/app/".to_vec(), 3, 300)],
                    scanned: 3,
                    total: 3,
                    revision: 40,
                    db: None,
                    done: Some(Ok(())),
                    skipped: None,
                },
                s.now,
            );
            s.usage = Some(v);
        }
        Layer::History => s.history = Some(HistoryView::loading(b"/config".to_vec())),
        Layer::Top => {
            let mut cmds = Vec::new();
            etcdlens::app::top::update::open(s, b"/".to_vec(), 1, &mut cmds);
        }
        Layer::Fleet => s.fleet = Some(etcdlens::app::fleet::FleetView::new(["prod".into()])),
        other => unreachable!("{other:?} is not opened here"),
    }
}

fn render(s: &State) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
    t.draw(|f| etcdlens::ui::draw(f, s)).unwrap();
    t.backend().buffer().clone()
}

fn rank(l: Layer) -> usize {
    PRECEDENCE.iter().position(|p| *p == l).unwrap()
}

#[test]
fn every_consumer_follows_the_one_precedence() {
    for a in VIEWS {
        for b in VIEWS {
            if a == b {
                continue;
            }
            let (top, under) = if rank(a) < rank(b) { (a, b) } else { (b, a) };
            let mut both = base();
            open(&mut both, a);
            open(&mut both, b);
            assert_eq!(layer::layer(&both), top, "{a:?} with {b:?}");

            // Drawing: every cell the top view draws (the cells where it
            // alone differs from the bare panes) shows the same with the
            // other view open under it.
            let bare = render(&base());
            let mut alone = base();
            open(&mut alone, top);
            let alone = render(&alone);
            let drawn = render(&both);
            let status = both.areas().status;
            let mut compared = 0;
            for y in 0..both.size.1 {
                if y >= status.y {
                    continue; // the status bar names what is open
                }
                for x in 0..both.size.0 {
                    if alone[(x, y)] != bare[(x, y)] {
                        compared += 1;
                        assert_eq!(
                            drawn[(x, y)].symbol(),
                            alone[(x, y)].symbol(),
                            "{top:?} over {under:?}: cell ({x}, {y}) is drawn by {under:?}"
                        );
                    }
                }
            }
            assert!(compared > 0, "{top:?} draws nothing");

            // Keys: Esc goes to the top view, which closes; the other stays.
            update(&mut both, key(KeyCode::Esc));
            assert!(
                !top.is_open(&both),
                "Esc did not close {top:?} over {under:?}"
            );
            assert!(under.is_open(&both), "Esc closed {under:?} under {top:?}");
            assert_eq!(layer::layer(&both), under);
        }
    }
}

/// A left click on the Keys pane's second row.
fn click_second_row(s: &mut State) {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let keys = s.areas().keys;
    let event = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: keys.x + 2,
        row: keys.y + 2,
        modifiers: KeyModifiers::NONE,
    };
    let at = Instant::now();
    update(s, etcdlens::app::Msg::Mouse { event, at });
}

/// A click is the panes' only while nothing covers them.
#[test]
fn the_mouse_is_ignored_or_left_to_a_view_on_top() {
    for view in VIEWS {
        let mut s = base();
        open(&mut s, view);
        let before = s.selected;
        click_second_row(&mut s);
        assert_eq!(
            s.selected, before,
            "a click went through {view:?} to the Keys pane"
        );
    }
    // With nothing over the panes, the same click selects the row.
    let mut s = base();
    click_second_row(&mut s);
    assert_eq!(s.selected, 1);
}

/// Paging reaches the last row a view draws, and no further: the moving
/// keys' page is the number of rows drawn (`ui::list_rows`, which each
/// view's drawing uses too).
#[test]
fn a_views_page_is_the_rows_it_draws() {
    use etcdlens::app::find::{FindBatch, FindView, Hit, Query};
    let names: Vec<Vec<u8>> = (0..200)
        .map(|i| format!("/app/k{i:03}").into_bytes())
        .collect();
    for view in [Layer::Usage, Layer::Find, Layer::Leases] {
        let mut s = base();
        match view {
            Layer::Leases => {
                let mut v = etcdlens::app::leases::LeasesView::loading(s.now);
                v.set(
                    (0..200)
                        .map(|i| etcdlens::etcd::leases::LeaseInfo {
                            id: 0x1000 + i,
                            granted: 60,
                            ttl: 60,
                            keys: 1000 - i as u64,
                        })
                        .collect(),
                    s.now,
                );
                s.leases = Some(v);
            }
            Layer::Usage => {
                let mut v = UsageView::new(1, b"/".to_vec(), vec![], s.now);
                v.add(
                    UsageBatch {
                        // Sorted by size: k000 first.
                        adds: names
                            .iter()
                            .enumerate()
                            .map(|(i, n)| (n.clone(), 1, 10_000 - i as u64))
                            .collect(),
                        scanned: 200,
                        total: 200,
                        revision: 40,
                        db: None,
                        done: Some(Ok(())),
                        skipped: None,
                    },
                    s.now,
                );
                s.usage = Some(v);
            }
            _ => {
                let mut v = FindView::new(1, Query::parse("k").unwrap(), b"/app/".to_vec(), s.now);
                v.add(
                    FindBatch {
                        hits: names
                            .iter()
                            .map(|n| Hit {
                                key: n.clone(),
                                mod_revision: 3,
                            })
                            .collect(),
                        scanned: 200,
                        total: 200,
                        revision: 40,
                        done: Some(Ok(())),
                        skipped: None,
                    },
                    s.now,
                );
                s.find = Some(v);
            }
        }
        let page = etcdlens::ui::list_rows(&s, view);
        let offset = |s: &State| match view {
            Layer::Usage => s.usage.as_ref().unwrap().offset,
            Layer::Leases => s.leases.as_ref().unwrap().offset,
            _ => s.find.as_ref().unwrap().offset,
        };
        // The rows drawn: as many as a page.
        let screen = render(&s);
        let drawn = (0..s.size.1)
            .filter(|&y| {
                let line: String = (0..s.size.0).map(|x| screen[(x, y)].symbol()).collect();
                line.contains("k0") || line.contains("k1") || line.contains(" 60 s")
            })
            .count();
        // Find's own row (its directory) comes first.
        let own_row = usize::from(view == Layer::Find);
        assert_eq!(drawn + own_row, page, "{view:?}: rows drawn vs a page");
        // Moving down stays on the first screen until the last row drawn.
        for _ in 0..page - 1 {
            update(&mut s, key(KeyCode::Down));
        }
        assert_eq!(
            offset(&s),
            0,
            "{view:?}: scrolled before the last row drawn"
        );
        update(&mut s, key(KeyCode::Down));
        assert_eq!(offset(&s), 1, "{view:?}: the row below the last drawn one");
    }
}
