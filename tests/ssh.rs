//! Endpoints reached through an SSH jump host (`--ssh`, a context's `ssh`):
//! a real sshd on 127.0.0.1 (tests/common/sshd.rs) in front of real etcd.
//! The system `ssh` forwards a local port per endpoint; TLS is still
//! checked against the endpoint's own host; ssh ends with the connection
//! (drop, `:ctx` switch, quit, panic); a failing ssh is one line with what
//! ssh said.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::sshd::{is_dead, ssh_processes, Sshd};
use common::Etcd;
use etcdlens::etcd::{connect, ConnSettings};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

fn through(sshd: &Sshd, destination: &str, endpoints: Vec<String>) -> ConnSettings {
    ConnSettings {
        endpoints,
        ssh: Some(destination.into()),
        ssh_config: Some(sshd.client_config.clone()),
        dial_timeout: Duration::from_secs(10),
        command_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Runs etcdlens with `args` (no terminal, no config file unless `config`);
/// (exit code, stdout, stderr).
fn lens(config: Option<&Path>, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .env(
            "ETCDLENS_CONFIG",
            config.unwrap_or(Path::new("/nonexistent/etcdlens-test/config.toml")),
        )
        .env_remove("ETCDCTL_ENDPOINTS")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The library: the client talks to a local forward, through ssh (killing
/// ssh cuts it off), and ssh ends when the connection is dropped.
#[tokio::test(flavor = "multi_thread")]
async fn etcd_is_reached_through_the_jump_host_and_ssh_ends_with_the_connection() {
    let etcd = Etcd::single().await;
    let sshd = Sshd::start(true);
    let mut direct = etcd.client().await;
    direct.put("/app/config", "1", None).await.unwrap();
    let endpoint = etcd.endpoints()[0].clone();
    let conn = connect(&through(&sshd, "bastion", vec![endpoint.clone()]))
        .await
        .unwrap_or_else(|e| panic!("{e}; sshd: {}", sshd.log()));
    let tunnel = conn.tunnel.clone().expect("a tunnel");
    let forward = &tunnel.forwards()[0];
    let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!((forward.host.as_str(), forward.port), ("127.0.0.1", port));
    assert_ne!(forward.local, port);
    assert_eq!(conn.label(), format!("{endpoint} via ssh bastion"));
    let mut c = conn.client.clone();
    let got = c.get("/app/config", None).await.unwrap();
    assert_eq!(got.kvs()[0].value(), b"1");
    assert_eq!(ssh_processes(&sshd.client_config).len(), 1);

    // Dropping every handle on the connection stops its ssh.
    let pid = tunnel.pid();
    drop((tunnel, c, conn));
    common::wait_until("ssh to stop with the connection", || is_dead(pid));

    // The requests go through ssh: without it they fail.
    let conn = connect(&through(&sshd, "bastion", vec![endpoint]))
        .await
        .unwrap();
    let mut c = conn.client.clone();
    c.put("/app/through", "x", None).await.unwrap();
    let pid = conn.tunnel.as_ref().unwrap().pid();
    // SAFETY: a signal to the ssh this test's connection started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    common::wait_until("ssh to die", || is_dead(pid));
    assert!(c.get("/app/config", None).await.is_err());
}

/// Over TLS, the certificate is checked against the endpoint's host (here
/// `localhost`, its only name), not against the local forward's
/// 127.0.0.1; a certificate for another name is still refused.
#[tokio::test(flavor = "multi_thread")]
async fn tls_through_the_tunnel_is_checked_against_the_endpoints_own_host() {
    let sshd = Sshd::start(true);
    for (names, ok) in [
        (&["localhost"][..], true),
        (&["etcd.example.com"][..], false),
    ] {
        let (etcd, pki) = common::pki::tls_etcd(names).await;
        let ep = etcd.endpoints()[0].clone();
        let port = ep.rsplit(':').next().unwrap();
        let tls = |s: ConnSettings| ConnSettings {
            cacert: Some(pki.ca.clone()),
            cert: Some(pki.client.0.clone()),
            key: Some(pki.client.1.clone()),
            ..s
        };
        // Up: reached directly under the certificate's name.
        common::pki::connect_retrying(&tls(ConnSettings {
            endpoints: vec![ep.clone()],
            tls_server_name: Some(names[0].into()),
            dial_timeout: Duration::from_secs(5),
            ..Default::default()
        }))
        .await
        .expect("etcd is up");
        let far = tls(through(
            &sshd,
            "bastion",
            vec![format!("https://localhost:{port}")],
        ));
        match connect(&far).await {
            Ok(conn) => {
                assert!(ok, "{names:?} accepted for localhost");
                let mut c = conn.client.clone();
                c.put("/tls/through", "x", None).await.unwrap();
            }
            Err(e) => {
                assert!(!ok, "{e}");
                assert!(e.contains("does not match"), "{e}");
            }
        }
    }
}

/// The binary: `--ssh` with `--ssh-config`, and a context's `ssh` and
/// `ssh_config`, export through the tunnel; nothing of ssh is left after.
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reaches_etcd_through_the_flag_or_a_context_and_leaves_no_ssh() {
    let etcd = Etcd::single().await;
    let sshd = Sshd::start(true);
    let mut direct = etcd.client().await;
    direct.put("/app/a", "1", None).await.unwrap();
    direct.put("/app/b", "2", None).await.unwrap();
    let ep = etcd.endpoints()[0].clone();
    let cfg = sshd.client_config.display().to_string();
    let (code, stdout, stderr) = lens(
        None,
        &[
            "--endpoints",
            &ep,
            "--ssh",
            "bastion",
            "--ssh-config",
            &cfg,
            "--dial-timeout",
            "10s",
            "export",
            "/app/",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}; sshd: {}", sshd.log());
    assert!(
        stdout.contains("/app/a") && stdout.contains("/app/b"),
        "{stdout}"
    );
    assert!(stderr.contains("exported 2 keys"), "{stderr}");
    // Ended by the kernel as etcdlens exits: soon after, not before.
    common::wait_until("ssh to stop with etcdlens", || {
        ssh_processes(&sshd.client_config).is_empty()
    });

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_context = \"far\"\n[contexts.far]\nendpoints = [\"{ep}\"]\nssh = \"bastion\"\nssh_config = \"{cfg}\"\ndial_timeout = \"10s\"\n"
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = lens(Some(&config), &["export", "/app/"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("/app/b"), "{stdout}");
    let (_, stdout, _) = lens(Some(&config), &["contexts"]);
    assert!(stdout.contains("ssh=bastion"), "{stdout}");
    common::wait_until("ssh to stop with etcdlens", || {
        ssh_processes(&sshd.client_config).is_empty()
    });
}

/// ssh cannot reach the jump host, the jump host refuses the key, the jump
/// host refuses to forward: exit 2 with one line, ending with what ssh said.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_ssh_is_one_line_with_what_ssh_said_and_exit_2() {
    let etcd = Etcd::single().await;
    let sshd = Sshd::start(true);
    let ep = etcd.endpoints()[0].clone();
    let run = |sshd: &Sshd, destination: &str| {
        let cfg = sshd.client_config.display().to_string();
        lens(
            None,
            &[
                "--endpoints",
                &ep,
                "--ssh",
                destination,
                "--ssh-config",
                &cfg,
                "--dial-timeout",
                "10s",
            ],
        )
    };
    let one_line = |(code, _, stderr): (Option<i32>, String, String), says: &[&str]| {
        assert_eq!(code, Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for s in says {
            assert!(stderr.contains(s), "{s:?} in {stderr}");
        }
    };
    one_line(
        run(&sshd, "nowhere"),
        &[
            &format!("cannot connect to {ep}: ssh nowhere failed (exit 255): ssh: connect to host 127.0.0.1 port"),
            "Connection refused",
        ],
    );
    one_line(
        run(&sshd, "stranger"),
        &[
            "ssh stranger failed (exit 255)",
            "Permission denied (publickey)",
        ],
    );
    // Forwarding off: ssh stays up, each connection to the forward is
    // refused by the jump host, and ssh says why.
    let closed = Sshd::start(false);
    one_line(
        run(&closed, "bastion"),
        &[
            &format!("cannot connect to {ep}: "),
            "(ssh: channel",
            "administratively prohibited",
        ],
    );
    // A failed connection stops its ssh before etcdlens says why.
    for s in [&sshd, &closed] {
        assert!(ssh_processes(&s.client_config).is_empty());
    }
}

/// In the terminal: ssh runs while its context is in use, stops on a switch
/// away and on quit; a context whose ssh fails is the failed-switch line;
/// a panic or a `kill -9` of etcdlens leaves no ssh either.
#[tokio::test(flavor = "multi_thread")]
async fn ssh_lives_as_long_as_its_context_in_the_terminal() {
    use common::tmux::Tmux;
    let etcd = Etcd::single().await;
    let sshd = Sshd::start(true);
    let mut direct = etcd.client().await;
    direct.put("/app/far-key", "1", None).await.unwrap();
    let ep = etcd.endpoints()[0].clone();
    let cfg = sshd.client_config.display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_context = \"far\"\n\
             [contexts.far]\nendpoints = [\"{ep}\"]\nssh = \"bastion\"\nssh_config = \"{cfg}\"\ndial_timeout = \"10s\"\n\
             [contexts.near]\nendpoints = [\"{ep}\"]\n\
             [contexts.broken]\nendpoints = [\"{ep}\"]\nssh = \"nowhere\"\nssh_config = \"{cfg}\"\ndial_timeout = \"10s\"\n"
        ),
    )
    .unwrap();
    let count = || ssh_processes(&sshd.client_config).len();
    let tmux = Tmux::start(&format!(
        "env -u ETCDCTL_ENDPOINTS ETCDLENS_CONFIG={} {BIN}",
        config.display()
    ));
    let screen = tmux.wait_for("app/");
    assert!(screen.contains("via ssh bastion"), "{screen}");
    assert_eq!(count(), 1);
    tmux.send(&[":", "ctx near", "Enter"]);
    tmux.wait_for("switched to ctx near");
    common::wait_until("the far context's ssh to stop", || count() == 0);
    tmux.send(&[":", "ctx broken", "Enter"]);
    let screen = tmux.wait_for("cannot switch to ctx broken");
    // (The line goes on past the screen's edge: `(still on ctx near)`.)
    assert!(
        screen.contains("ssh nowhere failed (exit 255)")
            && screen.contains("Connection refused")
            && screen.contains("ctx near"),
        "{screen}"
    );
    assert_eq!(count(), 0);
    tmux.send(&[":", "ctx far", "Enter"]);
    tmux.wait_for("switched to ctx far");
    assert_eq!(count(), 1);
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
    common::wait_until("ssh to stop on quit", || count() == 0);

    // A panic (the test hook panics once the tree is listed).
    let tmux = Tmux::start(&format!(
        "env -u ETCDCTL_ENDPOINTS ETCDLENS_TEST_PANIC=1 ETCDLENS_CONFIG={} {BIN}",
        config.display()
    ));
    tmux.wait_for("EXIT=");
    common::wait_until("ssh to stop after a panic", || count() == 0);

    // Killed outright (no destructor runs): the kernel ends ssh.
    let tmux = Tmux::start(&format!(
        "env -u ETCDCTL_ENDPOINTS ETCDLENS_CONFIG={} {BIN}",
        config.display()
    ));
    tmux.wait_for("far-key");
    let ssh = ssh_processes(&sshd.client_config);
    assert_eq!(ssh.len(), 1);
    let etcdlens = parent_of(ssh[0]);
    // SAFETY: a signal to the etcdlens this test started (ssh's parent).
    unsafe { libc::kill(etcdlens as i32, libc::SIGKILL) };
    tmux.wait_for("EXIT=137");
    common::wait_until("ssh to stop after kill -9", || count() == 0);
}

/// A process's parent (the 4th field of /proc/PID/stat).
fn parent_of(pid: u32) -> u32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = stat.rsplit_once(')').unwrap();
    rest.split_whitespace().nth(1).unwrap().parse().unwrap()
}
