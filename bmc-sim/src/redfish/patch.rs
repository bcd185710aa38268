//! PATCH: If-Match, writable-property checks, apply, visible afterwards.

use http::StatusCode;
use http::header::{ETAG, IF_MATCH};
use serde_json::{Map, Value, json};

use super::base_messages::BaseMessage;
use super::error::{ApiError, message_entry};
use super::get::etag_of;
use super::hooks;
use super::reply::Reply;
use super::router::{HResult, Req};
use crate::Profile;
use crate::bmc::{Bmc, BmcState};
use crate::store::Entry;
use crate::tree::accounts::ACCOUNTS;

/// Parses a request body as a JSON object.
pub(crate) fn json_object(req: &Req) -> Result<Map<String, Value>, Vec<ApiError>> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(vec![ApiError::MalformedJson]),
    }
}

/// Checks `If-Match` against the current ETag (`*` matches anything).
pub(crate) fn check_if_match(req: &Req, entry: &Entry) -> Result<(), Vec<ApiError>> {
    let Some(want) = req.headers.get(IF_MATCH) else {
        return Ok(());
    };
    let want = want.to_str().unwrap_or_default().trim();
    let have = etag_of(&entry.body);
    let strong = have.trim_start_matches("W/");
    let ok = want == "*"
        || want
            .split(',')
            .map(str::trim)
            .any(|w| w == have || w.trim_start_matches("W/") == strong);
    if ok {
        Ok(())
    } else {
        Err(vec![ApiError::PreconditionFailed])
    }
}

pub(crate) fn patch(_bmc: &Bmc, st: &mut BmcState, req: &Req, entry: &Entry) -> HResult {
    check_if_match(req, entry)?;
    let changes = json_object(req)?;
    if req.path.ends_with("/Bios/Settings") {
        hooks::check_bios(st, &req.path, &changes)?;
    }
    let mut body = entry.body.clone();
    apply_patch(&mut body, &changes, entry.caps.patch)?;
    if req.path.starts_with(ACCOUNTS) {
        hooks::account_patched(st, &entry.body, &mut body)?;
    }
    st.store.replace_body(&req.path, body.clone());
    Ok(patch_reply(st.store.layout().profile, &body))
}

/// Applies `changes` to `body`; every bad property is reported.
pub(crate) fn apply_patch(
    body: &mut Value,
    changes: &Map<String, Value>,
    writable: &[&str],
) -> Result<(), Vec<ApiError>> {
    if changes.is_empty() {
        return Err(vec![ApiError::NoOperation]);
    }
    let mut errors = Vec::new();
    if let Value::Object(obj) = body {
        apply_level(obj, changes, "", writable, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn is_writable(ptr: &str, writable: &[&str]) -> bool {
    writable.iter().any(|w| {
        *w == ptr
            || (w.ends_with("/*")
                && ptr.starts_with(w.trim_end_matches('*'))
                && !ptr[w.len() - 1..].contains('/'))
    })
}

fn has_writable_child(ptr: &str, writable: &[&str]) -> bool {
    let prefix = format!("{ptr}/");
    writable.iter().any(|w| w.starts_with(&prefix))
}

fn apply_level(
    obj: &mut Map<String, Value>,
    changes: &Map<String, Value>,
    prefix: &str,
    writable: &[&str],
    errors: &mut Vec<ApiError>,
) {
    for (key, new) in changes {
        if key.contains('@') {
            continue;
        }
        let ptr = format!("{prefix}/{key}");
        let allowable = obj
            .get(&format!("{key}@Redfish.AllowableValues"))
            .and_then(Value::as_array)
            .cloned();
        let Some(current) = obj.get_mut(key) else {
            if is_writable(&ptr, writable) {
                obj.insert(key.clone(), new.clone());
            } else {
                errors.push(ApiError::PropertyUnknown(ptr));
            }
            continue;
        };
        if is_writable(&ptr, writable) {
            if !same_type(current, new) {
                errors.push(ApiError::PropertyValueType {
                    value: new.to_string(),
                    prop: ptr,
                });
            } else if allowable.as_ref().is_some_and(|a| !a.contains(new)) {
                errors.push(ApiError::PropertyValueNotInList {
                    value: new.as_str().map_or_else(|| new.to_string(), str::to_string),
                    prop: ptr,
                });
            } else if let (Value::Array(cur), Value::Array(items)) = (&mut *current, new) {
                patch_array(cur, items);
            } else {
                *current = new.clone();
            }
            continue;
        }
        match (current, new) {
            (Value::Object(cur), Value::Object(sub)) if has_writable_child(&ptr, writable) => {
                apply_level(cur, sub, &ptr, writable, errors);
            }
            _ => errors.push(ApiError::PropertyNotWritable(ptr)),
        }
    }
}

/// DSP0266 array PATCH: `{}` leaves an element unchanged, `null` removes it, any other value
/// replaces it; elements past the end of the request are removed (the array is truncated).
fn patch_array(current: &mut Vec<Value>, items: &[Value]) {
    let mut next = Vec::with_capacity(current.len().max(items.len()));
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Null => {}
            Value::Object(o) if o.is_empty() => {
                if let Some(old) = current.get(i) {
                    next.push(old.clone());
                }
            }
            other => next.push(other.clone()),
        }
    }
    *current = next;
}

fn same_type(current: &Value, new: &Value) -> bool {
    matches!(
        (current, new),
        (Value::Null, _)
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::String(_), Value::String(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Object(_), Value::Object(_))
    )
}

/// What a successful PATCH answers, which differs by vendor.
pub(crate) fn patch_reply(profile: Profile, body: &Value) -> Reply {
    match profile {
        Profile::Dmtf => Reply::json(StatusCode::OK, body).with_header(ETAG, &etag_of(body)),
        Profile::OpenBmc => Reply::empty(StatusCode::NO_CONTENT),
        Profile::Idrac | Profile::Ilo | Profile::Supermicro => Reply::json(
            StatusCode::OK,
            &json!({ "@Message.ExtendedInfo": [message_entry(BaseMessage::Success, &[])] }),
        ),
    }
}

#[cfg(test)]
mod array_tests {
    use super::patch_array;
    use serde_json::json;

    #[test]
    fn array_patch_follows_dsp0266() {
        let mut a = vec![json!("a"), json!("b"), json!("c")];
        patch_array(&mut a, &[json!({}), json!("x"), json!(null)]);
        assert_eq!(a, vec![json!("a"), json!("x")]);
        let mut b = vec![json!("a"), json!("b")];
        patch_array(&mut b, &[json!("z")]);
        assert_eq!(b, vec![json!("z")]);
    }
}
