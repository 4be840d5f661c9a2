//! Platform-independent handling of the native answer, so it is unit-tested on desktop.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// What Kotlin's and Swift's `managedConfig` resolve with: `{ "config": {…} | null }`.
#[derive(Debug, Deserialize)]
#[cfg_attr(not(mobile), allow(dead_code))]
pub(crate) struct ManagedConfigResponse {
    pub(crate) config: Option<Value>,
}

/// Turns the native answer into what [`crate::managed_config`] returns: `None` when the device
/// manager set nothing (no dictionary, or an empty one), otherwise the object with
/// [`nest_dotted_keys`] applied. Anything but an object or null is refused.
#[cfg_attr(not(mobile), allow(dead_code))]
pub(crate) fn from_response(response: ManagedConfigResponse) -> Result<Option<Value>> {
    match response.config {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) if m.is_empty() => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(nest_dotted_keys(v))),
        Some(_) => Err(Error::BadResponse {
            what: "the configuration is not a set of keys",
        }),
    }
}

/// Folds top-level keys of the form `bundle.key` into a nested object `bundle: { key }`.
///
/// The AppConfig specfile format has no nested dictionaries (its `<dict>` holds only `string`,
/// `integer`, `boolean`, `float`, `date` and arrays), so `appconfig/specfile.xml` declares the
/// endpoint keys as `record_endpoint.base_url` and so on, and an MDM console that builds its form
/// from the specfile sends them flat. Android bundles and hand-written iOS plists arrive nested
/// already and pass unchanged.
///
/// Only the first `.` splits. A dotted key is left where it is (so `wardcam-core` reports it by
/// name) when its first part is empty or holds something other than an object, or when the nested
/// object already has that key: nothing is overwritten and nothing is dropped. Values are not
/// looked at.
pub fn nest_dotted_keys(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    let (dotted, plain): (Vec<_>, Vec<_>) = map.into_iter().partition(|(k, _)| k.contains('.'));
    let mut out: Map<String, Value> = plain.into_iter().collect();
    for (key, v) in dotted {
        let Some((head, tail)) = key.split_once('.') else {
            out.insert(key, v);
            continue;
        };
        if head.is_empty() || tail.is_empty() {
            out.insert(key, v);
            continue;
        }
        let slot = out
            .entry(head.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        match slot {
            Value::Object(inner) if !inner.contains_key(tail) => {
                inner.insert(tail.to_owned(), v);
            }
            _ => {
                out.insert(key, v);
            }
        }
    }
    Value::Object(out)
}
