//! The maintenance view (`M`, `:maint`) on a real 3-member cluster: every
//! member's figures as etcd reports them, the quota on the releases that
//! report it, fragmentation from the sizes.

use crate::common::{self, Etcd, Headless};
use etcdlens::demo::cluster::{Extra, LocalCluster};

#[tokio::test(flavor = "multi_thread")]
async fn every_member_with_its_sizes_fragmentation_and_quota() {
    const QUOTA: i64 = 64 << 20;
    let etcd = Etcd {
        cluster: LocalCluster::start_with(
            3,
            Extra {
                args: vec!["--quota-backend-bytes".into(), QUOTA.to_string()],
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    };
    // Free pages to report: keys written, then deleted, then compacted.
    let mut c = etcd.client().await;
    let value = vec![b'v'; 16 << 10];
    for i in 0..200 {
        c.put(format!("/m/{i:03}"), value.clone(), None)
            .await
            .unwrap();
    }
    let del = c
        .delete("/m/", Some(etcd_client::DeleteOptions::new().with_prefix()))
        .await
        .unwrap();
    let rev = del.header().unwrap().revision();
    c.compact(
        rev,
        Some(etcd_client::CompactionOptions::new().with_physical()),
    )
    .await
    .unwrap();

    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.press(crossterm::event::KeyCode::Char('M'));
    assert_eq!(
        etcdlens::app::layer::layer(&app.state),
        etcdlens::app::layer::Layer::Maint
    );
    app.until(15, "every member's status", |s| {
        s.cluster
            .info
            .as_ref()
            .is_some_and(|i| i.members.len() == 3 && i.members.iter().all(|m| m.status.is_ok()))
    })
    .await;
    let info = app.state.cluster.info.clone().unwrap();
    let reports_quota = common::etcd_version() >= (3, 6, 0);
    for m in &info.members {
        let s = m.status.as_ref().unwrap();
        // What etcd says about itself, asked directly.
        let mut own = etcd_client::Client::connect(m.client_urls.clone(), None)
            .await
            .unwrap();
        let st = own.status().await.unwrap();
        assert_eq!(s.db_size, st.db_size(), "{}", m.name);
        let frag = s.fragmentation().unwrap();
        assert!((0.0..1.0).contains(&frag), "{}: {frag}", m.name);
        assert!(
            (frag - (1.0 - s.db_size_in_use as f64 / s.db_size as f64)).abs() < 1e-9,
            "{}",
            m.name
        );
        if reports_quota {
            assert_eq!(s.quota, QUOTA, "{}", m.name);
            let used = s.quota_use().unwrap();
            assert!((used - s.db_size as f64 / QUOTA as f64).abs() < 1e-9);
        } else {
            assert_eq!(s.quota, 0, "{}: etcd before 3.6 does not report it", m.name);
            assert_eq!(s.quota_use(), None);
        }
    }
    // Drawn: one row per member, the quota's column or why it is empty.
    let screen = common::fixtures::screen(&app.state);
    for m in &info.members {
        assert!(screen.contains(&m.name), "{screen}");
    }
    assert!(screen.contains("history: compacted at rev"), "{screen}");
    assert_eq!(
        screen.contains("quota: not reported before etcd 3.6"),
        !reports_quota,
        "{screen}"
    );
    // Esc closes it.
    app.press(crossterm::event::KeyCode::Esc);
    assert!(app.state.maint.is_none());
}

/// A member's NOSPACE alarm is said in the status bar on every screen,
/// with the key of the view that shows it per member.
#[tokio::test(flavor = "multi_thread")]
async fn a_nospace_alarm_is_said_on_every_screen() {
    let etcd = Etcd::small_quota(1).await;
    let mut c = etcd.client().await;
    common::fill_to_nospace(&mut c, 64, 64).await;

    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.press(crossterm::event::KeyCode::Char('M'));
    app.until(15, "the alarm", common::nospace_shown).await;
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains("NOSPACE"), "{screen}");
    // Closed, the panes show; the status bar still says it.
    app.press(crossterm::event::KeyCode::Esc);
    assert!(app.state.maint.is_none());
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains("NOSPACE: database space exceeded on 1 of 1 members"),
        "{screen}"
    );
}

/// `:compact N`: a plan naming what becomes unreadable and the etcdctl
/// equivalent, then typed `yes`; etcd's compaction point is then N, the
/// cluster's figures say so, and compacting there again sends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn compact_shows_its_plan_then_compacts_after_yes() {
    // The audit log goes beside the tests' journal, not the user's.
    common::journal_env();
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    for i in 0..20 {
        c.put("/c/k", format!("v{i}"), None).await.unwrap();
    }
    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.until(10, "the revision", |s| s.revision >= 21).await;
    app.command("compact 10");
    let prompt = app.state.prompt.as_ref().expect("a plan to confirm");
    assert!(prompt.intro.contains("up to rev 10"), "{}", prompt.intro);
    assert!(
        prompt.intro.contains("etcdctl compact 10 --physical"),
        "{}",
        prompt.intro
    );
    // Anything but yes keeps it; nothing is sent.
    app.type_str("no");
    app.press(crossterm::event::KeyCode::Enter);
    assert!(app.state.prompt.is_some());
    for _ in 0..2 {
        app.press(crossterm::event::KeyCode::Backspace);
    }
    app.type_str("yes");
    app.press(crossterm::event::KeyCode::Enter);
    app.until(15, "compacted", |s| {
        s.message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("compacted at rev 10"))
    })
    .await;
    // etcd's own view: rev 9 is gone, rev 10 is readable.
    let old = c
        .get(
            "/c/k",
            Some(etcd_client::GetOptions::new().with_revision(9)),
        )
        .await;
    assert!(
        old.unwrap_err().to_string().contains("compacted"),
        "rev 9 still readable"
    );
    c.get(
        "/c/k",
        Some(etcd_client::GetOptions::new().with_revision(10)),
    )
    .await
    .unwrap();
    // In the audit log beside the journal, with this cluster's id.
    let id = c.status().await.unwrap().header().unwrap().cluster_id();
    let records = etcdlens::audit::Audit::open_default().unwrap().records();
    assert!(
        records
            .iter()
            .any(|r| r.action == "etcdctl compact 10 --physical"
                && r.result.starts_with("ok")
                && r.cluster_id == format!("{id:x}")),
        "{records:?}"
    );
    app.until(15, "the new compaction point", |s| {
        s.cluster
            .info
            .as_ref()
            .is_some_and(|i| i.oldest_revision == Ok(10))
    })
    .await;
    // Again at 10: nothing older is held, nothing is sent.
    app.command("compact 10");
    assert!(app.state.prompt.is_none());
    assert!(
        app.state
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("already compacted at rev 10")),
        "{:?}",
        app.state.message
    );
    // Read-only: refused before anything is asked.
    app.state.read_only = true;
    app.command("compact 15");
    assert!(app.state.prompt.is_none());
    assert!(
        app.state
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("read-only: compacting refused")),
        "{:?}",
        app.state.message
    );
}

/// A cluster filled until NOSPACE, recovered through the TUI: `R`, the
/// test write's prefix and `yes`, then `n` for each next step after its
/// result. Afterwards: no alarm, puts succeed, every member's DB is
/// smaller, the test key is gone, and each step is in the audit log.
#[tokio::test(flavor = "multi_thread")]
async fn nospace_is_recovered_through_the_tui() {
    use crossterm::event::KeyCode;
    use etcdlens::app::maint::RecoveryStep;
    common::journal_env();
    let etcd = Etcd::small_quota(3).await;
    let mut c = etcd.client().await;
    common::fill_to_nospace(&mut c, 4, 100).await;
    let before = common::db_sizes(&etcd).await;

    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.press(KeyCode::Char('M'));
    app.until(20, "the alarm", common::nospace_shown).await;
    let screen = common::fixtures::screen(&app.state);
    assert!(screen.contains("(R: recovery plan)"), "{screen}");
    // A NOSPACE alarm is not a member down (etcd 3.4 lists it in every
    // member's status errors).
    assert!(!screen.contains("members down"), "{screen}");
    app.press(KeyCode::Char('R'));
    let intro = app.state.prompt.as_ref().expect("the plan").intro.clone();
    assert!(intro.contains("report NOSPACE"), "{intro}");
    // The test write goes under /check/.
    app.state.prompt.as_mut().unwrap().fields[0].1 = "/check/".into();
    app.type_str("yes");
    app.press(KeyCode::Enter);
    let log = |s: &etcdlens::app::State| -> String {
        s.maintenance
            .log
            .iter()
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (step, secs) in [
        (RecoveryStep::Compact, 30),
        (RecoveryStep::Defrag, 120),
        (RecoveryStep::Disarm, 30),
    ] {
        app.until(secs, "the step's end", |s| {
            s.maintenance.running.is_none()
                && s.maintenance
                    .recovery
                    .as_ref()
                    .is_some_and(|r| r.next != step)
        })
        .await;
        let text = log(&app.state);
        assert!(
            text.contains(&format!("step {} of 4 done", step.number())),
            "{text}"
        );
        app.press(KeyCode::Char('n'));
    }
    app.until(30, "the check", |s| s.maintenance.recovery.is_none())
        .await;
    let text = log(&app.state);
    assert!(text.contains("alarms: none active"), "{text}");
    assert!(
        text.contains("test write: /check/etcdlens-recovery-check-"),
        "{text}"
    );
    assert!(text.contains("and deleted at rev"), "{text}");
    assert!(text.contains("NOSPACE recovery: every step done"), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("defragmented "))
            .count(),
        3,
        "{text}"
    );

    // etcd agrees.
    common::assert_no_alarm(&mut c).await;
    c.put("/after", "ok", None).await.unwrap();
    let check = c
        .get(
            "/check/",
            Some(etcd_client::GetOptions::new().with_prefix()),
        )
        .await
        .unwrap();
    assert_eq!(check.count(), 0, "the test key is left");
    let after = common::db_sizes(&etcd).await;
    for (was, now) in before.iter().zip(&after) {
        assert!(now < was, "{before:?} → {after:?}");
    }
    common::assert_audited(&[
        "etcdctl compact ",
        "etcdlens defrag --rolling",
        "etcdctl alarm disarm",
        "etcdlens recovery check: test write and delete of /check/",
    ]);
}

/// The hash check from the view (`c`) right after a compaction with
/// nothing written since: etcd refuses a hash at the compaction point
/// itself, so the members are asked at their latest revision — one common
/// revision — and match.
#[tokio::test(flavor = "multi_thread")]
async fn hash_check_right_after_a_compaction_matches() {
    use crossterm::event::KeyCode;
    let etcd = Etcd::members(3).await;
    let mut c = etcd.client().await;
    let mut rev = 0;
    for i in 0..20 {
        rev = common::put_rev(&mut c, "/h/k", format!("v{i}")).await;
    }
    c.compact(
        rev,
        Some(etcd_client::CompactionOptions::new().with_physical()),
    )
    .await
    .unwrap();
    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.press(KeyCode::Char('M'));
    app.until(15, "the members", |s| s.cluster.info.is_some())
        .await;
    app.press(KeyCode::Char('c'));
    app.until(30, "the hash check", |s| s.maintenance.running.is_none())
        .await;
    let log: Vec<String> = app
        .state
        .maintenance
        .log
        .iter()
        .map(|l| l.text.clone())
        .collect();
    let text = log.join("\n");
    assert_eq!(
        log.iter().filter(|l| l.ends_with("  match")).count(),
        3,
        "{text}"
    );
    assert!(
        text.contains(&format!("every member holds the same data at rev {rev}")),
        "{text}"
    );
}

/// An etcd process the test started from the command the view printed,
/// killed on drop.
struct Started(std::process::Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The 3-member cluster gets a fourth member as a learner through the view
/// (`+`): the view prints the command, the test starts etcd with exactly
/// that; `P` is refused until it has caught up, then promotes it; `-`
/// removes it again. A writer keeps writing throughout. With a member
/// stopped, a removal that would leave fewer healthy voters than a quorum
/// is refused. Removing the member etcdlens reached first leaves it
/// working through the others.
#[tokio::test(flavor = "multi_thread")]
async fn a_learner_is_added_promoted_and_removed() {
    use crossterm::event::KeyCode;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    common::journal_env();
    let etcd = Etcd::members(3).await;
    let eps = etcd.endpoints();

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let writer = {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        let mut c = etcd.client().await;
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                match c.put(format!("/w/{}", i % 50), i.to_string(), None).await {
                    Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
                i += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };

    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.press(KeyCode::Char('M'));
    app.until(15, "the members", |s| s.cluster.info.is_some())
        .await;
    // etcd takes membership changes once every member has been connected
    // for 5 s (--strict-reconfig-check).
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;

    // `+`: name, peer URL, yes.
    let ports = etcdlens::demo::cluster::free_ports(2).unwrap();
    let peer = format!("http://127.0.0.1:{}", ports[0]);
    let client = format!("http://127.0.0.1:{}", ports[1]);
    app.press(KeyCode::Char('+'));
    app.type_str("infra4");
    app.press(KeyCode::Tab);
    app.type_str(&peer);
    app.press(KeyCode::Tab);
    app.type_str("yes");
    app.press(KeyCode::Enter);
    app.until(15, "the member added", |s| s.maintenance.running.is_none())
        .await;
    let command = app
        .state
        .maintenance
        .log
        .iter()
        .find(|l| l.text.starts_with("etcd --name infra4 "))
        .unwrap_or_else(|| panic!("no command: {:?}", app.state.maintenance.log))
        .text
        .clone();
    assert!(
        command.contains("--initial-cluster-state existing"),
        "{command}"
    );
    for m in &etcd.cluster.members {
        let own = format!("{}=http://127.0.0.1:{}", m.name, m.peer_port);
        assert!(command.contains(&own), "{command} lacks {own}");
    }
    assert!(command.contains(&format!("infra4={peer}")), "{command}");

    // Not started yet: the promotion is refused with the reason.
    app.until_ticking(20, "the learner listed", |s| {
        s.cluster
            .info
            .as_ref()
            .is_some_and(|i| i.members.len() == 4)
    })
    .await;
    let row = |s: &etcdlens::app::State, name: &str| {
        s.cluster.info.as_ref().and_then(|i| {
            i.members
                .iter()
                .position(|m| m.name == name || (name.is_empty() && m.is_learner))
        })
    };
    let select = |app: &mut Headless, i: usize| {
        app.press(KeyCode::Char('g'));
        for _ in 0..i {
            app.press(KeyCode::Char('j'));
        }
    };
    let learner = row(&app.state, "").expect("a learner row");
    select(&mut app, learner);
    app.press(KeyCode::Char('P'));
    assert!(app.state.prompt.is_none());
    let said = app.state.message.as_ref().unwrap().text.clone();
    assert!(
        said.contains("does not answer") || said.contains("not started"),
        "{said}"
    );

    // Started with the printed command (its placeholders filled in).
    let dir = tempfile::tempdir().unwrap();
    let command = command
        .replace("DATA_DIR", dir.path().join("infra4").to_str().unwrap())
        .replace("CLIENT_URL", &client);
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("etcd"));
    let binary = etcdlens::demo::cluster::etcd_binary().unwrap();
    let _infra4 = Started(
        std::process::Command::new(binary)
            .args(words)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    app.until_ticking(60, "the learner caught up", |s| {
        s.cluster.info.as_ref().is_some_and(|i| {
            i.members
                .iter()
                .find(|m| m.name == "infra4")
                .is_some_and(|m| etcdlens::etcd::members::promotion(&i.members, m.id).is_ok())
        })
    })
    .await;
    let infra4 = row(&app.state, "infra4").unwrap();
    select(&mut app, infra4);
    app.press(KeyCode::Char('P'));
    let intro = app.state.prompt.as_ref().expect("the plan").intro.clone();
    assert!(intro.contains("voting members 3 → 4"), "{intro}");
    app.type_str("yes");
    app.press(KeyCode::Enter);
    app.until(30, "the promotion", |s| s.maintenance.running.is_none())
        .await;
    let mut c = etcd.client().await;
    let list = c.member_list().await.unwrap();
    let m4 = list
        .members()
        .iter()
        .find(|m| m.name() == "infra4")
        .unwrap();
    assert!(!m4.is_learner(), "{:?}", app.state.maintenance.log);

    // Removed again.
    app.until_ticking(20, "the promotion seen", |s| {
        s.cluster.info.as_ref().is_some_and(|i| {
            i.members
                .iter()
                .any(|m| m.name == "infra4" && !m.is_learner)
        })
    })
    .await;
    let infra4 = row(&app.state, "infra4").unwrap();
    select(&mut app, infra4);
    app.press(KeyCode::Char('-'));
    let intro = app.state.prompt.as_ref().expect("the plan").intro.clone();
    assert!(
        intro.contains("voting members 4 → 3, quorum 3 → 2"),
        "{intro}"
    );
    app.type_str("yes");
    app.press(KeyCode::Enter);
    app.until(30, "the removal", |s| s.maintenance.running.is_none())
        .await;
    assert_eq!(c.member_list().await.unwrap().members().len(), 3);
    assert!(ok.load(Ordering::Relaxed) > 0);
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "writes failed while the membership changed"
    );

    // infra3 stopped: removing infra2 would leave infra1 alone of 2.
    etcd.cluster.pause(2);
    app.until_ticking(30, "infra3 seen down", |s| {
        s.cluster.info.as_ref().is_some_and(|i| {
            i.members.len() == 3
                && i.members
                    .iter()
                    .any(|m| m.name == "infra3" && m.status.is_err())
        })
    })
    .await;
    let infra2 = row(&app.state, "infra2").unwrap();
    select(&mut app, infra2);
    app.press(KeyCode::Char('-'));
    assert!(app.state.prompt.is_none());
    let said = app.state.message.as_ref().unwrap().text.clone();
    assert!(said.contains("fewer than the quorum"), "{said}");
    etcd.cluster.resume(2);

    // The member etcdlens reached first removed: it keeps working.
    app.until_ticking(30, "infra3 back", |s| {
        s.cluster.info.as_ref().is_some_and(|i| i.down() == 0)
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let first = etcd.cluster.members[0].name.clone();
    assert!(eps[0].ends_with(&etcd.cluster.members[0].client_port.to_string()));
    // etcd refuses it ("unhealthy cluster") until infra3 has been back for
    // 5 s as etcd counts it: asked again while it says so.
    for _ in 0..10 {
        let i = row(&app.state, &first).unwrap();
        select(&mut app, i);
        app.press(KeyCode::Char('-'));
        app.type_str("yes");
        app.press(KeyCode::Enter);
        app.until(30, "the removal", |s| s.maintenance.running.is_none())
            .await;
        let last = app.state.maintenance.log.last().map(|l| l.text.clone());
        if !last.is_some_and(|l| l.contains("unhealthy cluster")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    assert!(
        app.state
            .maintenance
            .log
            .iter()
            .any(|l| l.text == format!("{first} removed from the cluster")),
        "{:?}",
        app.state.maintenance.log
    );
    app.until_ticking(30, "two members listed", |s| {
        s.cluster
            .info
            .as_ref()
            .is_some_and(|i| i.members.len() == 2 && i.down() == 0)
    })
    .await;
    // Reads and writes still go through the others.
    app.press(KeyCode::Esc);
    app.press(KeyCode::Char('r'));
    app.until_listed(20).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    // Each change is in the audit log.
    common::assert_audited(&[
        "etcdctl member add infra4 --peer-urls=",
        "etcdctl member promote ",
        "etcdctl member remove ",
    ]);
}
