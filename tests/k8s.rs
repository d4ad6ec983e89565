//! Kubernetes values (issue 12, first step): the `k8s\0` envelope decoded
//! without schemas — header from the object's metadata, a generic field
//! dump, the hex below; encrypted and broken envelopes said in one line.
//! Objects are encoded here field by field, as kube-apiserver's protobuf
//! serializer writes them.

mod common;

use common::{Etcd, Headless};
use etcdlens::app::value::ValueStatus;
use etcdlens::k8s::{decode, Decoded};
use etcdlens::value_doc::{Document, Format, KubeStyle};

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A length-delimited field.
fn ld(n: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(n) << 3 | 2, &mut out);
    varint(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

fn int(n: u32, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(n) << 3, &mut out);
    varint(v, &mut out);
    out
}

/// A Pod: metadata (name, namespace, uid, resourceVersion,
/// creationTimestamp, a label), spec (a container with an image and a
/// port, a volume), status (phase, podIP) — in kube-apiserver's envelope.
fn pod(phase: &str) -> Vec<u8> {
    let label = [ld(1, b"app"), ld(2, b"pi")].concat();
    let meta = [
        ld(1, b"pi-dqtsw"),
        ld(3, b"default"),
        ld(5, b"7b5c9d2e-5b8a-11e7-9d3a-42010a800002"),
        ld(6, b"1234"),
        ld(8, &int(1, 1_498_581_334)),
        ld(11, &label),
    ]
    .concat();
    let port = int(3, 8080);
    let container = [ld(1, b"pi"), ld(2, b"perl:5.34"), ld(6, &port)].concat();
    let volume = [ld(1, b"data"), ld(2, &ld(1, &ld(1, b"/var/data")))].concat();
    let spec = [ld(2, &container), ld(1, &volume), ld(10, b"node-7")].concat();
    let status = [ld(1, phase.as_bytes()), ld(6, b"10.4.1.7")].concat();
    let object = [ld(1, &meta), ld(2, &spec), ld(3, &status)].concat();
    let type_meta = [ld(1, b"v1"), ld(2, b"Pod")].concat();
    let unknown = [
        ld(1, &type_meta),
        ld(2, &object),
        ld(4, b"application/vnd.kubernetes.protobuf"),
    ]
    .concat();
    [b"k8s\0".as_slice(), &unknown].concat()
}

#[test]
fn a_pod_decodes_to_its_header_and_fields() {
    let Some(Decoded::Object(o)) = decode(&pod("Running")) else {
        panic!("not decoded")
    };
    assert_eq!(o.kind, "Pod");
    assert_eq!(o.api_version, "v1");
    assert_eq!(
        o.header(),
        "Pod default/pi-dqtsw  v1  uid 7b5c9d2e-5b8a-11e7-9d3a-42010a800002  created 2017-06-27T16:35:34Z"
    );
    assert_eq!(o.meta.labels, vec![("app".to_string(), "pi".to_string())]);
    let dump = o.dump_lines().join("\n");
    assert!(dump.contains("1 metadata:"), "{dump}");
    assert_eq!(
        o.columns(),
        vec![
            ("phase", "Running".to_string()),
            ("node", "node-7".to_string())
        ]
    );
    assert!(dump.contains("  1: \"pi-dqtsw\""), "{dump}");
    assert!(dump.contains("3 status:\n  1: \"Running\""), "{dump}");
    // The container's port, three levels down, is a varint.
    assert!(dump.contains("      3: 8080"), "{dump}");
    // A nested message whose first field is 1 starts with a line break:
    // still read as a message, not as text.
    assert!(
        dump.contains("      1:\n        1: \"/var/data\""),
        "{dump}"
    );
}

#[test]
fn the_value_pane_document_shows_header_and_yaml() {
    let bytes = pod("Pending");
    let doc = Document::build(&bytes);
    assert_eq!(doc.format, Format::Kubernetes);
    let lines = doc.text_lines();
    assert!(
        lines[0].starts_with("Pod default/pi-dqtsw  v1"),
        "{}",
        lines[0]
    );
    let yaml = lines[2..].join("\n");
    assert!(
        yaml.starts_with("apiVersion: v1\nkind: Pod\nmetadata:\n  name: pi-dqtsw\n  namespace: default\n"),
        "{yaml}"
    );
    for want in [
        "  creationTimestamp: \"2017-06-27T16:35:34Z\"",
        "  containers:\n  - name: pi\n    image: perl:5.34\n    ports:\n    - containerPort: 8080",
        "  volumes:\n  - name: data\n    hostPath:\n      path: /var/data",
        "  nodeName: node-7",
        "status:\n  phase: Pending\n  podIP: 10.4.1.7",
    ] {
        assert!(yaml.contains(want), "{want}\n---\n{yaml}");
    }
    // A decoded object needs no hex dump; nothing raw reaches a line.
    assert!(!lines.iter().any(|l| l == "hex:"));
    assert!(lines.iter().all(|l| !l.contains('\0')));
    // J: the same object as JSON.
    let json = Document::build_as(&bytes, KubeStyle::Json).text_lines()[2..].join("\n");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["spec"]["containers"][0]["ports"][0]["containerPort"], 8080);
    assert_eq!(v["metadata"]["labels"]["app"], "pi");
}

#[test]
fn encrypted_broken_and_unknown_values_never_hide_data() {
    let enc = b"k8s:enc:aescbc:v1:key1:\x01\x02\x03\x1b[2J".to_vec();
    let lines = Document::build(&enc).text_lines();
    assert_eq!(
        lines,
        vec![format!(
            "encrypted at rest (aescbc, key \"key1\"), {} bytes",
            enc.len()
        )]
    );

    let mut cut = pod("Running");
    cut.truncate(cut.len() - 20);
    let lines = Document::build(&cut).text_lines();
    assert!(
        lines[0].starts_with("✗ corrupt envelope: truncated"),
        "{}",
        lines[0]
    );
    assert!(lines.iter().any(|l| l.starts_with("00000000")), "hex below");

    // A kind nobody knows still shows its type and fields.
    let type_meta = [ld(1, b"example.com/v1"), ld(2, b"Widget")].concat();
    let object = [ld(1, &ld(1, b"w1")), ld(7, &int(1, 5))].concat();
    let v = [b"k8s\0".as_slice(), &ld(1, &type_meta), &ld(2, &object)].concat();
    let lines = Document::build(&v).text_lines();
    assert!(
        lines[0].starts_with("Widget w1  example.com/v1"),
        "{}",
        lines[0]
    );
    assert!(lines.contains(&"7:".to_string()), "{lines:?}");
}

/// Stored in a real etcd under /registry/: the value pane decodes it, and
/// a change shows in the Events pane as the object, not bytes.
#[tokio::test(flavor = "multi_thread")]
async fn pods_in_etcd_show_decoded_in_the_value_and_events_panes() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/registry/pods/default/pi-dqtsw", pod("Pending"), None)
        .await
        .unwrap();
    let mut app = Headless::start(etcd.connection().await, b"/registry/pods/default/", 100);
    // The directory's only key is selected and shown.
    app.until(10, "decoded", |s| {
        matches!(&s.value.status, ValueStatus::Loaded { value, .. } if value.doc.format == Format::Kubernetes)
    })
    .await;
    app.until(10, "watching", |s| s.watch.status.is_some())
        .await;
    c.put("/registry/pods/default/pi-dqtsw", pod("Running"), None)
        .await
        .unwrap();
    app.until(10, "the event", |s| s.events.total == 1).await;
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains("Pod default/pi-dqtsw  v1  uid 7b5c9d2e"),
        "{screen}"
    );
    assert!(
        screen.contains("PUT    ~ /registry/pods/default/pi-dqtsw  Pod default/pi-dqtsw")
            || screen.contains("PUT    ? /registry/pods/default/pi-dqtsw  Pod default/pi-dqtsw"),
        "{screen}"
    );
    assert!(
        screen.contains("Pod default/pi-dqtsw  phase=Running  node=nod"),
        "{screen}"
    );
}
