//! Terminal set-up and tear-down, signals, and the password prompt.
//!
//! `ratatui::init()` enters raw mode and the alternate screen and installs a
//! panic hook that restores the terminal before the panic message is
//! printed. `Session`'s drop restores it on every other way out, except
//! an abort (an allocation failure, a stack overflow, `kill -ABRT`), which
//! runs no Rust code: for that, a SIGABRT/SIGQUIT handler writes the
//! restoring sequences and puts back the terminal settings saved at the
//! start, then lets the signal end the process as it would have.

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
        abort_restore::install();
        let terminal = ratatui::try_init()?;
        abort_restore::set_active(true);
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
        abort_restore::set_active(false);
        let result = f();
        self.terminal = ratatui::init();
        abort_restore::set_active(true);
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
        abort_restore::set_active(false);
    }
}

/// The terminal put back from a signal handler when the process aborts
/// (`std::alloc`'s "memory allocation of N bytes failed" and a stack
/// overflow both end in `abort()`; no destructor or panic hook runs then).
/// Only async-signal-safe calls: `write`, `tcsetattr`, `raise`.
mod abort_restore {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::OnceLock;

    /// The terminal's settings before raw mode (stdin, the fd crossterm
    /// sets raw when it is a terminal).
    static SAVED: OnceLock<libc::termios> = OnceLock::new();
    /// The TUI has the screen now (not before, after, or while `$EDITOR`
    /// has it).
    static ACTIVE: AtomicBool = AtomicBool::new(false);

    /// Mouse reports off (every mode crossterm turns on), bracketed paste
    /// off, the main screen back, the cursor shown.
    const RESTORE: &[u8] = b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?2004l\x1b[?1049l\x1b[?25h\r\n";
    const NOTE: &[u8] =
        b"etcdlens: aborted (a fatal error such as running out of memory); the terminal was restored\n";

    pub fn set_active(on: bool) {
        ACTIVE.store(on, Ordering::SeqCst);
    }

    /// Saves the terminal's settings (once) and installs the handler.
    pub fn install() {
        if SAVED.get().is_none() {
            // SAFETY: tcgetattr fills a termios we own.
            let mut t: libc::termios = unsafe { std::mem::zeroed() };
            if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } != 0 {
                return;
            }
            let _ = SAVED.set(t);
        }
        for sig in [libc::SIGABRT, libc::SIGQUIT] {
            // SAFETY: a plain sigaction with a handler that only makes
            // async-signal-safe calls.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_fatal as extern "C" fn(libc::c_int) as usize;
                // Once: the handler's own raise then takes the default
                // action (and a second abort() never loops back here).
                sa.sa_flags = libc::SA_RESETHAND | libc::SA_NODEFER;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    }

    extern "C" fn on_fatal(sig: libc::c_int) {
        if ACTIVE.swap(false, Ordering::SeqCst) {
            // SAFETY: write, tcsetattr and raise are async-signal-safe;
            // the buffers are statics.
            unsafe {
                libc::write(libc::STDOUT_FILENO, RESTORE.as_ptr().cast(), RESTORE.len());
                if let Some(t) = SAVED.get() {
                    libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t);
                }
                libc::write(libc::STDERR_FILENO, NOTE.as_ptr().cast(), NOTE.len());
            }
        }
        // The disposition is the default again (SA_RESETHAND): end as the
        // signal would have.
        // SAFETY: raise is async-signal-safe.
        unsafe {
            libc::raise(sig);
        }
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
