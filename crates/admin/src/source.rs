//! Reading a policy TOML file so that every error names its field and its line.
//!
//! The file is parsed once into `toml::de::DeTable`, which keeps the span of every key and value.
//! From it an index of dotted paths (`record.spki_pins_sha256`) to spans is built; the same table
//! is then deserialized into [`Policy`]. A problem found later by `Policy::check` names a field
//! path, which the index turns into the line of that key (or of its table's header, or line 1).
//!
//! No message quotes a value from the file: values may be credentials.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use wardcam_core::policy::{Policy, Problem};

/// One diagnostic about the policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, when the parser gave a position.
    pub column: Option<usize>,
    /// The dotted field, when one is known.
    pub field: Option<String>,
    /// What is wrong (never a value).
    pub message: String,
}

impl Diagnostic {
    /// `FILE:LINE[:COL]: [field: ]message`
    pub fn render(&self, file: &str) -> String {
        let mut out = format!("{file}:{}", self.line);
        if let Some(c) = self.column {
            out.push_str(&format!(":{c}"));
        }
        out.push_str(": ");
        if let Some(f) = &self.field {
            out.push_str(f);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

/// Every key of the file: its dotted path, the key's span and the value's span.
struct Entry {
    path: String,
    key: Range<usize>,
    value: Range<usize>,
}

/// A policy file's text and the spans of its keys.
pub struct PolicySource<'a> {
    text: &'a str,
    entries: Vec<Entry>,
}

impl std::fmt::Debug for PolicySource<'_> {
    // The text may hold credentials: only its size is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySource")
            .field("bytes", &self.text.len())
            .field("keys", &self.entries.len())
            .finish()
    }
}

/// Why a policy file was refused.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// Syntax, type or rule problems, each with its line.
    Problems(Vec<Diagnostic>),
}

/// The largest policy file read (a policy's JSON may be 256 KiB; TOML is about the same size).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

impl PolicySource<'_> {
    /// Reads `path` and returns the checked policy, or every problem with its line.
    pub fn load(path: &Path) -> Result<Policy, LoadError> {
        let size = std::fs::metadata(path).map_err(LoadError::Io)?.len();
        if size > MAX_FILE_BYTES {
            return Err(LoadError::Problems(vec![Diagnostic {
                line: 1,
                column: None,
                field: None,
                message: format!("the file is over {} KiB", MAX_FILE_BYTES / 1024),
            }]));
        }
        let text = std::fs::read_to_string(path).map_err(LoadError::Io)?;
        if path.extension().is_some_and(|e| e == "json") {
            return Self::parse_json(&text).map_err(LoadError::Problems);
        }
        Self::parse(text).map_err(LoadError::Problems)
    }

    /// Reads the canonical JSON form (what a phone keeps, and what scripts write): core's own
    /// reader, its problems by field (JSON has no table to point a line at).
    fn parse_json(text: &str) -> Result<Policy, Vec<Diagnostic>> {
        Policy::from_json(text.as_bytes()).map_err(|e| {
            let problems = e.problems();
            if problems.is_empty() {
                return vec![Diagnostic {
                    line: 1,
                    column: None,
                    field: None,
                    message: e.to_string(),
                }];
            }
            problems
                .iter()
                .map(|p| Diagnostic {
                    line: 1,
                    column: None,
                    field: Some(p.field.clone()),
                    message: p.message.clone(),
                })
                .collect()
        })
    }

    /// Parses and checks policy text.
    pub fn parse(text: String) -> Result<Policy, Vec<Diagnostic>> {
        let root = match DeTable::parse(&text) {
            Ok(root) => root,
            Err(e) => {
                let (line, column) = line_col(&text, e.span().map_or(0, |s| s.start));
                return Err(vec![Diagnostic {
                    line,
                    column: Some(column),
                    field: None,
                    message: format!("TOML syntax error: {}", e.message().trim()),
                }]);
            }
        };
        let mut entries = Vec::new();
        walk("", root.get_ref(), &mut entries);
        let source = PolicySource {
            text: &text,
            entries,
        };
        let policy = match Policy::deserialize(toml::de::Deserializer::from(root)) {
            Ok(p) => p,
            Err(e) => return Err(vec![source.serde_diagnostic(&e)]),
        };
        let problems = policy.problems();
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(problems.iter().map(|p| source.problem(p)).collect())
        }
    }

    /// A rule problem, placed at its field's key.
    fn problem(&self, p: &Problem) -> Diagnostic {
        Diagnostic {
            line: self.line_of(&p.field),
            column: None,
            field: Some(p.field.clone()),
            message: p.message.clone(),
        }
    }

    /// The line of `field`'s key; else of the nearest enclosing table that is in the file; else 1.
    pub fn line_of(&self, field: &str) -> usize {
        let mut path = field;
        loop {
            if let Some(e) = self.entries.iter().find(|e| e.path == path) {
                return line_col(self.text, e.key.start).0;
            }
            match path.rsplit_once('.') {
                Some((parent, _)) => path = parent,
                None => return 1,
            }
        }
    }

    /// The deepest key whose key or value holds all of `span`. None for the whole document,
    /// whose span `toml` gives as empty.
    fn field_at(&self, span: &Range<usize>) -> Option<&str> {
        if span.is_empty() {
            return None;
        }
        let holds = |r: &Range<usize>| r.start <= span.start && span.end <= r.end;
        self.entries
            .iter()
            .filter(|e| holds(&e.key) || holds(&e.value))
            .max_by_key(|e| e.path.matches('.').count())
            .map(|e| e.path.as_str())
    }

    fn serde_diagnostic(&self, e: &toml::de::Error) -> Diagnostic {
        let message = e.message().trim();
        let (line, column, mut field) = match e.span() {
            Some(span) => {
                let (line, column) = line_col(self.text, span.start);
                (line, Some(column), self.field_at(&span).map(str::to_owned))
            }
            None => (1, None, None),
        };
        // `missing field `x``: the span is the table's; name the field inside it.
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            field = Some(match field {
                Some(table) => format!("{table}.{name}"),
                None => name.to_owned(),
            });
        }
        Diagnostic {
            line,
            column,
            field,
            message: without_values(message),
        }
    }
}

fn walk(prefix: &str, table: &DeTable<'_>, out: &mut Vec<Entry>) {
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        out.push(Entry {
            path: path.clone(),
            key: key.span(),
            value: value.span(),
        });
        if let DeValue::Table(inner) = value.get_ref() {
            walk(&path, inner, out);
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// serde's message without the value it quotes: `invalid type: string "…", expected u32`
/// becomes `invalid type: expected u32`. Field and variant lists are kept (they are the policy's
/// own names), but an unknown variant's offending word is dropped (it is a value).
fn without_values(message: &str) -> String {
    for kind in [
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
    ] {
        if message.starts_with(kind) {
            return match message.find(", expected") {
                Some(i) => format!("{kind}: {}", &message[i + 2..]),
                None => kind.to_owned(),
            };
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn lines_and_columns_count_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 3));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn a_field_is_found_at_its_key_else_its_table_else_line_1() {
        let text = "version = 1\n\n[trust]\nname = \"X\"\n\n[record.inner]\nkey = 1\n";
        let root = DeTable::parse(text).unwrap();
        let mut entries = Vec::new();
        walk("", root.get_ref(), &mut entries);
        let source = PolicySource { text, entries };
        assert_eq!(source.line_of("version"), 1);
        assert_eq!(source.line_of("trust.name"), 4);
        assert_eq!(source.line_of("trust.ods_code"), 3);
        assert_eq!(source.line_of("record.inner.key"), 7);
        assert_eq!(source.line_of("record.inner.other"), 6);
        assert_eq!(source.line_of("pacs.base_url"), 1);
    }

    #[test]
    fn values_are_dropped_from_serde_messages() {
        assert_eq!(
            without_values("invalid type: string \"s3cret\", expected u32"),
            "invalid type: expected u32"
        );
        assert_eq!(
            without_values("unknown variant `s3cret`, expected `bearer` or `basic`"),
            "unknown variant: expected `bearer` or `basic`"
        );
        assert_eq!(
            without_values("unknown field `colour`, expected `name` or `ods_code`"),
            "unknown field `colour`, expected `name` or `ods_code`"
        );
    }
}
