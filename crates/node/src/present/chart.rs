//! Line charts as standalone SVG 1.1 text: one series per panel, panels stacked vertically and sharing
//! the x axis, with optional dashed vertical markers. Presentation only, so floats are fine here; the
//! output is deterministic (same input, same bytes: every number is written with a fixed precision).

/// One panel's series. A point whose value is `None` (or not finite) is a gap: the line breaks there.
pub struct Series {
    pub label: String,
    pub unit: String,
    /// (x label, e.g. "2026-01-05"; value). Panels share the x axis by index.
    pub points: Vec<(String, Option<f64>)>,
    /// Decimals on y tick labels; more are used when the tick step needs them.
    pub decimals: usize,
}

/// A dashed vertical line across all panels at a point index, with a small label.
pub struct Marker {
    pub x_index: usize,
    pub label: String,
}

const LEFT: f64 = 72.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 34.0;
const GAP: f64 = 16.0;
const HEADER: f64 = 18.0;
const MAX_X_LABELS: usize = 8;
const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/// Renders `panels` as one SVG, `width` wide and `height_per_panel` tall per panel (clamped to a
/// usable minimum). No panels, or no points at all, give a valid SVG that says "no data".
pub fn panels_svg(title: &str, panels: &[Series], markers: &[Marker], width: u32, height_per_panel: u32) -> String {
    let w = f64::from(width.max(240));
    let ph = f64::from(height_per_panel.max(90));
    let n = panels.iter().map(|s| s.points.len()).max().unwrap_or(0);
    let count = panels.len().max(1);
    let h = TOP + ph * count as f64 + GAP * (count - 1) as f64 + BOTTOM;
    let pw = w - LEFT - RIGHT;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w:.0}\" height=\"{h:.0}\" \
         viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w:.0}\" height=\"{h:.0}\" fill=\"#ffffff\"/>\n\
         <text x=\"{LEFT:.0}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
        esc(title)
    );
    if n == 0 {
        out += &no_data(LEFT, TOP + HEADER, pw, ph - HEADER);
        out += "</svg>\n";
        return out;
    }
    let x_at = |i: usize| if n == 1 { LEFT + pw / 2.0 } else { LEFT + pw * i as f64 / (n - 1) as f64 };
    let max_labels = MAX_X_LABELS.min((pw / 70.0) as usize).max(1);
    let x_step = n.div_ceil(max_labels);
    let labelled: Vec<usize> = (0..n).step_by(x_step).collect();
    for (p, s) in panels.iter().enumerate() {
        let top = TOP + p as f64 * (ph + GAP);
        let (y0, plot_h) = (top + HEADER, ph - HEADER);
        let heading = if s.unit.is_empty() { esc(&s.label) } else { format!("{} ({})", esc(&s.label), esc(&s.unit)) };
        out += &format!("<text x=\"{LEFT:.0}\" y=\"{:.2}\" font-weight=\"bold\">{heading}</text>\n", top + 12.0);
        let values: Vec<f64> = s.points.iter().filter_map(|p| p.1.filter(|v| v.is_finite())).collect();
        let (Some(lo), Some(hi)) = (values.iter().copied().reduce(f64::min), values.iter().copied().reduce(f64::max))
        else {
            out += &no_data(LEFT, y0, pw, plot_h);
            continue;
        };
        let t = nice_ticks(lo, hi, s.decimals);
        if let Some(v) = s.points.iter().rev().find_map(|p| p.1.filter(|v| v.is_finite())) {
            let last = format!("last {:.*}", s.decimals.min(12), v);
            out += &format!("<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\">{last}</text>\n", LEFT + pw, top + 12.0);
        }
        let y_at = |v: f64| y0 + plot_h - (v - t.lo) / (t.hi - t.lo) * plot_h;
        for &v in &t.values {
            let y = y_at(v);
            out += &format!(
                "<line x1=\"{LEFT:.2}\" y1=\"{y:.2}\" x2=\"{:.2}\" y2=\"{y:.2}\" stroke=\"#e0e0e0\"/>\n\
                 <text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\">{:.*}</text>\n",
                LEFT + pw,
                LEFT - 6.0,
                y + 4.0,
                t.decimals,
                v
            );
        }
        for &i in &labelled {
            let x = x_at(i);
            out += &format!(
                "<line x1=\"{x:.2}\" y1=\"{y0:.2}\" x2=\"{x:.2}\" y2=\"{:.2}\" stroke=\"#f0f0f0\"/>\n",
                y0 + plot_h
            );
        }
        out += &format!(
            "<rect x=\"{LEFT:.2}\" y=\"{y0:.2}\" width=\"{pw:.2}\" height=\"{plot_h:.2}\" fill=\"none\" stroke=\"#888888\"/>\n"
        );
        let colour = COLOURS[p % COLOURS.len()];
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (i, (_, v)) in s.points.iter().enumerate() {
            match v.filter(|v| v.is_finite()) {
                Some(v) => run.push((x_at(i), y_at(v))),
                None => out += &flush(&mut run, colour),
            }
        }
        out += &flush(&mut run, colour);
    }
    let bottom = TOP + count as f64 * ph + (count - 1) as f64 * GAP;
    if let Some(longest) = panels.iter().find(|s| s.points.len() == n) {
        for &i in &labelled {
            out += &format!(
                "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\">{}</text>\n",
                x_at(i),
                bottom + 16.0,
                esc(&longest.points[i].0)
            );
        }
    }
    for (k, m) in markers.iter().filter(|m| m.x_index < n).enumerate() {
        let x = x_at(m.x_index);
        out += &format!(
            "<line x1=\"{x:.2}\" y1=\"{:.2}\" x2=\"{x:.2}\" y2=\"{bottom:.2}\" stroke=\"#555555\" stroke-dasharray=\"4 3\"/>\n\
             <text x=\"{:.2}\" y=\"{:.2}\" font-size=\"9\" fill=\"#555555\">{}</text>\n",
            TOP + HEADER,
            x + 3.0,
            TOP + HEADER + 10.0 + (k % 3) as f64 * 11.0,
            esc(&m.label)
        );
    }
    out += "</svg>\n";
    out
}

/// A y axis: its bounds, the tick values on it (1-2-5 steps, three to nine of them), and label decimals.
#[derive(Debug, PartialEq)]
struct Ticks {
    lo: f64,
    hi: f64,
    values: Vec<f64>,
    decimals: usize,
}

/// Ticks covering `lo..=hi`. A flat (or nearly flat) range is padded by one unit of the last decimal.
fn nice_ticks(lo: f64, hi: f64, decimals: usize) -> Ticks {
    let decimals = decimals.min(12);
    let (lo, hi) = if hi - lo > lo.abs().max(hi.abs()) * 1e-12 {
        (lo, hi)
    } else {
        let pad = 10f64.powi(-(decimals as i32)).max(lo.abs() * 1e-9);
        (lo - pad, hi + pad)
    };
    let raw = (hi - lo) / 4.0;
    if !(raw.is_finite() && raw >= f64::MIN_POSITIVE) {
        return Ticks { lo, hi, values: vec![lo, hi], decimals };
    }
    let mut exp = raw.log10().floor() as i32;
    let norm = raw / 10f64.powi(exp);
    let mult: i64 = match norm {
        x if x < 1.5 => 1,
        x if x < 3.0 => 2,
        x if x < 7.0 => 5,
        _ => {
            exp += 1;
            1
        }
    };
    let step = mult as f64 * 10f64.powi(exp);
    let (k0, k1) = ((lo / step + 1e-9).floor() as i64, (hi / step - 1e-9).ceil() as i64);
    if k1.saturating_sub(k0) > 20 {
        return Ticks { lo, hi, values: vec![lo, hi], decimals };
    }
    // k · mult / 10^-exp rather than k · step: exact decimals such as 0.9999 come out as close as f64 allows.
    let value = |k: i64| {
        let units = (k * mult) as f64;
        if exp < 0 {
            units / 10f64.powi(-exp)
        } else {
            units * 10f64.powi(exp)
        }
    };
    let values: Vec<f64> = (k0..=k1).map(value).collect();
    Ticks { lo: value(k0), hi: value(k1), values, decimals: decimals.max((-exp).max(0) as usize) }
}

/// Draws a run of consecutive points (a polyline, or a dot for a lone point) and empties it.
fn flush(run: &mut Vec<(f64, f64)>, colour: &str) -> String {
    let s = match run.as_slice() {
        [] => String::new(),
        [(x, y)] => format!("<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"2\" fill=\"{colour}\"/>\n"),
        pts => {
            let coords: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
            format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>\n",
                coords.join(" ")
            )
        }
    };
    run.clear();
    s
}

fn no_data(x: f64, y: f64, w: f64, h: f64) -> String {
    format!(
        "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" fill=\"none\" stroke=\"#888888\"/>\n\
         <text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\" fill=\"#888888\">no data</text>\n",
        x + w / 2.0,
        y + h / 2.0
    )
}

/// XML-escapes text for element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(label: &str, values: &[Option<f64>], decimals: usize) -> Series {
        let points =
            values.iter().enumerate().map(|(i, v)| (format!("2026-{:02}-{:02}", i / 28 + 1, i % 28 + 1), *v)).collect();
        Series { label: label.into(), unit: "%".into(), points, decimals }
    }

    /// Every opened tag is closed in order (self-closing tags count as both); text has no bare `<`.
    fn assert_balanced(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        let mut stack: Vec<&str> = Vec::new();
        for tag in svg.split('<').skip(1).map(|t| &t[..t.find('>').expect("tag closes")]) {
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "{svg}");
            } else if !tag.ends_with('/') {
                stack.push(tag.split(' ').next().unwrap());
            }
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    fn nav_and_yield() -> Vec<Series> {
        let nav: Vec<Option<f64>> = (0..90).map(|i| Some(0.9999 + f64::from(i % 7) * 0.00005)).collect();
        let yld: Vec<Option<f64>> = (0..90).map(|i| Some(4.05 + f64::from(i) * 0.006)).collect();
        let mut panels = vec![series("NAV per share", &nav, 4), series("Daily yield", &yld, 2)];
        panels[0].unit = "USD".into();
        panels
    }

    #[test]
    fn structure_is_balanced_with_one_polyline_per_panel() {
        let marks = [Marker { x_index: 30, label: "payout".into() }, Marker { x_index: 500, label: "off".into() }];
        let svg = panels_svg("Fund F", &nav_and_yield(), &marks, 800, 200);
        assert_balanced(&svg);
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\"") && svg.contains("viewBox=\"0 0 800 484\""));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("stroke-dasharray").count(), 1, "out-of-range marker skipped");
        let x_labels = svg.matches(">2026-").count();
        assert!((2..=MAX_X_LABELS).contains(&x_labels), "{x_labels} x labels");
    }

    #[test]
    fn labels_are_escaped() {
        let mut s = series("a<b & c>d", &[Some(1.0), Some(2.0)], 1);
        s.points[0].0 = "<x&y>".into();
        let svg = panels_svg("T<&>\"", &[s], &[Marker { x_index: 1, label: "<m>".into() }], 400, 120);
        assert_balanced(&svg);
        assert!(svg.contains("T&lt;&amp;&gt;&quot;") && svg.contains("a&lt;b &amp; c&gt;d"));
        assert!(svg.contains("&lt;x&amp;y&gt;") && svg.contains("&lt;m&gt;"));
        assert!(!svg.contains("<b ") && !svg.contains("<m>"));
    }

    #[test]
    fn flat_series_is_padded() {
        let svg = panels_svg("flat", &[series("NAV", &[Some(1.0); 10], 4)], &[], 600, 150);
        assert_balanced(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let t = nice_ticks(1.0, 1.0, 4);
        assert!(t.lo < 1.0 && t.hi > 1.0 && t.values.len() >= 2, "{t:?}");
        let zero = nice_ticks(0.0, 0.0, 0);
        assert!(zero.lo < 0.0 && zero.hi > 0.0, "{zero:?}");
        assert_eq!(nice_ticks(-f64::MAX, f64::MAX, 2).values.len(), 2, "overflowing range: no panic");
    }

    #[test]
    fn missing_point_breaks_the_line() {
        let svg =
            panels_svg("gap", &[series("y", &[Some(1.0), Some(2.0), None, Some(3.0), Some(2.5)], 1)], &[], 600, 150);
        assert_eq!(svg.matches("<polyline").count(), 2);
        let lone = panels_svg("lone", &[series("y", &[Some(1.0), None, Some(3.0), f64::NAN.into()], 1)], &[], 600, 150);
        assert_eq!((lone.matches("<polyline").count(), lone.matches("<circle").count()), (0, 2));
        assert!(!lone.contains("NaN"));
    }

    #[test]
    fn ticks_use_1_2_5_steps() {
        let t = nice_ticks(0.9999, 1.0002, 4);
        assert_eq!(t.values, vec![0.9999, 1.0, 1.0001, 1.0002]);
        assert_eq!((t.lo, t.hi, t.decimals), (0.9999, 1.0002, 4));
        let t = nice_ticks(4.05, 4.60, 2);
        assert_eq!(t.values, vec![4.0, 4.1, 4.2, 4.3, 4.4, 4.5, 4.6]);
        let t = nice_ticks(1.10, 1.12, 4);
        assert_eq!(t.values, vec![1.1, 1.105, 1.11, 1.115, 1.12]);
        let t = nice_ticks(0.99995, 1.00005, 4);
        assert_eq!((t.values.len(), t.decimals), (7, 5), "{t:?}");
        let labels: Vec<String> = t.values.iter().map(|v| format!("{v:.*}", t.decimals)).collect();
        assert_eq!(labels[..3], ["0.99994", "0.99996", "0.99998"]);
        let t = nice_ticks(-3.0, 17.0, 0);
        assert_eq!(t.values, vec![-5.0, 0.0, 5.0, 10.0, 15.0, 20.0]);
    }

    #[test]
    fn empty_input_says_no_data() {
        for svg in [
            panels_svg("none", &[], &[], 800, 200),
            panels_svg("empty", &[series("y", &[], 2)], &[Marker { x_index: 0, label: "m".into() }], 800, 200),
            panels_svg("gaps", &[series("y", &[None, None], 2)], &[], 0, 0),
        ] {
            assert_balanced(&svg);
            assert!(svg.contains(">no data<") && !svg.contains("<polyline"), "{svg}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let marks = [Marker { x_index: 45, label: "breaker tripped".into() }];
        let a = panels_svg("Fund F", &nav_and_yield(), &marks, 800, 200);
        assert_eq!(a, panels_svg("Fund F", &nav_and_yield(), &marks, 800, 200));
    }

    /// `cargo test -p tessera-cli --lib chart -- --ignored` writes an example to look at.
    #[test]
    #[ignore]
    fn write_example() {
        let mut panels = nav_and_yield();
        panels[1].points[60].1 = None;
        let marks = [Marker { x_index: 30, label: "payout".into() }, Marker { x_index: 70, label: "breaker".into() }];
        let path = std::env::temp_dir().join("chart-example.svg");
        std::fs::write(&path, panels_svg("Fund F — 90 days", &panels, &marks, 800, 200)).unwrap();
    }
}
