//! Writing exports without ever harming what is at the path.
//!
//! A regular file (or a path that does not exist yet) is replaced
//! atomically: the text goes to a temporary file with an unpredictable name,
//! created exclusively beside the destination (`tempfile`, so a planted
//! symlink or a second hasim writing the same export cannot redirect or
//! interleave it), flushed to disk, and renamed over the destination. A
//! reader therefore sees the old file or the whole new one, never a part. A
//! symlink is followed and its target replaced the same way, so the link
//! survives. A character device, FIFO or socket (`/dev/null`, `/dev/stdout`,
//! a pipe someone reads) is written directly: renaming over it would replace
//! a node the whole machine uses with a regular file. `-` is stdout.
//!
//! Errors name the path the user gave, never the temporary file.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a write goes, decided from what the path is now.
enum Dest {
    Stdout,
    /// Written in place: a character device, FIFO or socket.
    Special(PathBuf),
    /// Replaced atomically: a regular file or a new path (symlinks
    /// resolved), with the directory it lives in.
    Replace {
        path: PathBuf,
        dir: PathBuf,
    },
}

/// Symlinks followed before giving up, as the kernel's own limit (40 in
/// Linux's `fs/namei.c`), so a loop of links is an error, not a hang.
const MAX_LINKS: usize = 40;

/// What `target` is and how to write it. A symlink chain is resolved by
/// hand rather than with `canonicalize`, because a dangling link (to a file
/// that does not exist yet) is a valid place to create an export.
fn dest(target: &str) -> Result<Dest> {
    if target == "-" {
        return Ok(Dest::Stdout);
    }
    let mut path = PathBuf::from(target);
    for _ in 0..=MAX_LINKS {
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return replace(target, path),
            Err(e) => return Err(e).with_context(|| format!("cannot write {target}")),
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let link = fs::read_link(&path).with_context(|| format!("cannot write {target}"))?;
            path = match path.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            };
            continue;
        }
        if ft.is_dir() {
            bail!("cannot write {target}: it is a directory");
        }
        if ft.is_file() {
            return replace(target, path);
        }
        if is_block_device(&ft) {
            // Overwriting a disk with an export is never what was meant.
            bail!("cannot write {target}: it is a block device");
        }
        return Ok(Dest::Special(path));
    }
    bail!("cannot write {target}: too many levels of symbolic links")
}

fn replace(target: &str, path: PathBuf) -> Result<Dest> {
    if path.file_name().is_none() {
        bail!("cannot write {target}: it is not a file path");
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok(Dest::Replace { path, dir })
}

#[cfg(unix)]
fn is_block_device(ft: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    ft.is_block_device()
}

#[cfg(not(unix))]
fn is_block_device(_: &fs::FileType) -> bool {
    false
}

#[cfg(unix)]
fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[cfg(not(unix))]
fn is_char_device(_: &Path) -> bool {
    true
}

/// Checks, before a long run, that `target` can be written when it ends:
/// the directory exists and takes a new file, or the special file opens
/// for writing. Nothing at `target` changes.
pub fn check_writable(target: &str) -> Result<()> {
    match dest(target)? {
        Dest::Stdout => Ok(()),
        // Opening a character device for writing and closing it again is
        // harmless (`/dev/null`, a terminal). A FIFO or socket is not
        // opened: that would hand its reader an end of file before the
        // real export, or block until a reader appears.
        Dest::Special(path) if is_char_device(&path) => OpenOptions::new()
            .write(true)
            .open(&path)
            .map(drop)
            .with_context(|| format!("cannot write {target}")),
        Dest::Special(_) => Ok(()),
        Dest::Replace { dir, .. } => tempfile::Builder::new()
            .prefix(".hasim-check-")
            .tempfile_in(&dir)
            .map(drop)
            .map_err(without_path)
            .with_context(|| {
                format!(
                    "cannot write {target}: cannot create a file in {}",
                    dir.display()
                )
            }),
    }
}

/// Checks every path in `targets` (see [`check_writable`]).
pub fn check_all<'a>(targets: impl IntoIterator<Item = Option<&'a str>>) -> Result<()> {
    targets.into_iter().flatten().try_for_each(check_writable)
}

/// Writes `text` to `target` (`-` is stdout); see the module documentation.
pub fn write(target: &str, text: &str) -> Result<()> {
    write_bytes(target, text.as_bytes())
}

/// Writes `bytes` to `target` (`-` is stdout); see the module documentation.
pub fn write_bytes(target: &str, bytes: &[u8]) -> Result<()> {
    match dest(target)? {
        Dest::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
        Dest::Special(path) => {
            let mut f = OpenOptions::new()
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot write {target}"))?;
            f.write_all(bytes)
                .and_then(|_| f.flush())
                .with_context(|| format!("cannot write {target}"))?;
        }
        Dest::Replace { path, dir } => {
            let mut builder = tempfile::Builder::new();
            builder.prefix(".hasim-").suffix(".tmp");
            new_file_mode(&mut builder);
            let mut tmp = builder
                .tempfile_in(&dir)
                .map_err(without_path)
                .with_context(|| {
                    format!(
                        "cannot write {target}: cannot create a file in {}",
                        dir.display()
                    )
                })?;
            // A replaced file keeps its permissions exactly, so a shared
            // 0644 report stays readable by the others who read it.
            if let Ok(m) = fs::metadata(&path) {
                tmp.as_file()
                    .set_permissions(m.permissions())
                    .with_context(|| format!("cannot write {target}"))?;
            }
            tmp.write_all(bytes)
                .and_then(|_| tmp.as_file().sync_all())
                .with_context(|| format!("cannot write {target}"))?;
            // On failure the temporary file is removed when it drops.
            tmp.persist(&path)
                .map_err(|e| e.error)
                .with_context(|| format!("cannot write {target}"))?;
        }
    }
    Ok(())
}

/// `tempfile`'s errors name the temporary file; the user never gave that
/// path, so only the operating system's reason is kept.
fn without_path(e: std::io::Error) -> std::io::Error {
    // `tempfile` appends ` at path "..."` to the system's message (its
    // `PathError`), and keeps no error code to rebuild the message from.
    let text = e.to_string();
    let reason = text.split(" at path ").next().unwrap_or(&text);
    std::io::Error::new(e.kind(), reason.to_string())
}

/// A new export gets 0666 less the umask, as any ordinary `open(O_CREAT)`
/// would give, rather than the temporary file's private default of 0600.
#[cfg(unix)]
fn new_file_mode(builder: &mut tempfile::Builder<'_, '_>) {
    use std::os::unix::fs::PermissionsExt;
    builder.permissions(fs::Permissions::from_mode(0o666));
}

#[cfg(not(unix))]
fn new_file_mode(_: &mut tempfile::Builder<'_, '_>) {}

/// Prints to stdout, returning errors (a closed pipe) instead of panicking
/// the way `print!` does.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// A progress bar on stderr counting `unit` (replications, cycles).
pub(crate) fn progress_bar(total: u64, label: &str, unit: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit}, ETA {{eta}}"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_prefix(label.to_string());
    pb
}

/// Exports going to stdout replace the table there.
pub(crate) fn stdout_taken(ex: &crate::Exports) -> bool {
    [&ex.export_json, &ex.export_csv, &ex.export_markdown]
        .iter()
        .any(|e| e.as_deref() == Some("-"))
}
