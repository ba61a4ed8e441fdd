//! `--plot FILE`: a chart of [`sim_render::charts`] written as SVG or PNG,
//! chosen by the file's extension. The charts themselves (and their SVG)
//! live in the rendering library; this is only the file and the bitmap.

use anyhow::{anyhow, bail, Context, Result};
use plotters::prelude::*;
pub use sim_render::charts::Chart;
use std::path::Path;

/// Draws `chart` to an SVG or PNG file, chosen by the extension, and writes
/// it with [`crate::output::write_bytes`] (atomic for a file, no
/// half-written plot on error, special files kept). A PNG is rendered into
/// memory and encoded there, so no file but the destination is touched.
pub fn save(path: &str, chart: &Chart<'_>) -> Result<()> {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match ext.as_deref() {
        Some("svg") => chart.svg()?.into_bytes(),
        Some("png") => png_bytes(chart).with_context(|| format!("cannot draw {path}"))?,
        _ => bail!("--plot {path}: use a .svg or .png file name"),
    };
    crate::output::write_bytes(path, &bytes)
}

/// Draws `chart` into an RGB buffer and encodes it as PNG.
fn png_bytes(chart: &Chart<'_>) -> Result<Vec<u8>> {
    use image::ImageEncoder;
    let size = chart.size();
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let err = |e| anyhow!("drawing failed: {e}");
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, size.0, size.1, image::ColorType::Rgb8)
        .map_err(|e| anyhow!("cannot encode the PNG: {e}"))?;
    Ok(png)
}
