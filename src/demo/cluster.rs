//! Starting local etcd processes: the demo's 3-member cluster and the test
//! harness's clusters. Everything it starts is killed and its data removed
//! when the `LocalCluster` is dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The ports of the classic goreman Procfile: (client, peer) per member.
pub const CLASSIC_PORTS: [(u16, u16); 3] = [(2379, 12380), (22379, 22380), (32379, 32380)];

pub struct Member {
    pub name: String,
    pub client_port: u16,
    pub peer_port: u16,
    pub data_dir: PathBuf,
    process: Option<Child>,
}

impl Member {
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }
    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }
}

pub struct LocalCluster {
    pub members: Vec<Member>,
    initial_cluster: String,
    token: String,
    dir: tempfile::TempDir,
    extra: Extra,
}

/// More for every member: flags, and whether clients use https.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub args: Vec<String>,
    pub https: bool,
    /// Peer ports the members advertise instead of the ones they listen
    /// on (member by member): a test puts TCP proxies there to cut a
    /// member off from its peers.
    pub advertise_peer_ports: Option<Vec<u16>>,
}

/// The variable naming the etcd binary to run (the demo and the tests), so
/// a user can demo on another release: `ETCDLENS_ETCD=/path/to/etcd`.
pub const ETCD_VAR: &str = "ETCDLENS_ETCD";

/// The etcd binary: `$ETCDLENS_ETCD` when set, else `etcd` on PATH.
pub fn etcd_binary() -> Option<PathBuf> {
    match std::env::var_os(ETCD_VAR) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)).filter(|p| p.is_file()),
        _ => on_path("etcd"),
    }
}

/// The etcdctl of the same release: beside `$ETCDLENS_ETCD` when that is
/// set, else `etcdctl` on PATH.
pub fn etcdctl_binary() -> Option<PathBuf> {
    match std::env::var_os(ETCD_VAR) {
        Some(p) if !p.is_empty() => Path::new(&p)
            .with_file_name("etcdctl")
            .is_file()
            .then(|| Path::new(&p).with_file_name("etcdctl")),
        _ => on_path("etcdctl"),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|p| p.join(name))
        .find(|p| p.is_file())
}

/// Whether a loopback port can be bound right now.
pub fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// `n` distinct ports the OS says are free.
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    // Hold all listeners until every port is chosen, so none repeats.
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

impl LocalCluster {
    /// Starts `n` members on free loopback ports and waits until the
    /// cluster serves requests.
    pub async fn start(n: usize) -> Result<LocalCluster, String> {
        Self::start_with(n, Extra::default()).await
    }

    /// Like `start`, with more flags for every member.
    pub async fn start_with(n: usize, extra: Extra) -> Result<LocalCluster, String> {
        let mut last_err = String::new();
        // A port found free can be taken by someone else before etcd binds
        // it (tests run in parallel): try again with new ports.
        for _ in 0..3 {
            let ports = free_ports(2 * n).map_err(|e| e.to_string())?;
            let pairs: Vec<(u16, u16)> = ports.chunks(2).map(|c| (c[0], c[1])).collect();
            match Self::start_on_with(&pairs, extra.clone()).await {
                Ok(c) => return Ok(c),
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }

    /// Starts one member per (client port, peer port) pair.
    pub async fn start_on(ports: &[(u16, u16)]) -> Result<LocalCluster, String> {
        Self::start_on_with(ports, Extra::default()).await
    }

    pub async fn start_on_with(ports: &[(u16, u16)], extra: Extra) -> Result<LocalCluster, String> {
        let etcd = etcd_binary()
            .ok_or("etcd is not installed: install it with `sudo apt-get install etcd-server`")?;
        let dir = tempfile::Builder::new()
            .prefix("etcdlens-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let members: Vec<Member> = ports
            .iter()
            .enumerate()
            .map(|(i, &(client_port, peer_port))| Member {
                name: format!("infra{}", i + 1),
                client_port,
                peer_port,
                data_dir: dir.path().join(format!("infra{}", i + 1)),
                process: None,
            })
            .collect();
        let advertised = |i: usize, m: &Member| {
            extra
                .advertise_peer_ports
                .as_ref()
                .and_then(|p| p.get(i).copied())
                .unwrap_or(m.peer_port)
        };
        let initial_cluster = members
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{}=http://127.0.0.1:{}", m.name, advertised(i, m)))
            .collect::<Vec<_>>()
            .join(",");
        let token = format!("etcdlens-{}", std::process::id());
        let mut cluster = LocalCluster {
            members,
            initial_cluster,
            token,
            dir,
            extra,
        };
        for i in 0..cluster.members.len() {
            cluster.spawn(&etcd, i)?;
        }
        cluster.wait_ready(Duration::from_secs(30)).await?;
        Ok(cluster)
    }

    fn spawn(&mut self, etcd: &Path, i: usize) -> Result<(), String> {
        let m = &self.members[i];
        let log = std::fs::File::create(self.dir.path().join(format!("{}.log", m.name)))
            .map_err(|e| e.to_string())?;
        let scheme = if self.extra.https { "https" } else { "http" };
        let client = format!("{scheme}://127.0.0.1:{}", m.client_port);
        let peer = format!("http://127.0.0.1:{}", m.peer_port);
        let advertised = match self
            .extra
            .advertise_peer_ports
            .as_ref()
            .and_then(|p| p.get(i))
        {
            Some(port) => format!("http://127.0.0.1:{port}"),
            None => peer.clone(),
        };
        let child = Command::new(etcd)
            .args(["--name", &m.name])
            .arg("--data-dir")
            .arg(&m.data_dir)
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &advertised,
            ])
            .args(["--initial-cluster", &self.initial_cluster])
            .args(["--initial-cluster-token", &self.token])
            .args(["--initial-cluster-state", "new"])
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .args(["--logger", "zap", "--log-level", "warn"])
            .args(&self.extra.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start etcd: {e}"))?;
        self.members[i].process = Some(child);
        Ok(())
    }

    /// Waits until every running member answers.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        for i in 0..self.members.len() {
            if !self.members[i].is_running() {
                continue;
            }
            let endpoint = self.members[i].endpoint();
            loop {
                if let Some(status) = self.members[i]
                    .process
                    .as_mut()
                    .and_then(|p| p.try_wait().ok().flatten())
                {
                    self.members[i].process = None;
                    return Err(format!(
                        "etcd member {} exited ({status}); log: {}",
                        self.members[i].name,
                        self.log_tail(i)
                    ));
                }
                // Over TLS the caller's own client checks readiness; here
                // the port being open is enough.
                let ready = if self.extra.https {
                    tokio::net::TcpStream::connect(&endpoint).await.is_ok()
                } else {
                    member_answers(&endpoint).await
                };
                if ready {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "etcd member {} did not become ready; log: {}",
                        self.members[i].name,
                        self.log_tail(i)
                    ));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Where member `i`'s stdout and stderr go (its etcd log: zap JSON
    /// lines, warnings and above unless `--log-level` is given again).
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.dir
            .path()
            .join(format!("{}.log", self.members[i].name))
    }

    fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(3).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    pub fn endpoints(&self) -> Vec<String> {
        let scheme = if self.extra.https { "https://" } else { "" };
        self.members
            .iter()
            .map(|m| format!("{scheme}{}", m.endpoint()))
            .collect()
    }

    /// Kills member `i` with SIGKILL (data kept, so it can be restarted).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.members[i].process.take() {
            let _ = p.kill();
            let _ = p.wait();
        }
    }

    /// The process id of member `i`, while it runs.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.members[i].process.as_ref().map(Child::id)
    }

    /// Stops member `i` with SIGSTOP: it keeps its ports (the kernel
    /// still accepts connections) but answers nothing: a hung member.
    pub fn pause(&self, i: usize) {
        self.signal(i, libc::SIGSTOP);
    }

    /// Lets a paused member run again (SIGCONT).
    pub fn resume(&self, i: usize) {
        self.signal(i, libc::SIGCONT);
    }

    fn signal(&self, i: usize, sig: libc::c_int) {
        if let Some(p) = &self.members[i].process {
            // SAFETY: sending a signal to a child we spawned.
            unsafe {
                libc::kill(p.id() as i32, sig);
            }
        }
    }

    /// Restarts a killed member on the same ports and data.
    pub async fn restart(&mut self, i: usize) -> Result<(), String> {
        let etcd = etcd_binary().ok_or("etcd is not installed")?;
        if !self.members[i].is_running() {
            self.spawn(&etcd, i)?;
        }
        self.wait_ready(Duration::from_secs(30)).await
    }

    /// Stops every member gracefully (SIGTERM, then SIGKILL after a while).
    pub fn stop(&mut self) {
        for m in &mut self.members {
            if let Some(p) = &m.process {
                // SAFETY: sending a signal to a child we spawned.
                unsafe {
                    libc::kill(p.id() as i32, libc::SIGTERM);
                }
            }
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        for m in &mut self.members {
            if let Some(mut p) = m.process.take() {
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = p.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = p.kill();
                let _ = p.wait();
            }
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            // A paused member must run to die of SIGKILL at once? SIGKILL
            // ends a stopped process too; SIGCONT first keeps logs whole.
            self.resume(i);
            self.kill(i);
        }
        // The TempDir removes the data when dropped after this.
    }
}

async fn member_answers(endpoint: &str) -> bool {
    crate::etcd::connect::member_answers(endpoint).await
}
