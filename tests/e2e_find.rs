//! End to end: find (`F`) in the built binary, in a real terminal (tmux),
//! against a real etcd.

use crate::common;

use common::tmux::Tmux;
use common::Etcd;

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

#[tokio::test(flavor = "multi_thread")]
async fn f_finds_keys_and_values_under_the_selected_directory() {
    let etcd = Etcd::single().await;
    // 20,000 keys under /big/, 38 of them named like a payment; one value
    // mentions a refund.
    let keys: Vec<Vec<u8>> = (0..20_000)
        .map(|i| {
            let name = if i % 540 == 7 { "payment" } else { "order" };
            format!("/big/svc{:02}/{name}-{i:05}", i % 40).into_bytes()
        })
        .collect();
    let payments = keys
        .iter()
        .filter(|k| k.ends_with(b"7") && k.windows(7).any(|w| w == b"payment"))
        .count();
    assert_eq!(payments, 38);
    etcd.put_keys(&keys).await;
    let mut c = etcd.client().await;
    c.put("/big/svc00/order-x", r#"{"note":"refund 42"}"#, None)
        .await
        .unwrap();
    c.put("/other/payment", "x", None).await.unwrap();

    let tmux = Tmux::start(&format!("{BIN} --endpoints {}", etcd.endpoints()[0]));
    tmux.wait_for("big/");
    // Rows: /, big/, other/: select big/ and find in it.
    tmux.send(&["j", "F"]);
    tmux.wait_for(":find ");
    tmux.send(&["payment", "Enter"]);
    let screen = tmux.wait_for("done (Esc closes)");
    assert!(screen.contains("find: \"payment\" (38)"), "{screen}");
    assert!(
        screen.contains("scanned 20,001 / 20,001 keys  38 matches"),
        "{screen}"
    );
    assert!(
        !screen.contains("other/payment"),
        "only under big/:\n{screen}"
    );
    // The first result's value shows when it is selected.
    tmux.send(&["j"]);
    tmux.wait_for("Value /big/svc07/payment-00007");
    // A value search from the results: same directory.
    tmux.send(&["F"]);
    tmux.wait_for(":find ");
    tmux.send(&["v:refund", "Enter"]);
    tmux.wait_for("find: \"v:refund\" (1)");
    let screen = tmux.wait_for("done (Esc closes)");
    assert!(screen.contains("svc00/order-x"), "{screen}");
    // Esc closes the results: the tree is back; q quits cleanly.
    tmux.send(&["Escape"]);
    tmux.wait_for("other/");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}
