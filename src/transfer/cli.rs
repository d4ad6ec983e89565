//! The `export`, `import`, `copy` and `move` subcommands.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::export::{export_file, write_export};
use super::format::Format;
use super::{Change, Plan, Source, Transfer};
use crate::cli::Options;
use crate::escape::{escape_bytes, escape_str};
use crate::Failure;

/// Changes listed before the question (`--dry-run` lists all).
const LISTED: usize = 20;

/// Progress on stderr, when it is a terminal, at most every 200 ms.
struct Progress {
    on: bool,
    last: Instant,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            last: Instant::now(),
        }
    }

    fn show(&mut self, what: &str) {
        if self.on && self.last.elapsed() >= Duration::from_millis(200) {
            self.last = Instant::now();
            eprint!("\r\x1b[K{what}");
        }
    }

    fn clear(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

async fn connect(opts: &Options) -> Result<crate::etcd::Connection, Failure> {
    let settings = opts.conn_settings().map_err(Failure::Usage)?;
    crate::etcd::connect(&settings)
        .await
        .map_err(Failure::Usage)
}

/// `etcdlens export PREFIX [-o FILE] [--format jsonl|etcdctl]` (`-`:
/// stdout).
pub async fn export(
    opts: &Options,
    prefix: &str,
    output: &str,
    format: Format,
) -> Result<(), Failure> {
    let client = connect(opts).await?;
    let started = Instant::now();
    let mut progress = Progress::new();
    let show = |keys: u64, _| progress.show(&format!("exported {keys} keys"));
    let done = if output == "-" {
        let stdout = std::io::stdout().lock();
        write_export(&client, prefix.as_bytes(), stdout, format, show).await
    } else {
        export_file(&client, prefix.as_bytes(), Path::new(output), format, show).await
    }
    .map_err(Failure::Other)?;
    progress.clear();
    let to = if output == "-" { "stdout" } else { output };
    eprintln!(
        "{}",
        escape_str(&format!(
            "exported {} keys ({:.1} MiB) under {prefix} at revision {} to {to} in {:.1} s{}",
            done.keys,
            done.bytes as f64 / 1048576.0,
            done.revision,
            started.elapsed().as_secs_f64(),
            done.skipped.map(|s| format!(" ({s})")).unwrap_or_default()
        ))
    );
    Ok(())
}

/// `import FILE [--to PREFIX]`, `copy SRC DEST`, `move SRC DEST`: the plan,
/// then (unless `dry_run`) the question and the writes.
pub async fn transfer(
    opts: &Options,
    transfer: Transfer,
    dry_run: bool,
    yes: bool,
) -> Result<(), Failure> {
    transfer.check().map_err(Failure::Usage)?;
    // The target context's own read-only counts (and --read-only, which
    // every context carries); the source's does not: nothing is written there.
    let target = match &transfer.to_context {
        Some(name) => {
            let book = opts.contexts.as_ref().ok_or_else(|| {
                Failure::Usage("--to-context needs contexts in etcdlens/config.toml".into())
            })?;
            Some(
                book.connection(name, std::env::var("ETCDCTL_PASSWORD").ok())
                    .map_err(Failure::Usage)?,
            )
        }
        None => None,
    };
    let refused = match (&target, &transfer.to_context) {
        (Some((t, _)), Some(name)) if t.read_only => {
            Some(format!("ctx {} is read-only", escape_str(name)))
        }
        (None, _) if opts.settings.read_only => Some("--read-only".to_string()),
        _ => None,
    };
    if let (Some(why), false) = (refused, dry_run) {
        return Err(Failure::Usage(format!(
            "refused: {why} (use --dry-run to see the plan)"
        )));
    }
    // Writes to the target context's cluster are journaled for it.
    let context = transfer
        .to_context
        .clone()
        .or(opts.settings.context.clone());
    let journal = crate::journal::Journal::open_default().map(|j| j.in_context(context));
    // An import, copy or move a former run left unfinished (kill -9).
    if let Some(left) = journal.as_ref().and_then(|j| j.interrupted()) {
        eprintln!("etcdlens: {}", left.line());
    }
    if let Source::File(path) = &transfer.source {
        // Before connecting: a missing or foreign file is the first thing to say.
        let file = super::open_input(path).map_err(Failure::Usage)?;
        let reader = super::format::Reader::with_request_limit(
            std::io::BufReader::new(file),
            opts.max_request_bytes,
        )
        .map_err(|e| Failure::Usage(escape_str(&format!("{}: {e}", super::input_name(path)))))?;
        if let (Ok(from), Some(to)) = (reader.header.prefix_bytes(), &transfer.to) {
            super::empty_destination(&from, to).map_err(Failure::Usage)?;
        }
    }
    let client = connect(opts).await?;
    let target_client = match &target {
        Some((_, settings)) => crate::etcd::connect(settings)
            .await
            .map_err(Failure::Usage)?,
        None => client.clone(),
    };
    let mut progress = Progress::new();
    let options = super::PlanOptions {
        max_request_bytes: opts.max_request_bytes,
        delimiter: opts.settings.delimiter.as_bytes().to_vec(),
    };
    let plan = super::plan_between(&client, &target_client, &transfer, &options, |n| {
        progress.show(&format!("planning: {n} keys read"))
    })
    .await
    .map_err(Failure::Other)?;
    progress.clear();
    let from = match &transfer.source {
        Source::File(path) => format!("import {}:", escape_str(&super::input_name(path))),
        Source::Prefix(_) if transfer.moving => "move".to_string(),
        Source::Prefix(_) => "copy".to_string(),
    };
    let to_context = transfer
        .to_context
        .as_ref()
        .map(|c| format!("ctx {} ", escape_str(c)))
        .unwrap_or_default();
    println!(
        "plan: {} {} → {to_context}{}: {}",
        from,
        super::shown_prefix(&plan.from_prefix),
        super::shown_prefix(&plan.to_prefix),
        plan.summary()
    );
    for w in &plan.warnings {
        println!("warning: {w}");
    }
    print_changes(&plan, if dry_run { usize::MAX } else { LISTED });
    if dry_run {
        println!("dry run: nothing written");
        return Ok(());
    }
    if plan.created + plan.updated + plan.deleted == 0 {
        println!("nothing to do");
        return Ok(());
    }
    // A warning needs someone to read it: --yes alone does not confirm it.
    if yes && !plan.warnings.is_empty() {
        return Err(Failure::Usage(
            "not applied: --yes does not confirm a plan with a warning (above); change the destination, or run without --yes on a terminal and type yes"
                .into(),
        ));
    }
    if !yes && !ask()? {
        println!("not applied");
        return Ok(());
    }
    let total = plan.entries.len();
    let summary = super::apply_between(
        &client,
        &target_client,
        &transfer,
        &plan,
        journal.as_ref(),
        opts.max_request_bytes,
        |n| progress.show(&format!("applying: {n} of {total} keys")),
    )
    .await
    .map_err(Failure::Other)?;
    progress.clear();
    println!("{}", summary.line());
    for key in &summary.skipped {
        println!("skipped (changed since the plan): {}", escape_bytes(key));
    }
    if let Some(e) = &summary.journal_error {
        eprintln!(
            "{}",
            escape_str(&format!(
                "the undo journal could not be written ({e}): u cannot restore these writes"
            ))
        );
    }
    if summary.skipped.is_empty() {
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "{} keys were skipped because they changed since the plan",
            summary.skipped.len()
        )))
    }
}

fn print_changes(plan: &Plan, max: usize) {
    let mut shown = 0;
    let changes = plan
        .entries
        .iter()
        .filter(|e| e.change != Change::Unchanged);
    let total = plan.created + plan.updated;
    for e in changes.take(max) {
        let word = match e.change {
            Change::Create => "create",
            Change::Update => "update",
            Change::Unchanged => continue,
        };
        println!("  {word} {}", escape_bytes(&e.target));
        shown += 1;
    }
    if (shown as u64) < total {
        println!(
            "  … {} more (--dry-run lists them all)",
            total - shown as u64
        );
    }
}

/// Asks for `yes` on the terminal; without one, `--yes` is needed (also
/// the maintenance subcommands' question).
pub(crate) fn ask() -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "not applied: no terminal to ask on (pass --yes to apply the plan)".into(),
        ));
    }
    print!("apply this plan? type yes: ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::Other(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}
