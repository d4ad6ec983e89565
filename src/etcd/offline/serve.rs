//! A [`Store`] behind etcd's gRPC API (KV, Watch, Lease) on a loopback
//! port: reads answered from the file, writes refused, a watch replaying
//! the file's events from its start revision and then quiet (nothing will
//! ever change). Cluster, Maintenance and Auth are not served: etcd-client
//! gets `Unimplemented`, which the app words as "offline".

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use etcd_client::proto::*;
use futures::Stream;
use tonic::{Request, Response, Status, Streaming};

use super::{RangeAsk, ReadError, Store};

/// What every write gets.
pub const READ_ONLY: &str = "offline: a file is read-only";

/// Events per watch response while replaying.
const EVENTS_PER_RESPONSE: usize = 1000;

/// Serves `store` on a free loopback port until the process ends; returns
/// its address.
pub async fn serve(store: Store) -> std::io::Result<SocketAddr> {
    let store = Arc::new(store);
    let incoming = tonic::transport::server::TcpIncoming::bind(([127, 0, 0, 1], 0).into())?;
    let addr = incoming.local_addr()?;
    let router = tonic::transport::Server::builder()
        .add_service(
            PbKvServer::from_arc(Arc::new(Kv(store.clone())))
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX),
        )
        .add_service(PbWatchServer::new(Watch(store.clone())))
        .add_service(PbLeaseServer::new(Lease(store)));
    tokio::spawn(async move {
        if let Err(e) = router.serve_with_incoming(incoming).await {
            tracing::warn!(error = %e, "the offline server stopped");
        }
    });
    Ok(addr)
}

fn refused(e: ReadError) -> Status {
    Status::out_of_range(e.words())
}

fn ask(r: &PbRangeRequest) -> RangeAsk {
    RangeAsk {
        key: r.key.clone(),
        range_end: r.range_end.clone(),
        revision: r.revision,
        limit: r.limit,
        keys_only: r.keys_only,
        count_only: r.count_only,
        sort_order: r.sort_order,
        sort_target: r.sort_target,
        min_mod_revision: r.min_mod_revision,
        max_mod_revision: r.max_mod_revision,
        min_create_revision: r.min_create_revision,
        max_create_revision: r.max_create_revision,
    }
}

struct Kv(Arc<Store>);

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl PbKvService for Kv {
    async fn range(
        &self,
        request: Request<PbRangeRequest>,
    ) -> Result<Response<PbRangeResponse>, Status> {
        self.0
            .range(&ask(request.get_ref()))
            .map(Response::new)
            .map_err(refused)
    }

    type RangeStreamStream = BoxStream<PbRangeStreamResponse>;

    async fn range_stream(
        &self,
        _: Request<PbRangeRequest>,
    ) -> Result<Response<Self::RangeStreamStream>, Status> {
        Err(Status::unimplemented("offline: RangeStream is not served"))
    }

    async fn put(&self, _: Request<PbPutRequest>) -> Result<Response<PbPutResponse>, Status> {
        Err(Status::failed_precondition(READ_ONLY))
    }

    async fn delete_range(
        &self,
        _: Request<PbDeleteRequest>,
    ) -> Result<Response<PbDeleteResponse>, Status> {
        Err(Status::failed_precondition(READ_ONLY))
    }

    /// Read-only transactions (no comparison, ranges only) are answered.
    async fn txn(&self, request: Request<PbTxnRequest>) -> Result<Response<PbTxnResponse>, Status> {
        let t = request.get_ref();
        let mut responses = Vec::new();
        if !t.compare.is_empty() {
            return Err(Status::failed_precondition(READ_ONLY));
        }
        for op in &t.success {
            let Some(PbTxnOpRequest::RequestRange(r)) = &op.request else {
                return Err(Status::failed_precondition(READ_ONLY));
            };
            let got = self.0.range(&ask(r)).map_err(refused)?;
            responses.push(PbResponseOp {
                response: Some(PbTxnOpResponse::ResponseRange(got)),
            });
        }
        Ok(Response::new(PbTxnResponse {
            header: Some(self.0.header()),
            succeeded: true,
            responses,
        }))
    }

    async fn compact(
        &self,
        _: Request<PbCompactionRequest>,
    ) -> Result<Response<PbCompactionResponse>, Status> {
        Err(Status::failed_precondition(READ_ONLY))
    }
}

struct Watch(Arc<Store>);

#[tonic::async_trait]
impl PbWatchService for Watch {
    type WatchStream = BoxStream<PbWatchResponse>;

    async fn watch(
        &self,
        request: Request<Streaming<PbWatchRequest>>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let store = self.0.clone();
        let mut requests = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<PbWatchResponse, Status>>(16);
        tokio::spawn(async move {
            let mut next_id = 0;
            while let Ok(Some(req)) = requests.message().await {
                for resp in answer(&store, req.request_union, &mut next_id) {
                    if tx.send(Ok(resp)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream(rx))))
    }
}

/// A receiver as a stream.
fn tokio_stream<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// The responses to one watch request.
fn answer(
    store: &Store,
    req: Option<PbWatchRequestUnion>,
    next_id: &mut i64,
) -> Vec<PbWatchResponse> {
    let header = Some(store.header());
    match req {
        Some(PbWatchRequestUnion::CreateRequest(c)) => {
            let id = if c.watch_id > 0 { c.watch_id } else { *next_id };
            *next_id = (*next_id).max(id + 1);
            let mut out = vec![PbWatchResponse {
                header,
                watch_id: id,
                created: true,
                ..PbWatchResponse::default()
            }];
            let from = if c.start_revision > 0 {
                c.start_revision
            } else {
                store.revision + 1
            };
            match store.events(&c.key, &c.range_end, from, c.prev_kv) {
                Ok(events) => {
                    for chunk in events.chunks(EVENTS_PER_RESPONSE) {
                        out.push(PbWatchResponse {
                            header,
                            watch_id: id,
                            events: chunk.to_vec(),
                            ..PbWatchResponse::default()
                        });
                    }
                }
                Err(_) => out.push(PbWatchResponse {
                    header,
                    watch_id: id,
                    canceled: true,
                    compact_revision: store.compacted,
                    cancel_reason: ReadError::Compacted.words().into(),
                    ..PbWatchResponse::default()
                }),
            }
            out
        }
        Some(PbWatchRequestUnion::CancelRequest(c)) => vec![PbWatchResponse {
            header,
            watch_id: c.watch_id,
            canceled: true,
            ..PbWatchResponse::default()
        }],
        // Everything is sent: a progress notification at the last revision.
        Some(PbWatchRequestUnion::ProgressRequest(_)) => vec![PbWatchResponse {
            header,
            watch_id: -1,
            ..PbWatchResponse::default()
        }],
        None => Vec::new(),
    }
}

struct Lease(Arc<Store>);

#[tonic::async_trait]
impl PbLeaseService for Lease {
    async fn lease_grant(
        &self,
        _: Request<PbLeaseGrantRequest>,
    ) -> Result<Response<PbLeaseGrantResponse>, Status> {
        Err(Status::failed_precondition(READ_ONLY))
    }

    async fn lease_revoke(
        &self,
        _: Request<PbLeaseRevokeRequest>,
    ) -> Result<Response<PbLeaseRevokeResponse>, Status> {
        Err(Status::failed_precondition(READ_ONLY))
    }

    type LeaseKeepAliveStream = BoxStream<PbLeaseKeepAliveResponse>;

    async fn lease_keep_alive(
        &self,
        _: Request<Streaming<PbLeaseKeepAliveRequest>>,
    ) -> Result<Response<Self::LeaseKeepAliveStream>, Status> {
        Err(Status::failed_precondition(READ_ONLY))
    }

    async fn lease_time_to_live(
        &self,
        request: Request<PbLeaseTimeToLiveRequest>,
    ) -> Result<Response<PbLeaseTimeToLiveResponse>, Status> {
        let r = request.get_ref();
        let (ttl, keys) = self.0.lease(r.id).unwrap_or((-1, Vec::new()));
        Ok(Response::new(PbLeaseTimeToLiveResponse {
            header: Some(self.0.header()),
            id: r.id,
            ttl,
            granted_ttl: ttl.max(0),
            keys: if r.keys { keys } else { Vec::new() },
        }))
    }

    async fn lease_leases(
        &self,
        _: Request<PbLeaseLeasesRequest>,
    ) -> Result<Response<PbLeaseLeasesResponse>, Status> {
        Ok(Response::new(PbLeaseLeasesResponse {
            header: Some(self.0.header()),
            leases: self
                .0
                .lease_ids()
                .into_iter()
                .map(|id| PbLeaseStatus { id })
                .collect(),
        }))
    }
}
