//! Terminal set-up and tear-down, signals, and the password prompt.
//!
//! `ratatui::init()` enters raw mode and the alternate screen and installs a
//! panic hook that restores the terminal before the panic message is
//! printed. `Session`'s drop restores it on every other way out.

use std::io::{BufRead, Write};

use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::app::Msg;

/// The terminal in TUI mode; restored when dropped.
pub struct Session {
    pub terminal: DefaultTerminal,
}

impl Session {
    pub fn start() -> Session {
        let terminal = ratatui::init();
        Session { terminal }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Forwards SIGTERM, SIGINT and SIGHUP to the UI loop as `Msg::Signal`, so
/// every signal exit goes through the normal, terminal-restoring path.
pub fn forward_signals(tx: mpsc::Sender<Msg>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = hup.recv() => {}
            }
            if tx.send(Msg::Signal).await.is_err() {
                return;
            }
        }
    });
    Ok(())
}

/// Reads a password from the controlling terminal without echoing it.
pub fn prompt_password(prompt: &str) -> std::io::Result<String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&tty);
    let mut writer = &tty;
    writer.write_all(prompt.as_bytes())?;
    writer.flush()?;
    // SAFETY: plain termios calls on a file descriptor we own for the call.
    let saved = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let saved = t;
        t.c_lflag &= !libc::ECHO;
        t.c_lflag |= libc::ECHONL;
        libc::tcsetattr(fd, libc::TCSANOW, &t);
        saved
    };
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    // SAFETY: restores the settings read above.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &saved);
    }
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
