//! A local sshd (Debian's openssh-server) on 127.0.0.1 and a free port,
//! with its own host key and one authorized key, both made by the test;
//! killed (and its files removed) on drop. `client_config` is an ssh client
//! config for it, given to etcdlens with `--ssh-config` / `ssh_config`:
//!
//! - `bastion`: this sshd, with the authorized key;
//! - `stranger`: this sshd, with a key it does not know;
//! - `nowhere`: a port nobody listens on.
//!
//! Host keys are not checked (`StrictHostKeyChecking no`, known hosts in
//! /dev/null: ssh warns that it added the key, on every start) and the
//! user's agent and own config are not used.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub client_config: PathBuf,
    child: Child,
}

/// The sshd binary (it must be run by its absolute path).
fn sshd_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("sshd"))
            .find(|p| p.is_file())
    });
    on_path
        .or_else(|| Some(PathBuf::from("/usr/sbin/sshd")).filter(|p| p.is_file()))
        .expect("sshd is not installed: `scripts/ensure-deps.sh test` installs openssh-server")
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "etcdlens-test", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Sshd {
    /// Starts sshd; `forwarding`: whether it allows TCP forwarding.
    pub fn start(forwarding: bool) -> Sshd {
        // As root, sshd wants its privilege separation directory, which
        // systemd makes when it starts the service (not the case here).
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 && !Path::new("/run/sshd").is_dir() {
            std::fs::create_dir_all("/run/sshd").expect("mkdir /run/sshd");
        }
        let dir = tempfile::Builder::new()
            .prefix("etcdlens-sshd-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("id"));
        keygen(&d.join("stranger"));
        std::fs::copy(d.join("id.pub"), d.join("authorized_keys")).unwrap();
        let mut last = String::new();
        // A port found free can be taken before sshd binds it: try again.
        for _ in 0..3 {
            let ports = etcdlens::demo::cluster::free_ports(2).unwrap();
            let (port, dead) = (ports[0], ports[1]);
            let config = d.join("sshd_config");
            std::fs::write(
                &config,
                format!(
                    "Port {port}\n\
                     ListenAddress 127.0.0.1\n\
                     HostKey {d}/host_key\n\
                     AuthorizedKeysFile {d}/authorized_keys\n\
                     PidFile none\n\
                     StrictModes no\n\
                     UsePAM no\n\
                     PasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\n\
                     PubkeyAuthentication yes\n\
                     PermitRootLogin prohibit-password\n\
                     AllowTcpForwarding {}\n\
                     LogLevel VERBOSE\n",
                    if forwarding { "yes" } else { "no" },
                    d = d.display()
                ),
            )
            .unwrap();
            let log = d.join("sshd.log");
            let mut child = Command::new(sshd_binary())
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("sshd starts");
            let deadline = Instant::now() + Duration::from_secs(15);
            let up = loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break false;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break true;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break false;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            if !up {
                last = std::fs::read_to_string(&log).unwrap_or_default();
                continue;
            }
            let client_config = d.join("ssh_config");
            std::fs::write(
                &client_config,
                format!(
                    "Host bastion\n  IdentityFile {d}/id\n\
                     Host stranger\n  IdentityFile {d}/stranger\n\
                     Host nowhere\n  Port {dead}\n  IdentityFile {d}/id\n\
                     Host *\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n\
                     \x20 IdentitiesOnly yes\n  IdentityAgent none\n\
                     \x20 PasswordAuthentication no\n\
                     \x20 StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n\
                     \x20 GlobalKnownHostsFile /dev/null\n",
                    d = d.display(),
                    user = user_name()
                ),
            )
            .unwrap();
            return Sshd {
                dir,
                port,
                client_config,
                child,
            };
        }
        panic!("sshd did not start: {last}");
    }

    /// sshd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `ssh` processes running now whose command line names `config`
/// (etcdlens's, given `-F config`), zombies left out.
pub fn ssh_processes(config: &Path) -> Vec<u32> {
    let needle = config.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let is_ssh = args
                .first()
                .is_some_and(|a| a == "ssh" || a.ends_with("/ssh"));
            is_ssh && args.contains(&needle) && !is_dead(*pid)
        })
        .collect()
}

/// Whether `pid` is gone or a zombie (dead, not yet reaped).
pub fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name's closing parenthesis.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}
