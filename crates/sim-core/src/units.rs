//! Byte and CPU quantities as Kubernetes, Longhorn and Proxmox write them.
//! They sit in the kernel beside `time`'s durations because both the kinds
//! (`protocols`) and the config importers (`import`) read them, and the
//! importers must not reach into the kinds' module.

/// Parses a byte quantity the way Kubernetes and Longhorn write them:
/// `512Mi`, `10Gi`, `1.5T`, `100MB`, `4096` (bytes); SI suffixes are powers of
/// 1000, `Ki`/`Mi`/`Gi`/`Ti` (optionally followed by `B`) powers of 1024. A
/// trailing `/s` is allowed for throughputs.
pub(crate) fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t.strip_suffix("/s").unwrap_or(t).trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num.parse().ok()?;
    let unit = unit.trim();
    let unit = unit
        .strip_suffix("iB")
        .map(|u| format!("{u}i"))
        .unwrap_or_else(|| unit.strip_suffix('B').unwrap_or(unit).to_string());
    let mult: f64 = match unit.as_str() {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let v = x * mult;
    (v.is_finite() && (0.0..1.8e19).contains(&v)).then_some(v as u64)
}

/// Parses a CPU quantity in millicores: `500m`, `0.5`, `2` (cores).
pub(crate) fn parse_millicores(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(m) = t.strip_suffix('m') {
        return m.trim().parse::<u64>().ok();
    }
    let x: f64 = t.parse().ok()?;
    (x.is_finite() && (0.0..1e12).contains(&x)).then(|| libm::round(x * 1000.0) as u64)
}
