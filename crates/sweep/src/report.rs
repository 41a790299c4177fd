//! The evaluation as an HTML page with inline SVG plots (no scripts, no external files): the
//! headline figures, the precision-recall curve, and score histograms per role.

use crate::eval::{AccountEval, Prf, SweepTx, TimeToFlag, TxEval, thin};
use sluice_core::Role;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn row(out: &mut String, name: &str, p: &Prf) {
    let _ = write!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td></tr>",
        esc(name),
        p.tp,
        p.fp,
        p.fn_,
        p.precision(),
        p.recall(),
        p.f1()
    );
}

/// The PR curve as an SVG of `w`×`h` pixels.
pub fn pr_svg(curve: &[(f64, f64, f64)], w: f64, h: f64) -> String {
    let (l, b) = (40.0, 30.0);
    let (pw, ph) = (w - l - 10.0, h - b - 10.0);
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-size='11'>");
    let _ = write!(s, "<rect x='{l}' y='10' width='{pw}' height='{ph}' fill='none' stroke='#999'/>");
    for i in 0..=4 {
        let v = f64::from(i) / 4.0;
        let (x, y) = (l + v * pw, 10.0 + ph - v * ph);
        let _ = write!(s, "<text x='{x}' y='{}' text-anchor='middle'>{v:.2}</text>", h - 12.0);
        let _ = write!(s, "<text x='{}' y='{}' text-anchor='end'>{v:.2}</text>", l - 4.0, y + 4.0);
    }
    let _ = write!(s, "<text x='{}' y='{}' text-anchor='middle'>recall</text>", l + pw / 2.0, h - 1.0);
    let pts: Vec<String> = thin(curve, 600)
        .iter()
        .map(|&(r, p, _)| format!("{:.1},{:.1}", l + r * pw, 10.0 + ph - p * ph))
        .collect();
    let _ = write!(s, "<polyline fill='none' stroke='#c33' stroke-width='2' points='{}'/>", pts.join(" "));
    s.push_str("</svg>");
    s
}

/// Score histograms per role (log-scaled counts) as an SVG.
pub fn histogram_svg(hist: &[(Role, [u64; 20])], w: f64, h: f64) -> String {
    let colors = ["#888", "#c33", "#e80", "#a3c", "#36c", "#3a3"];
    let (l, b) = (40.0, 30.0);
    let (pw, ph) = (w - l - 130.0, h - b - 10.0);
    let max = hist.iter().flat_map(|(_, h)| h.iter()).copied().max().unwrap_or(1).max(1) as f64;
    let y = |c: u64| 10.0 + ph - ((c as f64 + 1.0).log10() / (max + 1.0).log10()) * ph;
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-size='11'>");
    let _ = write!(s, "<rect x='{l}' y='10' width='{pw}' height='{ph}' fill='none' stroke='#999'/>");
    for i in 0..=4 {
        let v = f64::from(i) / 4.0;
        let _ = write!(s, "<text x='{}' y='{}' text-anchor='middle'>{v:.2}</text>", l + v * pw, h - 12.0);
    }
    let _ = write!(
        s,
        "<text x='{}' y='{}' text-anchor='middle'>score (counts on a log scale)</text>",
        l + pw / 2.0,
        h - 1.0
    );
    for (k, (role, bins)) in hist.iter().enumerate() {
        let c = colors.get(k).copied().unwrap_or("#000");
        let pts: Vec<String> = bins
            .iter()
            .enumerate()
            .map(|(i, &n)| format!("{:.1},{:.1}", l + (i as f64 + 0.5) / 20.0 * pw, y(n)))
            .collect();
        let _ =
            write!(s, "<polyline fill='none' stroke='{c}' stroke-width='1.5' points='{}'/>", pts.join(" "));
        let _ = write!(
            s,
            "<text x='{}' y='{}' fill='{c}'>{}</text>",
            l + pw + 8.0,
            24.0 + 16.0 * k as f64,
            role.as_str()
        );
    }
    s.push_str("</svg>");
    s
}

/// The whole page.
pub fn html(
    title: &str,
    a: &AccountEval,
    tx: Option<&TxEval>,
    sweep_tx: Option<&SweepTx>,
    ttf: Option<&TimeToFlag>,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html><head><meta charset='utf-8'><title>{t}</title><style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}td:first-child{{text-align:left}}</style></head><body><h1>{t}</h1>",
        t = esc(title)
    );
    out.push_str("<h2>Operators</h2><table><tr><th></th><th>hits</th><th>false alarms</th><th>misses</th><th>precision</th><th>recall</th><th>F1</th></tr>");
    row(&mut out, "flagged (any action)", &a.flagged);
    row(&mut out, "restricted", &a.restricted);
    out.push_str("</table><h2>By role</h2><table><tr><th>role</th><th>accounts</th><th>flagged</th><th>restricted</th></tr>");
    for (r, c) in &a.by_role {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.as_str(),
            c[0],
            c[1],
            c[2]
        );
    }
    out.push_str("</table>");
    let _ = write!(out, "<h2>Precision-recall (average precision {:.4})</h2>", a.average_precision);
    out.push_str(&pr_svg(&a.pr_curve, 480.0, 360.0));
    out.push_str("<h2>Scores by role</h2>");
    out.push_str(&histogram_svg(&a.histogram, 640.0, 300.0));
    if let Some(t) = ttf {
        let _ = write!(
            out,
            "<h2>Time to first flag</h2><p>From an operator's first crypto-related payment to its flag, over {} flagged operators: median {:.1} h, 90th percentile {:.1} h, longest {:.1} h.</p>",
            t.operators, t.median_hours, t.p90_hours, t.max_hours
        );
    }
    if tx.is_some() || sweep_tx.is_some() {
        out.push_str("<h2>Transactions (crypto-related payments)</h2><table><tr><th></th><th>hits</th><th>false alarms</th><th>misses</th><th>precision</th><th>recall</th><th>F1</th></tr>");
        if let Some(t) = tx {
            row(&mut out, "inline: review or block", &t.flagged);
            row(&mut out, "inline: block", &t.blocked);
        }
        if let Some(t) = sweep_tx {
            row(&mut out, "a side restricted by the sweep", &t.restricted_side);
            row(
                &mut out,
                "stopped in operation (inline block, or restriction in force after the sweep that found it)",
                &t.stopped,
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}
