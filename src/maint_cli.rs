//! The maintenance subcommands for scripts: `compact`, `defrag --rolling`,
//! `move-leader`, `alarm list|disarm`, `check hash`. Each prints its plan and the etcdctl
//! equivalent before acting; an action on the cluster is refused in a
//! read-only session, asks for `yes` (unless `--yes`), and is written to the
//! audit log ([`crate::audit`]). The work itself is `etcd::maintenance`'s.

use std::time::Duration;

use crate::audit::Audit;
use crate::cli::{ApplyFlags, Options};
use crate::escape::escape_str;
use crate::etcd::maintenance::{self, Member, Report, RollingOptions};
use crate::etcd::Connection;
use crate::transfer::cli::ask;
use crate::Failure;

/// Printed where a plan ends without acting.
const DRY_RUN: &str = "dry run: nothing done";

/// Where `compact` compacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// This revision.
    At(i64),
    /// Keep the last N revisions.
    Keep(i64),
    /// The current revision.
    Now,
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        let bad = || format!("compact: {s:?} is not a revision (N, -N or now)");
        if s == "now" {
            return Ok(Target::Now);
        }
        if let Some(n) = s.strip_prefix('-') {
            let n: i64 = n.parse().map_err(|_| bad())?;
            return if n >= 0 {
                Ok(Target::Keep(n))
            } else {
                Err(bad())
            };
        }
        match s.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Target::At(n)),
            _ => Err(bad()),
        }
    }
}

impl Target {
    /// The revision it names when the current one is `current`.
    pub fn resolve(self, current: i64) -> i64 {
        match self {
            Target::At(n) => n,
            Target::Keep(n) => current - n,
            Target::Now => current,
        }
    }
}

/// Refused in a read-only session (unless only the plan is asked for).
fn refuse_read_only(opts: &Options, dry_run: bool) -> Result<(), Failure> {
    if opts.settings.read_only && !dry_run {
        return Err(Failure::Usage(
            "refused: read-only session (--read-only, or a read-only context); use --dry-run to see the plan"
                .into(),
        ));
    }
    Ok(())
}

async fn connect(opts: &Options) -> Result<Connection, Failure> {
    let settings = opts.conn_settings().map_err(Failure::Usage)?;
    crate::etcd::connect(&settings)
        .await
        .map_err(Failure::Usage)
}

/// Asks unless `--yes`: false when the answer was not `yes`.
fn confirmed(apply: &ApplyFlags) -> Result<bool, Failure> {
    if apply.yes || ask()? {
        Ok(true)
    } else {
        println!("not done");
        Ok(false)
    }
}

/// Writes one audit record (a failure to write it is said, not fatal).
pub(crate) fn audit(opts: &Options, cluster_id: u64, action: &str, result: &str) {
    let Some(log) = Audit::open_default() else {
        eprintln!("etcdlens: no place for the audit log (HOME unset)");
        return;
    };
    if let Err(e) = log.append(opts.settings.context.as_deref(), cluster_id, action, result) {
        eprintln!(
            "etcdlens: {}",
            escape_str(&format!(
                "the audit log {} could not be written: {e}",
                log.path.display()
            ))
        );
    }
}

async fn cluster_id(conn: &Connection) -> Result<(u64, Vec<Member>), Failure> {
    maintenance::members(conn)
        .await
        .map_err(|e| Failure::Other(e.to_string()))
}

/// `etcdlens compact <N|-N|now> [--physical]`.
pub async fn compact(
    opts: &Options,
    target: &str,
    physical: bool,
    apply: &ApplyFlags,
) -> Result<(), Failure> {
    let target: Target = target.parse().map_err(Failure::Usage)?;
    refuse_read_only(opts, apply.dry_run)?;
    let conn = connect(opts).await?;
    let (id, _) = cluster_id(&conn).await?;
    let mut client = conn.client.clone();
    let current = crate::etcd::watch::current_revision(&mut client, b"")
        .await
        .map_err(Failure::Other)?;
    let oldest = crate::etcd::revision::oldest_revision(&mut client, b"")
        .await
        .map_err(Failure::Other)?;
    let to = target.resolve(current);
    if to > current {
        return Err(Failure::Usage(format!(
            "compact: revision {to} is past the current revision {current}"
        )));
    }
    if to <= oldest {
        println!(
            "nothing to do: the history is already compacted to revision {oldest} (asked: {to})"
        );
        return Ok(());
    }
    let etcdctl = format!(
        "etcdctl compact {to}{}",
        if physical { " --physical" } else { "" }
    );
    println!(
        "plan: compact the history of cluster {id:x} to revision {to} (current revision {current})"
    );
    println!(
        "  revisions {oldest}…{} become unreadable: a key's history (H) starts at {to}, :rev and :changes cannot go before {to}",
        to - 1
    );
    println!("  [{etcdctl}]");
    if apply.dry_run {
        println!("{DRY_RUN}");
        return Ok(());
    }
    if !confirmed(apply)? {
        return Ok(());
    }
    match maintenance::compact(&conn, to, physical).await {
        Ok(()) => {
            audit(opts, id, &etcdctl, "ok");
            println!(
                "compacted to revision {to}{}",
                if physical {
                    " (applied on every member)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Err(e) => {
            audit(opts, id, &etcdctl, &e.to_string());
            Err(Failure::Other(format!("compact: {e}")))
        }
    }
}

/// `etcdlens defrag --rolling [--dry-run] [--wait SECS] [--leader-last]
/// [--min-fragmentation PERCENT] [--min-gain MIB]`.
pub async fn defrag(
    opts: &Options,
    wait: f64,
    leader_last: bool,
    min_fragmentation: f64,
    min_gain: f64,
    apply: &ApplyFlags,
) -> Result<(), Failure> {
    if !(wait.is_finite() && wait >= 0.0) {
        return Err(Failure::Usage(format!(
            "defrag: --wait {wait} is not a number of seconds"
        )));
    }
    if !(0.0..=100.0).contains(&min_fragmentation) {
        return Err(Failure::Usage(format!(
            "defrag: --min-fragmentation {min_fragmentation} is not a percentage"
        )));
    }
    if !(min_gain.is_finite() && min_gain >= 0.0) {
        return Err(Failure::Usage(format!(
            "defrag: --min-gain {min_gain} is not a number of MiB"
        )));
    }
    refuse_read_only(opts, apply.dry_run)?;
    let rolling = RollingOptions {
        wait: Duration::from_secs_f64(wait),
        leader_last,
        min_fragmentation: min_fragmentation / 100.0,
        stop: None,
        min_gain: (min_gain * 1048576.0) as i64,
    };
    let conn = connect(opts).await?;
    let plan = maintenance::plan_for(&conn, &rolling)
        .await
        .map_err(|e| Failure::Other(escape_str(&e)))?;
    let id = plan.cluster_id;
    println!(
        "plan: rolling defragmentation of cluster {id:x}, one member at a time, {wait} s between members{}",
        if leader_last {
            ", the leader last without a move"
        } else {
            ""
        }
    );
    for (i, step) in plan.steps.iter().enumerate() {
        println!("  {}. {}", i + 1, escape_str(&step.line()));
    }
    if plan.defragmented().is_empty() {
        println!(
            "nothing to do: every member's fragmentation is below {min_fragmentation:.0} % (--min-fragmentation) or its expected gain below {} (--min-gain)",
            maintenance::mib(rolling.min_gain)
        );
        return Ok(());
    }
    if apply.dry_run {
        println!("{DRY_RUN}");
        return Ok(());
    }
    if !confirmed(apply)? {
        return Ok(());
    }
    let report = |r: Report| {
        match &r {
            Report::Defragmented { member, .. } => audit(
                opts,
                id,
                &format!("etcdctl --endpoints={} defrag", member.url()),
                &format!("ok: {}", r.line()),
            ),
            Report::Moved {
                from,
                to,
                done: true,
                ..
            } => audit(
                opts,
                id,
                &format!("etcdctl --endpoints={} move-leader {:x}", from.url(), to.id),
                "ok",
            ),
            _ => {}
        }
        println!("{}", escape_str(&r.line()));
    };
    match maintenance::run_rolling(&conn, &plan, &rolling, report).await {
        Ok(done) => {
            let names: Vec<String> = done.iter().map(Member::label).collect();
            let line = format!(
                "done: {} of {} members defragmented ({})",
                done.len(),
                plan.members.len(),
                names.join(", ")
            );
            audit(opts, id, "etcdlens defrag --rolling", &line);
            println!("{}", escape_str(&line));
            Ok(())
        }
        Err(line) => {
            audit(opts, id, "etcdlens defrag --rolling", &line);
            Err(Failure::Other(line))
        }
    }
}

/// `etcdlens move-leader MEMBER [--dry-run] [--yes]`: leadership moved to
/// MEMBER (a name, or an id in hex), asked of the current leader.
pub async fn move_leader(opts: &Options, wanted: &str, apply: &ApplyFlags) -> Result<(), Failure> {
    refuse_read_only(opts, apply.dry_run)?;
    let conn = connect(opts).await?;
    let (id, members) = cluster_id(&conn).await?;
    let target = maintenance::resolve_member(&members, wanted)
        .map_err(|e| Failure::Usage(escape_str(&format!("move-leader: {e}"))))?;
    let mut clients = maintenance::MemberClients::new(&conn);
    let leader = clients
        .leader(&members)
        .await
        .map_err(|e| Failure::Other(escape_str(&format!("move-leader: {e}"))))?;
    if leader.id == target.id {
        println!(
            "{}",
            escape_str(&format!(
                "nothing to do: {} ({:x}) is already the leader of cluster {id:x}",
                target.label(),
                target.id
            ))
        );
        return Ok(());
    }
    let etcdctl = format!(
        "etcdctl --endpoints={} move-leader {:x}",
        leader.url(),
        target.id
    );
    println!(
        "{}",
        escape_str(&format!(
            "plan: move the leadership of cluster {id:x} from {} ({:x}) to {} ({:x}, {})  [{etcdctl}]",
            leader.label(),
            leader.id,
            target.label(),
            target.id,
            target.url()
        ))
    );
    if apply.dry_run {
        println!("{DRY_RUN}");
        return Ok(());
    }
    if !confirmed(apply)? {
        return Ok(());
    }
    let started = std::time::Instant::now();
    match clients.move_leader(&leader, target.id).await {
        Ok(()) => {
            let line = format!(
                "moved leadership from {} to {} in {:.1} s",
                leader.label(),
                target.label(),
                started.elapsed().as_secs_f64()
            );
            audit(opts, id, &etcdctl, &format!("ok: {line}"));
            println!("{}", escape_str(&line));
            Ok(())
        }
        Err(e) => {
            audit(opts, id, &etcdctl, &e.to_string());
            Err(Failure::Other(escape_str(&format!("move-leader: {e}"))))
        }
    }
}

/// One line per alarm: the alarm and the member it is on.
fn alarm_lines(alarms: &[(u64, String)], members: &[Member]) -> Vec<String> {
    alarms
        .iter()
        .map(|(id, name)| {
            let who = members
                .iter()
                .find(|m| m.id == *id)
                .map_or(String::new(), |m| format!("{} ", m.label()));
            format!("{name} on {who}({id:x})")
        })
        .collect()
}

/// `etcdlens alarm list`.
pub async fn alarm_list(opts: &Options) -> Result<(), Failure> {
    let conn = connect(opts).await?;
    let (_, members) = cluster_id(&conn).await?;
    let alarms = maintenance::alarms(&conn)
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    if alarms.is_empty() {
        println!("no active alarm");
    }
    for line in alarm_lines(&alarms, &members) {
        println!("{}", escape_str(&line));
    }
    Ok(())
}

/// `etcdlens alarm disarm`.
pub async fn alarm_disarm(opts: &Options, apply: &ApplyFlags) -> Result<(), Failure> {
    refuse_read_only(opts, apply.dry_run)?;
    let conn = connect(opts).await?;
    let (id, members) = cluster_id(&conn).await?;
    let alarms = maintenance::alarms(&conn)
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    if alarms.is_empty() {
        println!("nothing to do: no active alarm");
        return Ok(());
    }
    println!(
        "plan: disarm {} alarm{} of cluster {id:x}  [etcdctl alarm disarm]",
        alarms.len(),
        if alarms.len() == 1 { "" } else { "s" }
    );
    for line in alarm_lines(&alarms, &members) {
        println!("  {}", escape_str(&line));
    }
    if alarms.iter().any(|(_, a)| a == "NOSPACE") {
        println!("  a NOSPACE alarm comes back at once unless the DB is below the quota (compact, then defrag --rolling first)");
    }
    if apply.dry_run {
        println!("{DRY_RUN}");
        return Ok(());
    }
    if !confirmed(apply)? {
        return Ok(());
    }
    match maintenance::disarm_all(&conn).await {
        Ok(done) => {
            let lines = alarm_lines(&done, &members);
            audit(
                opts,
                id,
                "etcdctl alarm disarm",
                &format!("ok: {}", lines.join(", ")),
            );
            for line in lines {
                println!("disarmed {}", escape_str(&line));
            }
            Ok(())
        }
        Err(e) => {
            audit(opts, id, "etcdctl alarm disarm", &e.to_string());
            Err(Failure::Other(format!("alarm disarm: {e}")))
        }
    }
}

/// `etcdlens check hash`: exit 1 on a mismatch (or a member that did not
/// answer).
pub async fn check_hash(opts: &Options) -> Result<(), Failure> {
    let conn = connect(opts).await?;
    let check = maintenance::check_hash(&conn)
        .await
        .map_err(Failure::Other)?;
    println!(
        "hash check of cluster {:x} at revision {}  [etcdctl endpoint hashkv --cluster --rev={}]",
        check.cluster_id, check.revision, check.revision
    );
    for line in check.lines() {
        println!("  {}", escape_str(&line));
    }
    if check.incomplete() {
        let missing: Vec<String> = check
            .members
            .iter()
            .filter(|(_, h)| h.is_err())
            .map(|(m, _)| m.label())
            .collect();
        Err(Failure::Other(escape_str(&format!(
            "incomplete: no hash from {} at revision {}",
            missing.join(", "),
            check.revision
        ))))
    } else if check.matched() {
        println!(
            "match: every member holds the same data at revision {}",
            check.revision
        );
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "MISMATCH: the members' hashes at revision {} differ",
            check.revision
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!("now".parse::<Target>(), Ok(Target::Now));
        assert_eq!("12".parse::<Target>(), Ok(Target::At(12)));
        assert_eq!("-3".parse::<Target>(), Ok(Target::Keep(3)));
        assert!("0".parse::<Target>().is_err());
        assert!("x".parse::<Target>().is_err());
        assert!("--3".parse::<Target>().is_err());
        assert_eq!(Target::Keep(3).resolve(10), 7);
        assert_eq!(Target::Now.resolve(10), 10);
    }
}
