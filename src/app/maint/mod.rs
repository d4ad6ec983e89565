//! The maintenance view's model (`M`, `:maint`): one row per member with
//! what maintenance decides on — health, sizes, fragmentation, quota use,
//! raft term/index, alarms. Its figures are the cluster view's
//! (`State::cluster.info`, asked every few seconds while either is open).

pub mod update;

/// The selected member row.
#[derive(Debug, Default)]
pub struct MaintView {
    pub selected: usize,
    pub offset: usize,
}
