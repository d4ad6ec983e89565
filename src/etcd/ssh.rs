//! Reaching a cluster through an SSH jump host: the system `ssh` with one
//! local port forward per endpoint (`-L 127.0.0.1:LOCAL:HOST:PORT`), so the
//! user's ssh config, agent and known_hosts apply. `ssh` lives as long as
//! the `Tunnel`: killed when it is dropped (a context switch), and by the
//! kernel when etcdlens ends (a quit, which does not wait to drop every
//! task, a panic, a `kill -9`).

use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lines of ssh's stderr kept (the last says why it failed).
const KEPT_LINES: usize = 16;

/// One endpoint forwarded: `host:port` as seen from the jump host, and the
/// local port on 127.0.0.1 that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub host: String,
    pub port: u16,
    pub local: u16,
}

/// A running `ssh -N -L …`.
pub struct Tunnel {
    destination: String,
    forwards: Vec<Forward>,
    child: Mutex<Child>,
    said: Arc<Mutex<Said>>,
    /// Lines ssh had written when the forwards opened.
    said_before_open: u64,
}

impl std::fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tunnel")
            .field("destination", &self.destination)
            .field("forwards", &self.forwards)
            .finish()
    }
}

/// ssh's stderr, read without blocking whenever it is asked about (and
/// every second, so a long session never fills the pipe): a line ssh wrote
/// before closing a forwarded connection is there when that connection is
/// seen closed.
struct Said {
    pipe: Option<ChildStderr>,
    partial: Vec<u8>,
    lines: VecDeque<String>,
    /// Lines read so far.
    total: u64,
}

impl Said {
    fn new(pipe: Option<ChildStderr>) -> Said {
        if let Some(p) = &pipe {
            use std::os::fd::AsRawFd;
            // SAFETY: fcntl on a pipe this process owns.
            unsafe {
                let fd = p.as_raw_fd();
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
        }
        Said {
            pipe,
            partial: Vec::new(),
            lines: VecDeque::new(),
            total: 0,
        }
    }

    /// Reads what the pipe holds now.
    fn drain(&mut self) {
        let Some(pipe) = &mut self.pipe else { return };
        let mut buf = [0u8; 4096];
        let end = loop {
            match pipe.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => self.partial.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break e.kind() != std::io::ErrorKind::WouldBlock,
            }
        };
        while let Some(at) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=at).collect();
            self.push(&line);
        }
        if end {
            let rest = std::mem::take(&mut self.partial);
            self.push(&rest);
            self.pipe = None;
        }
    }

    fn push(&mut self, line: &[u8]) {
        let line = String::from_utf8_lossy(line).trim().to_string();
        if line.is_empty() {
            return;
        }
        tracing::debug!(line = %line, "ssh");
        if self.lines.len() == KEPT_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.total += 1;
    }
}

/// An endpoint's host and port (`host:port`, `[v6]:port`; no scheme).
pub fn host_port(endpoint: &str) -> Option<(String, u16)> {
    let uri: tonic::transport::Uri = format!("http://{endpoint}").parse().ok()?;
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Some((host.to_string(), uri.port_u16()?))
}

/// `host` as ssh's `-L` wants it (an IPv6 address in brackets).
fn ssh_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Ports the OS says are free on 127.0.0.1 (held until all are chosen, so
/// none repeats).
fn free_local_ports(n: usize) -> Result<Vec<u16>, String> {
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("no free local port for the SSH tunnel: {e}"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string()))
        .collect()
}

impl Tunnel {
    /// Starts `ssh` forwarding a local port to each endpoint (schemes
    /// stripped; the same `host:port` once) through `destination`
    /// (`user@host`, or a `Host` of the ssh config), with `config` as its
    /// config file when given, and waits until every forwarded port accepts
    /// connections, at most `timeout`. A failure is one line ending with
    /// what ssh said last.
    pub async fn open(
        destination: &str,
        config: Option<&Path>,
        endpoints: &[String],
        timeout: Duration,
    ) -> Result<Tunnel, String> {
        let esc = crate::escape::escape_str;
        let mut targets: Vec<(String, u16)> = Vec::new();
        for endpoint in endpoints {
            let rest = ["https://", "http://"]
                .iter()
                .find_map(|s| endpoint.strip_prefix(s))
                .unwrap_or(endpoint);
            let target = host_port(rest).ok_or_else(|| {
                format!(
                    "endpoint {} has no host:port for the SSH tunnel to forward to",
                    esc(endpoint)
                )
            })?;
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        let locals = free_local_ports(targets.len())?;
        let forwards: Vec<Forward> = targets
            .into_iter()
            .zip(locals)
            .map(|((host, port), local)| Forward { host, port, local })
            .collect();
        let mut cmd = Command::new("ssh");
        cmd.args([
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "BatchMode=yes",
        ])
        // ssh's own error ("Connection timed out") rather than ours.
        .arg("-o")
        .arg(format!("ConnectTimeout={}", timeout.as_secs().max(1)));
        if let Some(config) = config {
            cmd.arg("-F").arg(config);
        }
        for f in &forwards {
            cmd.arg("-L").arg(format!(
                "127.0.0.1:{}:{}:{}",
                f.local,
                ssh_host(&f.host),
                f.port
            ));
        }
        // `--`: a destination is never read as an option.
        cmd.arg("--").arg(destination);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: a Ctrl-C in `$EDITOR` (the terminal
            // then in cooked mode) does not reach it.
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to
        // send SIGTERM to this child when the thread that started it (a
        // runtime thread, or the main one: they last as long as etcdlens)
        // ends, so a killed etcdlens leaves no tunnel behind.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        tracing::info!(destination, forwards = ?forwards, "starting ssh");
        let mut child = cmd.spawn().map_err(|e| format!("cannot start ssh: {e}"))?;
        let said = Arc::new(Mutex::new(Said::new(child.stderr.take())));
        let mut tunnel = Tunnel {
            destination: destination.to_string(),
            forwards,
            child: Mutex::new(child),
            said,
            said_before_open: 0,
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut open = vec![false; tunnel.forwards.len()];
        loop {
            let exited = tunnel.child.lock().unwrap().try_wait();
            match exited {
                Ok(Some(status)) => {
                    let code = status
                        .code()
                        .map_or_else(|| status.to_string(), |c| format!("exit {c}"));
                    // It has ended: the pipe holds everything it wrote.
                    return Err(match tunnel.last_line() {
                        Some(said) => {
                            format!("ssh {} failed ({code}): {}", esc(destination), esc(&said))
                        }
                        None => format!("ssh {} failed ({code})", esc(destination)),
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(format!("ssh {}: {e}", esc(destination))),
            }
            // What it says from here on is about the forwards.
            let said_so_far = {
                let mut said = tunnel.said.lock().unwrap();
                said.drain();
                said.total
            };
            for (f, open) in tunnel.forwards.iter().zip(open.iter_mut()) {
                if !*open {
                    *open = tokio::net::TcpStream::connect(("127.0.0.1", f.local))
                        .await
                        .is_ok();
                }
            }
            if open.iter().all(|o| *o) {
                tracing::info!(destination, "ssh tunnel open");
                tunnel.said_before_open = said_so_far;
                // Keeps the pipe from filling over a long session.
                let said = Arc::downgrade(&tunnel.said);
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        match said.upgrade() {
                            Some(said) => said.lock().unwrap().drain(),
                            None => break,
                        }
                    }
                });
                return Ok(tunnel);
            }
            if tokio::time::Instant::now() >= deadline {
                let said = tunnel
                    .last_line()
                    .map(|s| format!(": {}", esc(&s)))
                    .unwrap_or_default();
                return Err(format!(
                    "ssh {}: the forwarded ports did not open within {}{said}",
                    esc(destination),
                    humantime::format_duration(timeout)
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The local port forwarded to `host:port`, if it is one of ours.
    pub fn local_port(&self, host: &str, port: u16) -> Option<u16> {
        self.forwards
            .iter()
            .find(|f| f.host == host && f.port == port)
            .map(|f| f.local)
    }

    pub fn forwards(&self) -> &[Forward] {
        &self.forwards
    }

    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// The last line ssh wrote on stderr.
    fn last_line(&self) -> Option<String> {
        let mut said = self.said.lock().unwrap();
        said.drain();
        said.lines.back().cloned()
    }

    /// The last line ssh wrote on stderr once the forwards were open (a
    /// connection it could not forward: `channel 2: open failed: …`).
    pub fn last_message(&self) -> Option<String> {
        let mut said = self.said.lock().unwrap();
        said.drain();
        (said.total > self.said_before_open)
            .then(|| said.lines.back().cloned())
            .flatten()
    }

    /// The `ssh` process's id.
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Kills `ssh` now (and reaps it: a killed process ends at once).
    pub fn stop(&self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
            let _ = child.wait();
            tracing::info!(destination = %self.destination, "ssh tunnel stopped");
        }
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_become_host_and_port() {
        assert_eq!(host_port("10.0.0.1:2379"), Some(("10.0.0.1".into(), 2379)));
        assert_eq!(host_port("etcd-1:2379"), Some(("etcd-1".into(), 2379)));
        assert_eq!(host_port("[fd00::1]:2379"), Some(("fd00::1".into(), 2379)));
        assert_eq!(host_port("etcd-1"), None);
        assert_eq!(ssh_host("fd00::1"), "[fd00::1]");
        assert_eq!(ssh_host("etcd-1"), "etcd-1");
    }
}
