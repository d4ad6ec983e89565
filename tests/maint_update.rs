//! The maintenance view's actions as plain functions: each shows its plan
//! or etcdctl equivalent before anything is sent, is refused read-only,
//! runs one at a time; the NOSPACE recovery goes step by step.

use crate::common;

use common::fixtures::{blank, ch, cluster_info, command, member_status, typed};
use etcdlens::app::maint::{DefragChoice, MaintCmd, MaintMsg, MaintOp, RecoveryStep};
use etcdlens::app::{update, Cmd, Msg, State};
use etcdlens::etcd::maintenance::{plan_rolling, Health, Member, RollingOptions};

/// A state with the maintenance view open on three members (the third
/// down, a NOSPACE alarm on the second, leader 1) at rev 5000.
fn open() -> State {
    let mut s = blank();
    s.revision = 5000;
    update(&mut s, ch('M'));
    let info = cluster_info(member_status("3.6.16", 60, 15, 64));
    update(&mut s, Msg::Cluster(Ok(info)));
    s
}

fn type_yes(s: &mut State) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for m in typed("yes") {
        cmds.extend(update(s, m));
    }
    cmds.extend(update(
        s,
        common::fixtures::key(crossterm::event::KeyCode::Enter),
    ));
    cmds
}

fn maint_cmds(cmds: &[Cmd]) -> Vec<MaintCmd> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::Maint(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn done(s: &mut State, op: MaintOp, result: Result<&str, &str>) -> Vec<Cmd> {
    update(
        s,
        Msg::Maint(MaintMsg::Done {
            op,
            lines: vec![],
            result: result.map(str::to_string).map_err(str::to_string),
            audit: Ok(()),
        }),
    )
}

fn log(s: &State) -> String {
    s.maintenance
        .log
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `R` shows the four steps with their etcdctl equivalents; typed `yes`
/// runs step 1 only; each next step waits for `n`; `x` stops between steps.
#[test]
fn the_nospace_recovery_goes_step_by_step() {
    let mut s = open();
    s.maintenance = Default::default();
    let cmds = update(&mut s, ch('R'));
    assert!(maint_cmds(&cmds).is_empty(), "nothing before yes");
    let p = s.prompt.as_ref().expect("the plan");
    for words in [
        "1. compact",
        "etcdctl compact 5000 --physical",
        "2. defragment every member",
        "defrag",
        "3. disarm",
        "etcdctl alarm disarm",
        "4. check",
        "1 member(s) report NOSPACE",
    ] {
        assert!(p.intro.contains(words), "{words}: {}", p.intro);
    }
    // The test write's prefix is offered (the tree's root), the answer field active.
    assert_eq!(p.fields[0].1, "/");
    assert_eq!(p.active, 1);
    let cmds = type_yes(&mut s);
    assert_eq!(
        maint_cmds(&cmds),
        vec![MaintCmd::Compact {
            revision: 5000,
            physical: true
        }]
    );
    assert_eq!(s.maintenance.running, Some(MaintOp::Compact));
    // Another action waits for it.
    update(&mut s, ch('c'));
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("one maintenance action at a time"));

    // Step 1 done: nothing runs until `n`.
    let cmds = done(&mut s, MaintOp::Compact, Ok("compacted at rev 5000"));
    assert!(maint_cmds(&cmds).is_empty());
    assert!(
        matches!(cmds[..], [Cmd::ClusterStatus { .. }, ..]),
        "{cmds:?}"
    );
    assert_eq!(
        s.maintenance.recovery.as_ref().unwrap().next,
        RecoveryStep::Defrag
    );
    assert!(
        log(&s).contains("step 1 of 4 done: n runs step 2"),
        "{}",
        log(&s)
    );
    let cmds = update(&mut s, ch('n'));
    assert_eq!(
        maint_cmds(&cmds),
        vec![MaintCmd::Defrag {
            plan: None,
            choice: DefragChoice {
                all: true,
                ..Default::default()
            }
        }]
    );
    // A failed step can be run again.
    done(
        &mut s,
        MaintOp::Defrag,
        Err("aborted: member infra3 is not healthy"),
    );
    assert!(log(&s).contains("step 2 of 4 failed (above): n tries it again"));
    assert_eq!(
        s.maintenance.recovery.as_ref().unwrap().next,
        RecoveryStep::Defrag
    );
    let cmds = update(&mut s, ch('n'));
    assert!(matches!(maint_cmds(&cmds)[..], [MaintCmd::Defrag { .. }]));
    done(
        &mut s,
        MaintOp::Defrag,
        Ok("done: 3 of 3 members defragmented"),
    );
    assert_eq!(maint_cmds(&update(&mut s, ch('n'))), vec![MaintCmd::Disarm]);
    done(&mut s, MaintOp::Disarm, Ok("disarmed: NOSPACE on 2"));
    // Said at once: the status bar no longer claims NOSPACE.
    assert!(s.cluster.info.as_ref().unwrap().alarms.is_empty());
    let cmds = update(&mut s, ch('n'));
    assert_eq!(
        maint_cmds(&cmds),
        vec![MaintCmd::Check {
            test_key: Some(b"/etcdlens-recovery-check-5000".to_vec())
        }]
    );
    done(&mut s, MaintOp::Check, Ok("recovered"));
    assert!(s.maintenance.recovery.is_none());
    assert!(log(&s).ends_with("NOSPACE recovery: every step done"));

    // `x` between steps stops the plan; `n` then has nothing to run.
    update(&mut s, ch('R'));
    let fields = &mut s.prompt.as_mut().unwrap().fields;
    fields[0].1.clear();
    type_yes(&mut s);
    done(&mut s, MaintOp::Compact, Ok("compacted"));
    update(&mut s, ch('x'));
    assert!(s.maintenance.recovery.is_none());
    assert!(log(&s).ends_with("NOSPACE recovery stopped before step 2 (defragment every member, one at a time, only while all are healthy, the leader last after a leadership move)"));
    assert!(maint_cmds(&update(&mut s, ch('n'))).is_empty());
}

/// A declined test write (an empty prefix) checks without writing.
#[test]
fn an_empty_prefix_declines_the_test_write() {
    let mut s = open();
    update(&mut s, ch('R'));
    s.prompt.as_mut().unwrap().fields[0].1.clear();
    type_yes(&mut s);
    for (op, next) in [
        (MaintOp::Compact, 'n'),
        (MaintOp::Defrag, 'n'),
        (MaintOp::Disarm, 'n'),
    ] {
        done(&mut s, op, Ok("ok"));
        let cmds = update(&mut s, ch(next));
        if op == MaintOp::Disarm {
            assert_eq!(maint_cmds(&cmds), vec![MaintCmd::Check { test_key: None }]);
        }
    }
}

/// Read-only (and the past) refuse every maintenance write before
/// anything is sent; the hash check, a read, still runs.
#[test]
fn read_only_refuses_maintenance_writes() {
    let mut s = open();
    s.read_only = true;
    for k in ['R', 'd', 'm', 'a'] {
        let cmds = update(&mut s, ch(k));
        assert!(maint_cmds(&cmds).is_empty(), "{k}");
        assert!(s.prompt.is_none(), "{k}");
        assert!(
            s.message.as_ref().unwrap().text.starts_with("read-only:"),
            "{k}: {:?}",
            s.message
        );
    }
    assert!(maint_cmds(&command(&mut s, "compact now")).is_empty());
    assert_eq!(
        maint_cmds(&update(&mut s, ch('c'))),
        vec![MaintCmd::CheckHash]
    );
}

/// `d`: the members are asked, the plan shown (order, sizes, etcdctl
/// equivalents) for a typed `yes`, then run as planned; `x` stops it.
#[test]
fn the_rolling_defragmentation_shows_its_plan_first() {
    let mut s = open();
    let cmds = update(&mut s, ch('d'));
    assert_eq!(
        maint_cmds(&cmds),
        vec![MaintCmd::PlanDefrag(DefragChoice::default())]
    );
    let members: Vec<(Member, Health)> = (1..=3)
        .map(|id| {
            (
                Member {
                    id,
                    name: format!("infra{id}"),
                    urls: vec![format!("http://127.0.0.1:{id}")],
                    learner: false,
                },
                Health {
                    version: "3.6.16".into(),
                    db_size: 200 << 20,
                    in_use: 20 << 20,
                    leader: 1,
                    revision: 5000,
                    nospace: false,
                    quota: 0,
                },
            )
        })
        .collect();
    let plan = plan_rolling(7, &members, &RollingOptions::default());
    update(
        &mut s,
        Msg::Maint(MaintMsg::Planned {
            choice: DefragChoice::default(),
            result: Ok(plan.clone()),
        }),
    );
    let intro = &s.prompt.as_ref().expect("the plan").intro;
    assert!(intro.contains("1. defragment infra2"), "{intro}");
    assert!(
        intro.contains("etcdctl --endpoints=http://127.0.0.1:2 defrag"),
        "{intro}"
    );
    assert!(
        intro.contains("3. move leadership from infra1 to infra2"),
        "{intro}"
    );
    assert!(intro.contains("4. defragment infra1"), "{intro}");
    let cmds = type_yes(&mut s);
    assert_eq!(
        maint_cmds(&cmds),
        vec![MaintCmd::Defrag {
            plan: Some(plan),
            choice: DefragChoice::default()
        }]
    );
    assert_eq!(s.maintenance.running, Some(MaintOp::Defrag));
    update(
        &mut s,
        Msg::Maint(MaintMsg::Progress("defragmenting infra2…".into())),
    );
    assert!(log(&s).ends_with("defragmenting infra2…"));
    assert_eq!(maint_cmds(&update(&mut s, ch('x'))), vec![MaintCmd::Stop]);
    done(
        &mut s,
        MaintOp::Defrag,
        Err("aborted: stopped by the user before infra3"),
    );
    assert_eq!(s.maintenance.running, None);
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("stopped by the user"));
    // `:defrag` with arguments.
    let cmds = command(&mut s, "defrag all leader-last wait=0");
    assert_eq!(
        maint_cmds(&cmds),
        vec![MaintCmd::PlanDefrag(DefragChoice {
            all: true,
            leader_last: true,
            wait_secs: 0
        })]
    );
}

/// `m`: the selected follower gets leadership after a typed `yes`; the
/// leader, a member down, are refused with the reason.
#[test]
fn move_leader_to_the_selected_member() {
    let mut s = open();
    update(&mut s, ch('m'));
    assert!(s.prompt.is_none());
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("infra1 is already the leader"));
    update(&mut s, ch('j'));
    update(&mut s, ch('j'));
    update(&mut s, ch('m'));
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("infra3 is not healthy"));
    update(&mut s, ch('k'));
    update(&mut s, ch('m'));
    let intro = &s.prompt.as_ref().unwrap().intro;
    assert!(
        intro.contains("= etcdctl --endpoints=http://127.0.0.1:2379 move-leader 2"),
        "{intro}"
    );
    assert_eq!(
        maint_cmds(&type_yes(&mut s)),
        vec![MaintCmd::MoveLeader {
            to: 2,
            name: "infra2".into()
        }]
    );
}

/// `:snapshot FILE` saves the selected member's snapshot; an existing
/// file is refused before anything is asked.
#[test]
fn snapshot_to_a_new_file_only() {
    let mut s = open();
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("old.db");
    std::fs::write(&existing, b"x").unwrap();
    let cmds = command(&mut s, &format!("snapshot {}", existing.display()));
    assert!(maint_cmds(&cmds).is_empty());
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("exists: not overwritten"));
    let new = dir.path().join("new.db");
    let cmds = command(&mut s, &format!("snapshot {}", new.display()));
    assert_eq!(
        maint_cmds(&cmds),
        vec![MaintCmd::Snapshot {
            path: new.display().to_string(),
            endpoint: "http://127.0.0.1:2379".into()
        }]
    );
}

/// Members: `+` checks its form (a bad URL keeps it open with the
/// reason), `P` refuses a voting member, `-` refuses a removal that would
/// lose quorum and plans one that does not, `e` offers the URLs as they
/// are; read-only refuses all four before anything is sent.
#[test]
fn membership_changes_are_checked_before_anything_is_sent() {
    use common::fixtures::key;
    use crossterm::event::KeyCode;
    let mut s = open();
    update(&mut s, ch('+'));
    for m in typed("infra4") {
        update(&mut s, m);
    }
    update(&mut s, key(KeyCode::Tab));
    for m in typed("10.0.0.4:2380") {
        update(&mut s, m);
    }
    update(&mut s, key(KeyCode::Tab));
    let cmds = type_yes(&mut s);
    assert!(maint_cmds(&cmds).is_empty());
    let err = s.prompt.as_ref().expect("kept open").error.clone().unwrap();
    assert!(err.contains("starts with http://"), "{err}");
    update(&mut s, key(KeyCode::BackTab));
    for _ in 0.."10.0.0.4:2380".len() {
        update(&mut s, key(KeyCode::Backspace));
    }
    for m in typed("http://10.0.0.4:2380") {
        update(&mut s, m);
    }
    update(&mut s, key(KeyCode::Enter));
    assert!(
        s.prompt.is_none(),
        "{:?}",
        s.prompt.as_ref().map(|p| &p.error)
    );
    assert_eq!(s.maintenance.running, Some(MaintOp::AddMember));
    done(&mut s, MaintOp::AddMember, Ok("added"));

    // infra1 votes already.
    update(&mut s, ch('P'));
    assert!(s.prompt.is_none());
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("voting member already"));
    // infra3 is down: removing infra2 would leave infra1 alone of 2.
    update(&mut s, ch('j'));
    update(&mut s, ch('-'));
    assert!(s.prompt.is_none());
    assert!(s
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("fewer than the quorum"));
    // Removing infra3 (down) keeps a quorum.
    update(&mut s, ch('j'));
    update(&mut s, ch('-'));
    let intro = &s.prompt.as_ref().expect("the plan").intro;
    assert!(
        intro.contains("voting members 3 → 2, quorum 2 → 2"),
        "{intro}"
    );
    assert!(intro.contains("= etcdctl member remove 3"), "{intro}");
    assert_eq!(
        maint_cmds(&type_yes(&mut s)),
        vec![MaintCmd::RemoveMember {
            id: 3,
            name: "infra3".into()
        }]
    );
    done(&mut s, MaintOp::RemoveMember, Ok("removed"));
    update(&mut s, ch('e'));
    assert_eq!(
        s.prompt.as_ref().unwrap().fields[0].1,
        "http://127.0.0.1:22380"
    );
    update(&mut s, key(KeyCode::Esc));

    s.read_only = true;
    for k in ['+', 'P', '-', 'e'] {
        update(&mut s, ch(k));
        assert!(s.prompt.is_none(), "{k}");
        assert!(
            s.message.as_ref().unwrap().text.starts_with("read-only:"),
            "{k}"
        );
    }
}

/// A disarm that ends while the members are being asked: the answer in
/// flight was asked before it, so it does not bring NOSPACE back on the
/// status bar; the members are asked again at the next tick, and that
/// answer is shown.
#[test]
fn an_answer_asked_before_a_disarm_does_not_bring_nospace_back() {
    let mut s = open();
    let nospace = || cluster_info(member_status("3.6.16", 60, 15, 64));
    assert!(!s.cluster.info.as_ref().unwrap().alarms.is_empty());
    // The members asked (in flight), then the disarm ends.
    s.cluster.in_flight = true;
    let cmds = done(&mut s, MaintOp::Disarm, Ok("disarmed: NOSPACE on 2"));
    assert!(s.cluster.info.as_ref().unwrap().alarms.is_empty());
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::ClusterStatus { .. })));
    // The stale answer (still with the alarm) arrives: not shown.
    update(&mut s, Msg::Cluster(Ok(nospace())));
    assert!(s.cluster.info.as_ref().unwrap().alarms.is_empty());
    // Asked again at the next tick; that answer is shown as it is.
    let now = s.now;
    let cmds = update(&mut s, Msg::Tick(now));
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::ClusterStatus { .. })),
        "{cmds:?}"
    );
    let mut fresh = nospace();
    fresh.alarms.clear();
    update(&mut s, Msg::Cluster(Ok(fresh)));
    assert!(s.cluster.info.as_ref().unwrap().alarms.is_empty());
    // An answer not made stale by an action is shown, alarm included.
    s.cluster.in_flight = true;
    update(&mut s, Msg::Cluster(Ok(nospace())));
    assert!(!s.cluster.info.as_ref().unwrap().alarms.is_empty());
}
