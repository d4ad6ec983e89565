//! End to end: the built binary in a real terminal (tmux), against a real
//! etcd, driven with the SPEC's keys, read back from the screen.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::tmux::Tmux;
use common::Etcd;

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

async fn etcd_with_data() -> Etcd {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put(
        "/app/config",
        r#"{"name":"api","port":8080,"tls":true}"#,
        None,
    )
    .await
    .unwrap();
    c.put("/app/flags/beta", "on", None).await.unwrap();
    c.put("/app/blob", vec![0u8, 1, 2, 0xff, 0x1b], None)
        .await
        .unwrap();
    c.put("/evil\x1b]2;pwned\x07", "\x1b[2Jcleared?", None)
        .await
        .unwrap();
    etcd
}

#[tokio::test(flavor = "multi_thread")]
async fn browse_open_directory_and_read_json_value() {
    let etcd = etcd_with_data().await;
    let tmux = Tmux::start(&format!("{BIN} --endpoints {}", etcd.endpoints()[0]));
    // The root holds only "/", which opens by itself.
    let screen = tmux.wait_for("app/");
    assert!(
        screen.contains("evil\\x1b]2;pwned\\x07"),
        "key shown escaped:\n{screen}"
    );
    assert!(tmux.alternate_screen_on());
    tmux.send(&["j", "l"]);
    tmux.wait_for("config");
    // Rows: /, app/, blob, config, flags/, evil… : go to config.
    tmux.send(&["j", "j"]);
    let screen = tmux.wait_for("\"port\": 8080");
    assert!(screen.contains("Value /app/config"), "{screen}");
    assert!(screen.contains("json"), "{screen}");
    // Binary value: hex dump.
    tmux.send(&["k"]);
    tmux.wait_for("00 01 02 ff 1b");
    // The evil value is shown escaped, the screen was not cleared by it.
    tmux.send(&["G"]);
    let screen = tmux.wait_for("\\x1b[2Jcleared?");
    assert!(screen.contains("Keys"), "{screen}");
    // Help, then quit.
    tmux.send(&["?"]);
    tmux.wait_for("etcdlens help");
    tmux.send(&["Escape", "q"]);
    tmux.wait_for("EXIT=0");
    assert!(!tmux.alternate_screen_on(), "terminal restored");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_restores_the_terminal() {
    let etcd = etcd_with_data().await;
    let tmux = Tmux::start(&format!("{BIN} --endpoints {}", etcd.endpoints()[0]));
    tmux.wait_for("app/");
    let pid = tmux.app_pid();
    assert!(!pid.is_empty());
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    tmux.wait_for("EXIT=0");
    assert!(!tmux.alternate_screen_on());
}

#[tokio::test(flavor = "multi_thread")]
async fn panic_restores_the_terminal() {
    let etcd = etcd_with_data().await;
    let tmux = Tmux::start(&format!(
        "RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 ETCDLENS_TEST_PANIC=1 {BIN} --endpoints {}",
        etcd.endpoints()[0]
    ));
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("test panic requested"), "{screen}");
    assert!(!screen.contains("EXIT=0"), "{screen}");
    assert!(!tmux.alternate_screen_on());
    assert!(!tmux.mouse_captured(), "mouse capture released");
}

/// An abort runs no destructor and no panic hook (an allocation failure,
/// a stack overflow): the SIGABRT handler puts the terminal back — main
/// screen, mouse released, the settings from before raw mode — and the
/// process still ends by SIGABRT (134).
#[tokio::test(flavor = "multi_thread")]
async fn an_abort_restores_the_terminal() {
    let etcd = etcd_with_data().await;
    let tmux = Tmux::start(&format!("{BIN} --endpoints {}", etcd.endpoints()[0]));
    let tty = tmux.run(&["display-message", "-p", "-t", "t", "#{pane_tty}"]);
    let settings = || {
        let out = Command::new("stty")
            .args(["-a", "-F", tty.trim()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    tmux.wait_for("app/");
    let has = |stty: &str, mode: &str| stty.split_whitespace().any(|w| w == mode);
    assert!(has(&settings(), "-icanon"), "raw while running");
    let pid = tmux.app_pid();
    assert!(!pid.is_empty());
    Command::new("kill").args(["-ABRT", &pid]).status().unwrap();
    common::wait_until("etcdlens to end", || tmux.app_pid().is_empty());
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=134"), "{screen}");
    assert!(screen.contains("etcdlens: aborted"), "{screen}");
    assert!(!tmux.alternate_screen_on(), "{screen}");
    assert!(!tmux.mouse_captured(), "mouse capture released");
    let stty = settings();
    for mode in ["icanon", "echo", "isig", "opost"] {
        assert!(has(&stty, mode), "{mode} restored: {stty}");
    }
}

/// Clicks as a terminal sends them: a double click opens a directory, a
/// click selects a key and shows its value; the mouse is released on exit.
#[tokio::test(flavor = "multi_thread")]
async fn mouse_clicks_open_and_select_and_the_mouse_is_released() {
    let etcd = etcd_with_data().await;
    let tmux = Tmux::start(&format!("{BIN} --endpoints {}", etcd.endpoints()[0]));
    tmux.wait_for("app/");
    assert!(tmux.mouse_captured());
    // Rows (inside the Keys border, from screen row 1): /, app/, evil… .
    tmux.click(4, 2);
    tmux.click(4, 2);
    tmux.wait_for("config");
    // Now /, app/, blob, config, …: one click on config shows it.
    tmux.click(6, 4);
    let screen = tmux.wait_for("\"port\": 8080");
    assert!(screen.contains("Value /app/config"), "{screen}");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
    assert!(!tmux.alternate_screen_on());
    assert!(!tmux.mouse_captured(), "mouse capture released");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_cluster_exits_2_with_one_line() {
    common::isolate_from_user_config();
    // A port nobody listens on.
    let port = etcdlens::demo::cluster::free_ports(1).unwrap()[0];
    let out = Command::new(BIN)
        .args([
            "--endpoints",
            &format!("127.0.0.1:{port}"),
            "--dial-timeout",
            "1s",
        ])
        .env_remove("ETCDCTL_ENDPOINTS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot connect to 127.0.0.1"), "{stderr}");
    assert!(out.stdout.is_empty(), "terminal untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoints_come_from_the_etcdctl_variable() {
    let etcd = etcd_with_data().await;
    let tmux = Tmux::start(&format!(
        "ETCDCTL_ENDPOINTS={} {BIN} --prefix /app/",
        etcd.endpoints()[0]
    ));
    let screen = tmux.wait_for("flags/");
    assert!(screen.contains("Keys /app/"), "{screen}");
    assert!(!screen.contains("evil"), "outside the prefix:\n{screen}");
    tmux.send(&["C-c"]);
    tmux.wait_for("EXIT=0");
    assert!(
        !tmux.alternate_screen_on(),
        "terminal restored after Ctrl-c"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn etcdctl_changes_show_in_events_and_tree() {
    let etcd = etcd_with_data().await;
    let ep = etcd.endpoints()[0].clone();
    let tmux = Tmux::start(&format!("{BIN} --endpoints {ep} --prefix /app/"));
    tmux.wait_for("flags/");
    tmux.wait_for("Events /app/ (0)");
    let etcdctl = |args: &[&str]| {
        let out = common::etcdctl()
            .args(["--endpoints", &ep])
            .args(args)
            .output()
            .expect("etcdctl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    etcdctl(&["put", "/app/fresh-key", "hello"]);
    let screen = tmux.wait_for("+ /app/fresh-key  hello");
    assert!(
        screen.contains("  fresh-key"),
        "new key in the tree:\n{screen}"
    );
    etcdctl(&["del", "/app/config"]);
    let screen = tmux.wait_for("DELETE   /app/config");
    assert!(screen.contains("Events /app/ (2)"), "{screen}");
    // The markers are explained on the pane's border (issue 22.20).
    assert!(
        screen.contains(
            "+ created  ~ value changed  = updated, no change seen  ? previous value not read yet"
        ),
        "{screen}"
    );
    // The tree lost the key (the Value pane title may still name it).
    let keys_pane: String = screen
        .lines()
        .map(|l| l.chars().take(60).collect::<String>() + "\n")
        .collect();
    assert!(!keys_pane.contains("config"), "{keys_pane}");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

#[tokio::test(flavor = "multi_thread")]
async fn leader_pane_follows_a_takeover() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let spawn = |proposal: &str| {
        Command::new(BIN)
            .args([
                "--endpoints",
                &ep,
                "campaign",
                "/testelection",
                proposal,
                "--ttl",
                "1",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut node1 = spawn("node1");
    std::thread::sleep(Duration::from_millis(500));
    let mut node2 = spawn("node2");
    let tmux = Tmux::start(&format!("{BIN} --endpoints {ep} --election /testelection"));
    tmux.wait_for("/testelection leader node1");
    // node2 queues behind it (its campaign may start after the first frame).
    tmux.wait_for("1. node2");
    node1.kill().unwrap(); // SIGKILL: its 1 s lease runs out
    node1.wait().unwrap();
    let screen = tmux.wait_for("/testelection leader node2");
    assert!(
        screen.contains("LEADER  /testelection node1 → node2"),
        "{screen}"
    );
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
    node2.kill().unwrap();
    node2.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn edit_in_place_and_invalid_json_is_refused_on_screen() {
    let etcd = etcd_with_data().await;
    let ep = etcd.endpoints()[0].clone();
    let journal = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_JOURNAL={}/j.jsonl {BIN} --endpoints {ep} --prefix /app/",
        journal.path().display()
    ));
    tmux.wait_for("flags/");
    // Rows: blob, config, flags/ — select config.
    tmux.send(&["j"]);
    tmux.wait_for("\"port\": 8080");
    tmux.send(&["e"]);
    tmux.wait_for("Edit /app/config");
    tmux.send(&["End", "BSpace", ",", "C-s"]);
    tmux.wait_for("invalid JSON (line 1");
    tmux.send(&["BSpace", ",\"retries\":3}"]);
    tmux.wait_for("valid JSON");
    tmux.send(&["C-s"]);
    tmux.wait_for("saved /app/config at rev");
    let out = common::etcdctl()
        .args([
            "--endpoints",
            &ep,
            "get",
            "/app/config",
            "--print-value-only",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"name":"api","port":8080,"tls":true,"retries":3}"#
    );
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// The `:` line as a user types it (Tab completion, a command with an
/// argument, an unknown one), and a key rebound in config.toml.
#[tokio::test(flavor = "multi_thread")]
async fn command_line_and_rebound_keys() {
    let etcd = etcd_with_data().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[keys]\nhelp = \"F1\"\n").unwrap();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_CONFIG={} {BIN} --endpoints {}",
        config.display(),
        etcd.endpoints()[0]
    ));
    tmux.wait_for("app/");
    tmux.send(&[":", "c", "l", "u", "Tab"]);
    tmux.wait_for(":cluster");
    tmux.send(&["Enter"]);
    tmux.wait_for("Cluster — refreshed every");
    tmux.send(&["Escape"]);
    // Arguments complete from what the tree has loaded: open app/.
    tmux.send(&["j", "l"]);
    tmux.wait_for("flags/");
    tmux.send(&[":", "watch /app/fl", "Tab"]);
    tmux.wait_for(":watch /app/flags/");
    tmux.send(&["Enter"]);
    tmux.wait_for("Events /app/flags/ (0)");
    tmux.send(&[":", "fly", "Enter"]);
    tmux.wait_for("unknown command :fly");
    // `?` no longer opens the help; F1 does, and lists F1 for it.
    tmux.send(&["?"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!tmux.screen().contains("etcdlens help"));
    tmux.send(&["F1"]);
    let screen = tmux.wait_for("etcdlens help");
    assert!(
        screen.contains("F1") && screen.contains("this help"),
        "{screen}"
    );
    tmux.send(&["Escape", ":", "q", "Enter"]);
    tmux.wait_for("EXIT=0");
    assert!(!tmux.alternate_screen_on());
}

/// Issue 16.1: `G` in the Value pane shows the last bytes of a value whose
/// lines wrap (one 200,003-character line; CJK text), and the position
/// in the pane's footer is the true one.
#[tokio::test(flavor = "multi_thread")]
async fn value_pane_end_shows_the_last_bytes_of_wrapped_lines() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let mut c = etcd.client().await;
    let long: Vec<String> = (0..25000).map(|i| format!("{i:07}")).collect();
    let long = long.join(" ") + " END";
    assert_eq!(long.len(), 200_003);
    c.put("/v/a-long", long, None).await.unwrap();
    let cjk: Vec<String> = (0..10)
        .map(|i| format!("{i}行目") + &"漢字かな交じり文".repeat(40))
        .collect();
    c.put("/v/b-cjk", cjk.join("\n") + "末尾END2", None)
        .await
        .unwrap();
    let tmux = Tmux::start(&format!("{BIN} --endpoints {ep} --prefix /v/"));
    tmux.wait_for("a-long");
    tmux.wait_for("0000001 0000002");
    tmux.send(&["Tab", "G"]);
    let screen = tmux.wait_for("0024999 END");
    assert!(screen.contains("line 1/1"), "{screen}");
    // The footer names the last row as shown: rows A–R/R.
    let footer = screen
        .lines()
        .find(|l| l.contains("line 1/1"))
        .unwrap()
        .to_string();
    let rows = footer.split("rows ").nth(1).expect("rows in the footer");
    let (range, total) = rows.split_once('/').unwrap();
    let total: String = total.chars().take_while(char::is_ascii_digit).collect();
    assert!(range.ends_with(&format!("–{total}")), "{footer}");
    // g goes back to the first bytes.
    tmux.send(&["g"]);
    tmux.wait_for("0000000 0000001");
    tmux.send(&["BTab", "j", "Tab", "G"]);
    let screen = tmux.wait_for("末尾END2");
    // The top row is in the 8th line (7行目) of 10; rows 50–70 of 70 shown.
    assert!(screen.contains("line 8/10 · rows 50–70/70"), "{screen}");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Issue 16.4: a log file that cannot be written never prints on the
/// terminal (tracing-subscriber's own error line included).
#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_log_file_prints_nothing_on_the_terminal() {
    let etcd = etcd_with_data().await;
    let ep = etcd.endpoints()[0].clone();
    let tmux = Tmux::start(&format!(
        "{BIN} --endpoints {ep} --prefix /app/ --log-file /dev/full"
    ));
    tmux.wait_for("flags/");
    tmux.send(&["j", "r"]);
    tmux.wait_for("\"port\": 8080");
    // Said in the status bar instead, for the rest of the session.
    let screen = tmux.wait_for("⚠ log failed");
    assert!(!screen.contains("Unable to write"), "{screen}");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("EXIT=0");
    assert!(!screen.contains("tracing-subscriber"), "{screen}");
    assert!(!screen.contains("Unable to write"), "{screen}");
}

/// Issue 16.6: escapes in the endpoints (flag, variable, context) are shown
/// escaped in the one error line, never sent to the terminal raw.
#[tokio::test(flavor = "multi_thread")]
async fn escapes_in_endpoints_are_escaped_in_the_error_line() {
    let port = etcdlens::demo::cluster::free_ports(1).unwrap()[0];
    let evil = format!("127.0.0.1:{port}\x1b]2;pwned\x07");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contexts.evil]\nendpoints = [\"{}\"]\n",
            evil.replace('\x1b', "\\u001b").replace('\x07', "\\u0007")
        ),
    )
    .unwrap();
    let runs: [(&[&str], Option<&str>); 3] = [
        (&["--endpoints", &evil], None),
        (&[], Some(&evil)),
        (&["--context", "evil"], None),
    ];
    for (args, env) in runs {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .args(["--dial-timeout", "1s"])
            .env("ETCDLENS_CONFIG", &config)
            .env_remove("ETCDCTL_ENDPOINTS");
        if let Some(e) = env {
            cmd.env("ETCDCTL_ENDPOINTS", e);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {stderr}");
        assert!(
            !stderr.contains('\x1b'),
            "{args:?}: raw escape in {stderr:?}"
        );
        assert!(!stderr.contains('\x07'), "{args:?}: raw BEL in {stderr:?}");
        assert!(
            stderr.contains("\\x1b]2;pwned\\x07"),
            "{args:?}: {stderr:?}"
        );
    }
}

/// Issue 16.2: a recording that fails (`--record /dev/full`) shows a
/// warning in the status bar that stays.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_record_file_is_a_persistent_warning() {
    let etcd = etcd_with_data().await;
    let ep = etcd.endpoints()[0].clone();
    let tmux = Tmux::start(&format!(
        "{BIN} --endpoints {ep} --prefix /app/ --record /dev/full"
    ));
    tmux.wait_for("Events /app/ (0)");
    let out = common::etcdctl()
        .args(["--endpoints", &ep, "put", "/app/fresh", "x"])
        .output()
        .unwrap();
    assert!(out.status.success());
    tmux.wait_for("Events /app/ (1)");
    let screen = tmux.wait_for("⚠ record /dev/full failed");
    assert!(screen.contains("No space left on device"), "{screen}");
    // Other messages come and go; the warning stays.
    tmux.send(&["j", "?", "Escape"]);
    tmux.wait_for("\"port\": 8080");
    tmux.wait_for("⚠ record /dev/full failed");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Issue 16.2: a journal that cannot be written (or no HOME to put it in):
/// the save says the undo copy was not kept, and a warning stays.
#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_journal_is_said_on_save_and_stays_as_a_warning() {
    let etcd = etcd_with_data().await;
    let ep = etcd.endpoints()[0].clone();
    let envs = [
        "ETCDLENS_JOURNAL=/dev/null/journal.jsonl",
        "-u ETCDLENS_JOURNAL -u HOME -u XDG_DATA_HOME",
    ];
    for env in envs {
        let tmux = Tmux::start(&format!(
            "env {env} {BIN} --endpoints {ep} --prefix /app/flags/"
        ));
        tmux.wait_for("beta");
        // The value is shown (else `e` has nothing to edit yet).
        tmux.wait_for("lease none");
        tmux.send(&["e"]);
        tmux.wait_for("Edit /app/flags/beta");
        tmux.send(&["End", "!", "C-s"]);
        let screen = tmux.wait_for("undo copy was NOT kept");
        assert!(
            screen.contains("saved /app/flags/beta at rev"),
            "{env}: {screen}"
        );
        assert!(screen.contains("⚠ undo journal"), "{env}: {screen}");
        tmux.send(&["u"]);
        let screen = tmux.wait_for("⚠ undo journal");
        assert!(!screen.contains("has not written"), "{env}: {screen}");
        tmux.send(&["q"]);
        tmux.wait_for("EXIT=0");
    }
}

/// Issue 16.3: the inline editor shows the right text on a line longer
/// than 65,535 characters (the text area keeps its viewport in 16 bits).
#[tokio::test(flavor = "multi_thread")]
async fn the_editor_shows_the_end_of_a_200k_character_line() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let mut c = etcd.client().await;
    let long: Vec<String> = (0..25000).map(|i| format!("{i:07}")).collect();
    let value = format!("first\n{} END\nlast", long.join(" "));
    c.put("/e/long", value.clone(), None).await.unwrap();
    let journal = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_JOURNAL={}/j.jsonl {BIN} --endpoints {ep} --prefix /e/",
        journal.path().display()
    ));
    tmux.wait_for("0000001 0000002");
    tmux.send(&["e"]);
    tmux.wait_for("Edit /e/long");
    tmux.send(&["Down", "End"]);
    tmux.wait_for("0024999 END");
    tmux.send(&["X", "Y", "Z"]);
    tmux.wait_for("0024999 ENDXYZ");
    tmux.send(&["C-s"]);
    tmux.wait_for("saved /e/long at rev");
    let got = c.get("/e/long", None).await.unwrap();
    let got = String::from_utf8_lossy(got.kvs()[0].value()).into_owned();
    assert!(got.ends_with(" ENDXYZ\nlast"), "{}", &got[got.len() - 30..]);
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Issue 16.8: Ctrl-c in the editor with unsaved text asks before quitting
/// (as Esc does); n keeps the text, y quits and restores the terminal.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_in_the_editor_asks_before_dropping_the_text() {
    let etcd = etcd_with_data().await;
    let ep = etcd.endpoints()[0].clone();
    let journal = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_JOURNAL={}/j.jsonl {BIN} --endpoints {ep} --prefix /app/flags/",
        journal.path().display()
    ));
    tmux.wait_for("beta");
    // The value is shown (else `e` has nothing to edit yet).
    tmux.wait_for("size 2 B");
    tmux.send(&["e"]);
    tmux.wait_for("Edit /app/flags/beta");
    tmux.send(&["End", "typed-text", "C-c"]);
    let screen = tmux.wait_for("discard your changes and quit? y/N");
    assert!(screen.contains("ontyped-text"), "{screen}");
    tmux.send(&["n"]);
    let screen = tmux.wait_for("cancelled: nothing was written");
    assert!(screen.contains("ontyped-text"), "text kept:\n{screen}");
    tmux.send(&["C-c"]);
    tmux.wait_for("discard your changes and quit? y/N");
    tmux.send(&["y"]);
    tmux.wait_for("EXIT=0");
    assert!(!tmux.alternate_screen_on());
}

/// Issue 14: `D` on the find's row deletes every result after `yes`;
/// `Enter` in a leased key's Value pane opens its lease, `Enter` there
/// lists its keys.
#[tokio::test(flavor = "multi_thread")]
async fn find_deletes_all_results_and_the_value_pane_opens_a_lease() {
    let etcd = etcd_with_data().await;
    let mut c = etcd.client().await;
    let lease = c.lease_grant(600, None).await.unwrap().id();
    c.put(
        "/app/leased",
        "x",
        Some(etcd_client::PutOptions::new().with_lease(lease)),
    )
    .await
    .unwrap();
    let journal = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "env ETCDLENS_JOURNAL={} {BIN} --endpoints {} --prefix /app/",
        journal.path().join("j.jsonl").display(),
        etcd.endpoints()[0]
    ));
    tmux.wait_for("config");
    // "b" finds blob and flags/beta.
    tmux.send(&["F", "b", "Enter"]);
    tmux.wait_for("find: \"b\" (2)");
    tmux.send(&["D"]);
    let screen = tmux.wait_for("type yes to delete them all");
    assert!(screen.contains("delete 2 keys found for \"b\""), "{screen}");
    tmux.send(&["y", "e", "s", "Enter"]);
    tmux.wait_for("2 deleted, 0 skipped (changed since the search)");
    let left = c
        .get(
            "/app/",
            Some(
                etcd_client::GetOptions::new()
                    .with_prefix()
                    .with_keys_only(),
            ),
        )
        .await
        .unwrap();
    let keys: Vec<&[u8]> = left.kvs().iter().map(|kv| kv.key()).collect();
    assert_eq!(keys, [&b"/app/config"[..], b"/app/leased"]);

    // The leased key's value, then Enter in its Value pane.
    tmux.send(&["Escape", "F", "l", "e", "a", "s", "e", "d", "Enter"]);
    tmux.wait_for("find: \"leased\" (1)");
    tmux.send(&["j"]);
    tmux.wait_for(&format!("lease {lease:x}"));
    tmux.send(&["Tab", "Enter"]);
    tmux.wait_for("Leases (1)");
    tmux.send(&["Enter"]);
    tmux.wait_for(&format!("find: \"lease {lease:x}\" (1)"));
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Issue 22.17 in a terminal: `D` on 10,001 keys says in the question that
/// they are too many to journal; the result stays with its hint until a
/// key (Esc) dismisses it.
#[tokio::test(flavor = "multi_thread")]
async fn a_big_prefix_delete_warns_first_and_its_result_waits_for_a_key() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let mut ops = Vec::new();
    for i in 0..10_001 {
        ops.push(etcd_client::TxnOp::put(format!("/big/k{i:05}"), "v", None));
        if ops.len() == 128 || i == 10_000 {
            c.txn(etcd_client::Txn::new().and_then(std::mem::take(&mut ops)))
                .await
                .unwrap();
        }
    }
    c.put("/keep", "v", None).await.unwrap();
    let journal = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_JOURNAL={}/j.jsonl {BIN} --endpoints {}",
        journal.path().display(),
        etcd.endpoints()[0]
    ));
    // Rows: /, big/, keep.
    tmux.wait_for("big/");
    tmux.send(&["j", "D"]);
    let screen = tmux.wait_for("Delete a prefix");
    let text = screen
        .replace(['│', '┃'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Delete 10,001 keys under /big/ in one transaction? Over 10,000 keys: too many to journal, u cannot restore them."),
        "{screen}"
    );
    tmux.send(&["yes", "Enter"]);
    let screen = tmux.wait_for("deleted 10001 keys under /big/");
    assert!(
        screen.contains("(too many to journal: u cannot restore them) · any key dismisses"),
        "{screen}"
    );
    tmux.send(&["Escape"]);
    common::wait_until("the result dismissed", || {
        !tmux.screen().contains("deleted 10001 keys")
    });
    assert!(tmux.screen().contains("keep"));
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// A 3-member cluster filled until NOSPACE, recovered in a real terminal:
/// the status bar names `R`, the plan's four steps, `yes`, then `n` after
/// each step's result; afterwards no alarm and puts succeed.
#[tokio::test(flavor = "multi_thread")]
async fn nospace_recovery_in_a_real_terminal() {
    let etcd = Etcd::small_quota(3).await;
    let mut c = etcd.client().await;
    common::fill_to_nospace(&mut c, 4, 100).await;
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&format!(
        "ETCDLENS_JOURNAL={}/j.jsonl {BIN} --endpoints {}",
        dir.path().display(),
        etcd.endpoints().join(",")
    ));
    tmux.wait_for("fill/");
    tmux.send(&["M"]);
    tmux.wait_for("writes fail (R: recovery plan)");
    tmux.send(&["R"]);
    let screen = tmux.wait_for("NOSPACE recovery");
    assert!(screen.contains("4. check"), "{screen}");
    // The test write under /check/ (the offered prefix replaced).
    tmux.send(&["Up", "BSpace"]);
    tmux.send_raw("/check/");
    tmux.send(&["Down"]);
    tmux.send_raw("yes");
    tmux.send(&["Enter"]);
    tmux.wait_for_secs("step 1 of 4 done", 30);
    tmux.send(&["n"]);
    tmux.wait_for_secs("step 2 of 4 done", 90);
    tmux.send(&["n"]);
    tmux.wait_for_secs("step 3 of 4 done", 30);
    tmux.send(&["n"]);
    let screen = tmux.wait_for_secs("NOSPACE recovery: every step done", 30);
    assert!(
        screen.contains("test write: /check/etcdlens-recovery-check-"),
        "{screen}"
    );
    assert!(
        !screen.contains("NOSPACE: database space exceeded"),
        "{screen}"
    );
    common::assert_no_alarm(&mut c).await;
    c.put("/after", "ok", None).await.unwrap();
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}
