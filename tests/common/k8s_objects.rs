//! Objects built with the typed messages of the `k8s-pb` crate (prost
//! types of every Kubernetes message) and encoded as kube-apiserver does:
//! its encoder writes a Go struct's plain (non-pointer) fields even when
//! empty, so those are set here too.

#![allow(dead_code)]

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use std::collections::BTreeMap;

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// kube-apiserver's envelope around an object.
pub fn envelope(api_version: &str, kind: &str, object: &impl Message) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: s(api_version),
            kind: s(kind),
        }),
        raw: Some(object.encode_to_vec()),
        content_encoding: s(""),
        content_type: s(""),
    };
    [b"k8s\0".to_vec(), unknown.encode_to_vec()].concat()
}

pub fn time(secs: i64) -> meta::Time {
    meta::Time {
        seconds: Some(secs),
        nanos: Some(0),
    }
}

pub fn object_meta(namespace: &str, name: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: s(name),
        generate_name: s(""),
        namespace: s(namespace),
        self_link: s(""),
        uid: s("0c6a3b54-3d4e-4a8e-9a36-2f1b3c4d5e6f"),
        resource_version: s(""),
        generation: Some(1),
        creation_timestamp: Some(time(1_700_000_000)),
        labels: BTreeMap::from([
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "front".to_string()),
        ]),
        ..Default::default()
    }
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity { string: s(v) }))
        .collect()
}

/// A Pod with two containers, ports, env, resources, volumes, and a
/// status with conditions and container states.
pub fn pod(phase: &str) -> Vec<u8> {
    envelope("v1", "Pod", &pod_object(phase))
}

/// A pod named `namespace/name` in `phase` on `node`.
pub fn pod_in(namespace: &str, name: &str, phase: &str, node: &str) -> Vec<u8> {
    let mut pod = pod_object(phase);
    let meta = pod.metadata.as_mut().unwrap();
    meta.namespace = s(namespace);
    meta.name = s(name);
    pod.spec.as_mut().unwrap().node_name = s(node);
    envelope("v1", "Pod", &pod)
}

/// A pod of at least `bytes` bytes: its containers again and again, each
/// with its own name and environment (a big, deep object).
pub fn big_pod(bytes: usize) -> Vec<u8> {
    let mut pod = pod_object("Running");
    pod.metadata.as_mut().unwrap().name = s("big");
    let template = pod.spec.as_ref().unwrap().containers[0].clone();
    let spec = pod.spec.as_mut().unwrap();
    let mut size = spec.encoded_len();
    let mut i = 0;
    while size < bytes {
        let mut c = template.clone();
        c.name = s(&format!("worker-{i}"));
        c.env = (0..20)
            .map(|j| core::EnvVar {
                name: s(&format!("VAR_{j}")),
                value: s(&format!("value {i}.{j}")),
                ..Default::default()
            })
            .collect();
        size += c.encoded_len() + 4;
        spec.containers.push(c);
        i += 1;
    }
    envelope("v1", "Pod", &pod)
}

/// The same with its creation time written without nanos, as another
/// encoder than kube-apiserver's might.
pub fn pod_time_without_nanos(phase: &str) -> Vec<u8> {
    let mut pod = pod_object(phase);
    let meta = pod.metadata.as_mut().unwrap();
    meta.creation_timestamp.as_mut().unwrap().nanos = None;
    envelope("v1", "Pod", &pod)
}

fn pod_object(phase: &str) -> core::Pod {
    let container = |name: &str, image: &str| core::Container {
        name: s(name),
        image: s(image),
        command: vec!["/bin/sh".into(), "-c".into()],
        args: vec!["exec web --port=8080".into()],
        ports: vec![core::ContainerPort {
            name: s("http"),
            container_port: Some(8080),
            protocol: s("TCP"),
            ..Default::default()
        }],
        env: vec![core::EnvVar {
            name: s("MODE"),
            value: s("prod"),
            ..Default::default()
        }],
        resources: Some(core::ResourceRequirements {
            limits: quantities(&[("cpu", "500m"), ("memory", "128Mi")]),
            requests: quantities(&[("cpu", "250m")]),
            ..Default::default()
        }),
        termination_message_path: s("/dev/termination-log"),
        image_pull_policy: s("IfNotPresent"),
        ..Default::default()
    };
    core::Pod {
        metadata: Some(object_meta("default", "web-7d9c")),
        spec: Some(core::PodSpec {
            volumes: vec![core::Volume {
                name: s("config"),
                volume_source: Some(core::VolumeSource {
                    config_map: Some(core::ConfigMapVolumeSource {
                        local_object_reference: Some(core::LocalObjectReference {
                            name: s("web-config"),
                        }),
                        default_mode: Some(420),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            }],
            containers: vec![
                container("web", "nginx:1.27"),
                container("sidecar", "envoy:1.30"),
            ],
            restart_policy: s("Always"),
            node_name: s("node-3"),
            ..Default::default()
        }),
        status: Some(core::PodStatus {
            phase: s(phase),
            conditions: vec![core::PodCondition {
                r#type: s("Ready"),
                status: s("True"),
                last_transition_time: Some(time(1_700_000_060)),
                ..Default::default()
            }],
            pod_ip: s("10.244.1.7"),
            pod_ips: vec![core::PodIp {
                ip: s("10.244.1.7"),
            }],
            container_statuses: vec![core::ContainerStatus {
                name: s("web"),
                state: Some(core::ContainerState {
                    running: Some(core::ContainerStateRunning {
                        started_at: Some(time(1_700_000_030)),
                    }),
                    ..Default::default()
                }),
                ready: Some(true),
                restart_count: Some(0),
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

pub fn deployment() -> Vec<u8> {
    let d = apps::Deployment {
        metadata: Some(object_meta("default", "web")),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(3),
            selector: Some(meta::LabelSelector {
                match_labels: BTreeMap::from([("app".to_string(), "web".to_string())]),
                ..Default::default()
            }),
            template: Some(core::PodTemplateSpec {
                // Every plain field written, the creation time empty
                // (a zero Go time): kubectl shows it as null.
                metadata: Some(meta::ObjectMeta {
                    name: s(""),
                    generate_name: s(""),
                    namespace: s(""),
                    self_link: s(""),
                    uid: s(""),
                    resource_version: s(""),
                    generation: Some(0),
                    creation_timestamp: Some(meta::Time::default()),
                    labels: BTreeMap::from([("app".to_string(), "web".to_string())]),
                    ..Default::default()
                }),
                spec: Some(core::PodSpec {
                    containers: vec![core::Container {
                        name: s("web"),
                        image: s("nginx:1.27"),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
            strategy: Some(apps::DeploymentStrategy {
                r#type: s("RollingUpdate"),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString {
                        r#type: Some(0),
                        int_val: Some(1),
                        str_val: s(""),
                    }),
                    max_surge: Some(IntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: s("25%"),
                    }),
                }),
            }),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus {
            replicas: Some(3),
            ready_replicas: Some(2),
            ..Default::default()
        }),
    };
    envelope("apps/v1", "Deployment", &d)
}

/// Secret and ConfigMap: metadata, then maps; the shape kube-apiserver
/// writes, byte for byte.
pub fn secret() -> Vec<u8> {
    let secret = core::Secret {
        metadata: Some(object_meta("default", "db-credentials")),
        data: BTreeMap::from([
            ("password".to_string(), b"s3cr3t\xff".to_vec()),
            ("username".to_string(), b"admin".to_vec()),
        ]),
        r#type: s("Opaque"),
        ..Default::default()
    };
    envelope("v1", "Secret", &secret)
}

pub fn config_map(greeting: &str) -> Vec<u8> {
    let cm = core::ConfigMap {
        metadata: Some(object_meta("kube-system", "web-config")),
        data: BTreeMap::from([
            ("greeting".to_string(), greeting.to_string()),
            (
                "nginx.conf".to_string(),
                "server {\n  listen 8080;\n}\n".to_string(),
            ),
        ]),
        binary_data: BTreeMap::from([("logo.png".to_string(), vec![0x89, b'P', b'N', b'G', 0, 1])]),
        ..Default::default()
    };
    envelope("v1", "ConfigMap", &cm)
}

pub fn cluster_role() -> Vec<u8> {
    let role = rbac::ClusterRole {
        metadata: Some(object_meta("", "pod-reader")),
        rules: vec![rbac::PolicyRule {
            verbs: vec!["get".into(), "list".into(), "watch".into()],
            api_groups: vec!["".into()],
            resources: vec!["pods".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    envelope("rbac.authorization.k8s.io/v1", "ClusterRole", &role)
}

pub fn lease() -> Vec<u8> {
    let lease = coordination::Lease {
        metadata: Some(object_meta("kube-node-lease", "node-3")),
        spec: Some(coordination::LeaseSpec {
            holder_identity: s("node-3"),
            lease_duration_seconds: Some(40),
            renew_time: Some(meta::MicroTime {
                seconds: Some(1_700_000_100),
                nanos: Some(123_456_000),
            }),
            ..Default::default()
        }),
    };
    envelope("coordination.k8s.io/v1", "Lease", &lease)
}

/// Protobuf fields written by hand (objects prost would not write: fields
/// of other Kubernetes versions, wrong wire types).
pub mod wire {
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
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
    pub fn ld(number: u32, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint(u64::from(number) << 3 | 2, &mut out);
        varint(body.len() as u64, &mut out);
        out.extend_from_slice(body);
        out
    }

    /// A varint field.
    pub fn int(number: u32, v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(u64::from(number) << 3, &mut out);
        varint(v, &mut out);
        out
    }
}
