//! Exports never harm what is at the path: a regular file is replaced
//! atomically and keeps its permissions, a symlink keeps pointing where it
//! did, and a character device or FIFO is written in place, never replaced
//! by a regular file (as root, replacing `/dev/null` breaks the machine).

mod common;
use common::*;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

const MODEL: &str = "models/homelab-k3s-as-written.toml";

/// A short run exporting JSON to `target`.
fn export_to(target: &Path) -> std::process::Output {
    hasim(&[
        "run",
        MODEL,
        "-n",
        "20",
        "--horizon",
        "1y",
        "--export-json",
        target.to_str().unwrap(),
    ])
}

fn is_json_document(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["schema_version"].is_number())
}

/// Nothing but `keep` is left in `dir`: no temporary file survives.
fn only_files(dir: &Path, keep: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(names, want, "files left in {}", dir.display());
}

#[test]
fn a_regular_file_is_replaced_whole_with_its_permissions() {
    let dir = scratch("export-regular");
    let out = dir.join("r.json");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_ok(&export_to(&out));
    assert!(is_json_document(&std::fs::read_to_string(&out).unwrap()));
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the replaced file keeps its mode");
    only_files(&dir, &["r.json"]);
}

#[test]
fn a_symlink_is_followed_and_survives() {
    let dir = scratch("export-symlink");
    let target = dir.join("target.json");
    std::fs::write(&target, "old").unwrap();
    let link = dir.join("link.json");
    std::os::unix::fs::symlink("target.json", &link).unwrap();
    assert_ok(&export_to(&link));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(is_json_document(&std::fs::read_to_string(&target).unwrap()));

    // A dangling link is a place to create the export: the file appears at
    // its target and the link stays a link.
    let dangling = dir.join("dangling.json");
    std::os::unix::fs::symlink("new.json", &dangling).unwrap();
    assert_ok(&export_to(&dangling));
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(is_json_document(
        &std::fs::read_to_string(dir.join("new.json")).unwrap()
    ));

    // A loop of links is an error naming the path given, not a hang.
    std::os::unix::fs::symlink("loop-b", dir.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", dir.join("loop-b")).unwrap();
    let err = assert_clean_failure(&export_to(&dir.join("loop-a")));
    assert!(
        err.contains("loop-a") && err.contains("symbolic links"),
        "{err}"
    );
}

#[test]
fn a_fifo_is_written_in_place() {
    let dir = scratch("export-fifo");
    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let run = export_to(&fifo);
    // Should hasim have failed before opening the FIFO, the reader would
    // wait forever: open the writing end once so it sees an end of file.
    if !run.status.success() {
        drop(std::fs::OpenOptions::new().write(true).open(&fifo));
    }
    let got = reader.join().unwrap();
    assert_ok(&run);
    assert!(
        is_json_document(&got),
        "the reader got the whole export, got {} bytes",
        got.len()
    );
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    only_files(&dir, &["pipe"]);
}

#[test]
fn character_devices_are_written_in_place_and_never_replaced() {
    let dir = scratch("export-chardev");
    let null = dir.join("null");
    let full = dir.join("full");
    // mknod needs root (CI runs as root); elsewhere this case cannot be set
    // up without touching the real /dev, so it is skipped, and says so.
    let mknod = |path: &Path, minor: &str| {
        std::process::Command::new("mknod")
            .arg(path)
            .args(["c", "1", minor])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !mknod(&null, "3") || !mknod(&full, "7") {
        eprintln!("skipped: mknod failed (not root?), so no character device can be made in a temporary directory");
        return;
    }
    assert_ok(&export_to(&null));
    assert!(std::fs::symlink_metadata(&null)
        .unwrap()
        .file_type()
        .is_char_device());
    // /dev/full's twin refuses every write: the error names the path given.
    let err = assert_clean_failure(&export_to(&full));
    assert!(err.contains(full.to_str().unwrap()), "{err}");
    assert!(std::fs::symlink_metadata(&full)
        .unwrap()
        .file_type()
        .is_char_device());
    only_files(&dir, &["full", "null"]);
}

#[test]
fn an_unwritable_export_fails_before_the_run() {
    let dir = scratch("export-precheck");
    let json = dir.join("first.json");
    let csv = dir.join("missing-dir").join("second.csv");
    let o = hasim(&[
        "run",
        MODEL,
        "-n",
        "20",
        "--horizon",
        "1y",
        "--export-json",
        json.to_str().unwrap(),
        "--export-csv",
        csv.to_str().unwrap(),
    ]);
    let err = assert_clean_failure(&o);
    assert!(err.contains(csv.to_str().unwrap()), "{err}");
    // Exports are written JSON first: had the check come after the run, the
    // JSON would be here.
    assert!(
        !json.exists(),
        "nothing is written when one export cannot be"
    );
    assert!(
        !err.contains(".tmp"),
        "the error names the user's path: {err}"
    );
}

#[test]
fn two_exports_to_one_path_at_once_both_land_whole() {
    let dir = scratch("export-concurrent");
    let out = dir.join("same.json");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hasim"))
            .args(["run", MODEL, "-n", "50", "--horizon", "1y", "--export-json"])
            .arg(&out)
            .current_dir(root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(is_json_document(&std::fs::read_to_string(&out).unwrap()));
    only_files(&dir, &["same.json"]);
}
