//! What an aggregate path addresses: the aggregate's own resources, a merged collection, a member
//! owned by one BMC, or the per-BMC passthrough namespace.
//!
//! The passthrough namespace `/redfish/v1/Oem/RedDrum/Bmcs/<bmc>/<rest>` is where links to a BMC's
//! service singletons and other non-aggregated resources (AccountService, SessionService,
//! EventService, UpdateService, Registries, JsonSchemas, its ServiceRoot...) are localized to, so
//! they never silently resolve to the aggregate's own resources of the same name.

use crate::collections::collection_of;
use crate::ids::{BmcId, split_member};

/// The Redfish v1 root; every path this crate maps starts with it.
pub const REDFISH_V1: &str = "/redfish/v1";

/// The reserved per-BMC namespace, below [`REDFISH_V1`], followed by `<bmc>`.
pub const PASSTHROUGH_BASE: &str = "/redfish/v1/Oem/RedDrum/Bmcs/";

/// What an aggregate path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/redfish/v1` or `/redfish/v1/`.
    ServiceRoot,
    /// A merged top-level collection, e.g. `/redfish/v1/Systems` (with or without trailing slash).
    Collection { collection: &'static str },
    /// `/redfish/v1/<collection>/<bmc>-<member_id><rest>`; `rest` is empty or starts with `/`
    /// (a trailing slash is kept).
    Member {
        collection: &'static str,
        bmc: String,
        member_id: String,
        rest: String,
    },
    /// `/redfish/v1/Oem/RedDrum/Bmcs/<bmc><rest>`, forwarded to the BMC as `/redfish/v1<rest>`;
    /// `rest` is empty or starts with `/`.
    Passthrough { bmc: String, rest: String },
    /// Anything else: the aggregate's own resources (including its own members of aggregated
    /// collections, e.g. `/redfish/v1/Chassis/Rack1`, whose id has no BMC prefix).
    Local { path: String },
}

/// Classifies an aggregate path (no query string; a trailing slash is allowed). Never panics.
pub fn classify(path: &str) -> Target {
    match shape(path) {
        Shape::Outside => Target::Local {
            path: path.to_owned(),
        },
        Shape::ServiceRoot { .. } => Target::ServiceRoot,
        Shape::Collection(collection) => Target::Collection { collection },
        Shape::InCollection {
            collection,
            segment,
            rest,
            ..
        } => match split_member(segment) {
            Some((bmc, member_id)) => Target::Member {
                collection,
                bmc: bmc.to_owned(),
                member_id: member_id.to_owned(),
                rest: rest.to_owned(),
            },
            None => Target::Local {
                path: path.to_owned(),
            },
        },
        Shape::Other { after_v1 } => match passthrough(after_v1) {
            Some((bmc, rest)) => Target::Passthrough {
                bmc: bmc.to_owned(),
                rest: rest.to_owned(),
            },
            None => Target::Local {
                path: path.to_owned(),
            },
        },
    }
}

/// For a [`Target::Member`] or [`Target::Passthrough`]: the BMC id and the path to send to that
/// BMC (prefix stripped, everything else, trailing slash included, exactly as the client sent).
pub fn bmc_path(target: &Target) -> Option<(&str, String)> {
    match target {
        Target::Member {
            collection,
            bmc,
            member_id,
            rest,
        } => Some((
            bmc,
            [REDFISH_V1, "/", collection, "/", member_id, rest].concat(),
        )),
        Target::Passthrough { bmc, rest } => Some((bmc, [REDFISH_V1, rest].concat())),
        Target::ServiceRoot | Target::Collection { .. } | Target::Local { .. } => None,
    }
}

/// The borrowed, allocation-free split of a path that both [`classify`] and the localizer use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape<'a> {
    /// Not `/redfish/v1` nor below it (`/redfish`, `/redfish/v1x`, `/images/a.iso`, `//x`).
    Outside,
    /// `after_v1` is `""` or `"/"`.
    ServiceRoot { after_v1: &'a str },
    /// A table collection itself, with or without trailing slash.
    Collection(&'static str),
    /// A non-empty `segment` right after a table collection; it starts at byte `seg_start` of the
    /// path; `rest` (empty or starting with `/`) follows it.
    InCollection {
        collection: &'static str,
        seg_start: usize,
        segment: &'a str,
        rest: &'a str,
    },
    /// Anything else below `/redfish/v1`; `after_v1` starts with `/`.
    Other { after_v1: &'a str },
}

pub(crate) fn shape(path: &str) -> Shape<'_> {
    let Some(after_v1) = path.strip_prefix(REDFISH_V1) else {
        return Shape::Outside;
    };
    if after_v1.is_empty() || after_v1 == "/" {
        return Shape::ServiceRoot { after_v1 };
    }
    // "/redfish/v1x" is not below /redfish/v1.
    let Some(tail) = after_v1.strip_prefix('/') else {
        return Shape::Outside;
    };
    match collection_of(tail) {
        None => Shape::Other { after_v1 },
        Some((collection, "")) => Shape::Collection(collection),
        Some((collection, rest)) => {
            let seg_end = rest.find('/').unwrap_or(rest.len());
            let (segment, after) = rest.split_at(seg_end);
            if segment.is_empty() {
                // "/redfish/v1/Systems//x": no member id to prefix.
                Shape::Other { after_v1 }
            } else {
                Shape::InCollection {
                    collection,
                    seg_start: path.len() - rest.len(),
                    segment,
                    rest: after,
                }
            }
        }
    }
}

/// `after_v1` = `/Oem/RedDrum/Bmcs/<bmc><rest>` with a valid bmc id -> `(bmc, rest)`.
pub(crate) fn passthrough(after_v1: &str) -> Option<(&str, &str)> {
    let tail = after_v1.strip_prefix(&PASSTHROUGH_BASE[REDFISH_V1.len()..])?;
    let (bmc, rest) = tail.split_at(tail.find('/').unwrap_or(tail.len()));
    BmcId::is_valid(bmc).then_some((bmc, rest))
}

/// `$metadata` and the OData service document describe the schema, not a BMC's resources: they
/// keep their path in both directions.
pub(crate) fn is_odata_document(after_v1: &str) -> bool {
    let tail = after_v1.strip_prefix('/').unwrap_or(after_v1);
    let first = tail.split('/').next().unwrap_or("");
    first == "$metadata" || first == "odata"
}
