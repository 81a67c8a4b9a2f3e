//! One validated parameter type per demo, and the ways it travels: the URL hash, a JSON
//! file, the command line.
//!
//! A demo's state is a plain struct that serde reads and writes, plus a [`Field`] table (its
//! schema) that says, for every key, what kind of value it takes and in what range. All
//! input, whatever its source, goes through one path:
//!
//! 1. text (a URL hash `key=value&...`, a JSON object, `--key value` pairs) becomes a JSON
//!    object, with missing keys taken from the defaults;
//! 2. [`check_object`] checks every key against the schema: unknown keys, wrong types,
//!    non-finite numbers and out-of-range values are rejected with a message that names the
//!    key;
//! 3. serde builds the struct and [`Params::check`] applies cross-field rules.
//!
//! Nothing in this path panics on bad input. The same schema, exported as JSON, gives the
//! page its slider ranges, so the page cannot offer a value the checker would refuse.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Number, Value};
use std::fmt;

/// What values a key takes.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A whole number in min..=max.
    Int { min: i64, max: i64 },
    /// A finite number in min..=max; `log` asks the page for a logarithmic slider over
    /// [`log_ladder`]'s values (from max(min, step), with 0 first if min is 0).
    Float {
        min: f64,
        max: f64,
        step: f64,
        log: bool,
    },
    /// One of a fixed list of names (what links, files and the command line use), each with
    /// the words a menu shows for it (same length, same order).
    Choice(&'static [&'static str], &'static [&'static str]),
    /// A list of whole numbers, each in min..=max, of length min_len..=max_len.
    IntList {
        min_len: usize,
        max_len: usize,
        min: i64,
        max: i64,
    },
    /// An optional point (x, y) with both coordinates in min..=max.
    Point { min: f64, max: f64 },
    /// Text of at most `max_len` characters from A-Z, a-z, 0-9, '-' and '_' (safe in links).
    Token { max_len: usize },
}

/// One key of a demo's state.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    /// The unit shown next to the value ("" for none). "%" marks a fraction that the page
    /// shows in percent (the value itself stays a fraction: 0.25 reads "25 %").
    pub unit: &'static str,
    pub help: &'static str,
    pub kind: Kind,
}

/// A rejected parameter: which key (if one is to blame) and why, in words for a student.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamError {
    pub key: Option<String>,
    pub message: String,
}

impl ParamError {
    pub fn new(key: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }
    fn at(key: &str, message: impl Into<String>) -> Self {
        Self::new(Some(key), message)
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{k}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParamError {}

/// Joins groups of fields into one schema at compile time: a demo's state is composed of the
/// shared groups (the reconstruction settings of [`crate::recon::settings_fields`], the
/// measurement noise, the classifier, DeepFool's settings) and its own keys, so a shared key
/// has one definition. `N` is the total count (checked: a wrong count does not compile).
pub const fn join<const N: usize>(parts: &[&[Field]]) -> [Field; N] {
    let mut out = [PLACEHOLDER; N];
    let (mut k, mut i) = (0, 0);
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N, "join: the count N is not the number of fields");
    out
}

const PLACEHOLDER: Field = Field {
    key: "",
    label: "",
    unit: "",
    help: "",
    kind: Kind::Token { max_len: 0 },
};

/// A demo's state.
pub trait Params: Serialize + DeserializeOwned + Default + Clone {
    /// Every key, in the order links and files list them.
    const SCHEMA: &'static [Field];

    /// Rules that involve more than one key (the schema has checked each key alone).
    fn check(&self) -> Result<(), ParamError> {
        Ok(())
    }
}

fn field<P: Params>(key: &str) -> Result<&'static Field, ParamError> {
    P::SCHEMA.iter().find(|f| f.key == key).ok_or_else(|| {
        let known: Vec<&str> = P::SCHEMA.iter().map(|f| f.key).collect();
        ParamError::at(
            key,
            format!("unknown parameter (known: {})", known.join(", ")),
        )
    })
}

fn describe(v: &Value) -> String {
    shorten(&v.to_string())
}

fn check_int(key: &str, v: &Value, min: i64, max: i64) -> Result<(), ParamError> {
    match v.as_i64() {
        Some(i) if (min..=max).contains(&i) => Ok(()),
        _ => Err(ParamError::at(
            key,
            format!(
                "expected a whole number from {min} to {max}, got {}",
                describe(v)
            ),
        )),
    }
}

/// Checks one value against its field's kind.
pub fn check_value(f: &Field, v: &Value) -> Result<(), ParamError> {
    let key = f.key;
    match f.kind {
        Kind::Int { min, max } => check_int(key, v, min, max),
        Kind::Float { min, max, .. } => match v.as_f64() {
            Some(x) if x.is_finite() && (min..=max).contains(&x) => Ok(()),
            _ => Err(ParamError::at(
                key,
                format!("expected a number from {min} to {max}, got {}", describe(v)),
            )),
        },
        Kind::Choice(options, _) => match v.as_str() {
            Some(s) if options.contains(&s) => Ok(()),
            _ => Err(ParamError::at(
                key,
                format!(
                    "expected one of {}, got {}",
                    options.join(", "),
                    describe(v)
                ),
            )),
        },
        Kind::IntList {
            min_len,
            max_len,
            min,
            max,
        } => {
            let list = v.as_array().ok_or_else(|| {
                ParamError::at(
                    key,
                    format!("expected a list of whole numbers, got {}", describe(v)),
                )
            })?;
            if !(min_len..=max_len).contains(&list.len()) {
                return Err(ParamError::at(
                    key,
                    format!(
                        "expected {min_len} to {max_len} entries, got {}",
                        list.len()
                    ),
                ));
            }
            list.iter().try_for_each(|e| check_int(key, e, min, max))
        }
        Kind::Token { max_len } => match v.as_str() {
            Some(t)
                if t.len() <= max_len
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                Ok(())
            }
            Some(t) if t.len() > max_len => Err(ParamError::at(
                key,
                format!("expected at most {max_len} characters, got {}", t.len()),
            )),
            _ => Err(ParamError::at(
                key,
                format!(
                    "expected text of letters, digits, '-' and '_', got {}",
                    describe(v)
                ),
            )),
        },
        Kind::Point { min, max } => {
            if v.is_null() {
                return Ok(());
            }
            let ok = v.as_array().is_some_and(|a| {
                a.len() == 2
                    && a.iter().all(|c| {
                        c.as_f64()
                            .is_some_and(|x| x.is_finite() && (min..=max).contains(&x))
                    })
            });
            if ok {
                Ok(())
            } else {
                Err(ParamError::at(
                    key,
                    format!(
                        "expected a point x,y with both coordinates from {min} to {max}, got {}",
                        describe(v)
                    ),
                ))
            }
        }
    }
}

/// Checks a JSON object against the schema and builds the state from it. Keys the object
/// lacks keep their default values.
pub fn from_object<P: Params>(obj: Map<String, Value>) -> Result<P, ParamError> {
    let mut full = match serde_json::to_value(P::default()) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(ParamError::new(
                None,
                "internal error: defaults are not an object",
            ))
        }
    };
    for (k, v) in obj {
        let f = field::<P>(&k)?;
        check_value(f, &v)?;
        full.insert(k, v);
    }
    check_object::<P>(&full)?;
    let p: P = serde_json::from_value(Value::Object(full))
        .map_err(|e| ParamError::new(None, e.to_string()))?;
    p.check()?;
    Ok(p)
}

/// Checks that an object has exactly the schema's keys, each with a valid value.
pub fn check_object<P: Params>(obj: &Map<String, Value>) -> Result<(), ParamError> {
    for f in P::SCHEMA {
        let v = obj
            .get(f.key)
            .ok_or_else(|| ParamError::at(f.key, "missing"))?;
        check_value(f, v)?;
    }
    match obj
        .keys()
        .find(|k| !P::SCHEMA.iter().any(|f| f.key == k.as_str()))
    {
        Some(k) => Err(field::<P>(k)
            .err()
            .unwrap_or_else(|| ParamError::at(k, "unknown parameter"))),
        None => Ok(()),
    }
}

/// Validates a state built in code (the schema and the cross-field rules).
pub fn validate<P: Params>(p: &P) -> Result<(), ParamError> {
    match serde_json::to_value(p) {
        Ok(Value::Object(m)) => check_object::<P>(&m)?,
        _ => {
            return Err(ParamError::new(
                None,
                "internal error: state is not an object",
            ))
        }
    }
    p.check()
}

/// Checks a schema against itself and its defaults: keys unique, a menu label for every
/// option, ranges in order, and the defaults valid. Every demo's tests call it.
pub fn check_schema<P: Params>() -> Result<(), String> {
    for (i, f) in P::SCHEMA.iter().enumerate() {
        if P::SCHEMA[..i].iter().any(|g| g.key == f.key) {
            return Err(format!("{}: declared twice", f.key));
        }
        let ok = match f.kind {
            Kind::Choice(names, labels) => !names.is_empty() && names.len() == labels.len(),
            Kind::Int { min, max } => min <= max,
            Kind::Float {
                min,
                max,
                step,
                log,
            } => {
                min <= max
                    && if log {
                        log_ladder(min, max, step).len() > 1
                    } else {
                        step > 0.0
                    }
            }
            Kind::IntList {
                min_len,
                max_len,
                min,
                max,
            } => min_len <= max_len && min <= max,
            Kind::Point { min, max } => min <= max,
            Kind::Token { .. } => true,
        };
        if !ok {
            return Err(format!(
                "{}: its kind is inconsistent ({:?})",
                f.key, f.kind
            ));
        }
    }
    validate(&P::default()).map_err(|e| format!("the defaults are refused: {e}"))
}

/// Turns one `key=value` text into the JSON value its field's kind calls for.
pub fn parse_text(f: &Field, text: &str) -> Result<Value, ParamError> {
    let key = f.key;
    let t = text.trim();
    let int = |s: &str| -> Result<Value, ParamError> {
        s.trim().parse::<i64>().map(Value::from).map_err(|_| {
            ParamError::at(
                key,
                format!("expected a whole number, got '{}'", shorten(s)),
            )
        })
    };
    let float = |s: &str| -> Result<Value, ParamError> {
        match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Value::Number(Number::from_f64(x).expect("finite"))),
            _ => Err(ParamError::at(
                key,
                format!("expected a finite number, got '{}'", shorten(s)),
            )),
        }
    };
    let v = match f.kind {
        Kind::Int { .. } => int(t)?,
        Kind::Float { .. } => float(t)?,
        Kind::Choice(..) | Kind::Token { .. } => Value::String(t.to_owned()),
        Kind::IntList { .. } => {
            if t.is_empty() {
                Value::Array(vec![])
            } else {
                Value::Array(t.split(',').map(int).collect::<Result<_, _>>()?)
            }
        }
        Kind::Point { .. } => {
            if t.is_empty() || t == "none" {
                Value::Null
            } else {
                let parts: Vec<&str> = t.split(',').collect();
                if parts.len() != 2 {
                    return Err(ParamError::at(
                        key,
                        format!("expected a point x,y, got '{}'", shorten(t)),
                    ));
                }
                Value::Array(parts.into_iter().map(float).collect::<Result<_, _>>()?)
            }
        }
    };
    check_value(f, &v)?;
    Ok(v)
}

/// Long input is cut in messages, so a pasted essay does not fill the page.
fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(37).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Parses the text of one `key=value` pair for the demo `P` (an unknown key is an error).
pub fn parse_pair<P: Params>(key: &str, text: &str) -> Result<Value, ParamError> {
    parse_text(field::<P>(key)?, text)
}

/// Builds the state from `key=value` pairs (a link or a command line). A key may appear
/// once.
pub fn from_pairs<'a, P: Params>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<P, ParamError> {
    let mut obj = Map::new();
    for (k, v) in pairs {
        let value = parse_pair::<P>(k, v)?;
        if obj.insert(k.to_owned(), value).is_some() {
            return Err(ParamError::at(k, "given twice"));
        }
    }
    from_object(obj)
}

/// Builds the state from a URL hash or query, `#key=value&key=value` (percent-encoded).
/// An empty text gives the defaults.
pub fn from_query<P: Params>(query: &str) -> Result<P, ParamError> {
    let q = query
        .strip_prefix('#')
        .or_else(|| query.strip_prefix('?'))
        .unwrap_or(query);
    let mut decoded = Vec::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        decoded.push((percent_decode(k)?, percent_decode(v)?));
    }
    from_pairs(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Builds the state from a link, keeping every key it can read: a pair that cannot be
/// decoded, an unknown key, a repeated key (the first stays) or a refused value is dropped,
/// its default kept, and named in the returned messages. A rule between keys that fails drops
/// the key it names; one that names none gives the defaults. Never fails: a link with one typo
/// still shows the rest of its figure.
pub fn from_query_lenient<P: Params>(query: &str) -> (P, Vec<ParamError>) {
    let q = query
        .strip_prefix('#')
        .or_else(|| query.strip_prefix('?'))
        .unwrap_or(query);
    let mut obj = Map::new();
    let mut dropped = Vec::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let pair = percent_decode(k).and_then(|k| Ok((k, percent_decode(v)?)));
        let value = pair.and_then(|(k, v)| {
            if obj.contains_key(&k) {
                return Err(ParamError::at(&k, "given twice (the first is kept)"));
            }
            Ok((k.clone(), parse_pair::<P>(&k, &v)?))
        });
        match value {
            Ok((k, v)) => {
                obj.insert(k, v);
            }
            Err(e) => dropped.push(e),
        }
    }
    loop {
        match from_object::<P>(obj.clone()) {
            Ok(p) => return (p, dropped),
            Err(e) => {
                let culprit = e.key.clone().filter(|k| obj.contains_key(k));
                dropped.push(e);
                match culprit {
                    Some(k) => {
                        obj.remove(&k);
                    }
                    None => return (P::default(), dropped),
                }
            }
        }
    }
}

/// The values a logarithmic slider offers from `lo` = max(min, step) to `max`: ten per decade
/// (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten), with `lo` and `max` themselves,
/// and 0 first when `min` is 0. Each is the f64 nearest its short decimal, so it reads back
/// exactly from a link.
pub fn log_ladder(min: f64, max: f64, step: f64) -> Vec<f64> {
    const MANTISSAS: [&str; 10] = ["1", "1.2", "1.5", "2", "2.5", "3", "4", "5", "6", "8"];
    let lo = if min > 0.0 { min } else { step };
    let mut out = Vec::new();
    if min <= 0.0 {
        out.push(0.0);
    }
    if !(lo > 0.0 && lo <= max && max.is_finite()) {
        return out;
    }
    out.push(lo);
    let first = lo.log10().floor() as i32;
    let last = max.log10().ceil() as i32;
    for e in first..=last {
        for m in MANTISSAS {
            let v: f64 = format!("{m}e{e}").parse().expect("a decimal number");
            if v > lo * (1.0 + 1e-9) && v < max * (1.0 - 1e-9) {
                out.push(v);
            }
        }
    }
    if max > lo {
        out.push(max);
    }
    out
}

/// The state as a URL hash (without the '#'), every key in schema order, so a link fixes
/// the whole figure even if a default changes later. Floats use the shortest text that
/// reads back to the same f64, so the round trip is exact.
pub fn to_query<P: Params>(p: &P) -> String {
    let Ok(Value::Object(m)) = serde_json::to_value(p) else {
        return String::new();
    };
    let mut parts = Vec::new();
    for f in P::SCHEMA {
        let Some(v) = m.get(f.key) else { continue };
        let text = match v {
            Value::Null => continue,
            Value::Array(a) => a.iter().map(scalar_text).collect::<Vec<_>>().join(","),
            other => scalar_text(other),
        };
        parts.push(format!("{}={}", f.key, percent_encode(&text)));
    }
    parts.join("&")
}

/// The state as command-line options, `--key value ...` in schema order (the command line
/// that reproduces it).
pub fn to_cli<P: Params>(p: &P) -> String {
    to_query(p)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            format!(
                "--{k} {}",
                percent_decode(v).unwrap_or_else(|_| v.to_owned())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(x)) => format!("{x}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The state as a pretty-printed JSON object (the page's "save" file).
pub fn to_json<P: Params>(p: &P) -> String {
    serde_json::to_string_pretty(p).unwrap_or_default()
}

/// Reads a JSON state file. Missing keys keep their defaults; unknown keys are errors.
pub fn from_json<P: Params>(text: &str) -> Result<P, ParamError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| ParamError::new(None, format!("not valid JSON: {e}")))?;
    match v {
        Value::Object(m) => from_object(m),
        other => Err(ParamError::new(
            None,
            format!("expected a JSON object, got {}", describe(&other)),
        )),
    }
}

/// The schema as JSON, for the page to build its controls from.
pub fn schema_json<P: Params>() -> String {
    let defaults = serde_json::to_value(P::default()).unwrap_or(Value::Null);
    let fields: Vec<Value> = P::SCHEMA
        .iter()
        .map(|f| {
            let mut o = json!({ "key": f.key, "label": f.label, "unit": f.unit, "help": f.help,
                                "default": defaults.get(f.key).cloned().unwrap_or(Value::Null) });
            let extra = match f.kind {
                Kind::Int { min, max } => json!({ "kind": "int", "min": min, "max": max }),
                Kind::Float { min, max, step, log } => {
                    let mut o = json!({ "kind": "float", "min": min, "max": max, "step": step, "log": log });
                    if log {
                        o["values"] = json!(log_ladder(min, max, step));
                    }
                    o
                }
                Kind::Choice(options, labels) => {
                    json!({ "kind": "choice", "options": options, "labels": labels })
                }
                Kind::IntList { min_len, max_len, min, max } => {
                    json!({ "kind": "intlist", "min_len": min_len, "max_len": max_len, "min": min, "max": max })
                }
                Kind::Point { min, max } => json!({ "kind": "point", "min": min, "max": max }),
                Kind::Token { max_len } => json!({ "kind": "token", "max_len": max_len }),
            };
            if let (Value::Object(o), Value::Object(e)) = (&mut o, extra) {
                o.extend(e);
            }
            o
        })
        .collect();
    Value::Array(fields).to_string()
}

fn percent_decode(s: &str) -> Result<String, ParamError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        ParamError::new(None, format!("bad percent escape in '{}'", shorten(s)))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| ParamError::new(None, format!("'{}' is not UTF-8 text", shorten(s))))
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.,~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        count: u32,
        rate: f64,
        mode: String,
        widths: Vec<usize>,
        at: Option<[f64; 2]>,
    }

    impl Default for Demo {
        fn default() -> Self {
            Self {
                count: 10,
                rate: 0.1,
                mode: "a".into(),
                widths: vec![4, 4],
                at: None,
            }
        }
    }

    impl Params for Demo {
        const SCHEMA: &'static [Field] = &[
            Field {
                key: "count",
                label: "count",
                unit: "",
                help: "",
                kind: Kind::Int { min: 1, max: 100 },
            },
            Field {
                key: "rate",
                label: "rate",
                unit: "",
                help: "",
                kind: Kind::Float {
                    min: 0.0,
                    max: 1.0,
                    step: 0.01,
                    log: false,
                },
            },
            Field {
                key: "mode",
                label: "mode",
                unit: "",
                help: "",
                kind: Kind::Choice(&["a", "b"], &["Option A", "Option B"]),
            },
            Field {
                key: "widths",
                label: "widths",
                unit: "",
                help: "",
                kind: Kind::IntList {
                    min_len: 1,
                    max_len: 3,
                    min: 1,
                    max: 64,
                },
            },
            Field {
                key: "at",
                label: "at",
                unit: "",
                help: "",
                kind: Kind::Point {
                    min: -5.0,
                    max: 5.0,
                },
            },
        ];
        fn check(&self) -> Result<(), ParamError> {
            if self.mode == "b" && self.count > 50 {
                return Err(ParamError::new(Some("count"), "mode b allows at most 50"));
            }
            Ok(())
        }
    }

    fn err(q: &str) -> String {
        from_query::<Demo>(q).unwrap_err().to_string()
    }

    #[test]
    fn query_round_trip_is_exact() {
        let p = Demo {
            count: 37,
            rate: 0.1 + 0.2, // 0.30000000000000004: needs all 17 digits
            mode: "b".into(),
            widths: vec![16, 8, 3],
            at: Some([0.5, -1.0 / 3.0]),
        };
        let q = to_query(&p);
        assert_eq!(from_query::<Demo>(&q).unwrap(), p);
        assert_eq!(from_query::<Demo>(&format!("#{q}")).unwrap(), p);
        assert!(
            q.starts_with("count=37&rate=0.30000000000000004&mode=b&widths=16,8,3&at=0.5,-0.333")
        );
    }

    #[test]
    fn json_round_trip_is_exact() {
        let p = Demo {
            at: Some([1e-7, 4.999999999]),
            ..Default::default()
        };
        assert_eq!(from_json::<Demo>(&to_json(&p)).unwrap(), p);
    }

    #[test]
    fn empty_query_and_missing_keys_give_defaults() {
        assert_eq!(from_query::<Demo>("").unwrap(), Demo::default());
        assert_eq!(from_query::<Demo>("#").unwrap(), Demo::default());
        assert_eq!(from_json::<Demo>("{}").unwrap(), Demo::default());
        assert_eq!(from_query::<Demo>("count=5").unwrap().count, 5);
    }

    #[test]
    fn bad_values_are_named_and_explained() {
        assert_eq!(
            err("count=-5"),
            "count: expected a whole number from 1 to 100, got -5"
        );
        assert_eq!(
            err("count=abc"),
            "count: expected a whole number, got 'abc'"
        );
        assert_eq!(
            err("count=2.5"),
            "count: expected a whole number, got '2.5'"
        );
        assert_eq!(err("rate=NaN"), "rate: expected a finite number, got 'NaN'");
        assert_eq!(err("rate=inf"), "rate: expected a finite number, got 'inf'");
        assert_eq!(
            err("rate=1.5"),
            "rate: expected a number from 0 to 1, got 1.5"
        );
        assert_eq!(err("mode=c"), "mode: expected one of a, b, got \"c\"");
        assert_eq!(
            err("widths=100000"),
            "widths: expected a whole number from 1 to 64, got 100000"
        );
        assert_eq!(
            err("widths=1,2,3,4"),
            "widths: expected 1 to 3 entries, got 4"
        );
        assert_eq!(err("widths="), "widths: expected 1 to 3 entries, got 0");
        assert_eq!(err("at=1"), "at: expected a point x,y, got '1'");
        assert_eq!(
            err("at=1,9"),
            "at: expected a point x,y with both coordinates from -5 to 5, got [1.0,9.0]"
        );
        assert!(err("colour=red").starts_with("colour: unknown parameter (known: count, rate"));
        assert_eq!(err("count=3&count=4"), "count: given twice");
        assert_eq!(err("mode=b&count=60"), "count: mode b allows at most 50");
        assert!(err("count=%zz").contains("bad percent escape"));
        assert!(err("count=99999999999999999999999").contains("expected a whole number"));
    }

    #[test]
    fn bad_json_is_explained() {
        let e = |s: &str| from_json::<Demo>(s).unwrap_err().to_string();
        assert_eq!(
            e("{\"count\": \"7\"}"),
            "count: expected a whole number from 1 to 100, got \"7\""
        );
        assert_eq!(
            e("{\"count\": 1e3}"),
            "count: expected a whole number from 1 to 100, got 1000.0"
        );
        assert_eq!(
            e("{\"rate\": null}"),
            "rate: expected a number from 0 to 1, got null"
        );
        assert_eq!(e("[1, 2]"), "expected a JSON object, got [1,2]");
        assert!(e("{\"count\": ").starts_with("not valid JSON"));
        assert!(e("{\"extra\": 1}").starts_with("extra: unknown parameter"));
        assert!(e("{\"rate\": 1e999}").starts_with("not valid JSON"));
    }

    #[test]
    fn a_lenient_link_drops_only_what_it_cannot_read() {
        let lenient = |q: &str| {
            let (p, errs) = from_query_lenient::<Demo>(q);
            (p, errs.iter().map(|e| e.to_string()).collect::<Vec<_>>())
        };
        // One bad value: the others stay.
        let (p, errs) = lenient("count=7&rate=NaN&mode=b");
        assert_eq!((p.count, p.rate, p.mode.as_str()), (7, 0.1, "b"));
        assert_eq!(errs, ["rate: expected a finite number, got 'NaN'"]);
        // Unknown keys, bad escapes and repeats are dropped and named; the first of a repeat stays.
        let (p, errs) = lenient("colour=red&count=3&count=4&at=%zz&widths=8,8");
        assert_eq!((p.count, p.at, p.widths.clone()), (3, None, vec![8, 8]));
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("colour: unknown parameter"));
        assert_eq!(errs[1], "count: given twice (the first is kept)");
        assert!(errs[2].contains("bad percent escape"));
        // A rule between keys drops the key it names, and keeps the rest.
        let (p, errs) = lenient("mode=b&count=60&rate=0.5");
        assert_eq!((p.count, p.rate, p.mode.as_str()), (10, 0.5, "b"));
        assert_eq!(errs, ["count: mode b allows at most 50"]);
        // A good link gives what the strict reader gives, with nothing dropped.
        let good = "count=37&rate=0.25&mode=b&widths=16,8,3&at=0.5,-1";
        assert_eq!(lenient(good), (from_query::<Demo>(good).unwrap(), vec![]));
        assert_eq!(lenient(""), (Demo::default(), vec![]));
    }

    #[test]
    fn the_log_ladder_spans_its_range_with_short_values() {
        let v = log_ladder(1e-6, 10.0, 1e-6);
        assert_eq!(v.first(), Some(&1e-6));
        assert_eq!(v.last(), Some(&10.0));
        assert_eq!(v.len(), 7 * 10 + 1);
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        assert!(v.contains(&1.2e-5) && v.contains(&0.0025) && v.contains(&8.0));
        // With min 0: 0 first, then from the step.
        let v = log_ladder(0.0, 10.0, 0.005);
        assert_eq!(&v[..4], &[0.0, 0.005, 0.006, 0.008]);
        assert_eq!(v.last(), Some(&10.0));
        // Every value reads back exactly from its shortest text (links stay short and exact).
        for x in log_ladder(1e-4, 1.0, 1e-4) {
            assert_eq!(format!("{x}").parse::<f64>().unwrap(), x);
            assert!(format!("{x}").len() <= 7, "{x}");
        }
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(from_query::<Demo>("mode=%62").unwrap().mode, "b");
        assert_eq!(
            from_query::<Demo>("at=0.5%2C0.25").unwrap().at,
            Some([0.5, 0.25])
        );
        assert_eq!(from_query::<Demo>("at=none").unwrap().at, None);
    }

    #[test]
    fn schema_lists_every_key_with_its_range() {
        let s: Value = serde_json::from_str(&schema_json::<Demo>()).unwrap();
        let keys: Vec<&str> = s
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["count", "rate", "mode", "widths", "at"]);
        assert_eq!(s[0]["max"], 100);
        assert_eq!(s[0]["default"], 10);
        assert_eq!(s[2]["options"], json!(["a", "b"]));
        assert_eq!(s[2]["labels"], json!(["Option A", "Option B"]));
    }
}
