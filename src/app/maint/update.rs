//! The maintenance view: `M`/`:maint` opens and closes it, moving keys
//! select a member, `Esc` closes. Its actions — `:compact`, the rolling
//! defragmentation (`d`), a leader move (`m`), the hash check (`c`),
//! disarming alarms (`a`), a snapshot (`s`), the NOSPACE recovery (`R`,
//! from any screen: `n` runs each next step, `x` stops) — each show their
//! plan or etcdctl equivalent first, are refused read-only, and run one at
//! a time; their progress and results go to the view's log.

use super::{
    DefragChoice, LineKind, MaintCmd, MaintMsg, MaintOp, MaintView, Recovery, RecoveryStep,
};
use crate::app::action::Action;
use crate::app::dialogs::{Prompt, Submit};
use crate::app::list;
use crate::app::msg::Cmd;
use crate::app::state::State;
use crate::escape::escape_str;
use crate::etcd::maintenance::Plan;
use crate::etcd::members;
use crate::etcd::revision::RevisionSpec;
use crate::etcd::types::MemberInfo;

/// The view's actions (`maint` toggles it; the others open it first when
/// run from the `:` line).
pub fn on_action(state: &mut State, action: Action, cmds: &mut Vec<Cmd>) -> bool {
    match action {
        Action::Maint => {
            if state.maint.take().is_none() {
                open(state, cmds);
            }
        }
        Action::Recover => recover(state, cmds),
        Action::Defrag => defrag(state, DefragChoice::default(), cmds),
        Action::MoveLeader => move_leader(state, cmds),
        Action::CheckHash => check_hash(state, cmds),
        Action::Disarm => disarm(state, cmds),
        Action::Snapshot => snapshot_prompt(state, cmds),
        Action::NextStep => next_step(state, cmds),
        Action::StopMaint => stop(state, cmds),
        Action::AddMember => add_member(state, cmds),
        Action::PromoteMember => promote_member(state, cmds),
        Action::RemoveMember => remove_member(state, cmds),
        Action::UpdateMember => update_member(state, cmds),
        _ => return false,
    }
    true
}

/// Opens the view (asking the members at once) unless it is open.
fn open(state: &mut State, cmds: &mut Vec<Cmd>) {
    if state.maint.is_none() {
        state.maint = Some(MaintView::default());
        let prefix = state.tree.root_prefix().to_vec();
        cmds.extend(state.cluster.ask(state.now, &prefix));
    }
}

/// Moving keys while the view is open. True when it took the action.
pub fn on_pane_action(state: &mut State, action: Action, _cmds: &mut Vec<Cmd>) -> bool {
    let members = state.cluster.info.as_ref().map_or(0, |i| i.members.len());
    let page = crate::ui::list_rows(state, crate::app::layer::Layer::Maint);
    let Some(v) = state.maint.as_mut() else {
        return false;
    };
    if list::move_in(&mut v.selected, &mut v.offset, members, page, action) {
        return true;
    }
    match action {
        Action::Back | Action::Close => state.maint = None,
        _ => return false,
    }
    true
}

/// False (said) while another maintenance action runs.
fn idle(state: &mut State) -> bool {
    match state.maintenance.running {
        Some(op) => {
            state.error(format!(
                "{} is running: one maintenance action at a time",
                op.name()
            ));
            false
        }
        None => true,
    }
}

/// Marks `op` running and logs `line`.
fn start(state: &mut State, op: MaintOp, line: String) {
    state.maintenance.running = Some(op);
    state.maintenance.stopping = false;
    state.maintenance.push(LineKind::Step, line);
}

/// `:compact N|-N|now`: the plan (which revisions become unreadable and
/// what that does to `H`, `:rev` and `:changes`, the etcdctl equivalent),
/// then typed `yes`.
pub fn compact(state: &mut State, spec: RevisionSpec) {
    if !state.writable("compacting") || !idle(state) {
        return;
    }
    let current = state.revision;
    let target = match spec {
        RevisionSpec::At(n) => n,
        RevisionSpec::Ago(n) => current - n,
        RevisionSpec::Now => current,
    };
    let oldest = oldest_revision(state);
    if target > current {
        return state.error(format!(
            "compact: rev {target} is past the current revision {current}; nothing sent"
        ));
    }
    if target < 1 {
        return state.error(format!(
            "compact: the cluster is at rev {current}: nothing to keep fewer than that; nothing sent"
        ));
    }
    if oldest.is_some_and(|o| target <= o) {
        return state.info(format!(
            "compact: already compacted at rev {}: nothing older than rev {target} is held; nothing sent",
            oldest.unwrap_or_default()
        ));
    }
    let from = match oldest {
        Some(o) => format!("revisions {o}–{}", target - 1),
        None => format!("every revision before {target} (the compaction point is not known here)"),
    };
    let intro = format!(
        "Compact the history up to rev {target} (the cluster is at rev {current}): {from} can no longer be read, on every member and for every client.\nAfterwards H shows no revision older than {target}, :rev and :changes cannot reach before it, and watches that start before it are cancelled. Current values are kept.\n= etcdctl compact {target} --physical"
    );
    let submit = Submit::Yes {
        info: format!("compacting to rev {target}…"),
        cmds: vec![Cmd::Maint(MaintCmd::Compact {
            revision: target,
            physical: true,
        })],
        then: Some(|state, _| {
            start(
                state,
                MaintOp::Compact,
                "compacting (etcdctl compact --physical)…".into(),
            )
        }),
    };
    state.prompt = Some(Prompt::yes(
        " Compact ",
        intro,
        format!("compact to rev {target}? type yes"),
        submit,
    ));
}

fn oldest_revision(state: &State) -> Option<i64> {
    state
        .cluster
        .info
        .as_ref()
        .and_then(|i| i.oldest_revision.as_ref().ok().copied())
}

/// `d` / `:defrag [all] [leader-last] [wait=S]`: the members are asked
/// and the plan made (`MaintMsg::Planned` shows it for a typed `yes`).
pub fn defrag(state: &mut State, choice: DefragChoice, cmds: &mut Vec<Cmd>) {
    if !state.writable("defragmenting") || !idle(state) {
        return;
    }
    open(state, cmds);
    start(
        state,
        MaintOp::Defrag,
        "planning a rolling defragmentation: asking every member…".into(),
    );
    cmds.push(Cmd::Maint(MaintCmd::PlanDefrag(choice)));
}

/// The plan came: shown for a typed `yes` (or why there is none).
fn on_planned(state: &mut State, choice: DefragChoice, result: Result<Plan, String>) {
    state.maintenance.running = None;
    let plan = match result {
        Ok(plan) => plan,
        Err(e) => {
            state.maintenance.push(LineKind::Error, e.clone());
            return state.error(format!("defragmentation: {e}"));
        }
    };
    let steps: Vec<String> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {}", i + 1, s.line()))
        .collect();
    if plan.defragmented().is_empty() {
        for s in &steps {
            state.maintenance.push(LineKind::Progress, s.clone());
        }
        let line = "nothing to defragment: every member is below the thresholds (:defrag all takes every member)";
        state.maintenance.push(LineKind::Ok, line);
        return state.info(line);
    }
    let intro = format!(
        "Rolling defragmentation of cluster {:x}: one member at a time, each only while every member is healthy (checked again before each), {} s between members. A member serves nothing while it is defragmented.\n{}",
        plan.cluster_id,
        choice.wait_secs,
        steps.join("\n")
    );
    let submit = Submit::Yes {
        info: "defragmenting…".into(),
        cmds: vec![Cmd::Maint(MaintCmd::Defrag {
            plan: Some(plan),
            choice,
        })],
        then: Some(|state, _| {
            start(
                state,
                MaintOp::Defrag,
                "rolling defragmentation started (x stops before the next member)".into(),
            )
        }),
    };
    state.prompt = Some(Prompt::yes(
        " Rolling defragmentation ",
        intro,
        "defragment? type yes".into(),
        submit,
    ));
}

/// The member selected in the view.
fn selected_member(state: &State) -> Option<&MemberInfo> {
    let i = state.maint.as_ref().map_or(0, |v| v.selected);
    state.cluster.info.as_ref()?.members.get(i)
}

/// `m`: leadership to the selected member (typed `yes`).
fn move_leader(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("moving leadership") || !idle(state) {
        return;
    }
    open(state, cmds);
    let Some(info) = state.cluster.info.clone() else {
        return state.error("move leader: the members are not known yet; nothing sent");
    };
    let Some(target) = selected_member(state).cloned() else {
        return state.error("move leader: select a member first; nothing sent");
    };
    let name = target.label();
    let leader = info.leader();
    let why_not = if target.is_learner {
        Some(format!("{name} is a learner: it cannot lead"))
    } else if let Err(e) = &target.status {
        Some(format!("{name} is not healthy: {}", escape_str(e)))
    } else if leader == Some(target.id) {
        Some(format!("{name} is already the leader"))
    } else if leader.is_none() {
        Some("no member knows a leader".to_string())
    } else {
        None
    };
    if let Some(why) = why_not {
        return state.error(format!("move leader: {why}; nothing sent"));
    }
    let from = info.members.iter().find(|m| Some(m.id) == leader).map_or(
        (String::new(), String::new()),
        |m| {
            (
                escape_str(&m.name),
                m.client_urls.first().cloned().unwrap_or_default(),
            )
        },
    );
    let intro = format!(
        "Move leadership from {} to {name}. Writes pause for an election's time (usually well under a second).\n= etcdctl --endpoints={} move-leader {:x}",
        from.0, from.1, target.id
    );
    let submit = Submit::Yes {
        info: format!("moving leadership to {name}…"),
        cmds: vec![Cmd::Maint(MaintCmd::MoveLeader {
            to: target.id,
            name: target.name.clone(),
        })],
        then: Some(|state, _| start(state, MaintOp::MoveLeader, "moving leadership…".into())),
    };
    state.prompt = Some(Prompt::yes(
        " Move leader ",
        intro,
        format!("move leadership to {name}? type yes"),
        submit,
    ));
}

/// `c`: every member's hash at one revision (a read: no question).
fn check_hash(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !idle(state) {
        return;
    }
    open(state, cmds);
    start(
        state,
        MaintOp::CheckHash,
        "hash check: HashKV of every member at one revision (etcdctl endpoint hashkv --cluster)…"
            .into(),
    );
    cmds.push(Cmd::Maint(MaintCmd::CheckHash));
}

/// `a`: disarm every alarm (typed `yes`).
fn disarm(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("disarming alarms") || !idle(state) {
        return;
    }
    open(state, cmds);
    let alarms: Vec<String> = state.cluster.info.as_ref().map_or(Vec::new(), |i| {
        i.alarms
            .iter()
            .map(|(id, a)| {
                let on = i
                    .members
                    .iter()
                    .find(|m| m.id == *id)
                    .map_or_else(|| format!("{id:x}"), |m| escape_str(&m.name));
                format!("{} on {on}", escape_str(a))
            })
            .collect()
    });
    let active = if alarms.is_empty() {
        "No alarm is known to be active.".to_string()
    } else {
        format!("Active: {}.", alarms.join(", "))
    };
    let intro = format!(
        "Disarm every alarm. {active} A NOSPACE alarm disarmed while the database is still above its quota comes back with the next write: compact and defragment first (R is the whole recovery).\n= etcdctl alarm disarm"
    );
    let submit = Submit::Yes {
        info: "disarming…".into(),
        cmds: vec![Cmd::Maint(MaintCmd::Disarm)],
        then: Some(|state, _| start(state, MaintOp::Disarm, "disarming the alarms…".into())),
    };
    state.prompt = Some(Prompt::yes(
        " Disarm alarms ",
        intro,
        "disarm? type yes".into(),
        submit,
    ));
}

/// `s`: asks for the file a snapshot of the selected member goes to.
fn snapshot_prompt(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !idle(state) {
        return;
    }
    open(state, cmds);
    let Some(m) = selected_member(state) else {
        return state.error("snapshot: the members are not known yet");
    };
    let url = m.client_urls.first().cloned().unwrap_or_default();
    let intro = format!(
        "Save a snapshot (a backup etcdutl can restore) of {} ({url}) to a new file: written to a temporary file (mode 0600), its sha256 checked, renamed when whole.\n= etcdctl --endpoints={url} snapshot save FILE",
        escape_str(&m.name)
    );
    state.prompt = Some(Prompt::form(
        " Snapshot ",
        intro,
        vec!["file".into()],
        Submit::Form(|state, values, cmds| snapshot(state, values[0].trim(), cmds)),
    ));
}

/// `:snapshot FILE` (or the prompt's answer): saves a snapshot of the
/// selected member to FILE, never over an existing file.
pub fn snapshot(state: &mut State, file: &str, cmds: &mut Vec<Cmd>) -> Result<(), String> {
    if !idle(state) {
        return Ok(());
    }
    open(state, cmds);
    if file.is_empty() {
        return Err("name the file".into());
    }
    if std::path::Path::new(file).exists() {
        return Err(format!("{} exists: not overwritten", escape_str(file)));
    }
    let Some(m) = selected_member(state) else {
        return Err("the members are not known yet".into());
    };
    let Some(endpoint) = m.client_urls.first().cloned() else {
        return Err(format!("{} has no client URL", escape_str(&m.name)));
    };
    start(
        state,
        MaintOp::Snapshot,
        format!(
            "saving a snapshot of {endpoint} to {} (etcdctl --endpoints={endpoint} snapshot save)…",
            escape_str(file)
        ),
    );
    cmds.push(Cmd::Maint(MaintCmd::Snapshot {
        path: file.to_string(),
        endpoint,
    }));
    Ok(())
}

/// `+`: a member added as a learner (a form: its name, its peer URLs,
/// `yes`); its answer logs the command that starts it.
fn add_member(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("adding a member") || !idle(state) {
        return;
    }
    open(state, cmds);
    let intro = "Add a member as a learner: it receives the log but does not vote until it is promoted (P, once it has caught up). Then start its etcd with the command shown here.\n= etcdctl member add NAME --peer-urls=URLS --learner".to_string();
    state.prompt = Some(Prompt::form(
        " Add a member ",
        intro,
        vec![
            "name".into(),
            "peer URLs (http://host:port, comma-separated)".into(),
            "add? type yes".into(),
        ],
        Submit::Form(|state, values, cmds| {
            let name = values[0].trim();
            if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '=' || c == ',')
            {
                return Err("a name without spaces, = or ,".into());
            }
            let peer_urls = members::parse_peer_urls(&values[1])?;
            if values[2] != "yes" {
                return Err("type yes in the last field (or Esc to cancel)".into());
            }
            start(
                state,
                MaintOp::AddMember,
                format!(
                    "adding {name} as a learner (etcdctl member add {name} --peer-urls={} --learner)…",
                    peer_urls.join(",")
                ),
            );
            cmds.push(Cmd::Maint(MaintCmd::AddMember {
                name: name.to_string(),
                peer_urls,
            }));
            Ok(())
        }),
    ));
}

/// `P`: the selected learner promoted (refused, with the reason, until it
/// has caught up).
fn promote_member(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("promoting a member") || !idle(state) {
        return;
    }
    open(state, cmds);
    let (Some(info), Some(m)) = (state.cluster.info.clone(), selected_member(state).cloned())
    else {
        return state.error("promote: the members are not known yet; nothing sent");
    };
    let plan = match members::promotion(&info.members, m.id) {
        Ok(p) => p,
        Err(why) => return state.error(format!("promote: {why}; nothing sent")),
    };
    let intro = format!("{plan}\n= etcdctl member promote {:x}", m.id);
    let name = m.label();
    let submit = Submit::Yes {
        info: format!("promoting {name}…"),
        cmds: vec![Cmd::Maint(MaintCmd::Promote { id: m.id, name })],
        then: Some(|state, _| start(state, MaintOp::Promote, "promoting the learner…".into())),
    };
    state.prompt = Some(Prompt::yes(
        " Promote a learner ",
        intro,
        "promote? type yes".into(),
        submit,
    ));
}

/// `-`: the selected member removed (refused when the healthy voting
/// members left would lose quorum).
fn remove_member(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("removing a member") || !idle(state) {
        return;
    }
    open(state, cmds);
    let (Some(info), Some(m)) = (state.cluster.info.clone(), selected_member(state).cloned())
    else {
        return state.error("remove: the members are not known yet; nothing sent");
    };
    let plan = match members::removal(&info.members, m.id) {
        Ok(p) => p,
        Err(why) => return state.error(format!("remove: {why}; nothing sent")),
    };
    let intro = format!("{plan}\n= etcdctl member remove {:x}", m.id);
    let name = m.label();
    let submit = Submit::Yes {
        info: format!("removing {name}…"),
        cmds: vec![Cmd::Maint(MaintCmd::RemoveMember { id: m.id, name })],
        then: Some(|state, _| start(state, MaintOp::RemoveMember, "removing the member…".into())),
    };
    state.prompt = Some(Prompt::yes(
        " Remove a member ",
        intro,
        "remove? type yes".into(),
        submit,
    ));
}

/// `e`: the selected member's peer URLs set (a form: the URLs, offered as
/// they are, and `yes`).
fn update_member(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("updating a member") || !idle(state) {
        return;
    }
    open(state, cmds);
    let Some(m) = selected_member(state).cloned() else {
        return state.error("update: the members are not known yet; nothing sent");
    };
    let intro = format!(
        "Set the peer URLs of {}: the other members reach it there from now on (its own etcd must listen there).\n= etcdctl member update {:x} --peer-urls=URLS",
        m.label(),
        m.id
    );
    let mut prompt = Prompt::form(
        " Update a member ",
        intro,
        vec!["peer URLs".into(), "update? type yes".into()],
        Submit::Form(|state, values, cmds| {
            let peer_urls = members::parse_peer_urls(&values[0])?;
            if values[1] != "yes" {
                return Err("type yes in the last field (or Esc to cancel)".into());
            }
            let Some(m) = selected_member(state).cloned() else {
                return Err("the member is gone from the list".into());
            };
            start(
                state,
                MaintOp::UpdateMember,
                format!("setting the peer URLs of {}…", m.label()),
            );
            cmds.push(Cmd::Maint(MaintCmd::UpdateMember {
                id: m.id,
                name: m.label(),
                peer_urls,
            }));
            Ok(())
        }),
    );
    prompt.fields[0].1 = m.peer_urls.join(",");
    prompt.active = 1;
    state.prompt = Some(prompt);
}

/// `R`: the NOSPACE recovery's plan; typed `yes` and the prefix of the
/// check's test write (empty: none) start it with its first step.
fn recover(state: &mut State, cmds: &mut Vec<Cmd>) {
    if !state.writable("the NOSPACE recovery") || !idle(state) {
        return;
    }
    open(state, cmds);
    let nospace = state.cluster.info.as_ref().map_or(0, |i| {
        i.alarms.iter().filter(|(_, a)| a == "NOSPACE").count()
    });
    let now = if nospace > 0 {
        format!("{nospace} member(s) report NOSPACE: the cluster takes no writes.")
    } else {
        "No NOSPACE alarm is reported now (a user without the root role may not see alarms)."
            .to_string()
    };
    let revision = state.revision;
    let equivalents = [
        format!("etcdctl compact {revision} --physical"),
        "etcdctl --endpoints=URL defrag, per member".to_string(),
        "etcdctl alarm disarm".to_string(),
        "etcdctl alarm list; etcdctl endpoint status; etcdctl put/del of the test key".to_string(),
    ];
    let steps: Vec<String> = RecoveryStep::ALL
        .iter()
        .zip(&equivalents)
        .map(|(s, e)| format!("{}. {}  [= {e}]", s.number(), s.about()))
        .collect();
    let intro = format!(
        "NOSPACE recovery. {now}\n{}\nEach step's result is shown before the next: {} runs the next step, {} stops the plan after any step. The test write creates a new key under the prefix below (only if absent) and deletes it at once; leave it empty for none.",
        steps.join("\n"),
        state.keymap.label(Action::NextStep),
        state.keymap.label(Action::StopMaint),
    );
    let mut prompt = Prompt::form(
        " NOSPACE recovery ",
        intro,
        vec![
            "test write under (empty: none)".into(),
            "start? type yes".into(),
        ],
        Submit::Form(start_recovery),
    );
    // Offered: the browsed prefix (or the delimiter at the top).
    let root = state.tree.root_prefix();
    let offered = if root.is_empty() {
        &state.tree.delimiter[..]
    } else {
        root
    };
    prompt.fields[0].1 = String::from_utf8_lossy(offered).into_owned();
    prompt.active = 1;
    state.prompt = Some(prompt);
}

fn start_recovery(state: &mut State, values: &[String], cmds: &mut Vec<Cmd>) -> Result<(), String> {
    if values.get(1).map(String::as_str) != Some("yes") {
        return Err("type yes in the second field (or Esc to cancel)".into());
    }
    let prefix = values[0].trim();
    state.maintenance.recovery = Some(Recovery {
        next: RecoveryStep::Compact,
        test_prefix: (!prefix.is_empty()).then(|| prefix.as_bytes().to_vec()),
        running: None,
    });
    state
        .maintenance
        .push(LineKind::Step, "NOSPACE recovery started");
    run_step(state, cmds);
    Ok(())
}

/// `n`: the recovery's next step.
fn next_step(state: &mut State, cmds: &mut Vec<Cmd>) {
    match &state.maintenance.recovery {
        None => state.info(format!(
            "no NOSPACE recovery under way ({} starts one)",
            state.keymap.label(Action::Recover)
        )),
        Some(r) if r.running.is_some() => state.error("a step is running: wait for its result"),
        Some(_) => {
            if state.writable("the NOSPACE recovery") && idle(state) {
                run_step(state, cmds);
            }
        }
    }
}

/// Runs the recovery's next step.
fn run_step(state: &mut State, cmds: &mut Vec<Cmd>) {
    let Some(rec) = state.maintenance.recovery.as_mut() else {
        return;
    };
    let step = rec.next;
    rec.running = Some(step);
    let test_prefix = rec.test_prefix.clone();
    let n = RecoveryStep::ALL.len();
    let line = format!("step {} of {n}: {}…", step.number(), step.about());
    let cmd = match step {
        RecoveryStep::Compact => {
            let revision = state.revision;
            if oldest_revision(state).is_some_and(|o| o >= revision) {
                start(state, step.op(), line);
                return on_done(
                    state,
                    step.op(),
                    Vec::new(),
                    Ok(format!(
                        "already compacted at rev {revision}: nothing to do"
                    )),
                    Ok(()),
                    cmds,
                );
            }
            MaintCmd::Compact {
                revision,
                physical: true,
            }
        }
        RecoveryStep::Defrag => MaintCmd::Defrag {
            plan: None,
            choice: DefragChoice {
                all: true,
                ..DefragChoice::default()
            },
        },
        RecoveryStep::Disarm => MaintCmd::Disarm,
        RecoveryStep::Check => MaintCmd::Check {
            test_key: test_prefix.map(|mut p| {
                p.extend_from_slice(
                    format!("etcdlens-recovery-check-{}", state.revision).as_bytes(),
                );
                p
            }),
        },
    };
    start(state, step.op(), line);
    cmds.push(Cmd::Maint(cmd));
}

/// `x`: stops the defragmentation before its next member, or the
/// recovery between steps.
fn stop(state: &mut State, cmds: &mut Vec<Cmd>) {
    let running = state.maintenance.running;
    let recovery = state.maintenance.recovery.clone();
    match (running, recovery) {
        (Some(MaintOp::Defrag), _) => {
            cmds.push(Cmd::Maint(MaintCmd::Stop));
            state.maintenance.stopping = true;
            let line = "stopping before the next member (a member being defragmented finishes)";
            state.maintenance.push(LineKind::Step, line);
            state.info(line);
        }
        (Some(op), _) => state.error(format!(
            "{} cannot be stopped: it ends by itself",
            op.name()
        )),
        (None, Some(rec)) => {
            state.maintenance.recovery = None;
            let line = format!(
                "NOSPACE recovery stopped before step {} ({})",
                rec.next.number(),
                rec.next.about()
            );
            state.maintenance.push(LineKind::Step, line.clone());
            state.info(line);
        }
        (None, None) => state.info("nothing is running"),
    }
}

/// A maintenance answer.
pub fn on_msg(state: &mut State, msg: MaintMsg, cmds: &mut Vec<Cmd>) {
    match msg {
        MaintMsg::Planned { choice, result } => on_planned(state, choice, result),
        MaintMsg::Progress(line) => state.maintenance.push(LineKind::Progress, line),
        MaintMsg::Done {
            op,
            lines,
            result,
            audit,
        } => on_done(state, op, lines, result, audit, cmds),
    }
}

/// An action ended: its lines and outcome logged and said (until a key),
/// the members asked again, and the recovery moved on.
fn on_done(
    state: &mut State,
    op: MaintOp,
    lines: Vec<String>,
    result: Result<String, String>,
    audit: Result<(), String>,
    cmds: &mut Vec<Cmd>,
) {
    let m = &mut state.maintenance;
    m.running = None;
    m.stopping = false;
    for l in lines {
        m.push(LineKind::Progress, l);
    }
    match &result {
        Ok(line) => m.push(LineKind::Ok, line.clone()),
        Err(line) => m.push(LineKind::Error, line.clone()),
    }
    if let Err(e) = audit {
        state.file_warnings.insert("audit log".into(), e);
    }
    // Disarmed: the status bar stops saying NOSPACE now, not at the next
    // answer of the members (asked below).
    if op == MaintOp::Disarm && result.is_ok() {
        if let Some(info) = state.cluster.info.as_mut() {
            info.alarms.clear();
        }
    }
    let next = step_done(state, op, result.is_ok());
    match (&result, next) {
        (_, Some(next)) => state.result(next),
        (Ok(line), None) => state.result(line.clone()),
        (Err(line), None) => state.result_error(line.clone()),
    }
    let prefix = state.tree.root_prefix().to_vec();
    cmds.extend(state.cluster.ask_fresh(state.now, &prefix));
}

/// The recovery after one of its steps ended: what comes next, said.
fn step_done(state: &mut State, op: MaintOp, ok: bool) -> Option<String> {
    let rec = state.maintenance.recovery.as_mut()?;
    let step = rec.running.filter(|s| s.op() == op)?;
    rec.running = None;
    let n = RecoveryStep::ALL.len();
    let (next, stop) = (
        state.keymap.label(Action::NextStep),
        state.keymap.label(Action::StopMaint),
    );
    let line = if !ok {
        format!(
            "step {} of {n} failed (above): {next} tries it again, {stop} stops the plan",
            step.number()
        )
    } else if let Some(following) = step.next() {
        rec.next = following;
        format!(
            "step {} of {n} done: {next} runs step {} ({}), {stop} stops here",
            step.number(),
            following.number(),
            following.about()
        )
    } else {
        state.maintenance.recovery = None;
        "NOSPACE recovery: every step done".to_string()
    };
    state.maintenance.push(LineKind::Step, line.clone());
    Some(line)
}
