//! A minimal read-only reader of bbolt files (etcd's backend: a member's
//! `member/snap/db`, or a snapshot file, which is the same file with a
//! sha256 appended).
//!
//! Written here because crates.io has no maintained pure-Rust bbolt
//! reader (the Go library is the only maintained implementation), and
//! reading is small: two meta pages (the valid one with the higher txid
//! wins), branch and leaf pages walked in key order, and buckets either
//! with a root page of their own or inline (a page stored in the bucket's
//! value). Nothing is ever written; the file is read page by page with
//! positioned reads, so a large file is not loaded whole.
//!
//! Use: [`Db::open`] → [`Db::root`] (the top-level buckets) →
//! [`Db::for_each`] over a bucket's entries, in key order; an entry is a
//! value or a nested [`Bucket`].

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Why a file could not be read as a bbolt database.
#[derive(Debug, thiserror::Error)]
pub enum BoltError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a valid bbolt database: {0}")]
    Corrupt(String),
    /// A running etcd holds the file (bbolt's exclusive `flock`).
    #[error("in use by a running etcd (it holds the file's lock): stop that member, or open a snapshot of it (etcdlens snapshot save FILE)")]
    InUse,
}

type Result<T> = std::result::Result<T, BoltError>;

const MAGIC: u32 = 0xED0C_DAED;
const VERSION: u32 = 2;
const PAGE_HEADER: usize = 16;
const ELEMENT: usize = 16;
const BUCKET_HEADER: usize = 16;
const BRANCH_PAGE: u16 = 0x01;
const LEAF_PAGE: u16 = 0x02;
const BUCKET_LEAF: u32 = 0x01;
/// Bytes of the meta the checksum covers (magic … txid).
const META_CHECKED: usize = 56;

/// An open bbolt file, as of its latest committed transaction.
pub struct Db {
    file: File,
    page_size: usize,
    /// The root bucket's page.
    root: u64,
    /// The high-water mark: pages in use (the file may be longer).
    pages: u64,
    txid: u64,
}

/// A bucket: its pages in the file, or inline (a page of its own stored
/// in its parent's value).
#[derive(Debug, Clone)]
pub enum Bucket {
    Root(u64),
    Inline(Vec<u8>),
}

/// One entry of a bucket.
pub enum Entry<'a> {
    Value(&'a [u8]),
    Bucket(Bucket),
}

struct Meta {
    page_size: u32,
    root: u64,
    pages: u64,
    txid: u64,
}

fn u16_at(b: &[u8], at: usize) -> Result<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes(s.try_into().unwrap()))
        .ok_or_else(|| short(at))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes(s.try_into().unwrap()))
        .ok_or_else(|| short(at))
}

fn u64_at(b: &[u8], at: usize) -> Result<u64> {
    b.get(at..at + 8)
        .map(|s| u64::from_le_bytes(s.try_into().unwrap()))
        .ok_or_else(|| short(at))
}

fn short(at: usize) -> BoltError {
    BoltError::Corrupt(format!("a page ends before offset {at}"))
}

/// FNV-1a, 64 bits: bbolt's meta checksum.
fn fnv64a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The meta in `page` (a whole meta page), if it is valid.
fn meta(page: &[u8]) -> Option<Meta> {
    let m = page.get(PAGE_HEADER..PAGE_HEADER + META_CHECKED + 8)?;
    let magic = u32_at(m, 0).ok()?;
    let version = u32_at(m, 4).ok()?;
    let checksum = u64_at(m, META_CHECKED).ok()?;
    if magic != MAGIC || version != VERSION || checksum != fnv64a(&m[..META_CHECKED]) {
        return None;
    }
    Some(Meta {
        page_size: u32_at(m, 8).ok()?,
        root: u64_at(m, 16).ok()?,
        pages: u64_at(m, 40).ok()?,
        txid: u64_at(m, 48).ok()?,
    })
}

impl Db {
    /// Opens `path` read-only and picks the valid meta page with the higher
    /// transaction id, as bbolt does.
    pub fn open(path: &Path) -> Result<Db> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut first = vec![0u8; 4096.min(len as usize)];
        file.read_exact_at(&mut first, 0)?;
        let meta0 = meta(&first);
        // The page size is in either meta; when the first is damaged, the
        // second is looked for at the usual page sizes.
        let meta1 = match &meta0 {
            Some(m) => Self::meta_at(&file, len, m.page_size as u64),
            None => [4096u64, 8192, 16384, 65536]
                .iter()
                .find_map(|&ps| Self::meta_at(&file, len, ps)),
        };
        let best = match (meta0, meta1) {
            (Some(a), Some(b)) => {
                if b.txid > a.txid {
                    b
                } else {
                    a
                }
            }
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return Err(BoltError::Corrupt("no valid meta page".into())),
        };
        let page_size = best.page_size as usize;
        if !(512..=1 << 20).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(BoltError::Corrupt(format!("page size {page_size}")));
        }
        if best.pages.saturating_mul(page_size as u64) > len {
            return Err(BoltError::Corrupt(format!(
                "{} pages of {page_size} bytes, but the file has {len} bytes (truncated?)",
                best.pages
            )));
        }
        Ok(Db {
            file,
            page_size,
            root: best.root,
            pages: best.pages,
            txid: best.txid,
        })
    }

    fn meta_at(file: &File, len: u64, page_size: u64) -> Option<Meta> {
        if page_size < 512 || page_size * 2 > len {
            return None;
        }
        let mut page = vec![0u8; page_size as usize];
        file.read_exact_at(&mut page, page_size).ok()?;
        meta(&page).filter(|m| u64::from(m.page_size) == page_size)
    }

    /// The database's size as bbolt counts it (`Tx.Size`): pages in use ×
    /// page size.
    pub fn size(&self) -> u64 {
        self.pages * self.page_size as u64
    }

    /// The transaction id of the meta in use.
    pub fn txid(&self) -> u64 {
        self.txid
    }

    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// The root bucket: its entries are the top-level buckets.
    pub fn root(&self) -> Bucket {
        Bucket::Root(self.root)
    }

    /// The top-level bucket named `name`, if any.
    pub fn bucket(&self, name: &[u8]) -> Result<Option<Bucket>> {
        let mut found = None;
        self.for_each(&self.root(), &mut |k, e| {
            if k == name {
                if let Entry::Bucket(b) = e {
                    found = Some(b);
                }
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Calls `f` with each entry of `bucket`, in key order.
    pub fn for_each(
        &self,
        bucket: &Bucket,
        f: &mut dyn FnMut(&[u8], Entry<'_>) -> Result<()>,
    ) -> Result<()> {
        match bucket {
            Bucket::Root(pgid) => self.walk(*pgid, f, 0),
            Bucket::Inline(page) => self.walk_page(page, f, 0),
        }
    }

    /// The page `pgid` with its overflow pages.
    fn page(&self, pgid: u64) -> Result<Vec<u8>> {
        if pgid < 2 || pgid >= self.pages {
            return Err(BoltError::Corrupt(format!(
                "page {pgid} outside the {} in use",
                self.pages
            )));
        }
        let at = pgid * self.page_size as u64;
        let mut head = vec![0u8; self.page_size];
        self.file.read_exact_at(&mut head, at)?;
        let overflow = u32_at(&head, 12)? as u64;
        if overflow == 0 {
            return Ok(head);
        }
        if pgid + overflow >= self.pages {
            return Err(BoltError::Corrupt(format!(
                "page {pgid} overflows past the pages in use"
            )));
        }
        let mut page = vec![0u8; (overflow as usize + 1) * self.page_size];
        page[..self.page_size].copy_from_slice(&head);
        self.file
            .read_exact_at(&mut page[self.page_size..], at + self.page_size as u64)?;
        Ok(page)
    }

    fn walk(
        &self,
        pgid: u64,
        f: &mut dyn FnMut(&[u8], Entry<'_>) -> Result<()>,
        depth: usize,
    ) -> Result<()> {
        let page = self.page(pgid)?;
        self.walk_page(&page, f, depth)
    }

    fn walk_page(
        &self,
        page: &[u8],
        f: &mut dyn FnMut(&[u8], Entry<'_>) -> Result<()>,
        depth: usize,
    ) -> Result<()> {
        if depth > 64 {
            return Err(BoltError::Corrupt(
                "pages nested too deep (a cycle?)".into(),
            ));
        }
        let flags = u16_at(page, 8)?;
        let count = u16_at(page, 10)? as usize;
        for i in 0..count {
            let elem = PAGE_HEADER + i * ELEMENT;
            if flags & BRANCH_PAGE != 0 {
                let child = u64_at(page, elem + 8)?;
                self.walk(child, f, depth + 1)?;
            } else if flags & LEAF_PAGE != 0 {
                let eflags = u32_at(page, elem)?;
                let pos = u32_at(page, elem + 4)? as usize;
                let ksize = u32_at(page, elem + 8)? as usize;
                let vsize = u32_at(page, elem + 12)? as usize;
                let k0 = elem + pos;
                let key = page.get(k0..k0 + ksize).ok_or_else(|| short(k0 + ksize))?;
                let v0 = k0 + ksize;
                let value = page.get(v0..v0 + vsize).ok_or_else(|| short(v0 + vsize))?;
                if eflags & BUCKET_LEAF != 0 {
                    let root = u64_at(value, 0)?;
                    let bucket = if root == 0 {
                        Bucket::Inline(value.get(BUCKET_HEADER..).unwrap_or_default().to_vec())
                    } else {
                        Bucket::Root(root)
                    };
                    f(key, Entry::Bucket(bucket))?;
                } else {
                    f(key, Entry::Value(value))?;
                }
            } else {
                return Err(BoltError::Corrupt(format!(
                    "a bucket's page has flags {flags:#x}"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_go() {
        // hash/fnv New64a over "hello".
        assert_eq!(fnv64a(b"hello"), 0xa430_d846_80aa_bd0b);
    }

    #[test]
    fn not_bolt() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, vec![7u8; 16384]).unwrap();
        assert!(matches!(Db::open(&p), Err(BoltError::Corrupt(_))));
    }
}
