//! Charts: an SVG of offered load and successful throughput over time
//! (plotters, SVG backend only), and a text sparkline for the terminal.

use plotters::prelude::*;

use crate::{ServerReport, StormReport};

const WIDTH: u32 = 900;
const HEIGHT: u32 = 420;

/// The SVG chart of one server: offered load and goodput per second, with
/// and without the fix, the incident shaded, capacity and the
/// `max_load_factor` bound as lines; a line drawn over another it
/// coincides with says so in the legend.
pub fn svg(report: &StormReport, server: &ServerReport) -> Result<String, String> {
    let a = &report.runs.0.servers[server.index];
    let b = &report.runs.1.servers[server.index];
    let secs = a.offered.len().max(1);
    let top = a
        .offered
        .iter()
        .chain(&b.offered)
        .copied()
        .max()
        .unwrap_or(0) as f64;
    let bound = server.capacity * server.max_load_factor;
    let y_max = (top.max(bound) * 1.1).max(1.0);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{}: {}", server.name, report.scenario.describe()),
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..secs as f64, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("requests per second")
            .light_line_style(WHITE)
            .draw()
            .map_err(err)?;
        let sc = &report.scenario;
        let (x0, x1) = (
            sc.incident_start_ms as f64 / 1000.0,
            (sc.incident_end_ms() as f64 / 1000.0).min(secs as f64),
        );
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x1, y_max)],
                RGBColor(200, 200, 200).mix(0.4).filled(),
            )))
            .map_err(err)?
            .label("incident")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 16, y + 5)],
                    RGBColor(200, 200, 200).filled(),
                )
            });
        let line = |v: &[u64]| -> Vec<(f64, f64)> {
            v.iter()
                .enumerate()
                .map(|(i, &n)| (i as f64 + 0.5, n as f64))
                .collect()
        };
        let cap = server.capacity;
        let mut series: Vec<Line> = vec![
            Line::new(
                "capacity".into(),
                vec![(0.0, cap), (secs as f64, cap)],
                RGBColor(90, 90, 90),
                1,
            ),
            Line::new(
                format!(
                    "bound: max_load_factor {}x = {:.0}/s",
                    server.max_load_factor, bound
                ),
                vec![(0.0, bound), (secs as f64, bound)],
                RGBColor(150, 0, 150),
                1,
            ),
            Line::new("offered (as written)".into(), line(&a.offered), RED, 2),
            Line::new(
                "succeeded (as written)".into(),
                line(&a.succeeded),
                RGBColor(230, 150, 0),
                1,
            ),
            Line::new("offered (with fix)".into(), line(&b.offered), BLUE, 2),
            Line::new(
                "succeeded (with fix)".into(),
                line(&b.succeeded),
                RGBColor(0, 150, 60),
                1,
            ),
        ];
        note_coinciding(&mut series, y_max);
        for l in series {
            let color = l.color;
            chart
                .draw_series(LineSeries::new(l.points, color.stroke_width(l.width)))
                .map_err(err)?
                .label(l.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// One line of the chart and its legend entry.
struct Line {
    label: String,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    width: u32,
}

impl Line {
    fn new(label: String, points: Vec<(f64, f64)>, color: RGBColor, width: u32) -> Self {
        Line {
            label,
            points,
            color,
            width,
        }
    }
}

/// Two lines closer than this share of the chart's height at every second
/// are drawn on top of each other.
const COINCIDE: f64 = 0.005;

/// Name, in the legend of a line drawn over an earlier one it coincides
/// with, the lines it hides, so that no line silently disappears.
fn note_coinciding(lines: &mut [Line], y_max: f64) {
    let same = |a: &Line, b: &Line| {
        a.points.len() == b.points.len()
            && a.points
                .iter()
                .zip(&b.points)
                .all(|(p, q)| (p.0 - q.0).abs() < 1e-9 && (p.1 - q.1).abs() <= COINCIDE * y_max)
    };
    let base: Vec<String> = lines.iter().map(|l| l.label.clone()).collect();
    for i in 1..lines.len() {
        let hidden: Vec<&str> = (0..i)
            .filter(|&j| same(&lines[j], &lines[i]))
            .map(|j| base[j].as_str())
            .collect();
        if !hidden.is_empty() {
            let note = format!(" (covers {}: the same line)", hidden.join(", "));
            lines[i].label.push_str(&note);
        }
    }
}

/// Several charts in one SVG, one under the other (each keeps its own
/// drawing: it becomes a nested `<svg>` placed at its row).
pub fn stack(charts: &[String]) -> String {
    let height = HEIGHT as usize * charts.len().max(1);
    let mut out = format!(
        "<svg width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    for (i, svg) in charts.iter().enumerate() {
        let y = HEIGHT as usize * i;
        match svg.strip_prefix("<svg") {
            Some(rest) => out.push_str(&format!("<svg y=\"{y}\"{rest}")),
            None => out.push_str(svg),
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push_str("</svg>\n");
    out
}

fn err(e: impl std::fmt::Display) -> String {
    format!("cannot draw the chart: {e}")
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character per group of seconds (the group's maximum), scaled to `top`.
pub fn sparkline(values: &[u64], width: usize, top: u64) -> String {
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let group = values.len().div_ceil(width);
    values
        .chunks(group)
        .map(|c| {
            let v = c.iter().copied().max().unwrap_or(0);
            match (v.saturating_mul(7) + top / 2).checked_div(top) {
                Some(i) => BARS[(i as usize).min(7)],
                None => BARS[0],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_and_groups() {
        assert_eq!(sparkline(&[0, 50, 100], 3, 100), "▁▅█");
        assert_eq!(sparkline(&[0, 100, 0, 0], 2, 100), "█▁");
        assert_eq!(sparkline(&[], 10, 1), "");
    }
}
