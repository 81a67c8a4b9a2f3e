//! Writing results: PNG figures and metrics.

use barriers_lab::render::raster::Canvas;
use serde_json::Value;
use std::path::Path;

/// Writes an RGBA canvas as a PNG file.
pub fn write_png(path: &Path, canvas: &Canvas) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        canvas.width as u32,
        canvas.height as u32,
    );
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| fail(&e))?;
    writer
        .write_image_data(&canvas.rgba)
        .map_err(|e| fail(&e))?;
    writer.finish().map_err(|e| fail(&e))
}

/// Creates the output folder.
pub fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Prints a JSON object as one line (`json`) or as `key: value` lines for a terminal.
pub fn print(v: &Value, json: bool) {
    if json {
        println!("{v}");
        return;
    }
    if let Value::Object(o) = v {
        for (k, v) in o {
            match v {
                Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() != 0.0) => {
                    println!("{k}: {:.6}", n.as_f64().unwrap_or(f64::NAN))
                }
                Value::String(s) => println!("{k}: {s}"),
                other => println!("{k}: {other}"),
            }
        }
    }
}
