//! Model files: a network's architecture and weights, small and documented.
//!
//! ```text
//! barriers-lab-model 1\n          magic line and format version
//! {...}\n                         one line of JSON: the header (ModelHeader)
//! f32 little-endian values        every parameter, in Network::param_slices order
//! ```
//!
//! Weights are stored as f32 (half the size of f64, and far more precision than the attacks
//! can see); a loaded network computes in f64 from those rounded values, and the header's
//! accuracy is measured on exactly those values.

use crate::nn::layers::Shape;
use crate::nn::network::{LayerSpec, Network};
use crate::rng::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

const MAGIC: &str = "barriers-lab-model 1\n";

/// What a model file says about its network, besides the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    pub input: Shape,
    pub layers: Vec<LayerSpec>,
    pub n_params: usize,
    /// Free-form facts about how it was made (data set, model name, seed, epochs, accuracy).
    #[serde(default)]
    pub info: serde_json::Map<String, serde_json::Value>,
}

/// Rounds every weight to the nearest f32, as saving does.
pub fn round_to_f32(net: &mut Network) {
    for s in net.param_slices_mut() {
        for v in s.iter_mut() {
            *v = *v as f32 as f64;
        }
    }
}

/// The bytes of a file in the lab's weight-file layout: the magic line, one line of JSON
/// (the header), then every parameter as little-endian f32, slice after slice.
pub fn write_weights(magic: &str, header: &impl Serialize, params: &[&[f64]]) -> Vec<u8> {
    let count: usize = params.iter().map(|s| s.len()).sum();
    let mut out = Vec::with_capacity(magic.len() + 512 + 4 * count);
    out.extend_from_slice(magic.as_bytes());
    out.extend_from_slice(
        serde_json::to_string(header)
            .expect("header serialises")
            .as_bytes(),
    );
    out.push(b'\n');
    for s in params {
        for &v in *s {
            out.extend_from_slice(&(v as f32).to_le_bytes());
        }
    }
    out
}

/// Splits a file in that layout into its header (parsed) and its weight bytes; `what`
/// names the kind of file in the messages.
pub fn read_header<'a, H: DeserializeOwned>(
    bytes: &'a [u8],
    magic: &str,
    what: &str,
) -> Result<(H, &'a [u8]), String> {
    let rest = bytes.strip_prefix(magic.as_bytes()).ok_or_else(|| {
        format!(
            "not a Barriers Lab {what} (its first line should be '{}')",
            magic.trim_end()
        )
    })?;
    let nl = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| format!("the {what}'s header line is not terminated"))?;
    let header = serde_json::from_slice(&rest[..nl])
        .map_err(|e| format!("the {what}'s header is not valid: {e}"))?;
    Ok((header, &rest[nl + 1..]))
}

/// Fills the parameter slices from the weight bytes: exactly one f32 per parameter, each
/// finite.
pub fn read_weights(params: Vec<&mut [f64]>, data: &[u8], what: &str) -> Result<(), String> {
    let count: usize = params.iter().map(|s| s.len()).sum();
    if data.len() != 4 * count {
        return Err(format!(
            "expected {} bytes of weights, found {}",
            4 * count,
            data.len()
        ));
    }
    let mut values = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64);
    for s in params {
        for v in s.iter_mut() {
            *v = values.next().expect("length checked");
            if !v.is_finite() {
                return Err(format!(
                    "the {what} holds a weight that is not a finite number"
                ));
            }
        }
    }
    Ok(())
}

/// Appends values as little-endian f64, every bit kept (for shipped results that must equal a
/// recomputation exactly, where f32 would round them).
pub fn push_f64(out: &mut Vec<u8>, values: &[f64]) {
    out.reserve(8 * values.len());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads `count` little-endian f64 values, each finite, from the front of `data`; returns them
/// and the bytes after them. `what` names the file in the messages.
pub fn take_f64<'a>(
    data: &'a [u8],
    count: usize,
    what: &str,
) -> Result<(Vec<f64>, &'a [u8]), String> {
    if data.len() < 8 * count {
        return Err(format!(
            "the {what} ends early: {} more bytes expected, {} found",
            8 * count,
            data.len()
        ));
    }
    let (head, rest) = data.split_at(8 * count);
    let values: Vec<f64> = head
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(format!(
            "the {what} holds a value that is not a finite number"
        ));
    }
    Ok((values, rest))
}

/// The bytes of a model file for `net` (weights rounded to f32).
pub fn to_bytes(net: &Network, info: serde_json::Map<String, serde_json::Value>) -> Vec<u8> {
    let header = ModelHeader {
        input: net.input,
        layers: net.spec(),
        n_params: net.n_params(),
        info,
    };
    write_weights(MAGIC, &header, &net.param_slices())
}

/// Reads a model file; every way it can be malformed is an error with a message.
pub fn from_bytes(bytes: &[u8]) -> Result<(Network, ModelHeader), String> {
    let (header, data): (ModelHeader, _) = read_header(bytes, MAGIC, "model file")?;
    // Build the architecture (weights are overwritten below), checking that it fits together.
    let mut net = Network::from_spec(header.input, &header.layers, &mut Rng::new(0))?;
    if net.n_params() != header.n_params {
        return Err(format!(
            "the header says {} parameters but the layers have {}",
            header.n_params,
            net.n_params()
        ));
    }
    read_weights(net.param_slices_mut(), data, "model file")?;
    Ok((net, header))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Activation;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn round_trip_keeps_the_f32_weights_exactly() {
        let mut rng = Rng::new(3);
        let spec = [
            LayerSpec::Conv {
                c_in: 1,
                c_out: 2,
                k: 3,
            },
            LayerSpec::Act(Activation::Relu),
            LayerSpec::MaxPool,
            LayerSpec::Dense {
                inputs: 2 * 2 * 2,
                outputs: 3,
            },
        ];
        let mut net = Network::from_spec(Shape::new(1, 4, 4), &spec, &mut rng).unwrap();
        let mut info = serde_json::Map::new();
        info.insert("seed".into(), 3.into());
        let bytes = to_bytes(&net, info.clone());
        let (back, header) = from_bytes(&bytes).unwrap();
        round_to_f32(&mut net);
        assert_eq!(back, net);
        assert_eq!(header.info, info);
        assert_eq!(
            bytes.len(),
            MAGIC.len()
                + bytes[MAGIC.len()..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap()
                + 1
                + 4 * net.n_params()
        );
    }

    #[test]
    fn f64_values_round_trip_exactly_and_short_data_is_refused() {
        let values = [0.1, -1.0 / 3.0, f64::MIN_POSITIVE, 1e300];
        let mut bytes = Vec::new();
        push_f64(&mut bytes, &values);
        bytes.push(7);
        let (back, rest) = take_f64(&bytes, 4, "test file").unwrap();
        assert_eq!(back, values);
        assert_eq!(rest, [7]);
        assert!(take_f64(&bytes, 5, "test file")
            .unwrap_err()
            .contains("ends early"));
        let mut nan = Vec::new();
        push_f64(&mut nan, &[f64::NAN]);
        assert!(take_f64(&nan, 1, "test file").is_err());
    }

    #[test]
    fn malformed_files_are_refused_with_a_reason() {
        let net = Network::mlp(&[3, 2], Activation::Relu, &mut Rng::new(1));
        let good = to_bytes(&net, Default::default());
        assert!(from_bytes(b"hello")
            .unwrap_err()
            .contains("not a Barriers Lab model file"));
        assert!(from_bytes(&good[..good.len() - 1])
            .unwrap_err()
            .contains("bytes of weights"));
        let mut nan = good.clone();
        let n = nan.len();
        nan[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(from_bytes(&nan)
            .unwrap_err()
            .contains("not a finite number"));
        let text = String::from_utf8_lossy(&good).replace("\"n_params\":8", "\"n_params\":9");
        assert!(from_bytes(text.as_bytes()).is_err());
        let bad_arch = format!("{MAGIC}{{\"input\":{{\"c\":5,\"h\":1,\"w\":1}},\"layers\":[{{\"dense\":{{\"inputs\":3,\"outputs\":2}}}}],\"n_params\":8}}\n");
        assert!(from_bytes(bad_arch.as_bytes())
            .unwrap_err()
            .contains("takes 3 inputs but receives 5"));
    }
}
