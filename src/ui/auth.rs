//! The access-control view (`A`, `:auth`): auth on or off and who this
//! connection logs in as; one row per user (its roles) then per role (its
//! permissions: `readwrite /app/*`, `read every key from /x`, `[/a, /b)`);
//! the "who can touch" panel (`W`) under the list when asked for; the keys
//! of its actions, or the change running.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{dim, pane_block, selected_style};
use crate::app::auth::{update::why_not, AuthView, Row};
use crate::app::{Action, State};
use crate::escape::{escape_bytes, escape_str};
use crate::etcd::auth::{who_can_touch, AuthSnapshot, Reach};

/// Rows above the list (auth's status).
pub const HEADER_ROWS: usize = 1;
/// Rows under the list (a blank line, the keys).
const FOOTER_ROWS: usize = 2;

/// Rows of the list at an inner height of `inner` (the panel takes up to
/// half when open).
pub fn list_rows(view: &AuthView, inner: usize) -> usize {
    inner.saturating_sub(HEADER_ROWS + FOOTER_ROWS + panel_rows(view, inner))
}

/// The panel's lines as drawn (title, one line per role or the reason),
/// at most half of `inner`.
fn panel_rows(view: &AuthView, inner: usize) -> usize {
    if view.who.is_none() {
        return 0;
    }
    panel(view).len().min(inner / 2)
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, view: &AuthView) {
    frame.render_widget(Clear, area);
    let hint = format!(" {} closes ", state.keymap.label(Action::Back));
    let block = pane_block(" Access control ", true).title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let snap = match &view.snapshot {
        None => {
            let text = Line::styled("reading users and roles…", dim());
            return frame.render_widget(Paragraph::new(text), inner);
        }
        Some(Err(e)) => {
            let mut lines = vec![Line::styled(why_not(e), Style::new().fg(Color::Red))];
            if let Some(w) = &view.who {
                lines.push(Line::raw(""));
                lines.push(Line::raw(format!(
                    "who can touch {}: cannot tell without the root role",
                    escape_bytes(&w.target)
                )));
            }
            return frame.render_widget(Paragraph::new(lines), inner);
        }
        Some(Ok(snap)) => snap,
    };
    let mut lines = vec![header(snap)];
    let rows = list_rows(view, height);
    let all = view.rows();
    let name_width = snap
        .users
        .iter()
        .map(|u| u.name.chars().count())
        .chain(snap.roles.iter().map(|r| r.name.chars().count()))
        .max()
        .unwrap_or(4)
        .clamp(4, 24);
    for (i, row) in all.iter().enumerate().skip(view.offset).take(rows) {
        let text = match *row {
            Row::User(u) => {
                let u = &snap.users[u];
                let roles = if u.roles.is_empty() {
                    "no role".to_string()
                } else {
                    u.roles
                        .iter()
                        .map(|r| escape_str(r))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("user  {:<name_width$}  {roles}", escape_str(&u.name))
            }
            Row::Role(r) => {
                let r = &snap.roles[r];
                let perms = if r.name == crate::etcd::auth::ROOT && r.perms.is_empty() {
                    "everything (etcd's root role)".to_string()
                } else if r.perms.is_empty() {
                    "no permission".to_string()
                } else {
                    r.perms
                        .iter()
                        .map(|p| p.line())
                        .collect::<Vec<_>>()
                        .join(" · ")
                };
                format!("role  {:<name_width$}  {perms}", escape_str(&r.name))
            }
        };
        let line = Line::raw(text);
        lines.push(if i == view.selected {
            line.style(selected_style())
        } else {
            line
        });
    }
    if all.is_empty() {
        lines.push(Line::styled("no user and no role", dim()));
    }
    // The panel and the keys at the bottom.
    let mut bottom: Vec<Line<'static>> = Vec::new();
    if view.who.is_some() {
        bottom.extend(panel(view).into_iter().take(height / 2));
    }
    bottom.push(Line::raw(""));
    bottom.push(hints(state, view));
    let room = height.saturating_sub(bottom.len());
    lines.truncate(room);
    while lines.len() < room {
        lines.push(Line::raw(""));
    }
    lines.extend(bottom);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn header(snap: &AuthSnapshot) -> Line<'static> {
    let (status, style) = match snap.enabled {
        Some(true) => ("auth enabled", Style::new().fg(Color::Green)),
        Some(false) => ("auth disabled", Style::new().fg(Color::Yellow)),
        None => ("auth: status unknown", dim()),
    };
    let me = match &snap.me {
        Some(u) => format!("logged in as {}", escape_str(u)),
        None => "no user".into(),
    };
    Line::from(vec![
        Span::styled(status, style.add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                " · {me} · {} · {}",
                count(snap.users.len(), "user"),
                count(snap.roles.len(), "role")
            ),
            dim(),
        ),
    ])
}

/// `1 user`, `3 users`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The "who can touch" panel's lines: its title, then one line per role.
fn panel(view: &AuthView) -> Vec<Line<'static>> {
    let Some(who) = &view.who else {
        return Vec::new();
    };
    let what = if who.is_dir {
        if who.target.is_empty() {
            "the whole keyspace".to_string()
        } else {
            format!("{} (every key under it)", escape_bytes(&who.target))
        }
    } else {
        escape_bytes(&who.target)
    };
    let mut lines = vec![Line::styled(
        format!("Who can touch {what}?"),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    let Some(snap) = view.snap() else {
        return lines;
    };
    let cover = who_can_touch(&who.target, who.is_dir, snap);
    if cover.is_empty() {
        lines.push(Line::raw(
            "  no role: only a user with the root role could (none exists)",
        ));
    }
    let word = |r: Reach| match r {
        Reach::All => "",
        Reach::Partial => " (part)",
        Reach::None => "",
    };
    for c in cover {
        let mut can = Vec::new();
        if c.read != Reach::None {
            can.push(format!("read{}", word(c.read)));
        }
        if c.write != Reach::None {
            can.push(format!("write{}", word(c.write)));
        }
        let users = if c.users.is_empty() {
            "no user holds it".to_string()
        } else {
            format!(
                "users: {}",
                c.users
                    .iter()
                    .map(|u| escape_str(u))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let partial = c.read == Reach::Partial || c.write == Reach::Partial;
        let style = if partial {
            Style::new().fg(Color::Yellow)
        } else {
            Style::new()
        };
        lines.push(Line::styled(
            format!(
                "  {:<12} {:<22} {users}  [{}]",
                escape_str(&c.role),
                can.join(" + "),
                c.perms.join(" · ")
            ),
            style,
        ));
    }
    lines
}

fn hints(state: &State, view: &AuthView) -> Line<'static> {
    let k = |a: Action| state.keymap.label(a);
    let text = match &view.running {
        Some(what) => format!("running: {}…", escape_str(what)),
        None => format!(
            "{} user · {} role · {} delete · {} passwd · {} grant · {} revoke · {} enable · {} disable · {} who",
            k(Action::AddUser),
            k(Action::AddRole),
            k(Action::AuthDelete),
            k(Action::Password),
            k(Action::AuthGrant),
            k(Action::AuthRevoke),
            k(Action::AuthEnable),
            k(Action::AuthDisable),
            k(Action::Who)
        ),
    };
    Line::styled(text, Style::new().fg(Color::Cyan))
}
