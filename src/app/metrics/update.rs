//! The metrics view: `I`/`:metrics` opens and closes it (the first open
//! starts sampling for the session), `:metrics SECS` sets the interval,
//! `↑`/`↓` choose the member, `PgUp`/`PgDn` scroll the charts when they do
//! not all fit, `Esc` closes. The clock asks for a sample of every member
//! every `Metrics::every`.

use std::time::{Duration, Instant};

use super::{MetricsView, Target};
use crate::app::action::Action;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::etcd::metrics::{metrics_url, Sample};

/// The shortest interval `:metrics SECS` takes.
pub const MIN_EVERY: Duration = Duration::from_secs(1);

pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Metrics => {
            if state.metrics_view.take().is_none() {
                open(state, cmds);
            }
        }
        _ => return false,
    }
    true
}

/// Opens the view; the first open starts the session's sampling.
pub fn open(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.metrics_view.is_none() {
        state.metrics_view = Some(MetricsView::default());
    }
    if !state.metrics.running() {
        state.metrics.started = Some(state.now);
    }
    if state.metrics_urls.is_empty() && state.cluster.info.is_none() {
        let prefix = state.tree.root_prefix().to_vec();
        cmds.extend(state.cluster.ask(state.now, &prefix));
    }
    sample(state, cmds);
}

/// `:metrics SECS`: the sampling interval (and the view opened).
pub fn set_every(state: &mut State, secs: &str, cmds: &mut Vec<Cmd>) {
    match secs.trim_end_matches('s').parse::<f64>() {
        Ok(s) if s.is_finite() && s >= MIN_EVERY.as_secs_f64() && s <= 3600.0 => {
            state.metrics.every = Duration::from_secs_f64(s);
            state.info(format!("metrics: every member sampled every {s} s"));
            open(state, cmds);
        }
        _ => state.error(format!(
            ":metrics takes the sampling interval in seconds ({}–3600), not {}",
            MIN_EVERY.as_secs(),
            crate::escape::escape_str(secs)
        )),
    }
}

/// Moving keys while the view is on top. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, _cmds: &mut Vec<Cmd>) -> bool {
    let members = state.metrics.members.len();
    let last_scroll = state
        .metrics_view
        .as_ref()
        .map_or(0, |v| crate::ui::metrics::last_scroll(state, v));
    let Some(v) = state.metrics_view.as_mut() else {
        return false;
    };
    match action {
        Action::Up => v.selected = v.selected.saturating_sub(1),
        Action::Down => v.selected = (v.selected + 1).min(members.saturating_sub(1)),
        Action::Top => v.selected = 0,
        Action::Bottom => v.selected = members.saturating_sub(1),
        Action::PageUp => v.scroll = v.scroll.saturating_sub(1),
        Action::PageDown => v.scroll = (v.scroll + 1).min(last_scroll),
        Action::Back | Action::Close => state.metrics_view = None,
        _ => return false,
    }
    true
}

/// The clock moved on: sample when it is time.
pub fn on_tick(state: &mut State, cmds: &mut Vec<Cmd>) {
    let m = &state.metrics;
    if m.running()
        && !m.in_flight
        && m.asked_at
            .is_none_or(|at| state.now.duration_since(at) >= m.every)
    {
        sample(state, cmds);
    }
}

/// Every member's answer to `Cmd::SampleMetrics`.
pub fn on_sampled(state: &mut State, answers: Vec<(String, Instant, Result<Sample, String>)>) {
    state.metrics.in_flight = false;
    for (url, at, answer) in answers {
        state.metrics.record(&url, at, answer);
    }
}

/// Asks every member now (unless an answer is awaited or none is known).
fn sample(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.metrics.in_flight {
        return;
    }
    let targets = targets(state);
    if targets.is_empty() {
        return;
    }
    let urls = targets.iter().map(|t| t.url.clone()).collect();
    state.metrics.set_targets(targets);
    if let Some(v) = state.metrics_view.as_mut() {
        v.selected = v
            .selected
            .min(state.metrics.members.len().saturating_sub(1));
    }
    state.metrics.in_flight = true;
    state.metrics.asked_at = Some(state.now);
    cmds.push(Cmd::SampleMetrics { urls });
}

/// Where the metrics are read: the context's `metrics_urls` when it sets
/// them, else each member's first client URL.
pub fn targets(state: &State) -> Vec<Target> {
    if !state.metrics_urls.is_empty() {
        return state
            .metrics_urls
            .iter()
            .map(|u| Target {
                name: host(u),
                url: metrics_url(u),
            })
            .collect();
    }
    let Some(info) = &state.cluster.info else {
        return Vec::new();
    };
    info.members
        .iter()
        .filter_map(|m| {
            Some(Target {
                name: m.label(),
                url: metrics_url(m.client_urls.first()?),
            })
        })
        .collect()
}

/// `http://host:port/path` → `host:port`.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}
