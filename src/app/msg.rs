//! Messages into `update` and commands out of it.

use std::time::Instant;

use crossterm::event::Event;

use super::tree::NodeId;
use crate::etcd::types::{ChildPage, ValueRecord};
use crate::value_doc::Document;

/// A fetched value with its document ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedValue {
    pub record: ValueRecord,
    pub doc: Document,
}

#[derive(Debug)]
pub enum Msg {
    /// Terminal input: keys, paste, resize.
    Input(Event),
    /// The clock moved on (drives TTL countdowns and message expiry).
    Tick(Instant),
    /// A page of a directory listing, for the request of that generation.
    Listed {
        dir: NodeId,
        generation: u64,
        result: Result<ChildPage, String>,
    },
    /// The answer to value request `req`; `None` when the key is gone.
    Value {
        req: u64,
        result: Result<Option<LoadedValue>, String>,
        revision: i64,
    },
    /// SIGTERM, SIGINT or SIGHUP.
    Signal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// List the next page of `dir`'s children.
    ListChildren {
        dir: NodeId,
        generation: u64,
        prefix: Vec<u8>,
        cursor: Option<Vec<u8>>,
    },
    /// Fetch a key's value; supersedes (cancels) the previous fetch.
    FetchValue { req: u64, key: Vec<u8> },
    /// Leave the program.
    Quit,
}
