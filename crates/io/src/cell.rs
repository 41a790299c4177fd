//! The field-level view shared by the CSV and NDJSON codecs: a row is an array of [`Cell`]s
//! in the order of the record type's `FIELDS`, whatever the file's column or key order, and
//! a record is written through a [`CellSink`] in that same order.

use crate::reject::RejectCode;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Most fields any record type has.
pub const MAX_FIELDS: usize = 12;

/// One field's value as read.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Cell<'a> {
    /// Absent column or key, empty string, or JSON `null`: all the same to the contract.
    #[default]
    Missing,
    /// Text (a CSV field or a JSON string).
    Text(Cow<'a, str>),
    /// A JSON number, as written.
    Number(&'a str),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON array or object, as written.
    Nested(&'a str),
}

/// Why one field of a row is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field.
    pub field: &'static str,
    /// Stable code.
    pub code: RejectCode,
    /// What is wrong.
    pub reason: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: &'static str, code: RejectCode, reason: impl Into<String>) -> Self {
        FieldError { field, code, reason: reason.into() }
    }
}

/// Shows user text in messages: quoted, cut at 60 characters.
pub fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("`{out}`")
}

/// A row's cells in `FIELDS` order, with typed accessors that produce [`FieldError`]s.
pub struct Cells<'a> {
    pub(crate) fields: &'static [&'static str],
    pub(crate) cells: [Cell<'a>; MAX_FIELDS],
}

impl<'a> Cells<'a> {
    /// Cells for `fields`, all missing.
    pub fn new(fields: &'static [&'static str]) -> Self {
        Cells { fields, cells: Default::default() }
    }

    /// Sets cell `i`.
    pub fn set(&mut self, i: usize, cell: Cell<'a>) {
        if let Some(c) = self.cells.get_mut(i) {
            *c = cell;
        }
    }

    fn name(&self, i: usize) -> &'static str {
        self.fields.get(i).copied().unwrap_or("?")
    }

    fn cell(&self, i: usize) -> &Cell<'a> {
        self.cells.get(i).unwrap_or(&Cell::Missing)
    }

    fn type_error(&self, i: usize, code: RejectCode, expected: &str) -> FieldError {
        let found = match self.cell(i) {
            Cell::Number(n) => format!("the number {n}"),
            Cell::Bool(b) => format!("the boolean {b}"),
            Cell::Nested(_) => "an array or object".to_string(),
            Cell::Text(_) => "text".to_string(),
            Cell::Missing => "nothing".to_string(),
        };
        FieldError::new(self.name(i), code, format!("expected {expected}, found {found}"))
    }

    /// Optional text: `None` when missing; error when the JSON value is not a string.
    pub fn text(&self, i: usize, code: RejectCode) -> Result<Option<&str>, FieldError> {
        match self.cell(i) {
            Cell::Missing => Ok(None),
            Cell::Text(t) => Ok(Some(t)),
            _ => Err(self.type_error(i, code, "a string")),
        }
    }

    /// Required text.
    pub fn req_text(&self, i: usize, code: RejectCode) -> Result<&str, FieldError> {
        self.text(i, code)?.ok_or_else(|| self.missing(i))
    }

    /// Optional text or JSON number, as written (amounts, levels, scores).
    pub fn scalar(&self, i: usize, code: RejectCode) -> Result<Option<&str>, FieldError> {
        match self.cell(i) {
            Cell::Missing => Ok(None),
            Cell::Text(t) => Ok(Some(t)),
            Cell::Number(n) => Ok(Some(n)),
            _ => Err(self.type_error(i, code, "a string or a number")),
        }
    }

    /// Required text or JSON number.
    pub fn req_scalar(&self, i: usize, code: RejectCode) -> Result<&str, FieldError> {
        self.scalar(i, code)?.ok_or_else(|| self.missing(i))
    }

    /// Required flag: `0`/`1` as text or number, or a JSON boolean.
    pub fn req_flag(&self, i: usize, code: RejectCode) -> Result<bool, FieldError> {
        match self.cell(i) {
            Cell::Bool(b) => Ok(*b),
            Cell::Missing => Err(self.missing(i)),
            _ => match self.req_scalar(i, code)? {
                "0" => Ok(false),
                "1" => Ok(true),
                other => Err(FieldError::new(self.name(i), code, format!("{} is not 0 or 1", shown(other)))),
            },
        }
    }

    /// Required nested JSON: a JSON array/object, or (in CSV) text holding one.
    pub fn req_nested(&self, i: usize, code: RejectCode) -> Result<&str, FieldError> {
        match self.cell(i) {
            Cell::Nested(raw) => Ok(raw),
            Cell::Text(t) => Ok(t),
            Cell::Missing => Err(self.missing(i)),
            _ => Err(self.type_error(i, code, "a JSON array")),
        }
    }

    /// The error for a missing required field.
    pub fn missing(&self, i: usize) -> FieldError {
        FieldError::new(self.name(i), RejectCode::MissingField, "required field is missing or empty")
    }

    /// An error about field `i`.
    pub fn error(&self, i: usize, code: RejectCode, reason: impl Into<String>) -> FieldError {
        FieldError::new(self.name(i), code, reason)
    }
}

/// Where a record's fields are written, in `FIELDS` order.
pub trait CellSink {
    /// A text value.
    fn text(&mut self, v: &str);
    /// An absent optional value (empty in CSV, `null` in JSON).
    fn null(&mut self);
    /// A number (bare in JSON).
    fn number(&mut self, v: &str);
    /// JSON text (nested in JSON, a text cell in CSV).
    fn json(&mut self, v: &str);
    /// Optional text.
    fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }
}

/// Why an NDJSON row could not be split into cells.
pub(crate) enum JsonRowError {
    Syntax(serde_json::Error),
    DuplicateKey(String),
}

/// Fills [`Cells`] straight from a JSON object without building a map: known keys go to
/// their cell, unknown keys are skipped, and any key seen twice is an error.
pub(crate) fn fill_from_json<'a>(line: &'a [u8], cells: &mut Cells<'a>) -> Result<(), JsonRowError> {
    let mut dup: Option<String> = None;
    let seed = RowSeed { cells, dup: &mut dup, seen_mask: 0, unknown: Vec::new() };
    let mut de = serde_json::Deserializer::from_slice(line);
    let res = seed.deserialize(&mut de).and_then(|()| de.end());
    match res {
        Ok(()) => Ok(()),
        Err(e) => match dup {
            Some(key) => Err(JsonRowError::DuplicateKey(key)),
            None => Err(JsonRowError::Syntax(e)),
        },
    }
}

struct RowSeed<'c, 'a> {
    cells: &'c mut Cells<'a>,
    dup: &'c mut Option<String>,
    seen_mask: u32,
    unknown: Vec<Key<'a>>,
}

/// An object key, borrowed unless it had escapes.
#[derive(PartialEq)]
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<M: MapAccess<'de>>(mut self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let raw: &'de RawValue = map.next_value()?;
            match self.cells.fields.iter().position(|f| *f == key.0) {
                Some(i) => {
                    let bit = 1u32 << i;
                    if self.seen_mask & bit != 0 {
                        *self.dup = Some(key.0.into_owned());
                        return Err(de::Error::custom("duplicate key"));
                    }
                    self.seen_mask |= bit;
                    self.cells.set(i, cell_of(raw).map_err(de::Error::custom)?);
                }
                None => {
                    if self.unknown.contains(&key) {
                        *self.dup = Some(key.0.into_owned());
                        return Err(de::Error::custom("duplicate key"));
                    }
                    self.unknown.push(key);
                }
            }
        }
        Ok(())
    }
}

/// Classifies a raw JSON value; strings without escapes stay borrowed.
fn cell_of(raw: &RawValue) -> Result<Cell<'_>, serde_json::Error> {
    let text = raw.get();
    Ok(match text.as_bytes().first() {
        Some(b'"') => {
            let inner = text.get(1..text.len() - 1).unwrap_or("");
            if inner.contains('\\') {
                let s: String = serde_json::from_str(text)?;
                if s.is_empty() { Cell::Missing } else { Cell::Text(Cow::Owned(s)) }
            } else if inner.is_empty() {
                Cell::Missing
            } else {
                Cell::Text(Cow::Borrowed(inner))
            }
        }
        Some(b'n') => Cell::Missing,
        Some(b't') => Cell::Bool(true),
        Some(b'f') => Cell::Bool(false),
        Some(b'[' | b'{') => Cell::Nested(text),
        _ => Cell::Number(text),
    })
}
