//! Writes, and what each journals (the undo journal, `u`): a write's
//! entries are made by one named function per kind of write, after the
//! write applied; a journal failure never fails the write.

use crate::app::msg::{PrefixDeleted, WriteOp};
use crate::app::Cmd;
use crate::app::Msg;
use crate::etcd::bulk::{self, DeletedUnchanged};
use crate::etcd::changes::{self, Undeleted};
use crate::etcd::types::{ValueRecord, WriteOutcome};
use crate::etcd::{describe_error, describe_write_error, leases, write};
use crate::journal::{Entry, Journal, MAX_BULK_KEYS};

use super::Tasks;

impl Tasks {
    pub(super) fn write(&mut self, cmd: Cmd) {
        let mut client = self.conn.client.clone();
        match cmd {
            Cmd::Save {
                op,
                key,
                value,
                expect,
                lease,
                ttl,
                prev,
            } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = write::put(&mut client, &key, &value, expect, lease, ttl).await;
                    finish_write(op, key, result, prev, lease, journal)
                });
            }
            Cmd::Delete {
                op,
                key,
                expect,
                prev,
                lease,
            } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = write::delete(&mut client, &key, expect).await;
                    finish_write(op, key, result, prev, lease, journal)
                });
            }
            Cmd::DeletePrefix { prefix } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = write::delete_prefix(&mut client, &prefix, MAX_BULK_KEYS)
                        .await
                        .map(|(deleted, revision, prev)| {
                            let entries = prefix_deleted_entries(&prev, revision);
                            let journaled = !entries.is_empty() || deleted == 0;
                            let journal = journal_append(journal, &entries);
                            PrefixDeleted {
                                deleted,
                                revision,
                                journaled,
                                journal,
                            }
                        })
                        .map_err(|e| describe_write_error(&e));
                    Msg::PrefixDeleted { prefix, result }
                });
            }
            Cmd::DeleteFound {
                id,
                keys,
                journal: read_values,
            } => {
                let journal = self.journal();
                let conn = self.conn.clone();
                self.reply(async move {
                    let result = bulk::delete_unchanged(&conn.kv(), &keys, read_values).await;
                    let journal = journal_append(journal, &found_deleted_entries(&result));
                    Msg::FoundDeleted {
                        id,
                        result,
                        journal,
                    }
                });
            }
            Cmd::Undelete {
                prefix,
                items,
                max_request_bytes,
            } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = changes::undelete(&mut client, &items, max_request_bytes).await;
                    let journal = journal_append(journal, &undeleted_entries(&result));
                    Msg::Undeleted {
                        prefix,
                        result,
                        journal,
                    }
                });
            }
            Cmd::FindUndo { key } => {
                let journal = self.journal();
                // Reading the journal file blocks: off the async threads.
                self.reply(async move {
                    let k = key.clone();
                    let entry =
                        tokio::task::spawn_blocking(move || journal.and_then(|j| j.last_for(&k)))
                            .await
                            .unwrap_or(None);
                    Msg::UndoFound { key, entry }
                });
            }
            Cmd::RevokeLease { lease } => {
                self.reply(async move {
                    let result = write::revoke_lease(&mut client, lease).await;
                    Msg::LeaseRevoked {
                        lease,
                        result: result.map_err(|e| describe_write_error(&e)),
                    }
                });
            }
            Cmd::KeepAliveOnce { id } => {
                self.reply(async move {
                    let result = leases::keep_alive_once(&mut client, id).await;
                    Msg::LeaseKeptAlive {
                        id,
                        result: result.map_err(|e| describe_error(&e)),
                    }
                });
            }
            other => debug_assert!(false, "not a write: {other:?}"),
        }
    }
}

/// What a prefix delete journals: each value it removed (only when they
/// were few enough to read back: `MAX_BULK_KEYS`).
fn prefix_deleted_entries(prev: &[ValueRecord], revision: i64) -> Vec<Entry> {
    prev.iter()
        .map(|kv| Entry::new(&kv.key, Some(&kv.value), kv.lease, revision))
        .collect()
}

/// What deleting a find's keys journals: each key deleted whose value was
/// read back.
fn found_deleted_entries(result: &DeletedUnchanged) -> Vec<Entry> {
    result
        .deleted
        .iter()
        .filter_map(|(k, rev, prev)| {
            prev.as_ref()
                .map(|(v, lease)| Entry::new(k, Some(v), *lease, *rev))
        })
        .collect()
}

/// What an undelete journals: each key restored, as created (`u`
/// deletes such a key again).
fn undeleted_entries(result: &Undeleted) -> Vec<Entry> {
    result
        .restored
        .iter()
        .map(|(k, rev)| Entry::new(k, None, 0, *rev))
        .collect()
}

/// What a single save or delete journals: the value it replaced, once
/// it applied.
fn single_write_entries(
    key: &[u8],
    outcome: &WriteOutcome,
    prev: Option<&[u8]>,
    lease: i64,
) -> Vec<Entry> {
    match outcome {
        WriteOutcome::Done { revision } => vec![Entry::new(key, prev, lease, *revision)],
        WriteOutcome::Conflict { .. } => Vec::new(),
    }
}

/// A guarded write finished: log it, journal what it replaced.
fn finish_write(
    op: WriteOp,
    key: Vec<u8>,
    result: Result<WriteOutcome, crate::etcd::Error>,
    prev: Option<Vec<u8>>,
    lease: i64,
    journal: Option<Journal>,
) -> Msg {
    let result = result.map_err(|e| describe_write_error(&e));
    let outcome = match &result {
        Ok(WriteOutcome::Done { revision }) => format!("done at {revision}"),
        Ok(WriteOutcome::Conflict { .. }) => "conflict: not applied".to_string(),
        Err(e) => e.clone(),
    };
    tracing::info!(?op, key = %crate::escape::escape_bytes(&key), %outcome, "write");
    let journal = match &result {
        Ok(outcome) => journal_append(
            journal,
            &single_write_entries(&key, outcome, prev.as_deref(), lease),
        ),
        Err(_) => Ok(()),
    };
    Msg::WriteDone {
        op,
        key,
        result,
        journal,
    }
}

/// Journal failures must not fail the write that already happened; they
/// are reported (the write's message, a status-bar warning).
pub(super) fn journal_append(journal: Option<Journal>, entries: &[Entry]) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let Some(j) = journal else {
        return Err(
            "no place for it: HOME and XDG_DATA_HOME are unset (set ETCDLENS_JOURNAL)".into(),
        );
    };
    j.append(entries).map_err(|e| {
        tracing::warn!(error = %e, "journal not written");
        format!("{}: {e}", j.path.display())
    })
}
