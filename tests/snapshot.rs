//! `etcdlens snapshot save` / `snapshot status` against etcd's own tools:
//! the file is one etcdutl (etcdctl on 3.4) reads and restores, our
//! status prints its numbers, and a member restored from it holds exactly
//! the keys of the snapshot's revision.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use etcd_client::{Client, GetOptions};
use etcdlens::demo::cluster::{etcd_binary, free_ports};

use crate::common::{self, Etcd};

/// etcdutl of the release under test (beside its etcd), else its etcdctl
/// (3.4 has no etcdutl; its etcdctl does `snapshot status` / `restore`).
fn snapshot_tool() -> Command {
    let etcd = etcd_binary().expect("etcd");
    let etcdutl = etcd.with_file_name("etcdutl");
    if etcdutl.is_file() {
        Command::new(etcdutl)
    } else {
        common::etcdctl()
    }
}

fn lens(args: &[&str]) -> (Option<i32>, String, String) {
    // The journal and the audit log beside it: the tests', not the user's.
    crate::common::journal_env();
    let config = std::path::Path::new("/nonexistent/etcdlens-test/config.toml");
    crate::common::lens_with_config(config, &[], args)
}

/// The (hash, revision, totalKey, totalSize) of a status JSON line.
fn numbers(json: &str) -> (u64, i64, u64, u64) {
    let v: serde_json::Value =
        serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {json:?}"));
    (
        v["hash"].as_u64().unwrap(),
        v["revision"].as_i64().unwrap(),
        v["totalKey"].as_u64().unwrap(),
        v["totalSize"].as_u64().unwrap(),
    )
}

/// Every key and value, at `revision` (0: now).
async fn all_keys(c: &mut Client, revision: i64) -> Vec<(Vec<u8>, Vec<u8>)> {
    let r = c
        .get(
            vec![0u8],
            Some(GetOptions::new().with_from_key().with_revision(revision)),
        )
        .await
        .unwrap();
    r.kvs()
        .iter()
        .map(|kv| (kv.key().to_vec(), kv.value().to_vec()))
        .collect()
}

/// A single etcd started on a restored data dir, killed on drop.
struct Restored {
    child: Child,
    endpoint: String,
}

impl Drop for Restored {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Restores `file` into `dir/data` (etcd's own tool) and starts one member
/// on it.
async fn restore_and_start(file: &Path, dir: &Path) -> Restored {
    let ports = free_ports(2).unwrap();
    let peer = format!("http://127.0.0.1:{}", ports[1]);
    let client = format!("http://127.0.0.1:{}", ports[0]);
    let data = dir.join("data");
    let cluster = format!("restored={peer}");
    let out = snapshot_tool()
        .args(["snapshot", "restore"])
        .arg(file)
        .arg("--data-dir")
        .arg(&data)
        .args(["--name", "restored", "--initial-cluster", &cluster])
        .args(["--initial-advertise-peer-urls", &peer])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "restore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::File::create(dir.join("restored.log")).unwrap();
    let child = Command::new(etcd_binary().unwrap())
        .args(["--name", "restored"])
        .arg("--data-dir")
        .arg(&data)
        .args(["--listen-client-urls", &client])
        .args(["--advertise-client-urls", &client])
        .args(["--listen-peer-urls", &peer])
        .args(["--initial-advertise-peer-urls", &peer])
        .args(["--initial-cluster", &cluster])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let restored = Restored {
        child,
        endpoint: client,
    };
    for _ in 0..100 {
        if etcdlens::etcd::connect::member_answers(&restored.endpoint).await {
            return restored;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the restored member did not start: {}",
        std::fs::read_to_string(dir.join("restored.log")).unwrap_or_default()
    );
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn saved_snapshot_is_etcds_and_restores_its_revision() {
    let etcd = Etcd::members(3).await;
    let mut c = etcd.client().await;
    for i in 0..40 {
        c.put(format!("/snap/k{i:02}"), format!("v{i}"), None)
            .await
            .unwrap();
    }
    for i in 0..10 {
        c.put(format!("/snap/k{i:02}"), format!("again{i}"), None)
            .await
            .unwrap();
    }
    for i in 30..35 {
        c.delete(format!("/snap/k{i:02}"), None).await.unwrap();
    }
    c.put("/bin", vec![0u8, 255, 10, 13], None).await.unwrap();
    let revision = common::revision(&mut c).await;
    let expected = all_keys(&mut c, revision).await;
    assert_eq!(expected.len(), 36);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let file_s = file.to_str().unwrap();
    let endpoints = etcd.endpoints().join(",");
    // From the second member, named by its client URL.
    let member = format!("http://{}", etcd.endpoints()[1]);
    let (code, out, err) = lens(&[
        "--endpoints",
        &endpoints,
        "snapshot",
        "save",
        file_s,
        "--endpoint",
        &member,
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "etcdctl --endpoints={member} snapshot save {file_s}"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("revision {revision},")), "{out}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(leftovers(dir.path()), vec![file.clone()], "only the file");
    // A backup taken is in the audit log.
    let action = format!("etcdctl --endpoints={member} snapshot save {file_s}");
    let records = etcdlens::audit::Audit::open_default().unwrap().records();
    assert!(
        records
            .iter()
            .any(|r| r.action == action && r.result == "ok"),
        "{records:?}"
    );

    // etcd's own tool accepts it, with the expected revision, and our
    // status prints the same numbers.
    let theirs = snapshot_tool()
        .args(["snapshot", "status", "-w", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let theirs = numbers(&String::from_utf8_lossy(&theirs.stdout));
    assert_eq!(theirs.1, revision);
    let (code, ours, err) = lens(&["snapshot", "status", "-w", "json", file_s]);
    assert_eq!(code, Some(0), "{err}");
    // etcdutl ≥ 3.6 counts live keys; etcdutl / etcdctl ≤ 3.5 every entry
    // of every bucket (our `entries`).
    let ours_json: serde_json::Value = serde_json::from_str(ours.trim()).unwrap();
    let mut ours = numbers(&ours);
    assert_eq!(ours.2, expected.len() as u64);
    if common::etcd_version() < (3, 6, 0) {
        ours.2 = ours_json["entries"].as_u64().unwrap();
    }
    assert_eq!(ours, theirs);
    let (code, simple, _) = lens(&["snapshot", "status", file_s]);
    assert_eq!(code, Some(0));
    assert!(
        simple.contains(&format!("revision: {revision}\n")),
        "{simple}"
    );
    assert!(
        simple.contains(&format!("hash: {:x}\n", theirs.0)),
        "{simple}"
    );

    // Restored into a new single member: exactly the keys of that revision.
    let restored = restore_and_start(&file, dir.path()).await;
    let mut rc = Client::connect([restored.endpoint.as_str()], None)
        .await
        .unwrap();
    assert_eq!(all_keys(&mut rc, 0).await, expected);
    assert_eq!(common::revision(&mut rc).await, revision);
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_save_fails_whole_and_keeps_an_existing_file() {
    let mut etcd = Etcd::members(3).await;
    let mut c = etcd.client().await;
    c.put("/a", "1", None).await.unwrap();
    let dead = format!("http://{}", etcd.endpoints()[2]);
    etcd.cluster.kill(2);
    let alive = etcd.endpoints()[..2].join(",");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let file_s = file.to_str().unwrap();

    // A dead member: one clear line, exit 2, nothing left.
    let (code, _, err) = lens(&[
        "--endpoints",
        &alive,
        "snapshot",
        "save",
        file_s,
        "--endpoint",
        &dead,
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&dead), "{err}");
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );

    // Not a member of the cluster: refused the same way.
    let (code, _, err) = lens(&[
        "--endpoints",
        &alive,
        "snapshot",
        "save",
        file_s,
        "--endpoint",
        "http://127.0.0.1:1",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a client URL"), "{err}");
    assert!(leftovers(dir.path()).is_empty());

    // An existing file is kept unless --force.
    std::fs::write(&file, "precious").unwrap();
    let (code, _, err) = lens(&["--endpoints", &alive, "snapshot", "save", file_s]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
    let (code, out, err) = lens(&["--endpoints", &alive, "snapshot", "save", file_s, "--force"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_ne!(std::fs::read(&file).unwrap(), b"precious");
    assert_eq!(leftovers(dir.path()), vec![file.clone()]);

    // A save killed midway leaves its partial file: the next save of that
    // name removes it and says so; one another save still holds (locked)
    // is left alone.
    let stale = dir.path().join(".second.db.k1ll3d.part");
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    let held = dir.path().join(".second.db.runn1n.part");
    let holder = std::fs::File::create(&held).unwrap();
    holder.lock().unwrap();
    let second = dir.path().join("second.db");
    let (code, out, err) = lens(&[
        "--endpoints",
        &alive,
        "snapshot",
        "save",
        second.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "removed {}: the partial file of an earlier save that was killed",
            stale.display()
        )),
        "{out}"
    );
    assert!(!stale.exists());
    assert!(held.exists(), "a running save's file was removed");
    drop(holder);
}
