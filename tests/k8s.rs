//! Kubernetes values (issue 12, first step): the `k8s\0` envelope decoded
//! without schemas — header from the object's metadata, a generic field
//! dump, the hex below; encrypted and broken envelopes said in one line.
//! Objects are encoded here field by field, as kube-apiserver's protobuf
//! serializer writes them.

use crate::common;

use common::{Etcd, Headless};
use etcdlens::app::value::ValueStatus;
use etcdlens::k8s::{decode, Decoded};
use etcdlens::value_doc::{Document, Format, KubeStyle};

use built::wire::{int, ld};

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
        yaml.starts_with(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pi-dqtsw\n  namespace: default\n"
        ),
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
    assert_eq!(
        v["spec"]["containers"][0]["ports"][0]["containerPort"],
        8080
    );
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
    // The directory's only key is selected and shown.
    let mut app = open_decoded(&etcd, b"/registry/pods/default/").await;
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

#[path = "common/k8s_objects.rs"]
pub(crate) mod built;

/// Objects of several API groups stored in a real etcd under /registry/,
/// read back through etcdlens's value pane: YAML with Kubernetes' field
/// names and kubectl's special cases (times, quantities, int-or-string,
/// base64 bytes, embedded structs, MicroTime).
#[tokio::test(flavor = "multi_thread")]
async fn objects_of_several_groups_show_as_kubectl_yaml() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let objects = [
        ("/registry/pods/default/web-7d9c", built::pod("Running")),
        ("/registry/deployments/default/web", built::deployment()),
        ("/registry/secrets/default/db-credentials", built::secret()),
        (
            "/registry/configmaps/kube-system/web-config",
            built::config_map("hello"),
        ),
        ("/registry/clusterroles/pod-reader", built::cluster_role()),
        ("/registry/leases/kube-node-lease/node-3", built::lease()),
    ];
    for (k, v) in &objects {
        c.put(*k, v.clone(), None).await.unwrap();
    }
    let expected: [&[&str]; 6] = [
        &[
            "Pod default/web-7d9c  v1  uid 0c6a3b54-3d4e-4a8e-9a36-2f1b3c4d5e6f  created 2023-11-14T22:13:20Z",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-7d9c\n  namespace: default\n  uid: \"0c6a3b54-3d4e-4a8e-9a36-2f1b3c4d5e6f\"\n  generation: 1\n  creationTimestamp: \"2023-11-14T22:13:20Z\"\n  labels:\n    app: web\n    tier: front\nspec:\n  volumes:\n  - name: config\n    configMap:\n      name: web-config\n      defaultMode: 420\n  containers:\n  - name: web\n    image: nginx:1.27\n    command:\n    - /bin/sh\n    - \"-c\"\n    args:\n    - exec web --port=8080\n    ports:\n    - name: http\n      containerPort: 8080\n      protocol: TCP\n    env:\n    - name: MODE\n      value: prod\n    resources:\n      limits:\n        cpu: 500m\n        memory: 128Mi\n      requests:\n        cpu: 250m\n",
            "status:\n  phase: Running\n  conditions:\n  - type: Ready\n    status: \"True\"\n    lastTransitionTime: \"2023-11-14T22:14:20Z\"\n  podIP: 10.244.1.7\n",
            "  containerStatuses:\n  - name: web\n    state:\n      running:\n        startedAt: \"2023-11-14T22:13:50Z\"\n    ready: true\n    restartCount: 0\n  podIPs:\n  - ip: 10.244.1.7\n",
        ],
        &[
            "Deployment default/web  apps/v1",
            "spec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      generation: 0\n      creationTimestamp: null\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxUnavailable: 1\n      maxSurge: 25%\n",
            "status:\n  replicas: 3\n  readyReplicas: 2\n",
        ],
        &["Secret default/db-credentials  v1", "data:\n  password: czNjcjN0/w==\n  username: YWRtaW4=\ntype: Opaque\n"],
        &[
            "ConfigMap kube-system/web-config  v1",
            "data:\n  greeting: hello\n  nginx.conf: |\n    server {\n      listen 8080;\n    }\nbinaryData:\n  logo.png: iVBORwAB\n",
        ],
        &[
            "ClusterRole pod-reader  rbac.authorization.k8s.io/v1",
            "rules:\n- verbs:\n  - get\n  - list\n  - watch\n  apiGroups:\n  - \"\"\n  resources:\n  - pods\n",
        ],
        &[
            "Lease kube-node-lease/node-3  coordination.k8s.io/v1",
            "spec:\n  holderIdentity: node-3\n  leaseDurationSeconds: 40\n  renewTime: \"2023-11-14T22:15:00.123456Z\"\n",
        ],
    ];
    let mut app = Headless::start(etcd.connection().await, b"/registry/", 100);
    for ((key, _), want) in objects.iter().zip(expected) {
        // Open the directories down to the key, then select it.
        let parts: Vec<&str> = key.trim_start_matches("/registry/").split('/').collect();
        let mut dir = "/registry/".to_string();
        for p in &parts[..parts.len() - 1] {
            dir.push_str(p);
            dir.push('/');
            app.until_listed(10).await;
            app.select(dir.as_bytes());
            app.press(crossterm::event::KeyCode::Enter);
        }
        let k = key.as_bytes().to_vec();
        app.until(10, "the key row", |s| {
            s.tree
                .rows
                .iter()
                .any(|r| !r.more && s.tree.node(r.node).full.as_ref() == k.as_slice())
        })
        .await;
        app.select(key.as_bytes());
        app.until(10, "the object", |s| {
            matches!(&s.value.status, ValueStatus::Loaded { value, .. }
                if value.record.key == k && value.doc.format == Format::Kubernetes)
        })
        .await;
        let ValueStatus::Loaded { value, .. } = &app.state.value.status else {
            unreachable!()
        };
        let text = value.doc.text_lines().join("\n") + "\n";
        for w in want {
            assert!(text.contains(w), "{key}: missing\n{w}\n--- in ---\n{text}");
        }
        // Collapse the path again so the next key's rows are near the top.
        app.state.tree = etcdlens::app::tree::Tree::new(b"/registry/", b"/");
        for cmd in etcdlens::app::tree::update::start(&mut app.state) {
            app.send(cmd);
        }
    }
}

/// Objects in the shape kube-apiserver writes encode back to exactly the
/// stored bytes, so they can be edited as YAML; an edit changes only what
/// was edited.
#[test]
fn objects_as_kube_apiserver_writes_them_encode_back_exactly() {
    use etcdlens::k8s::{apply_edit, editable};
    for bytes in [
        built::pod("Running"),
        built::secret(),
        built::config_map("hello"),
        built::cluster_role(),
        built::lease(),
        built::deployment(),
    ] {
        let e = editable(&bytes).unwrap_or_else(|why| panic!("{why}"));
        assert_eq!(
            apply_edit(&bytes, &e.text, &e).unwrap(),
            bytes,
            "{}",
            e.text
        );
    }
    let before = built::config_map("hello");
    let e = editable(&before).unwrap();
    let text = e
        .text
        .replace("greeting: hello", "greeting: \"bonjour: 1\"");
    assert_ne!(text, e.text);
    let after = apply_edit(&before, &text, &e).unwrap();
    assert_eq!(after, built::config_map("bonjour: 1"));
}

/// Editing as YAML is refused, with the reason, when encoding the
/// unchanged object again would not give back the stored bytes (fields
/// in another order than kube-apiserver writes, a field the schema does
/// not know), and when the edit does not fit the schema.
#[test]
fn editing_is_refused_when_the_object_would_not_encode_back() {
    use etcdlens::k8s::{apply_edit, editable};
    // The hand-made pod writes spec.containers (2) before spec.volumes (1).
    let why = editable(&pod("Running")).unwrap_err();
    assert!(why.contains("does not give back the stored bytes"), "{why}");
    // A time written without its nanos (kube-apiserver always writes them).
    let why = editable(&built::pod_time_without_nanos("Running")).unwrap_err();
    assert!(why.contains("does not give back the stored bytes"), "{why}");
    let why = editable(b"k8s:enc:aescbc:v1:key1:xyz").unwrap_err();
    assert!(why.contains("encrypted"), "{why}");

    let bytes = built::secret();
    let e = editable(&bytes).unwrap();
    for (edit, reason) in [
        (
            e.text.replace("type: Opaque", "tpye: Opaque"),
            "unknown field \"tpye\"",
        ),
        (
            e.text.replace("kind: Secret", "kind: ConfigMap"),
            "apiVersion and kind must stay v1 Secret",
        ),
        (
            e.text.replace("generation: 1", "generation: many"),
            "ObjectMeta.generation: expected an integer",
        ),
        (
            e.text
                .replace("username: YWRtaW4=", "username: not base64!"),
            "not base64",
        ),
        (e.text.replace("type: Opaque", "type: [Opaque"), "YAML"),
    ] {
        let why = apply_edit(&bytes, &edit, &e).unwrap_err();
        assert!(why.contains(reason), "{reason}: {why}");
    }
}

/// `--record`: a Kubernetes object's event line carries the decoded object
/// next to the raw value (real etcd, the real watch task).
#[tokio::test(flavor = "multi_thread")]
async fn recorded_events_carry_the_decoded_object() {
    let etcd = Etcd::single().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let (msg_tx, mut msgs) = tokio::sync::mpsc::channel(1024);
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::channel(256);
    let worker = tokio::spawn(etcdlens::tasks::run(
        etcd.connection().await,
        b"/".to_vec(),
        Some(path.clone()),
        Default::default(),
        cmd_rx,
        msg_tx,
    ));
    cmd_tx
        .send(etcdlens::app::Cmd::Watch {
            epoch: 1,
            prefix: b"/registry/".to_vec(),
            start_revision: Some(1),
        })
        .await
        .unwrap();
    let mut c = etcd.client().await;
    c.put(
        "/registry/pods/default/web-7d9c",
        built::pod("Pending"),
        None,
    )
    .await
    .unwrap();
    c.put("/registry/plain", "not kubernetes", None)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let lines = loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.lines().count() >= 2 {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no record lines: {text:?}"
        );
        let _ = tokio::time::timeout(std::time::Duration::from_millis(100), msgs.recv()).await;
    };
    let lines: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines[0]["value_base64"].is_string(), "the raw value stays");
    assert_eq!(lines[0]["object"]["kind"], "Pod");
    assert_eq!(lines[0]["object"]["status"]["phase"], "Pending");
    assert_eq!(
        lines[0]["object"]["spec"]["containers"][1]["image"],
        "envoy:1.30"
    );
    assert!(lines[1].get("object").is_none(), "{}", lines[1]);
    worker.abort();
}

/// The event diff of a Pod whose phase changes: decoded YAML, line by
/// line; only the phase differs.
#[test]
fn the_diff_of_a_pod_whose_phase_changes_is_one_yaml_line() {
    use etcdlens::value_doc::{line_diff, DiffTag};
    let diff = line_diff(&built::pod("Pending"), &built::pod("Running"));
    let changed: Vec<(DiffTag, &str)> = diff
        .iter()
        .filter(|(t, _)| *t != DiffTag::Same)
        .map(|(t, l)| (*t, l.as_str()))
        .collect();
    assert_eq!(
        changed,
        vec![
            (DiffTag::Old, "  phase: Pending"),
            (DiffTag::New, "  phase: Running")
        ]
    );
    assert!(diff.iter().any(|(_, l)| l == "kind: Pod"));
}

/// `J` shows decoded objects as JSON and back as YAML; `y` copies the
/// object as shown. A value over 64 KiB is formatted again off the UI
/// thread (a command), a small one on the spot.
#[test]
fn j_toggles_json_and_y_copies_the_object_as_shown() {
    use common::fixtures::{ch, loaded};
    use etcdlens::app::{update, Cmd, Msg, State};
    let mut s = State::new(
        b"/registry/",
        b"/",
        "test".into(),
        std::time::Instant::now(),
    );
    let show = |s: &mut State, value: &[u8]| {
        s.value.key = Some(b"/registry/x".to_vec());
        s.value.status = ValueStatus::Loaded {
            value: Box::new(loaded(b"/registry/x", value, 7, 0)),
            fetched_at: s.now,
        };
    };
    let text = |s: &State| match &s.value.status {
        ValueStatus::Loaded { value, .. } => value.doc.text_lines()[2..].join("\n"),
        _ => panic!("not loaded"),
    };
    let copied = |cmds: &[Cmd]| {
        cmds.iter()
            .find_map(|c| match c {
                Cmd::Copy(b) => Some(String::from_utf8(b.clone()).unwrap()),
                _ => None,
            })
            .expect("a copy")
    };
    show(&mut s, &built::secret());
    s.focus = etcdlens::app::Pane::Value;
    assert!(text(&s).starts_with("apiVersion: v1\nkind: Secret"));
    assert!(copied(&update(&mut s, ch('y'))).starts_with("apiVersion: v1\nkind: Secret\n"));
    assert!(update(&mut s, ch('J')).is_empty());
    assert!(
        text(&s).starts_with("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Secret\""),
        "{}",
        text(&s)
    );
    let json = copied(&update(&mut s, ch('y')));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["data"]["username"], "YWRtaW4=");
    update(&mut s, ch('J'));
    assert!(text(&s).starts_with("apiVersion: v1"));

    // Over 64 KiB: a FormatValue command, answered as the value request.
    let big = built::config_map(&"x".repeat(70_000));
    show(&mut s, &big);
    let cmds = update(&mut s, ch('J'));
    let (req, record, style) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::FormatValue { req, record, style } => Some((*req, record.clone(), *style)),
            _ => None,
        })
        .expect("formatted off the UI thread");
    assert_eq!(style, KubeStyle::Json);
    let doc = Document::build_as(&record.value, style);
    update(
        &mut s,
        Msg::Value {
            req,
            result: Ok(Some(etcdlens::app::LoadedValue { record, doc })),
            revision: 0,
        },
    );
    assert!(text(&s).starts_with("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\""));
    // Not Kubernetes: J changes nothing shown, y copies the bytes.
    show(&mut s, b"plain text");
    update(&mut s, ch('J'));
    assert_eq!(copied(&update(&mut s, ch('y'))), "plain text");
}

/// Puts `n` pods over 3 namespaces plus a Deployment, a non-Kubernetes
/// value and an encrypted one under /registry/.
async fn load_pods(c: &mut etcd_client::Client, n: usize) {
    let phases = ["Running", "Pending", "Succeeded"];
    let mut txn = Vec::new();
    for i in 0..n {
        let ns = format!("team-{}", i % 3);
        let name = format!("app-{i:04}");
        let v = built::pod_in(&ns, &name, phases[i % 3], &format!("node-{}", i % 5));
        txn.push(etcd_client::TxnOp::put(
            format!("/registry/pods/{ns}/{name}"),
            v,
            None,
        ));
        if txn.len() == 100 {
            c.txn(etcd_client::Txn::new().and_then(std::mem::take(&mut txn)))
                .await
                .unwrap();
        }
    }
    if !txn.is_empty() {
        c.txn(etcd_client::Txn::new().and_then(txn)).await.unwrap();
    }
    c.put(
        "/registry/deployments/default/web",
        built::deployment(),
        None,
    )
    .await
    .unwrap();
    c.put("/registry/deployments/default/notes", "plain text", None)
        .await
        .unwrap();
    c.put(
        "/registry/deployments/default/sealed",
        &b"k8s:enc:aescbc:v1:key1:\x01\x02"[..],
        None,
    )
    .await
    .unwrap();
}

/// Opens the resource table on `dir` (a row of the top level).
async fn open_table(app: &mut Headless, dir: &str) {
    app.until_listed(10).await;
    app.select(dir.as_bytes());
    app.press(crossterm::event::KeyCode::Char('K'));
    app.until(10, "the rows on screen read", |s| {
        s.resources.as_ref().is_some_and(|v| {
            !v.rows.is_empty() && v.reading.is_none() && v.unread_run(41).is_none()
        })
    })
    .await;
}

/// `K` on /registry/pods/: keys are listed 500 at a time, values are read
/// only for the rows on screen, the next page comes as the selection nears
/// the end; the columns are kubectl's.
#[tokio::test(flavor = "multi_thread")]
async fn the_resource_table_lists_pages_and_reads_only_rows_on_screen() {
    use etcdlens::app::resources::Loaded;
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    load_pods(&mut c, 1200).await;
    let mut app = Headless::start(etcd.connection().await, b"/registry/", 100);
    open_table(&mut app, "/registry/pods/").await;
    let view = app.state.resources.as_ref().unwrap();
    assert_eq!(view.rows.len(), 500, "one page of keys");
    assert!(view.more);
    let read = view.rows.iter().filter(|r| r.value.is_some()).count();
    assert_eq!(read, 41, "only the rows on screen are read");
    match &view.rows[0].value {
        Some(Loaded::Value {
            row: Some(r), size, ..
        }) => {
            assert_eq!(
                (r.kind.as_str(), r.namespace.as_str(), r.name.as_str()),
                ("Pod", "team-0", "app-0000")
            );
            assert_eq!(
                r.columns,
                vec![
                    ("phase", "Running".to_string()),
                    ("node", "node-0".to_string())
                ]
            );
            assert_eq!(
                *size,
                built::pod_in("team-0", "app-0000", "Running", "node-0").len()
            );
        }
        other => panic!("{other:?}"),
    }
    // To the end of what is listed: the next pages come, in key order.
    for _ in 0..3 {
        app.press(crossterm::event::KeyCode::Char('G'));
        app.until(10, "the next page", |s| {
            s.resources
                .as_ref()
                .is_some_and(|v| !v.listing && v.reading.is_none())
        })
        .await;
    }
    let view = app.state.resources.as_ref().unwrap();
    assert_eq!(view.rows.len(), 1200);
    assert!(!view.more);
    let mut keys: Vec<Vec<u8>> = view.rows.iter().map(|r| r.key.clone()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 1200, "no key twice");
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "in key order");
    let read = view.rows.iter().filter(|r| r.value.is_some()).count();
    assert!(read < 200, "{read} rows read: only those shown");
    assert!(
        view.rows[1199].value.is_some(),
        "the last row, on screen, is read"
    );
    // Esc closes.
    app.press(crossterm::event::KeyCode::Esc);
    assert!(app.state.resources.is_none());
}

/// Snapshot of the table: a Deployment's READY, a value that is not a
/// Kubernetes one, an encrypted one.
#[tokio::test(flavor = "multi_thread")]
async fn resource_table_screen() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    load_pods(&mut c, 0).await;
    let mut app = Headless::start(etcd.connection().await, b"/registry/", 100);
    open_table(&mut app, "/registry/deployments/").await;
    let screen = common::fixtures::screen(&app.state);
    // Ages depend on today's date: the Deployment was created in 2023.
    let screen = regex_lite_years(&screen);
    insta::assert_snapshot!(screen);
}

/// The Value pane's YAML of a Deployment, as drawn.
#[tokio::test(flavor = "multi_thread")]
async fn deployment_yaml_screen() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put(
        "/registry/deployments/default/web",
        built::deployment(),
        None,
    )
    .await
    .unwrap();
    let mut app = open_decoded(&etcd, b"/registry/deployments/default/").await;
    app.until(10, "watching", |s| {
        matches!(
            s.watch.status,
            Some(etcdlens::etcd::types::WatchStatus::Watching { .. })
        )
    })
    .await;
    // The value can decode before the listing's last page has arrived.
    app.until_listed(10).await;
    app.state.focus = etcdlens::app::Pane::Value;
    let screen = common::fixtures::screen(&app.state);
    // The revision numbers of a fresh etcd are stable; the clock is not
    // shown in the Value pane.
    insta::assert_snapshot!(screen);
}

/// The browser on `dir`, once the first key's value shows decoded as a
/// Kubernetes object.
async fn open_decoded(etcd: &Etcd, dir: &[u8]) -> Headless {
    let mut app = Headless::start(etcd.connection().await, dir, 100);
    app.until(10, "decoded", |s| {
        matches!(&s.value.status, ValueStatus::Loaded { value, .. } if value.doc.format == Format::Kubernetes)
    })
    .await;
    app
}

/// `3y` → `Ny`: an age in years changes with the calendar.
fn regex_lite_years(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() && chars.peek() == Some(&'y') {
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out
}

/// `e` on a Kubernetes object edits its YAML with a warning; Ctrl-s encodes
/// it back into the same envelope and writes it with the guarded
/// transaction; the object in etcd then differs only where edited. An
/// object that would not encode back is refused with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn e_edits_an_object_as_yaml_and_saves_it_into_its_envelope() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let key = "/registry/configmaps/kube-system/web-config";
    c.put(key, built::config_map("hello"), None).await.unwrap();
    c.put(
        "/registry/configmaps/kube-system/x-cut",
        &pod("Running")[..40],
        None,
    )
    .await
    .unwrap();
    let mut app = open_decoded(&etcd, b"/registry/configmaps/kube-system/").await;
    app.press(crossterm::event::KeyCode::Char('e'));
    let editor = app.state.editor.as_ref().expect("the editor");
    assert!(editor.ctx.kube.is_some());
    assert!(
        editor.text().contains("\ndata:\n  greeting: hello\n"),
        "{}",
        editor.text()
    );
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains("⚠ kube-apiserver normally writes this key"),
        "{screen}"
    );
    let text = editor.text().replace("greeting: hello", "greeting: howdy");
    app.state.editor.as_mut().unwrap().set_text(&text);
    app.apply(common::fixtures::ctrl('s'));
    app.until(10, "saved", |s| s.editor.is_none()).await;
    let stored = c.get(key, None).await.unwrap().kvs()[0].value().to_vec();
    assert_eq!(
        stored,
        built::config_map("howdy"),
        "only the edited field changed"
    );
    // A broken envelope: refused, nothing opened.
    app.press(crossterm::event::KeyCode::Char('j'));
    app.until(10, "the cut value", |s| {
        matches!(&s.value.status, ValueStatus::Loaded { value, .. } if value.record.key.ends_with(b"x-cut"))
    })
    .await;
    app.press(crossterm::event::KeyCode::Char('e'));
    assert!(app.state.editor.is_none());
    let msg = &app.state.message.as_ref().unwrap().text;
    assert!(
        msg.starts_with("cannot edit this Kubernetes object as YAML: corrupt envelope"),
        "{msg}"
    );
    assert!(msg.ends_with("E edits the raw bytes"), "{msg}");
}

/// A YAML edit saved while kube-apiserver changed the object: the conflict
/// view diffs the current object's YAML against the edit; overwrite
/// encodes the edit into the current envelope.
#[tokio::test(flavor = "multi_thread")]
async fn a_conflicting_yaml_edit_shows_a_yaml_diff() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let key = "/registry/configmaps/kube-system/web-config";
    c.put(key, built::config_map("hello"), None).await.unwrap();
    let mut app = open_decoded(&etcd, b"/registry/configmaps/kube-system/").await;
    app.press(crossterm::event::KeyCode::Char('e'));
    let text = app
        .state
        .editor
        .as_ref()
        .unwrap()
        .text()
        .replace("greeting: hello", "greeting: mine");
    app.state.editor.as_mut().unwrap().set_text(&text);
    c.put(key, built::config_map("theirs"), None).await.unwrap();
    app.apply(common::fixtures::ctrl('s'));
    app.until(10, "the conflict", |s| s.conflict.is_some())
        .await;
    let diff: Vec<String> = app
        .state
        .conflict
        .as_ref()
        .unwrap()
        .diff
        .iter()
        .filter(|(t, _)| *t != etcdlens::value_doc::DiffTag::Same)
        .map(|(_, l)| l.clone())
        .collect();
    assert_eq!(diff, ["  greeting: theirs", "  greeting: mine"]);
    app.press(crossterm::event::KeyCode::Char('o'));
    app.until(10, "overwritten", |s| s.conflict.is_none()).await;
    let stored = c.get(key, None).await.unwrap().kvs()[0].value().to_vec();
    assert_eq!(stored, built::config_map("mine"));
}

/// An object over 64 KiB changes: the Events log keeps its first 64 KiB;
/// the preview names the object and says it was cut, not corrupt.
#[tokio::test(flavor = "multi_thread")]
async fn an_event_of_a_big_object_says_it_was_cut_not_corrupt() {
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/registry/pods/default/a", "x", None).await.unwrap();
    let mut app = Headless::start(etcd.connection().await, b"/registry/pods/default/", 100);
    app.until(10, "watching", |s| s.watch.status.is_some())
        .await;
    let big = built::big_pod(200_000);
    assert!(big.len() > 64 * 1024);
    c.put("/registry/pods/default/big", big, None)
        .await
        .unwrap();
    app.until(10, "the event", |s| s.events.total == 1).await;
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains("Pod default/big  (value cut to 64 KiB in the log)"),
        "{screen}"
    );
    assert!(!screen.contains("corrupt"), "{screen}");
    // Its detail says the same.
    app.state.focus = etcdlens::app::Pane::Events;
    app.state
        .events
        .select(Some(app.state.events.seq_range().0));
    let screen = common::fixtures::screen(&app.state);
    assert!(
        screen.contains("the key's own value shows it whole"),
        "{screen}"
    );
    assert!(!screen.contains("corrupt"), "{screen}");
}

/// The binary in a real terminal: a Pod shows as YAML, `J` switches to
/// JSON; `K` on /registry/pods/ shows the resource table.
#[tokio::test(flavor = "multi_thread")]
async fn e2e_yaml_json_and_the_resource_table_in_tmux() {
    use common::tmux::Tmux;
    const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put(
        "/registry/pods/default/web-7d9c",
        built::pod("Running"),
        None,
    )
    .await
    .unwrap();
    c.put(
        "/registry/deployments/default/web",
        built::deployment(),
        None,
    )
    .await
    .unwrap();
    let ep = &etcd.endpoints()[0];
    let tmux = Tmux::start(&format!(
        "{BIN} --endpoints {ep} --prefix /registry/pods/default/"
    ));
    let screen = tmux.wait_for("kind: Pod");
    assert!(screen.contains("Pod default/web-7d9c  v1  uid"), "{screen}");
    assert!(screen.contains("  - name: web"), "{screen}");
    tmux.send(&["J"]);
    tmux.wait_for("\"kind\": \"Pod\",");
    tmux.send(&["q"]);
    drop(tmux);

    let tmux = Tmux::start(&format!("{BIN} --endpoints {ep} --prefix /registry/"));
    tmux.wait_for("pods/");
    // Rows: deployments/, pods/.
    tmux.send(&["j", "K"]);
    let screen = tmux.wait_for("NAMESPACE  NAME      KIND  AGE");
    assert!(
        screen.contains("Kubernetes /registry/pods/ (1 keys)"),
        "{screen}"
    );
    assert!(screen.contains("Running  node-3"), "{screen}");
    tmux.send(&["Escape"]);
    tmux.send(&["q"]);
}

/// Nine lines of aliases of aliases ("billion laughs"), as a user might
/// paste them into the YAML editor: `a` holds 9 strings, `i` 9⁹.
fn alias_bomb() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .into_iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    text
}

/// YAML aliases are refused by name and line before anything is expanded
/// (the loader copies the anchored node for every alias); anchors alone
/// pass. A small bomb (three levels) shows the refusal without the memory.
#[test]
fn yaml_aliases_are_refused_before_they_expand() {
    use etcdlens::k8s::yaml::parse;
    let small = "a: &a [1, 2]\nb: &b [*a, *a]\nc: [*b, *b]\n";
    assert_eq!(
        parse(small).unwrap_err(),
        "YAML: line 2: aliases (*a) are not supported; write the value out in full"
    );
    assert!(parse(&alias_bomb()).unwrap_err().contains("aliases (*a)"));
    assert_eq!(
        parse("a: &x 1\nb: \"*not an alias\"\n").unwrap(),
        serde_json::json!({"a": 1, "b": "*not an alias"})
    );
}

/// The binary in a terminal: the alias bomb pasted into a Kubernetes
/// object's YAML editor and saved with Ctrl-s is refused in one line, the
/// text stays in the editor, and the process lives on (it used to take
/// all the memory and abort). The address space is capped so that a
/// regression fails here rather than taking the machine's memory.
#[tokio::test(flavor = "multi_thread")]
async fn an_alias_bomb_in_the_yaml_editor_is_refused_and_the_text_stays() {
    use common::tmux::Tmux;
    const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    let key = "/registry/configmaps/kube-system/web-config";
    c.put(key, built::config_map("hello"), None).await.unwrap();
    let ep = &etcd.endpoints()[0];
    let tmux = Tmux::start(&format!(
        "ulimit -v 4194304; {BIN} --endpoints {ep} --prefix /registry/configmaps/kube-system/"
    ));
    tmux.wait_for("greeting: hello");
    tmux.send(&["e"]);
    tmux.wait_for("Edit /registry/configmaps/kube-system/web-config");
    // The bomb as one bracketed paste at the start of the text (its own
    // top-level keys, before apiVersion).
    tmux.run(&["set-buffer", "--", &alias_bomb()]);
    tmux.run(&["paste-buffer", "-p", "-t", "t"]);
    tmux.wait_for("i: &i [*h,*h");
    tmux.send(&["C-s"]);
    let screen = tmux.wait_for("aliases (*a) are not supported");
    assert!(
        screen.contains(
            "not saved: YAML: line 2: aliases (*a) are not supported; write the value out in full; your text stays in the editor"
        ),
        "{screen}"
    );
    assert!(screen.contains("greeting: hello"), "{screen}");
    assert!(screen.contains("b: &b [*a,*a"), "{screen}");
    assert!(!screen.contains("EXIT="), "{screen}");
    assert!(!tmux.app_pid().is_empty(), "still running:\n{screen}");
    // Nothing was written.
    let stored = c.get(key, None).await.unwrap().kvs()[0].value().to_vec();
    assert_eq!(stored, built::config_map("hello"));
    tmux.send(&["Escape", "y", "q"]);
    tmux.wait_for("EXIT=0");
}

/// The screen of `s` at its own size, as text.
fn screen_at(s: &etcdlens::app::State) -> String {
    common::fixtures::screen_sized(s, s.size.0, s.size.1)
}

/// Issue 22.18: the refusal of a YAML edit is a long line; it wraps onto
/// more rows of the status bar, `; E edits the raw bytes` included, at
/// 80×24 and at 160×45 (it used to be cut at the screen's edge).
#[test]
fn the_yaml_edit_refusal_wraps_whole_at_80_and_160_columns() {
    let key = b"/registry/pods/default/pi";
    for (w, h) in [(80u16, 24u16), (160, 45)] {
        let mut s = common::fixtures::listed_root(&["/registry/pods/default/pi"]);
        s.size = (w, h);
        let v = common::fixtures::loaded(key, &pod("Running"), 7, 0);
        s.value.key = Some(key.to_vec());
        s.value.status = ValueStatus::Loaded {
            value: Box::new(v),
            fetched_at: s.now,
        };
        s.selected = s
            .tree
            .rows
            .iter()
            .position(|r| s.tree.node(r.node).full.as_ref() == key)
            .expect("the key's row");
        etcdlens::app::update(&mut s, common::fixtures::ch('e'));
        assert!(s.editor.is_none());
        let text = s.message.as_ref().expect("the refusal").text.clone();
        assert!(text.ends_with("; E edits the raw bytes"), "{text}");
        let screen = screen_at(&s);
        // The whole sentence is on the screen, in the bar's rows.
        let shown: String = screen
            .lines()
            .rev()
            .take(s.areas().status.height as usize)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(shown.contains(&text), "{text}\n{screen}");
        insta::assert_snapshot!(format!("yaml_edit_refusal_{w}x{h}"), screen);
    }
}

/// Issue 22.18 in a terminal (160 columns): `e` on an object that would
/// not encode back shows the whole refusal, `; E edits the raw bytes`
/// included, on the status bar's rows.
#[tokio::test(flavor = "multi_thread")]
async fn the_yaml_edit_refusal_is_whole_in_the_terminal() {
    use common::tmux::Tmux;
    const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/registry/pods/default/pi", pod("Running"), None)
        .await
        .unwrap();
    let ep = &etcd.endpoints()[0];
    let tmux = Tmux::start(&format!(
        "{BIN} --endpoints {ep} --prefix /registry/pods/default/"
    ));
    tmux.wait_for("kind: Pod");
    tmux.send(&["e"]);
    let screen = tmux.wait_for("cannot edit this Kubernetes object as YAML");
    let shown = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        shown.contains("215 bytes stored, 217 encoded); E edits the raw bytes"),
        "{screen}"
    );
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// Issue 22.20: a name with an escape sequence in it is still the name:
/// the header shows it escaped (it used to drop it, `Pod default/`), in
/// the decoded header and on a real terminal.
#[tokio::test(flavor = "multi_thread")]
async fn a_name_with_escape_sequences_shows_escaped_in_the_header() {
    let name = "evil\x1b]2;pwned\x07";
    let bytes = built::pod_in("default", name, "Running", "node-1");
    let Some(Decoded::Object(o)) = decode(&bytes) else {
        panic!("not decoded")
    };
    assert_eq!(o.title(), format!("Pod default/{name}"));

    use common::tmux::Tmux;
    const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");
    let etcd = Etcd::single().await;
    let mut c = etcd.client().await;
    c.put("/registry/pods/default/evil", bytes, None)
        .await
        .unwrap();
    let ep = &etcd.endpoints()[0];
    let tmux = Tmux::start(&format!(
        "{BIN} --endpoints {ep} --prefix /registry/pods/default/"
    ));
    let screen = tmux.wait_for("kind: Pod");
    assert!(
        screen.contains("Pod default/evil\\x1b]2;pwned\\x07  v1"),
        "{screen}"
    );
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}
