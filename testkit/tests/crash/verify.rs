//! What must hold after the crashes: every acknowledged write present and whole, nothing
//! half-applied. Each check adds a report line and its problems.

use super::{Attempt, Client, Outcome, ROLES, SubscriptionLife, Tally, password_of};
use reqwest::StatusCode;
use testkit::{ADMIN_PASSWORD, ADMIN_USER};

/// The attempts of one kind of write.
pub fn attempts_of(by_kind: &[(&str, Vec<Attempt>)], kind: &str) -> Vec<Attempt> {
    by_kind
        .iter()
        .filter(|(k, _)| *k == kind)
        .flat_map(|(_, a)| a.clone())
        .collect()
}

pub async fn accounts(
    client: &Client,
    attempts: &[Attempt],
    report: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    // Accounts: every acknowledged one has its role and its password; any other that exists is
    // whole too.
    let mut tally = Tally::default();
    let (_, collection) = client
        .get(
            "/redfish/v1/AccountService/Accounts",
            (ADMIN_USER, ADMIN_PASSWORD),
        )
        .await;
    let members: Vec<String> = collection["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|v| v["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut existing = std::collections::HashMap::new();
    for uri in &members {
        let (_, account) = client.get(uri, (ADMIN_USER, ADMIN_PASSWORD)).await;
        if let Some(name) = account["UserName"].as_str() {
            existing.insert(name.to_owned(), account);
        }
    }
    for a in attempts.iter() {
        tally.attempted += 1;
        let role_index: usize = a
            .key
            .rsplit('u')
            .next()
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        let role = ROLES[role_index % 3];
        let account = existing.get(&a.key);
        if a.outcome == Outcome::Acked {
            tally.acked += 1;
            if account.is_some() {
                tally.found += 1;
            } else {
                tally.lost.push(a.key.clone());
                continue;
            }
        }
        if let Some(account) = account {
            if account["RoleId"] != role {
                problems.push(format!(
                    "account {} has role {} (sent {role})",
                    a.key, account["RoleId"]
                ));
            }
            let (status, _) = client
                .get("/redfish/v1/AccountService", (&a.key, &password_of(&a.key)))
                .await;
            if status != StatusCode::OK {
                problems.push(format!("account {}: its password gets {status}", a.key));
            }
        }
    }
    report.push(tally.line("accounts"));
    problems.extend(
        tally
            .lost
            .iter()
            .map(|k| format!("acknowledged account {k} lost")),
    );
}

pub async fn subscriptions(
    client: &Client,
    lives: &[SubscriptionLife],
    report: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    // Subscriptions: each acknowledged creation not deleted since is there with its destination
    // and context; each acknowledged deletion is gone.
    let mut tally = Tally::default();
    let (_, collection) = client
        .get(
            "/redfish/v1/EventService/Subscriptions",
            (ADMIN_USER, ADMIN_PASSWORD),
        )
        .await;
    let mut existing = std::collections::HashMap::new();
    for m in collection["Members"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let uri = m["@odata.id"].as_str().unwrap_or_default().to_owned();
        let (_, sub) = client.get(&uri, (ADMIN_USER, ADMIN_PASSWORD)).await;
        match sub["Context"].as_str() {
            Some(context) => {
                existing.insert(context.to_owned(), sub);
            }
            None => problems.push(format!("subscription {uri} has no Context: {sub}")),
        }
    }
    let mut deletes = (0, 0);
    for life in lives {
        tally.attempted += 1;
        let sub = existing.get(&life.context);
        if life.created == Outcome::Acked {
            tally.acked += 1;
        }
        match (life.created, life.deleted, sub) {
            (_, Some(Outcome::Acked), Some(_)) => problems.push(format!(
                "subscription {} deleted (acknowledged) but back",
                life.context
            )),
            (Outcome::Acked, None, None) => tally.lost.push(life.context.clone()),
            (Outcome::Acked, None, Some(_)) => tally.found += 1,
            _ => {}
        }
        if let Some(outcome) = life.deleted {
            deletes.0 += 1;
            if outcome == Outcome::Acked {
                deletes.1 += 1;
            }
        }
        if let Some(sub) = sub
            && (sub["Destination"] != life.destination.as_str() || sub["Protocol"] != "Redfish")
        {
            problems.push(format!("subscription {} is not whole: {sub}", life.context));
        }
    }
    report.push(format!(
        "{}  (deletions attempted {}, acknowledged {}; acknowledged and kept: {})",
        tally.line("event subscriptions"),
        deletes.0,
        deletes.1,
        tally.found + tally.lost.len()
    ));
    problems.extend(
        tally
            .lost
            .iter()
            .map(|k| format!("acknowledged subscription {k} lost")),
    );
}

pub async fn sources(
    client: &Client,
    attempts: &[Attempt],
    host: &str,
    report: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    // AggregationSources: each acknowledged one is there with its host.
    let mut tally = Tally::default();
    for a in attempts {
        tally.attempted += 1;
        let (status, source) = client
            .get(
                &format!(
                    "/redfish/v1/AggregationService/AggregationSources/{}",
                    a.key
                ),
                (ADMIN_USER, ADMIN_PASSWORD),
            )
            .await;
        let present = status == StatusCode::OK;
        if a.outcome == Outcome::Acked {
            tally.acked += 1;
            if present {
                tally.found += 1;
            } else {
                tally.lost.push(a.key.clone());
                continue;
            }
        }
        if present && source["HostName"] != host {
            problems.push(format!("source {} is not whole: {source}", a.key));
        }
    }
    report.push(tally.line("aggregation sources"));
    problems.extend(
        tally
            .lost
            .iter()
            .map(|k| format!("acknowledged source {k} lost")),
    );
}

pub async fn last_values(
    client: &Client,
    by_kind: &[(&str, Vec<Attempt>)],
    report: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    // The rack's properties: the last acknowledged value, or one sent after it.
    let (_, rack) = client
        .get("/redfish/v1/Chassis/Rack1", (ADMIN_USER, ADMIN_PASSWORD))
        .await;
    let (_, power) = client
        .get(
            "/redfish/v1/Chassis/Rack1/Power",
            (ADMIN_USER, ADMIN_PASSWORD),
        )
        .await;
    let rows = [
        ("asset tag", rack["AssetTag"].as_str().map(str::to_owned)),
        (
            "power limit",
            power["PowerControl"][0]["PowerLimit"]["LimitInWatts"]
                .as_u64()
                .map(|w| w.to_string()),
        ),
    ];
    for (kind, now) in rows {
        let all = attempts_of(by_kind, kind);
        let last_acked = all.iter().rposition(|a| a.outcome == Outcome::Acked);
        let allowed: Vec<&str> = all[last_acked.unwrap_or(0)..]
            .iter()
            .map(|a| a.key.as_str())
            .collect();
        let acked = all.iter().filter(|a| a.outcome == Outcome::Acked).count();
        let ok = last_acked.is_none() || now.as_deref().is_some_and(|v| allowed.contains(&v));
        report.push(format!(
            "{kind:<22} attempted {:>4}  acknowledged {:>4}  last acknowledged {:?}, now {:?}",
            all.len(),
            acked,
            last_acked.map(|i| all[i].key.clone()),
            now
        ));
        if !ok {
            problems.push(format!(
                "{kind}: {now:?} is neither the last acknowledged value nor one sent after it"
            ));
        }
    }
}
