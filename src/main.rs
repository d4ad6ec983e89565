use std::process::ExitCode;
use std::time::Instant;

use etcdlens::cli::{AlarmCommand, CheckCommand, Cli, Command};
use etcdlens::escape::escape_str;
use etcdlens::runtime;
use etcdlens::settings::{self, ContextBook, Defaults};
use etcdlens::{demo, etcd, Failure};

/// One line on stderr, terminal-safe: messages carry user- and
/// server-supplied text (endpoints, paths, server errors).
fn say(msg: &str) {
    eprintln!("etcdlens: {}", escape_str(msg));
}

fn main() -> ExitCode {
    let started = Instant::now();
    if let Err(e) = color_eyre::install() {
        say(&e.to_string());
        return ExitCode::from(1);
    }
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(msg) => {
            say(&msg);
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &cli.opts.log_file {
        if let Err(e) = etcdlens::logging::init(path) {
            say(&format!(
                "cannot write the log file {}: {e}",
                path.display()
            ));
            return ExitCode::from(2);
        }
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            say(&format!("cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        match &cli.command {
            Some(Command::Demo) => demo::run(&cli.opts, started).await,
            Some(Command::Open { file }) => open(&cli, file, started).await,
            Some(Command::Contexts) => list_contexts(),
            Some(Command::Fleet) => etcdlens::fleet_cli::run(&cli.opts).await,
            Some(Command::Campaign {
                election,
                proposal,
                ttl,
            }) => etcdlens::campaign::run(&cli.opts, election, proposal, *ttl).await,
            Some(Command::Lock { name, ttl }) => etcdlens::lock::run(&cli.opts, name, *ttl).await,
            Some(Command::Export {
                prefix,
                output,
                format,
            }) => etcdlens::transfer::cli::export(&cli.opts, prefix, output, *format).await,
            Some(Command::Import { file, to, apply }) => {
                let t = etcdlens::transfer::Transfer {
                    source: etcdlens::transfer::Source::File(file.clone()),
                    to: to.clone().map(String::into_bytes),
                    moving: false,
                    to_context: None,
                };
                etcdlens::transfer::cli::transfer(&cli.opts, t, apply.dry_run, apply.yes).await
            }
            Some(Command::Copy {
                source,
                dest,
                to_context,
                apply,
            }) => {
                let t = etcdlens::transfer::Transfer {
                    source: etcdlens::transfer::Source::Prefix(source.clone().into_bytes()),
                    to: Some(dest.clone().into_bytes()),
                    moving: false,
                    to_context: to_context.clone(),
                };
                etcdlens::transfer::cli::transfer(&cli.opts, t, apply.dry_run, apply.yes).await
            }
            Some(Command::Move {
                source,
                dest,
                apply,
            }) => {
                let t = etcdlens::transfer::Transfer {
                    source: etcdlens::transfer::Source::Prefix(source.clone().into_bytes()),
                    to: Some(dest.clone().into_bytes()),
                    moving: true,
                    to_context: None,
                };
                etcdlens::transfer::cli::transfer(&cli.opts, t, apply.dry_run, apply.yes).await
            }
            Some(Command::Compact {
                revision,
                physical,
                apply,
            }) => etcdlens::maint_cli::compact(&cli.opts, revision, *physical, apply).await,
            Some(Command::Defrag {
                rolling: _,
                wait,
                leader_last,
                min_fragmentation,
                min_gain,
                apply,
            }) => {
                etcdlens::maint_cli::defrag(
                    &cli.opts,
                    *wait,
                    *leader_last,
                    *min_fragmentation,
                    *min_gain,
                    apply,
                )
                .await
            }
            Some(Command::MoveLeader { member, apply }) => {
                etcdlens::maint_cli::move_leader(&cli.opts, member, apply).await
            }
            Some(Command::Alarm { action }) => match action {
                AlarmCommand::List => etcdlens::maint_cli::alarm_list(&cli.opts).await,
                AlarmCommand::Disarm { apply } => {
                    etcdlens::maint_cli::alarm_disarm(&cli.opts, apply).await
                }
            },
            Some(Command::Check {
                what: CheckCommand::Hash,
            }) => etcdlens::maint_cli::check_hash(&cli.opts).await,
            Some(Command::Snapshot(cmd)) => etcdlens::snapshot_cli::run(&cli.opts, cmd).await,
            None => match &cli.opts.snapshot {
                Some(file) => open(&cli, file, started).await,
                None => browse(&cli, started).await,
            },
        }
    });
    // Do not wait for lingering etcd tasks (keep-alives, streams).
    rt.shutdown_background();
    // A subcommand's own peak memory, for the tests (the TUI writes its
    // whole report itself). The kernel's figure for a child also counts
    // the spawning process's memory; this one is this program's only.
    let tui = matches!(cli.command, None | Some(Command::Open { .. }));
    if let (Some(path), false) = (&cli.opts.bench_report, tui) {
        let peak = etcdlens::bench_probe::rss_kb("VmHWM:").unwrap_or(0);
        if let Err(e) = std::fs::write(path, format!("peak_rss_kb={peak}\n")) {
            say(&format!("cannot write {}: {e}", path.display()));
        }
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            say(&msg);
            ExitCode::from(2)
        }
        Err(Failure::Other(msg)) => {
            say(&msg);
            ExitCode::from(1)
        }
    }
}

/// Flags, then the context (`--context` or the file's default) for what
/// flags and environment variables left unset.
fn parse_cli() -> Result<Cli, String> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // clap quotes the offending argument: escape it, line by line.
            let text = e.render().to_string();
            for line in text.trim_end().lines() {
                eprintln!("{}", escape_str(line));
            }
            std::process::exit(2);
        }
    };
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.to_string())?;
    let flags = cli.opts.given(&matches);
    let defaults = Defaults::default();
    let Some(path) = etcdlens::config::path() else {
        cli.opts.settings = settings::resolve(&flags, None, &defaults)?;
        return Ok(cli);
    };
    let file = etcdlens::config::load(&path)?;
    if let Some(w) = etcdlens::config::permission_warning(&path, &file) {
        // Before the screen is taken (subcommands, and the TUI's scrollback)
        // and, for the whole session, in the status bar.
        say(&format!("warning: {w}"));
        cli.opts.warnings.push(w);
    }
    cli.opts.keymap = file.keymap(&path)?;
    cli.opts.theme = file.theme.unwrap_or_default();
    let name = cli.opts.context.clone().or(file.default_context.clone());
    let name = match name {
        // A default_context naming no context does not stand in the way
        // of endpoints given explicitly (nor of listing the contexts).
        Some(n)
            if cli.opts.context.is_none()
                && !file.contexts.contains_key(&n)
                && (flags.endpoints.is_some()
                    || matches!(cli.command, Some(Command::Contexts | Command::Fleet))) =>
        {
            let w = format!(
                "default_context {n:?} in {} names no context: ignored (the endpoints given are used)",
                path.display()
            );
            say(&format!("warning: {w}"));
            cli.opts.warnings.push(w);
            None
        }
        n => n,
    };
    let context = match &name {
        Some(name) => {
            let ctx = file.contexts.get(name).ok_or_else(|| {
                let what = if cli.opts.context.is_some() {
                    "no context"
                } else {
                    "default_context names no context"
                };
                format!(
                    "{what} {name:?} in {} (etcdlens contexts lists them; --endpoints connects without one)",
                    path.display()
                )
            })?;
            Some((name.as_str(), ctx))
        }
        None => None,
    };
    cli.opts.settings = settings::resolve(&flags, context, &defaults).map_err(|e| match &name {
        Some(name) => format!("context {name:?} in {}: {e}", path.display()),
        None => e,
    })?;
    if !file.contexts.is_empty() {
        // What a switch (`:ctx`) keeps: the flag's read-only, the start's timeouts.
        let book = ContextBook::new(path, file, &flags, &defaults);
        cli.opts.contexts = Some(std::sync::Arc::new(book));
    }
    Ok(cli)
}

fn list_contexts() -> Result<(), Failure> {
    let path = etcdlens::config::path()
        .ok_or_else(|| Failure::Other("no config directory (HOME unset)".into()))?;
    let file = etcdlens::config::load(&path).map_err(Failure::Usage)?;
    print!("{}", etcdlens::config::list(&path, &file));
    Ok(())
}

/// `etcdlens open FILE`: the file served on a loopback port as etcd's API
/// (`etcd::offline`), browsed read-only.
async fn open(cli: &Cli, file: &std::path::Path, started: Instant) -> Result<(), Failure> {
    let shown = escape_str(&file.display().to_string());
    let store = etcd::offline::Store::open(file)
        .map_err(|e| Failure::Usage(format!("cannot open {shown}: {e}")))?;
    let label = format!("offline: {shown} @ rev {} (read-only)", store.revision);
    let note = format!(
        "{shown}: revision {}, {}, {} keys, {:.1} MiB (etcdlens snapshot status FILE gives its hash)",
        store.revision,
        match store.compacted {
            0 => "nothing compacted".to_string(),
            c => format!("compacted at {c}"),
        },
        store.live_keys(),
        store.size as f64 / 1048576.0
    );
    let addr = etcd::offline::serve(store)
        .await
        .map_err(|e| Failure::Other(format!("cannot serve {shown}: {e}")))?;
    let mut opts = cli.opts.run_options(started);
    opts.settings.read_only = true;
    opts.offline = Some(label);
    opts.note = Some(note);
    let settings = etcd::ConnSettings {
        endpoints: vec![format!("http://{addr}")],
        dial_timeout: cli.opts.settings.dial_timeout,
        command_timeout: cli.opts.settings.command_timeout,
        ..etcd::ConnSettings::default()
    };
    let conn = etcd::connect(&settings).await.map_err(Failure::Usage)?;
    runtime::run(conn, opts)
        .await
        .map_err(|e| Failure::Other(format!("{e:#}")))
}

async fn browse(cli: &Cli, started: Instant) -> Result<(), Failure> {
    let opts = &cli.opts;
    let settings = opts.conn_settings().map_err(Failure::Usage)?;
    if let Some(path) = &opts.record {
        etcdlens::record::Recorder::open(path)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
    }
    let conn = etcd::connect(&settings).await.map_err(Failure::Usage)?;
    etcd::lister::set_concurrency(opts.list_concurrency);
    runtime::run(conn, opts.run_options(started))
        .await
        .map_err(|e| Failure::Other(format!("{e:#}")))
}
