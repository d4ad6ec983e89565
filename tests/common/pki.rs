//! Certificates made in the test (rcgen), and etcd started over TLS with
//! them.

use std::path::{Path, PathBuf};

use etcdlens::demo::cluster::{Extra, LocalCluster};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};

use super::Etcd;

pub struct Ca {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

pub fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Ca { cert, key }
}

/// A certificate for `names`, signed by `ca`, written as `<stem>.pem` and
/// `<stem>-key.pem` (PKCS#8).
pub fn issue(
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

pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub other_ca: PathBuf,
    pub client: (PathBuf, PathBuf),
    pub rogue_client: (PathBuf, PathBuf),
}

/// Starts etcd over TLS (server cert for `server_names`) requiring client
/// certificates from the test CA.
pub async fn tls_etcd(server_names: &[&str]) -> (Etcd, Pki) {
    super::isolate_from_user_config();
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
        ..Default::default()
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

/// `etcdlens::etcd::connect`, again while the member is still starting
/// (over TLS the harness only waits for its port).
pub async fn connect_retrying(
    settings: &etcdlens::etcd::ConnSettings,
) -> Result<etcdlens::etcd::Connection, String> {
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
