use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use etcdlens::cli::{Cli, Command};
use etcdlens::runtime;
use etcdlens::{demo, etcd, Failure};

fn main() -> ExitCode {
    let started = Instant::now();
    if let Err(e) = color_eyre::install() {
        eprintln!("etcdlens: {e}");
        return ExitCode::from(1);
    }
    let cli = Cli::parse();
    if let Some(path) = &cli.opts.log_file {
        if let Err(e) = etcdlens::logging::init(path) {
            eprintln!(
                "etcdlens: cannot write the log file {}: {e}",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("etcdlens: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        match &cli.command {
            Some(Command::Demo) => demo::run(&cli.opts, started).await,
            Some(Command::Campaign {
                election,
                proposal,
                ttl,
            }) => etcdlens::campaign::run(&cli.opts, election, proposal, *ttl).await,
            None => browse(&cli, started).await,
        }
    });
    // Do not wait for lingering etcd tasks (keep-alives, streams).
    rt.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("etcdlens: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Other(msg)) => {
            eprintln!("etcdlens: {msg}");
            ExitCode::from(1)
        }
    }
}

async fn browse(cli: &Cli, started: Instant) -> Result<(), Failure> {
    let opts = &cli.opts;
    let settings = opts.conn_settings().map_err(Failure::Usage)?;
    if let Some(path) = &opts.record {
        etcdlens::record::Recorder::open(path)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
    }
    let conn = etcd::connect(&settings).await.map_err(Failure::Usage)?;
    runtime::run(conn, opts.run_options(started))
        .await
        .map_err(|e| Failure::Other(format!("{e:#}")))
}
