//! Export, import, copy and move on real etcd, through the binary where a
//! user would run it, through the library where a race must be staged.

use crate::common;

use std::collections::BTreeMap;
use std::process::{Command, Output};

use common::{etcdctl, revision, Etcd};
use etcd_client::{Client, GetOptions, PutOptions};
use etcdlens::demo::cluster::{Extra, LocalCluster};
use etcdlens::transfer::{self, Source, Transfer};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
const BIG: usize = 1536 * 1024;

/// One member that takes requests of 4 MiB (for 1.5 MiB values).
async fn big_etcd() -> Etcd {
    common::isolate_from_user_config();
    let extra = Extra {
        args: vec!["--max-request-bytes".into(), (4 * 1024 * 1024).to_string()],
        https: false,
        ..Default::default()
    };
    Etcd {
        cluster: LocalCluster::start_with(1, extra).await.unwrap(),
    }
}

fn lens(etcd: &Etcd, journal: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args([
            "--endpoints",
            &etcd.endpoints()[0],
            "--max-request-bytes",
            "4194304",
        ])
        .args(args)
        .env("ETCDLENS_JOURNAL", journal)
        .env_remove("ETCDCTL_ENDPOINTS")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every key under `prefix` (with the prefix cut off) and its value.
async fn dump(client: &mut Client, prefix: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let kv = client.kv_client().max_decoding_message_size(256 << 20);
    let mut kv = kv;
    let resp = kv
        .get(prefix.to_vec(), Some(GetOptions::new().with_prefix()))
        .await
        .unwrap();
    resp.kvs()
        .iter()
        .map(|kv| (kv.key()[prefix.len()..].to_vec(), kv.value().to_vec()))
        .collect()
}

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The keys of an export file (prefix cut off) with their values, in file order.
fn read_export(path: &std::path::Path) -> (Vec<u8>, Pairs) {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut r = transfer::format::Reader::new(f).unwrap();
    let prefix = r.header.prefix_bytes().unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        out.push((rec.key[prefix.len()..].to_vec(), rec.value));
    }
    (prefix, out)
}

/// The data of the round trip: 3,000 small keys in directories (several
/// pages, pieces), binary and empty values, keys with escape sequences and
/// invalid UTF-8, and four 1.5 MiB values (more than one 4 MiB reply).
fn round_trip_data() -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut data = BTreeMap::new();
    for a in 0..30 {
        for b in 0..100 {
            data.insert(
                format!("app{a:02}/svc{b:03}/config").into_bytes(),
                format!("{{\"a\":{a},\"b\":{b}}}").into_bytes(),
            );
        }
    }
    data.insert(b"bin".to_vec(), vec![0, 0xff, 0xfe, 0x1b, b'\n']);
    data.insert(b"empty".to_vec(), Vec::new());
    data.insert(b"\x1b[2Jclear".to_vec(), b"\x1b]52;c;aGk=\x07".to_vec());
    data.insert(b"\xff\xfe-not-utf8".to_vec(), b"x".to_vec());
    data.insert(b"rtl\xe2\x80\xaekey".to_vec(), b"y".to_vec());
    for i in 0..4u8 {
        data.insert(format!("big/{i}").into_bytes(), vec![b'a' + i; BIG]);
    }
    data
}

async fn put_all(client: &mut Client, prefix: &[u8], data: &BTreeMap<Vec<u8>, Vec<u8>>) {
    for (k, v) in data {
        let mut key = prefix.to_vec();
        key.extend_from_slice(k);
        client.put(key, v.clone(), None).await.unwrap();
    }
}

/// Issue 15: export → import under another prefix → export gives the
/// same keys and bytes; the export is the data that was written.
#[tokio::test(flavor = "multi_thread")]
async fn export_import_export_round_trips_every_byte() {
    let etcd = big_etcd().await;
    let mut client = etcd.client().await;
    let data = round_trip_data();
    put_all(&mut client, b"/src/", &data).await;
    // A neighbour that must not be exported.
    client.put("/src0", "outside", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let first = dir.path().join("first.jsonl");
    let second = dir.path().join("second.jsonl");
    ok(&lens(
        &etcd,
        &journal,
        &["export", "/src/", "-o", first.to_str().unwrap()],
    ));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&first).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (prefix, exported) = read_export(&first);
    assert_eq!(prefix, b"/src/");
    let expected: Pairs = data.clone().into_iter().collect();
    assert_eq!(exported, expected, "the export is the data, in key order");

    let out = ok(&lens(
        &etcd,
        &journal,
        &["import", first.to_str().unwrap(), "--to", "/dst/", "--yes"],
    ));
    assert!(
        out.contains(&format!("{} created, 0 updated, 0 unchanged", data.len())),
        "{out}"
    );
    assert!(out.contains(&format!("{} applied", data.len())), "{out}");
    assert_eq!(dump(&mut client, b"/dst/").await, data);

    ok(&lens(
        &etcd,
        &journal,
        &["export", "/dst/", "-o", second.to_str().unwrap()],
    ));
    let (prefix2, again) = read_export(&second);
    assert_eq!(prefix2, b"/dst/");
    assert_eq!(again, exported);

    // Importing again changes nothing.
    let out = ok(&lens(
        &etcd,
        &journal,
        &["import", first.to_str().unwrap(), "--to", "/dst/", "--yes"],
    ));
    assert!(
        out.contains(&format!("0 created, 0 updated, {} unchanged", data.len())),
        "{out}"
    );
    assert!(out.contains("nothing to do"), "{out}");
}

/// `--format etcdctl` prints what `etcdctl get --prefix -w json` prints,
/// byte for byte (leases, empty values, binary keys).
#[tokio::test(flavor = "multi_thread")]
async fn etcdctl_format_is_etcdctls_output() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    let lease = client.lease_grant(600, None).await.unwrap().id();
    client
        .put("/p/leased", "v", Some(PutOptions::new().with_lease(lease)))
        .await
        .unwrap();
    client.put("/p/empty", "", None).await.unwrap();
    client
        .put(b"/p/\xff\x1b".to_vec(), b"\x00\x01".to_vec(), None)
        .await
        .unwrap();
    for i in 0..2500 {
        client
            .put(format!("/p/d{}/k{i}", i % 7), "x".repeat(i % 50), None)
            .await
            .unwrap();
    }
    client.put("/q", "outside", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    for prefix in ["/p/", "/nothing/"] {
        let ours = lens(&etcd, &journal, &["export", prefix, "--format", "etcdctl"]);
        ok(&ours);
        let theirs = etcdctl()
            .args([
                "--endpoints",
                &etcd.endpoints()[0],
                "get",
                "--prefix",
                prefix,
                "-w",
                "json",
            ])
            .output()
            .unwrap();
        assert!(theirs.status.success());
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "prefix {prefix}"
        );
    }
}

/// `--dry-run` prints the plan and writes nothing: the revision stays.
#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_plan_and_writes_nothing() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    client.put("/a/same", "1", None).await.unwrap();
    client.put("/a/new", "2", None).await.unwrap();
    client.put("/a/changed", "3", None).await.unwrap();
    client.put("/b/same", "1", None).await.unwrap();
    client.put("/b/changed", "old", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let file = dir.path().join("a.jsonl");
    ok(&lens(
        &etcd,
        &journal,
        &["export", "/a/", "-o", file.to_str().unwrap()],
    ));
    let before = revision(&mut client).await;
    for args in [
        vec!["import", file.to_str().unwrap(), "--to", "/b/", "--dry-run"],
        vec!["copy", "/a/", "/b/", "--dry-run"],
        vec!["move", "/a/", "/b/", "--dry-run"],
    ] {
        let out = ok(&lens(&etcd, &journal, &args));
        assert!(out.contains("1 created, 1 updated, 1 unchanged"), "{out}");
        assert!(
            out.contains("  create /b/new") && out.contains("  update /b/changed"),
            "{out}"
        );
        assert!(out.contains("dry run: nothing written"), "{out}");
    }
    assert!(
        ok(&lens(&etcd, &journal, &["move", "/a/", "/b/", "--dry-run"]))
            .contains("3 deleted at the source")
    );
    assert_eq!(revision(&mut client).await, before);
    assert!(!journal.exists());
    // Without --yes and without a terminal nothing is applied either.
    let out = lens(&etcd, &journal, &["copy", "/a/", "/b/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --yes"));
    assert_eq!(revision(&mut client).await, before);
    // --read-only refuses; overlapping prefixes and foreign files are named.
    let out = lens(
        &etcd,
        &journal,
        &["--read-only", "copy", "/a/", "/b/", "--yes"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--read-only"));
    let out = lens(&etcd, &journal, &["move", "/a/", "/a/sub/", "--yes"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlap"));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"key\":\"/x\"}\n").unwrap();
    let out = lens(&etcd, &journal, &["import", bad.to_str().unwrap(), "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an etcdlens export header"));
    assert_eq!(revision(&mut client).await, before);
}

/// A plan applied after someone changed a target key (or a moved source
/// key) skips that key and says so; the rest applies and is journaled.
#[tokio::test(flavor = "multi_thread")]
async fn keys_changed_after_the_plan_are_skipped() {
    let etcd = Etcd::single().await;
    let conn = etcd.connection().await;
    let mut client = etcd.client().await;
    for i in 0..300 {
        client
            .put(format!("/s/k{i:03}"), format!("v{i}"), None)
            .await
            .unwrap();
    }
    client.put("/t/k007", "theirs", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = etcdlens::journal::Journal {
        path: dir.path().join("j.jsonl"),
        context: None,
    };
    let copy = Transfer {
        source: Source::Prefix(b"/s/".to_vec()),
        to: Some(b"/t/".to_vec()),
        moving: false,
        to_context: None,
    };
    let plan = transfer::plan(&conn, &copy, |_| {}).await.unwrap();
    assert_eq!((plan.created, plan.updated), (299, 1));
    // Someone writes two target keys between the plan and the apply.
    client.put("/t/k007", "changed again", None).await.unwrap();
    client
        .put("/t/k200", "created meanwhile", None)
        .await
        .unwrap();
    // And the source changes too: the plan's revision is what is copied.
    client.put("/s/k100", "later", None).await.unwrap();
    let summary = transfer::apply(&conn, &copy, &plan, Some(&journal), 1 << 20, |_| {})
        .await
        .unwrap();
    assert_eq!(
        summary.skipped,
        vec![b"/t/k007".to_vec(), b"/t/k200".to_vec()]
    );
    assert_eq!(summary.applied, 298);
    assert!(summary
        .line()
        .contains("298 applied, 2 skipped because they changed"));
    let t = dump(&mut client, b"/t/").await;
    assert_eq!(t[&b"k007"[..]], b"changed again");
    assert_eq!(t[&b"k200"[..]], b"created meanwhile");
    assert_eq!(t[&b"k100"[..]], b"v100");
    assert_eq!(t.len(), 300);
    // Journaled: `u` on a created key deletes it, on an updated one puts back.
    let e = journal.last_for(b"/t/k001").unwrap();
    assert_eq!(e.prev_bytes(), None);

    // A move: a source changed after the plan stays, its copy is not made.
    let moving = Transfer {
        source: Source::Prefix(b"/s/".to_vec()),
        to: Some(b"/m/".to_vec()),
        moving: true,
        to_context: None,
    };
    let plan = transfer::plan(&conn, &moving, |_| {}).await.unwrap();
    client.put("/s/k050", "edited", None).await.unwrap();
    let summary = transfer::apply(&conn, &moving, &plan, None, 1 << 20, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.skipped, vec![b"/m/k050".to_vec()]);
    assert_eq!((summary.applied, summary.deleted), (299, 299));
    let s = dump(&mut client, b"/s/").await;
    assert_eq!(s.keys().collect::<Vec<_>>(), vec![&b"k050".to_vec()]);
    assert_eq!(s[&b"k050"[..]], b"edited");
    let m = dump(&mut client, b"/m/").await;
    assert_eq!(m.len(), 299);
    assert!(!m.contains_key(&b"k050"[..]));
}

/// `kill -9` of etcdlens half way through a move loses no key: each key
/// is at its source or at its destination (never both, never neither),
/// with its value; moving again finishes the job.
#[tokio::test(flavor = "multi_thread")]
async fn a_move_killed_half_way_loses_no_key() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    let keys: Vec<Vec<u8>> = (0..40_000)
        .map(|i| format!("/from/d{:02}/k{i:05}", i % 97).into_bytes())
        .collect();
    etcd.put_keys(&keys).await; // value = key
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "--endpoints",
            &etcd.endpoints()[0],
            "move",
            "/from/",
            "/to/",
            "--yes",
        ])
        .env("ETCDLENS_JOURNAL", dir.path().join("j"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let count = |client: &mut Client, p: &'static str| {
        let mut c = client.clone();
        async move {
            c.get(p, Some(GetOptions::new().with_prefix().with_count_only()))
                .await
                .unwrap()
                .count()
        }
    };
    // Wait until the move has begun, then kill it.
    loop {
        if count(&mut client, "/to/").await > 0 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the move ended before it was seen"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    // Transactions already sent still commit after the kill: read once the
    // keys stop moving (else a key could be read at the source, then again
    // at the destination).
    let mut at_dst = count(&mut client, "/to/").await;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let now = count(&mut client, "/to/").await;
        if now == at_dst {
            break;
        }
        at_dst = now;
    }
    let at_src = count(&mut client, "/from/").await;
    assert!(
        at_src > 0 && at_dst > 0,
        "killed half way: {at_src} at the source, {at_dst} moved"
    );
    let src = dump(&mut client, b"/from/").await;
    let dst = dump(&mut client, b"/to/").await;
    for k in &keys {
        let rest = &k[b"/from/".len()..];
        let (a, b) = (src.get(rest), dst.get(rest));
        assert!(
            a.is_some() != b.is_some(),
            "{} at both or neither",
            String::from_utf8_lossy(k)
        );
        assert_eq!(a.or(b).unwrap(), k, "value kept");
    }
    assert_eq!(src.len() + dst.len(), keys.len());
    // Moving again finishes; it first says the last one was interrupted
    // (issue 22.11).
    let again = lens(
        &etcd,
        &dir.path().join("j"),
        &["move", "/from/", "/to/", "--yes"],
    );
    let out = ok(&again);
    assert!(out.contains("0 skipped"), "{out}");
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("interrupted: the move of /from/ → /to/ started ")
            && err.contains("each of its 40000 keys is at its source or its destination")
            && err.contains("`etcdlens move /from/ /to/ --dry-run` shows what is left"),
        "{err}"
    );
    assert_eq!(count(&mut client, "/from/").await, 0);
    assert_eq!(dump(&mut client, b"/to/").await.len(), keys.len());
}

/// `:export FILE` in a real terminal: the selected directory is written,
/// the status bar says so.
#[tokio::test(flavor = "multi_thread")]
async fn export_from_the_tui_writes_the_selected_directory() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    client
        .put("/app/config", "{\"port\":1}", None)
        .await
        .unwrap();
    client
        .put("/app/blob", vec![0u8, 0xff], None)
        .await
        .unwrap();
    client.put("/other/x", "no", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.jsonl");
    let tmux = common::tmux::Tmux::start(&format!("{BIN} --endpoints {}", etcd.endpoints()[0]));
    // The root holds only "/", which opens by itself: rows /, app/, other/.
    tmux.wait_for("other/");
    tmux.send(&["j"]);
    tmux.send(&[":"]);
    tmux.run(&[
        "send-keys",
        "-t",
        "t",
        "-l",
        &format!("export {}", file.display()),
    ]);
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("exported 2 keys under /app/");
    assert!(screen.contains(&file.display().to_string()), "{screen}");
    let (prefix, keys) = read_export(&file);
    assert_eq!(prefix, b"/app/");
    assert_eq!(
        keys,
        vec![
            (b"blob".to_vec(), vec![0u8, 0xff]),
            (b"config".to_vec(), b"{\"port\":1}".to_vec())
        ]
    );
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Feeds `cmds` to the real tasks and their answers to `update` until
/// `done(state)`.
async fn pump(
    s: &mut etcdlens::app::State,
    cmds: Vec<etcdlens::app::Cmd>,
    tx: &tokio::sync::mpsc::Sender<etcdlens::app::Cmd>,
    rx: &mut tokio::sync::mpsc::Receiver<etcdlens::app::Msg>,
    done: impl Fn(&etcdlens::app::State) -> bool,
) {
    for c in cmds {
        tx.send(c).await.unwrap();
    }
    while !done(s) {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
            .await
            .expect("an answer from the tasks")
            .expect("the tasks run");
        for c in etcdlens::app::update(s, msg) {
            tx.send(c).await.unwrap();
        }
    }
}

/// `:copy DEST` in the TUI through the real tasks: the plan is shown with
/// its counts and keys; a target key written after the plan is skipped
/// when `yes` applies it, and the summary says so; the rest is journaled.
#[tokio::test(flavor = "multi_thread")]
async fn tui_copy_shows_the_plan_and_skips_a_key_changed_after_it() {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use etcdlens::app::{update, Msg, State};
    use etcdlens::value_doc::DiffTag;
    let key = |c: KeyCode| Msg::Input(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    for i in 0..5 {
        client
            .put(format!("/app/k{i}"), format!("v{i}"), None)
            .await
            .unwrap();
    }
    client.put("/backup/k1", "old", None).await.unwrap();
    client.put("/backup/k2", "v2", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    std::env::set_var("ETCDLENS_JOURNAL", &journal);

    let (msg_tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let (tx, cmd_rx) = tokio::sync::mpsc::channel(256);
    let worker = tokio::spawn(etcdlens::tasks::run(
        etcd.connection().await,
        b"/".to_vec(),
        None,
        Default::default(),
        cmd_rx,
        msg_tx,
    ));
    let mut s = State::new(
        b"/",
        b"/",
        etcd.endpoints()[0].clone(),
        std::time::Instant::now(),
    );
    s.size = (160, 45);
    let cmds = etcdlens::app::tree::update::start(&mut s);
    pump(&mut s, cmds, &tx, &mut rx, |s| {
        s.tree
            .rows
            .iter()
            .any(|r| &*s.tree.node(r.node).full == b"/app/")
    })
    .await;
    // Select /app/.
    while s.selected_row().map(|r| s.tree.node(r.node).full.to_vec()) != Some(b"/app/".to_vec()) {
        update(&mut s, key(KeyCode::Down));
    }
    let cmds = common::fixtures::command(&mut s, "copy /backup/");
    pump(&mut s, cmds, &tx, &mut rx, |s| {
        s.plan.as_ref().is_some_and(|v| v.plan.is_some())
    })
    .await;
    let view = s.plan.as_ref().unwrap();
    let plan = view.plan.as_ref().unwrap();
    assert_eq!(
        (plan.created, plan.updated, plan.unchanged, plan.deleted),
        (3, 1, 1, 0)
    );
    let listed: Vec<&[u8]> = view
        .changed
        .iter()
        .map(|&i| plan.entries[i].target.as_slice())
        .collect();
    assert_eq!(
        listed,
        vec![
            &b"/backup/k0"[..],
            b"/backup/k1",
            b"/backup/k3",
            b"/backup/k4"
        ]
    );
    // Enter on /backup/k1 (the second row): its diff, now → the source.
    let mut cmds = update(&mut s, key(KeyCode::Down));
    cmds.extend(update(&mut s, key(KeyCode::Enter)));
    pump(&mut s, cmds, &tx, &mut rx, |s| {
        s.plan
            .as_ref()
            .is_some_and(|v| v.diff.as_ref().is_some_and(|d| d.1.is_some()))
    })
    .await;
    let (shown, diff) = s.plan.as_ref().unwrap().diff.clone().unwrap();
    assert_eq!(shown, b"/backup/k1");
    assert_eq!(
        diff,
        Some(Ok(vec![
            (DiffTag::Old, "old".to_string()),
            (DiffTag::New, "v1".to_string())
        ]))
    );
    update(&mut s, key(KeyCode::Esc));
    // Someone writes a target key after the plan.
    client.put("/backup/k3", "theirs", None).await.unwrap();
    let mut cmds = update(&mut s, key(KeyCode::Char('a')));
    for c in "yes".chars() {
        cmds.extend(update(&mut s, key(KeyCode::Char(c))));
    }
    cmds.extend(update(&mut s, key(KeyCode::Enter)));
    pump(&mut s, cmds, &tx, &mut rx, |s| {
        s.plan.as_ref().is_some_and(|v| v.summary.is_some())
    })
    .await;
    let summary = s.plan.as_ref().unwrap().summary.clone().unwrap();
    assert_eq!(summary.skipped, vec![b"/backup/k3".to_vec()]);
    assert_eq!(summary.applied, 3);
    let m = s.message.as_ref().unwrap();
    assert!(!m.error);
    assert_eq!(
        m.text,
        "copy /app/ → /backup/: 3 applied, 1 skipped because they changed since the plan"
    );
    let b = dump(&mut client, b"/backup/").await;
    assert_eq!(b[&b"k1"[..]], b"v1");
    assert_eq!(b[&b"k3"[..]], b"theirs");
    assert_eq!(b.len(), 5);
    // Journaled: `u` on k1 would put "old" back.
    let j = etcdlens::journal::Journal {
        path: journal,
        context: None,
    };
    assert_eq!(
        j.last_for(b"/backup/k1").unwrap().prev_bytes(),
        Some(b"old".to_vec())
    );
    drop(tx);
    worker.await.unwrap();
}

/// `:move DEST` in a real terminal: the plan is shown, `a` and `yes`
/// apply it, the status bar sums it up, the keys moved.
#[tokio::test(flavor = "multi_thread")]
async fn move_from_the_tui_shows_the_plan_and_applies_it() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    client.put("/app/a", "1", None).await.unwrap();
    client.put("/app/b", "2", None).await.unwrap();
    client.put("/other/x", "no", None).await.unwrap();
    let tmux = common::tmux::Tmux::start(&format!("{BIN} --endpoints {}", etcd.endpoints()[0]));
    tmux.wait_for("other/");
    tmux.send(&["j"]);
    tmux.send(&[":"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "move /moved/"]);
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("keys that change (2)");
    assert!(
        screen.contains("2 created · 0 updated · 0 unchanged · 2 deleted at the source"),
        "{screen}"
    );
    tmux.send(&["a"]);
    tmux.wait_for("type yes");
    tmux.run(&["send-keys", "-t", "t", "-l", "yes"]);
    tmux.send(&["Enter"]);
    tmux.wait_for("2 applied, 2 moved sources deleted, 0 skipped");
    assert_eq!(
        dump(&mut client, b"/moved/").await,
        BTreeMap::from([
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"2".to_vec())
        ])
    );
    assert!(dump(&mut client, b"/app/").await.is_empty());
    tmux.send(&["Escape"]);
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// An export that cuts name-starting ranges per first byte (many keys left
/// after a page) still reads every key once, in key order: the pages join
/// up with nothing missing or repeated.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_cut_per_first_byte_reads_every_key_once_in_order() {
    let etcd = Etcd::single().await;
    let conn = etcd.connection().await;
    let mut client = etcd.client().await;
    // 12,000 keys of 2 KiB (pages of about 1,400): names after `/` and
    // `-` of every first letter and digit, and bytes around them.
    let value = vec![b'v'; 2048];
    let mut keys = Vec::new();
    for i in 0..12_000u32 {
        let first = b"0189:AZaimz{\xfe"[(i % 13) as usize];
        let mut k = b"/e/".to_vec();
        k.push(first);
        k.extend_from_slice(format!("ns-{}{}/", (b'a' + (i % 26) as u8) as char, i % 7).as_bytes());
        k.extend_from_slice(format!("obj-{i:05}").as_bytes());
        keys.push(k);
    }
    for chunk in keys.chunks(128) {
        let ops = chunk
            .iter()
            .map(|k| etcd_client::TxnOp::put(k.clone(), value.clone(), None))
            .collect::<Vec<_>>();
        client
            .txn(etcd_client::Txn::new().and_then(ops))
            .await
            .unwrap();
    }
    keys.sort();
    let mut reader =
        etcdlens::etcd::export::PinnedReader::new(&conn.client, b"/e/").without_stream();
    let mut read = Vec::new();
    while let Some(page) = reader.next_page().await.unwrap() {
        read.extend(page.into_iter().map(|r| {
            assert_eq!(r.value.len(), 2048);
            r.key
        }));
    }
    assert_eq!(read.len(), keys.len());
    assert!(read == keys, "keys missing, repeated or out of order");
    assert!(reader.reads > 12, "{} reads", reader.reads);
}

/// An export of one prefix reads it from one `RangeStream` on etcd 3.7
/// (and by range reads before): every key once, in order, at one
/// revision. A chunk too big to take (a run of big values after small
/// ones: etcd sizes chunks by key count) fails the stream, and range reads
/// take up the rest from the key after the last one received.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_streams_on_3_7_and_range_reads_take_up_a_failed_stream() {
    let etcd = Etcd::single().await;
    let conn = etcd.connection().await;
    let mut client = etcd.client().await;
    // 300 small keys, then 60 of 1.4 MiB (one chunk would hold ~84 MiB,
    // over the 64 MiB a stream chunk may carry), then 100 small ones.
    let mut want: Vec<(Vec<u8>, usize)> = Vec::new();
    for i in 0..460u32 {
        let size = if (300..360).contains(&i) {
            1400 * 1024
        } else {
            100
        };
        want.push((format!("/s/{i:04}").into_bytes(), size));
    }
    for (k, size) in &want {
        client
            .put(k.clone(), vec![b'v'; *size], None)
            .await
            .unwrap();
    }
    let revision = client
        .get("/s/", None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision();
    // Written after the export's revision: must not appear.
    let mut reader = etcdlens::etcd::export::PinnedReader::new(&conn.client, b"/s/");
    let first = reader.next_page().await.unwrap().expect("a first page");
    client.put("/s/9999-later", "x", None).await.unwrap();
    let mut read: Vec<(Vec<u8>, usize)> =
        first.into_iter().map(|r| (r.key, r.value.len())).collect();
    while let Some(page) = reader.next_page().await.unwrap() {
        read.extend(page.into_iter().map(|r| (r.key, r.value.len())));
    }
    assert_eq!(reader.origin().unwrap().revision, revision);
    assert_eq!(read.len(), want.len());
    assert!(read == want, "keys missing, repeated, out of order or cut");
    if common::etcd_version() >= (3, 7, 0) {
        assert!(reader.chunks >= 4, "{} chunks", reader.chunks);
        assert!(
            reader.reads > 1,
            "the failed stream was not taken up by range reads"
        );
    } else {
        assert_eq!(reader.chunks, 0);
    }
}

/// The number before `word` in `text` (`"12 applied"` → 12).
fn number_before(text: &str, word: &str) -> u64 {
    let at = text
        .find(word)
        .unwrap_or_else(|| panic!("no {word:?} in {text}"));
    let digits: String = text[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number before {word:?} in {text}"))
}

/// Issue 22.9: a copy keeps at most `APPLY_IN_FLIGHT` transactions in
/// flight however big the source's pages are (a page of 10,000 keys was
/// sent as ~78 transactions at once), and when a transaction fails the
/// error counts what committed: the transactions already in flight are
/// waited for, and the numbers are the keys etcd holds.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_keeps_its_cap_and_counts_what_committed_after_an_error() {
    let etcd = Etcd::single().await; // etcd's default request limit, 1.5 MiB
    let conn = etcd.connection().await;
    let mut client = etcd.client().await;
    let keys: Vec<Vec<u8>> = (0..10_000)
        .map(|i| format!("/s/k{i:05}").into_bytes())
        .collect();
    etcd.put_keys(&keys).await;
    let copy = |to: &[u8]| Transfer {
        source: Source::Prefix(b"/s/".to_vec()),
        to: Some(to.to_vec()),
        moving: false,
        to_context: None,
    };
    let count = |c: &Client, p: &'static str| {
        let mut c = c.clone();
        async move {
            c.get(p, Some(GetOptions::new().with_prefix().with_count_only()))
                .await
                .unwrap()
                .count() as u64
        }
    };

    let plan = transfer::plan(&conn, &copy(b"/c/"), |_| {}).await.unwrap();
    let summary = transfer::apply(&conn, &copy(b"/c/"), &plan, None, 1 << 20, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.applied, 10_000);
    assert_eq!(count(&client, "/c/").await, 10_000);
    assert_eq!(summary.most_in_flight, transfer::APPLY_IN_FLIGHT);

    // Three 1 MiB values side by side: their transaction (about 3 MiB)
    // is over the server's limit, which etcdlens was told is 4 MiB.
    for k in ["/s/k05000a", "/s/k05000b", "/s/k05000c"] {
        client.put(k, vec![b'x'; 1 << 20], None).await.unwrap();
    }
    let total = 10_003u64;
    let plan = transfer::plan(&conn, &copy(b"/d/"), |_| {}).await.unwrap();
    assert_eq!(plan.created, total);
    let e = transfer::apply(&conn, &copy(b"/d/"), &plan, None, 4 << 20, |_| {})
        .await
        .unwrap_err();
    let written = count(&client, "/d/").await;
    assert_eq!(number_before(&e, " applied"), written, "{e}");
    let refused = number_before(&e, " in the transaction that failed were not written");
    let unsent = number_before(&e, " not sent");
    assert!(refused > 0 && unsent > 0, "{e}");
    assert_eq!(written + refused + unsent, total, "{e}");
    let d = dump(&mut client, b"/d/").await;
    assert!(!d.contains_key(&b"k05000a"[..]), "{e}");
    // Keys after the failed transaction committed (they were in flight).
    assert!(d.keys().any(|k| k.as_slice() > &b"k05000c"[..]), "{e}");
}

/// Key lines of an export file: (key, value).
type KeyLines<'a> = Vec<(&'a [u8], Vec<u8>)>;

/// An export file of `prefix` holding `lines` (key, value) as written.
fn export_file(path: &std::path::Path, prefix: &[u8], lines: &[(&[u8], Vec<u8>)]) {
    let mut out = Vec::new();
    let mut w = transfer::format::Writer::new(&mut out, transfer::format::Format::Jsonl);
    w.start(Default::default(), prefix).unwrap();
    for (k, v) in lines {
        w.page(&[etcdlens::etcd::types::ValueRecord {
            key: k.to_vec(),
            value: v.clone(),
            mod_revision: 2,
            create_revision: 2,
            version: 1,
            lease: 0,
            lease_ttl: None,
        }])
        .unwrap();
    }
    w.finish().unwrap();
    std::fs::write(path, out).unwrap();
}

/// Issue 22.10: a value over the request limit, or a key twice, passed
/// the plan and `--dry-run`, then the apply wrote part of the file and
/// stopped on etcd's error. The plan refuses them, naming the line and
/// the key, and nothing is written, with or without `--dry-run`.
#[tokio::test(flavor = "multi_thread")]
async fn an_import_plan_refuses_what_its_apply_would_fail_on() {
    let etcd = Etcd::single().await; // etcd's default request limit, 1.5 MiB
    let mut client = etcd.client().await;
    client.put("/o/keep", "1", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let small = |s: &str| s.as_bytes().to_vec();
    let cases: Vec<(&str, KeyLines, &[&str])> = vec![
        (
            "too-big",
            vec![
                (b"/i/a", small("1")),
                (b"/i/b", vec![b'x'; 2 << 20]),
                (b"/i/c", small("3")),
            ],
            &[
                "line 3: key /i/b",
                "over the request limit of 1572864 bytes",
            ],
        ),
        (
            "twice-in-order",
            vec![
                (b"/i/a", small("1")),
                (b"/i/b", small("2")),
                (b"/i/b", small("3")),
            ],
            &["line 4: key /i/b is there twice (line 3 too)"],
        ),
        (
            "twice-out-of-order",
            vec![
                (b"/i/b", small("1")),
                (b"/i/a", small("2")),
                (b"/i/c", small("3")),
                (b"/i/b", small("4")),
            ],
            &["line 5: key /i/b is there twice (line 2 too)"],
        ),
    ];
    let before = revision(&mut client).await;
    for (name, lines, says) in cases {
        let file = dir.path().join(format!("{name}.jsonl"));
        export_file(&file, b"/i/", &lines);
        for last in ["--dry-run", "--yes"] {
            let out = Command::new(BIN)
                .args(["--endpoints", &etcd.endpoints()[0]])
                .args(["import", file.to_str().unwrap(), "--to", "/o/", last])
                .env("ETCDLENS_JOURNAL", &journal)
                .env_remove("ETCDCTL_ENDPOINTS")
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name} {last}: {err}");
            for s in says {
                assert!(err.contains(s), "{name} {last}: {err}");
            }
            assert!(err.contains("nothing was written"), "{name} {last}: {err}");
        }
    }
    assert_eq!(revision(&mut client).await, before, "nothing written");
}

/// Issue 22.10: a 200 MB line was read whole (990 MB resident) before
/// etcd refused it. The reader stops at its cap (a few times the request
/// limit) and says which line and key; the process never holds the line.
#[tokio::test(flavor = "multi_thread")]
async fn a_200_mb_line_is_refused_without_holding_it() {
    use std::io::Write;
    let etcd = Etcd::single().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.jsonl");
    export_file(&file, b"/i/", &[(b"/i/a", b"1".to_vec())]);
    const LINE: usize = 200 << 20;
    {
        let mut f = std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&file)
                .unwrap(),
        );
        f.write_all(b"{\"key\":\"/i/huge\",\"value\":\"").unwrap();
        let chunk = vec![b'v'; 1 << 20];
        for _ in 0..LINE >> 20 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}\n").unwrap();
    }
    // The peak is the child's own (VmHWM, which it writes at exit): the
    // kernel's figure for a child (wait4's ru_maxrss) also counts this
    // test process's memory at the spawn, which other tests can make
    // larger than the line.
    let report = dir.path().join("report");
    let out = Command::new(BIN)
        .args(["--endpoints", &etcd.endpoints()[0]])
        .arg("--bench-report")
        .arg(&report)
        .args(["import", file.to_str().unwrap(), "--to", "/o/", "--dry-run"])
        .env("ETCDLENS_JOURNAL", dir.path().join("j"))
        .env_remove("ETCDCTL_ENDPOINTS")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("line 3 (key /i/huge) is longer than"), "{err}");
    let report = std::fs::read_to_string(&report).unwrap();
    let peak = report
        .trim()
        .strip_prefix("peak_rss_kb=")
        .and_then(|kb| kb.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("report: {report:?}"))
        * 1024;
    assert!(peak > 0, "report: {report:?}");
    assert!(
        peak < LINE,
        "peak resident {} MiB for a {} MiB line: {err}",
        peak >> 20,
        LINE >> 20
    );
}

/// Issue 22.11: after a `kill -9` half way through an import, the next
/// run — the CLI and the TUI — names what was left unfinished: what, when,
/// where, how many keys it journaled, how to check and finish it. Once
/// finished, nothing more is said.
#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_half_way_is_named_by_the_next_run() {
    let etcd = Etcd::single().await;
    let client = etcd.client().await;
    let keys: Vec<Vec<u8>> = (0..40_000)
        .map(|i| format!("/src/d{:02}/k{i:05}", i % 97).into_bytes())
        .collect();
    etcd.put_keys(&keys).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let file = dir.path().join("src.jsonl");
    let file_s = file.to_str().unwrap();
    ok(&lens(&etcd, &journal, &["export", "/src/", "-o", file_s]));
    let count = |c: &Client| {
        let mut c = c.clone();
        async move {
            c.get(
                "/dst/",
                Some(GetOptions::new().with_prefix().with_count_only()),
            )
            .await
            .unwrap()
            .count() as u64
        }
    };
    let mut child = Command::new(BIN)
        .args(["--endpoints", &etcd.endpoints()[0]])
        .args(["import", file_s, "--to", "/dst/", "--yes"])
        .env("ETCDLENS_JOURNAL", &journal)
        .env_remove("ETCDCTL_ENDPOINTS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once keys are in etcd and the first of them journaled.
    let journaled = || std::fs::read_to_string(&journal).is_ok_and(|t| t.contains("\"key\":"));
    while count(&client).await == 0 || !journaled() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was seen"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    // Transactions already sent still commit after the kill: count once
    // the number stops moving (seen under load: a count taken at once
    // missed some).
    let mut written = count(&client).await;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let now = count(&client).await;
        if now == written {
            break;
        }
        written = now;
    }
    assert!(written < 40_000, "killed half way: {written} written");

    // The next run of the CLI says it, then plans as usual.
    let out = lens(
        &etcd,
        &journal,
        &["import", file_s, "--to", "/dst/", "--dry-run"],
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    let head = format!("etcdlens: interrupted: the import of {file_s} → /dst/ started ");
    assert!(err.starts_with(&head), "{err}");
    assert!(
        err.contains(&format!("(pid {}) never finished", child.id())),
        "{err}"
    );
    let journaled = number_before(&err, " of its 40000 keys were written and journaled");
    assert!(
        journaled > 0 && journaled <= written,
        "{written} written: {err}"
    );
    assert!(
        err.contains(&format!(
            "`etcdlens import {file_s} --to /dst/ --dry-run` shows what is left"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // The TUI says it on its status bar.
    let tmux = common::tmux::Tmux::start(&format!(
        "ETCDLENS_JOURNAL={} {BIN} --endpoints {}",
        journal.display(),
        etcd.endpoints()[0]
    ));
    let screen = tmux.wait_for("interrupted: the import of");
    assert!(screen.contains("never finished"), "{screen}");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");

    // Finished: the next run says nothing more.
    let out = ok(&lens(
        &etcd,
        &journal,
        &["import", file_s, "--to", "/dst/", "--yes"],
    ));
    assert!(
        out.contains(&format!("{} created", 40_000 - written)),
        "{out}"
    );
    assert_eq!(count(&client).await, 40_000);
    let out = lens(
        &etcd,
        &journal,
        &["import", file_s, "--to", "/dst/", "--dry-run"],
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("interrupted"), "{err}");
}

/// Runs the binary against `etcd` with `args`: (exit code, stdout, stderr).
fn run(etcd: &Etcd, journal: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = lens(etcd, journal, args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 22.20: empty and odd destinations. `import --to ''` said etcd's
/// "key is not provided" and `copy /x/ ''` printed a double space: an
/// empty destination is refused in words (an empty source is shown as
/// `''`). `move /x/ /xx` made `/xxk1` without a word: the plan warns that
/// the destination lacks the delimiter and shows the first key as it
/// would be; `--yes` alone does not confirm it (no one reads the warning
/// in a script), a person typing yes on a terminal does.
#[tokio::test(flavor = "multi_thread")]
async fn empty_and_odd_destinations_are_refused_or_warned_about() {
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    client.put("/x/k1", "1", None).await.unwrap();
    client.put("/x/k2", "2", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let file = dir.path().join("x.jsonl");
    let file_s = file.to_str().unwrap();
    ok(&lens(&etcd, &journal, &["export", "/x/", "-o", file_s]));
    let before = revision(&mut client).await;
    let empty = "the destination prefix is empty: the keys would lose their prefix /x/ and land at the top of the keyspace";
    for args in [
        vec!["import", file_s, "--to", "", "--yes"],
        vec!["copy", "/x/", "", "--yes"],
        vec!["move", "/x/", "", "--dry-run"],
    ] {
        let (code, _, err) = run(&etcd, &journal, &args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(empty), "{args:?}: {err}");
        assert!(!err.contains("  "), "{args:?}: {err}");
    }
    let (code, _, err) = run(&etcd, &journal, &["copy", "", "/y/", "--yes"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("'' (the whole keyspace) and /y/ overlap"),
        "{err}"
    );
    assert!(!err.contains("  "), "{err}");

    let warning = "warning: the destination /xx does not end with / as the source /x/ does: keys will be /xxk1, …";
    let (code, out, _) = run(&etcd, &journal, &["move", "/x/", "/xx", "--dry-run"]);
    assert_eq!(code, Some(0));
    assert!(out.contains(warning), "{out}");
    let (code, out, err) = run(&etcd, &journal, &["move", "/x/", "/xx", "--yes"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.contains(warning), "{out}");
    assert!(
        err.contains("not applied: --yes does not confirm a plan with a warning"),
        "{err}"
    );
    assert_eq!(revision(&mut client).await, before, "nothing written");

    // On a terminal, typing yes confirms it.
    let tmux = common::tmux::Tmux::start(&format!(
        "ETCDLENS_JOURNAL={} {BIN} --endpoints {} move /x/ /xx",
        journal.display(),
        etcd.endpoints()[0]
    ));
    let screen = tmux.wait_for("apply this plan? type yes");
    assert!(screen.contains(warning), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "-l", "yes"]);
    tmux.send(&["Enter"]);
    tmux.wait_for("EXIT=0");
    let moved = dump(&mut client, b"/xx").await;
    assert_eq!(
        moved.keys().cloned().collect::<Vec<_>>(),
        vec![b"k1".to_vec(), b"k2".to_vec()]
    );
}

/// Issue 22.20: `import -` reads standard input, so `export -o -` piped
/// into it copies a prefix; an export header with a byte order mark is
/// read, one of an unknown version is named as such (not "not an export
/// header"); `export ''` (the whole keyspace) works.
#[tokio::test(flavor = "multi_thread")]
async fn import_reads_stdin_a_bom_and_names_an_unknown_version() {
    use std::process::Stdio;
    let etcd = Etcd::single().await;
    let mut client = etcd.client().await;
    client.put("/x/k1", "1", None).await.unwrap();
    client.put("/x/k2", vec![0u8, 0xff], None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let endpoint = etcd.endpoints()[0].clone();
    let mut export = Command::new(BIN)
        .args(["--endpoints", &endpoint, "export", "/x/", "-o", "-"])
        .env_remove("ETCDCTL_ENDPOINTS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let import = Command::new(BIN)
        .args([
            "--endpoints",
            &endpoint,
            "import",
            "-",
            "--to",
            "/z/",
            "--yes",
        ])
        .env("ETCDLENS_JOURNAL", &journal)
        .env_remove("ETCDCTL_ENDPOINTS")
        .stdin(export.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(export.wait().unwrap().success());
    let out = ok(&import);
    assert!(
        out.contains("plan: import stdin: /x/ → /z/: 2 created"),
        "{out}"
    );
    assert!(out.contains("2 applied"), "{out}");
    assert_eq!(
        dump(&mut client, b"/z/").await,
        BTreeMap::from([
            (b"k1".to_vec(), b"1".to_vec()),
            (b"k2".to_vec(), vec![0u8, 0xff])
        ])
    );

    // The whole keyspace ('') exports too (etcd refuses an empty key).
    let all = dir.path().join("all.jsonl");
    ok(&lens(
        &etcd,
        &journal,
        &["export", "", "-o", all.to_str().unwrap()],
    ));
    let (prefix, keys) = read_export(&all);
    assert_eq!(prefix, b"");
    assert_eq!(keys.len(), 4, "/x/ and /z/");

    let file = dir.path().join("x.jsonl");
    ok(&lens(
        &etcd,
        &journal,
        &["export", "/x/", "-o", file.to_str().unwrap()],
    ));
    let text = std::fs::read(&file).unwrap();
    let bom = dir.path().join("bom.jsonl");
    std::fs::write(&bom, [&b"\xef\xbb\xbf"[..], &text].concat()).unwrap();
    let out = ok(&lens(
        &etcd,
        &journal,
        &["import", bom.to_str().unwrap(), "--to", "/b/", "--dry-run"],
    ));
    assert!(out.contains("2 created"), "{out}");
    let v2 = dir.path().join("v2.jsonl");
    std::fs::write(
        &v2,
        "{\"format\":\"etcdlens-export\",\"version\":2,\"origin\":{}}\n",
    )
    .unwrap();
    let (code, _, err) = run(
        &etcd,
        &journal,
        &["import", v2.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 1: an etcdlens export of version 2, which this etcdlens does not know"),
        "{err}"
    );
}
