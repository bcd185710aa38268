//! The soak's clients: N closed-loop keep-alive connections, each sending a mix of reads, writes
//! and actions through the frontend, over the whole rack. Successes are counted; every other
//! reply is kept with its time, status and Base message, for the fault classification.

use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the clients send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// GET of a BMC's system, chassis or manager (proxied).
    GetMember,
    /// GET of a merged collection (served from memory).
    GetCollection,
    /// GET of the aggregate's own resources (accounts service, rack, rack manager).
    GetLocal,
    /// PATCH `AssetTag` of a BMC's system (proxied).
    PatchMember,
    /// `#ComputerSystem.Reset` ForceRestart on a BMC's system (proxied).
    Reset,
    /// PATCH `AssetTag` of the rack (the aggregator's SQLite).
    PatchRack,
}

/// Out of 100.
const MIX: [(Op, u32); 6] = [
    (Op::GetMember, 45),
    (Op::GetCollection, 15),
    (Op::GetLocal, 10),
    (Op::PatchMember, 15),
    (Op::Reset, 5),
    (Op::PatchRack, 10),
];

const LOCAL: [&str; 4] = [
    "/redfish/v1/AccountService",
    "/redfish/v1/Chassis/Rack1",
    "/redfish/v1/Managers/Aggregator",
    "/redfish/v1/SessionService",
];
const COLLECTIONS: [&str; 3] = [
    "/redfish/v1/Systems",
    "/redfish/v1/Chassis",
    "/redfish/v1/Managers",
];

/// The BMCs' members, as the aggregate lists them: (bmc id, URI).
pub struct Plan {
    pub systems: Vec<(String, String)>,
    pub members: Vec<(String, String)>,
}

/// A reply that was not 2xx (status 0: no reply at all).
#[derive(Debug, Clone)]
pub struct Failure {
    pub op: Op,
    pub path: String,
    pub bmc: Option<String>,
    pub start: f64,
    pub end: f64,
    pub status: u16,
    /// The Base message key (`OperationTimeout`), or the transport error.
    pub message: String,
}

#[derive(Default)]
pub struct Outcome {
    /// Per op: (sent, 2xx).
    pub counts: BTreeMap<Op, (u64, u64)>,
    pub failures: Vec<Failure>,
}

/// A small deterministic generator per client (no need for more randomness than this).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn pick_op(rng: &mut XorShift) -> Op {
    let mut roll = rng.below(100) as u32;
    for (op, weight) in MIX {
        if roll < weight {
            return op;
        }
        roll -= weight;
    }
    Op::GetMember
}

/// (method, path, body, bmc) of the next request.
fn request(
    op: Op,
    plan: &Plan,
    rng: &mut XorShift,
    n: u64,
) -> (Method, String, Value, Option<String>) {
    let pick = |list: &[(String, String)], rng: &mut XorShift| list[rng.below(list.len())].clone();
    match op {
        Op::GetMember => {
            let (bmc, uri) = pick(&plan.members, rng);
            (Method::GET, uri, Value::Null, Some(bmc))
        }
        Op::GetCollection => (
            Method::GET,
            COLLECTIONS[rng.below(3)].to_owned(),
            Value::Null,
            None,
        ),
        Op::GetLocal => (
            Method::GET,
            LOCAL[rng.below(LOCAL.len())].to_owned(),
            Value::Null,
            None,
        ),
        Op::PatchMember => {
            let (bmc, uri) = pick(&plan.systems, rng);
            (
                Method::PATCH,
                uri,
                json!({"AssetTag": format!("soak-{n}")}),
                Some(bmc),
            )
        }
        Op::Reset => {
            let (bmc, uri) = pick(&plan.systems, rng);
            let target = format!("{uri}/Actions/ComputerSystem.Reset");
            (
                Method::POST,
                target,
                json!({"ResetType": "ForceRestart"}),
                Some(bmc),
            )
        }
        Op::PatchRack => (
            Method::PATCH,
            "/redfish/v1/Chassis/Rack1".to_owned(),
            json!({"AssetTag": format!("rack-{n}")}),
            None,
        ),
    }
}

fn message_key(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v["error"]["@Message.ExtendedInfo"][0]["MessageId"]
        .as_str()
        .and_then(|id| id.rsplit('.').next())
        .unwrap_or("(no Redfish body)")
        .to_owned()
}

async fn client_loop(
    id: u64,
    base: Arc<str>,
    auth: (String, String),
    plan: Arc<Plan>,
    origin: Instant,
    deadline: Instant,
) -> Outcome {
    let http = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (id + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut out = Outcome::default();
    let mut n = id << 32;
    while Instant::now() < deadline {
        n += 1;
        let op = pick_op(&mut rng);
        let (method, path, body, bmc) = request(op, &plan, &mut rng, n);
        let start = origin.elapsed().as_secs_f64();
        let mut rb = http
            .request(method.clone(), format!("{base}{path}"))
            .basic_auth(&auth.0, Some(&auth.1));
        if method != Method::GET {
            rb = rb.json(&body);
        }
        let reply = match rb.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                match r.bytes().await {
                    Ok(b) => Ok((status, b)),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let end = origin.elapsed().as_secs_f64();
        let entry = out.counts.entry(op).or_default();
        entry.0 += 1;
        let (status, message) = match reply {
            Ok((status, _)) if (200..300).contains(&status) => {
                entry.1 += 1;
                continue;
            }
            Ok((status, body)) => (status, message_key(&body)),
            Err(e) => (0, e),
        };
        out.failures.push(Failure {
            op,
            path,
            bmc,
            start,
            end,
            status,
            message,
        });
        if status == 0 {
            // A refused connection must not become a busy loop.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    out
}

/// Runs `connections` clients until `deadline`; everything they saw.
pub async fn run(
    base: &str,
    auth: (String, String),
    plan: Arc<Plan>,
    connections: u64,
    origin: Instant,
    deadline: Instant,
) -> Outcome {
    let base: Arc<str> = base.into();
    let clients: Vec<_> = (0..connections)
        .map(|id| {
            tokio::spawn(client_loop(
                id,
                base.clone(),
                auth.clone(),
                plan.clone(),
                origin,
                deadline,
            ))
        })
        .collect();
    let mut all = Outcome::default();
    for c in clients {
        let Ok(o) = c.await else { continue };
        for (op, (sent, ok)) in o.counts {
            let e = all.counts.entry(op).or_default();
            e.0 += sent;
            e.1 += ok;
        }
        all.failures.extend(o.failures);
    }
    all
}
