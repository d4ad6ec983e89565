//! Cost of drawing one full frame (160×45) with 1,000 and with 1,000,000
//! keys loaded in the tree: one directory of N direct children, selection in
//! the middle so the visible window is mid-list.
//!
//! Run with `cargo bench --bench frame`. After criterion's own report, a
//! short summary prints both medians and their ratio; the goal is that the
//! 1M frame costs at most 1.5× the 1k frame (drawing must only touch the
//! rows on screen).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use etcdlens::app::tree::ROOT;
use etcdlens::app::State;
use etcdlens::etcd::types::{Child, ChildPage};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 45;
const PREFIX: &str = "/wide/";
const SIZES: [(usize, &str); 2] = [(1_000, "1k"), (1_000_000, "1M")];

/// A state whose root directory holds `n` loaded keys, with the selection
/// (and so the visible window) in the middle of the list.
fn state_with(n: usize) -> State {
    let mut state = State::new(
        PREFIX.as_bytes(),
        b"/",
        "127.0.0.1:2379".to_string(),
        Instant::now(),
    );
    state.size = (WIDTH, HEIGHT);
    let generation = state
        .tree
        .begin_load(ROOT)
        .expect("root is not loaded yet")
        .generation;
    let children = (0..n)
        .map(|i| Child {
            full: format!("{PREFIX}item-{i:07}").into_bytes(),
            is_dir: false,
        })
        .collect();
    let page = ChildPage {
        children,
        next: None,
        revision: 1,
        reads: 1,
        seeds: Vec::new(),
        ..Default::default()
    };
    assert!(state.tree.apply_page(ROOT, generation, page));
    state.tree.rebuild_rows();
    assert_eq!(state.tree.rows.len(), n);
    state.selected = n / 2;
    // Keys pane: screen minus the status bar, minus the pane's borders.
    let visible = usize::from(HEIGHT) - 1 - 2;
    state.offset = state.selected - visible / 2;
    state
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal")
}

fn draw_once(terminal: &mut Terminal<TestBackend>, state: &State) {
    terminal
        .draw(|f| etcdlens::ui::draw(f, black_box(state)))
        .expect("draw");
}

/// Checks that a frame really shows the middle of the list (the selected
/// key), so the benchmark measures what it claims.
fn assert_shows_selection(terminal: &mut Terminal<TestBackend>, state: &State, n: usize) {
    draw_once(terminal, state);
    let screen: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|cell| cell.symbol())
        .collect();
    let selected = format!("item-{:07}", n / 2);
    assert!(
        screen.contains(&selected),
        "the frame does not show {selected}"
    );
}

fn bench_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_160x45");
    for (n, label) in SIZES {
        let state = state_with(n);
        let mut term = terminal();
        assert_shows_selection(&mut term, &state, n);
        group.bench_with_input(BenchmarkId::from_parameter(label), &state, |b, state| {
            b.iter(|| draw_once(&mut term, state))
        });
    }
    group.finish();
}

/// Median time of one frame, measured directly so the ratio can be printed
/// (criterion 0.5 does not hand its estimates back to the caller).
fn median_frame(state: &State, frames: usize) -> Duration {
    let mut term = terminal();
    for _ in 0..frames / 10 {
        draw_once(&mut term, state);
    }
    let mut times: Vec<Duration> = (0..frames)
        .map(|_| {
            let t = Instant::now();
            draw_once(&mut term, state);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn summary() {
    let frames = 2_000;
    let medians: Vec<(&str, Duration)> = SIZES
        .iter()
        .map(|&(n, label)| (label, median_frame(&state_with(n), frames)))
        .collect();
    println!();
    println!("frame 160x45, median of {frames} draws:");
    for (label, d) in &medians {
        println!("  {label:>3} keys: {:>9.1} µs", d.as_secs_f64() * 1e6);
    }
    let ratio = medians[1].1.as_secs_f64() / medians[0].1.as_secs_f64();
    let verdict = if ratio <= 1.5 { "OK" } else { "OVER GOAL" };
    println!("  ratio 1M/1k: {ratio:.2}x (goal <= 1.50x) {verdict}");
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_frames
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // only checks that the benchmark runs.
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}
