//! Tests against real etcd processes (the harness in `common`), run on
//! every etcd release of the matrix (`scripts/test.sh`). One test binary:
//! each links ratatui and tonic, so fewer link faster.

mod common;

mod auth;
mod auth_view;
mod contexts;
mod counts;
mod e2e_find;
mod e2e_tmux;
mod election;
mod find;
mod fleet;
mod history;
mod k8s;
mod leases;
mod lister;
mod lock;
mod maint;
mod maintenance;
mod metrics;
mod offline;
mod peer_clientv3;
mod restricted;
mod snapshot;
mod ssh;
mod time_machine;
mod tls;
mod top;
mod transfer;
mod transfer_contexts;
mod trouble;
mod usage;
mod versions;
mod watch;
mod writes;
