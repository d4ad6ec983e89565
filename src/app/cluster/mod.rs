//! The cluster view's model (`C`, `:cluster`): members, health, alarms.

pub mod update;

use std::time::{Duration, Instant};

use crate::app::msg::Cmd;
use crate::etcd::types::ClusterInfo;

/// How often the cluster is asked while the view is open.
pub const OPEN_EVERY: Duration = Duration::from_secs(3);
/// How often it is asked in the background (for the status bar).
pub const BACKGROUND_EVERY: Duration = Duration::from_secs(15);
/// The first background look waits this long: start-up belongs to the
/// first listing.
pub const FIRST_LOOK_AFTER: Duration = Duration::from_secs(2);

/// Members, health and alarms (`C`), refreshed every few seconds while
/// open and now and then in the background (for the status bar).
#[derive(Debug, Default)]
pub struct ClusterView {
    pub open: bool,
    pub info: Option<ClusterInfo>,
    pub error: Option<String>,
    pub asked_at: Option<Instant>,
    pub in_flight: bool,
    /// The answer in flight was asked before an action that changes what
    /// it shows (a disarm): it is dropped, and the members asked again.
    pub stale: bool,
}

impl ClusterView {
    /// Asks the cluster now (unless an answer is awaited): the command to
    /// send, for the listing's `prefix`.
    pub fn ask(&mut self, now: Instant, prefix: &[u8]) -> Option<Cmd> {
        if self.in_flight {
            return None;
        }
        self.in_flight = true;
        self.asked_at = Some(now);
        Some(Cmd::ClusterStatus {
            prefix: prefix.to_vec(),
        })
    }

    /// Asks the cluster after an action changed it: as [`ClusterView::ask`],
    /// and an answer already in flight (asked before the action) will be
    /// dropped and asked again, so a stale answer never undoes what the
    /// action did (a disarmed NOSPACE shown again).
    pub fn ask_fresh(&mut self, now: Instant, prefix: &[u8]) -> Option<Cmd> {
        if self.in_flight {
            self.stale = true;
        }
        self.ask(now, prefix)
    }

    /// A view whose first background look comes `FIRST_LOOK_AFTER` from
    /// `now`.
    pub fn new(now: Instant) -> ClusterView {
        ClusterView {
            asked_at: Some(
                now.checked_sub(BACKGROUND_EVERY - FIRST_LOOK_AFTER)
                    .unwrap_or(now),
            ),
            ..ClusterView::default()
        }
    }
}
