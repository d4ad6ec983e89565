//! The skip-scan lister against a real etcd.

mod common;

use std::collections::BTreeSet;

use common::Etcd;
use etcdlens::etcd::lister::{list_children, prefix_end};
use etcdlens::etcd::types::Child;

/// What the children of `dir` must be, computed from the full key set.
fn reference(keys: &BTreeSet<Vec<u8>>, dir: &[u8], delim: &[u8]) -> Vec<Child> {
    let mut out: Vec<Child> = Vec::new();
    for k in keys.iter().filter(|k| k.starts_with(dir)) {
        let rest = &k[dir.len()..];
        let child = match rest.windows(delim.len()).position(|w| w == delim) {
            Some(i) => Child {
                full: k[..dir.len() + i + delim.len()].to_vec(),
                is_dir: true,
            },
            None => Child {
                full: k.clone(),
                is_dir: false,
            },
        };
        if out.last() != Some(&child) {
            out.push(child);
        }
    }
    out
}

/// Lists every page of `dir` with the given page size.
async fn list_all(
    kv: &mut etcd_client::KvClient,
    dir: &[u8],
    delim: &[u8],
    want: usize,
) -> (Vec<Child>, usize, u32) {
    let mut all = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    let mut reads = 0;
    loop {
        let page = list_children(kv, dir, delim, cursor, want, Vec::new())
            .await
            .expect("list");
        assert!(page.children.len() <= want);
        pages += 1;
        reads += page.reads;
        all.extend(page.children);
        match page.next {
            Some(n) => cursor = Some(n),
            None => return (all, pages, reads),
        }
    }
}

fn keys(list: &[&[u8]]) -> BTreeSet<Vec<u8>> {
    list.iter().map(|k| k.to_vec()).collect()
}

#[tokio::test]
async fn children_are_exact_and_bytewise_ordered_with_odd_keys() {
    let etcd = Etcd::single().await;
    let set = keys(&[
        b"/a",
        b"/a/x",
        b"/a/y/z",
        b"/a-b",
        b"/a0",
        b"/a//empty-segment",
        b"/\xff\xfe/binary",
        b"/\xff",
        b"/esc\x1b[2J",
        b"no-leading-delimiter",
        b"/dir/",
        b"/dir/child",
        b"\xff\xff",
    ]);
    etcd.put_keys(&set.iter().cloned().collect::<Vec<_>>())
        .await;
    let mut kv = etcd.client().await.kv_client();
    // Walk the whole tree, comparing every directory with the reference.
    let mut dirs = vec![b"".to_vec()];
    let mut seen = 0;
    while let Some(dir) = dirs.pop() {
        let (got, _, _) = list_all(&mut kv, &dir, b"/", 1000).await;
        assert_eq!(
            got,
            reference(&set, &dir, b"/"),
            "children of {:?}",
            String::from_utf8_lossy(&dir)
        );
        let fulls: Vec<&Vec<u8>> = got.iter().map(|c| &c.full).collect();
        assert!(fulls.windows(2).all(|w| w[0] < w[1]), "bytewise order");
        for c in got {
            if c.is_dir {
                dirs.push(c.full);
            } else {
                seen += 1;
            }
        }
    }
    assert_eq!(seen, set.len(), "every key reachable exactly once");
}

#[tokio::test]
async fn key_that_is_also_a_directory_and_key_equal_to_its_prefix() {
    let etcd = Etcd::single().await;
    let set = keys(&[b"/svc", b"/svc/", b"/svc/a"]);
    etcd.put_keys(&set.iter().cloned().collect::<Vec<_>>())
        .await;
    let mut kv = etcd.client().await.kv_client();
    let (root, _, _) = list_all(&mut kv, b"/", b"/", 1000).await;
    assert_eq!(
        root,
        [
            Child {
                full: b"/svc".to_vec(),
                is_dir: false
            },
            Child {
                full: b"/svc/".to_vec(),
                is_dir: true
            }
        ]
    );
    let (inner, _, _) = list_all(&mut kv, b"/svc/", b"/", 1000).await;
    // "/svc/" itself is a key with an empty last segment.
    assert_eq!(
        inner,
        [
            Child {
                full: b"/svc/".to_vec(),
                is_dir: false
            },
            Child {
                full: b"/svc/a".to_vec(),
                is_dir: false
            }
        ]
    );
}

#[tokio::test]
async fn subdirectories_are_skipped_not_read() {
    let etcd = Etcd::single().await;
    // 10 subdirectories of 2,000 keys each.
    let mut all = Vec::new();
    for d in 0..10 {
        for i in 0..2000 {
            all.push(format!("/big/d{d:02}/k{i:05}").into_bytes());
        }
    }
    etcd.put_keys(&all).await;
    let mut kv = etcd.client().await.kv_client();
    let (got, pages, reads) = list_all(&mut kv, b"/big/", b"/", 1000).await;
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|c| c.is_dir));
    assert_eq!(pages, 1);
    // One read per subdirectory (plus at most one to find the end), not one
    // per key below them.
    assert!(reads <= 11, "{reads} reads for 10 subdirectories");
}

#[tokio::test]
async fn large_directories_come_in_pages() {
    let etcd = Etcd::single().await;
    let all: Vec<Vec<u8>> = (0..2500)
        .map(|i| format!("/wide/item-{i:05}").into_bytes())
        .collect();
    etcd.put_keys(&all).await;
    let mut kv = etcd.client().await.kv_client();
    let first = list_children(&mut kv, b"/wide/", b"/", None, 1000, Vec::new())
        .await
        .unwrap();
    assert_eq!(first.children.len(), 1000);
    // The next page starts just after the last child of this one.
    assert_eq!(first.next.as_deref(), Some(&b"/wide/item-00999\0"[..]));
    assert_eq!(first.reads, 1);
    let (got, pages, _) = list_all(&mut kv, b"/wide/", b"/", 1000).await;
    assert_eq!(pages, 3);
    let expected: Vec<Vec<u8>> = all.clone();
    assert_eq!(
        got.into_iter().map(|c| c.full).collect::<Vec<_>>(),
        expected
    );
}

#[tokio::test]
async fn random_keyspace_matches_reference() {
    let etcd = Etcd::single().await;
    // A deterministic pseudo-random keyspace over a small, nasty alphabet.
    let alphabet: &[u8] = b"/a-0\xff:";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut set = BTreeSet::new();
    while set.len() < 600 {
        let mut k = Vec::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = 1 + (seed % 9) as usize;
        for j in 0..len {
            k.push(alphabet[((seed >> (j * 5)) % alphabet.len() as u64) as usize]);
        }
        set.insert(k);
    }
    etcd.put_keys(&set.iter().cloned().collect::<Vec<_>>())
        .await;
    let mut kv = etcd.client().await.kv_client();
    for delim in [&b"/"[..], b"-0"] {
        let mut dirs = vec![Vec::new()];
        while let Some(dir) = dirs.pop() {
            // Tiny pages exercise the resume cursor at every position.
            let (got, _, _) = list_all(&mut kv, &dir, delim, 3).await;
            assert_eq!(
                got,
                reference(&set, &dir, delim),
                "dir {dir:?} delim {delim:?}"
            );
            dirs.extend(got.into_iter().filter(|c| c.is_dir).map(|c| c.full));
        }
    }
}

#[test]
fn prefix_end_matches_etcd() {
    assert_eq!(prefix_end(b"/a/"), Some(b"/a0".to_vec()));
    assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
    assert_eq!(prefix_end(b"\xff\xff"), None);
    assert_eq!(prefix_end(b""), None);
}

#[tokio::test]
async fn seeds_spare_reading_a_subdirectory_again() {
    let etcd = Etcd::single().await;
    let mut all = Vec::new();
    for a in 0..3 {
        for i in 0..300 {
            all.push(format!("/s/app{a}/k{i:03}").into_bytes());
        }
    }
    all.push(b"/s/zz".to_vec());
    etcd.put_keys(&all).await;
    let set: BTreeSet<Vec<u8>> = all.iter().cloned().collect();
    let mut kv = etcd.client().await.kv_client();
    let root = list_children(&mut kv, b"/s/", b"/", None, 1000, Vec::new())
        .await
        .unwrap();
    assert_eq!(root.children.len(), 4);
    // The first read passed over the start of app0/: those keys are its seed.
    let (dir, seed) = root.seeds.first().unwrap();
    assert_eq!(dir, b"/s/app0/");
    assert!(!seed.is_empty() && seed.len() <= 64);
    assert_eq!(seed[0], b"/s/app0/k000");
    let expected: Vec<Vec<u8>> = (0..seed.len())
        .map(|i| format!("/s/app0/k{i:03}").into_bytes())
        .collect();
    assert_eq!(seed, &expected, "contiguous from the directory's first key");
    // Listing with the seed gives the same children as without.
    let seeded = list_children(&mut kv, b"/s/app0/", b"/", None, 1000, seed.clone())
        .await
        .unwrap();
    assert_eq!(seeded.children, reference(&set, b"/s/app0/", b"/"));
    // A seed that already holds a whole small directory needs no read.
    let small = list_children(&mut kv, b"/s/app0/", b"/", None, 5, seed.clone())
        .await
        .unwrap();
    assert_eq!((small.children.len(), small.reads), (5, 0));
}
