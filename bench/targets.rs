//! The targets table of `bench/RESULTS.md`: each target the project set (the latest issue's
//! where one raised an earlier one), met or missed, for the rows the run measured.

use std::fmt::Write;

use crate::{
    load::Op,
    report::{Report, verdict},
};

impl Report {
    /// Writes the targets section.
    pub fn targets(&self, s: &mut String) {
        let _ = writeln!(s, "\n## Targets\n");
        let _ = writeln!(s, "| target | measured | verdict |\n|---|---|---|");
        let measured = |op: Op| self.ops.iter().any(|(o, ..)| *o == op);
        let ratio = |op: Op, at_least: f64| {
            let r = self.ratio(op);
            (format!("{r:.2}×"), r >= at_least)
        };
        let under = |op: Op, q: f64, ms: f64| {
            let v = self.quantile(op, q);
            (format!("{v:.1} ms"), v < ms)
        };
        let list = Op::ListPage("k10");
        let threads = Op::CollapsedPage("k10");
        let rows: [(&str, Op, (String, bool)); 12] = [
            ("list page: ≥ 1.5× direct", list, ratio(list, 1.5)),
            ("list page: p99 < 50 ms", list, under(list, 0.99, 50.0)),
            ("collapsed-thread page: p99 < 50 ms", threads, under(threads, 0.99, 50.0)),
            ("get message, repeated read: ≥ 0.9× direct", Op::GetMessage, ratio(Op::GetMessage, 0.9)),
            ("get message, first read: ≥ 0.7× direct", Op::FirstRead, ratio(Op::FirstRead, 0.7)),
            ("get message, first read: p99.9 < 1 s", Op::FirstRead, under(Op::FirstRead, 0.999, 1000.0)),
            ("get raw: ≥ 0.8× direct", Op::GetRaw, ratio(Op::GetRaw, 0.8)),
            ("search: ≥ 0.95× direct", Op::Search, ratio(Op::Search, 0.95)),
            ("flag update: ≥ 0.7× direct", Op::FlagUpdate, ratio(Op::FlagUpdate, 0.7)),
            ("flag update: p99 < 20 ms", Op::FlagUpdate, under(Op::FlagUpdate, 0.99, 20.0)),
            ("mixed: ≥ 0.8× direct", Op::Mixed, ratio(Op::Mixed, 0.8)),
            ("send 20 KB message: ≥ 0.7× direct", Op::Send, ratio(Op::Send, 0.7)),
        ];
        for (name, op, (value, ok)) in rows {
            if measured(op) {
                let _ = writeln!(s, "| {name} | {value} | {} |", verdict(ok));
            }
        }
        if !self.scale.is_empty() {
            let r = self.page_ratio();
            let _ = writeln!(s, "| page at 100k ≤ 1.5× page at 1k | {r:.2}× | {} |", verdict(r <= 1.5));
            let st = &self.stream;
            let growth = st.peak_kb.saturating_sub(st.before_kb) as f64 / 1024.0;
            let _ =
                writeln!(s, "| streaming 50 MB: RSS growth < 32 MB | {growth:.1} MiB | {} |", verdict(growth < 32.0));
        }
        let a = &self.accounts;
        if a.accounts > 0 {
            let all = a.open as usize >= a.accounts && a.open_after as usize >= a.accounts;
            let _ = writeln!(
                s,
                "| {} accounts: RSS < 300 MiB, every one connected | {:.1} MiB, {} then {} open | {} |",
                a.accounts,
                a.rss_kb.max(a.rss_after_kb) as f64 / 1024.0,
                a.open,
                a.open_after,
                verdict(a.rss_kb.max(a.rss_after_kb) < 300 * 1024 && all)
            );
            let p99 = a.page.quantile_ms(0.99);
            let _ = writeln!(
                s,
                "| {} accounts: page of a random one, p99 < 50 ms | {p99:.1} ms | {} |",
                a.accounts,
                verdict(p99 < 50.0 && a.page.errors == 0)
            );
        }
        if let Some((e, _)) = &self.e2e {
            let _ = writeln!(
                s,
                "| end-to-end delivery, send → recipient's event (median of {}) | {:.1} ms (p90 {:.1} ms) | no target set |",
                e.latencies.len(),
                e.quantile_ms(0.5),
                e.quantile_ms(0.9)
            );
        }
    }
}
