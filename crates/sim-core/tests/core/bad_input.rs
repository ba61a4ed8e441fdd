//! Malformed and inconsistent models: every error names file, line and
//! column with the offending text, and no input makes the library panic.

use sim_core::model::{load, ModelError};

fn err(text: &str) -> ModelError {
    match load("bad.toml", text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts the first diagnostic is at `line`, points at `snippet` and says `says`.
fn assert_located(text: &str, line: usize, snippet: &str, says: &str) {
    let e = err(text);
    let d = &e.diagnostics[0];
    assert_eq!(d.file, "bad.toml");
    assert_eq!(d.line, line, "wrong line for: {d}");
    assert_eq!(d.snippet, snippet, "wrong snippet for: {d}");
    assert!(
        d.message.contains(says),
        "message `{}` lacks `{says}`",
        d.message
    );
    let col = text.lines().nth(line - 1).unwrap().find(snippet).unwrap() + 1;
    assert_eq!(d.column, col, "wrong column for: {d}");
    // The rendered form carries the same location.
    assert!(
        e.to_string().contains(&format!("bad.toml:{line}:{col}")),
        "{e}"
    );
}

const OK_TAIL: &str = "[services.s]\nrequires = \"h\"\n";

#[test]
fn bad_toml_syntax() {
    let e = err("[hosts.h]\nfailures = [{ every = \"exp(2y)\" repair = \"4h\" }]\n");
    assert_eq!(e.diagnostics[0].line, 2, "{e}");
    assert!(
        e.diagnostics[0].message.contains("TOML syntax error"),
        "{e}"
    );
}

#[test]
fn unknown_reference() {
    assert_located(
        "[hosts.proxmox-1]\n[services.s]\nrequires = \"proxmox-1 & proxmox-2\"\n",
        3,
        "proxmox-2",
        "unknown reference `proxmox-2`",
    );
    let e = err("[hosts.proxmox-1]\n[services.s]\nrequires = \"proxmx-1\"\n");
    assert_eq!(
        e.diagnostics[0].help.as_deref(),
        Some("did you mean `proxmox-1`?")
    );
}

#[test]
fn dependency_cycle() {
    let text = "[hosts.a]\nrequires = \"b\"\n[hosts.b]\nrequires = \"c\"\n[hosts.c]\nrequires = \"a\"\n[services.s]\nrequires = \"a\"\n";
    let e = err(text);
    let d = &e.diagnostics[0];
    assert!(
        d.message.contains("dependency cycle between a, b, c"),
        "{d}"
    );
    assert!(["a", "b", "c"].contains(&d.snippet.as_str()), "{d}");
    assert_located(
        "[hosts.a]\nrequires = \"a\"\n[services.s]\nrequires = \"a\"\n",
        2,
        "a",
        "requires itself",
    );
}

#[test]
fn negative_duration() {
    assert_located(
        &format!("[hosts.h]\nfailures = [{{ every = \"exp(2y)\", repair = \"-4h\" }}]\n{OK_TAIL}"),
        2,
        "-4h",
        "negative duration",
    );
}

#[test]
fn unknown_unit() {
    assert_located(
        &format!("[hosts.h]\nfailures = [{{ every = \"exp(2 fortnights)\", repair = \"4h\" }}]\n{OK_TAIL}"),
        2,
        "fortnights",
        "unknown unit `fortnights`",
    );
}

#[test]
fn unknown_keys_kinds_and_states() {
    assert_located(
        &format!("[hosts.h]\nrequries = \"x\"\n{OK_TAIL}"),
        2,
        "requries",
        "unknown key `requries`",
    );
    assert_located(
        "[hosts.h]\n[clusters.e]\nkind = \"quorom\"\nmembers = [\"h\"]\n[services.s]\nrequires = \"e\"\n",
        3,
        "\"quorom\"",
        "unknown cluster kind",
    );
    assert_located(
        "[hosts.h]\n[clusters.e]\nkind = \"quorum\"\nmembers = [\"h\"]\n[services.s]\nrequires = \"e.leader\"\n",
        6,
        "e.leader",
        "has no state `leader`",
    );
    assert_located(
        &format!("[hosts.h]\nfailures = [{{ preset = \"sever\" }}]\n{OK_TAIL}"),
        2,
        "\"sever\"",
        "unknown preset",
    );
    assert_located(
        "[hosts.h]\n[services.s]\nrequires = \"h & !h\"\n",
        3,
        "!",
        "unexpected character",
    );
    assert_located(
        "[hostz.h]\n[services.s]\nrequires = \"h\"\n",
        1,
        "hostz",
        "unknown key `hostz`",
    );
}

#[test]
fn proxmox_restricted_must_be_a_boolean() {
    // `restricted` is pve-ha-manager's boolean group flag; a string (as
    // `ha-manager groupadd -restricted` might suggest) or a number is an
    // error at the value, in TOML and in JSON.
    let pve = |value: &str| {
        format!(
            "[hosts.h1]\n[hosts.h2]\n[hosts.h3]\n[clusters.pve]\nkind = \"proxmox-ha\"\nmembers = [\"h1\", \"h2\", \"h3\"]\nvms = [{{ name = \"a\", group = [\"h1\"], restricted = {value} }}]\n[services.s]\nrequires = \"pve.a\"\n"
        )
    };
    for value in ["\"yes\"", "0"] {
        assert_located(
            &pve(value),
            7,
            value,
            "`clusters.pve.vms[0].restricted` should be true or false",
        );
    }
    assert!(load("ok.toml", &pve("true")).is_ok());
    let json = "{\n\"hosts\": {\"h1\": {}, \"h2\": {}},\n\"clusters\": {\"pve\": {\"kind\": \"proxmox-ha\", \"members\": [\"h1\", \"h2\"], \"qdevice\": \"h1\",\n\"vms\": [{\"name\": \"a\", \"group\": [\"h1\"], \"restricted\": \"no\"}]}},\n\"services\": {\"s\": {\"requires\": \"pve.a\"}}\n}\n";
    let e = load("bad.json", json).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!((d.file.as_str(), d.line), ("bad.json", 4), "{e}");
    assert_eq!(d.snippet, "\"no\"", "{e}");
    assert!(d.message.contains("should be true or false"), "{e}");
}

#[test]
fn json_errors_are_located_too() {
    let text =
        "{\n  \"hosts\": {\"h\": {}},\n  \"services\": {\"s\": {\"requires\": \"h & nope\"}}\n}\n";
    let e = load("bad.json", text).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        (d.file.as_str(), d.line, d.snippet.as_str()),
        ("bad.json", 3, "nope"),
        "{d}"
    );
    assert_eq!(
        d.column,
        text.lines().nth(2).unwrap().find("nope").unwrap() + 1
    );
}

#[test]
fn structural_mistakes() {
    // Wrong types, missing keys, impossible maintenance, no services.
    assert!(err("[hosts.h]\nfailures = \"often\"\n")
        .to_string()
        .contains("a list of tables"));
    assert!(err("[vms.v]\n[services.s]\nrequires = \"v\"\n")
        .to_string()
        .contains("needs `host`"));
    assert!(err(&format!(
        "[hosts.h]\nmaintenance = [{{ every = \"1h\", duration = \"2h\" }}]\n{OK_TAIL}"
    ))
    .to_string()
    .contains("shorter than `every`"));
    assert!(err("[hosts.h]\n").to_string().contains("no services"));
    assert!(
        err("[hosts.h]\n[hosts.h2]\n[services.h]\nrequires = \"h\"\n")
            .to_string()
            .contains("defined twice")
    );
    assert!(err(&format!(
        "[hosts.h]\nfailures = [{{ every = \"exp(2y)\", repair = 30 }}]\n{OK_TAIL}"
    ))
    .to_string()
    .contains("a string"));
}

#[test]
fn longhorn_volume_mistakes() {
    // Three storage nodes; `keys` go on line 7, the service's `requires` on 9.
    let lh = |keys: &str, requires: &str| {
        format!(
            "[hosts.n1]\n[hosts.n2]\n[hosts.n3]\n[clusters.lh]\nkind = \"longhorn\"\nmembers = [\"n1\", \"n2\", \"n3\"]\n{keys}\n[services.s]\nrequires = \"{requires}\"\n"
        )
    };
    // (keys, requires, line, snippet, message)
    let cases: &[(&str, &str, usize, &str, &str)] = &[
        // A service naming a volume the cluster does not have.
        (
            r#"volumes = [{ name = "pg-data" }]"#,
            "lh.pg-dta",
            9,
            "lh.pg-dta",
            "has no state `pg-dta`",
        ),
        (
            r#"volumes = [{ name = "a", numberOfReplicas = 4 }]"#,
            "lh",
            7,
            "4",
            "4 replicas need 4 storage nodes, but there are 3 members",
        ),
        (
            "concurrent-replica-rebuild-per-node-limit = -1",
            "lh",
            7,
            "-1",
            "out of range (0 to",
        ),
        (
            r#"volumes = [{ name = "b" }, { name = "b-healthy" }]"#,
            "lh",
            7,
            r#""b-healthy""#,
            "volume name `b-healthy` clashes with an output",
        ),
        (
            r#"volumes = [{ name = "up" }]"#,
            "lh",
            7,
            r#""up""#,
            "clashes with an output",
        ),
        (
            r#"volumes = [{ name = "a b" }]"#,
            "lh",
            7,
            r#""a b""#,
            "not a valid volume name",
        ),
        (
            r#"volumes = [{ name = "a", nodes = ["n1", "n4", "n2"] }]"#,
            "lh",
            7,
            r#""n4""#,
            "`n4` is not a member of this cluster",
        ),
        (
            r#"volumes = [{ name = "a", nodes = ["n1"] }]"#,
            "lh",
            7,
            r#"["n1"]"#,
            "lists 1 nodes for 3 replicas",
        ),
        (
            r#"volumes = [{ name = "a", sise = "1Gi" }]"#,
            "lh",
            7,
            "sise",
            "unknown key `sise`",
        ),
        ("volumes = []", "lh", 7, "[]", "lists no volume"),
    ];
    for (keys, requires, line, snippet, says) in cases {
        assert_located(&lh(keys, requires), *line, snippet, says);
    }
    // Second occurrences: the column tells which one is meant.
    for (keys, at, says) in [
        (
            r#"volumes = [{ name = "a" }, { name = "a" }]"#,
            "bad.toml:7:37",
            "volume name `a` clashes",
        ),
        (
            r#"volumes = [{ name = "a", nodes = ["n1", "n1", "n2"] }]"#,
            "bad.toml:7:41",
            "`n1` is listed twice",
        ),
    ] {
        let e = err(&lh(keys, "lh")).to_string();
        assert!(e.contains(at) && e.contains(says), "{e}");
    }
}

/// A deterministic mutation fuzzer over the bundled models and the test
/// models above: byte flips, deletions, duplications and truncations. No
/// mutant may panic; each must load or return located diagnostics. (The
/// coverage-guided target in `fuzz/` explores further with cargo-fuzz.)
/// What the browser does with a model that loads, on every keystroke, and
/// what a first `run` does: the design warnings and a short simulation. A
/// small event budget bounds it, so a mutant that would run for hours ends
/// with an overrun (the guard working), and a hang or panic anywhere else
/// fails the test.
fn smoke(model: &sim_core::model::Model, text: &str) {
    let src = sim_core::model::Source {
        name: "fuzz.toml",
        text,
    };
    let _ = sim_core::analysis::lint(model, &src);
    let opts = sim_core::runner::RunOptions {
        replications: 2,
        horizon: 30 * 24 * 3600 * 1_000_000_000,
        batch: 2,
        max_events: 200_000,
        ..Default::default()
    };
    if let Ok(acc) = sim_core::runner::run(model, &opts) {
        assert_eq!(acc.count, 2);
    }
}

#[test]
fn mutated_models_never_panic() {
    let mut corpus: Vec<String> = Vec::new();
    let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");
    if let Ok(dir) = std::fs::read_dir(models) {
        let mut paths: Vec<_> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        corpus.extend(paths.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    corpus.push(crate::k_of_n_model(2, 3, 100.0, 1.0, true));
    corpus.push(
        crate::k_of_n_model(2, 3, 100.0, 1.0, false)
            .replace("[model]", "{")
            .replace('=', ":"),
    );
    let mut mutator = crate::shared::Mutator::new(0x5EED);
    let mut checked = 0;
    for base in &corpus {
        for _ in 0..400 {
            let text = mutator.mutant(base, 4);
            let result = std::panic::catch_unwind(|| match load("fuzz.toml", &text) {
                Ok(model) => smoke(&model, &text),
                Err(e) => {
                    for d in &e.diagnostics {
                        assert!(d.line >= 1 && d.column >= 1);
                        let _ = d.to_string();
                    }
                }
            });
            assert!(result.is_ok(), "panic on mutant:\n{text}");
            checked += 1;
        }
    }
    assert!(checked >= 800);
}

/// A part of the wrong kind is a located error naming what was found and
/// what is allowed there, never a model that runs and gives numbers.
#[test]
fn wrong_kinds_are_refused() {
    // A VM whose host is a power feed.
    let text = "[power.feed]\n[vms.v]\nhost = \"feed\"\n[services.s]\nrequires = \"v\"\n";
    assert_located(
        text,
        3,
        "\"feed\"",
        "`feed` is a power feed, not something a VM can run on",
    );
    // Proxmox nodes that are a power feed and a switch.
    let text = "[power.feed]\n[switches.sw]\n[clusters.pve]\nkind = \"proxmox-ha\"\nmembers = [\"feed\", \"sw\"]\n[services.s]\nrequires = \"pve\"\n";
    assert_located(
        text,
        5,
        "\"feed\"",
        "`feed` is a power feed, not a member a `proxmox-ha` cluster can have",
    );
    let help = err(text).diagnostics[0].help.clone().unwrap();
    assert!(help.contains("hosts, vms"), "{help}");
    // etcd members that are whole clusters.
    let text = "[hosts.a]\n[hosts.b]\n[clusters.q]\nkind = \"quorum\"\nmembers = [\"a\", \"b\"]\n[clusters.etcd]\nkind = \"etcd\"\nmembers = [\"q\", \"a\", \"b\"]\n[services.s]\nrequires = \"etcd.quorum\"\n";
    assert_located(text, 8, "\"q\"", "`q` is a whole cluster (quorum)");
    // A service as a quorum vote.
    let text = "[hosts.a]\n[hosts.b]\n[services.web]\nrequires = \"a\"\n[clusters.q]\nkind = \"quorum\"\nmembers = [\"a\", \"b\", \"web\"]\n[services.s]\nrequires = \"q\"\n";
    assert_located(text, 7, "\"web\"", "`web` is a service");
    // A duplicated member would count one machine as two votes.
    let text = "[hosts.db-1]\n[hosts.db-2]\n[clusters.q]\nkind = \"quorum\"\nmembers = [\"db-1\", \"db-1\", \"db-2\"]\n[services.s]\nrequires = \"q\"\n";
    let e = err(text);
    let d = &e.diagnostics[0];
    assert_eq!((d.line, d.column), (5, 20), "{d}");
    assert!(d.message.contains("`db-1` is listed twice"), "{d}");
    // A network link from an element to itself.
    let text = "[hosts.a]\n[hosts.b]\n[networks.lan]\nlinks = [\"a -- a\"]\n[clusters.q]\nkind = \"quorum\"\nmembers = [\"a\", \"b\"]\nnetwork = \"lan\"\n[services.s]\nrequires = \"q\"\n";
    assert_located(text, 4, "\"a -- a\"", "links an element to itself");
    // A state of a cluster standing for a machine is still a valid member
    // (the bundled models use `pve.vm` as etcd members).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/homelab-k3s-as-written.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("members = [\"pve.k3s-master-1\""));
    load(path, &text).unwrap_or_else(|e| panic!("{e}"));
}

/// An unknown key in a cluster is offered the kind's own keys, not only the
/// keys every cluster has.
#[test]
fn unknown_cluster_key_suggests_the_kinds_keys() {
    let text = "[hosts.a]\n[hosts.b]\n[clusters.lb]\nkind = \"haproxy\"\nmembers = [\"a\", \"b\"]\nfal = 3\n[services.s]\nrequires = \"lb\"\n";
    let e = err(text);
    assert_eq!(
        e.diagnostics[0].help.as_deref(),
        Some("did you mean `fall`?"),
        "{e}"
    );
    let text = "[hosts.a]\n[hosts.b]\n[clusters.vip]\nkind = \"vrrp\"\nmembers = [\"a\", \"b\"]\nadvert-int = \"1s\"\n[services.s]\nrequires = \"vip\"\n";
    let e = err(text);
    assert_eq!(
        e.diagnostics[0].help.as_deref(),
        Some("did you mean `advert_int`?"),
        "{e}"
    );
}

/// A pasted 200,000-character name validates in well under a second: the
/// did-you-mean comparison is bounded.
#[test]
fn huge_names_validate_fast() {
    let long = "x".repeat(200_000);
    let text = format!("[hosts.a]\n[services.s]\nrequires = \"{long}\"\n[hosts.{long}y]\n");
    let t = std::time::Instant::now();
    let e = err(&text);
    assert!(e.to_string().contains("bad.toml:"), "located");
    // Generous bound for a debug build on a loaded machine; it took about a
    // minute before the comparison was capped.
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
}

/// Every independent mistake in a file is reported at once (rustc style),
/// each located; the rendered text is capped and ends with the count.
#[test]
fn every_error_in_a_file_is_reported() {
    let text = "[hosts.a]\nfailures = [{ every = \"exp(2y)\", repair = \"4x\" }]\n[hosts.b]\nrequires = \"zz\"\n[vms.v]\nhost = \"b\"\ncolour = 1\n[services.s]\nrequires = \"a\"\n";
    let e = err(text);
    let lines: Vec<usize> = e.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [2, 4, 7], "{e}");
    assert!(
        e.to_string()
            .ends_with("could not load `bad.toml`: 3 errors"),
        "{e}"
    );
    // Many errors: all kept, the first MAX_SHOWN rendered.
    let mut many = String::new();
    for i in 0..30 {
        many.push_str(&format!("[hosts.h{i}]\nrequires = \"nope{i}\"\n"));
    }
    many.push_str("[services.s]\nrequires = \"h0\"\n");
    let e = err(&many);
    assert_eq!(e.diagnostics.len(), 30);
    let shown = e.to_string();
    assert!(
        shown.contains("... and 10 more errors") && shown.contains("30 errors"),
        "{shown}"
    );
    assert_eq!(
        shown.matches("unknown reference").count(),
        sim_core::model::diag::MAX_SHOWN
    );
}

/// Invalid UTF-8 gets the line, column and byte offset of the first bad
/// byte; JSON written like JavaScript gets a hint; a crew or a network used
/// as a dependency is called what it is.
#[test]
fn encoding_json_habits_and_crews_are_explained() {
    let bytes = b"[hosts.a]\n# caf\xe9\n[services.s]\nrequires = \"a\"\n";
    let e = sim_core::model::decode("bad.toml", bytes).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!((d.line, d.column), (2, 6), "{d}");
    assert!(
        d.message.contains("invalid byte 0xe9 at byte offset 15"),
        "{d}"
    );
    for (text, hint) in [
        ("{\n  // my lab\n  \"hosts\": {}\n}\n", "no comments"),
        ("{\n  'hosts': {}\n}\n", "double quotes"),
        (
            "{\n  \"hosts\": {\"a\": {}},\n}\n",
            "no comma after the last entry",
        ),
    ] {
        let e = load("bad.json", text).unwrap_err();
        let help = e.diagnostics[0].help.clone().unwrap_or_default();
        assert!(help.contains(hint), "{text}: {e}");
    }
    assert_located(
        "[crews.ops]\n[hosts.a]\n[services.s]\nrequires = \"a & ops\"\n",
        4,
        "ops",
        "`ops` is a crew, not an element",
    );
}
