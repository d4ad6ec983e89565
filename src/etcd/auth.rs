//! etcd's access control: whether auth is on, users with their roles,
//! roles with their permissions ([`snapshot`]), the changes `:auth` makes
//! ([`AuthOp`], [`apply`]), and the pure rule of "who can touch this
//! key?" ([`who_can_touch`]).
//!
//! The rules are etcd's own (`server/auth/range_perm_cache.go`, the same
//! on 3.4 through 3.7): a permission with an empty range end covers its key
//! alone; a range end of `"\0"` covers every key from its key on; any other
//! covers `[key, end)` bytewise. An empty key is the *largest* bound in
//! etcd's comparison (`adt.BytesAffineComparable`), so a permission whose
//! key is empty covers nothing (etcd ≥ 3.5 refuses to grant one; etcdctl
//! writes "every key" as key `"\0"`, end `"\0"`). A read of one key is
//! allowed when a permission's interval holds the key; a range read when
//! the union of the user's intervals holds the whole range. The `root` role
//! may do everything, whatever its permissions.

use std::cmp::Ordering;
use std::fmt;

use etcd_client::{Permission, PermissionType, RoleRevokePermissionOptions};

use super::connect::Connection;
use super::Error;
use crate::escape::{escape_bytes, shell_word};

/// The role etcd lets do everything, and the user that must hold it
/// before auth can be enabled.
pub const ROOT: &str = "root";

/// A password on its way to etcd: never printed (its `Debug` is `***`;
/// it has no `Display`), so a `Cmd` or `Msg` carrying it can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The password itself: for the request to etcd only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What a permission allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermKind {
    Read,
    Write,
    ReadWrite,
}

impl PermKind {
    /// As etcdctl names it.
    pub fn name(self) -> &'static str {
        match self {
            PermKind::Read => "read",
            PermKind::Write => "write",
            PermKind::ReadWrite => "readwrite",
        }
    }

    pub fn parse(s: &str) -> Result<PermKind, String> {
        match s.trim() {
            "read" | "r" => Ok(PermKind::Read),
            "write" | "w" => Ok(PermKind::Write),
            "readwrite" | "rw" => Ok(PermKind::ReadWrite),
            other => Err(format!(
                "{}: the permission is read, write or readwrite",
                crate::escape::escape_str(other)
            )),
        }
    }

    pub fn reads(self) -> bool {
        matches!(self, PermKind::Read | PermKind::ReadWrite)
    }

    pub fn writes(self) -> bool {
        matches!(self, PermKind::Write | PermKind::ReadWrite)
    }
}

/// One permission of a role, as etcd stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Perm {
    pub kind: PermKind,
    pub key: Vec<u8>,
    /// Empty: the key alone; `"\0"`: every key from `key`.
    pub range_end: Vec<u8>,
}

/// The end of a prefix's range, as etcd computes it (`GetPrefixRangeEnd`):
/// the last byte below 0xff incremented, what follows dropped; `"\0"`
/// (every key onwards) when there is none (the empty prefix, all 0xff).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

impl Perm {
    /// A permission as etcd-client gives it.
    pub fn from_etcd(p: &etcd_client::Permission) -> Perm {
        Perm {
            // etcd's authpb.Permission.Type: READ = 0, WRITE = 1, READWRITE = 2.
            kind: match p.get_type() {
                0 => PermKind::Read,
                1 => PermKind::Write,
                _ => PermKind::ReadWrite,
            },
            key: p.key().to_vec(),
            range_end: p.range_end().to_vec(),
        }
    }

    /// How the view shows its keys (and what [`parse_keys`] reads back):
    /// `/app/x` (the key alone), `/app/*` (a prefix), `every key`,
    /// `every key from /app/x`, `[/a, /b)`.
    pub fn keys(&self) -> String {
        let key = escape_bytes(&self.key);
        if self.range_end.is_empty() {
            key
        } else if self.range_end == [0] {
            if self.key == [0] {
                "every key".into()
            } else {
                format!("every key from {key}")
            }
        } else if !self.key.is_empty() && self.range_end == prefix_end(&self.key) {
            format!("{key}*")
        } else {
            format!("[{key}, {})", escape_bytes(&self.range_end))
        }
    }

    /// `readwrite /app/*`.
    pub fn line(&self) -> String {
        format!("{} {}", self.kind.name(), self.keys())
    }

    /// The keys it covers in etcd's comparison (`None`: none).
    fn interval(&self) -> Option<Interval> {
        let begin = affine(&self.key);
        let end = if self.range_end.is_empty() {
            // The key alone: [key, key + "\0").
            let mut next = self.key.clone();
            next.push(0);
            affine(&next)
        } else if self.range_end == [0] {
            Bound::Inf
        } else {
            affine(&self.range_end)
        };
        (begin < end).then_some(Interval { begin, end })
    }

    /// The etcdctl arguments naming its keys (after the role and kind):
    /// `/app/ --prefix`, `/x --from-key`, `/a /b`, `/x`.
    fn etcdctl_keys(&self) -> String {
        let word = |b: &[u8]| shell_word(b).unwrap_or_else(|| escape_bytes(b));
        if self.range_end.is_empty() {
            word(&self.key)
        } else if self.range_end == [0] {
            if self.key == [0] {
                "'' --from-key".into()
            } else {
                format!("{} --from-key", word(&self.key))
            }
        } else if !self.key.is_empty() && self.range_end == prefix_end(&self.key) {
            format!("{} --prefix", word(&self.key))
        } else {
            format!("{} {}", word(&self.key), word(&self.range_end))
        }
    }
}

/// Reads the keys of a permission as the view shows them: `KEY` (the key
/// alone), `KEY*` (every key under the prefix), `every key from KEY`,
/// `every key` (or `*`), `[KEY, END)`. Returns (key, range end). A key
/// ending in `*` itself is written as a range.
pub fn parse_keys(text: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(
            "no key: etcd refuses a permission on the empty key (every key is `every key`)".into(),
        );
    }
    if t == "*" || t == "every key" {
        return Ok((vec![0], vec![0]));
    }
    if let Some(from) = t.strip_prefix("every key from") {
        let from = from.trim_start();
        if from.is_empty() {
            return Err("every key from what? (`every key` is every key)".into());
        }
        return Ok((from.as_bytes().to_vec(), vec![0]));
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(')')) {
        let Some((a, b)) = inner.split_once(", ") else {
            return Err("a range is [KEY, END)".into());
        };
        let (a, b) = (a.as_bytes().to_vec(), b.as_bytes().to_vec());
        if a.is_empty() || b.is_empty() {
            return Err("a range is [KEY, END), neither empty".into());
        }
        if a >= b {
            return Err("a range's end comes after its key (bytewise)".into());
        }
        return Ok((a, b));
    }
    if let Some(prefix) = t.strip_suffix('*') {
        if prefix.is_empty() {
            return Ok((vec![0], vec![0]));
        }
        let key = prefix.as_bytes().to_vec();
        let end = prefix_end(&key);
        return Ok((key, end));
    }
    Ok((t.as_bytes().to_vec(), Vec::new()))
}

/// A user and the roles it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub roles: Vec<String>,
}

/// A role and its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub perms: Vec<Perm>,
}

/// What etcd's auth holds, read at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthSnapshot {
    /// Whether auth is enabled (`None`: could not be told).
    pub enabled: Option<bool>,
    pub users: Vec<User>,
    pub roles: Vec<Role>,
    /// The user this connection logs in as (`None`: none).
    pub me: Option<String>,
}

impl AuthSnapshot {
    /// Whether a `root` user holding the `root` role exists (etcd enables
    /// auth only then).
    pub fn root_ready(&self) -> bool {
        self.users
            .iter()
            .any(|u| u.name == ROOT && u.roles.iter().any(|r| r == ROOT))
    }

    /// The users holding `role`.
    pub fn holders(&self, role: &str) -> Vec<String> {
        self.users
            .iter()
            .filter(|u| u.roles.iter().any(|r| r == role))
            .map(|u| u.name.clone())
            .collect()
    }
}

/// How much of the target a role's permissions cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    None,
    /// Some keys of the directory, not all.
    Partial,
    All,
}

/// One role that can touch the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub role: String,
    pub read: Reach,
    pub write: Reach,
    /// The users holding the role.
    pub users: Vec<String>,
    /// The permissions that reach the target, as [`Perm::line`] shows them
    /// (the root role: `everything (root)`).
    pub perms: Vec<String>,
}

/// Every role whose permissions reach `target` — a key, or (`is_dir`) every
/// key under the prefix `target` — for reading and for writing, with the
/// users holding each. A key is reached or not; a directory may be reached
/// whole ([`Reach::All`]: the union of the role's permissions holds every
/// key under it) or in part. The `root` role reaches everything (etcd lets
/// it), whether it was added as a role or only granted. Roles in name
/// order, `root` first; roles that reach nothing are left out.
pub fn who_can_touch(target: &[u8], is_dir: bool, snap: &AuthSnapshot) -> Vec<Coverage> {
    let want = if is_dir {
        Interval {
            // The whole keyspace is read from "\0", the lowest key
            // (the empty key is none).
            begin: Bound::Key(if target.is_empty() {
                vec![0]
            } else {
                target.to_vec()
            }),
            end: match prefix_end(target).as_slice() {
                [0] => Bound::Inf,
                end => Bound::Key(end.to_vec()),
            },
        }
    } else {
        let mut next = target.to_vec();
        next.push(0);
        Interval {
            begin: Bound::Key(target.to_vec()),
            end: Bound::Key(next),
        }
    };
    let mut out = Vec::new();
    let root_known = snap.roles.iter().any(|r| r.name == ROOT)
        || snap.users.iter().any(|u| u.roles.iter().any(|r| r == ROOT));
    if root_known {
        out.push(Coverage {
            role: ROOT.into(),
            read: Reach::All,
            write: Reach::All,
            users: snap.holders(ROOT),
            perms: vec!["everything (root)".into()],
        });
    }
    let mut roles: Vec<&Role> = snap.roles.iter().filter(|r| r.name != ROOT).collect();
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    for role in roles {
        let reach = |pick: fn(PermKind) -> bool| {
            let ivs: Vec<Interval> = role
                .perms
                .iter()
                .filter(|p| pick(p.kind))
                .filter_map(Perm::interval)
                .collect();
            reach(&ivs, &want)
        };
        let read = reach(PermKind::reads);
        let write = reach(PermKind::writes);
        if read == Reach::None && write == Reach::None {
            continue;
        }
        let perms = role
            .perms
            .iter()
            .filter(|p| p.interval().is_some_and(|iv| iv.meets(&want)))
            .map(Perm::line)
            .collect();
        out.push(Coverage {
            role: role.name.clone(),
            read,
            write,
            users: snap.holders(&role.name),
            perms,
        });
    }
    out
}

/// A bound in etcd's comparison: keys bytewise, and above them all the
/// empty key (`Inf`: etcd's open end).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Key(Vec<u8>),
    Inf,
}

/// etcd's `BytesAffineComparable`: the empty key is the largest.
fn affine(b: &[u8]) -> Bound {
    if b.is_empty() {
        Bound::Inf
    } else {
        Bound::Key(b.to_vec())
    }
}

/// `[begin, end)`, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Interval {
    begin: Bound,
    end: Bound,
}

impl Interval {
    fn meets(&self, other: &Interval) -> bool {
        self.begin < other.end && other.begin < self.end
    }
}

/// How much of `want` the union of `ivs` holds (etcd's `Contains` for
/// `All`).
fn reach(ivs: &[Interval], want: &Interval) -> Reach {
    let mut touching: Vec<&Interval> = ivs.iter().filter(|iv| iv.meets(want)).collect();
    if touching.is_empty() {
        return Reach::None;
    }
    touching.sort_by(|a, b| a.begin.cmp(&b.begin));
    let mut covered = want.begin.clone();
    for iv in touching {
        if iv.begin.cmp(&covered) == Ordering::Greater {
            break;
        }
        if iv.end > covered {
            covered = iv.end.clone();
        }
        if covered >= want.end {
            return Reach::All;
        }
    }
    Reach::Partial
}

/// A change to etcd's auth, as `:auth` asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOp {
    AddUser {
        name: String,
        password: Secret,
    },
    DeleteUser {
        name: String,
    },
    ChangePassword {
        name: String,
        password: Secret,
    },
    GrantRole {
        user: String,
        role: String,
    },
    RevokeRole {
        user: String,
        role: String,
    },
    AddRole {
        name: String,
    },
    DeleteRole {
        name: String,
    },
    GrantPermission {
        role: String,
        perm: Perm,
    },
    RevokePermission {
        role: String,
        key: Vec<u8>,
        range_end: Vec<u8>,
    },
    Enable,
    Disable,
}

impl AuthOp {
    /// Its etcdctl equivalent (a password is never in it: etcdctl asks for
    /// it at its own prompt).
    pub fn etcdctl(&self) -> String {
        let w = |s: &str| shell_word(s.as_bytes()).unwrap_or_else(|| escape_bytes(s.as_bytes()));
        match self {
            AuthOp::AddUser { name, .. } => format!("etcdctl user add {}", w(name)),
            AuthOp::DeleteUser { name } => format!("etcdctl user delete {}", w(name)),
            AuthOp::ChangePassword { name, .. } => format!("etcdctl user passwd {}", w(name)),
            AuthOp::GrantRole { user, role } => {
                format!("etcdctl user grant-role {} {}", w(user), w(role))
            }
            AuthOp::RevokeRole { user, role } => {
                format!("etcdctl user revoke-role {} {}", w(user), w(role))
            }
            AuthOp::AddRole { name } => format!("etcdctl role add {}", w(name)),
            AuthOp::DeleteRole { name } => format!("etcdctl role delete {}", w(name)),
            AuthOp::GrantPermission { role, perm } => format!(
                "etcdctl role grant-permission {} {} {}",
                w(role),
                perm.kind.name(),
                perm.etcdctl_keys()
            ),
            AuthOp::RevokePermission {
                role,
                key,
                range_end,
            } => {
                let perm = Perm {
                    kind: PermKind::Read,
                    key: key.clone(),
                    range_end: range_end.clone(),
                };
                format!(
                    "etcdctl role revoke-permission {} {}",
                    w(role),
                    perm.etcdctl_keys()
                )
            }
            AuthOp::Enable => "etcdctl auth enable".into(),
            AuthOp::Disable => "etcdctl auth disable".into(),
        }
    }

    /// What it did, in one line (`user alice added`).
    pub fn done(&self) -> String {
        let e = crate::escape::escape_str;
        match self {
            AuthOp::AddUser { name, .. } => format!("user {} added", e(name)),
            AuthOp::DeleteUser { name } => format!("user {} deleted", e(name)),
            AuthOp::ChangePassword { name, .. } => format!("password of {} changed", e(name)),
            AuthOp::GrantRole { user, role } => {
                format!("role {} granted to {}", e(role), e(user))
            }
            AuthOp::RevokeRole { user, role } => {
                format!("role {} revoked from {}", e(role), e(user))
            }
            AuthOp::AddRole { name } => format!("role {} added", e(name)),
            AuthOp::DeleteRole { name } => format!("role {} deleted", e(name)),
            AuthOp::GrantPermission { role, perm } => {
                format!("{} granted to role {}", perm.line(), e(role))
            }
            AuthOp::RevokePermission {
                role,
                key,
                range_end,
            } => {
                let perm = Perm {
                    kind: PermKind::Read,
                    key: key.clone(),
                    range_end: range_end.clone(),
                };
                format!("{} revoked from role {}", perm.keys(), e(role))
            }
            AuthOp::Enable => "auth enabled".into(),
            AuthOp::Disable => "auth disabled".into(),
        }
    }
}

/// Whether auth is enabled: an `Authenticate` with no user name is refused
/// as "not enabled" when it is off and as a failed login when it is on
/// (etcd checks that first, before the user; no password is hashed). etcd
/// logs the refused login as a warning.
pub async fn enabled(conn: &Connection) -> Result<bool, Error> {
    let mut auth = conn.client.auth_client();
    match auth.authenticate(String::new(), String::new()).await {
        Ok(_) => Ok(true),
        Err(e) => match Error::from(&e) {
            Error::Auth(_) => Ok(true),
            Error::Refused(m) if m.contains("not enabled") => Ok(false),
            other => Err(other),
        },
    }
}

/// Users with their roles and roles with their permissions, and whether
/// auth is on. etcd answers the lists to the root role only (or anyone
/// while auth is off): otherwise `Error::PermissionDenied`.
pub async fn snapshot(conn: &Connection) -> Result<AuthSnapshot, Error> {
    let mut c = conn.client.clone();
    let enabled = enabled(conn).await.ok();
    let names = c.user_list().await.map_err(|e| Error::from(&e))?;
    let mut users = Vec::new();
    for name in names.users() {
        let got = c
            .user_get(name.clone())
            .await
            .map_err(|e| Error::from(&e))?;
        let mut roles = got.roles().to_vec();
        roles.sort();
        users.push(User {
            name: name.clone(),
            roles,
        });
    }
    users.sort_by(|a, b| a.name.cmp(&b.name));
    let names = c.role_list().await.map_err(|e| Error::from(&e))?;
    let mut roles = Vec::new();
    for name in names.roles() {
        let got = c
            .role_get(name.clone())
            .await
            .map_err(|e| Error::from(&e))?;
        let perms = got.permissions().iter().map(Perm::from_etcd).collect();
        roles.push(Role {
            name: name.clone(),
            perms,
        });
    }
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(AuthSnapshot {
        enabled,
        users,
        roles,
        me: conn.settings.user.as_ref().map(|(u, _)| u.clone()),
    })
}

/// Makes the change. `Enable` is refused here too, before asking etcd,
/// unless a `root` user holding the `root` role exists (etcd's own refusal
/// names only the first thing missing).
pub async fn apply(conn: &Connection, op: &AuthOp) -> Result<(), Error> {
    let mut c = conn.client.clone();
    let err = |e: etcd_client::Error| Error::from(&e);
    match op {
        AuthOp::AddUser { name, password } => c
            .user_add(name.clone(), password.expose().to_string(), None)
            .await
            .map(drop)
            .map_err(err),
        AuthOp::DeleteUser { name } => c.user_delete(name.clone()).await.map(drop).map_err(err),
        AuthOp::ChangePassword { name, password } => c
            .user_change_password(name.clone(), password.expose().to_string())
            .await
            .map(drop)
            .map_err(err),
        AuthOp::GrantRole { user, role } => c
            .user_grant_role(user.clone(), role.clone())
            .await
            .map(drop)
            .map_err(err),
        AuthOp::RevokeRole { user, role } => c
            .user_revoke_role(user.clone(), role.clone())
            .await
            .map(drop)
            .map_err(err),
        AuthOp::AddRole { name } => c.role_add(name.clone()).await.map(drop).map_err(err),
        AuthOp::DeleteRole { name } => c.role_delete(name.clone()).await.map(drop).map_err(err),
        AuthOp::GrantPermission { role, perm } => {
            let kind = match perm.kind {
                PermKind::Read => PermissionType::Read,
                PermKind::Write => PermissionType::Write,
                PermKind::ReadWrite => PermissionType::Readwrite,
            };
            let mut p = Permission::new(kind, perm.key.clone());
            if !perm.range_end.is_empty() {
                p = p.with_range_end(perm.range_end.clone());
            }
            c.role_grant_permission(role.clone(), p)
                .await
                .map(drop)
                .map_err(err)
        }
        AuthOp::RevokePermission {
            role,
            key,
            range_end,
        } => {
            let options = (!range_end.is_empty())
                .then(|| RoleRevokePermissionOptions::new().with_range_end(range_end.clone()));
            c.role_revoke_permission(role.clone(), key.clone(), options)
                .await
                .map(drop)
                .map_err(err)
        }
        AuthOp::Enable => {
            let snap = snapshot(conn).await?;
            if !snap.root_ready() {
                return Err(Error::Refused(ENABLE_NEEDS_ROOT.into()));
            }
            c.auth_enable().await.map(drop).map_err(err)
        }
        AuthOp::Disable => c.auth_disable().await.map(drop).map_err(err),
    }
}

/// Why auth cannot be enabled yet (the one wording).
pub const ENABLE_NEEDS_ROOT: &str =
    "auth enable refused: etcd needs a user root holding the role root first";

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(kind: PermKind, key: &[u8], end: &[u8]) -> Perm {
        Perm {
            kind,
            key: key.to_vec(),
            range_end: end.to_vec(),
        }
    }

    fn snap(roles: Vec<(&str, Vec<Perm>)>, users: Vec<(&str, Vec<&str>)>) -> AuthSnapshot {
        AuthSnapshot {
            enabled: Some(true),
            me: None,
            users: users
                .into_iter()
                .map(|(n, r)| User {
                    name: n.into(),
                    roles: r.into_iter().map(String::from).collect(),
                })
                .collect(),
            roles: roles
                .into_iter()
                .map(|(n, p)| Role {
                    name: n.into(),
                    perms: p,
                })
                .collect(),
        }
    }

    fn reach_of(target: &[u8], is_dir: bool, perms: Vec<Perm>) -> (Reach, Reach) {
        let s = snap(vec![("r", perms)], vec![]);
        who_can_touch(target, is_dir, &s)
            .into_iter()
            .find(|c| c.role == "r")
            .map_or((Reach::None, Reach::None), |c| (c.read, c.write))
    }

    #[test]
    fn prefix_ends_are_etcds() {
        assert_eq!(prefix_end(b"/app/"), b"/app0");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff\xff"), b"\0");
        assert_eq!(prefix_end(b""), b"\0");
        assert_eq!(prefix_end(b"a\xfe"), b"a\xff");
    }

    #[test]
    fn permissions_are_shown_as_prefixes_open_ends_and_ranges() {
        let p = |k: &[u8], e: &[u8]| perm(PermKind::Read, k, e).keys();
        assert_eq!(p(b"/app/", b"/app0"), "/app/*");
        assert_eq!(p(b"/app/x", b""), "/app/x");
        assert_eq!(p(b"/app/x", b"\0"), "every key from /app/x");
        assert_eq!(p(b"\0", b"\0"), "every key");
        assert_eq!(p(b"/a", b"/c"), "[/a, /c)");
        // A range end that is not the prefix end of the key is a range.
        assert_eq!(p(b"/app/", b"/app1"), "[/app/, /app1)");
        assert_eq!(
            perm(PermKind::ReadWrite, b"/app/", b"/app0").line(),
            "readwrite /app/*"
        );
    }

    #[test]
    fn what_is_shown_parses_back() {
        for (k, e) in [
            (&b"/app/"[..], &b"/app0"[..]),
            (b"/app/x", b""),
            (b"/app/x", b"\0"),
            (b"\0", b"\0"),
            (b"/a", b"/c"),
        ] {
            let shown = perm(PermKind::Read, k, e).keys();
            assert_eq!(parse_keys(&shown), Ok((k.to_vec(), e.to_vec())), "{shown}");
        }
        assert_eq!(parse_keys("*"), Ok((vec![0], vec![0])));
        assert!(parse_keys("").is_err());
        assert!(parse_keys("[/b, /a)").is_err());
        assert!(parse_keys("every key from ").is_err());
    }

    #[test]
    fn a_key_is_reached_by_a_point_a_prefix_a_range_or_an_open_end() {
        use PermKind::*;
        let rw = |k: &[u8], e: &[u8]| vec![perm(ReadWrite, k, e)];
        assert_eq!(
            reach_of(b"/app/x", false, rw(b"/app/x", b"")),
            (Reach::All, Reach::All)
        );
        assert_eq!(
            reach_of(b"/app/xy", false, rw(b"/app/x", b"")),
            (Reach::None, Reach::None)
        );
        assert_eq!(
            reach_of(b"/app/x", false, rw(b"/app/", b"/app0")),
            (Reach::All, Reach::All)
        );
        // The range end is excluded, the key included.
        assert_eq!(
            reach_of(b"/c", false, rw(b"/a", b"/c")),
            (Reach::None, Reach::None)
        );
        assert_eq!(
            reach_of(b"/a", false, rw(b"/a", b"/c")),
            (Reach::All, Reach::All)
        );
        assert_eq!(
            reach_of(b"/b\xff", false, rw(b"/a", b"/c")),
            (Reach::All, Reach::All)
        );
        // "\0": every key from the key on, even past 0xff bytes.
        assert_eq!(
            reach_of(b"\xff\xff", false, rw(b"/x", b"\0")),
            (Reach::All, Reach::All)
        );
        assert_eq!(
            reach_of(b"/w", false, rw(b"/x", b"\0")),
            (Reach::None, Reach::None)
        );
        assert_eq!(
            reach_of(b"\0", false, rw(b"\0", b"\0")),
            (Reach::All, Reach::All)
        );
        // An empty key is etcd's largest bound: it covers nothing.
        assert_eq!(
            reach_of(b"/a", false, rw(b"", b"\0")),
            (Reach::None, Reach::None)
        );
        assert_eq!(
            reach_of(b"\0", false, rw(b"", b"")),
            (Reach::None, Reach::None)
        );
        // Read and write told apart.
        assert_eq!(
            reach_of(b"/s/k", false, vec![perm(Read, b"/s/", b"/s0")]),
            (Reach::All, Reach::None)
        );
        assert_eq!(
            reach_of(b"/s/k", false, vec![perm(Write, b"/s/", b"/s0")]),
            (Reach::None, Reach::All)
        );
    }

    #[test]
    fn a_directory_is_reached_whole_or_in_part() {
        use PermKind::*;
        // The directory's own prefix: whole.
        assert_eq!(
            reach_of(b"/app/", true, vec![perm(ReadWrite, b"/app/", b"/app0")]),
            (Reach::All, Reach::All)
        );
        // A parent's prefix: whole.
        assert_eq!(
            reach_of(b"/app/", true, vec![perm(Read, b"/", b"0")]),
            (Reach::All, Reach::None)
        );
        // A child's prefix or one key inside: in part.
        assert_eq!(
            reach_of(b"/app/", true, vec![perm(Read, b"/app/a/", b"/app/a0")]),
            (Reach::Partial, Reach::None)
        );
        assert_eq!(
            reach_of(b"/app/", true, vec![perm(Write, b"/app/x", b"")]),
            (Reach::None, Reach::Partial)
        );
        // Two adjacent ranges of one role: whole, as etcd's Contains.
        assert_eq!(
            reach_of(
                b"/app/",
                true,
                vec![
                    perm(Read, b"/app/", b"/app/m"),
                    perm(Read, b"/app/m", b"/app0")
                ]
            ),
            (Reach::All, Reach::None)
        );
        // A gap between them: in part.
        assert_eq!(
            reach_of(
                b"/app/",
                true,
                vec![
                    perm(Read, b"/app/", b"/app/m"),
                    perm(Read, b"/app/n", b"/app0")
                ]
            ),
            (Reach::Partial, Reach::None)
        );
        // A prefix's sibling (`/app0` is the end, excluded): nothing.
        assert_eq!(
            reach_of(b"/app/", true, vec![perm(Read, b"/app0", b"/app1")]),
            (Reach::None, Reach::None)
        );
        // The directory "/app" (no delimiter) spans /app/ and /apple.
        assert_eq!(
            reach_of(b"/app", true, vec![perm(Read, b"/app/", b"/app0")]),
            (Reach::Partial, Reach::None)
        );
        // The whole keyspace: only an open end from the lowest key holds it.
        assert_eq!(
            reach_of(b"", true, vec![perm(Read, b"\0", b"\0")]),
            (Reach::All, Reach::None)
        );
        assert_eq!(
            reach_of(b"", true, vec![perm(Read, b"/", b"\0")]),
            (Reach::Partial, Reach::None)
        );
        // A directory of 0xff bytes runs to the open end.
        assert_eq!(
            reach_of(b"\xff", true, vec![perm(Read, b"\xfe", b"\0")]),
            (Reach::All, Reach::None)
        );
        assert_eq!(
            reach_of(b"\xff", true, vec![perm(Read, b"\xff", b"\xff\xff")]),
            (Reach::Partial, Reach::None)
        );
    }

    #[test]
    fn root_reaches_everything_and_users_are_listed_per_role() {
        let s = snap(
            vec![
                (
                    "app-rw",
                    vec![perm(PermKind::ReadWrite, b"/app/", b"/app0")],
                ),
                ("other", vec![perm(PermKind::Read, b"/other/", b"/other0")]),
            ],
            vec![
                ("root", vec!["root"]),
                ("alice", vec!["app-rw"]),
                ("bob", vec!["app-rw", "other"]),
            ],
        );
        let who = who_can_touch(b"/app/x", false, &s);
        let roles: Vec<&str> = who.iter().map(|c| c.role.as_str()).collect();
        assert_eq!(roles, ["root", "app-rw"]);
        assert_eq!(who[0].users, ["root"]);
        assert_eq!(who[1].users, ["alice", "bob"]);
        assert_eq!(who[1].perms, ["readwrite /app/*"]);
        assert!(s.root_ready());
        let no_root = snap(vec![], vec![("root", vec![])]);
        assert!(!no_root.root_ready());
        assert!(who_can_touch(b"/x", false, &no_root).is_empty());
    }

    #[test]
    fn a_password_never_prints() {
        let op = AuthOp::AddUser {
            name: "alice".into(),
            password: Secret::new("hunter2"),
        };
        let shown = format!("{op:?} {}", op.etcdctl());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(op.etcdctl(), "etcdctl user add alice");
    }

    #[test]
    fn etcdctl_equivalents_name_the_range_as_etcdctl_takes_it() {
        let grant = |k: &[u8], e: &[u8]| {
            AuthOp::GrantPermission {
                role: "r".into(),
                perm: perm(PermKind::ReadWrite, k, e),
            }
            .etcdctl()
        };
        assert_eq!(
            grant(b"/app/", b"/app0"),
            "etcdctl role grant-permission r readwrite /app/ --prefix"
        );
        assert_eq!(
            grant(b"/x", b"\0"),
            "etcdctl role grant-permission r readwrite /x --from-key"
        );
        assert_eq!(
            grant(b"\0", b"\0"),
            "etcdctl role grant-permission r readwrite '' --from-key"
        );
        assert_eq!(
            grant(b"/a", b"/c"),
            "etcdctl role grant-permission r readwrite /a /c"
        );
        assert_eq!(
            grant(b"/a", b""),
            "etcdctl role grant-permission r readwrite /a"
        );
    }
}
