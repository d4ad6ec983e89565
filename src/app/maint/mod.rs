//! The maintenance view's model (`M`, `:maint`): one row per member with
//! what maintenance decides on — health, sizes, fragmentation, quota use,
//! raft term/index, alarms. Its figures are the cluster view's
//! (`State::cluster.info`, asked every few seconds while either is open).
//!
//! What the view runs — a compaction, the rolling defragmentation, a
//! leader move, the hash check, disarming alarms, a snapshot, the NOSPACE
//! recovery — is [`Maintenance`]: one action at a time, its log kept while
//! the view is closed and opened again.

pub mod update;

use crate::etcd::maintenance::Plan;

/// The selected member row.
#[derive(Debug, Default)]
pub struct MaintView {
    pub selected: usize,
    pub offset: usize,
}

/// The maintenance actions of this session: the one running, its log, the
/// NOSPACE recovery under way.
#[derive(Debug, Default)]
pub struct Maintenance {
    /// What was done and said, oldest first (at most [`LOG_LINES`]).
    pub log: Vec<LogLine>,
    /// The action running: another is refused until it ends.
    pub running: Option<MaintOp>,
    /// A stop was asked (`x`): said until the action ends.
    pub stopping: bool,
    pub recovery: Option<Recovery>,
}

/// How many log lines are kept.
pub const LOG_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub text: String,
    pub kind: LineKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A step starts or what to do next.
    Step,
    Progress,
    Ok,
    Error,
}

impl Maintenance {
    pub fn push(&mut self, kind: LineKind, text: impl Into<String>) {
        self.log.push(LogLine {
            text: text.into(),
            kind,
        });
        if self.log.len() > LOG_LINES {
            let over = self.log.len() - LOG_LINES;
            self.log.drain(..over);
        }
    }
}

/// A maintenance action, as the log and the answers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintOp {
    Compact,
    Defrag,
    MoveLeader,
    CheckHash,
    Disarm,
    Check,
    Snapshot,
    AddMember,
    Promote,
    RemoveMember,
    UpdateMember,
}

impl MaintOp {
    pub fn name(self) -> &'static str {
        match self {
            MaintOp::Compact => "the compaction",
            MaintOp::Defrag => "the rolling defragmentation",
            MaintOp::MoveLeader => "the leader move",
            MaintOp::CheckHash => "the hash check",
            MaintOp::Disarm => "disarming the alarms",
            MaintOp::Check => "the check",
            MaintOp::Snapshot => "the snapshot",
            MaintOp::AddMember => "adding a member",
            MaintOp::Promote => "the promotion",
            MaintOp::RemoveMember => "removing a member",
            MaintOp::UpdateMember => "updating a member's peer URLs",
        }
    }
}

/// How the rolling defragmentation is asked for (`:defrag [all]
/// [leader-last] [wait=S]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragChoice {
    /// No member skipped (the fragmentation and gain thresholds off).
    pub all: bool,
    /// The leader last, keeping its leadership.
    pub leader_last: bool,
    /// Seconds between two members.
    pub wait_secs: u64,
}

impl Default for DefragChoice {
    fn default() -> Self {
        DefragChoice {
            all: false,
            leader_last: false,
            wait_secs: 5,
        }
    }
}

/// Reads `:defrag`'s arguments.
pub fn parse_defrag(args: &str) -> Result<DefragChoice, String> {
    let mut choice = DefragChoice::default();
    for word in args.split_whitespace() {
        match word {
            "all" => choice.all = true,
            "leader-last" => choice.leader_last = true,
            w => match w.strip_prefix("wait=").map(str::parse) {
                Some(Ok(s)) => choice.wait_secs = s,
                _ => {
                    return Err(format!(
                        ":defrag takes all, leader-last and wait=SECONDS, not {}",
                        crate::escape::escape_str(w)
                    ))
                }
            },
        }
    }
    Ok(choice)
}

/// What the view asks the task runner for (`Cmd::Maint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaintCmd {
    /// `etcdctl compact N [--physical]`.
    Compact {
        revision: i64,
        physical: bool,
    },
    /// Ask every member and plan a rolling defragmentation (answered by
    /// `MaintMsg::Planned`).
    PlanDefrag(DefragChoice),
    /// Run a rolling defragmentation: the plan shown, or (`None`, the
    /// NOSPACE recovery) planned and run at once, the plan logged first.
    Defrag {
        plan: Option<Plan>,
        choice: DefragChoice,
    },
    /// Move leadership to this member.
    MoveLeader {
        to: u64,
        name: String,
    },
    CheckHash,
    /// Disarm every alarm.
    Disarm,
    /// The NOSPACE recovery's check (a test write of this key, if any).
    Check {
        test_key: Option<Vec<u8>>,
    },
    /// Save a snapshot of the member at `endpoint` to `path`.
    Snapshot {
        path: String,
        endpoint: String,
    },
    /// Stop the running defragmentation before its next member.
    Stop,
    /// `etcdctl member add NAME --peer-urls=… --learner`.
    AddMember {
        name: String,
        peer_urls: Vec<String>,
    },
    /// `etcdctl member promote ID`.
    Promote {
        id: u64,
        name: String,
    },
    /// `etcdctl member remove ID`.
    RemoveMember {
        id: u64,
        name: String,
    },
    /// `etcdctl member update ID --peer-urls=…`.
    UpdateMember {
        id: u64,
        name: String,
        peer_urls: Vec<String>,
    },
}

/// What the task runner answers (`Msg::Maint`).
#[derive(Debug)]
pub enum MaintMsg {
    Planned {
        choice: DefragChoice,
        result: Result<Plan, String>,
    },
    /// A line of progress of the running action.
    Progress(String),
    /// The action ended: the lines it reports, its outcome in one line,
    /// and whether its audit record was written.
    Done {
        op: MaintOp,
        lines: Vec<String>,
        result: Result<String, String>,
        audit: Result<(), String>,
    },
}

/// The NOSPACE recovery under way: the next step to run (the user runs
/// each with `n` after reading the last one's result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub next: RecoveryStep,
    /// Where the check writes and deletes its test key (`None`: declined).
    pub test_prefix: Option<Vec<u8>>,
    /// The step running now.
    pub running: Option<RecoveryStep>,
}

/// The NOSPACE recovery's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryStep {
    Compact,
    Defrag,
    Disarm,
    Check,
}

impl RecoveryStep {
    pub const ALL: [RecoveryStep; 4] = [
        RecoveryStep::Compact,
        RecoveryStep::Defrag,
        RecoveryStep::Disarm,
        RecoveryStep::Check,
    ];

    /// 1-based, as the plan numbers it.
    pub fn number(self) -> usize {
        RecoveryStep::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or(0)
            + 1
    }

    pub fn next(self) -> Option<RecoveryStep> {
        RecoveryStep::ALL.get(self.number()).copied()
    }

    pub fn op(self) -> MaintOp {
        match self {
            RecoveryStep::Compact => MaintOp::Compact,
            RecoveryStep::Defrag => MaintOp::Defrag,
            RecoveryStep::Disarm => MaintOp::Disarm,
            RecoveryStep::Check => MaintOp::Check,
        }
    }

    /// The step as the plan says it.
    pub fn about(self) -> &'static str {
        match self {
            RecoveryStep::Compact => "compact the history to the current revision",
            RecoveryStep::Defrag => {
                "defragment every member, one at a time, only while all are healthy, the leader last after a leadership move"
            }
            RecoveryStep::Disarm => "disarm the alarms",
            RecoveryStep::Check => {
                "check: no alarm, in use below the quota, one test write and delete (if asked)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defrag_arguments() {
        assert_eq!(parse_defrag("").unwrap(), DefragChoice::default());
        let c = parse_defrag("all leader-last wait=0").unwrap();
        assert!(c.all && c.leader_last && c.wait_secs == 0);
        assert!(parse_defrag("wait=x").is_err());
        assert!(parse_defrag("now").unwrap_err().contains("not now"));
    }

    #[test]
    fn recovery_steps_in_order() {
        assert_eq!(RecoveryStep::Compact.number(), 1);
        assert_eq!(RecoveryStep::Compact.next(), Some(RecoveryStep::Defrag));
        assert_eq!(RecoveryStep::Check.next(), None);
    }

    #[test]
    fn the_log_is_bounded() {
        let mut m = Maintenance::default();
        for i in 0..LOG_LINES + 5 {
            m.push(LineKind::Progress, i.to_string());
        }
        assert_eq!(m.log.len(), LOG_LINES);
        assert_eq!(m.log[0].text, "5");
    }
}
