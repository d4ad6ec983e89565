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
    let etcd = Etcd {
        cluster: LocalCluster::start_with(
            1,
            Extra {
                args: vec!["--quota-backend-bytes".into(), (16u64 << 20).to_string()],
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    };
    let mut c = etcd.client().await;
    let value = vec![b'x'; 1 << 20];
    let mut full = false;
    for i in 0..64 {
        match c.put(format!("/fill/{i:02}"), value.clone(), None).await {
            Ok(_) => {}
            Err(e) if e.to_string().contains("database space exceeded") => {
                full = true;
                break;
            }
            Err(e) => panic!("put {i}: {e}"),
        }
    }
    assert!(full, "64 MiB written under a 16 MiB quota without NOSPACE");

    let mut app = Headless::start(etcd.connection().await, b"", 100);
    app.until_listed(10).await;
    app.press(crossterm::event::KeyCode::Char('M'));
    app.until(15, "the alarm", |s| {
        s.cluster
            .info
            .as_ref()
            .is_some_and(|i| i.alarms.iter().any(|(_, a)| a == "NOSPACE"))
    })
    .await;
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
