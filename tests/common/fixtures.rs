//! Building blocks for tests without etcd: listing pages, values, keys.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use etcdlens::app::{LoadedValue, Msg};
use etcdlens::etcd::types::{Child, ChildPage, ValueRecord};
use etcdlens::value_doc::Document;

/// A listing page of `children` (a name ending in `/` is a directory),
/// continuing after `next` when given, read at `revision`.
pub fn page_at(children: &[&[u8]], next: Option<&[u8]>, revision: i64) -> ChildPage {
    ChildPage {
        children: children
            .iter()
            .map(|c| Child {
                full: c.to_vec(),
                is_dir: c.ends_with(b"/"),
            })
            .collect(),
        next: next.map(<[u8]>::to_vec),
        revision,
        reads: 1,
        seeds: Vec::new(),
        ..Default::default()
    }
}

/// `page_at` for UTF-8 names at revision 42.
pub fn page(children: &[&str], next: Option<&str>) -> ChildPage {
    let names: Vec<&[u8]> = children.iter().map(|c| c.as_bytes()).collect();
    page_at(&names, next.map(str::as_bytes), 42)
}

/// A fetched value with its document built.
pub fn loaded(key: &[u8], value: &[u8], mod_revision: i64, lease: i64) -> LoadedValue {
    LoadedValue {
        record: ValueRecord {
            key: key.to_vec(),
            value: value.to_vec(),
            mod_revision,
            create_revision: 3,
            version: 2,
            lease,
            lease_ttl: (lease != 0).then_some(60),
        },
        doc: Document::build(value),
    }
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// Types `text` key by key.
pub fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(ch).collect()
}

/// Types `line` on the `:` command line and runs it.
pub fn command(s: &mut etcdlens::app::State, line: &str) -> Vec<etcdlens::app::Cmd> {
    use etcdlens::app::update;
    let mut cmds = update(s, ch(':'));
    for c in line.chars() {
        cmds.extend(update(s, ch(c)));
    }
    cmds.extend(update(s, key(KeyCode::Enter)));
    cmds
}

/// The whole screen at 160×45, as text.
pub fn screen(state: &etcdlens::app::State) -> String {
    screen_sized(state, 160, 45)
}

/// The whole screen at `w`×`h`, as text.
pub fn screen_sized(state: &etcdlens::app::State, w: u16, h: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| etcdlens::ui::draw(f, state)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// A 160×45 state on `/` at 127.0.0.1:2379, nothing listed yet.
pub fn blank() -> etcdlens::app::State {
    let mut s = etcdlens::app::State::new(
        b"/",
        b"/",
        "127.0.0.1:2379".into(),
        std::time::Instant::now(),
    );
    s.size = (160, 45);
    s
}

/// A 160×45 state with the root listed as `children`, the first row
/// selected.
pub fn listed_root(children: &[&str]) -> etcdlens::app::State {
    use etcdlens::app::{update, Cmd};
    let mut s = blank();
    let generation = etcdlens::app::tree::update::start(&mut s)
        .iter()
        .find_map(|c| match c {
            Cmd::ListChildren { request, .. } => Some(request.generation),
            _ => None,
        })
        .expect("the root is listed");
    update(
        &mut s,
        Msg::Listed {
            dir: etcdlens::app::tree::ROOT,
            generation,
            result: Ok(page(children, None)),
        },
    );
    s
}

/// A member for the cluster and maintenance views: up with `status`, or
/// down (connection refused).
pub fn member(
    id: u64,
    name: &str,
    status: Option<etcdlens::etcd::types::MemberStatus>,
) -> etcdlens::etcd::types::MemberInfo {
    etcdlens::etcd::types::MemberInfo {
        id,
        name: name.into(),
        // infra1 2379, infra2 22379, infra3 32379.
        client_urls: vec![format!(
            "http://127.0.0.1:{}",
            2379 + if id == 1 { 0 } else { 10_000 * id }
        )],
        peer_urls: vec![format!("http://127.0.0.1:{}", 2380 + 10_000 * (id - 1))],
        is_learner: false,
        hidden: None,
        status: status.ok_or_else(|| "tcp connect error: connection refused".into()),
    }
}

/// A member's status: `version`, DB size and in use (MiB), quota (MiB; 0:
/// not reported), leader 1.
pub fn member_status(
    version: &str,
    db: i64,
    in_use: i64,
    quota: i64,
) -> etcdlens::etcd::types::MemberStatus {
    etcdlens::etcd::types::MemberStatus {
        version: version.into(),
        db_size: db << 20,
        db_size_in_use: in_use << 20,
        quota: quota << 20,
        leader: 1,
        raft_term: 4,
        raft_index: 1234,
        latency_ms: 3,
    }
}

/// Three members, the third down, a NOSPACE alarm on the second.
pub fn cluster_info(up: etcdlens::etcd::types::MemberStatus) -> etcdlens::etcd::types::ClusterInfo {
    etcdlens::etcd::types::ClusterInfo {
        members: vec![
            member(1, "infra1", Some(up.clone())),
            member(2, "infra2", Some(up)),
            member(3, "infra3", None),
        ],
        alarms: vec![(2, "NOSPACE".into())],
        alarms_unknown: None,
        oldest_revision: Ok(812),
        user: None,
    }
}
