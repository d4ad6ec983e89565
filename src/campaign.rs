//! `etcdlens campaign <election> <proposal> [--ttl SECS]`: campaign like
//! Go's `concurrency.NewElection(session, election).Campaign(proposal)`,
//! print `leader: <proposal>` once elected, hold leadership until Ctrl-C or
//! SIGTERM, then resign and revoke the lease.

use std::io::Write;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use crate::cli::Options;
use crate::etcd::election::{self, CampaignEnd};
use crate::etcd::Connection;
use crate::Failure;

pub async fn run(opts: &Options, name: &str, proposal: &str, ttl: i64) -> Result<(), Failure> {
    let mut client = connect_unbounded(opts).await?.client;
    let stop = until_signal();
    let on_elected = || {
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

/// A client for a command that waits (to be elected, for a lock): no
/// per-request timeout.
pub(crate) async fn connect_unbounded(opts: &Options) -> Result<Connection, Failure> {
    let mut settings = opts.conn_settings().map_err(Failure::Usage)?;
    settings.command_timeout = Duration::ZERO;
    crate::etcd::connect(&settings)
        .await
        .map_err(Failure::Usage)
}

/// Returns on SIGTERM, SIGINT (Ctrl-C) or SIGHUP.
pub(crate) async fn until_signal() {
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
}
