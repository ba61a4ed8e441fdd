//! What an element is. Apart from the compiler so the cluster interface can
//! name element kinds (a kind's allowed members) without importing the
//! compiler that uses it.

/// What an element is, from the section that declares it. Code branches on
/// this, never on the words it is shown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementKind {
    Site,
    PowerFeed,
    Switch,
    FailureDomain,
    Host,
    Disk,
    Vm,
    Component,
}

impl ElementKind {
    /// Every kind, in the model format's order of sections.
    pub const ALL: [ElementKind; 8] = [
        ElementKind::Site,
        ElementKind::PowerFeed,
        ElementKind::Switch,
        ElementKind::FailureDomain,
        ElementKind::Host,
        ElementKind::Disk,
        ElementKind::Vm,
        ElementKind::Component,
    ];

    /// The section that declares elements of this kind.
    pub fn section(self) -> &'static str {
        match self {
            ElementKind::Site => "sites",
            ElementKind::PowerFeed => "power",
            ElementKind::Switch => "switches",
            ElementKind::FailureDomain => "domains",
            ElementKind::Host => "hosts",
            ElementKind::Disk => "disks",
            ElementKind::Vm => "vms",
            ElementKind::Component => "components",
        }
    }

    /// How messages name it: "power feed".
    pub fn label(self) -> &'static str {
        match self {
            ElementKind::Site => "site",
            ElementKind::PowerFeed => "power feed",
            ElementKind::Switch => "switch",
            ElementKind::FailureDomain => "failure domain",
            ElementKind::Host => "host",
            ElementKind::Disk => "disk",
            ElementKind::Vm => "vm",
            ElementKind::Component => "component",
        }
    }

    /// Whether its failure takes down everything placed in it, so the
    /// planner plays it as a failure domain (sites, power feeds, switches,
    /// failure domains, hosts).
    pub fn is_failure_domain(self) -> bool {
        matches!(
            self,
            ElementKind::Site
                | ElementKind::PowerFeed
                | ElementKind::Switch
                | ElementKind::FailureDomain
                | ElementKind::Host
        )
    }
}

impl std::fmt::Display for ElementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
