//! Test harness: real etcd processes on free loopback ports with temporary
//! data directories, killed (and their data removed) on drop. Built on the
//! same `LocalCluster` the demo uses.
#![allow(dead_code)]

use std::time::Duration;

use etcd_client::Client;
use etcdlens::demo::cluster::LocalCluster;
use etcdlens::etcd::{connect, ConnSettings, Connection};

pub struct Etcd {
    pub cluster: LocalCluster,
}

impl Etcd {
    /// A single-member cluster.
    pub async fn single() -> Etcd {
        Self::members(1).await
    }

    pub async fn members(n: usize) -> Etcd {
        let cluster = LocalCluster::start(n)
            .await
            .unwrap_or_else(|e| panic!("cannot start etcd: {e}"));
        Etcd { cluster }
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.cluster.endpoints()
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.endpoints(), None)
            .await
            .expect("connect")
    }

    /// A connection made the way etcdlens makes it.
    pub async fn connection(&self) -> Connection {
        connect(&ConnSettings {
            endpoints: self.endpoints(),
            dial_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(5),
            ..ConnSettings::default()
        })
        .await
        .expect("connect")
    }

    /// Writes every key (value = the key) in transactions of 128 puts.
    pub async fn put_keys(&self, keys: &[Vec<u8>]) {
        let mut client = self.client().await;
        let ops = keys
            .iter()
            .map(|k| etcd_client::TxnOp::put(k.clone(), k.clone(), None))
            .collect();
        etcdlens::demo::data::put_batched(&mut client, ops)
            .await
            .expect("put");
    }
}
