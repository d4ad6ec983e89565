//! `etcdlens fleet`: every context of config.toml probed at once (twice,
//! a second apart, for the revisions per second), printed as one table —
//! the `:fleet` view's, as text.

use std::sync::Arc;
use std::time::Duration;

use crate::app::fleet::FleetRow;
use crate::cli::Options;
use crate::etcd::fleet::Fleet;
use crate::settings::ContextBook;
use crate::Failure;

/// Between the two rounds of probes.
const APART: Duration = Duration::from_secs(1);

pub async fn run(opts: &Options) -> Result<(), Failure> {
    let book = opts.contexts.clone().ok_or_else(|| {
        Failure::Usage(
            "no contexts in config.toml: etcdlens fleet probes the contexts it names (etcdlens contexts lists them)"
                .into(),
        )
    })?;
    let fleet = Arc::new(Fleet::default());
    let mut rows: Vec<FleetRow> = book
        .file
        .contexts
        .keys()
        .map(|n| FleetRow::new(n))
        .collect();
    for round in 0..2 {
        if round > 0 {
            tokio::time::sleep(APART).await;
        }
        let probes = rows.iter().map(|row| probe(&fleet, &book, &row.name));
        let answers = futures::future::join_all(probes).await;
        for (row, answer) in rows.iter_mut().zip(answers) {
            // A context that failed the first round is not asked again.
            if round == 0 || matches!(row.probe, Some(Ok(_))) {
                row.answered(answer);
            }
        }
    }
    for line in crate::ui::fleet::table(&rows) {
        println!("{}", line.trim_end());
    }
    Ok(())
}

async fn probe(
    fleet: &Fleet,
    book: &ContextBook,
    name: &str,
) -> Result<crate::etcd::fleet::Probe, String> {
    let settings = book.resolve(name)?;
    let conn = settings.connection_without_prompt(std::env::var("ETCDCTL_PASSWORD").ok());
    fleet.probe(name, conn, settings.prefix.as_bytes()).await
}
