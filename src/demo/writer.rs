//! The demo's slow background writer, so the Events pane has life: service
//! heartbeats, a feature flag's rollout moving, sessions coming and going.

use std::time::Duration;

use crate::etcd::{seed, Connection};

/// Writes one change every `every` until the task is aborted.
pub async fn run(conn: Connection, every: Duration) {
    let services = [
        ("api", "10.0.1.11:8080"),
        ("billing", "10.0.2.21:9090"),
        ("search", "10.0.3.32:9200"),
        ("auth", "10.0.4.42:8443"),
    ];
    let mut tick = tokio::time::interval(every);
    let mut step: u64 = 0;
    loop {
        tick.tick().await;
        step += 1;
        let result = match step % 4 {
            // A heartbeat: the instance's JSON with a new last_seen.
            0 | 2 => {
                let (name, addr) = services[(step / 2 % 4) as usize];
                let (ip, port) = addr.split_once(':').unwrap_or((addr, "0"));
                let value = serde_json::json!({
                    "name": name, "addr": ip, "port": port.parse::<u16>().unwrap_or(0),
                    "healthy": !step.is_multiple_of(7), "last_seen_step": step,
                });
                let key = format!("/demo/services/{name}/{addr}");
                seed::put(&conn, key.as_bytes(), value.to_string().as_bytes()).await
            }
            // The new-checkout rollout creeps up and starts again.
            1 => {
                let percent = (step * 5) % 105;
                let value = serde_json::json!({
                    "enabled": true, "rollout_percent": percent,
                    "segments": ["beta", "staff"], "updated_by": "demo-writer",
                });
                let key = b"/demo/features/new-checkout";
                seed::put(&conn, key, value.to_string().as_bytes()).await
            }
            // A session arrives, an old one leaves.
            _ => {
                let n = 3000 + step;
                let new = format!("/demo/sessions/sess-{n:05}");
                let old = format!("/demo/sessions/sess-{:05}", step % 3000 + 1);
                let value = format!(
                    r#"{{"user":"user-{n}","ip":"10.9.0.{}","scopes":["read"]}}"#,
                    step % 250
                );
                match seed::put(&conn, new.as_bytes(), value.as_bytes()).await {
                    Ok(()) => seed::delete(&conn, old.as_bytes()).await,
                    Err(e) => Err(e),
                }
            }
        };
        // A member may be down (someone is trying failover): keep going.
        let _ = result;
    }
}
