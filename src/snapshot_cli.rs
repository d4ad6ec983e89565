//! The `snapshot save` and `snapshot status` subcommands.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use crate::cli::{Options, SnapshotCommand, StatusFormat};
use crate::escape::escape_str;
use crate::etcd::snapshot::{self, Status};
use crate::etcd::Error;
use crate::Failure;

pub async fn run(opts: &Options, cmd: &SnapshotCommand) -> Result<(), Failure> {
    match cmd {
        SnapshotCommand::Save {
            file,
            endpoint,
            force,
        } => save(opts, file, endpoint.as_deref(), *force).await,
        SnapshotCommand::Status { file, write_out } => status(file, *write_out),
    }
}

/// Exit 2 when the member cannot be reached or named (SPEC: cannot
/// connect / bad arguments), 1 for anything else.
fn failure(e: Error) -> Failure {
    let line = e.message().to_string();
    match e {
        Error::Unsent(_)
        | Error::Tls(_)
        | Error::Auth(_)
        | Error::Timeout(_)
        | Error::Unavailable(_)
        | Error::Learner(_)
        | Error::Refused(_) => Failure::Usage(line),
        _ => Failure::Other(line),
    }
}

/// `etcdlens snapshot save FILE [--endpoint E] [--force]`.
async fn save(
    opts: &Options,
    file: &Path,
    endpoint: Option<&str>,
    force: bool,
) -> Result<(), Failure> {
    if !force && file.exists() {
        return Err(Failure::Usage(format!(
            "{} exists: not overwritten (--force replaces it)",
            file.display()
        )));
    }
    let settings = opts.conn_settings().map_err(Failure::Usage)?;
    let conn = crate::etcd::connect(&settings)
        .await
        .map_err(Failure::Usage)?;
    let member = snapshot::choose_member(&conn, endpoint)
        .await
        .map_err(failure)?;
    println!(
        "etcdctl equivalent: etcdctl --endpoints={} snapshot save {}",
        member.url,
        file.display()
    );
    println!(
        "saving a snapshot of {} (etcd {}, at revision {} when asked)",
        escape_str(&member.url),
        escape_str(&member.version),
        member.revision
    );
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut last = Instant::now();
    let mut progress = |got: u64, total: u64| {
        if tty && last.elapsed() >= snapshot::PROGRESS_EVERY {
            last = Instant::now();
            if total > 0 {
                eprint!(
                    "\r\x1b[K{} of {} received",
                    bytes(got),
                    bytes(total.max(got))
                );
            } else {
                eprint!("\r\x1b[K{} received", bytes(got));
            }
        }
    };
    // Ctrl-C drops the save: its temporary file goes with it.
    let saved = tokio::select! {
        r = snapshot::save(&conn, &member, file, force, &mut progress) => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Other("interrupted: nothing saved".into())),
    };
    if tty {
        eprint!("\r\x1b[K");
    }
    // The audit log, as every maintenance action (a backup taken too).
    let action = format!(
        "etcdctl --endpoints={} snapshot save {}",
        member.url,
        file.display()
    );
    let outcome = match &saved {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("failed: {e}"),
    };
    let id = crate::etcd::maintenance::members(&conn)
        .await
        .map_or(0, |(id, _)| id);
    crate::maint_cli::audit(opts, id, &action, &outcome);
    let saved = saved.map_err(failure)?;
    for part in &saved.removed {
        println!(
            "removed {}: the partial file of an earlier save that was killed",
            part.display()
        );
    }
    println!(
        "saved {}: {} in {:.1}s, sha256 {} checked",
        file.display(),
        bytes(saved.bytes),
        started.elapsed().as_secs_f64(),
        snapshot::hex(&saved.sha256)
    );
    let st =
        snapshot::status(file).map_err(|e| Failure::Other(format!("{}: {e}", file.display())))?;
    println!("read from the file: {}", status_line(&st));
    Ok(())
}

fn status_line(st: &Status) -> String {
    format!(
        "revision {}, {} keys ({} entries), size {}, hash {:x}",
        st.revision,
        st.total_key,
        st.entries,
        bytes(st.total_size),
        st.hash
    )
}

/// `etcdlens snapshot status FILE [-w table|json]`: etcdutl's numbers.
fn status(file: &Path, format: StatusFormat) -> Result<(), Failure> {
    let st = snapshot::status(file).map_err(|e| {
        let msg = format!("{}: {e}", file.display());
        match e {
            crate::etcd::bbolt::BoltError::Io(_) => Failure::Usage(msg),
            _ => Failure::Other(msg),
        }
    })?;
    match format {
        StatusFormat::Json => {
            println!("{}", serde_json::to_string(&st).expect("plain struct"));
        }
        StatusFormat::Simple => {
            println!("hash: {:x}", st.hash);
            println!("revision: {}", st.revision);
            println!("total keys: {}", st.total_key);
            println!(
                "entries: {} (every revision in every bucket: etcdutl before 3.6 prints this as total keys)",
                st.entries
            );
            println!("total size: {} ({})", st.total_size, bytes(st.total_size));
            if !st.version.is_empty() {
                println!("version: {}", escape_str(&st.version));
            }
        }
    }
    Ok(())
}

/// Bytes with a binary unit.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}
