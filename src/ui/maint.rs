//! The maintenance view (`M`, `:maint`): per member, what maintenance
//! decides on — role, alarms, version, DB size, in use, fragmentation
//! (1 − in use ÷ size), quota use, raft term/index; a member that did not
//! answer says why in place of its figures — then the compaction point
//! and each alarm by name, the keys of its actions (or what is running),
//! and the log of the actions taken (as much of its end as fits).

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::value::human_size;
use super::{dim, pane_block, selected_style};
use crate::app::maint::{LineKind, MaintView, Maintenance};
use crate::app::{Action, State};
use crate::escape::escape_str;
use crate::etcd::types::{ClusterInfo, MemberInfo};

/// Rows above the list (its column titles).
pub const HEADER_ROWS: usize = 1;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &MaintView) {
    frame.render_widget(Clear, area);
    let title = " Maintenance ".to_string();
    let hint = format!(
        " refreshed every {} s · {} closes ",
        crate::app::cluster::OPEN_EVERY.as_secs(),
        state.keymap.label(Action::Back)
    );
    let block = pane_block(title, true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(info) = &state.cluster.info else {
        let text = match &state.cluster.error {
            Some(e) => Line::styled(
                format!("cannot read the cluster: {}", escape_str(e)),
                Style::new().fg(Color::Red),
            ),
            None => Line::styled("asking the members…", dim()),
        };
        return frame.render_widget(Paragraph::new(text), inner);
    };
    let mut lines = vec![Line::styled(
        format!(
            "{:<10} {:<8} {:<8} {:<7} {:>9} {:>9} {:>5} {:>6} {:>13}",
            "member",
            "role",
            "alarms",
            "version",
            "db size",
            "in use",
            "frag",
            "quota",
            "term/index"
        ),
        dim(),
    )];
    let room = (inner.height as usize).saturating_sub(HEADER_ROWS);
    for (i, m) in info.members.iter().enumerate().skip(view.offset).take(room) {
        let line = Line::from(member_line(info, m));
        lines.push(if i == view.selected {
            line.style(selected_style())
        } else {
            line.style(member_style(info, m))
        });
    }
    lines.push(Line::raw(""));
    lines.extend(footer(info));
    lines.push(Line::raw(""));
    let width = inner.width as usize;
    lines.extend(super::wrap::wrap(
        &[hints(state, &state.maintenance)],
        width,
        2,
    ));
    // The log's end, as much as fits (long lines wrapped, indented).
    let room = (inner.height as usize).saturating_sub(lines.len());
    let mut log: Vec<Line<'static>> = Vec::new();
    for l in state.maintenance.log.iter().rev() {
        if log.len() >= room {
            break;
        }
        let style = match l.kind {
            LineKind::Step => Style::new().add_modifier(Modifier::BOLD),
            LineKind::Progress => Style::new(),
            LineKind::Ok => Style::new().fg(Color::Green),
            LineKind::Error => Style::new().fg(Color::Red),
        };
        let span = ratatui::text::Span::styled(escape_str(&l.text), style);
        for w in super::wrap::wrap(&[span], width, 2).into_iter().rev() {
            log.push(w);
        }
    }
    log.truncate(room);
    lines.extend(log.into_iter().rev());
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The keys of the view's actions, or what is running and how to stop it.
fn hints(state: &State, m: &Maintenance) -> ratatui::text::Span<'static> {
    let k = |a: Action| state.keymap.label(a);
    let text = match (m.running, &m.recovery) {
        (Some(op), _) if m.stopping => format!("running: {} — stopping before the next member…", op.name()),
        (Some(crate::app::maint::MaintOp::Defrag), _) => format!(
            "running: the rolling defragmentation — {} stops before the next member",
            k(Action::StopMaint)
        ),
        (Some(op), _) => format!("running: {}…", op.name()),
        (None, Some(r)) => format!(
            "NOSPACE recovery: step {} of {} next — {} runs it, {} stops the plan",
            r.next.number(),
            crate::app::maint::RecoveryStep::ALL.len(),
            k(Action::NextStep),
            k(Action::StopMaint)
        ),
        (None, None) => format!(
            "{} defrag · {} move leader here · {} hash check · {} disarm · {} snapshot · {} recovery · :compact · members: {} add · {} promote · {} remove · {} peer URLs",
            k(Action::Defrag),
            k(Action::MoveLeader),
            k(Action::CheckHash),
            k(Action::Disarm),
            k(Action::Snapshot),
            k(Action::Recover),
            k(Action::AddMember),
            k(Action::PromoteMember),
            k(Action::RemoveMember),
            k(Action::UpdateMember)
        ),
    };
    ratatui::text::Span::styled(text, Style::new().fg(Color::Cyan))
}

/// One member's row.
fn member_line(info: &ClusterInfo, m: &MemberInfo) -> String {
    let role = info.role(m);
    let alarms: Vec<&str> = info
        .alarms
        .iter()
        .filter(|(id, _)| *id == m.id)
        .map(|(_, a)| a.as_str())
        .collect();
    let alarms = if alarms.is_empty() {
        "—".to_string()
    } else {
        alarms.join(",")
    };
    let name = m.label();
    // A learner: how far it has caught up.
    let progress = if m.is_learner {
        crate::etcd::members::progress(&info.members, m).map_or(String::new(), |p| format!("  {p}"))
    } else {
        String::new()
    };
    match &m.status {
        Ok(s) => format!(
            "{name:<10} {role:<8} {alarms:<8} {:<7} {:>9} {:>9} {:>5} {:>6} {:>13}{progress}",
            escape_str(&s.version),
            human_size(s.db_size.max(0) as usize),
            human_size(s.db_size_in_use.max(0) as usize),
            s.fragmentation().map_or("—".into(), percent),
            s.quota_use().map_or("—".into(), percent),
            format!("{}/{}", s.raft_term, s.raft_index),
        ),
        Err(_) if m.hidden.is_some() => format!("{name:<10} {role:<8} up · status hidden"),
        Err(e) => format!("{name:<10} {role:<8} ✗ {}", escape_str(e)),
    }
}

fn member_style(info: &ClusterInfo, m: &MemberInfo) -> Style {
    if info.alarms.iter().any(|(id, _)| *id == m.id) {
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    } else if m.hidden.is_some() {
        Style::new().fg(Color::Yellow)
    } else if m.status.is_err() {
        Style::new().fg(Color::Red)
    } else {
        Style::new()
    }
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// Below the rows: the compaction point, what is not known and why.
fn footer(info: &ClusterInfo) -> Vec<Line<'static>> {
    let mut lines = vec![match &info.oldest_revision {
        Ok(1) => Line::raw("history: every revision is held (nothing compacted)"),
        Ok(r) => Line::raw(format!("history: compacted at rev {r}")),
        Err(e) => Line::styled(
            format!("history: compaction point unknown ({})", escape_str(e)),
            dim(),
        ),
    }];
    let reported = info
        .members
        .iter()
        .filter_map(|m| m.status.as_ref().ok())
        .any(|s| s.quota > 0);
    if !reported && info.members.iter().any(|m| m.status.is_ok()) {
        lines.push(Line::styled(
            "quota: not reported before etcd 3.6 (etcd's default is 2 GiB unless --quota-backend-bytes)",
            dim(),
        ));
    }
    if let Some(why) = &info.alarms_unknown {
        lines.push(Line::styled(
            format!("alarms: unknown ({})", escape_str(why)),
            Style::new().fg(Color::Yellow),
        ));
    }
    for (member, alarm) in &info.alarms {
        let name = info
            .members
            .iter()
            .find(|m| m.id == *member)
            .map_or_else(|| format!("{member:x}"), |m| escape_str(&m.name));
        lines.push(Line::styled(
            format!("ALARM {} on {name}", escape_str(alarm)),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ));
    }
    lines
}
