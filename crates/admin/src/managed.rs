//! The policy as MDM carries it, rendered from `Policy::to_managed()` (the values
//! `Policy::from_managed` reads back on the phone).
//!
//! - **Android, JSON**: the Android Management API `ApplicationPolicy.managedConfiguration`
//!   object: key to value, each endpoint bundle a nested object.
//! - **Android, XML**: the application-restrictions bundle XML Android itself keeps
//!   (`UserManagerService`) and Test DPC and `adb`-side tooling read and write:
//!   `<restrictions>` holding one `<entry key="…" type="…">value</entry>` per key, with `type`
//!   `s` (string), `i` (integer), `b` (boolean, `true`/`false`) or `B` (bundle, whose entries are
//!   nested directly inside its `<entry>`).
//! - **iOS**: the AppConfig managed app configuration (`com.apple.configuration.managed`) as an
//!   XML property list: a `<dict>` of key to value, integers as `<integer>`, booleans as
//!   `<true/>`/`<false/>`, text as `<string>`, each endpoint bundle a nested `<dict>`.

use serde_json::{Map, Value};

use crate::Failure;

/// Android's restriction integers are Java `int`s.
const ANDROID_INT_MAX: u64 = i32::MAX as u64;

/// Refuses a value Android cannot carry: an integer over 2^31-1.
pub fn check_android(values: &Map<String, Value>, prefix: &str) -> Result<(), Failure> {
    for (key, value) in values {
        let field = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Number(n) if n.as_u64().is_none_or(|n| n > ANDROID_INT_MAX) => {
                return Err(Failure::refused(format!(
                    "{field}: Android managed configuration integers are 32-bit: at most {ANDROID_INT_MAX}"
                )));
            }
            Value::Object(inner) => check_android(inner, &field)?,
            _ => {}
        }
    }
    Ok(())
}

/// The Android Management API `managedConfiguration` JSON.
pub fn android_json(values: &Value) -> Result<Vec<u8>, Failure> {
    let mut out = serde_json::to_vec_pretty(values)
        .map_err(|e| Failure::refused(format!("cannot write JSON: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// The `<restrictions>` bundle XML.
pub fn android_xml(values: &Map<String, Value>) -> Result<Vec<u8>, Failure> {
    let mut out = String::from("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n");
    out.push_str("<restrictions>\n");
    entries(values, 1, "", &mut out)?;
    out.push_str("</restrictions>\n");
    Ok(out.into_bytes())
}

fn entries(
    values: &Map<String, Value>,
    depth: usize,
    prefix: &str,
    out: &mut String,
) -> Result<(), Failure> {
    let indent = "    ".repeat(depth);
    for (key, value) in values {
        let field = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let key_xml = escape(key, &field)?;
        match value {
            Value::Null => {}
            Value::Bool(b) => out.push_str(&format!(
                "{indent}<entry key=\"{key_xml}\" type=\"b\">{b}</entry>\n"
            )),
            Value::Number(n) => out.push_str(&format!(
                "{indent}<entry key=\"{key_xml}\" type=\"i\">{n}</entry>\n"
            )),
            Value::String(s) => out.push_str(&format!(
                "{indent}<entry key=\"{key_xml}\" type=\"s\">{}</entry>\n",
                escape(s, &field)?
            )),
            Value::Object(inner) => {
                out.push_str(&format!("{indent}<entry key=\"{key_xml}\" type=\"B\">\n"));
                entries(inner, depth + 1, &field, out)?;
                out.push_str(&format!("{indent}</entry>\n"));
            }
            Value::Array(_) => {
                return Err(Failure::refused(format!(
                    "{field}: a list has no place in WardCam's managed configuration"
                )))
            }
        }
    }
    Ok(())
}

/// XML text or attribute content. A carriage return is kept as `&#13;` (a parser would turn a
/// literal one into a line feed); other control characters cannot be written in XML 1.0.
fn escape(text: &str, field: &str) -> Result<String, Failure> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                return Err(Failure::refused(format!(
                    "{field}: holds a control character, which XML cannot carry"
                )))
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The iOS AppConfig managed app configuration, as an XML property list.
pub fn ios_plist(values: &Map<String, Value>) -> Result<Vec<u8>, Failure> {
    let dict = plist::Value::Dictionary(dictionary(values, "")?);
    let mut out = Vec::new();
    dict.to_writer_xml(&mut out)
        .map_err(|e| Failure::refused(format!("cannot write the plist: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

fn dictionary(values: &Map<String, Value>, prefix: &str) -> Result<plist::Dictionary, Failure> {
    let mut dict = plist::Dictionary::new();
    for (key, value) in values {
        let field = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let item = match value {
            Value::Null => continue,
            Value::Bool(b) => plist::Value::Boolean(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => plist::Value::Integer(u.into()),
                (None, Some(i)) => plist::Value::Integer(i.into()),
                _ => return Err(Failure::refused(format!("{field}: must be a whole number"))),
            },
            Value::String(s) => {
                escape(s, &field)?;
                plist::Value::String(s.clone())
            }
            Value::Object(inner) => plist::Value::Dictionary(dictionary(inner, &field)?),
            Value::Array(_) => {
                return Err(Failure::refused(format!(
                    "{field}: a list has no place in WardCam's managed configuration"
                )))
            }
        };
        dict.insert(key.clone(), item);
    }
    Ok(dict)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn android_xml_nests_bundles_and_escapes_text() {
        let values = json!({
            "a": 3, "b": true, "c": "x < y & \"z\"\r\n",
            "e": {"base_url": "https://h/", "n": 1}
        });
        let xml = String::from_utf8(android_xml(values.as_object().unwrap()).unwrap()).unwrap();
        assert!(xml.contains("<entry key=\"a\" type=\"i\">3</entry>"));
        assert!(xml.contains("<entry key=\"b\" type=\"b\">true</entry>"));
        assert!(xml.contains("type=\"s\">x &lt; y &amp; &quot;z&quot;&#13;\n</entry>"));
        assert!(xml.contains(
            "<entry key=\"e\" type=\"B\">\n        <entry key=\"base_url\" type=\"s\">https://h/</entry>"
        ));
    }

    #[test]
    fn android_refuses_integers_java_cannot_hold() {
        let values = json!({"policy_version": 3_000_000_000u64});
        assert!(check_android(values.as_object().unwrap(), "").is_err());
        let values = json!({"e": {"n": 2_147_483_647u64}});
        assert!(check_android(values.as_object().unwrap(), "").is_ok());
    }

    #[test]
    fn the_plist_has_integers_booleans_and_nested_dicts() {
        let values = json!({"a": 3, "b": false, "e": {"s": "t"}});
        let xml = String::from_utf8(ios_plist(values.as_object().unwrap()).unwrap()).unwrap();
        assert!(
            xml.contains("<key>a</key>\n\t<integer>3</integer>"),
            "{xml}"
        );
        assert!(xml.contains("<key>b</key>\n\t<false/>"), "{xml}");
        assert!(
            xml.contains("<key>e</key>\n\t<dict>\n\t\t<key>s</key>\n\t\t<string>t</string>"),
            "{xml}"
        );
    }
}
