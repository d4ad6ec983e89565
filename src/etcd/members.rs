//! Cluster membership (issue 25): a member added as a learner (with the
//! flags to start it), promoted once it has caught up, removed, its peer
//! URLs updated — and the pure rules that refuse what would cost quorum
//! or what etcd would refuse anyway.

use etcd_client::MemberAddOptions;

use super::types::MemberInfo;
use super::{Connection, Error};

/// A member just added: its id and the command line that starts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub id: u64,
    /// `etcd --name … --initial-cluster … --initial-cluster-state existing`.
    pub command: String,
}

/// Adds a learner `name` with `peer_urls` (`etcdctl member add NAME
/// --peer-urls=… --learner`); sent once (a retry could add it twice).
pub async fn add_learner(
    conn: &Connection,
    name: &str,
    peer_urls: &[String],
) -> Result<Added, Error> {
    let mut c = conn.client.clone();
    let r = c
        .member_add(peer_urls, Some(MemberAddOptions::new().with_is_learner()))
        .await?;
    let id = r.member().map_or(0, |m| m.id());
    // The new member has no name in the list yet: it is `name`.
    let cluster: Vec<(String, Vec<String>)> = r
        .member_list()
        .iter()
        .map(|m| {
            let n = if m.id() == id { name } else { m.name() };
            (n.to_string(), m.peer_urls().to_vec())
        })
        .collect();
    Ok(Added {
        id,
        command: start_command(name, peer_urls, &cluster),
    })
}

/// Promotes the learner `id` to a voting member.
pub async fn promote(conn: &Connection, id: u64) -> Result<(), Error> {
    conn.client.clone().member_promote(id).await?;
    Ok(())
}

/// Removes the member `id`.
///
/// When the request reached the member being removed, that member may
/// apply its own removal and stop before it answers (`server stopped`, or
/// the connection dropped): the member list, asked again through the
/// others, says whether the removal took effect.
pub async fn remove(conn: &Connection, id: u64) -> Result<(), Error> {
    let e: Error = match conn.client.clone().member_remove(id).await {
        Ok(_) => return Ok(()),
        Err(e) => e.into(),
    };
    let may_have_applied = matches!(e, Error::Unavailable(_) | Error::Timeout(_))
        || e.to_string().contains("server stopped");
    if !may_have_applied {
        return Err(e);
    }
    for _ in 0..5 {
        if let Ok(list) = conn.client.clone().member_list().await {
            if list.members().iter().all(|m| m.id() != id) {
                return Ok(());
            }
            return Err(e);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Err(e)
}

/// Sets the member `id`'s peer URLs.
pub async fn update(conn: &Connection, id: u64, peer_urls: &[String]) -> Result<(), Error> {
    conn.client
        .clone()
        .member_update(id, peer_urls.to_vec())
        .await?;
    Ok(())
}

/// A membership change's failure as the user reads it: etcd's words, and
/// for its health refusals (`--strict-reconfig-check`, on by default) why.
pub fn explain(e: &Error) -> String {
    let words = super::describe_write_error(e);
    if words.contains("unhealthy cluster") {
        format!("{words} (etcd changes membership only while every member has been connected for the last 5 s: wait, or bring the members back)")
    } else if words.contains("not enough started members") {
        format!("{words} (the change would leave fewer started voting members than a quorum)")
    } else if words.contains("learner") && words.contains("in sync") {
        format!("{words} (etcd promotes a learner once its log is within 90 % of the leader's)")
    } else {
        words
    }
}

/// The command line that starts a member added to `cluster` (every
/// member's name and peer URLs, the new one included), as `etcdctl member
/// add` prints its environment: the new member's client URL is left to
/// the operator (`CLIENT_URL`).
pub fn start_command(
    name: &str,
    peer_urls: &[String],
    cluster: &[(String, Vec<String>)],
) -> String {
    let initial: Vec<String> = cluster
        .iter()
        .flat_map(|(n, urls)| urls.iter().map(move |u| format!("{n}={u}")))
        .collect();
    let peers = peer_urls.join(",");
    format!(
        "etcd --name {name} --data-dir DATA_DIR --initial-advertise-peer-urls {peers} --listen-peer-urls {peers} --advertise-client-urls CLIENT_URL --listen-client-urls CLIENT_URL --initial-cluster {} --initial-cluster-state existing",
        initial.join(",")
    )
}

/// Reads a comma-separated list of peer URLs (`http://host:port`), each
/// checked.
pub fn parse_peer_urls(text: &str) -> Result<Vec<String>, String> {
    let urls: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .collect();
    if urls.is_empty() {
        return Err("give at least one peer URL (http://host:port)".into());
    }
    for u in &urls {
        let rest = u
            .strip_prefix("http://")
            .or_else(|| u.strip_prefix("https://"))
            .ok_or_else(|| format!("{u}: a peer URL starts with http:// or https://"))?;
        let port = rest
            .rsplit_once(':')
            .map(|(host, port)| (host, port.trim_end_matches('/')));
        match port {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => {}
            _ => {
                return Err(format!(
                    "{u}: a peer URL names a host and a port (http://host:port)"
                ))
            }
        }
    }
    Ok(urls)
}

/// Voting members (learners do not vote) and the quorum they need.
pub fn quorum(voters: usize) -> usize {
    voters / 2 + 1
}

/// Whether removing `id` keeps a quorum: the plan's words, or why it is
/// refused — when fewer healthy voting members would remain than the
/// remaining cluster's quorum (a learner's removal never costs quorum).
pub fn removal(members: &[MemberInfo], id: u64) -> Result<String, String> {
    let target = members
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| format!("member {id:x} is not in the member list"))?;
    let name = label(target);
    if target.is_learner {
        return Ok(format!(
            "Remove the learner {name}: it does not vote, the quorum stays as it is."
        ));
    }
    let voters: Vec<&MemberInfo> = members.iter().filter(|m| !m.is_learner).collect();
    if voters.len() == 1 {
        return Err(format!(
            "{name} is the only voting member: the cluster would be gone"
        ));
    }
    let after = voters.len() - 1;
    let healthy_after = voters.iter().filter(|m| m.id != id && up(m)).count();
    let (q_now, q_after) = (quorum(voters.len()), quorum(after));
    if healthy_after < q_after {
        return Err(format!(
            "only {healthy_after} healthy voting member(s) would remain, fewer than the quorum of {q_after} of the {after} left: the cluster would stop taking writes"
        ));
    }
    Ok(format!(
        "Remove {name}: voting members {} → {after}, quorum {q_now} → {q_after}, healthy voting members after: {healthy_after}. Its etcd process stops serving this cluster; clients connected to it must use the others.",
        voters.len()
    ))
}

/// Whether the learner `id` may be promoted: the plan's words, or why not
/// yet — etcd promotes a learner only once its log is within 90 % of the
/// leader's (compared here by their raft indexes as each reports them).
pub fn promotion(members: &[MemberInfo], id: u64) -> Result<String, String> {
    let target = members
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| format!("member {id:x} is not in the member list"))?;
    let name = label(target);
    if !target.is_learner {
        return Err(format!("{name} is a voting member already"));
    }
    let own = target.status.as_ref().map_err(|e| {
        format!("{name} does not answer ({e}): start it with the command shown when it was added")
    })?;
    let leader = members
        .iter()
        .filter_map(|m| m.status.as_ref().ok().map(|s| (m.id, s)))
        .find(|(mid, s)| s.leader == *mid)
        .map(|(_, s)| s)
        .ok_or("no leader answers: its progress cannot be compared")?;
    let (have, want) = (own.raft_index, leader.raft_index);
    if (have as f64) < want as f64 * 0.9 {
        return Err(format!(
            "{name} has not caught up: raft index {have} of the leader's {want} ({:.0} %; etcd needs 90 %)",
            have as f64 * 100.0 / want.max(1) as f64
        ));
    }
    let voters = members.iter().filter(|m| !m.is_learner).count();
    Ok(format!(
        "Promote {name} (raft index {have} of the leader's {want}): voting members {voters} → {}, quorum {} → {}.",
        voters + 1,
        quorum(voters),
        quorum(voters + 1)
    ))
}

/// A learner's progress as the view shows it ("raft 1200/1234, 97 %").
pub fn progress(members: &[MemberInfo], m: &MemberInfo) -> Option<String> {
    let own = m.status.as_ref().ok()?;
    let leader = members
        .iter()
        .filter_map(|x| x.status.as_ref().ok().map(|s| (x.id, s)))
        .find(|(id, s)| s.leader == *id)?
        .1;
    Some(format!(
        "{:.0} % of the leader's log",
        own.raft_index as f64 * 100.0 / leader.raft_index.max(1) as f64
    ))
}

fn up(m: &MemberInfo) -> bool {
    m.status.is_ok() || m.hidden.is_some()
}

fn label(m: &MemberInfo) -> String {
    if m.name.is_empty() {
        format!("{} (not started)", m.label())
    } else {
        m.label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::types::MemberStatus;

    fn member(id: u64, learner: bool, index: Option<u64>) -> MemberInfo {
        MemberInfo {
            id,
            name: format!("m{id}"),
            client_urls: vec![format!("http://127.0.0.1:{id}")],
            peer_urls: vec![format!("http://127.0.0.1:1{id}")],
            is_learner: learner,
            status: index
                .map(|raft_index| MemberStatus {
                    version: "3.5.0".into(),
                    db_size: 1,
                    db_size_in_use: 1,
                    leader: 1,
                    raft_term: 2,
                    raft_index,
                    latency_ms: 1,
                    quota: 0,
                })
                .ok_or_else(|| "no answer".to_string()),
            hidden: None,
        }
    }

    #[test]
    fn removal_keeps_a_quorum_of_healthy_voters() {
        let three = vec![
            member(1, false, Some(10)),
            member(2, false, Some(10)),
            member(3, false, Some(10)),
        ];
        let plan = removal(&three, 3).unwrap();
        assert!(
            plan.contains("voting members 3 → 2, quorum 2 → 2"),
            "{plan}"
        );
        // One down: removing a healthy one leaves 1 healthy of 2 (quorum 2).
        let one_down = vec![
            member(1, false, Some(10)),
            member(2, false, Some(10)),
            member(3, false, None),
        ];
        assert!(removal(&one_down, 2)
            .unwrap_err()
            .contains("only 1 healthy"));
        // Removing the one that is down is fine.
        assert!(removal(&one_down, 3).is_ok());
        // A learner never costs quorum; the last voter is never removed.
        let with_learner = vec![member(1, false, Some(10)), member(4, true, None)];
        assert!(removal(&with_learner, 4).unwrap().contains("learner"));
        assert!(removal(&with_learner, 1)
            .unwrap_err()
            .contains("only voting member"));
        assert!(removal(&three, 9).is_err());
    }

    #[test]
    fn promotion_waits_for_the_learner_to_catch_up() {
        let mut ms = vec![
            member(1, false, Some(1000)),
            member(2, false, Some(1000)),
            member(4, true, Some(500)),
        ];
        assert!(promotion(&ms, 4).unwrap_err().contains("50 %"));
        ms[2] = member(4, true, Some(950));
        let plan = promotion(&ms, 4).unwrap();
        assert!(
            plan.contains("voting members 2 → 3, quorum 2 → 2"),
            "{plan}"
        );
        assert!(promotion(&ms, 1)
            .unwrap_err()
            .contains("voting member already"));
        ms[2] = member(4, true, None);
        assert!(promotion(&ms, 4).unwrap_err().contains("start it"));
    }

    #[test]
    fn the_start_command_names_every_member() {
        let cluster = vec![
            ("m1".to_string(), vec!["http://127.0.0.1:11".to_string()]),
            ("new".to_string(), vec!["http://127.0.0.1:14".to_string()]),
        ];
        let cmd = start_command("new", &["http://127.0.0.1:14".into()], &cluster);
        assert!(
            cmd.contains("--initial-cluster m1=http://127.0.0.1:11,new=http://127.0.0.1:14 "),
            "{cmd}"
        );
        assert!(cmd.contains("--initial-cluster-state existing"));
        assert!(cmd.starts_with("etcd --name new "));
    }

    #[test]
    fn peer_urls_are_checked() {
        assert_eq!(
            parse_peer_urls(" http://10.0.0.4:2380 ,https://h:2380").unwrap(),
            vec!["http://10.0.0.4:2380", "https://h:2380"]
        );
        assert!(parse_peer_urls("").is_err());
        assert!(parse_peer_urls("10.0.0.4:2380").is_err());
        assert!(parse_peer_urls("http://10.0.0.4").is_err());
        assert!(parse_peer_urls("http://:2380").is_err());
    }
}
