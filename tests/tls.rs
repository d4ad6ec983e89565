//! etcd over TLS with client-certificate authentication, certificates made
//! in the test: a good connection, and one clear line (exit 2) for a wrong
//! CA, a wrong client certificate and a host name mismatch; certificates
//! checked against another name (`--tls-server-name`) or not at all
//! (`--insecure-skip-tls-verify`); a client certificate as the only
//! credential (its CN is the etcd user), with RSA (PKCS#1, PKCS#8) and EC
//! (SEC1) keys made by openssl.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::pki::{connect_retrying, tls_etcd, Pki};
use common::{Etcd, Headless};
use etcd_client::Permission;
use etcdlens::app::tree::Listing;
use etcdlens::demo::cluster::{Extra, LocalCluster};
use etcdlens::etcd::{connect, ConnSettings};

const BIN: &str = env!("CARGO_BIN_EXE_etcdlens");

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

/// Runs etcdlens with `args` and `env` (no terminal, no config file);
/// (exit code, stdout, stderr).
fn lens<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
    env: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .env("ETCDLENS_CONFIG", "/nonexistent/etcdlens-test/config.toml")
        .env_remove("ETCDCTL_INSECURE_SKIP_TLS_VERIFY")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Connected, then stopped for want of a terminal: exit 1 with that one
/// line, not a connection error.
fn connected(result: (Option<i32>, String, String)) {
    let (code, _, stderr) = result;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("needs a terminal"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

/// A server whose certificate cannot be checked (another CA signed it, for
/// another name): refused, unless `--insecure-skip-tls-verify` (flag,
/// `ETCDCTL_INSECURE_SKIP_TLS_VERIFY`, or a context's key) says not to
/// check; it implies TLS for a bare `host:port`, ignores `--cacert`, and
/// the status bar says `TLS NOT VERIFIED`.
#[tokio::test(flavor = "multi_thread")]
async fn insecure_skip_tls_verify_reaches_a_server_whose_certificate_cannot_be_checked() {
    let (etcd, pki) = tls_etcd(&["etcd.example.com"]).await;
    let ep = etcd.endpoints()[0].clone();
    let bare = ep.trim_start_matches("https://").to_string();
    let settings = ConnSettings {
        endpoints: vec![bare.clone()],
        // Not the server's CA: ignored when nothing is checked.
        cacert: Some(pki.other_ca.clone()),
        cert: Some(pki.client.0.clone()),
        key: Some(pki.client.1.clone()),
        insecure_skip_tls_verify: true,
        dial_timeout: std::time::Duration::from_secs(5),
        command_timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    let conn = connect_retrying(&settings)
        .await
        .expect("connects without checking");
    let mut c = conn.client.clone();
    c.put("/tls/unverified", "v", None).await.unwrap();
    let got = c.get("/tls/unverified", None).await.unwrap();
    assert_eq!(got.kvs()[0].value(), b"v");
    // Checked, the same connection is refused.
    let e = connect(&ConnSettings {
        insecure_skip_tls_verify: false,
        ..settings.clone()
    })
    .await
    .err()
    .expect("refused when checked");
    assert!(e.contains("not signed by the CA"), "{e}");

    let (cert, key) = (p(&pki.client.0), p(&pki.client.1));
    let base = [
        "--endpoints",
        &bare,
        "--cert",
        &cert,
        "--key",
        &key,
        "--dial-timeout",
        "5s",
    ];
    connected(lens(
        &[&base[..], &["--insecure-skip-tls-verify"]].concat(),
        &[],
    ));
    connected(lens(&base, &[("ETCDCTL_INSECURE_SKIP_TLS_VERIFY", "true")]));
    // Not said: checked (no CA given: nothing trusted) and refused.
    let (code, _, stderr) = lens(&base, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not signed by the CA"), "{stderr}");
    let (code, _, stderr) = lens(&base, &[("ETCDCTL_INSECURE_SKIP_TLS_VERIFY", "false")]);
    assert_eq!(code, Some(2), "{stderr}");
    // A context's key.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_context = \"lab\"\n[contexts.lab]\nendpoints = [\"{bare}\"]\ncert = \"{cert}\"\nkey = \"{key}\"\ninsecure_skip_tls_verify = true\ndial_timeout = \"5s\"\n"
        ),
    )
    .unwrap();
    connected(common::lens_with_config(&config, &[], &[]));

    // In the terminal: the status bar says so.
    let tmux = common::tmux::Tmux::start(&format!(
        "env -u ETCDCTL_ENDPOINTS ETCDLENS_CONFIG={} {BIN}",
        config.display()
    ));
    let screen = tmux.wait_for("unverified");
    assert!(screen.contains("TLS NOT VERIFIED"), "{screen}");
    tmux.send(&["q"]);
    tmux.wait_for("EXIT=0");
}

/// A certificate made for another name than the endpoint's host: accepted
/// when `--tls-server-name` (or a context's `tls_server_name`) names it,
/// refused for any other name.
#[tokio::test(flavor = "multi_thread")]
async fn tls_server_name_checks_the_certificate_against_the_name_given() {
    let (etcd, pki) = tls_etcd(&["etcd.example.com"]).await;
    let ep = etcd.endpoints()[0].clone();
    let settings = ConnSettings {
        tls_server_name: Some("etcd.example.com".into()),
        ..connect_settings(&ep, &pki, &pki.client.1)
    };
    let conn = connect_retrying(&settings)
        .await
        .expect("the certificate's own name");
    conn.client
        .clone()
        .put("/tls/named", "v", None)
        .await
        .unwrap();
    let e = connect(&ConnSettings {
        tls_server_name: Some("other.example.com".into()),
        ..settings.clone()
    })
    .await
    .err()
    .expect("another name is refused");
    assert!(e.contains("does not match"), "{e}");

    let (ca, cert, key) = (p(&pki.ca), p(&pki.client.0), p(&pki.client.1));
    let base = [
        "--endpoints",
        &ep,
        "--cacert",
        &ca,
        "--cert",
        &cert,
        "--key",
        &key,
    ];
    connected(lens(
        &[&base[..], &["--tls-server-name", "etcd.example.com"]].concat(),
        &[],
    ));
    // Without it, the mismatch says what to do.
    let (code, _, stderr) = lens(&base, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-server-name"), "{stderr}");
    // From a context.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let context = |name: &str| {
        format!(
            "default_context = \"named\"\n[contexts.named]\nendpoints = [\"{ep}\"]\ncacert = \"{ca}\"\ncert = \"{cert}\"\nkey = \"{key}\"\ntls_server_name = \"{name}\"\n"
        )
    };
    std::fs::write(&config, context("etcd.example.com")).unwrap();
    connected(common::lens_with_config(&config, &[], &[]));
    std::fs::write(&config, context("wrong.example.com")).unwrap();
    let (code, _, stderr) = common::lens_with_config(&config, &[], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("does not match"), "{stderr}");
}

/// Runs openssl in `dir`; panics with its stderr when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Extensions for the CA and the certificates it signs (no system config).
const OPENSSL_CNF: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
";

/// A certificate with CN `cn` for key file `key` (in `dir`), signed by the
/// CA there, with the extensions of section `ext`: `<stem>.pem`.
fn sign(dir: &Path, stem: &str, key: &str, cn: &str, ext: &str) -> PathBuf {
    let (csr, pem) = (format!("{stem}.csr"), format!("{stem}.pem"));
    let subject = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-config",
            "openssl.cnf",
            "-key",
            key,
            "-subj",
            &subject,
            "-out",
            &csr,
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-set_serial",
            "0x1",
            "-days",
            "2",
            "-extfile",
            "openssl.cnf",
            "-extensions",
            ext,
            "-out",
            &pem,
        ],
    );
    dir.join(pem)
}

/// etcd with `--client-cert-auth` and auth enabled: a client certificate
/// is the credential, its CN the user. Alice (CN=alice) may read and write
/// /app/ only. etcdlens with `--cert`/`--key`/`--cacert` and no `--user`
/// reads and writes under /app/ as alice and is denied elsewhere, with her
/// key in each of the forms keys come in: RSA PKCS#1 (`BEGIN RSA PRIVATE
/// KEY`), RSA PKCS#8 (`BEGIN PRIVATE KEY`), EC SEC1 (`BEGIN EC PRIVATE
/// KEY`).
#[tokio::test(flavor = "multi_thread")]
async fn a_client_certificate_alone_authenticates_its_cn_as_the_etcd_user() {
    common::isolate_from_user_config();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("openssl.cnf"), OPENSSL_CNF).unwrap();
    let ec_key = |name: &str| {
        openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                name,
            ],
        )
    };
    ec_key("ca-key.pem");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-config",
            "openssl.cnf",
            "-extensions",
            "ca",
            "-key",
            "ca-key.pem",
            "-subj",
            "/CN=etcdlens test CA",
            "-days",
            "2",
            "-out",
            "ca.pem",
        ],
    );
    ec_key("server-key.pem");
    let server = sign(dir, "server", "server-key.pem", "etcd", "server");
    ec_key("root-key.pem");
    let root = sign(dir, "root", "root-key.pem", "root", "client");
    // Alice's three keys, one certificate each.
    openssl(
        dir,
        &[
            "genrsa",
            "-traditional",
            "-out",
            "alice-pkcs1-key.pem",
            "2048",
        ],
    );
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "alice-pkcs8-key.pem",
        ],
    );
    ec_key("alice-sec1-key.pem");
    let forms = [
        ("pkcs1", "BEGIN RSA PRIVATE KEY"),
        ("pkcs8", "BEGIN PRIVATE KEY"),
        ("sec1", "BEGIN EC PRIVATE KEY"),
    ];
    let alice: Vec<(PathBuf, PathBuf)> = forms
        .iter()
        .map(|(form, header)| {
            let key = format!("alice-{form}-key.pem");
            let text = std::fs::read_to_string(dir.join(&key)).unwrap();
            assert!(text.starts_with(&format!("-----{header}-----")), "{text}");
            let cert = sign(dir, &format!("alice-{form}"), &key, "alice", "client");
            (cert, dir.join(key))
        })
        .collect();
    let ca = dir.join("ca.pem");
    let extra = Extra {
        args: vec![
            "--cert-file".into(),
            p(&server),
            "--key-file".into(),
            p(&dir.join("server-key.pem")),
            "--trusted-ca-file".into(),
            p(&ca),
            "--client-cert-auth".into(),
        ],
        https: true,
        ..Default::default()
    };
    let etcd = Etcd {
        cluster: LocalCluster::start_with(1, extra).await.unwrap(),
    };
    let ep = etcd.endpoints()[0].clone();
    let as_cert = |(cert, key): &(PathBuf, PathBuf)| ConnSettings {
        endpoints: vec![ep.clone()],
        cacert: Some(ca.clone()),
        cert: Some(cert.clone()),
        key: Some(key.clone()),
        dial_timeout: std::time::Duration::from_secs(5),
        command_timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    // Set up as root (before auth is on, any trusted certificate may).
    let admin = connect_retrying(&as_cert(&(root, dir.join("root-key.pem"))))
        .await
        .expect("root's certificate connects");
    let mut c = admin.client.clone();
    c.put("/app/config", "{\"a\":1}", None).await.unwrap();
    c.put("/secret/token", "s3cr3t", None).await.unwrap();
    let perm = Permission::read_write("/app/").with_prefix();
    common::auth_on_with(&mut c, "app-rw", perm, "alice", "unused-password").await;
    // Root's certificate is root now: it still reads everything.
    assert!(c.get("/secret/token", None).await.is_ok());

    for ((form, _), files) in forms.iter().zip(&alice) {
        let conn = connect(&as_cert(files))
            .await
            .unwrap_or_else(|e| panic!("alice's {form} key: {e}"));
        let mut a = conn.client.clone();
        let got = a.get("/app/config", None).await.unwrap();
        assert_eq!(got.kvs()[0].value(), b"{\"a\":1}", "{form}");
        a.put(format!("/app/by-{form}"), "x", None).await.unwrap();
        let denied = a.get("/secret/token", None).await.expect_err(form);
        assert!(
            denied.to_string().contains("permission denied"),
            "{form}: {denied}"
        );
        // Nor written.
        assert!(a.put("/secret/token", "x", None).await.is_err(), "{form}");
    }
    // Through etcdlens's own tasks: the tree under /app/ lists; the whole
    // keyspace is denied, shown on the root.
    let conn = connect(&as_cert(&alice[0])).await.unwrap();
    let mut app = Headless::start(conn.clone(), b"/app/", 100);
    app.until(10, "listed", |s| {
        s.tree.dir(0).unwrap().listing == Listing::Complete
    })
    .await;
    let mut keys = app.keys();
    keys.sort();
    assert_eq!(
        keys,
        [
            "/app/by-pkcs1",
            "/app/by-pkcs8",
            "/app/by-sec1",
            "/app/config"
        ]
    );
    let mut app = Headless::start(conn, b"", 100);
    app.until(10, "denied", |s| {
        matches!(s.tree.dir(0).unwrap().listing, Listing::Failed(_))
    })
    .await;
    // The binary: an export of /app/ as alice (SEC1 key), and a refusal
    // of /secret/.
    let (cert, key) = (p(&alice[2].0), p(&alice[2].1));
    let (ca, ep) = (p(&ca), ep.clone());
    let args = |prefix: &str| {
        [
            "--endpoints",
            &ep,
            "--cacert",
            &ca,
            "--cert",
            &cert,
            "--key",
            &key,
            "export",
            prefix,
        ]
        .map(String::from)
    };
    let (code, stdout, stderr) = lens(&args("/app/"), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("/app/config"), "{stdout}");
    assert!(stderr.contains("exported 4 keys"), "{stderr}");
    let (code, _, stderr) = lens(&args("/secret/"), &[]);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
}
