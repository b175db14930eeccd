//! What the panel's benchmarks share: a table row of percentiles.

use std::time::Duration;

/// p50, p90, p99 and max of `times`, in milliseconds, as a row of a Markdown table
/// (name, count, then the four).
pub fn row(name: &str, mut times: Vec<Duration>) -> String {
    times.sort_unstable();
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    format!(
        "| {name} | {} | {} | {} | {} | {} |",
        times.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(at(1.0))
    )
}
