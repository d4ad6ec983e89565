//! The fleet (`:fleet`, `etcdlens fleet`): every context of config.toml
//! in one table, each probed on its own (`etcd::fleet`), asked again every
//! few seconds while the view is open.

pub mod update;

use std::time::{Duration, Instant};

use crate::etcd::fleet::Probe;

/// How often the view asks every context again.
pub const REFRESH: Duration = Duration::from_secs(5);

/// One context's row.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRow {
    pub name: String,
    /// The last probe's answer (`None`: not answered yet).
    pub probe: Option<Result<Probe, String>>,
    /// Revisions per second between its last two answers.
    pub rate: Option<f64>,
    /// A probe is in flight (none is sent again meanwhile).
    pub asking: bool,
}

impl FleetRow {
    pub fn new(name: &str) -> FleetRow {
        FleetRow {
            name: name.to_string(),
            probe: None,
            rate: None,
            asking: false,
        }
    }

    /// A probe's answer: revisions per second from the previous answer.
    pub fn answered(&mut self, result: Result<Probe, String>) {
        self.asking = false;
        self.rate = match (&self.probe, &result) {
            (Some(Ok(before)), Ok(now)) if now.at > before.at => {
                let secs = now.at.duration_since(before.at).as_secs_f64();
                Some((now.revision - before.revision).max(0) as f64 / secs)
            }
            _ => None,
        };
        self.probe = Some(result);
    }
}

/// The `:fleet` view.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetView {
    pub rows: Vec<FleetRow>,
    pub selected: usize,
    pub offset: usize,
    /// When every context was last asked.
    pub asked: Option<Instant>,
}

impl FleetView {
    pub fn new(names: impl IntoIterator<Item = String>) -> FleetView {
        FleetView {
            rows: names.into_iter().map(|n| FleetRow::new(&n)).collect(),
            selected: 0,
            offset: 0,
            asked: None,
        }
    }

    /// Whether it is time to ask again at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.asked
            .is_none_or(|at| now.saturating_duration_since(at) >= REFRESH)
    }
}
