//! A figure's numbers, for export: the demo, its state as a page link, scalar metrics named as
//! the page's readouts name them, and named tables. The same `Numbers` is written as JSON and
//! as CSV by the command line (`barriers-lab figures`) and by the pages (through WebAssembly).
//!
//! - JSON: `{"demo", "link", "metrics": {name: value, ...}, "tables": [{"name", "columns",
//!   "rows": [{"label", "values"}]}]}`, metrics in the order they were added. A value that is
//!   not finite is written as `null` and read back as NaN.
//! - CSV: one table in long form, header `table,row,column,value`: a metric is the line
//!   `metrics,,NAME,VALUE`, a table cell `TABLE,ROW LABEL,COLUMN,VALUE`. Fields are quoted as
//!   RFC 4180 says (in double quotes when they hold a comma, a quote or a line break, quotes
//!   doubled), lines end in CRLF, and a value is Rust's shortest round-tripping form of the
//!   f64 (`NaN`, `inf` and `-inf` where not finite). The demo and the link are not numbers and
//!   are not in the CSV.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Scalar metrics, in the order they were added.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics(pub Vec<(String, f64)>);

/// A table: column names, and rows of one value per column under a row label.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub label: String,
    #[serde(with = "nullable_vec")]
    pub values: Vec<f64>,
}

/// A demo's numbers: what its figure shows, for export.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Numbers {
    pub demo: String,
    /// The state as the page's URL hash (without '#').
    pub link: String,
    pub metrics: Metrics,
    pub tables: Vec<Table>,
}

impl Numbers {
    pub fn new(demo: &str, link: String) -> Self {
        Self {
            demo: demo.to_owned(),
            link,
            ..Self::default()
        }
    }

    /// Adds (or replaces) a metric.
    pub fn metric(&mut self, name: &str, value: f64) -> &mut Self {
        match self.metrics.0.iter_mut().find(|(n, _)| n == name) {
            Some(m) => m.1 = value,
            None => self.metrics.0.push((name.to_owned(), value)),
        }
        self
    }

    /// The metric `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics
            .0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// Adds a table with these columns; returns it for its rows.
    pub fn table(&mut self, name: &str, columns: &[&str]) -> &mut Table {
        self.tables.push(Table {
            name: name.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
        });
        self.tables.last_mut().expect("just pushed")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "null".into())
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The long-form CSV described in the module's documentation.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("table,row,column,value\r\n");
        let mut line = |fields: [&str; 3], v: f64| {
            for f in fields {
                out += &csv_field(f);
                out.push(',');
            }
            out += &format!("{v}\r\n");
        };
        for (name, v) in &self.metrics.0 {
            line(["metrics", "", name], *v);
        }
        for t in &self.tables {
            for r in &t.rows {
                for (c, v) in t.columns.iter().zip(&r.values) {
                    line([&t.name, &r.label, c], *v);
                }
            }
        }
        out
    }

    /// Reads the CSV of [`Numbers::to_csv`] back (demo and link from the caller, as the CSV
    /// has neither). A table's columns are in the order first seen.
    pub fn from_csv(demo: &str, link: &str, text: &str) -> Result<Self, String> {
        let records = parse_csv(text)?;
        let Some((head, body)) = records.split_first() else {
            return Err("the CSV is empty".into());
        };
        if head != &["table", "row", "column", "value"] {
            return Err(format!("unexpected CSV header {head:?}"));
        }
        let mut n = Numbers::new(demo, link.to_owned());
        for (i, rec) in body.iter().enumerate() {
            let [table, row, column, value] = rec.as_slice() else {
                return Err(format!(
                    "line {}: expected 4 fields, got {}",
                    i + 2,
                    rec.len()
                ));
            };
            let v: f64 = value
                .parse()
                .map_err(|_| format!("line {}: '{value}' is not a number", i + 2))?;
            if table == "metrics" && row.is_empty() {
                n.metric(column, v);
                continue;
            }
            let t = match n.tables.iter().position(|t| &t.name == table) {
                Some(k) => &mut n.tables[k],
                None => n.table(table, &[]),
            };
            let col = match t.columns.iter().position(|c| c == column) {
                Some(k) => k,
                None => {
                    t.columns.push(column.clone());
                    t.columns.len() - 1
                }
            };
            let r = match t.rows.iter().position(|r| &r.label == row) {
                Some(k) => &mut t.rows[k],
                None => {
                    t.rows.push(Row {
                        label: row.clone(),
                        values: Vec::new(),
                    });
                    t.rows.last_mut().expect("just pushed")
                }
            };
            if r.values.len() <= col {
                r.values.resize(col + 1, f64::NAN);
            }
            r.values[col] = v;
        }
        Ok(n)
    }
}

impl Table {
    /// Adds a row of values, one per column.
    pub fn row(&mut self, label: &str, values: &[f64]) -> &mut Self {
        debug_assert_eq!(values.len(), self.columns.len());
        self.rows.push(Row {
            label: label.to_owned(),
            values: values.to_vec(),
        });
        self
    }
}

/// One CSV field, quoted if it holds a comma, a quote or a line break (quotes doubled).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Parses RFC 4180 CSV (LF or CRLF line ends, quoted fields with doubled quotes and line
/// breaks inside) into records of fields.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut rec = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            '"' => return Err("a quote inside an unquoted field".into()),
            ',' => rec.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                rec.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut rec));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    if any {
        rec.push(field);
        records.push(rec);
    }
    Ok(records)
}

fn finite_or_none(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, &finite_or_none(*v))?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metrics;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Metrics, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Option<f64>>()? {
                    out.push((k, v.unwrap_or(f64::NAN)));
                }
                Ok(Metrics(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Vectors of f64 with `null` for values that are not finite.
mod nullable_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let o: Vec<Option<f64>> = v.iter().map(|&x| super::finite_or_none(x)).collect();
        o.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let o = Vec::<Option<f64>>::deserialize(d)?;
        Ok(o.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sample() -> Numbers {
        let mut n = Numbers::new("toy", "data=moons&point=1.5,-0.2".into());
        n.metric("deepfool ||r||2/||x||2", 0.1 + 0.2)
            .metric("accuracy", 0.985)
            .metric("tiny", 1e-300)
            .metric("third", 1.0 / 3.0);
        n.table("rates, \"test\"", &["fooled, v", "noise"])
            .row("linear", &[0.891, 0.077])
            .row("CNN \"small\"\nnet", &[-2.5e-7, 123456789.12345679]);
        n
    }

    #[test]
    fn csv_round_trips_every_bit() {
        let n = sample();
        let csv = n.to_csv();
        let back = Numbers::from_csv("toy", "data=moons&point=1.5,-0.2", &csv).unwrap();
        assert_eq!(back, n);
        for ((_, a), (_, b)) in n.metrics.0.iter().zip(&back.metrics.0) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        let csv = sample().to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "table,row,column,value");
        assert_eq!(
            lines[1],
            "metrics,,deepfool ||r||2/||x||2,0.30000000000000004"
        );
        // Rust's `{}` writes every digit (no exponent), and it reads back exactly.
        let tiny = lines[3].strip_prefix("metrics,,tiny,").unwrap();
        assert!(tiny.starts_with("0.000") && tiny.ends_with('1'));
        assert_eq!(tiny.parse::<f64>().unwrap(), 1e-300);
        assert_eq!(
            lines[5],
            "\"rates, \"\"test\"\"\",linear,\"fooled, v\",0.891"
        );
        assert!(csv.contains("\"CNN \"\"small\"\"\nnet\",noise,123456789.12345679\r\n"));
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        // The parser reads every record as 4 fields.
        let recs = parse_csv(&csv).unwrap();
        assert_eq!(recs.len(), 1 + 4 + 4);
        assert!(recs.iter().all(|r| r.len() == 4));
        assert!(parse_csv("a,\"b").is_err());
        assert!(parse_csv("a,b\"c\"").is_err());
    }

    #[test]
    fn json_keeps_order_and_writes_non_finite_as_null() {
        let mut n = sample();
        n.metric("amplification", f64::INFINITY);
        let text = n.to_json();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["demo"], "toy");
        assert_eq!(v["metrics"]["accuracy"], 0.985);
        assert!(v["metrics"]["amplification"].is_null());
        assert!(text.find("deepfool").unwrap() < text.find("accuracy").unwrap());
        let back = Numbers::from_json(&text).unwrap();
        assert!(back.get("amplification").unwrap().is_nan());
        assert_eq!(back.tables, n.tables);
        assert_eq!(back.get("third"), Some(1.0 / 3.0));
        // Non-finite values survive the CSV as NaN / inf.
        let csv = Numbers::from_csv("toy", "", &n.to_csv()).unwrap();
        assert_eq!(csv.get("amplification"), Some(f64::INFINITY));
    }
}
