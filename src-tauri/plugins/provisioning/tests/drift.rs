//! `app_restrictions.xml` (Android) and `appconfig/specfile.xml` (iOS AppConfig) must declare
//! exactly `wardcam_core::policy::MANAGED_KEYS` (endpoint bundles: `ENDPOINT_KEYS`) with matching
//! kinds, choices and descriptions, so the device manager's console and the policy cannot drift.
//! The `*_is_caught` tests run the same checks on broken copies and require them to fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::{events::Event, Reader, XmlVersion};
use wardcam_core::policy::{Kind, ManagedKey, ENDPOINT_KEYS, MANAGED_KEYS};

const RESTRICTIONS: &str = include_str!("../android/src/main/res/xml/app_restrictions.xml");
const STRINGS: &str = include_str!("../android/src/main/res/values/strings.xml");
const MANIFEST: &str = include_str!("../android/src/main/AndroidManifest.xml");
const SPECFILE: &str = include_str!("../appconfig/specfile.xml");
const TAURI_CONF: &str = include_str!("../../../tauri.conf.json");

// ---------------------------------------------------------------------------------------------
// A small element tree over quick-xml.

#[derive(Debug, Default, Clone)]
struct El {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn kid(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<El, String> {
    let mut el = El {
        name: e.name().as_ref().to_owned(),
        ..El::default()
    };
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        el.attrs
            .insert(a.key.as_ref().to_owned(), value.into_owned());
    }
    Ok(el)
}

fn parse(xml: &str) -> Result<El, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<El> = vec![El::default()];
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => stack.push(element(&e)?),
            Event::Empty(e) => {
                let el = element(&e)?;
                stack.last_mut().ok_or("no parent")?.children.push(el);
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced end tag")?;
                stack
                    .last_mut()
                    .ok_or("unbalanced end tag")?
                    .children
                    .push(done);
            }
            Event::Text(t) => stack.last_mut().ok_or("text outside")?.text += &t.xml10_content(),
            Event::CData(t) => stack.last_mut().ok_or("cdata outside")?.text += &t.xml10_content(),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?
                        .to_owned(),
                };
                stack.last_mut().ok_or("ref outside")?.text += &resolved;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack.pop().ok_or("empty")?;
    if !stack.is_empty() {
        return Err("unclosed element".into());
    }
    let root = document.children.pop().ok_or("no root element")?;
    Ok(root)
}

fn words(kind: Kind) -> Vec<String> {
    match kind {
        Kind::Choice(w) => w.iter().map(|s| (*s).to_owned()).collect(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Android.

/// `strings.xml`: plain strings (Android escapes undone) and string arrays.
struct Resources {
    strings: BTreeMap<String, String>,
    arrays: BTreeMap<String, Vec<String>>,
}

fn android_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.trim().chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn resources(strings_xml: &str) -> Result<Resources, String> {
    let root = parse(strings_xml)?;
    if root.name != "resources" {
        return Err(format!(
            "strings.xml: root is <{}>, not <resources>",
            root.name
        ));
    }
    let mut r = Resources {
        strings: BTreeMap::new(),
        arrays: BTreeMap::new(),
    };
    for s in root.kids("string") {
        let name = s.attr("name").ok_or("strings.xml: <string> without name")?;
        if r.strings
            .insert(name.to_owned(), android_unescape(&s.text))
            .is_some()
        {
            return Err(format!("strings.xml: string {name} twice"));
        }
    }
    for a in root.kids("string-array") {
        let name = a
            .attr("name")
            .ok_or("strings.xml: <string-array> without name")?;
        let items = a.kids("item").map(|i| android_unescape(&i.text)).collect();
        if r.arrays.insert(name.to_owned(), items).is_some() {
            return Err(format!("strings.xml: string-array {name} twice"));
        }
    }
    Ok(r)
}

fn android_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "integer",
        Kind::Bool => "bool",
        Kind::Text => "string",
        Kind::Choice(_) => "choice",
        Kind::Bundle(_) => "bundle",
    }
}

fn check_android_level(
    prefix: &str,
    declared: &[&El],
    keys: &[ManagedKey],
    res: &Resources,
    problems: &mut Vec<String>,
) {
    let mut seen = BTreeSet::new();
    for r in declared {
        let Some(key) = r.attr("android:key") else {
            problems.push(format!(
                "android: a restriction under '{prefix}' has no android:key"
            ));
            continue;
        };
        let path = format!("{prefix}{key}");
        if !seen.insert(key.to_owned()) {
            problems.push(format!("android: {path} declared twice"));
        }
        let Some(expected) = keys.iter().find(|k| k.name == key) else {
            problems.push(format!("android: {path} is not in MANAGED_KEYS"));
            continue;
        };
        let want = android_kind(expected.kind);
        let got = r.attr("android:restrictionType").unwrap_or("(none)");
        if got != want {
            problems.push(format!(
                "android: {path} is {got}, MANAGED_KEYS says {want}"
            ));
        }
        match r
            .attr("android:description")
            .and_then(|d| d.strip_prefix("@string/"))
        {
            None => problems.push(format!("android: {path} has no @string description")),
            Some(id) => match res.strings.get(id) {
                Some(text) if text == expected.description => {}
                Some(text) => problems.push(format!(
                    "android: {path} description {text:?} differs from MANAGED_KEYS {:?}",
                    expected.description
                )),
                None => {} // reported by check_references
            },
        }
        if r.attr("android:title")
            .is_none_or(|t| !t.starts_with("@string/"))
        {
            problems.push(format!("android: {path} has no @string title"));
        }
        match expected.kind {
            Kind::Choice(_) => {
                let array = |attr: &str| {
                    r.attr(attr)
                        .and_then(|a| a.strip_prefix("@array/"))
                        .and_then(|id| res.arrays.get(id))
                };
                let want = words(expected.kind);
                match array("android:entryValues") {
                    Some(values) if *values == want => {}
                    Some(values) => problems.push(format!(
                        "android: {path} entryValues {values:?}, MANAGED_KEYS says {want:?}"
                    )),
                    None => problems.push(format!("android: {path} has no entryValues array")),
                }
                match array("android:entries") {
                    Some(labels) if labels.len() == want.len() => {}
                    Some(labels) => problems.push(format!(
                        "android: {path} has {} entries for {} values",
                        labels.len(),
                        want.len()
                    )),
                    None => problems.push(format!("android: {path} has no entries array")),
                }
            }
            Kind::Bundle(inner) => {
                let nested: Vec<&El> = r.kids("restriction").collect();
                check_android_level(&format!("{path}."), &nested, inner, res, problems);
            }
            _ => {
                if r.kids("restriction").next().is_some() {
                    problems.push(format!(
                        "android: {path} is not a bundle but nests restrictions"
                    ));
                }
            }
        }
    }
    for k in keys {
        if !seen.contains(k.name) {
            problems.push(format!("android: {prefix}{} is missing", k.name));
        }
    }
}

/// Every `@string/` and `@array/` reference in `el` resolves in strings.xml.
fn check_references(el: &El, res: &Resources, problems: &mut Vec<String>) {
    for (attr, value) in &el.attrs {
        if let Some(id) = value.strip_prefix("@string/") {
            if !res.strings.contains_key(id) {
                problems.push(format!("android: {attr}={value} is not in strings.xml"));
            }
        } else if let Some(id) = value.strip_prefix("@array/") {
            if !res.arrays.contains_key(id) {
                problems.push(format!("android: {attr}={value} is not in strings.xml"));
            }
        }
    }
    for c in &el.children {
        check_references(c, res, problems);
    }
}

/// Every problem with the Android declaration of `keys`; empty when it matches.
fn check_android(restrictions_xml: &str, strings_xml: &str, keys: &[ManagedKey]) -> Vec<String> {
    let mut problems = Vec::new();
    let (root, res) = match (parse(restrictions_xml), resources(strings_xml)) {
        (Ok(root), Ok(res)) => (root, res),
        (Err(e), _) | (_, Err(e)) => return vec![format!("android: unreadable XML: {e}")],
    };
    if root.name != "restrictions" {
        problems.push(format!(
            "android: root is <{}>, not <restrictions>",
            root.name
        ));
    }
    let top: Vec<&El> = root.kids("restriction").collect();
    check_android_level("", &top, keys, &res, &mut problems);
    check_references(&root, &res, &mut problems);
    problems
}

// ---------------------------------------------------------------------------------------------
// iOS AppConfig.

/// The AppConfig `dict` cannot nest: bundles appear as `bundle.key`.
fn flat_keys(keys: &[ManagedKey]) -> Vec<(String, ManagedKey)> {
    let mut out = Vec::new();
    for k in keys {
        match k.kind {
            Kind::Bundle(inner) => {
                for i in inner {
                    out.push((format!("{}.{}", k.name, i.name), *i));
                }
            }
            _ => out.push((k.name.to_owned(), *k)),
        }
    }
    out
}

fn appconfig_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "integer",
        Kind::Bool => "boolean",
        Kind::Text | Kind::Choice(_) => "string",
        Kind::Bundle(_) => "(bundle: flattened)",
    }
}

fn field_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Bool => "checkbox",
        Kind::Choice(_) => "select",
        _ => "input",
    }
}

fn languages(el: Option<&El>) -> Vec<String> {
    el.map(|e| {
        e.kids("language")
            .map(|l| l.text.trim().to_owned())
            .collect()
    })
    .unwrap_or_default()
}

/// Every problem with the AppConfig declaration of `keys`; empty when it matches.
fn check_appconfig(specfile: &str, bundle_id: &str, keys: &[ManagedKey]) -> Vec<String> {
    let mut problems = Vec::new();
    let root = match parse(specfile) {
        Ok(root) => root,
        Err(e) => return vec![format!("appconfig: unreadable XML: {e}")],
    };
    if root.name != "managedAppConfiguration" {
        problems.push(format!("appconfig: root is <{}>", root.name));
    }
    let order: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
    if order != ["version", "bundleId", "dict", "presentation"] {
        problems.push(format!(
            "appconfig: children are {order:?}, the format wants version, bundleId, dict, presentation"
        ));
    }
    if root
        .kid("version")
        .is_none_or(|v| v.text.trim().parse::<u32>().is_err())
    {
        problems.push("appconfig: <version> is not a whole number".into());
    }
    let got_id = root.kid("bundleId").map(|b| b.text.trim()).unwrap_or("");
    if got_id != bundle_id {
        problems.push(format!(
            "appconfig: bundleId {got_id:?}, the app is {bundle_id:?}"
        ));
    }
    let expected: BTreeMap<String, ManagedKey> = flat_keys(keys).into_iter().collect();

    let mut seen = BTreeSet::new();
    for d in root
        .kid("dict")
        .map(|d| d.children.iter())
        .into_iter()
        .flatten()
    {
        let Some(name) = d.attr("keyName") else {
            problems.push(format!("appconfig: <{}> without keyName", d.name));
            continue;
        };
        if !seen.insert(name.to_owned()) {
            problems.push(format!("appconfig: {name} declared twice"));
        }
        let Some(k) = expected.get(name) else {
            problems.push(format!(
                "appconfig: {name} (<{}>) is not in MANAGED_KEYS",
                d.name
            ));
            continue;
        };
        let want = appconfig_kind(k.kind);
        if d.name != want {
            problems.push(format!(
                "appconfig: {name} is <{}>, MANAGED_KEYS says <{want}>",
                d.name
            ));
        }
        let values: Vec<String> = d
            .kid("constraint")
            .and_then(|c| c.kid("values"))
            .map(|v| v.kids("value").map(|x| x.text.trim().to_owned()).collect())
            .unwrap_or_default();
        if values != words(k.kind) {
            problems.push(format!(
                "appconfig: {name} allows {values:?}, MANAGED_KEYS says {:?}",
                words(k.kind)
            ));
        }
    }
    for name in expected.keys() {
        if !seen.contains(name) {
            problems.push(format!("appconfig: {name} is missing"));
        }
    }

    // Presentation: one field per key, of the right control, with core's description.
    let Some(presentation) = root.kid("presentation") else {
        problems.push("appconfig: no <presentation>".into());
        return problems;
    };
    let fields: Vec<&El> = presentation
        .kids("field")
        .chain(
            presentation
                .kids("fieldGroup")
                .flat_map(|g| g.kids("field")),
        )
        .collect();
    let mut shown = BTreeSet::new();
    for f in fields {
        let name = f.attr("keyName").unwrap_or("");
        if !shown.insert(name.to_owned()) {
            problems.push(format!("appconfig: field {name} shown twice"));
        }
        let Some(k) = expected.get(name) else {
            problems.push(format!(
                "appconfig: field {name} has no key in MANAGED_KEYS"
            ));
            continue;
        };
        if !seen.contains(name) {
            problems.push(format!("appconfig: field {name} has no key in <dict>"));
        }
        let ty = f.attr("type").unwrap_or("");
        if ty != field_type(k.kind) {
            problems.push(format!(
                "appconfig: field {name} is {ty}, wants {}",
                field_type(k.kind)
            ));
        }
        if languages(f.kid("label")).iter().all(String::is_empty) {
            problems.push(format!("appconfig: field {name} has no label"));
        }
        if languages(f.kid("description")) != [k.description] {
            problems.push(format!(
                "appconfig: field {name} description differs from MANAGED_KEYS {:?}",
                k.description
            ));
        }
        let options: Vec<String> = f
            .kid("options")
            .map(|o| {
                o.kids("option")
                    .filter_map(|x| x.attr("value"))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if options != words(k.kind) {
            problems.push(format!("appconfig: field {name} offers {options:?}"));
        }
    }
    for name in expected.keys() {
        if !shown.contains(name) {
            problems.push(format!("appconfig: {name} has no presentation field"));
        }
    }
    problems
}

fn app_identifier() -> String {
    let conf: serde_json::Value = serde_json::from_str(TAURI_CONF).unwrap();
    conf["identifier"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------------
// The files as shipped.

#[test]
fn app_restrictions_match_managed_keys() {
    let problems = check_android(RESTRICTIONS, STRINGS, MANAGED_KEYS);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn specfile_matches_managed_keys() {
    let problems = check_appconfig(SPECFILE, &app_identifier(), MANAGED_KEYS);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn manifest_points_at_app_restrictions() {
    let root = parse(MANIFEST).unwrap();
    let meta: Vec<&El> = root
        .kids("application")
        .flat_map(|a| a.kids("meta-data"))
        .collect();
    assert!(
        meta.iter().any(
            |m| m.attr("android:name") == Some("android.content.APP_RESTRICTIONS")
                && m.attr("android:resource") == Some("@xml/app_restrictions")
        ),
        "{meta:?}"
    );
}

#[test]
fn every_endpoint_key_is_in_both_bundles() {
    // MANAGED_KEYS has two endpoint bundles; the flattened AppConfig list has both.
    let flat = flat_keys(MANAGED_KEYS);
    for bundle in ["record_endpoint", "pacs_endpoint"] {
        for k in ENDPOINT_KEYS {
            let name = format!("{bundle}.{}", k.name);
            assert!(flat.iter().any(|(n, _)| *n == name), "{name}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The checks fail on broken copies.

/// `xml` without the element `<{tag} …{marker}…/>` (self-closing), so a key can be removed.
fn without_empty_element(xml: &str, tag: &str, marker: &str) -> String {
    let at = xml.find(marker).expect("marker present");
    let start = xml[..at].rfind(&format!("<{tag}")).expect("element start");
    let end = at + xml[at..].find("/>").expect("element end") + 2;
    format!("{}{}", &xml[..start], &xml[end..])
}

fn assert_caught(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem mentioning {needle:?}, got {problems:#?}"
    );
}

#[test]
fn android_removed_key_is_caught() {
    let broken = without_empty_element(RESTRICTIONS, "restriction", r#"android:key="suspended""#);
    assert_ne!(broken, RESTRICTIONS);
    assert_caught(
        &check_android(&broken, STRINGS, MANAGED_KEYS),
        "android: suspended is missing",
    );
}

#[test]
fn android_removed_endpoint_key_is_caught() {
    // The first credential_password is in record_endpoint's bundle.
    let broken = without_empty_element(
        RESTRICTIONS,
        "restriction",
        r#"android:key="credential_password""#,
    );
    assert_caught(
        &check_android(&broken, STRINGS, MANAGED_KEYS),
        "record_endpoint.credential_password is missing",
    );
}

#[test]
fn android_wrong_kind_is_caught() {
    let broken = RESTRICTIONS.replacen(
        "android:key=\"idle_lock_seconds\"\n        android:restrictionType=\"integer\"",
        "android:key=\"idle_lock_seconds\"\n        android:restrictionType=\"string\"",
        1,
    );
    assert_ne!(broken, RESTRICTIONS);
    assert_caught(
        &check_android(&broken, STRINGS, MANAGED_KEYS),
        "idle_lock_seconds is string",
    );
}

#[test]
fn android_wrong_choice_is_caught() {
    let broken = STRINGS.replacen("<item>high</item>", "<item>highest</item>", 1);
    assert_ne!(broken, STRINGS);
    assert_caught(
        &check_android(RESTRICTIONS, &broken, MANAGED_KEYS),
        "passcode_minimum entryValues",
    );
}

#[test]
fn android_missing_string_resource_is_caught() {
    let broken: String = STRINGS
        .lines()
        .filter(|l| !l.contains("name=\"restriction_trust_name_title\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_caught(
        &check_android(RESTRICTIONS, &broken, MANAGED_KEYS),
        "@string/restriction_trust_name_title is not in strings.xml",
    );
}

#[test]
fn android_new_core_key_is_caught() {
    let mut keys = MANAGED_KEYS.to_vec();
    keys.push(ManagedKey {
        name: "new_setting",
        kind: Kind::Bool,
        required: false,
        description: "A setting core gained",
    });
    assert_caught(
        &check_android(RESTRICTIONS, STRINGS, &keys),
        "android: new_setting is missing",
    );
}

#[test]
fn appconfig_removed_key_is_caught() {
    let broken = without_empty_element(SPECFILE, "boolean", r#"keyName="suspended""#);
    assert_ne!(broken, SPECFILE);
    let problems = check_appconfig(&broken, &app_identifier(), MANAGED_KEYS);
    assert_caught(&problems, "appconfig: suspended is missing");
    assert_caught(&problems, "field suspended has no key in <dict>");
}

#[test]
fn appconfig_removed_endpoint_key_is_caught() {
    let broken = without_empty_element(SPECFILE, "string", r#"keyName="pacs_endpoint.base_url""#);
    assert_caught(
        &check_appconfig(&broken, &app_identifier(), MANAGED_KEYS),
        "appconfig: pacs_endpoint.base_url is missing",
    );
}

#[test]
fn appconfig_wrong_kind_and_choice_are_caught() {
    let broken = SPECFILE.replacen(
        r#"<integer keyName="idle_lock_seconds" />"#,
        r#"<string keyName="idle_lock_seconds" />"#,
        1,
    );
    assert_caught(
        &check_appconfig(&broken, &app_identifier(), MANAGED_KEYS),
        "idle_lock_seconds is <string>",
    );
    let broken = SPECFILE.replacen("<value>basic</value>", "<value>digest</value>", 1);
    assert_caught(
        &check_appconfig(&broken, &app_identifier(), MANAGED_KEYS),
        "record_endpoint.credential_scheme allows",
    );
}

#[test]
fn appconfig_nested_dict_is_caught() {
    // The format has no nested <dict>: a nested endpoint would not be understood by MDM consoles.
    let broken = SPECFILE.replacen(
        r#"<string keyName="record_endpoint.base_url" />"#,
        r#"<dict keyName="record_endpoint"><string keyName="base_url" /></dict>"#,
        1,
    );
    let problems = check_appconfig(&broken, &app_identifier(), MANAGED_KEYS);
    assert_caught(&problems, "record_endpoint (<dict>) is not in MANAGED_KEYS");
    assert_caught(&problems, "record_endpoint.base_url is missing");
}

#[test]
fn appconfig_new_core_key_and_wrong_bundle_id_are_caught() {
    let mut keys = MANAGED_KEYS.to_vec();
    keys.push(ManagedKey {
        name: "new_setting",
        kind: Kind::Integer,
        required: false,
        description: "A setting core gained",
    });
    let problems = check_appconfig(SPECFILE, "org.example.other", &keys);
    assert_caught(&problems, "appconfig: new_setting is missing");
    assert_caught(&problems, "bundleId");
}
