//! Prometheus metrics: a small registry of labelled counters and histograms, one per
//! process (shared by the HTTP layer and the IMAP connections), rendered in the text
//! exposition format. Label values never carry caller data beyond route templates.

use std::{collections::BTreeMap, fmt::Write as _, sync::Mutex, time::Duration};

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// What each metric is.
const HELP: [(&str, &str, &str); 8] = [
    ("http_requests_total", "counter", "HTTP requests by method, route template and status"),
    ("http_request_duration_seconds", "histogram", "HTTP request latency by method and route template"),
    ("imap_commands_total", "counter", "IMAP commands by name and outcome (ok, no, bad, error)"),
    ("imap_command_duration_seconds", "histogram", "IMAP command latency by name"),
    ("imap_logins_total", "counter", "IMAP logins by outcome"),
    ("imap_connections_discarded_total", "counter", "IMAP connections thrown away, by reason"),
    ("upstream_errors_total", "counter", "Answers caused by the IMAP server failing, by problem type"),
    ("login_rate_limited_total", "counter", "Logins refused with 429, by the limit hit"),
];

#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

type Key = (&'static str, String);

#[derive(Debug, Default)]
struct Families {
    counters: BTreeMap<Key, u64>,
    histograms: BTreeMap<Key, Histogram>,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Families>,
}

/// `k1="v1",k2="v2"`, with `\`, `"` and newlines escaped, built in one string.
fn label_text(labels: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(labels.iter().map(|(k, v)| k.len() + v.len() + 4).sum());
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(&self, name: &'static str, labels: &[(&str, &str)]) {
        let key = (name, label_text(labels));
        let mut f = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *f.counters.entry(key).or_default() += 1;
    }

    /// Records a duration in a histogram.
    pub fn observe(&self, name: &'static str, labels: &[(&str, &str)], d: Duration) {
        let secs = d.as_secs_f64();
        let key = (name, label_text(labels));
        let mut f = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let h = f.histograms.entry(key).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// The value of a counter (tests).
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let f = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f.counters.iter().find(|((n, l), _)| *n == name && *l == label_text(labels)).map_or(0, |(_, v)| *v)
    }

    /// The text exposition, with `sampled` (name, kind, help, value) read by the caller: gauges,
    /// and counters kept elsewhere (the caches' hits and misses).
    pub fn render(&self, sampled: &[(&str, &str, &str, u64)]) -> String {
        let f = self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone_view();
        let mut out = String::new();
        for (name, kind, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((n, labels), v) in &f.counters {
                if *n == name {
                    let _ = writeln!(out, "{name}{{{labels}}} {v}");
                }
            }
            for ((n, labels), h) in &f.histograms {
                if *n != name {
                    continue;
                }
                let sep = if labels.is_empty() { "" } else { "," };
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}", h.counts[i]);
                }
                let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
                let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
            }
        }
        for (name, kind, help, value) in sampled {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}

impl Families {
    fn clone_view(&self) -> Families {
        Families { counters: self.counters.clone(), histograms: self.histograms.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_the_text_format() {
        let m = Metrics::default();
        m.inc("http_requests_total", &[("method", "GET"), ("route", "/v1/x"), ("status", "200")]);
        m.inc("http_requests_total", &[("method", "GET"), ("route", "/v1/x"), ("status", "200")]);
        m.inc("imap_logins_total", &[("outcome", "fail\"ed")]);
        m.inc("imap_logins_total", &[("outcome", "a\\b\nc")]);
        m.observe("http_request_duration_seconds", &[("method", "GET"), ("route", "/v1/x")], Duration::from_millis(3));
        let text = m.render(&[
            ("imap_pool_accounts", "gauge", "Accounts with a pool", 2),
            ("imap_message_cache_hits_total", "counter", "Reads served from the message cache", 5),
        ]);
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/v1/x\",status=\"200\"} 2\n"), "{text}");
        assert!(text.contains("imap_logins_total{outcome=\"fail\\\"ed\"} 1\n"));
        assert!(text.contains("imap_logins_total{outcome=\"a\\\\b\\nc\"} 1\n"), "{text}");
        assert!(
            text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/x\",le=\"0.0025\"} 0\n")
        );
        assert!(text.contains("http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/x\",le=\"0.005\"} 1\n"));
        assert!(text.contains("http_request_duration_seconds_count{method=\"GET\",route=\"/v1/x\"} 1\n"));
        assert!(text.contains("# TYPE imap_pool_accounts gauge\nimap_pool_accounts 2\n"));
        assert!(text.contains("# TYPE imap_message_cache_hits_total counter\nimap_message_cache_hits_total 5\n"));
        assert_eq!(m.counter("http_requests_total", &[("method", "GET"), ("route", "/v1/x"), ("status", "200")]), 2);
    }
}
