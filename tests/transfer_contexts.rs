//! Copy to another context's cluster (`:copy ctx:NAME /prefix/`,
//! `etcdlens copy --to-context NAME`) on two real etcd servers: planned
//! against the target cluster, written there in guarded transactions,
//! journaled for that context; a move between clusters is refused.

use crate::common;

use std::collections::BTreeMap;

use common::{lens_with_config, revision, Etcd};
use etcd_client::{Client, GetOptions};
use etcdlens::transfer::{self, Source, Transfer};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

async fn dump(client: &mut Client, prefix: &str) -> BTreeMap<String, String> {
    client
        .get(prefix, Some(GetOptions::new().with_prefix()))
        .await
        .unwrap()
        .kvs()
        .iter()
        .map(|kv| {
            (
                kv.key_str().unwrap().to_string(),
                kv.value_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn config(dir: &std::path::Path, a: &Etcd, b: &Etcd) -> std::path::PathBuf {
    let p = dir.join("config.toml");
    std::fs::write(
        &p,
        format!(
            "[contexts.a]\nendpoints = [\"{}\"]\n\n[contexts.b]\nendpoints = [\"{}\"]\ncolor = \"blue\"\n\n[contexts.ro]\nendpoints = [\"{}\"]\nread_only = true\n",
            a.endpoints()[0],
            b.endpoints()[0],
            b.endpoints()[0]
        ),
    )
    .unwrap();
    p
}

/// The plan reads the target on the other cluster (created, updated,
/// unchanged there), the apply writes there only, skips a key changed
/// since the plan, and journals for that context.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_to_another_cluster_plans_against_it_and_writes_only_there() {
    let a = Etcd::single().await;
    let b = Etcd::single().await;
    let (conn_a, conn_b) = (a.connection().await, b.connection().await);
    let (mut ca, mut cb) = (a.client().await, b.client().await);
    for i in 0..300 {
        ca.put(format!("/app/k{i:03}"), format!("v{i}"), None)
            .await
            .unwrap();
    }
    cb.put("/app/k001", "v1", None).await.unwrap();
    cb.put("/app/k002", "old", None).await.unwrap();
    let copy = Transfer {
        source: Source::Prefix(b"/app/".to_vec()),
        // The same prefix: on one cluster it would overlap, here it is
        // another cluster's.
        to: Some(b"/app/".to_vec()),
        moving: false,
        to_context: Some("b".into()),
    };
    let plan = transfer::plan_between(&conn_a, &conn_b, &copy, &Default::default(), |_| {})
        .await
        .unwrap();
    assert_eq!((plan.created, plan.updated, plan.unchanged), (298, 1, 1));
    // Someone creates a target key between the plan and the apply.
    cb.put("/app/k010", "theirs", None).await.unwrap();
    let a_revision = revision(&mut ca).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = etcdlens::journal::Journal {
        path: dir.path().join("j.jsonl"),
        context: None,
    }
    .in_context(Some("b".into()));
    let summary = transfer::apply_between(
        &conn_a,
        &conn_b,
        &copy,
        &plan,
        Some(&journal),
        1 << 20,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.skipped, vec![b"/app/k010".to_vec()]);
    assert_eq!(summary.applied, 298);
    let on_b = dump(&mut cb, "/app/").await;
    assert_eq!(on_b.len(), 300);
    assert_eq!(on_b["/app/k002"], "v2");
    assert_eq!(on_b["/app/k010"], "theirs");
    assert_eq!(on_b["/app/k299"], "v299");
    // Nothing was written on the source cluster.
    assert_eq!(revision(&mut ca).await, a_revision);
    // `u` in context b finds what the copy overwrote there; not elsewhere.
    let e = journal.last_for(b"/app/k002").unwrap();
    assert_eq!(
        (e.prev_bytes(), e.context.as_deref()),
        (Some(b"old".to_vec()), Some("b"))
    );
    let in_a = etcdlens::journal::Journal {
        path: journal.path.clone(),
        context: Some("a".into()),
    };
    assert!(in_a.last_for(b"/app/k002").is_none());
    // A move between clusters is refused before anything is read.
    let moving = Transfer {
        moving: true,
        ..copy
    };
    let e = transfer::plan_between(&conn_a, &conn_b, &moving, &Default::default(), |_| {})
        .await
        .unwrap_err();
    assert!(
        e.contains("a move to another cluster (ctx b) is refused"),
        "{e}"
    );
}

/// `etcdlens copy SRC DEST --to-context NAME`: from the connected context
/// to another one's cluster; a read-only context is refused unless it is
/// a dry run.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_copies_to_another_context() {
    let a = Etcd::single().await;
    let b = Etcd::single().await;
    let mut ca = a.client().await;
    ca.put("/app/x", "1", None).await.unwrap();
    ca.put("/app/y", "2", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &a, &b);
    let journal = dir.path().join("j.jsonl");
    let run = |args: &[&str]| {
        let args = [&["--context", "a"], args].concat();
        lens_with_config(&path, &[("ETCDLENS_JOURNAL", &journal)], &args)
    };
    let (code, out, err) = run(&["copy", "/app/", "/copied/", "--to-context", "ro"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("read-only"), "{err}");
    let (code, out, _) = run(&[
        "copy",
        "/app/",
        "/copied/",
        "--to-context",
        "ro",
        "--dry-run",
    ]);
    assert_eq!(code, Some(0));
    assert!(out.contains("→ ctx ro /copied/: 2 created"), "{out}");
    let (code, out, err) = run(&["copy", "/app/", "/copied/", "--to-context", "b", "-y"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("2 applied"), "{out}");
    let mut cb = b.client().await;
    assert_eq!(
        dump(&mut cb, "/copied/").await,
        BTreeMap::from([
            ("/copied/x".to_string(), "1".to_string()),
            ("/copied/y".to_string(), "2".to_string())
        ])
    );
    assert!(dump(&mut ca, "/copied/").await.is_empty());
    let (code, _, err) = run(&["copy", "/app/", "/c/", "--to-context", "nope"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no context \"nope\""), "{err}");
}

/// In the TUI: `:copy ctx:b /copied/` on the selected directory, the plan,
/// `a`, `yes`, the keys on the other cluster.
#[tokio::test(flavor = "multi_thread")]
async fn the_tui_copies_a_directory_to_another_context() {
    use common::tmux::Tmux;
    let a = Etcd::single().await;
    let b = Etcd::single().await;
    let mut ca = a.client().await;
    ca.put("/app/one", "1", None).await.unwrap();
    ca.put("/app/two", "2", None).await.unwrap();
    let mut cb = b.client().await;
    cb.put("/copied/two", "old", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &a, &b);
    let tmux = Tmux::start(&format!(
        "env -u ETCDCTL_ENDPOINTS ETCDLENS_CONFIG={} ETCDLENS_JOURNAL={} {BIN} --context a",
        path.display(),
        dir.path().join("j.jsonl").display()
    ));
    tmux.wait_for("app/");
    // Rows: /, app/: select app/.
    tmux.send(&["j", ":", "copy ctx:ro /copied/", "Enter"]);
    tmux.wait_for("ctx ro is read-only");
    tmux.send(&[":", "move ctx:b /copied/", "Enter"]);
    tmux.wait_for("a move to another cluster (ctx b) is refused");
    tmux.send(&[":", "copy ctx:b /copied/", "Enter"]);
    let screen = tmux.wait_for("1 created · 1 updated · 0 unchanged");
    assert!(screen.contains("/app/ → ctx b /copied/"), "{screen}");
    tmux.send(&["a"]);
    tmux.wait_for("type yes");
    tmux.send(&["yes", "Enter"]);
    tmux.wait_for("2 applied, 0 skipped");
    assert_eq!(
        dump(&mut cb, "/copied/").await,
        BTreeMap::from([
            ("/copied/one".to_string(), "1".to_string()),
            ("/copied/two".to_string(), "2".to_string())
        ])
    );
    tmux.send(&["Escape", "q"]);
    tmux.wait_for("EXIT=0");
}
