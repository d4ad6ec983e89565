//! Kubernetes objects with fields the schema does not know (written by an
//! older or newer Kubernetes), with removed fields (`initializers`,
//! `clusterName`, `workloadRef`: shown by their old names) and a field
//! whose wire type is not the schema's: each shows its kind, name and known
//! fields by name, the unknown ones in place; unchanged, it encodes back to
//! the stored bytes; an edit of a known field keeps every unknown field
//! byte-exactly; an edit of an unknown field is refused. Fields added in
//! Kubernetes 1.35–1.37 decode by name.

#[path = "common/k8s_objects.rs"]
mod built;

use built::{envelope, object_meta};

use etcdlens::k8s;
use etcdlens::k8s::typed::SCHEMA_VERSION;
use k8s_pb::api::core::v1 as core;
use prost::Message;
use serde_json::json;

use built::wire::{int as vi, ld};

/// The fields of a message: (number, its bytes with the tag).
fn split(msg: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let read = |pos: &mut usize| {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = msg[*pos];
            *pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    };
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < msg.len() {
        let start = pos;
        let tag = read(&mut pos);
        match tag & 7 {
            0 => {
                read(&mut pos);
            }
            1 => pos += 8,
            2 => {
                let n = read(&mut pos) as usize;
                pos += n;
            }
            5 => pos += 4,
            w => panic!("wire type {w}"),
        }
        out.push(((tag >> 3) as u32, msg[start..pos].to_vec()));
    }
    out
}

/// `msg` with `field` (numbered `number`) where an encoder writing in
/// field-number order puts it.
fn insert(msg: &[u8], number: u32, field: &[u8]) -> Vec<u8> {
    let mut fields = split(msg);
    let at = fields
        .iter()
        .position(|(n, _)| *n > number)
        .unwrap_or(fields.len());
    fields.insert(at, (number, field.to_vec()));
    fields.into_iter().flat_map(|(_, b)| b).collect()
}

const FUTURE: &[u8] = b"a field from Kubernetes 1.40";

/// A Pod carrying: `initializers` (ObjectMeta 16, last in 1.15) and an
/// unknown ObjectMeta 99; an unknown string in a container (a list item);
/// an unknown nested message in the spec; a container whose `image` is a
/// varint (the schema says string); an unknown field in the status.
fn skewed_pod() -> Vec<u8> {
    skewed(true)
}

/// The same Pod, without the wrongly typed field when `mismatch` is off
/// (prost, which checks wire types, then reads it).
fn skewed(mismatch: bool) -> Vec<u8> {
    let meta = object_meta("default", "old-pod").encode_to_vec();
    let initializers = ld(16, &ld(1, &ld(1, b"init.example.com")));
    let meta = insert(&meta, 16, &initializers);
    let meta = insert(&meta, 99, &vi(99, 7));
    let app = core::Container {
        name: Some("app".into()),
        image: Some("nginx:1.27".into()),
        ..Default::default()
    }
    .encode_to_vec();
    let app = insert(&app, 200, &ld(200, FUTURE));
    let side = if mismatch {
        [ld(1, b"side"), vi(2, 42)].concat()
    } else {
        ld(1, b"side")
    };
    let spec = [
        ld(2, &app),
        ld(2, &side),
        ld(300, &[ld(1, b"x"), vi(2, 5)].concat()),
    ]
    .concat();
    let status = [ld(1, b"Running"), vi(400, 1)].concat();
    pod_envelope(&[ld(1, &meta), ld(2, &spec), ld(3, &status)].concat())
}

/// The envelope (prost's) around an empty Pod, its object replaced by
/// these bytes, which prost would not write.
fn pod_envelope(pod: &[u8]) -> Vec<u8> {
    in_envelope("v1", "Pod", &core::Pod::default(), pod)
}

/// The envelope (prost's) around an empty object of the kind, its object
/// replaced by `object`, bytes prost would not write.
fn in_envelope(api_version: &str, kind: &str, empty: &impl Message, object: &[u8]) -> Vec<u8> {
    let value = envelope(api_version, kind, empty);
    let mut out = b"k8s\0".to_vec();
    for (n, f) in split(&value[4..]) {
        if n == 2 {
            out.extend(ld(2, object));
        } else {
            out.extend(f);
        }
    }
    out
}

const NEWER: &[u8] = b"from a newer apiextensions";

/// A CustomResourceDefinition whose schema's `properties` map holds a
/// value (a JSONSchemaProps) with a field the schema does not know.
fn crd_with_an_unknown_map_value() -> Vec<u8> {
    use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
    // JSONSchemaProps: type = 5, properties = 29 (map entry: key 1, value 2).
    let replicas = [ld(5, b"integer"), ld(99, NEWER)].concat();
    let root = [
        ld(5, b"object"),
        ld(29, &[ld(1, b"replicas"), ld(2, &replicas)].concat()),
    ]
    .concat();
    // Version: name 1, served 2, storage 3, schema 4 (openAPIV3Schema 1).
    let version = [ld(1, b"v1"), vi(2, 1), vi(3, 1), ld(4, &ld(1, &root))].concat();
    let names = ext::CustomResourceDefinitionNames {
        plural: Some("widgets".into()),
        kind: Some("Widget".into()),
        ..Default::default()
    }
    .encode_to_vec();
    // Spec: group 1, names 3, scope 4, versions 7.
    let spec = [
        ld(1, b"example.com"),
        ld(3, &names),
        ld(4, b"Namespaced"),
        ld(7, &version),
    ]
    .concat();
    let meta = object_meta("", "widgets.example.com").encode_to_vec();
    let crd = [ld(1, &meta), ld(2, &spec)].concat();
    in_envelope(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        &ext::CustomResourceDefinition::default(),
        &crd,
    )
}

/// The object's bytes inside the envelope.
fn object_bytes(value: &[u8]) -> Vec<u8> {
    let unknown =
        k8s_pb::apimachinery::pkg::runtime::Unknown::decode(&value[4..]).expect("an envelope");
    unknown.raw.unwrap_or_default()
}

fn object(bytes: &[u8]) -> Box<k8s::Object> {
    match k8s::decode(bytes) {
        Some(k8s::Decoded::Object(o)) => o,
        other => panic!("not an object: {other:?}"),
    }
}

#[test]
fn unknown_fields_are_shown_in_place_and_the_rest_by_name() {
    let bytes = skewed_pod();
    let o = object(&bytes);
    assert!(
        o.header().starts_with("Pod default/old-pod"),
        "{}",
        o.header()
    );
    let t = o.typed().expect("decoded field by field");
    let v = &t.value;
    assert_eq!(v["kind"], "Pod");
    assert_eq!(v["metadata"]["name"], "old-pod");
    assert_eq!(v["metadata"]["labels"]["app"], "web");
    // The removed field, by its old name, decoded generically.
    assert_eq!(
        v["metadata"]["?16:initializers"]["?1"]["?1"],
        "init.example.com"
    );
    assert_eq!(v["metadata"]["?99"], 7);
    let containers = v["spec"]["containers"].as_array().unwrap();
    assert_eq!(containers[0]["name"], "app");
    assert_eq!(containers[0]["image"], "nginx:1.27");
    assert_eq!(containers[0]["?200"], "a field from Kubernetes 1.40");
    // A known field of the wrong wire type: generic, in place.
    assert_eq!(containers[1]["name"], "side");
    assert_eq!(containers[1]["?2"], 42);
    assert!(containers[1].get("image").is_none());
    assert_eq!(v["spec"]["?300"]["?1"], "x");
    assert_eq!(v["spec"]["?300"]["?2"], 5);
    assert_eq!(v["status"]["phase"], "Running");
    assert_eq!(v["status"]["?400"], 1);
    assert_eq!(t.carried.unknown_fields(), 6);
    assert_eq!(
        object(&skewed(false))
            .typed()
            .unwrap()
            .carried
            .unknown_fields(),
        5
    );

    // The Value pane: the header line, then the YAML with names.
    let text = etcdlens::value_doc::Document::build(&bytes)
        .text_lines()
        .join("\n");
    assert!(
        text.contains(&format!(
            "6 fields unknown to the schema (Kubernetes {SCHEMA_VERSION}): shown in place as ?NUMBER"
        )),
        "{text}"
    );
    assert!(text.contains("kind: Pod"), "{text}");
    assert!(
        text.contains("  \"?16:initializers\":\n    \"?1\":"),
        "{text}"
    );
    assert!(
        text.contains("    \"?200\": a field from Kubernetes 1.40"),
        "{text}"
    );
    assert!(!text.contains("not decoded with the schema"), "{text}");
}

#[test]
fn unknown_fields_survive_an_edit_byte_for_byte() {
    let bytes = skewed_pod();
    let e = k8s::editable(&bytes).expect("unchanged, it encodes back to the stored bytes");
    let edited = e.text.replace("nginx:1.27", "nginx:1.28");
    assert_ne!(edited, e.text);
    let saved = k8s::apply_edit(&bytes, &edited, &e).expect("a known field edits");
    // Every unknown field's bytes are still there, exactly.
    for field in [
        ld(16, &ld(1, &ld(1, b"init.example.com"))),
        vi(99, 7),
        ld(200, FUTURE),
        vi(2, 42),
        ld(300, &[ld(1, b"x"), vi(2, 5)].concat()),
        vi(400, 1),
    ] {
        assert!(
            saved.windows(field.len()).any(|w| w == field),
            "{field:?} lost"
        );
    }
    // What prost (k8s-pb) reads of an edit: the edit, the known fields
    // (prost checks wire types: the object without the mismatched one).
    let bytes = skewed(false);
    let e = k8s::editable(&bytes).unwrap();
    let saved = k8s::apply_edit(&bytes, &e.text.replace("nginx:1.27", "nginx:1.28"), &e).unwrap();
    let pod = core::Pod::decode(&object_bytes(&saved)[..]).expect("prost decodes the saved object");
    let spec = pod.spec.unwrap();
    assert_eq!(spec.containers[0].image.as_deref(), Some("nginx:1.28"));
    assert_eq!(pod.metadata.unwrap().name.as_deref(), Some("old-pod"));
    // Decoded again: only the image changed.
    let again = object(&saved).typed().unwrap().value;
    let mut before = object(&bytes).typed().unwrap().value;
    before["spec"]["containers"][0]["image"] = "nginx:1.28".into();
    assert_eq!(again, before);
}

#[test]
fn an_unknown_field_cannot_be_edited_or_added() {
    let bytes = skewed_pod();
    let e = k8s::editable(&bytes).unwrap();
    let edited = e
        .text
        .replace("a field from Kubernetes 1.40", "changed by hand");
    let err = k8s::apply_edit(&bytes, &edited, &e).unwrap_err();
    assert!(
        err.contains(&format!(
            "?200 is a field the schema (Kubernetes {SCHEMA_VERSION}) does not know"
        )),
        "{err}"
    );
    let added = e
        .text
        .replacen("  name: old-pod", "  name: old-pod\n  \"?77\": 1", 1);
    assert_ne!(added, e.text);
    let err = k8s::apply_edit(&bytes, &added, &e).unwrap_err();
    assert!(err.contains("?77"), "{err}");
}

#[test]
fn an_unknown_field_in_a_map_value_is_shown_in_place_and_kept() {
    use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
    let bytes = crd_with_an_unknown_map_value();
    let t = object(&bytes).typed().expect("decoded field by field");
    let v = &t.value;
    assert_eq!(v["kind"], "CustomResourceDefinition");
    assert_eq!(v["metadata"]["name"], "widgets.example.com");
    assert_eq!(v["spec"]["group"], "example.com");
    let schema = &v["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    assert_eq!(schema["type"], "object");
    let replicas = &schema["properties"]["replicas"];
    assert_eq!(replicas["type"], "integer");
    assert_eq!(replicas["?99"], "from a newer apiextensions");
    assert_eq!(t.carried.unknown_fields(), 1);

    // Unchanged, it encodes back; an edit of a known field keeps it.
    let e = k8s::editable(&bytes).expect("unchanged, it encodes back to the stored bytes");
    let saved = k8s::apply_edit(&bytes, &e.text.replace("example.com", "example.org"), &e)
        .expect("a known field edits");
    let field = ld(99, NEWER);
    assert!(saved.windows(field.len()).any(|w| w == field), "lost");
    let crd = ext::CustomResourceDefinition::decode(&object_bytes(&saved)[..])
        .expect("prost decodes the saved object");
    assert_eq!(crd.spec.unwrap().group.as_deref(), Some("example.org"));
    assert_eq!(
        crd.metadata.unwrap().name.as_deref(),
        Some("widgets.example.org")
    );
}

/// The resource table, `--record`, the Events pane's preview, find over
/// values and the Value pane read an object with unknown fields alike: the
/// same names, the unknown fields in place.
#[test]
fn every_reader_shows_the_same_names() {
    use etcdlens::etcd::types::{EventKind, WatchEvent};
    let bytes = skewed_pod();
    let pane = etcdlens::value_doc::Document::build(&bytes)
        .text_lines()
        .join("\n");
    assert!(pane.contains("  name: old-pod"), "{pane}");
    assert!(pane.contains("\"?16:initializers\""), "{pane}");

    let row = k8s::table_row(&bytes).expect("a table row");
    assert_eq!(
        (row.kind.as_str(), row.namespace.as_str(), row.name.as_str()),
        ("Pod", "default", "old-pod")
    );

    let event = WatchEvent {
        kind: EventKind::Put,
        key: b"/registry/pods/default/old-pod".to_vec(),
        value: bytes.clone(),
        prev_value: None,
        mod_revision: 7,
        create_revision: 7,
        version: 1,
        lease: 0,
    };
    let line: serde_json::Value =
        serde_json::from_str(&etcdlens::record::event_line(&event)).unwrap();
    assert_eq!(line["object"]["metadata"]["name"], "old-pod");
    assert_eq!(
        line["object"]["metadata"]["?16:initializers"]["?1"]["?1"],
        "init.example.com"
    );
    assert_eq!(
        line["object"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );

    let mut log = etcdlens::app::watch::log::EventLog::new(
        b"/registry/".to_vec(),
        100,
        std::time::Instant::now(),
    );
    log.push_events(vec![event], std::time::Instant::now());
    let (first, end) = log.seq_range();
    assert_eq!(end - first, 1, "the event is logged");
    log.select(Some(first));
    match &log.detail {
        Some((_, etcdlens::app::watch::log::Detail::Text(lines))) => {
            assert_eq!(lines.join("\n"), pane)
        }
        other => panic!("no preview: {other:?}"),
    }

    for (q, found) in [
        ("v:name: old-pod", true),
        ("v:?16:initializers", true),
        ("v:?200\": a field from Kubernetes 1.40", true),
        ("v:image: nginx:1.27", true),
        ("v:image: nginx:1.28", false),
    ] {
        let query = etcdlens::app::find::Query::parse(q).unwrap();
        assert_eq!(query.matches(b"old-pod", &bytes), found, "{q}");
    }
}

/// A container `app` (nginx:1.27) mounting `data` at /data, with
/// VolumeMount 8 `bindMountOptions` (added in 1.37; k8s-pb 0.9 lacks it).
fn container_with_bind_mount_options() -> Vec<u8> {
    let app = core::Container {
        name: Some("app".into()),
        image: Some("nginx:1.27".into()),
        ..Default::default()
    }
    .encode_to_vec();
    let mount = [
        ld(1, b"data"),
        ld(3, b"/data"),
        ld(8, b"rbind"),
        ld(8, b"nosuid"),
    ]
    .concat();
    insert(&app, 9, &ld(9, &mount))
}

/// A Pod with fields added in Kubernetes 1.35–1.37, written by hand:
/// PodSpec 43 `schedulingGroup` and a container's VolumeMount 8
/// `bindMountOptions`; and PodSecurityContext 4 `supplementalGroups`, a
/// repeated int64 (written unpacked, as kube-apiserver does) that the
/// schema generated from k8s-pb missed.
fn pod_of_1_37() -> Vec<u8> {
    let meta = object_meta("default", "new-pod").encode_to_vec();
    let security = core::PodSecurityContext {
        supplemental_groups: vec![1000, 2000],
        ..Default::default()
    }
    .encode_to_vec();
    let spec = [
        ld(2, &container_with_bind_mount_options()),
        ld(14, &security),
        ld(43, &ld(1, b"gang-a")),
    ]
    .concat();
    pod_envelope(&[ld(1, &meta), ld(2, &spec)].concat())
}

#[test]
fn fields_added_in_1_35_to_1_37_decode_by_name() {
    let bytes = pod_of_1_37();
    let t = object(&bytes).typed().expect("decoded field by field");
    let v = &t.value;
    assert_eq!(t.carried.unknown_fields(), 0, "{v:#}");
    assert_eq!(v["spec"]["schedulingGroup"]["podGroupName"], "gang-a");
    assert_eq!(
        v["spec"]["containers"][0]["volumeMounts"][0],
        json!({"name": "data", "mountPath": "/data", "bindMountOptions": ["rbind", "nosuid"]})
    );
    assert_eq!(
        v["spec"]["securityContext"]["supplementalGroups"],
        json!([1000, 2000])
    );
    let text = etcdlens::value_doc::Document::build(&bytes)
        .text_lines()
        .join("\n");
    assert!(!text.contains("\"?"), "{text}");
    assert!(text.contains("    podGroupName: gang-a"), "{text}");

    // Unchanged, it encodes back to the stored bytes; an edit of a new
    // field is written where its number puts it.
    let e = k8s::editable(&bytes).expect("unchanged, it encodes back to the stored bytes");
    let edited = e.text.replace("gang-a", "gang-b");
    assert_ne!(edited, e.text);
    let saved = k8s::apply_edit(&bytes, &edited, &e).expect("a new field edits");
    let mut expected = bytes.clone();
    let at = expected.windows(6).position(|w| w == b"gang-a").unwrap();
    expected[at + 5] = b'b';
    assert_eq!(saved, expected);
}

/// A Pod carrying fields Kubernetes removed: ObjectMeta 15 `clusterName`
/// (last in 1.24; every object written before has it, empty) and PodSpec
/// 42 `workloadRef` (an alpha of 1.35, gone in 1.36).
fn pod_with_removed_fields() -> Vec<u8> {
    let meta = object_meta("default", "old-pod").encode_to_vec();
    let meta = insert(&meta, 15, &ld(15, b""));
    let app = core::Container {
        name: Some("app".into()),
        image: Some("nginx:1.27".into()),
        ..Default::default()
    }
    .encode_to_vec();
    let workload = [ld(1, b"training"), ld(2, b"workers")].concat();
    let spec = [ld(2, &app), ld(42, &workload)].concat();
    pod_envelope(&[ld(1, &meta), ld(2, &spec)].concat())
}

#[test]
fn removed_fields_show_their_old_names() {
    let bytes = pod_with_removed_fields();
    let t = object(&bytes).typed().expect("decoded field by field");
    let v = &t.value;
    assert_eq!(t.carried.unknown_fields(), 2, "{v:#}");
    assert_eq!(v["metadata"]["?15:clusterName"], "");
    assert_eq!(v["metadata"]["name"], "old-pod");
    assert_eq!(v["spec"]["?42:workloadRef"]["?1"], "training");
    assert_eq!(v["spec"]["?42:workloadRef"]["?2"], "workers");
    assert_eq!(v["spec"]["containers"][0]["image"], "nginx:1.27");

    // An edit of a known field keeps both, byte for byte.
    let e = k8s::editable(&bytes).expect("unchanged, it encodes back to the stored bytes");
    let saved = k8s::apply_edit(&bytes, &e.text.replace("nginx:1.27", "nginx:1.28"), &e)
        .expect("a known field edits");
    for field in [
        ld(15, b""),
        ld(42, &[ld(1, b"training"), ld(2, b"workers")].concat()),
    ] {
        assert!(
            saved.windows(field.len()).any(|w| w == field),
            "{field:?} lost"
        );
    }
    let again = object(&saved).typed().unwrap().value;
    assert_eq!(again["spec"]["containers"][0]["image"], "nginx:1.28");
    assert_eq!(again["metadata"]["?15:clusterName"], "");
}

/// A CustomResourceDefinition decodes with its metadata (the schema
/// generated from k8s-pb typed CRD and APIService metadata as
/// `ObjectMeta,`, a message it did not have).
#[test]
fn a_custom_resource_definition_decodes_with_its_metadata() {
    use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
    let crd = ext::CustomResourceDefinition {
        metadata: Some(object_meta("", "widgets.example.com")),
        spec: Some(ext::CustomResourceDefinitionSpec {
            group: Some("example.com".into()),
            names: Some(ext::CustomResourceDefinitionNames {
                plural: Some("widgets".into()),
                kind: Some("Widget".into()),
                ..Default::default()
            }),
            scope: Some("Namespaced".into()),
            ..Default::default()
        }),
        status: None,
    };
    let bytes = envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", &crd);
    let t = object(&bytes).typed().expect("decoded field by field");
    assert_eq!(t.value["metadata"]["name"], "widgets.example.com");
    assert_eq!(t.value["spec"]["names"]["kind"], "Widget");
    assert_eq!(t.carried.unknown_fields(), 0);
    k8s::editable(&bytes).expect("unchanged, it encodes back to the stored bytes");
}

/// Kubernetes' enumerations are strings on the wire (its .proto files
/// declare no protobuf enum): a value no release knows is shown as written,
/// counts as no unknown field, and edits like any other.
#[test]
fn an_enumeration_value_no_release_knows_is_shown_and_kept() {
    let pod = core::Pod {
        metadata: Some(object_meta("default", "odd")),
        status: Some(core::PodStatus {
            phase: Some("Hibernating".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let bytes = envelope("v1", "Pod", &pod);
    let t = object(&bytes).typed().expect("decoded");
    assert_eq!(t.value["status"]["phase"], "Hibernating");
    assert_eq!(t.carried.unknown_fields(), 0);
    let e = k8s::editable(&bytes).expect("unchanged, it encodes back to the stored bytes");
    let saved = k8s::apply_edit(&bytes, &e.text.replace("Hibernating", "Frozen"), &e)
        .expect("an edit of the value");
    let pod = core::Pod::decode(&object_bytes(&saved)[..]).expect("prost decodes it");
    assert_eq!(pod.status.unwrap().phase.as_deref(), Some("Frozen"));
}
