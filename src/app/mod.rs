//! Application state and its transitions: `State`, `Msg`, `Cmd` and the pure
//! `update` function. Nothing here touches the terminal or the network.
//!
//! One folder per feature; in each, `mod.rs` holds the feature's model (its
//! types and the rules on them) and `update.rs` its handling of actions and
//! messages. `action` names every user action, `keymap` binds keys to them.

pub mod action;
pub mod auth;
pub mod changes;
pub mod cluster;
pub mod command;
pub mod contexts;
pub mod dialogs;
pub mod elections;
pub mod find;
pub mod fleet;
mod guards;
pub mod history;
pub mod keymap;
pub mod layer;
pub mod leases;
pub mod list;
pub mod maint;
pub mod metrics;
pub mod mouse;
pub mod msg;
pub mod past;
pub mod resources;
pub mod selection;
pub mod state;
pub mod top;
pub mod transfer;
pub mod tree;
pub mod update;
pub mod usage;
pub mod value;
pub mod watch;
pub mod writes;

pub use action::{Action, Mode};
pub use msg::{Cmd, Msg};
pub use state::{Pane, State};
pub use update::update;
pub use value::LoadedValue;
