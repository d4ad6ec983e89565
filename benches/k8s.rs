//! A 1.5 MB Kubernetes object (a Pod with ~700 containers, built with the
//! `k8s-pb` crate's typed messages): the time from its bytes to the first
//! screen of the Value pane (typed decode, YAML, document, the rows
//! drawn), for YAML and JSON; one screen drawn at its end (scrolling);
//! and the resource table row of it.
//!
//! Run with `cargo bench --bench k8s`. The goal: decoded and shown in at
//! most 50 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};

use etcdlens::value_doc::{Document, KubeStyle};

#[path = "../tests/common/k8s_objects.rs"]
mod objects;

fn first_screen(bytes: &[u8], style: KubeStyle) -> usize {
    let doc = Document::build_as(bytes, style);
    let rows = doc.rows(0, 43, 96);
    doc.row_count(96) + rows.len()
}

fn bench(c: &mut Criterion) {
    let big = objects::big_pod(1_500_000);
    let mut g = c.benchmark_group("k8s");
    g.measurement_time(Duration::from_secs(10)).sample_size(20);
    g.bench_function("1.5MB pod: decode + YAML + first screen", |b| {
        b.iter(|| first_screen(black_box(&big), KubeStyle::Yaml))
    });
    g.bench_function("1.5MB pod: decode + JSON + first screen", |b| {
        b.iter(|| first_screen(black_box(&big), KubeStyle::Json))
    });
    // Scrolling: one screen drawn (its rows and the scroll bar's count)
    // at the end of the built document, at a width every line fits and at
    // one where lines wrap (no shortcut: a walk over the line widths).
    let doc = Document::build_as(&big, KubeStyle::Yaml);
    for width in [96, 30] {
        let last = doc.row_count(width).saturating_sub(43);
        g.bench_function(
            format!("1.5MB pod: a screen at its end, {width} wide"),
            |b| {
                b.iter(|| {
                    let rows = doc.rows(black_box(last), 43, width);
                    doc.row_count(width) + rows.len()
                })
            },
        );
    }
    g.bench_function("1.5MB pod: resource table row", |b| {
        b.iter(|| etcdlens::k8s::table_row(black_box(&big)))
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // One plain timing for the summary line.
    let big = objects::big_pod(1_500_000);
    let mut times: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            black_box(first_screen(&big, KubeStyle::Yaml));
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "k8s summary: {} bytes, decode + YAML + first screen median {:.1} ms (goal ≤ 50 ms)",
        big.len(),
        times[times.len() / 2].as_secs_f64() * 1000.0
    );
}
