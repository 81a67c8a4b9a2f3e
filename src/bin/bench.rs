//! Native side of `npm run bench`: times the kernels of `barriers_lab::bench` with the
//! system clock and prints the measurements as JSON (the page `www/bench.html` does the same
//! in Chromium).

use std::time::Instant;

fn main() {
    let samples = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(31);
    let filter = std::env::args().nth(2).unwrap_or_default();
    let start = Instant::now();
    let now = move || start.elapsed().as_secs_f64() * 1e3;
    let assets = barriers_lab::bench::BenchAssets::from_source_tree().unwrap_or_else(|e| {
        eprintln!("bench: {e}");
        std::process::exit(1)
    });
    let results = barriers_lab::bench::run_all(&assets, &now, samples, 20.0, &filter)
        .unwrap_or_else(|e| {
            eprintln!("bench: {e}");
            std::process::exit(1)
        });
    println!(
        "{}",
        serde_json::to_string_pretty(&results).expect("measurements serialise")
    );
}
