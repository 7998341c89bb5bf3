//! Charts: an SVG of offered load and successful throughput over time
//! (plotters, SVG backend only), and a text sparkline for the terminal.

use plotters::prelude::*;

use crate::{ServerReport, StormReport};

const WIDTH: u32 = 900;
const HEIGHT: u32 = 420;

/// The SVG chart of one server: offered load and goodput per second, with
/// and without the fix, the incident shaded and capacity as a line.
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
    let y_max = (top.max(server.capacity) * 1.1).max(1.0);
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
        type Line = (&'static str, Vec<(f64, f64)>, RGBColor, u32);
        let series: [Line; 5] = [
            (
                "capacity",
                vec![(0.0, cap), (secs as f64, cap)],
                RGBColor(90, 90, 90),
                1,
            ),
            ("offered (as written)", line(&a.offered), RED, 2),
            (
                "succeeded (as written)",
                line(&a.succeeded),
                RGBColor(230, 150, 0),
                1,
            ),
            ("offered (with fix)", line(&b.offered), BLUE, 2),
            (
                "succeeded (with fix)",
                line(&b.succeeded),
                RGBColor(0, 150, 60),
                1,
            ),
        ];
        for (label, points, color, width) in series {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(width)))
                .map_err(err)?
                .label(label)
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
