//! Tests without etcd: state changes as plain functions (message in,
//! state and commands out) and rendering (`TestBackend` + insta).
//! One test binary: each links ratatui and tonic, so fewer link faster.

mod common;

mod auth_update;
mod contexts_update;
mod dialogs_update;
mod find_update;
mod k8s_unknown;
mod layers;
mod maint_update;
mod metrics_update;
mod mouse_update;
mod reference;
mod render;
mod time_machine_update;
mod top_update;
mod transfer_update;
mod update;
mod watch_update;
