//! Named contexts from a config file, through the binary.

use crate::common;

use std::process::Command;

use common::Etcd;

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

fn config(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("config.toml");
    std::fs::write(&p, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn contexts_are_listed_chosen_and_overridden_by_flags() {
    let etcd = Etcd::single().await;
    let dir = tempfile::tempdir().unwrap();
    let dead = etcdlens::demo::cluster::free_ports(1).unwrap()[0];
    let path = config(
        dir.path(),
        &format!(
            "default_context = \"dead\"\n\n[contexts.dead]\nendpoints = [\"127.0.0.1:{dead}\"]\ndial_timeout = \"1s\"\n\n[contexts.live]\nendpoints = [\"{}\"]\nread_only = true\n\n[contexts.inline]\nuser = \"bob:hunter2\"\ncolor = \"red\"\n",
            etcd.endpoints()[0]
        ),
    );
    let run = |args: &[&str]| common::lens_with_config(&path, &[], args);
    let (code, out, _) = run(&["contexts"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("dead (default)") && out.contains("live") && out.contains("read-only"),
        "{out}"
    );
    assert!(
        out.contains("user=bob\t") && !out.contains("hunter2"),
        "{out}"
    );
    assert!(out.contains("color=red"), "{out}");
    // The default context's endpoint is used...
    let (code, _, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains(&format!("127.0.0.1:{dead}")), "{err}");
    // ...a named one connects (then needs a terminal: exit 1)...
    let (code, _, err) = run(&["--context", "live"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
    // ...and a flag beats the context.
    let (code, _, err) = run(&["--context", "dead", "--endpoints", &etcd.endpoints()[0]]);
    assert_eq!(code, Some(1), "{err}");
    let (code, _, err) = run(&["--context", "nope"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no context \"nope\""), "{err}");
}

/// `[keys]` rebinds keys; a mistake there is one line and exit 2, before
/// anything connects.
#[test]
fn a_bad_key_binding_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = |text: &str| {
        let path = config(dir.path(), text);
        let out = Command::new(BIN)
            .env("ETCDLENS_CONFIG", &path)
            .args(["--endpoints", "127.0.0.1:1"])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run("[keys]\nfly = \"f\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("[keys]: unknown action \"fly\""), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (code, err) = run("[keys]\nedit = \"Hyper-x\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("is not a key"), "{err}");
    // A good table passes (and the unreachable endpoint is what stops it).
    let (code, err) = run("[keys]\nedit = \"i\"\nquit = [\"q\", \"Ctrl-q\"]\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot connect"), "{err}");
}

/// `theme` picks the colours; an unknown one names the file and line;
/// `NO_COLOR` (not empty) wins over either.
#[test]
fn the_theme_is_read_and_no_color_wins() {
    use etcdlens::ui::theme::Theme;
    let dir = tempfile::tempdir().unwrap();
    let load = |text: &str| etcdlens::config::load(&config(dir.path(), text));
    assert_eq!(
        load("theme = \"light\"\n").unwrap().theme,
        Some(Theme::Light)
    );
    assert_eq!(load("theme = \"dark\"\n").unwrap().theme, Some(Theme::Dark));
    assert_eq!(load("").unwrap().theme, None);
    let err = load("\ntheme = \"blue\"\n").unwrap_err();
    assert!(err.contains("config.toml (line 2, column 9)"), "{err}");
    assert!(err.contains("dark") && err.contains("light"), "{err}");
    let no_color = std::ffi::OsStr::new("1");
    assert_eq!(Theme::Light.with_no_color(Some(no_color)), Theme::NoColor);
    assert_eq!(
        Theme::Light.with_no_color(Some(std::ffi::OsStr::new(""))),
        Theme::Light
    );
    assert_eq!(Theme::Dark.with_no_color(None), Theme::Dark);
    // `nocolor` is not a theme one can write: NO_COLOR is the way.
    assert!(load("theme = \"nocolor\"\n").is_err());
}

/// `:ctx` in the real binary: from one cluster to another (its keys, its
/// watch, its read-only and its badge), then to a context whose endpoint is
/// dead: the second cluster's tree stays, with one line saying why.
#[tokio::test(flavor = "multi_thread")]
async fn ctx_switches_between_two_clusters_in_the_terminal() {
    use common::tmux::Tmux;
    let a = Etcd::single().await;
    let b = Etcd::single().await;
    let mut ca = a.client().await;
    let mut cb = b.client().await;
    ca.put("/app/alpha-one", "1", None).await.unwrap();
    cb.put("/app/beta-one", "2", None).await.unwrap();
    cb.put("/other/beta-two", "3", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dead = etcdlens::demo::cluster::free_ports(1).unwrap()[0];
    let path = config(
        dir.path(),
        &format!(
            "default_context = \"staging\"\n\n[contexts.staging]\nendpoints = [\"{}\"]\ncolor = \"green\"\n\n[contexts.prod]\nendpoints = [\"{}\"]\nread_only = true\ncolor = \"#ff0000\"\n\n[contexts.dead]\nendpoints = [\"127.0.0.1:{dead}\"]\ndial_timeout = \"1s\"\n",
            a.endpoints()[0],
            b.endpoints()[0]
        ),
    );
    let tmux = Tmux::start(&format!(
        "env -u ETCDCTL_ENDPOINTS ETCDLENS_CONFIG={} {BIN}",
        path.display()
    ));
    let screen = tmux.wait_for("alpha-one");
    assert!(screen.contains("ctx staging"), "{screen}");
    // The first cluster serves our watch...
    let watchers = |etcd: &Etcd| {
        common::metric(
            &etcd.endpoints()[0],
            "etcd_debugging_mvcc_watcher_total",
            "",
        )
    };
    common::wait_until("the watch on the first cluster", || watchers(&a) >= 1.0);
    // The list, then a switch by name.
    tmux.send(&[":", "ctx", "Enter"]);
    tmux.wait_for("Contexts (3)");
    tmux.send(&["Escape", ":", "ctx prod", "Enter"]);
    tmux.wait_for("switched to ctx prod");
    let screen = tmux.wait_for("other/");
    assert!(
        screen.contains("ctx prod") && screen.contains("READ-ONLY"),
        "{screen}"
    );
    assert!(!screen.contains("alpha-one"), "{screen}");
    // ...and no longer once switched: the old connection's tasks are gone.
    common::wait_until("the first cluster's watch to close", || watchers(&a) == 0.0);
    assert!(watchers(&b) >= 1.0);
    // The new cluster's watch runs; the old one's is gone.
    ca.put("/app/alpha-late", "x", None).await.unwrap();
    cb.put("/other/beta-live", "y", None).await.unwrap();
    let screen = tmux.wait_for("/other/beta-live");
    assert!(!screen.contains("alpha-late"), "{screen}");
    // Read-only came with the context.
    tmux.send(&["j", "l", "j", "d"]);
    tmux.wait_for("read-only: ");
    // A dead context: nothing changes but the status line.
    tmux.send(&[":", "ctx dead", "Enter"]);
    let screen = tmux.wait_for("cannot switch to ctx dead: tcp connect error");
    assert!(screen.contains("(still on ctx prod)"), "{screen}");
    assert!(
        screen.contains("other/") && screen.contains("ctx prod"),
        "{screen}"
    );
    assert!(!screen.contains("alpha-one"), "{screen}");
    // Still live on the second cluster.
    cb.put("/other/beta-after", "z", None).await.unwrap();
    tmux.wait_for("/other/beta-after");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Issue 22.14: a config.toml readable by others that holds a password —
/// as `password = …` or inside `user = "name:password"` — is warned about
/// inside the TUI too, for the whole session (the warning on stderr is
/// hidden by the screen until quitting).
#[tokio::test(flavor = "multi_thread")]
async fn a_readable_config_with_a_password_is_warned_about_in_the_tui() {
    use common::tmux::Tmux;
    use std::os::unix::fs::PermissionsExt;
    let etcd = Etcd::single().await;
    etcd.client().await.put("/app/k", "v", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (text, holders) in [
        (
            "[contexts.prod]\nuser = \"root:secret\"\n",
            "(context prod)",
        ),
        (
            "[contexts.other]\nuser = \"bob\"\npassword = \"pw\"\n",
            "(context other)",
        ),
    ] {
        let path = config(
            dir.path(),
            &format!(
                "default_context = \"local\"\n\n[contexts.local]\nendpoints = [\"{}\"]\n\n{text}",
                etcd.endpoints()[0]
            ),
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let tmux = Tmux::start(&format!(
            "env -u ETCDCTL_ENDPOINTS ETCDLENS_CONFIG={} {BIN}",
            path.display()
        ));
        let screen = tmux.wait_for("app/");
        assert!(tmux.alternate_screen_on());
        assert!(
            screen.contains(&format!("holds a password {holders} and is readable")),
            "{screen}"
        );
        // Still there while the user goes on.
        tmux.send(&["j", "l"]);
        tmux.wait_for("Value /app/k");
        assert!(tmux.screen().contains("holds a password"));
        tmux.send(&["q"]);
        let screen = tmux.wait_for("EXIT=0");
        assert!(screen.contains("warning: "), "{screen}");
    }
}

/// Runs the binary as `lens_with_config` does, in a session of its own:
/// no controlling terminal, as under cron or a pipeline.
fn lens_without_tty(config: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(BIN);
    cmd.env("ETCDLENS_CONFIG", config)
        .env_remove("ETCDCTL_ENDPOINTS")
        .env_remove("ETCDCTL_PASSWORD")
        .env_remove("ETCDCTL_USER")
        .args(args)
        .stdin(std::process::Stdio::null());
    // SAFETY: setsid in the child before exec, nothing else.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 22.20: configuration mistakes are one line naming what to fix.
/// `endpoints = []` names its context (it used to panic); `--user` without
/// a password and without a terminal says to set ETCDCTL_PASSWORD; a
/// default_context naming no context gives way, with a warning, to
/// endpoints given explicitly (and to `etcdlens contexts`), and is still an
/// error without them.
#[tokio::test(flavor = "multi_thread")]
async fn configuration_mistakes_name_what_to_fix() {
    let etcd = Etcd::single().await;
    let ep = etcd.endpoints()[0].clone();
    let dir = tempfile::tempdir().unwrap();
    let path = config(
        dir.path(),
        "default_context = \"empty\"\n\n[contexts.empty]\nendpoints = []\n",
    );
    let (code, err) = lens_without_tty(&path, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("context \"empty\" in ") && err.contains("endpoints = [] names no endpoint"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let none = dir.path().join("none.toml");
    let (code, err) = lens_without_tty(&none, &["--endpoints", &ep, "--user", "root"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("cannot ask for the password of root") && err.contains("set ETCDCTL_PASSWORD"),
        "{err}"
    );

    let path = config(
        dir.path(),
        &format!("default_context = \"gone\"\n\n[contexts.live]\nendpoints = [\"{ep}\"]\n"),
    );
    // With endpoints given: a warning, then on (to the terminal it needs).
    let (code, err) = lens_without_tty(&path, &["--endpoints", &ep]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("warning: default_context \"gone\" in ")
            && err.contains("names no context: ignored"),
        "{err}"
    );
    assert!(err.contains("needs a terminal"), "{err}");
    let (code, out, err) = common::lens_with_config(&path, &[], &["contexts"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("live"), "{out}");
    // Without: still an error, saying what would do.
    let (code, err) = lens_without_tty(&path, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("default_context names no context \"gone\"")
            && err.contains("--endpoints connects without one"),
        "{err}"
    );
}
