//! Application state and its transitions: `State`, `Msg`, `Cmd` and the pure
//! `update` function. Nothing here touches the terminal or the network.

pub mod editor;
pub mod elections;
pub mod events;
pub mod leader_keys;
pub mod msg;
pub mod state;
pub mod tree;
pub mod update;
pub mod watching;
pub mod writes;

pub use msg::{Cmd, LoadedValue, Msg};
pub use state::{Pane, State};
pub use update::update;
