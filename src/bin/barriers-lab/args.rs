//! Command-line arguments: flags, options, and `--key value` pairs that fill a demo's
//! validated state exactly as a page link does. State keys are spelled with dashes on the
//! command line (`--attack-seed 5`) or as in a link (`--attack_seed 5`).

use barriers_lab::params::{self, ParamError, Params};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// A usage error: printed on one line, exit status 2.
pub struct UsageError(pub String);

impl From<ParamError> for UsageError {
    fn from(e: ParamError) -> Self {
        UsageError(match e.key {
            Some(k) => format!("--{k}: {}", e.message),
            None => e.message,
        })
    }
}

/// The flags and options a command takes besides its state's keys.
pub struct Parsed {
    pub flags: HashSet<String>,
    pub options: HashMap<String, String>,
}

impl Parsed {
    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(name)
    }
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }
}

/// Parses `args` into the state `P` (from `--params FILE` if given, then every `--key value`
/// of P's schema), the `flags` (no value) and the `options` (one value each).
pub fn parse<P: Params>(
    args: &[String],
    flags: &[&str],
    options: &[&str],
) -> Result<(P, Parsed), UsageError> {
    let mut pairs = Map::new();
    let mut from_file: Option<Map<String, Value>> = None;
    let mut parsed = Parsed {
        flags: HashSet::new(),
        options: HashMap::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg.strip_prefix("--") else {
            return Err(UsageError(format!("unexpected argument '{arg}'")));
        };
        let (given, inline) = match name.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (name, None),
        };
        let key = canonical::<P>(given, flags, options);
        let key = key.as_str();
        if flags.contains(&key) {
            parsed.flags.insert(key.to_owned());
            continue;
        }
        let value = inline
            .or_else(|| it.next().cloned())
            .ok_or_else(|| UsageError(format!("--{key} needs a value")))?;
        if key == "params" {
            let text = std::fs::read_to_string(&value)
                .map_err(|e| UsageError(format!("--params: cannot read {value}: {e}")))?;
            match serde_json::from_str(&text) {
                Ok(Value::Object(m)) => from_file = Some(m),
                Ok(_) => {
                    return Err(UsageError(format!(
                        "--params: {value} is not a JSON object"
                    )))
                }
                Err(e) => {
                    return Err(UsageError(format!(
                        "--params: {value} is not valid JSON: {e}"
                    )))
                }
            }
        } else if options.contains(&key) {
            if parsed.options.insert(key.to_owned(), value).is_some() {
                return Err(UsageError(format!("--{key} given twice")));
            }
        } else {
            let v = params::parse_pair::<P>(key, &value)?;
            if pairs.insert(key.to_owned(), v).is_some() {
                return Err(UsageError(format!("--{key} given twice")));
            }
        }
    }
    let mut merged = from_file.unwrap_or_default();
    merged.extend(pairs);
    Ok((params::from_object(merged)?, parsed))
}

/// The name a flag is known by: as given if a flag, option or state key has that name,
/// otherwise with '-' and '_' swapped if that one exists (`--attack-seed` is the state key
/// `attack_seed`, as command lines spell it; `--attack_seed`, the link's spelling, works too).
fn canonical<P: Params>(given: &str, flags: &[&str], options: &[&str]) -> String {
    let known = |k: &str| {
        k == "params"
            || flags.contains(&k)
            || options.contains(&k)
            || P::SCHEMA.iter().any(|f| f.key == k)
    };
    if known(given) {
        return given.to_owned();
    }
    for alt in [given.replace('-', "_"), given.replace('_', "-")] {
        if known(&alt) {
            return alt;
        }
    }
    given.to_owned()
}

/// A demo's options, from its schema, for `barriers-lab help <command>`.
pub fn help<P: Params>(title: &str) -> String {
    let defaults = serde_json::to_value(P::default()).unwrap_or(Value::Null);
    let mut s = format!("{title}\n");
    for f in P::SCHEMA {
        let d = defaults
            .get(f.key)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let range = match f.kind {
            params::Kind::Int { min, max } => format!("{min}..{max}"),
            params::Kind::Float { min, max, .. } => format!("{min}..{max}"),
            params::Kind::Choice(o, _) => o.join("|"),
            params::Kind::IntList {
                min_len,
                max_len,
                min,
                max,
            } => format!("{min_len}-{max_len} of {min}..{max}, comma-separated"),
            params::Kind::Point { min, max } => format!("x,y in {min}..{max}"),
            params::Kind::Token { max_len } => format!("text, at most {max_len} characters"),
        };
        let flag = f.key.replace('_', "-");
        s += &format!("    --{flag:<11} {} [{range}] (default {d})\n", f.help);
    }
    s
}
