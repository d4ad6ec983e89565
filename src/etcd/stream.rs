//! etcd 3.7's `RangeStream`: a range read in chunks that etcd reads
//! without counting the rest of the range (a range read walks every key to
//! its range's end, whatever its limit). etcd before 3.7, grpc-proxy and
//! learners answer `Unimplemented`; after that answer this process reads
//! with range reads only.
//!
//! Measured (etcd 3.7.3, etcd-client 0.21, this machine): opening a stream
//! costs about 2 ms before its first chunk, a range read 0.3 ms, so
//! streams serve long reads (the export, the resource table's pages), not
//! probes.

use std::sync::atomic::{AtomicBool, Ordering};

static UNAVAILABLE: AtomicBool = AtomicBool::new(false);

/// Whether a stream is still worth trying.
pub fn available() -> bool {
    !UNAVAILABLE.load(Ordering::Relaxed)
}

/// Takes the error a stream failed with: `Unimplemented` (or any other
/// refusal before reading) means etcd has no `RangeStream`.
pub fn failed(error: &super::Error) {
    if matches!(error, super::Error::Refused(_)) {
        UNAVAILABLE.store(true, Ordering::Relaxed);
    }
    tracing::info!(%error, "RangeStream failed: range reads instead");
}
