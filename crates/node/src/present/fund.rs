//! A fund's chart (`tessera report fund` and the console's fund page draw the same one): NAV
//! per share of each class, the fund's gross yield and the first stable class's net daily
//! yield, with markers where the breaker tripped and where payouts were made.

use super::chart::{panels_svg, Marker, Series};
use crate::query::FundReport;
use tessera_core::{Symbol, Time};

/// A valuation day as the chart and the report label it: `2026-01-05`.
pub fn date(t: Time) -> String {
    let (y, m, d, ..) = t.to_civil();
    format!("{y:04}-{m:02}-{d:02}")
}

/// The chart: NAV per share of each class and the first stable class's net daily yield.
/// Floats are for drawing only.
pub fn svg(r: &FundReport) -> String {
    let mut panels = Vec::new();
    let class_names: Vec<Symbol> =
        r.days.last().map(|d| d.classes.iter().map(|c| c.asset.clone()).collect()).unwrap_or_default();
    for name in &class_names {
        panels.push(Series {
            label: if r.income.is_empty() {
                format!("{name} NAV per share")
            } else {
                format!("{name} NAV per share (market: the shadow NAV of a stable class)")
            },
            unit: "USD".into(),
            points: r
                .days
                .iter()
                .map(|d| {
                    let v = d.classes.iter().find(|c| &c.asset == name).map(|c| c.nav_per_share as f64 / 1e8);
                    (date(d.at), v)
                })
                .collect(),
            decimals: 5,
        });
    }
    panels.push(Series {
        label: "fund gross yield (oracle median)".into(),
        unit: "% a year".into(),
        points: r.days.iter().map(|d| (date(d.at), d.gross_yield.map(|g| g as f64 / 1e6))).collect(),
        decimals: 3,
    });
    if let Some(first) = class_names.first() {
        panels.push(Series {
            label: format!("{first} net daily yield, annualised"),
            unit: "% a year".into(),
            points: r
                .days
                .iter()
                .map(|d| {
                    let v = d.classes.iter().find(|c| &c.asset == first).map(|c| c.rate_ppb as f64 / 1e7);
                    (date(d.at), v.filter(|x| *x > 0.0))
                })
                .collect(),
            decimals: 3,
        });
    }
    let mut markers = Vec::new();
    for (i, d) in r.days.iter().enumerate() {
        if d.halted && (i == 0 || !r.days[i - 1].halted) {
            markers.push(Marker { x_index: i, label: "breaker".into() });
        }
        if r.payouts.iter().any(|p| p.day == d.at) {
            markers.push(Marker { x_index: i, label: "payout".into() });
        }
    }
    panels_svg(&format!("{} — {}", r.fund, r.name), &panels, &markers, 960, 180)
}
