//! etcdlens: a terminal UI for etcd v3.
//!
//! See ARCHITECTURE.md for the map: `app` (state and pure transitions),
//! `ui` (drawing), `etcd` (all cluster I/O), `runtime` (the loop that ties
//! them together), `demo` (local clusters and sample data).

pub mod app;
pub mod audit;
pub mod bench_probe;
pub mod campaign;
pub mod cli;
pub mod config;
pub mod demo;
pub mod escape;
pub mod etcd;
pub mod fleet_cli;
pub mod journal;
pub mod k8s;
pub mod lock;
pub mod logging;
pub mod maint_cli;
pub mod record;
pub mod reference;
pub mod runtime;
pub mod search;
pub mod settings;
pub mod snapshot_cli;
pub mod tasks;
pub mod terminal;
pub mod transfer;
pub mod ui;
pub mod value_doc;

/// How a command ends when it fails: `Usage` exits 2 (bad arguments, cannot
/// connect or authenticate), `Other` exits 1.
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Other(String),
}

/// mimalloc instead of glibc's allocator: a big Kubernetes object decodes
/// into hundreds of thousands of small allocations, and glibc spent a
/// third of the time to show it merging them when they were freed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
