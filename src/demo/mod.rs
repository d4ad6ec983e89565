//! `etcdlens demo`: a local 3-member cluster with sample data, then the
//! browser on it. Quitting stops every process it started and removes its
//! data.

pub mod candidates;
pub mod cluster;
pub mod data;
pub mod writer;

use std::time::Instant;

use cluster::{port_free, LocalCluster, CLASSIC_PORTS};

use crate::cli::Options;
use crate::etcd::{connect, ConnSettings};
use crate::runtime;
use crate::Failure;

pub async fn run(opts: &Options, started: Instant) -> Result<(), Failure> {
    let Some(etcd) = cluster::etcd_binary() else {
        return Err(Failure::Usage(match std::env::var_os(cluster::ETCD_VAR) {
            Some(p) if !p.is_empty() => format!(
                "{} names {}, which is not a file",
                cluster::ETCD_VAR,
                crate::escape::escape_str(&p.to_string_lossy())
            ),
            _ => "the demo needs the `etcd` binary on PATH (or ETCDLENS_ETCD=/path/to/etcd): install it with `sudo apt-get install etcd-server`".into(),
        }));
    };
    eprintln!(
        "etcdlens demo: using {}",
        crate::escape::escape_str(&etcd.display().to_string())
    );
    let classic_free = CLASSIC_PORTS
        .iter()
        .all(|&(c, p)| port_free(c) && port_free(p));
    let note;
    eprintln!("etcdlens demo: starting a local 3-member etcd cluster…");
    let mut cluster = if classic_free {
        note = "demo cluster on 127.0.0.1:2379,22379,32379".to_string();
        LocalCluster::start_on(&CLASSIC_PORTS).await
    } else {
        let c = LocalCluster::start(3).await;
        note = match &c {
            Ok(c) => format!(
                "ports 2379/22379/32379 are taken: demo cluster on {}",
                c.endpoints().join(",")
            ),
            Err(_) => String::new(),
        };
        c
    }
    .map_err(Failure::Other)?;
    eprintln!("etcdlens demo: {note}");
    let endpoints = cluster.endpoints();
    let settings = ConnSettings {
        endpoints: endpoints.clone(),
        dial_timeout: opts
            .settings
            .dial_timeout
            .max(std::time::Duration::from_secs(5)),
        command_timeout: opts.settings.command_timeout,
        ..ConnSettings::default()
    };
    let result = async {
        let conn = connect(&settings).await.map_err(Failure::Usage)?;
        eprintln!("etcdlens demo: loading sample data from assets/demo.json…");
        let items = data::items().map_err(Failure::Other)?;
        crate::etcd::seed::load(&conn, items)
            .await
            .map_err(|e| Failure::Other(format!("loading the sample data failed: {e}")))?;
        eprintln!(
            "etcdlens demo: starting election candidates node1 and node2 on {}…",
            candidates::ELECTION
        );
        // Candidates wait for the leader as long as it takes: no per-request
        // timeout on their connection.
        let mut campaign_settings = settings.clone();
        campaign_settings.command_timeout = std::time::Duration::ZERO;
        let campaign_conn = connect(&campaign_settings).await.map_err(Failure::Usage)?;
        let node1 = tokio::spawn(candidates::run(campaign_conn.clone(), "node1"));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let node2 = tokio::spawn(candidates::run(campaign_conn.clone(), "node2"));
        eprintln!("etcdlens demo: starting a slow background writer…");
        let writer = tokio::spawn(writer::run(
            conn.clone(),
            std::time::Duration::from_millis(1500),
        ));
        let mut run = opts.run_options(started);
        run.note = Some(format!(
            "{note} — {} makes the /testelection leader step down",
            run.keymap.label(crate::app::Action::StepDown)
        ));
        run.elections.push(candidates::ELECTION.as_bytes().to_vec());
        run.bench_report = None;
        run.bench_exit = false;
        let result = runtime::run(conn, run)
            .await
            .map_err(|e| Failure::Other(format!("{e:#}")));
        writer.abort();
        node1.abort();
        node2.abort();
        result
    }
    .await;
    eprintln!("etcdlens demo: stopping the cluster and removing its data…");
    cluster.stop();
    drop(cluster);
    result
}
