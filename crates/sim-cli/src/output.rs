//! Writing exports: atomically (a temporary file renamed into place), so an
//! interrupted run never leaves a half-written file, and `-` for stdout.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `text` to `target` (`-` is stdout). A file is written beside its
/// destination and renamed over it, which is atomic on POSIX filesystems.
pub fn write(target: &str, text: &str) -> Result<()> {
    if target == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(());
    }
    let path = Path::new(target);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("`{target}` is not a file path"))?;
    let tmp = dir.join(format!(".{}.hasim-tmp", name.to_string_lossy()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move the export into place at {target}"))?;
    Ok(())
}

/// Prints to stdout, returning errors (a closed pipe) instead of panicking
/// the way `print!` does.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
