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
    pub fn start() -> std::io::Result<Session> {
        use std::io::IsTerminal;
        if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
            return Err(std::io::Error::other(
                "etcdlens needs a terminal (stdin and stdout are not both a tty); for scripts use etcdctl",
            ));
        }
        let terminal = ratatui::try_init()?;
        // Pastes arrive as one event (into the editor), not as keystrokes;
        // mouse clicks and the wheel as mouse events.
        enable_input_modes();
        let restore_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            disable_input_modes();
            restore_hook(info);
        }));
        Ok(Session { terminal })
    }

    /// Leaves the screen to another program, then takes it back.
    pub fn suspend_for<T>(&mut self, f: impl FnOnce() -> T) -> T {
        disable_input_modes();
        ratatui::restore();
        let result = f();
        self.terminal = ratatui::init();
        enable_input_modes();
        let _ = self.terminal.clear();
        result
    }
}

/// Edits `text` in `$VISUAL`, `$EDITOR` or `vi`, in a private (0600)
/// temporary file that is removed afterwards.
pub fn edit_externally(text: &str) -> Result<String, String> {
    let mut file = tempfile::Builder::new()
        .prefix("etcdlens-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    file.write_all(text.as_bytes())
        .and_then(|_| file.flush())
        .map_err(|e| format!("cannot write the temporary file: {e}"))?;
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    // Through sh, so EDITOR="code --wait" works; the path is an argument.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .map_err(|e| format!("cannot run {editor}: {e}"))?;
    if !status.success() {
        return Err(format!("{editor} exited with {status}: nothing saved"));
    }
    let edited =
        std::fs::read(file.path()).map_err(|e| format!("cannot read the edited file: {e}"))?;
    let mut edited =
        String::from_utf8(edited).map_err(|_| "the edited file is not UTF-8 text".to_string())?;
    // Editors add a final newline; keep the value's own ending.
    if !text.ends_with('\n') && edited.ends_with('\n') {
        edited.pop();
    }
    Ok(edited)
}

/// Puts bytes on the terminal's clipboard (OSC 52).
pub fn copy_osc52(bytes: &[u8]) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

impl Drop for Session {
    fn drop(&mut self) {
        disable_input_modes();
        ratatui::restore();
    }
}

fn enable_input_modes() {
    use crossterm::event::{EnableBracketedPaste, EnableMouseCapture};
    let _ = crossterm::execute!(std::io::stdout(), EnableBracketedPaste, EnableMouseCapture);
}

fn disable_input_modes() {
    use crossterm::event::{DisableBracketedPaste, DisableMouseCapture};
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture
    );
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
