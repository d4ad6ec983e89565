//! TCP proxies on the members' advertised peer ports, to cut one member
//! off from the others (a network partition on 127.0.0.1).
//!
//! Members listen for peers on their own ports and advertise a proxy's;
//! every raft connection goes through a proxy. Raft connections run both
//! ways (a member dials a peer's URL to read what that peer sends), so a
//! cut member must lose both: connections to its own proxy, and the ones
//! it opened to the others'. Whether the cut member opened a connection
//! is found by its source port: the socket's inode in `/proc/net/tcp`,
//! held by the member's process or not (`/proc/PID/fd`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

struct Conn {
    /// The member the connection goes to.
    to: usize,
    /// Its source port (whose socket the opening process holds).
    from_port: u16,
    task: AbortHandle,
}

#[derive(Default)]
struct Shared {
    /// (member, its pid) cut off, if any.
    cut: Option<(usize, u32)>,
    conns: Vec<Conn>,
}

pub struct PeerProxies {
    /// The ports the members advertise (one per member).
    pub ports: Vec<u16>,
    listeners: Vec<Option<TcpListener>>,
    shared: Arc<Mutex<Shared>>,
    tasks: Vec<AbortHandle>,
}

impl PeerProxies {
    /// Binds `n` proxy ports (before the members start: they advertise
    /// them).
    pub async fn bind(n: usize) -> PeerProxies {
        let mut listeners = Vec::new();
        let mut ports = Vec::new();
        for _ in 0..n {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            ports.push(l.local_addr().unwrap().port());
            listeners.push(Some(l));
        }
        PeerProxies {
            ports,
            listeners,
            shared: Arc::default(),
            tasks: Vec::new(),
        }
    }

    /// Starts forwarding proxy `i` to member `i`'s real peer port.
    pub fn forward(&mut self, targets: &[u16]) {
        for (i, &target) in targets.iter().enumerate() {
            let listener = self.listeners[i].take().expect("forward once");
            let shared = self.shared.clone();
            let task = tokio::spawn(async move {
                loop {
                    let Ok((inbound, from)) = listener.accept().await else {
                        return;
                    };
                    let cut = shared.lock().unwrap().cut;
                    if let Some((member, pid)) = cut {
                        if member == i || holds_port(pid, from.port()) {
                            continue; // dropped: the member is cut off
                        }
                    }
                    let conn = tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await
                        else {
                            return;
                        };
                        let mut inbound = inbound;
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    });
                    let mut s = shared.lock().unwrap();
                    s.conns.retain(|c| !c.task.is_finished());
                    s.conns.push(Conn {
                        to: i,
                        from_port: from.port(),
                        task: conn.abort_handle(),
                    });
                }
            });
            self.tasks.push(task.abort_handle());
        }
    }

    /// Cuts member `member` (running as `pid`) off from its peers: its
    /// connections both ways are closed, new ones refused.
    pub fn cut(&self, member: usize, pid: u32) {
        let mut s = self.shared.lock().unwrap();
        s.cut = Some((member, pid));
        for c in &s.conns {
            if c.to == member || holds_port(pid, c.from_port) {
                c.task.abort();
            }
        }
    }

    /// Lets the cut member reach its peers again.
    pub fn heal(&self) {
        self.shared.lock().unwrap().cut = None;
    }
}

impl Drop for PeerProxies {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        for c in &self.shared.lock().unwrap().conns {
            c.task.abort();
        }
    }
}

/// Whether process `pid` holds the loopback TCP socket whose local port
/// is `port` (the other end of a connection accepted here).
fn holds_port(pid: u32, port: u16) -> bool {
    let mut inodes = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let Some(local) = cols.get(1) else { continue };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) {
                if let Some(inode) = cols.get(9) {
                    inodes.insert(format!("socket:[{inode}]"));
                }
            }
        }
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|t| inodes.contains(t.to_string_lossy().as_ref()))
    })
}
