//! Percentiles and rates of a run.

use std::time::Duration;

use serde_json::{Value, json};

/// p50/p99 (ms) of the samples, and how many per second over `wall`.
pub fn summary(mut samples: Vec<Duration>, wall: Duration) -> Value {
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    json!({
        "count": samples.len(),
        "p50_ms": round(at(0.50)),
        "p99_ms": round(at(0.99)),
        "per_second": round(samples.len() as f64 / wall.as_secs_f64()),
    })
}

pub fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A process's memory figure from /proc (`VmHWM` peak, `VmRSS` now), in MiB.
pub fn proc_mib(pid: &str, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(round(kib / 1024.0))
}

/// A small per-task generator of ids (no shared state, no extra crate).
pub struct Ids(u64);

impl Ids {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self, max: u64) -> u64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_rate() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let s = summary(samples, Duration::from_secs(2));
        assert_eq!(s["p50_ms"], 51.0);
        assert_eq!(s["p99_ms"], 99.0);
        assert_eq!(s["per_second"], 50.0);
    }

    #[test]
    fn ids_stay_in_range() {
        let mut ids = Ids::new(7);
        assert!(
            (0..10_000)
                .map(|_| ids.next(5))
                .all(|i| (1..=5).contains(&i))
        );
    }
}
