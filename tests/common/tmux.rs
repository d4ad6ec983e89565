//! A tmux server of the test's own, to run the built binary in a real
//! terminal and read the screen back.

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `command` in a 160×45 terminal; when it ends, the pane prints
    /// `EXIT=<code>` and stays open.
    pub fn start(command: &str) -> Tmux {
        let socket = format!("etcdlens-test-{}-{}", std::process::id(), rand_suffix());
        let t = Tmux { socket };
        let script = format!("{command}; echo EXIT=$?; sleep 600");
        t.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "160",
            "-y",
            "45",
            &script,
        ]);
        t
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn send(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "t", k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Writes `bytes` to the pane's input as they are (e.g. the escape
    /// sequence a terminal sends for a mouse click).
    pub fn send_raw(&self, bytes: &str) {
        self.run(&["send-keys", "-t", "t", "-l", bytes]);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// A left click (press and release, SGR encoding) on a cell, 0-based.
    pub fn click(&self, column: u16, row: u16) {
        let (x, y) = (column + 1, row + 1);
        self.send_raw(&format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m"));
    }

    /// Whether the program in the pane asked for mouse reports.
    pub fn mouse_captured(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "t", "#{mouse_any_flag}"])
            .trim()
            == "1"
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// Waits until the screen contains `needle`; panics with the screen.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_for_secs(needle, 15)
    }

    /// [`Tmux::wait_for`], waiting up to `secs`.
    pub fn wait_for_secs(&self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return self.settled(screen, needle);
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {needle:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The screen once a frame is drawn whole: a capture can land while the
    /// terminal is mid-frame (seen on a loaded machine), so capture again
    /// until two captures 50 ms apart agree (at most a second), keeping the
    /// last one that still shows `needle`.
    fn settled(&self, mut screen: String, needle: &str) -> String {
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(50));
            let again = self.screen();
            if again == screen || !again.contains(needle) {
                break;
            }
            screen = again;
        }
        screen
    }

    pub fn alternate_screen_on(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "t", "#{alternate_on}"])
            .trim()
            == "1"
    }

    /// Pid of etcdlens (the child of the pane's shell).
    pub fn app_pid(&self) -> String {
        let shell = self.run(&["display-message", "-p", "-t", "t", "#{pane_pid}"]);
        let out = Command::new("pgrep")
            .args(["-P", shell.trim(), "etcdlens"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}
