//! Application state and its transitions: `State`, `Msg`, `Cmd` and the pure
//! `update` function. Nothing here touches the terminal or the network.

pub mod msg;
pub mod state;
pub mod tree;
pub mod update;

pub use msg::{Cmd, LoadedValue, Msg};
pub use state::{Pane, State};
pub use update::update;
