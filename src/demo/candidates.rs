//! The demo's two election candidates on `/testelection`. Each campaigns
//! like a Go service would; when made to step down (`S`: its lease is
//! revoked) it waits a moment and joins the queue again, so handovers can
//! be watched over and over.

use std::time::Duration;

use crate::etcd::election::{self, CampaignEnd};
use crate::etcd::Connection;

pub const ELECTION: &str = "/testelection";
const TTL: i64 = 5;

/// Campaigns as `proposal` forever (until the task is aborted).
pub async fn run(conn: Connection, proposal: &'static str) {
    let mut client = conn.client.clone();
    loop {
        let end = election::campaign(
            &mut client,
            ELECTION.as_bytes(),
            proposal.as_bytes(),
            TTL,
            || {},
            std::future::pending(),
        )
        .await;
        let pause = match end {
            Ok(CampaignEnd::LeaseLost) => Duration::from_secs(2),
            // A member may be down: try again soon.
            Ok(CampaignEnd::Stopped) | Err(_) => Duration::from_secs(1),
        };
        tokio::time::sleep(pause).await;
    }
}
