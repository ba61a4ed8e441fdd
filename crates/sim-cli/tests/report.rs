//! `hasim report`, with the real binary on the bundled models: every section
//! and chart series in both formats, the same numbers as `hasim compare`,
//! the capacity verdicts of `hasim plan`, escaping of model text, identical bytes for any thread count, and clear
//! errors.

mod common;

use common::*;
use std::path::Path;

const A: &str = "models/homelab-k3s-as-written.toml";
const B: &str = "models/homelab-k3s-spread.toml";
/// Few replications keep the test fast; the numbers are checked against
/// `hasim compare` with the same options, not against fixed values.
const OPTS: &[&str] = &["-n", "40", "--horizon", "2y", "--seed", "5"];

const SECTIONS: &[&str] = &[
    "Summary",
    "Results",
    "Top downtime causes",
    "Validation warnings",
    "Capacity",
    "Charts",
    "Designs",
    "Glossary",
    "Reproduce",
];

fn report(models: &[&str], out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["report"];
    args.extend(models);
    args.extend(OPTS);
    args.extend(extra);
    args.extend(["-o", out.to_str().unwrap()]);
    let o = hasim(&args);
    assert_ok(&o);
    std::fs::read_to_string(out).unwrap()
}

/// Undoes the five escapes the report applies to HTML text.
fn unescape_html(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Checks that every element the HTML opens is closed in order (void
/// elements and self-closing SVG tags aside): a cheap well-formedness test.
fn assert_balanced(html: &str) {
    const VOID: &[&str] = &["meta", "br", "hr", "img", "link", "input", "!DOCTYPE"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("every tag ends");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect();
        if tag.starts_with('/') {
            let open = stack.pop();
            assert_eq!(
                open.as_deref(),
                Some(name.as_str()),
                "</{name}> closes {open:?}"
            );
        } else if !(tag.ends_with('/') || VOID.contains(&name.as_str())) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// The rows of `hasim compare`'s table, split into cells: (design, cells).
fn compare_rows(models: &[&str]) -> (String, Vec<Vec<String>>) {
    let mut args = vec!["compare"];
    args.extend(models);
    args.extend(OPTS);
    let o = hasim(&args);
    assert_ok(&o);
    let out = stdout(&o);
    let rows = out
        .lines()
        .filter(|l| models.iter().any(|m| l.starts_with(&design_name(m))))
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect();
    (out, rows)
}

fn design_name(model: &str) -> String {
    Path::new(model)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn html_and_markdown_hold_every_section_and_chart() {
    let d = scratch("report");
    let html = report(&[A, B], &d.join("review.html"), &[]);
    let md = report(&[A, B], &d.join("review.md"), &[]);
    let recovery = std::fs::read_to_string(d.join("review.recovery.svg")).unwrap();
    let causes = std::fs::read_to_string(d.join("review.causes.svg")).unwrap();

    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert_balanced(&html);
    for t in SECTIONS {
        assert!(html.contains(&format!("<h2>{t}</h2>")), "HTML lacks {t}");
        assert!(md.contains(&format!("\n## {t}\n")), "Markdown lacks {t}");
    }
    // Self-contained: nothing to fetch, nothing to run. The only URL is the
    // SVG namespace.
    for bad in ["<script", "src=", "<link", "@import", "url(", "<iframe"] {
        assert!(!html.contains(bad), "HTML contains `{bad}`");
    }
    assert_eq!(
        html.matches("http").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );

    // The designs, with their descriptions and model files.
    let json = hasim(&[&["compare", A, B], OPTS, &["--export-json", "-"]].concat());
    assert_ok(&json);
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    for (k, model) in [A, B].iter().enumerate() {
        let text = std::fs::read_to_string(root().join(model)).unwrap();
        let description = text
            .lines()
            .find_map(|l| l.strip_prefix("description = \""))
            .unwrap()
            .trim_end_matches('"');
        let hash = json["designs"][k]["model"]["hash"].as_str().unwrap();
        for doc in [&html, &md] {
            for needle in [&design_name(model), description, model, hash] {
                assert!(doc.contains(needle), "report lacks `{needle}`");
            }
            assert!(doc.contains(&format!("{} bytes", text.len())));
        }
        // Every warning of `hasim validate`, as it prints it, help and rule
        // included; a single point of failure also gets the downtime the
        // report's run measured, inserted before validate's estimate.
        let v = stdout(&hasim(&["validate", model]));
        let warnings: Vec<&str> = v
            .split("\n\n")
            .filter(|w| w.starts_with("warning"))
            .collect();
        assert!(!warnings.is_empty(), "{model} has design warnings");
        for w in warnings {
            let parts: Vec<String> = match w.split_once(", about ") {
                Some((pre, post))
                    if w.starts_with(
                        "warning[single-point-of-failure]: single point of failure",
                    ) =>
                {
                    vec![
                        format!("{pre}, the run measured "),
                        format!("/yr from its failures, about {post}"),
                    ]
                }
                _ => vec![w.to_string()],
            };
            for part in &parts {
                assert!(
                    md.contains(part.as_str()),
                    "Markdown lacks the warning:\n{part}"
                );
                assert!(
                    unescape_html(&html).contains(part.as_str()),
                    "HTML lacks:\n{part}"
                );
            }
        }
        // The top causes of the run.
        for s in json["designs"][k]["services"].as_array().unwrap() {
            for c in s["downtime_causes"].as_array().unwrap().iter().take(5) {
                let cause = c["cause"].as_str().unwrap();
                assert!(html.contains(&format!("<td>{cause}</td>")), "{cause}");
                assert!(md.contains(&format!("| {cause} |")), "{cause}");
            }
        }
    }

    // The results table shows `hasim compare`'s numbers: availability,
    // nines, downtime and outages with their intervals, and the difference
    // against the baseline with its verdict.
    let (out, rows) = compare_rows(&[A, B]);
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[1].last().unwrap().contains("significant"), "{out}");
    for (k, row) in rows.iter().enumerate() {
        let (design, cells) = (&row[0], &row[1..]);
        let line = format!(
            "| {design} | k3s-api | {} |",
            cells[..4].join(" | ") // availability, nines, downtime, outages
        );
        assert!(md.contains(&line), "Markdown lacks `{line}`:\n{md}");
        let delta = cells.last().unwrap();
        assert!(
            md.contains(&format!("| {delta} |")),
            "Markdown lacks Δ {delta}"
        );
        assert!(
            html.contains(&format!("<td>{delta}</td>")),
            "HTML lacks Δ {delta}"
        );
        // HAProxy sends requests to dead servers until it marks them DOWN:
        // the request availability and error-weighted downtime, as the
        // JSON has them, come before the difference.
        let s = &json["designs"][k]["services"][0];
        assert!(
            s["error_weighted_downtime_minutes_per_year"]["mean"]
                .as_f64()
                .unwrap()
                > 0.0
        );
        let n = cells.len();
        let (req, ew) = (&cells[n - 3], &cells[n - 2]);
        assert_shows(req, &s["request_availability"]);
        assert_shows(ew, &s["error_weighted_downtime_minutes_per_year"]);
        let tail = format!("| {req} | {ew} | {delta} |");
        assert!(md.contains(&tail), "Markdown lacks `{tail}`:\n{md}");
        let tail = format!("<td>{req}</td><td>{ew}</td><td>{delta}</td>");
        assert!(html.contains(&tail), "HTML lacks `{tail}`");
    }
    assert!(md.contains(
        "| request availability | error-weighted downtime/yr | Δ downtime/yr vs baseline |"
    ));
    assert!(md.contains("Request availability also counts as lost"));
    // Recovery percentiles with their 95% intervals.
    let p50 = json["designs"][1]["services"][0]["recovery_seconds"]["p50_ci95"]
        .as_array()
        .unwrap();
    assert_eq!(p50.len(), 2);
    assert!(md.matches("(95% CI ").count() >= 6, "p50/p90/p99 CIs");

    // The charts: inline SVG in HTML, sidecar files for Markdown, with one
    // series per design and service, and the causes as bars.
    assert_eq!(html.matches("<svg ").count(), 2);
    assert!(md.contains("(review.recovery.svg)") && md.contains("(review.causes.svg)"));
    for svg in [&html, &recovery] {
        for needle in [
            "recovery time per outage",
            "homelab-k3s-as-written · k3s-api",
            "homelab-k3s-spread · k3s-api",
            "<polyline",
        ] {
            assert!(svg.contains(needle), "recovery chart lacks `{needle}`");
        }
    }
    let top = json["designs"][0]["services"][0]["downtime_causes"][0]["cause"]
        .as_str()
        .unwrap();
    for svg in [&html, &causes] {
        assert!(svg.contains("downtime by cause") && svg.contains("<rect"));
        assert!(
            svg.contains(&format!("homelab-k3s-as-written · {top}")),
            "causes chart lacks its top bar {top}"
        );
    }

    // How to reproduce it.
    let version = format!("hasim {}", env!("CARGO_PKG_VERSION"));
    let command = format!(
        "hasim report {A} {B} --seed 5 --replications 40 --horizon 2y -o {}",
        d.join("review.md").display()
    );
    assert!(md.contains(&version) && html.contains(&version));
    assert!(md.contains(&command), "Markdown lacks `{command}`");
    assert!(md.contains(&format!(
        "hasim compare {A} {B} --seed 5 --replications 40 --horizon 2y --export-json"
    )));
}

#[test]
fn a_single_design_report_has_no_comparison() {
    let d = scratch("single");
    let md = report(&[A], &d.join("one.md"), &[]);
    for t in SECTIONS {
        assert!(md.contains(&format!("\n## {t}\n")), "Markdown lacks {t}");
    }
    assert!(!md.contains("baseline") && !md.contains("Δ"));
    assert!(md.contains("hasim run models/homelab-k3s-as-written.toml --seed 5"));
    let (_, rows) = compare_rows(&[A, B]);
    let line = format!("| k3s-api | {} |", rows[0][1..5].join(" | "));
    assert!(
        md.contains(&line),
        "single-design numbers are the compare baseline's"
    );
}

/// The body rows of every table between `from` and the next `</section>`,
/// cells unescaped.
fn html_rows(html: &str, from: &str) -> Vec<Vec<String>> {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from}"));
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    section
        .split("<tr>")
        .skip(1)
        .filter(|r| r.starts_with("<td>"))
        .map(|r| {
            r[..r.find("</tr>").unwrap()]
                .trim_start_matches("<td>")
                .trim_end_matches("</td>")
                .split("</td><td>")
                .map(unescape_html)
                .collect()
        })
        .collect()
}

/// `hasim plan` output split into cases: (case name, verdict, lines).
fn plan_cases(text: &str) -> Vec<(String, String, Vec<String>)> {
    text.split("\n## ")
        .skip(1)
        .map(|block| {
            let mut lines = block.lines();
            let (name, verdict) = lines.next().unwrap().rsplit_once(": ").unwrap();
            (
                name.to_string(),
                verdict.to_string(),
                lines.map(|l| l.trim().to_string()).collect(),
            )
        })
        .collect()
}

/// The amount at the start of a cpu or memory cell ("2 / 4 (50%)",
/// "512 MiB / -"), in cores or MiB.
fn amount(cell: &str) -> f64 {
    let mut words = cell.split_whitespace();
    let x: f64 = words.next().unwrap().parse().unwrap();
    match words.next() {
        Some("GiB") => x * 1024.0,
        _ => x,
    }
}

#[test]
fn capacity_verdicts_are_the_planners() {
    const NOTHING: &str = "models/patroni-over-etcd.toml";
    let d = scratch("capacity");
    let html = report(&[A, NOTHING], &d.join("c.html"), &[]);
    let md = report(&[A, NOTHING], &d.join("c.md"), &[]);
    let text = unescape_html(&html);
    for model in [A, NOTHING] {
        // The verdict and what was played, exactly as `hasim plan` with the
        // same seed and its default depth prints them.
        let plan = stdout(&hasim(&["plan", model, "--seed", "5"]));
        let mut lines = plan.lines();
        let first = lines.next().unwrap();
        let verdict = first.split_once(": ").unwrap().1;
        let scope = lines.next().unwrap();
        let line = format!("<strong>Verdict:</strong> {verdict}. {scope}");
        assert!(text.contains(&line), "HTML lacks `{line}`");
        assert!(
            md.contains(&format!("**Verdict:** {verdict}.")),
            "{verdict}"
        );
        if model == NOTHING {
            assert!(plan.contains("No cluster in this model places workloads"));
            assert!(text.contains(
                "No cluster in this model places workloads (no proxmox-ha, deployment or statefulset): it declares no capacities"
            ));
        }
    }

    // The as-written homelab is not N+1; every case `hasim plan` does not
    // carry is a row with what has no place, why, and the services down.
    let plan = stdout(&hasim(&["plan", A, "--seed", "5"]));
    assert!(plan.starts_with("# Headroom of homelab-k3s-as-written: not N+1"));
    let cases = plan_cases(&plan);
    let rows = html_rows(&html, "<section id=\"capacity\">");
    let (failing, peaks): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.len() == 4);
    let lost: Vec<_> = cases.iter().filter(|c| c.1 != "carried").collect();
    assert!(!lost.is_empty(), "{plan}");
    assert_eq!(failing.len(), lost.len(), "{plan}");
    for ((name, verdict, lines), row) in lost.iter().zip(&failing) {
        let unplaced: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("no place for "))
            .collect();
        let down = lines
            .iter()
            .find_map(|l| l.strip_prefix("services still down after 1 h: "))
            .unwrap_or("");
        assert_eq!(
            *row,
            &vec![
                name.clone(),
                verdict.clone(),
                unplaced.join("; "),
                down.to_string()
            ]
        );
    }
    // The peak per member is one of the loads `hasim plan` prints for it,
    // in the case named, and no case loads the member more.
    assert_eq!(peaks.len(), 2, "two Proxmox hosts");
    for p in peaks {
        assert_eq!(p.len(), 6);
        let (member, cpu, cpu_case, mem, mem_case) = (&p[1], &p[2], &p[3], &p[4], &p[5]);
        for (cell, case) in [(cpu, cpu_case), (mem, mem_case)] {
            let (_, _, lines) = cases.iter().find(|c| &c.0 == case).unwrap();
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains(&format!(" {member} ")) && l.contains(cell.as_str())),
                "{member} {cell} in {case}:\n{plan}"
            );
        }
        for (_, _, lines) in &cases {
            for l in lines.iter().filter(|l| l.contains(&format!(" {member} "))) {
                let cells: Vec<&str> = l
                    .split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                if cells.len() >= 4 && cells[2] != "down" {
                    assert!(amount(cells[2]) <= amount(cpu), "{l} above {cpu}");
                    assert!(amount(cells[3]) <= amount(mem), "{l} above {mem}");
                }
            }
        }
    }

    // The design space is pointed at with a command that runs as written.
    let command = "hasim plan models/homelab-k3s-as-written.toml --target 99.9% --seed 5 --replications 40 --horizon 2y";
    assert!(md.contains(command) && text.contains(command), "{command}");
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    let o = hasim(&args);
    assert_ok(&o);
    assert!(stdout(&o).contains("# Design search: k3s-api at 99.9% availability"));
    assert!(!html.contains("hasim plan models/patroni-over-etcd.toml --target"));
}

#[test]
fn model_text_is_escaped() {
    let d = scratch("escape");
    let text = std::fs::read_to_string(root().join(A))
        .unwrap()
        .replace(
            "name = \"homelab-k3s-as-written\"",
            "name = \"lab <b>bold</b> & co\"",
        )
        .replace(
            "description = \"Seed 000: 3 K3s",
            "description = \"<script>alert('x')</script> | *not* [a](link) Seed 000: 3 K3s",
        );
    let model = d.join("evil.toml");
    std::fs::write(&model, text).unwrap();
    let model = model.to_str().unwrap();
    let html = report(&[model], &d.join("r.html"), &[]);
    let md = report(&[model], &d.join("r.md"), &[]);
    assert!(
        !html.contains("<script") && !html.contains("<b>"),
        "raw markup in HTML"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("<title>Design review: lab &lt;b&gt;bold&lt;/b&gt; &amp; co</title>"));
    assert_balanced(&html);
    // Markdown keeps the characters, backslash-escaped: every `<` outside
    // code blocks (where Markdown shows text as it is) is.
    let mut fenced = false;
    for line in md.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            assert!(
                line.match_indices('<')
                    .all(|(i, _)| line[..i].ends_with('\\')),
                "raw markup in Markdown: {line}"
            );
        }
    }
    assert!(md.contains(r"\<script\>alert('x')\</script\> \| \*not\* \[a\](link)"));
    assert!(md.contains(r"# Design review: lab \<b\>bold\</b\> \& co"));
}

#[test]
fn the_same_bytes_for_any_thread_count() {
    let d = scratch("threads");
    let one = report(&[A, B], &d.join("one.html"), &["-j", "1"]);
    let two = report(&[A, B], &d.join("two.html"), &["-j", "2"]);
    // The output name is in the reproduce command; nothing else may differ.
    assert_eq!(one, two.replace("two.html", "one.html"));
}

#[test]
fn bad_arguments_fail_clearly_and_write_nothing() {
    let d = scratch("bad");
    let out = d.join("r.txt");
    let e = assert_clean_failure(&hasim(&["report", A, "-o", out.to_str().unwrap()]));
    assert!(e.contains("use a file name ending in .html or .md"), "{e}");
    let html = d.join("r.html");
    let e = assert_clean_failure(&hasim(&[
        "report",
        A,
        "models/no-such-model.toml",
        "-o",
        html.to_str().unwrap(),
    ]));
    assert!(
        e.contains("cannot read model file models/no-such-model.toml"),
        "{e}"
    );
    let broken = d.join("broken.toml");
    std::fs::write(
        &broken,
        "[model]\nname = \"x\"\n[hosts.a]\nfailures = [{ preset = \"nope\" }]\n",
    )
    .unwrap();
    let e = assert_clean_failure(&hasim(&[
        "report",
        broken.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ]));
    assert!(e.contains("broken.toml:4:"), "{e}");
    let e = assert_clean_failure(&hasim(&["report", A, A, "-o", html.to_str().unwrap()]));
    assert!(e.contains("both named `homelab-k3s-as-written`"), "{e}");
    let e = assert_clean_failure(&hasim(&["report", A, "-o", "-"]));
    assert!(e.contains(".html or .md"), "{e}");
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        1,
        "only broken.toml"
    );
}

/// The pull-request comment, parsed as GitHub parses it: the title, the
/// summary open with the verdict whose numbers are `hasim compare`'s, every
/// other section folded in `<details>`, tables that are tables, no charts.
#[test]
fn gfm_puts_the_verdict_first_and_folds_the_details() {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let models = [
        "models/homelab-k3s-as-written.toml",
        "models/homelab-k3s-spread.toml",
    ];
    let mut args = vec!["report", models[0], models[1], "--format", "gfm", "-o", "-"];
    args.extend(OPTS);
    let o = hasim(&args);
    assert_ok(&o);
    let md = stdout(&o);
    let mut headings: Vec<(HeadingLevel, String)> = Vec::new();
    let mut in_heading = None;
    let (mut details, mut tables, mut images) = (0, 0, 0);
    for ev in Parser::new_ext(&md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => in_heading = Some((level, String::new())),
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, h)) = in_heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => headings.extend(in_heading.take()),
            Event::Html(h) | Event::InlineHtml(h) if h.contains("<details>") => details += 1,
            Event::Start(Tag::Table(_)) => tables += 1,
            Event::Start(Tag::Image { .. }) => images += 1,
            _ => {}
        }
    }
    assert_eq!(
        headings[0],
        (
            HeadingLevel::H1,
            "Design review: homelab-k3s-as-written vs homelab-k3s-spread".into()
        )
    );
    // The only second-level heading is the summary; the rest is folded.
    let h2: Vec<&str> = headings
        .iter()
        .filter(|(l, _)| *l == HeadingLevel::H2)
        .map(|(_, h)| h.as_str())
        .collect();
    assert_eq!(h2, ["Summary"], "{md}");
    assert!(details >= 6, "{details} <details> blocks:\n{md}");
    assert!(tables >= 3, "{tables} tables:\n{md}");
    assert_eq!(images, 0, "a comment shows no sidecar charts:\n{md}");
    assert!(!md.contains("<svg"), "{md}");
    // The verdict, before any details, with compare's difference.
    let (_, rows) = compare_rows(&models);
    let delta = rows[1].last().unwrap().clone();
    let amount = delta.trim_start_matches('−').split(" (").next().unwrap();
    let first_fold = md.find("<details>").unwrap();
    let verdict = md.find("**homelab-k3s-spread** has ").unwrap();
    assert!(verdict < first_fold, "{md}");
    assert!(
        md[verdict..].starts_with(&format!(
            "**homelab-k3s-spread** has {amount} less downtime a year than the baseline **homelab-k3s-as-written** (significant at 95%)"
        )),
        "{}\nvs compare's {delta}",
        &md[verdict..verdict + 200]
    );
    assert!(
        md.contains("### What to fix first in homelab-k3s-as-written"),
        "{md}"
    );
    assert!(md.contains("- **proxmox-1 crash**: "), "{md}");
}

/// The first page names the cheapest design meeting the target, as
/// `hasim plan --target` finds it with the same options, says what each
/// single failure does as the planner's cases do, and gives every single
/// point of failure its fix; `--no-design-search` leaves the search out.
#[test]
fn the_first_page_names_the_cheapest_design_and_each_failure() {
    let mut args = vec![
        "report", A, "--format", "gfm", "-o", "-", "--target", "99.8%",
    ];
    args.extend(OPTS);
    let o = hasim(&args);
    assert_ok(&o);
    let md = stdout(&o);
    let summary = &md[..md.find("<details>").unwrap()];
    // The planner's sentence, word for word (Markdown escapes aside).
    let mut plan_args = vec!["plan", A, "--target", "99.8%"];
    plan_args.extend(OPTS);
    let p = hasim(&plan_args);
    assert_ok(&p);
    let plan = stdout(&p);
    let cheapest = plan
        .lines()
        .find(|l| l.starts_with("Cheapest meeting") || l.starts_with("No simulated design"))
        .unwrap_or_else(|| panic!("no verdict line in plan:\n{plan}"));
    let unescape = |s: &str| s.replace('\\', "");
    assert!(
        unescape(summary).contains(&format!("` k3s-api `: {cheapest}")),
        "{cheapest}\nnot in\n{summary}"
    );
    // One line per failure the planner does not carry, with its verdict.
    let mut plan_args = vec!["plan", A];
    plan_args.extend(OPTS);
    let cases = plan_cases(&stdout(&hasim(&plan_args)));
    let losing: Vec<&(String, String, Vec<String>)> = cases
        .iter()
        .filter(|(n, v, _)| n != "everything up" && v != "carried")
        .collect();
    assert!(!losing.is_empty(), "{cases:?}");
    for (name, verdict, _) in losing {
        assert!(
            summary.contains(&format!("- ` {name} ` fails: {verdict}")),
            "{name}: {verdict} missing from\n{summary}"
        );
    }
    assert!(summary.contains("Fix: put a UPS between"), "{summary}");
    let mut args = vec![
        "report",
        A,
        "--format",
        "gfm",
        "-o",
        "-",
        "--target",
        "99.8%",
        "--no-design-search",
    ];
    args.extend(OPTS);
    let skipped = stdout(&hasim(&args));
    assert!(!skipped.contains("Cheapest meeting"), "{skipped}");
    assert!(skipped.contains("searched it for no target"), "{skipped}");
}

/// Every `<figure class="chart-...">` element of an HTML review replaced by
/// its class, so documents with and without their charts compare.
fn without_charts(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<figure class=\"chart-") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("</figure>").expect("a closed figure") + i;
        let class = &rest[i + 15..];
        out.push_str(&format!(
            "[chart {}]",
            &class[..class.find(['"', ' ']).unwrap()]
        ));
        rest = &rest[end + "</figure>".len()..];
    }
    out.push_str(rest);
    out
}

/// The playground's review binding (the wasm crate's `review`, natively)
/// renders, from the accumulators of its own comparison, the document
/// `hasim report --no-design-search` writes for the same models, seed and
/// options: gfm (which shows no charts) byte for byte, HTML byte for byte
/// apart from the two charts, which the wasm build cannot draw and whose
/// places say so.
#[test]
fn the_playground_review_is_the_cli_report() {
    let d = scratch("playground-review");
    let designs: Vec<serde_json::Value> = [A, B]
        .iter()
        .map(|m| {
            serde_json::json!({
                "name": m,
                "text": std::fs::read_to_string(root().join(m)).unwrap(),
            })
        })
        .collect();
    let designs = serde_json::Value::Array(designs).to_string();
    let options = r#"{"seed": "5", "replications": 40, "horizon": "2y"}"#;
    let out = sim_wasm::api::compare(&designs, options, &mut |_, _| true).unwrap();
    let parts = serde_json::to_string(&[&out.accumulators]).unwrap();

    let html_out = d.join("review.html");
    let cli_html = report(&[A, B], &html_out, &["--no-design-search"]);
    let wasm_html = sim_wasm::api::review(
        &designs,
        options,
        &parts,
        "html",
        html_out.to_str().unwrap(),
    )
    .unwrap();
    assert_eq!(
        wasm_html.matches("no-chart").count(),
        2,
        "both charts' places say why they are missing"
    );
    assert_eq!(without_charts(&wasm_html), without_charts(&cli_html));
    assert!(cli_html.contains("<svg "), "the CLI draws its charts");

    let o = hasim(&[
        "report",
        A,
        B,
        "-n",
        "40",
        "--horizon",
        "2y",
        "--seed",
        "5",
        "--no-design-search",
        "--format",
        "gfm",
        "-o",
        "-",
    ]);
    assert_ok(&o);
    let wasm_gfm = sim_wasm::api::review(&designs, options, &parts, "gfm", "-").unwrap();
    assert_eq!(wasm_gfm, stdout(&o));

    // Accumulators of another run length are refused, not rendered.
    let short = r#"{"seed": "5", "replications": 41, "horizon": "2y"}"#;
    let e = sim_wasm::api::review(&designs, short, &parts, "html", "r.html").unwrap_err();
    assert!(e.message.contains("replications"), "{}", e.message);
    let e = sim_wasm::api::review(&designs, options, &parts, "pdf", "r.pdf").unwrap_err();
    assert!(e.message.contains("html, md or gfm"), "{}", e.message);
}
