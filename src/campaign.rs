//! `etcdlens campaign <election> <proposal> [--ttl SECS]`: campaign like
//! Go's `concurrency.NewElection(session, election).Campaign(proposal)`,
//! print `leader: <proposal>` once elected, hold leadership until Ctrl-C or
//! SIGTERM, then resign and revoke the lease.

use std::io::Write;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use crate::cli::Options;
use crate::etcd::election::{self, CampaignEnd};
use crate::Failure;

pub async fn run(opts: &Options, name: &str, proposal: &str, ttl: i64) -> Result<(), Failure> {
    let mut settings = opts.conn_settings().map_err(Failure::Usage)?;
    // Waiting to be elected can take any time: no per-request timeout.
    settings.command_timeout = Duration::ZERO;
    let conn = crate::etcd::connect(&settings)
        .await
        .map_err(Failure::Usage)?;
    let mut client = conn.client.clone();
    let stop = async {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    };
    let on_elected = |_: &etcd_client::LeaderKey| {
        println!("leader: {}", crate::escape::escape_str(proposal));
        let _ = std::io::stdout().flush();
    };
    match election::campaign(
        &mut client,
        name.as_bytes(),
        proposal.as_bytes(),
        ttl,
        on_elected,
        stop,
    )
    .await
    {
        Ok(CampaignEnd::Stopped) => Ok(()),
        Ok(CampaignEnd::LeaseLost) => Err(Failure::Other(
            "leadership lost: the lease expired or was revoked".into(),
        )),
        Err(e) => Err(Failure::Other(format!("campaign failed: {e}"))),
    }
}
