//! The metrics view (`I`, `:metrics`): the members on one line (each with
//! its alert count, or why it did not answer), the selected member's
//! etcd-mixin alerts met, then its charts over the session — each a
//! ratatui `Chart` with the current values beside it — two columns when
//! the screen is wide, as many rows as fit (`PgUp`/`PgDn` scroll).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Clear, Dataset, GraphType, Paragraph, Wrap};
use ratatui::Frame;

use super::value::human_size;
use super::{dim, pane_block, selected_style};
use crate::app::metrics::{alerts, millis, Metrics, MetricsView, Point, Series, Severity};
use crate::app::{Action, State};
use crate::escape::escape_str;

/// A chart's height at the least (its border, a few rows of plot).
const PANEL_MIN_HEIGHT: u16 = 8;
/// The current values' column beside each chart.
const VALUES_WIDTH: u16 = 24;
/// Two columns of charts from this width on.
const TWO_COLUMNS_FROM: u16 = 120;

/// How a chart's values are written.
#[derive(Clone, Copy)]
enum Unit {
    Bytes,
    Seconds,
    PerSecond,
    Count,
    /// Cores, written as a percentage of one.
    Cores,
}

type Figure = fn(&Point) -> Option<f64>;

/// One chart: its title, unit and lines (label, figure, colour).
struct Panel {
    title: &'static str,
    unit: Unit,
    lines: &'static [(&'static str, Figure, Color)],
    /// A line written in another unit than the chart's (its label).
    counted: Option<&'static str>,
    /// The busiest gRPC methods listed under the current values.
    methods: bool,
    /// Leader changes marked on the time axis.
    leader_marks: bool,
}

const PANELS: &[Panel] = &[
    Panel {
        title: "DB size",
        unit: Unit::Bytes,
        lines: &[
            ("size", |p| p.db_size, Color::Cyan),
            ("in use", |p| p.db_in_use, Color::Green),
            ("quota", |p| p.quota, Color::Red),
        ],
        leader_marks: false,
        counted: None,
        methods: false,
    },
    Panel {
        title: "Disk latency (last interval)",
        unit: Unit::Seconds,
        lines: &[
            ("fsync p50", |p| p.fsync_p50, Color::Green),
            ("fsync p99", |p| p.fsync_p99, Color::Yellow),
            ("commit p50", |p| p.commit_p50, Color::Cyan),
            ("commit p99", |p| p.commit_p99, Color::Magenta),
        ],
        leader_marks: false,
        counted: None,
        methods: false,
    },
    Panel {
        title: "Proposals",
        unit: Unit::PerSecond,
        lines: &[
            ("committed/s", |p| p.committed_rate, Color::Cyan),
            ("applied/s", |p| p.applied_rate, Color::Green),
            ("failed/s", |p| p.failed_rate, Color::Red),
            ("pending", |p| p.pending, Color::Yellow),
        ],
        leader_marks: true,
        counted: Some("pending"),
        methods: false,
    },
    Panel {
        title: "gRPC requests",
        unit: Unit::PerSecond,
        lines: &[
            ("requests/s", |p| p.grpc_rate, Color::Cyan),
            ("failed/s", |p| p.grpc_failed_rate, Color::Red),
        ],
        leader_marks: false,
        counted: None,
        methods: true,
    },
    Panel {
        title: "Watches",
        unit: Unit::Count,
        lines: &[
            ("streams", |p| p.watch_streams, Color::Cyan),
            ("watchers", |p| p.watchers, Color::Green),
        ],
        leader_marks: false,
        counted: None,
        methods: false,
    },
    Panel {
        title: "Peer round trip",
        unit: Unit::Seconds,
        lines: &[
            ("p50", |p| p.rtt_p50, Color::Green),
            ("p99", |p| p.rtt_p99, Color::Yellow),
        ],
        leader_marks: false,
        counted: None,
        methods: false,
    },
    Panel {
        title: "Resident memory",
        unit: Unit::Bytes,
        lines: &[("resident", |p| p.resident_bytes, Color::Cyan)],
        leader_marks: false,
        counted: None,
        methods: false,
    },
    Panel {
        title: "CPU",
        unit: Unit::Cores,
        lines: &[("cpu", |p| p.cpu, Color::Green)],
        leader_marks: false,
        counted: None,
        methods: false,
    },
];

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &MetricsView) {
    frame.render_widget(Clear, area);
    let m = &state.metrics;
    let title = format!(
        " Metrics · every {} s · last {} min ",
        m.every.as_secs_f64(),
        m.window.as_secs() / 60
    );
    let hint = format!(
        " {}/{} member · {}/{} charts · :metrics SECS · {} closes ",
        state.keymap.label(Action::Up),
        state.keymap.label(Action::Down),
        state.keymap.label(Action::PageUp),
        state.keymap.label(Action::PageDown),
        state.keymap.label(Action::Back)
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let Some(series) = m.members.get(view.selected) else {
        let text = if !state.metrics_urls.is_empty() || state.cluster.info.is_some() {
            "asking the members for /metrics…".to_string()
        } else if let Some(e) = &state.cluster.error {
            format!("cannot read the member list: {}", escape_str(e))
        } else {
            "asking the cluster for its members…".to_string()
        };
        return frame.render_widget(Paragraph::new(Line::styled(text, dim())), inner);
    };
    let mut head = vec![members_line(m, view.selected)];
    if m.members
        .iter()
        .all(|s| s.points.is_empty() && s.error.is_some())
    {
        head.push(Line::styled(
            format!(
                "no member answers at /metrics: {} — etcd serves it on its client URLs or at --listen-metrics-urls (a context's metrics_urls names those)",
                escape_str(series.error.as_deref().unwrap_or_default())
            ),
            Style::new().fg(Color::Red),
        ));
        return frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), inner);
    }
    head.extend(status_lines(m, series));
    let [head_area, charts] =
        Layout::vertical([Constraint::Length(head.len() as u16), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(head), head_area);
    draw_panels(frame, charts, m, series, view.scroll);
}

/// The charts' grid in `area`: (columns, rows shown, rows in all).
fn grid(area: Rect) -> (usize, usize, usize) {
    let columns: usize = if area.width >= TWO_COLUMNS_FROM { 2 } else { 1 };
    let total_rows = PANELS.len().div_ceil(columns);
    let rows = ((area.height / PANEL_MIN_HEIGHT).max(1) as usize).min(total_rows);
    (columns, rows, total_rows)
}

/// The largest useful `MetricsView::scroll` at the current size (the
/// paging asks, so `PgDn` stops where the last chart shows).
pub fn last_scroll(state: &State, view: &MetricsView) -> usize {
    let screen = Rect::new(0, 0, state.size.0, state.size.1);
    let area = super::layer_area(screen, &state.areas(), crate::app::layer::Layer::Metrics);
    let head = 1 + state
        .metrics
        .members
        .get(view.selected)
        .map_or(0, |s| status_lines(&state.metrics, s).len());
    let charts = Rect {
        height: area.height.saturating_sub(2 + head as u16),
        width: area.width.saturating_sub(2),
        ..area
    };
    let (_, rows, total_rows) = grid(charts);
    total_rows - rows
}

/// Every member: its name (the selected one highlighted) and how it is.
fn members_line(m: &Metrics, selected: usize) -> Line<'static> {
    let mut spans = vec![Span::styled("members: ", dim())];
    for (i, s) in m.members.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", dim()));
        }
        let found = alerts(s, m.window);
        let (mark, style) = match (&s.error, found.first()) {
            (Some(_), _) => ("✗".to_string(), Style::new().fg(Color::Red)),
            (None, Some(a)) => (
                format!(
                    "{} alert{}",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                ),
                severity_style(a.severity),
            ),
            (None, None) if s.points.is_empty() => ("…".to_string(), dim()),
            (None, None) => ("ok".to_string(), Style::new().fg(Color::Green)),
        };
        let name = escape_str(&s.target.name);
        spans.push(if i == selected {
            Span::styled(format!(" {name} "), selected_style())
        } else {
            Span::raw(name)
        });
        spans.push(Span::styled(format!(" {mark}"), style));
    }
    Line::from(spans)
}

/// The selected member: why it did not answer, and the alerts met.
fn status_lines(m: &Metrics, s: &Series) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(e) = &s.error {
        lines.push(Line::styled(
            format!(
                "{} did not answer: {}",
                escape_str(&s.target.url),
                escape_str(e)
            ),
            Style::new().fg(Color::Red),
        ));
    }
    let found = alerts(s, m.window);
    if found.is_empty() && !s.points.is_empty() {
        lines.push(Line::styled(
            format!(
                "{}: no etcd-mixin alert condition met",
                escape_str(&s.target.url)
            ),
            dim(),
        ));
    }
    for a in found {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", a.rule), severity_style(a.severity)),
            Span::raw(a.detail),
        ]));
    }
    lines
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD),
        Severity::Warning => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
    }
}

/// The charts that fit, from the `scroll`th row of them on.
fn draw_panels(frame: &mut Frame, area: Rect, m: &Metrics, s: &Series, scroll: usize) {
    let (columns, rows, total_rows) = grid(area);
    let first_row = scroll.min(total_rows.saturating_sub(rows));
    let row_areas = Layout::vertical(vec![Constraint::Fill(1); rows]).split(area);
    for (r, row_area) in row_areas.iter().enumerate() {
        let cells = Layout::horizontal(vec![Constraint::Fill(1); columns])
            .spacing(2)
            .split(*row_area);
        for (c, cell) in cells.iter().enumerate() {
            if let Some(panel) = PANELS.get((first_row + r) * columns + c) {
                draw_panel(frame, *cell, m, s, panel);
            }
        }
    }
}

fn draw_panel(frame: &mut Frame, area: Rect, m: &Metrics, s: &Series, panel: &Panel) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(dim())
        .title(Span::styled(
            format!(" {} ", panel.title),
            Style::new().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [plot, values] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(VALUES_WIDTH)])
            .spacing(1)
            .areas(inner);

    let last = s.points.back();
    let mut current: Vec<Line> = panel
        .lines
        .iter()
        .map(|(label, f, color)| {
            let unit = if panel.counted == Some(*label) {
                Unit::Count
            } else {
                panel.unit
            };
            let value = last.and_then(f).map_or("—".to_string(), |v| write(unit, v));
            Line::from(vec![
                Span::styled("■ ", Style::new().fg(*color)),
                Span::raw(format!("{label:<12}{value:>10}")),
            ])
        })
        .collect();
    if panel.leader_marks {
        let changes = s.points.iter().filter(|p| p.leader_changed).count();
        current.push(Line::from(vec![
            Span::styled("│ ", Style::new().fg(Color::Magenta)),
            Span::raw(format!("{:<12}{changes:>10}", "leader chg")),
        ]));
    }
    if panel.methods {
        for (method, rate) in s
            .methods
            .iter()
            .take((values.height as usize).saturating_sub(2))
        {
            let method: String = escape_str(method).chars().take(13).collect();
            current.push(Line::styled(
                format!("  {method:<13}{:>7.1}/s", rate),
                dim(),
            ));
        }
    }
    frame.render_widget(Paragraph::new(current), values);

    // The plot: the window up to the newest point.
    let t_end = last.map_or(0.0, |p| p.t).max(m.every.as_secs_f64());
    let t_start = (t_end - m.window.as_secs_f64()).max(0.0);
    let data: Vec<Vec<(f64, f64)>> = panel
        .lines
        .iter()
        .map(|(_, f, _)| s.points.iter().filter_map(|p| Some((p.t, f(p)?))).collect())
        .collect();
    let y_max = data
        .iter()
        .flatten()
        .map(|(_, y)| *y)
        .fold(0.0_f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let marks: Vec<(f64, f64)> = s
        .points
        .iter()
        .filter(|p| panel.leader_marks && p.leader_changed)
        .map(|p| (p.t, y_max))
        .collect();
    let mut datasets: Vec<Dataset> = data
        .iter()
        .zip(panel.lines)
        .map(|(d, (_, _, color))| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(*color))
                .data(d)
        })
        .collect();
    if !marks.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Bar)
                .style(Style::new().fg(Color::Magenta))
                .data(&marks),
        );
    }
    let ago = (t_end - t_start).round() as u64;
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([t_start, t_end])
                .labels([format!("-{}", duration(ago)), "now".to_string()])
                .style(dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, y_max])
                .labels(["0".to_string(), write(panel.unit, y_max)])
                .style(dim()),
        )
        .legend_position(None);
    frame.render_widget(chart, plot);
}

/// A value in its unit, short.
fn write(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Bytes => human_size(v.max(0.0) as usize),
        Unit::Seconds => millis(v),
        Unit::PerSecond if v >= 100.0 => format!("{v:.0}/s"),
        Unit::PerSecond => format!("{v:.1}/s"),
        Unit::Count => format!("{v:.0}"),
        Unit::Cores => format!("{:.1} %", v * 100.0),
    }
}

/// `95` → `1m35s`.
fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        _ if secs.is_multiple_of(60) => format!("{}m", secs / 60),
        _ => format!("{}m{}s", secs / 60, secs % 60),
    }
}
