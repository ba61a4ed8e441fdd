//! The rendering library's examples run as tests, so they cannot rot.

// The example draws the review's charts, which need the `charts` feature.
#![cfg(feature = "charts")]

#[path = "../examples/design_review.rs"]
mod design_review;

/// The review names both designs, has every section and its two charts, and
/// the corrected layout is the better one on the same seed.
#[test]
fn a_design_review_from_the_libraries_alone() {
    let r = design_review::review(60);
    for heading in [
        "# Design review: homelab-k3s-as-written vs homelab-k3s-spread",
        "## Designs",
        "## Results",
        "## Capacity",
        "## Charts",
        "## Reproduce",
    ] {
        assert!(r.text.contains(heading), "missing {heading}:\n{}", r.text);
    }
    let names: Vec<&str> = r.charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["review.recovery.svg", "review.causes.svg"],
        "seed 1"
    );
    for (name, svg) in &r.charts {
        assert!(
            svg.starts_with("<svg") && svg.contains("homelab-k3s-spread"),
            "{name}"
        );
        assert!(r.text.contains(&format!("]({name})")), "{name} is linked");
    }
    // The spread layout removes the single host holding two etcd votes: its
    // downtime difference against the baseline is negative and significant.
    assert!(
        r.text.contains("(significant)"),
        "seed 1, 60 replications:\n{}",
        r.text
    );
}
