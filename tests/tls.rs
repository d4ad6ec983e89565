//! etcd over TLS with client-certificate authentication, certificates made
//! in the test: a good connection, and one clear line (exit 2) for a wrong
//! CA, a wrong client certificate and a host name mismatch.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Etcd;
use etcdlens::demo::cluster::{Extra, LocalCluster};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Ca { cert, key }
}

/// A certificate for `names`, signed by `ca`, written as `<stem>.pem` and
/// `<stem>-key.pem` (PKCS#8).
fn issue(
    dir: &Path,
    stem: &str,
    ca: &Ca,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (PathBuf, PathBuf) {
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.extended_key_usages = vec![usage];
    p.distinguished_name.push(rcgen::DnType::CommonName, stem);
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    let (c, k) = (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}-key.pem")),
    );
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

struct Pki {
    dir: tempfile::TempDir,
    ca: PathBuf,
    other_ca: PathBuf,
    client: (PathBuf, PathBuf),
    rogue_client: (PathBuf, PathBuf),
}

/// Starts etcd over TLS (server cert for `server_names`) requiring client
/// certificates from the test CA.
async fn tls_etcd(server_names: &[&str]) -> (Etcd, Pki) {
    common::isolate_from_user_config();
    let dir = tempfile::tempdir().unwrap();
    let good = ca("etcdlens test CA");
    let bad = ca("someone else's CA");
    let server = issue(
        dir.path(),
        "server",
        &good,
        server_names,
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let client = issue(
        dir.path(),
        "client",
        &good,
        &["client"],
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    let rogue_client = issue(
        dir.path(),
        "rogue",
        &bad,
        &["client"],
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, good.cert.pem()).unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, bad.cert.pem()).unwrap();
    let s = |p: &Path| p.display().to_string();
    let extra = Extra {
        args: vec![
            "--cert-file".into(),
            s(&server.0),
            "--key-file".into(),
            s(&server.1),
            "--trusted-ca-file".into(),
            s(&ca_path),
            "--client-cert-auth".into(),
        ],
        https: true,
    };
    let cluster = LocalCluster::start_with(1, extra).await.unwrap();
    (
        Etcd { cluster },
        Pki {
            dir,
            ca: ca_path,
            other_ca,
            client,
            rogue_client,
        },
    )
}

/// Runs etcdlens with these TLS files; returns (exit code, stderr).
fn run(ep: &str, ca: &Path, cert: &Path, key: &Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(["--endpoints", ep, "--dial-timeout", "3s"])
        .arg("--cacert")
        .arg(ca)
        .arg("--cert")
        .arg(cert)
        .arg("--key")
        .arg(key)
        .args(["--bench-exit", "--bench-report", "/dev/null"])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn connect_settings(ep: &str, pki: &Pki, key: &Path) -> etcdlens::etcd::ConnSettings {
    etcdlens::etcd::ConnSettings {
        endpoints: vec![ep.to_string()],
        cacert: Some(pki.ca.clone()),
        cert: Some(pki.client.0.clone()),
        key: Some(key.to_path_buf()),
        dial_timeout: std::time::Duration::from_secs(5),
        command_timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    }
}

async fn connect_retrying(
    settings: &etcdlens::etcd::ConnSettings,
) -> Result<etcdlens::etcd::Connection, String> {
    // The member may still be starting.
    let mut last = String::new();
    for _ in 0..50 {
        match etcdlens::etcd::connect(settings).await {
            Ok(c) => return Ok(c),
            Err(e) => last = e,
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(last)
}

#[tokio::test(flavor = "multi_thread")]
async fn mutual_tls_connects_with_pkcs8_and_sec1_keys() {
    let (etcd, pki) = tls_etcd(&["127.0.0.1", "localhost"]).await;
    let ep = etcd.endpoints()[0].clone();
    let conn = connect_retrying(&connect_settings(&ep, &pki, &pki.client.1))
        .await
        .expect("mTLS connects");
    let mut c = conn.client.clone();
    c.put("/tls/k", "v", None).await.unwrap();
    // The same key in the traditional SEC1 form ("EC PRIVATE KEY").
    let sec1 = pki.dir.path().join("client-sec1.pem");
    let status = Command::new("openssl")
        .args(["ec", "-in"])
        .arg(&pki.client.1)
        .arg("-out")
        .arg(&sec1)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::read_to_string(&sec1)
        .unwrap()
        .contains("BEGIN EC PRIVATE KEY"));
    connect_retrying(&connect_settings(&ep, &pki, &sec1))
        .await
        .expect("SEC1 key works");
    // The binary gets past the connection (then needs a terminal, which a
    // test has not: exit 1 with that one line, not a connection error).
    let (code, stderr) = run(&ep, &pki.ca, &pki.client.0, &pki.client.1);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("needs a terminal"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_ca_and_wrong_client_cert_are_one_clear_line() {
    let (etcd, pki) = tls_etcd(&["127.0.0.1", "localhost"]).await;
    let ep = etcd.endpoints()[0].clone();
    connect_retrying(&connect_settings(&ep, &pki, &pki.client.1))
        .await
        .expect("up");

    let (code, stderr) = run(&ep, &pki.other_ca, &pki.client.0, &pki.client.1);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not signed by the CA"), "{stderr}");

    let (code, stderr) = run(&ep, &pki.ca, &pki.rogue_client.0, &pki.rogue_client.1);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("client certificate"), "{stderr}");

    // A key that does not belong to the certificate.
    let (code, stderr) = run(&ep, &pki.ca, &pki.client.0, &pki.rogue_client.1);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("key"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn host_name_mismatch_is_one_clear_line() {
    let (etcd, pki) = tls_etcd(&["etcd.example.com"]).await;
    let ep = etcd.endpoints()[0].clone();
    let (code, stderr) = run(&ep, &pki.ca, &pki.client.0, &pki.client.1);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("does not match"), "{stderr}");
}
