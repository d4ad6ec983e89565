//! The metrics view's sampler (`Cmd::SampleMetrics`): every member's
//! `/metrics` read at once through the worker's one HTTP client, answered
//! together in one `Msg::MetricsSampled` (each with the time its answer
//! came, the base of its rates).

use std::time::Instant;

use crate::app::Msg;

use super::Tasks;

impl Tasks {
    pub(super) fn sample_metrics(&mut self, urls: Vec<String>) {
        let fetcher = self.metrics.clone();
        self.reply(async move {
            let asks = urls.into_iter().map(|url| {
                let fetcher = fetcher.clone();
                async move {
                    let answer = fetcher.sample(&url).await;
                    (url, Instant::now(), answer)
                }
            });
            Msg::MetricsSampled(futures::future::join_all(asks).await)
        });
    }
}
