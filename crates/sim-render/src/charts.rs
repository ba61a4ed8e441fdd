//! Charts, drawn with plotters: every chart hasim draws, as SVG text here
//! (no I/O, so an embedder gets the report's charts) and on any plotters
//! backend through [`Chart::draw`] (the CLI draws PNG files with it).
//!
//! - `run` and `compare`: recovery-time CDF per service (or design) on a
//!   log time axis, and downtime per year by cause.
//! - `sweep`: availability against the first swept parameter, with 95% CI
//!   bars, one series per service.
//! - `scenario` and `run --trace`: a Gantt strip per element, cluster state
//!   and service, dark where it is down.
//! - `plan --target`: cost against downtime, with the Pareto frontier.
//!
//! Plotters measures text with a registered font, for SVG as well as for
//! bitmaps, so the text layout (and so the bytes of every chart) depends on
//! the font. The font is compiled in (DejaVu Sans, under the Bitstream Vera
//! licence in `fonts/LICENSE`) rather than looked up on the system: charts
//! are the same bytes on every machine, and a machine without fonts can
//! still draw them.

use plotters::coord::Shift;
use plotters::prelude::*;
use sim_core::export::Document;
use sim_core::model::design::DesignSpace;
use sim_core::plan::design::Search;
use sim_core::runner::RunResult;
use sim_core::sim::Trace;
use sim_core::time::Nanos;
use std::fmt;

/// DejaVu Sans 2.37, byte for byte the file Debian's `fonts-dejavu-core`
/// installs, which the charts were drawn with before the font was compiled
/// in (so their bytes did not change).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Registers [`FONT`] once, before the first chart is drawn.
fn ensure_font() -> Result<()> {
    static DONE: std::sync::OnceLock<Result<()>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| ChartError("the compiled-in chart font cannot be read".into()))
    })
    .clone()
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartError(pub String);

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartError {}

type Result<T> = std::result::Result<T, ChartError>;

fn err<E: fmt::Display>(e: E) -> ChartError {
    ChartError(format!("drawing failed: {e}"))
}

/// A plotters drawing area, on any backend.
pub type Area<'a, DB> = DrawingArea<DB, Shift>;

/// One chart, as data: build it with a constructor, then take its
/// [`svg`](Chart::svg) or [`draw`](Chart::draw) it at its [`size`](Chart::size).
pub enum Chart<'a> {
    /// Recovery CDFs above downtime by cause (`run --plot`, `compare --plot`).
    Results {
        title: String,
        lines: Vec<Cdf>,
        bars: Vec<Bar>,
    },
    /// The recovery CDFs alone (the report).
    Recovery { title: String, lines: Vec<Cdf> },
    /// Downtime by cause alone (the report).
    Causes { title: String, bars: Vec<Bar> },
    /// Availability against the first swept parameter.
    Sweep(&'a Document),
    /// What was down when.
    Timeline {
        title: String,
        trace: &'a Trace,
        horizon: Nanos,
    },
    /// Cost against downtime of every simulated design.
    Pareto {
        title: String,
        cost_label: String,
        points: Vec<DesignPoint>,
        budget_hours: f64,
    },
}

impl<'a> Chart<'a> {
    /// `run` and `compare`: recovery CDFs and downtime by cause.
    pub fn results(title: &str, results: &[(String, &RunResult)]) -> Self {
        Chart::Results {
            title: title.into(),
            lines: cdf_lines(results),
            bars: cause_bars(results, TOP_CAUSES),
        }
    }

    /// The recovery-time CDF chart alone.
    pub fn recovery(title: &str, results: &[(String, &RunResult)]) -> Self {
        Chart::Recovery {
            title: title.into(),
            lines: cdf_lines(results),
        }
    }

    /// The downtime-by-cause chart alone.
    pub fn causes(title: &str, results: &[(String, &RunResult)]) -> Self {
        Chart::Causes {
            title: title.into(),
            bars: cause_bars(results, TOP_CAUSES),
        }
    }

    /// `plan --target`: every simulated design's cost against its downtime,
    /// with the Pareto frontier and the downtime the target allows.
    pub fn pareto(model_name: &str, s: &Search, space: &DesignSpace) -> Self {
        let points = (0..s.designs.len())
            .filter_map(|i| {
                let o = s.outcome(i)?;
                let e = &o.downtime_minutes_per_year;
                let [lo, hi] = e.ci95.unwrap_or([e.mean, e.mean]);
                Some(DesignPoint {
                    cost: s.designs[i].total,
                    down: e.mean / 60.0,
                    ci: [lo.max(0.0) / 60.0, hi / 60.0],
                    frontier: s.pareto.contains(&i),
                })
            })
            .collect();
        let cost_label = if space.currency.is_empty() {
            "cost".to_string()
        } else {
            format!("cost ({})", space.currency)
        };
        Chart::Pareto {
            title: format!("{model_name}: {} designs, cost vs downtime", s.service),
            cost_label,
            points,
            budget_hours: (1.0 - s.target) * 365.25 * 24.0,
        }
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        let height = match self {
            Chart::Results { bars, .. } => CDF_HEIGHT + bars_height(bars.len()),
            Chart::Recovery { .. } => CDF_HEIGHT,
            Chart::Causes { bars, .. } => bars_height(bars.len()),
            Chart::Sweep(doc) if has_gray(doc) => 560 + TRADEOFF_HEIGHT,
            Chart::Sweep(_) | Chart::Pareto { .. } => 560,
            Chart::Timeline { trace, horizon, .. } => {
                120 + 28 * down_intervals(trace, *horizon).len().max(1) as u32
            }
        };
        (1000, height)
    }

    /// Draws the chart on `area` (of [`size`](Chart::size)), on any backend.
    pub fn draw<DB: DrawingBackend>(&self, area: &Area<'_, DB>) -> Result<()> {
        ensure_font()?;
        match self {
            Chart::Results { title, lines, bars } => draw_results(area, title, lines, bars),
            Chart::Recovery { title, lines } => draw_cdf(area, title, lines),
            Chart::Causes { title, bars } => draw_bars(area, title, bars),
            Chart::Sweep(doc) => draw_sweep(area, doc),
            Chart::Timeline {
                title,
                trace,
                horizon,
            } => draw_timeline(area, title, trace, *horizon),
            Chart::Pareto {
                title,
                cost_label,
                points,
                budget_hours,
            } => draw_pareto(area, title, cost_label, points, *budget_hours),
        }
    }

    /// The chart as the text of an SVG document (no XML declaration, so it
    /// can also be inlined in HTML).
    pub fn svg(&self) -> Result<String> {
        ensure_font()?;
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, self.size()).into_drawing_area();
            root.fill(&WHITE).map_err(err)?;
            self.draw(&root)?;
            root.present().map_err(err)?;
        }
        Ok(text)
    }
}

const PALETTE: &[RGBColor] = &[
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One CDF line: a label and `[seconds, fraction]` points.
pub type Cdf = (String, Vec<[f64; 2]>);

/// One bar of the downtime chart: its label, hours a year, and its colour index.
pub type Bar = (String, f64, usize);

fn draw_cdf<DB: DrawingBackend>(area: &Area<'_, DB>, title: &str, lines: &[Cdf]) -> Result<()> {
    let pts: Vec<f64> = lines
        .iter()
        .flat_map(|(_, l)| l.iter().map(|p| p[0]))
        .filter(|x| *x > 0.0)
        .collect();
    if pts.is_empty() {
        area.titled(&format!("{title}: no outages"), ("sans-serif", 20))
            .map_err(err)?;
        return Ok(());
    }
    let lo = pts.iter().copied().fold(f64::INFINITY, f64::min).max(1e-3) / 1.5;
    let hi = pts.iter().copied().fold(0.0, f64::max) * 1.5;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("recovery time (seconds, log scale)")
        .y_desc("fraction of outages recovered")
        .x_label_formatter(&|x| crate::format::seconds(*x))
        .draw()
        .map_err(err)?;
    for (i, (label, l)) in lines.iter().enumerate() {
        let c = color(i);
        // A step function: the fraction jumps at each recovery time.
        let mut steps = Vec::with_capacity(l.len() * 2 + 1);
        let mut prev = 0.0;
        for p in l.iter().filter(|p| p[0] > 0.0) {
            steps.push((p[0], prev));
            steps.push((p[0], p[1]));
            prev = p[1];
        }
        chart
            .draw_series(LineSeries::new(steps, c.stroke_width(2)))
            .map_err(err)?
            .label(label.clone())
            .legend(line_sample(c.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

/// A line series' sample in the legend: a short stroke in the line's style,
/// at the backend's pixel coordinates.
fn line_sample(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style)
}

/// The legend of every labelled series, on a light box at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(err)
}

/// Pixels for a column of row labels (bar and timeline charts): about 7 px a
/// character at the 12 px axis font, for labels up to 60 characters.
fn label_area_width<'a>(labels: impl Iterator<Item = &'a str>) -> u32 {
    labels
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(10)
        .min(60) as u32
        * 7
        + 10
}

/// Horizontal bars: label and minutes per year.
fn draw_bars<DB: DrawingBackend>(area: &Area<'_, DB>, title: &str, bars: &[Bar]) -> Result<()> {
    if bars.is_empty() {
        area.titled(&format!("{title}: no downtime"), ("sans-serif", 20))
            .map_err(err)?;
        return Ok(());
    }
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-9) * 1.15;
    let n = bars.len();
    let label_width = label_area_width(bars.iter().map(|b| b.0.as_str()));
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..max, (0..n).into_segmented())
        .map_err(err)?;
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("downtime (minutes per year)")
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => labels[n - 1 - *i].clone(),
            _ => String::new(),
        })
        .draw()
        .map_err(err)?;
    chart
        // The first bar (the largest cause) at the top.
        .draw_series(bars.iter().enumerate().map(|(k, (_, v, c))| {
            let i = n - 1 - k;
            let mut r = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (*v, SegmentValue::Exact(i + 1)),
                ],
                color(*c).filled(),
            );
            r.set_margin(3, 3, 0, 0);
            r
        }))
        .map_err(err)?;
    Ok(())
}

fn cause_bars(results: &[(String, &RunResult)], top: usize) -> Vec<Bar> {
    let mut bars = Vec::new();
    for (d, (design, r)) in results.iter().enumerate() {
        for s in &r.services {
            for c in s.downtime_causes.iter().take(top) {
                let prefix = if results.len() > 1 {
                    format!("{design} · ")
                } else {
                    String::new()
                };
                let svc = if r.services.len() > 1 {
                    format!("{}: ", s.name)
                } else {
                    String::new()
                };
                bars.push((format!("{prefix}{svc}{}", c.cause), c.minutes_per_year, d));
            }
        }
    }
    bars
}

/// One recovery CDF per service of each design, labelled "design · service"
/// when there are several designs.
fn cdf_lines(results: &[(String, &RunResult)]) -> Vec<Cdf> {
    results
        .iter()
        .flat_map(|(design, r)| {
            r.services.iter().map(move |s| {
                let label = if results.len() > 1 {
                    format!("{design} · {}", s.name)
                } else {
                    s.name.clone()
                };
                (label, s.recovery_seconds.cdf.clone())
            })
        })
        .collect()
}

/// Causes shown per service in the downtime bar chart: as many as the
/// review's causes table lists.
pub use crate::format::TOP_CAUSES;

const CDF_HEIGHT: u32 = 420;

/// Pixels for a bar chart of `n` bars, its title and axis.
fn bars_height(n: usize) -> u32 {
    100 + 30 * n.max(3) as u32
}

fn draw_results<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    title: &str,
    lines: &[Cdf],
    bars: &[Bar],
) -> Result<()> {
    let (top, bottom) = root.split_vertically(CDF_HEIGHT);
    draw_cdf(&top, &format!("{title}: recovery time per outage"), lines)?;
    draw_bars(&bottom, "downtime by cause", bars)
}

/// The height of the timer trade-off panel under a sweep's availability.
const TRADEOFF_HEIGHT: u32 = 420;

/// Whether any point of the sweep measured gray failures (a degradation
/// reaches a cluster): then the plot adds the trade-off panel.
fn has_gray(doc: &Document) -> bool {
    doc.points
        .iter()
        .any(|p| p.result.clusters.iter().any(|c| c.gray.is_some()))
}

fn draw_sweep<DB: DrawingBackend>(area: &Area<'_, DB>, doc: &Document) -> Result<()> {
    if has_gray(doc) {
        let (top, bottom) = area.split_vertically(560);
        draw_sweep_availability(&top, doc)?;
        draw_tradeoff(&bottom, doc)
    } else {
        draw_sweep_availability(area, doc)
    }
}

/// The swept parameter the x axis shows and each point's x: the first
/// parameter whose every value is numeric (durations in seconds), or with
/// none the first parameter's distinct values in order; and the x range
/// with 5% padding (at least half a unit) either side.
fn sweep_axis(doc: &Document) -> Result<(String, Vec<f64>, std::ops::Range<f64>)> {
    let Some(first) = doc.points.first() else {
        return Err(ChartError("nothing to plot".into()));
    };
    if first.parameters.is_empty() {
        return Err(ChartError("a sweep plot needs a swept parameter".into()));
    }
    let numeric = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => sim_core::time::parse_duration(s)
            .ok()
            .map(|d| d as f64 / 1e9),
        _ => None,
    };
    let param = first
        .parameters
        .keys()
        .find(|k| {
            doc.points
                .iter()
                .all(|p| numeric(&p.parameters[*k]).is_some())
        })
        .or_else(|| first.parameters.keys().next())
        .cloned()
        .expect("checked non-empty");
    let mut categories: Vec<String> = Vec::new();
    let xs = doc
        .points
        .iter()
        .map(|p| {
            let v = &p.parameters[&param];
            numeric(v).unwrap_or_else(|| {
                let t = v.to_string();
                let i = categories.iter().position(|c| *c == t).unwrap_or_else(|| {
                    categories.push(t);
                    categories.len() - 1
                });
                i as f64
            })
        })
        .collect::<Vec<f64>>();
    let (xmin, xmax) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    let pad = ((xmax - xmin) * 0.05).max(0.5);
    Ok((param, xs, (xmin - pad)..(xmax + pad)))
}

/// Points sharing the values of every parameter but `param` form one
/// series: each point's key (those values as text) and the distinct keys in
/// order of first appearance.
fn series_groups(doc: &Document, param: &str) -> (Vec<String>, Vec<String>) {
    let keys: Vec<String> = doc
        .points
        .iter()
        .map(|p| {
            p.parameters
                .iter()
                .filter(|(k, _)| k.as_str() != param)
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let mut groups: Vec<String> = Vec::new();
    for k in &keys {
        if !groups.contains(k) {
            groups.push(k.clone());
        }
    }
    (keys, groups)
}

/// The timer trade-off: per cluster that gray
/// failures reach, false failovers a year with their 95% intervals on the
/// left axis, and per service the median recovery after real failures on
/// the right, both against the swept parameter. Points sharing the other
/// parameters' values form one series, as in the availability panel.
fn draw_tradeoff<DB: DrawingBackend>(area: &Area<'_, DB>, doc: &Document) -> Result<()> {
    let (param, xs, x_range) = sweep_axis(doc)?;
    let first = &doc.points[0];
    let gray: Vec<usize> = (0..first.result.clusters.len())
        .filter(|c| {
            doc.points
                .iter()
                .any(|p| p.result.clusters.get(*c).is_some_and(|x| x.gray.is_some()))
        })
        .collect();
    let ff = |p: &sim_core::export::Point, c: usize| {
        p.result.clusters[c]
            .gray
            .as_ref()
            .map(|g| g.false_failovers_per_year)
    };
    let fmax = doc
        .points
        .iter()
        .flat_map(|p| gray.iter().filter_map(move |c| ff(p, *c)))
        .map(|e| e.ci95.map_or(e.mean, |c| c[1]))
        .fold(0.0f64, f64::max)
        .max(1.0)
        // Headroom above the curves for the legend.
        * 1.4;
    let rmax = doc
        .points
        .iter()
        .flat_map(|p| p.result.services.iter().filter_map(|s| s.recovery_seconds.p50))
        .fold(0.0f64, f64::max)
        .max(1.0)
        // Headroom above the curves for the legend.
        * 1.4;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("false failovers and recovery vs {param}"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .right_y_label_area_size(80)
        .build_cartesian_2d(x_range.clone(), 0.0..fmax)
        .map_err(err)?
        .set_secondary_coord(x_range.clone(), 0.0..rmax);
    chart
        .configure_mesh()
        .x_desc(param.as_str())
        .y_desc("false failovers / yr, 95% CI")
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("recovery p50 after real failures (s)")
        .draw()
        .map_err(err)?;
    let (keys, groups) = series_groups(doc, &param);
    let suffix = |g: &str| {
        if g.is_empty() {
            String::new()
        } else {
            format!(" ({g})")
        }
    };
    let mut k = 0;
    for g in &groups {
        let in_group: Vec<(&sim_core::export::Point, f64)> = doc
            .points
            .iter()
            .zip(xs.iter().copied())
            .zip(&keys)
            .filter(|(_, key)| *key == g)
            .map(|(px, _)| px)
            .collect();
        for &c in &gray {
            let pts: Vec<(f64, f64, f64, f64)> = in_group
                .iter()
                .filter_map(|(p, x)| {
                    let e = ff(p, c)?;
                    let [lo, hi] = e.ci95.unwrap_or([e.mean, e.mean]);
                    Some((*x, e.mean, lo.max(0.0), hi))
                })
                .collect();
            let col = color(k);
            k += 1;
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0, p.1)),
                    col.stroke_width(2),
                ))
                .map_err(err)?
                .label(format!(
                    "{} false failovers/yr{}",
                    first.result.clusters[c].name,
                    suffix(g)
                ))
                .legend(line_sample(col.stroke_width(2)));
            chart
                .draw_series(
                    pts.iter()
                        .map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, col.filled(), 8)),
                )
                .map_err(err)?;
        }
        for (si, s) in first.result.services.iter().enumerate() {
            let pts: Vec<(f64, f64)> = in_group
                .iter()
                .filter_map(|(p, x)| Some((*x, p.result.services[si].recovery_seconds.p50?)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let col = color(k);
            k += 1;
            chart
                .draw_secondary_series(DashedLineSeries::new(
                    pts.iter().copied(),
                    8,
                    4,
                    col.stroke_width(2),
                ))
                .map_err(err)?
                .label(format!("{} recovery p50 (s){}", s.name, suffix(g)))
                .legend(line_sample(col.stroke_width(2)));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

fn draw_sweep_availability<DB: DrawingBackend>(area: &Area<'_, DB>, doc: &Document) -> Result<()> {
    let (param, xs, x_range) = sweep_axis(doc)?;
    let first = &doc.points[0];
    let ys: Vec<f64> = doc
        .points
        .iter()
        .flat_map(|p| {
            p.result
                .services
                .iter()
                .flat_map(|s| s.availability.ci95.map_or([s.availability.mean; 2], |c| c))
        })
        .map(|a| a * 100.0)
        .collect();
    let (ymin, ymax) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(*y), b.max(*y))
        });
    let ypad = ((ymax - ymin) * 0.1).max(1e-4);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{}: availability vs {param}", doc.model.name),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(
            x_range.clone(),
            (ymin - ypad)..(ymax + ypad).min(100.0 + ypad),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(param.as_str())
        .y_desc("availability (%), 95% CI")
        .y_label_formatter(&|y| format!("{y:.4}"))
        .draw()
        .map_err(err)?;
    let services: Vec<String> = first
        .result
        .services
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let (keys, groups) = series_groups(doc, &param);
    let mut k = 0;
    for g in &groups {
        for (si, s) in services.iter().enumerate() {
            let pts: Vec<(f64, f64, f64, f64)> = doc
                .points
                .iter()
                .zip(&xs)
                .zip(&keys)
                .filter(|(_, key)| *key == g)
                .map(|(px, _)| px)
                .map(|(p, x)| {
                    let a = &p.result.services[si].availability;
                    let [lo, hi] = a.ci95.unwrap_or([a.mean, a.mean]);
                    (*x, a.mean * 100.0, lo * 100.0, hi * 100.0)
                })
                .collect();
            let c = color(k);
            k += 1;
            let label = if g.is_empty() {
                s.clone()
            } else {
                format!("{s} ({g})")
            };
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0, p.1)),
                    c.stroke_width(2),
                ))
                .map_err(err)?
                .label(label)
                .legend(line_sample(c.stroke_width(2)));
            chart
                .draw_series(
                    pts.iter()
                        .map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, c.filled(), 8)),
                )
                .map_err(err)?;
        }
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

/// One row of the timeline chart: a subject, its layer, and when it was down.
type Row = (String, &'static str, Vec<(Nanos, Nanos)>);

/// Intervals where each timeline subject was down, in first-seen order.
fn down_intervals(trace: &Trace, horizon: Nanos) -> Vec<Row> {
    // Each row also remembers when its current outage began.
    let mut rows: Vec<(Row, Option<Nanos>)> = Vec::new();
    for e in &trace.entries {
        // The entry's data, not its words: rewording the timeline cannot
        // break the chart.
        let Some(back) = e.event.up() else {
            continue;
        };
        let (down, up) = (!back, back);
        let i = match rows.iter().position(|r| r.0 .0 == e.subject) {
            Some(i) => i,
            None => {
                rows.push(((e.subject.clone(), e.layer, Vec::new()), None));
                rows.len() - 1
            }
        };
        let row = &mut rows[i];
        if down && row.1.is_none() {
            row.1 = Some(e.time_ns);
        } else if up {
            if let Some(s) = row.1.take() {
                row.0 .2.push((s, e.time_ns));
            }
        }
    }
    rows.into_iter()
        .map(|((name, layer, mut iv), open)| {
            if let Some(s) = open {
                iv.push((s, horizon));
            }
            (name, layer, iv)
        })
        .collect()
}

fn draw_timeline<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    title: &str,
    trace: &Trace,
    horizon: Nanos,
) -> Result<()> {
    let rows = down_intervals(trace, horizon);
    if rows.is_empty() {
        area.titled(&format!("{title}: nothing went down"), ("sans-serif", 20))
            .map_err(err)?;
        return Ok(());
    }
    let n = rows.len();
    let hours = horizon as f64 / 3.6e12;
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let label_width = label_area_width(labels.iter().map(String::as_str));
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..hours, (0..n).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("time (hours)")
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(err)?;
    for (i, (_, layer, iv)) in rows.iter().enumerate() {
        let c = match *layer {
            "service" => color(3),
            "cluster" => color(1),
            _ => color(7),
        };
        chart
            .draw_series(iv.iter().map(|(s, e)| {
                // At least a pixel-wide sliver so a 3-second outage in a
                // two-hour window is still visible.
                let (x0, x1) = (
                    *s as f64 / 3.6e12,
                    (*e as f64 / 3.6e12).max(*s as f64 / 3.6e12 + hours / 400.0),
                );
                let mut r = Rectangle::new(
                    [
                        (x0, SegmentValue::Exact(i)),
                        (x1, SegmentValue::Exact(i + 1)),
                    ],
                    c.filled(),
                );
                r.set_margin(4, 4, 0, 0);
                r
            }))
            .map_err(err)?;
    }
    Ok(())
}

/// One design on the Pareto chart.
pub struct DesignPoint {
    pub cost: f64,
    /// Downtime per year in hours: mean and 95% interval.
    pub down: f64,
    pub ci: [f64; 2],
    pub frontier: bool,
}

fn draw_pareto<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    title: &str,
    cost_label: &str,
    points: &[DesignPoint],
    budget_hours: f64,
) -> Result<()> {
    if points.is_empty() {
        return Err(ChartError(
            "no design was simulated, so there is nothing to plot".into(),
        ));
    }
    let (xmin, xmax) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.cost), b.max(p.cost))
        });
    let ymax = points
        .iter()
        .map(|p| p.ci[1].max(p.down))
        .fold(budget_hours, f64::max);
    let xpad = ((xmax - xmin) * 0.05).max(1.0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((xmin - xpad)..(xmax + xpad), 0.0..(ymax * 1.1).max(1e-3))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(cost_label)
        .y_desc("downtime (h/yr), 95% CI")
        .draw()
        .map_err(err)?;
    let (front, rest) = (color(0), RGBColor(150, 150, 150));
    chart
        .draw_series(points.iter().map(|p| {
            ErrorBar::new_vertical(
                p.cost,
                p.ci[0],
                p.down,
                p.ci[1],
                if p.frontier {
                    front.filled()
                } else {
                    rest.filled()
                },
                8,
            )
        }))
        .map_err(err)?;
    let mut line: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.frontier)
        .map(|p| (p.cost, p.down))
        .collect();
    line.sort_by(|a, b| a.0.total_cmp(&b.0));
    chart
        .draw_series(LineSeries::new(line, front.stroke_width(2)))
        .map_err(err)?
        .label("Pareto frontier (cost vs mean downtime)")
        .legend(line_sample(front.stroke_width(2)));
    let target = color(3);
    chart
        .draw_series(LineSeries::new(
            vec![(xmin - xpad, budget_hours), (xmax + xpad, budget_hours)],
            target.stroke_width(1),
        ))
        .map_err(err)?
        .label("downtime the target allows")
        .legend(line_sample(target.stroke_width(1)));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}
