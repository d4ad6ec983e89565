//! Loads Kubernetes-shaped objects (built with the `k8s-pb` crate's typed
//! messages, as kube-apiserver encodes them) into an etcd, for trying the
//! Kubernetes views by hand:
//!
//! ```text
//! cargo run --example k8s_load -- 127.0.0.1:2379 [PODS]
//! ```
//!
//! Writes a Pod, a Deployment, a Secret, a ConfigMap, a ClusterRole, a
//! Lease, a 1.5 MB Pod, an encrypted and a truncated value, an unknown
//! kind, and PODS pods (default 2,000) over 20 namespaces.

#[path = "../tests/common/k8s_objects.rs"]
mod objects;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let endpoint = args.get(1).map_or("127.0.0.1:2379", String::as_str);
    let pods: usize = args.get(2).map_or(Ok(2000), |n| n.parse())?;
    let mut c = etcd_client::Client::connect([endpoint], None).await?;
    let mut cut = objects::pod("Running");
    cut.truncate(cut.len() / 2);
    let fixed: Vec<(&str, Vec<u8>)> = vec![
        ("/registry/pods/default/web-7d9c", objects::pod("Running")),
        ("/registry/pods/default/big", objects::big_pod(1_500_000)),
        ("/registry/deployments/default/web", objects::deployment()),
        (
            "/registry/secrets/default/db-credentials",
            objects::secret(),
        ),
        (
            "/registry/secrets/default/encrypted",
            b"k8s:enc:aescbc:v1:key1:\x8f\x10\xa2 ciphertext".to_vec(),
        ),
        (
            "/registry/configmaps/kube-system/web-config",
            objects::config_map("hello"),
        ),
        ("/registry/configmaps/kube-system/cut", cut),
        ("/registry/clusterroles/pod-reader", objects::cluster_role()),
        ("/registry/leases/kube-node-lease/node-3", objects::lease()),
        (
            "/registry/example.com/widgets/default/w1",
            [
                b"k8s\0".as_slice(),
                b"\x0a\x18\x0a\x0eexample.com/v1\x12\x06Widget\x12\x06\x0a\x04\x0a\x02w1",
            ]
            .concat(),
        ),
    ];
    for (k, v) in fixed {
        c.put(k, v, None).await?;
    }
    let phases = ["Running", "Pending", "Succeeded", "Failed"];
    for i in 0..pods {
        let ns = format!("team-{:02}", i % 20);
        let name = format!("app-{i:05}");
        let v = objects::pod_in(&ns, &name, phases[i % 4], &format!("node-{}", i % 7));
        c.put(format!("/registry/pods/{ns}/{name}"), v, None)
            .await?;
    }
    println!("loaded {} pods and 10 other values", pods);
    Ok(())
}
