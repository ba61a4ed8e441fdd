//! haproxy.cfg: the health checks of each backend become a `haproxy`
//! cluster, each frontend a service.
//!
//! HAProxy's format (configuration.txt, section 2) is line-based: a line
//! whose first word is a section keyword (`global`, `defaults`, `frontend`,
//! `backend`, `listen`, ...) opens a section, every other line is a
//! directive of the open section, `#` starts a comment, and words may be
//! quoted with `"` or `'`. No maintained Rust crate parses it with
//! positions, so this is a small parser that keeps byte spans: every error
//! is `file:line:column` with the offending text, as for model files.
//!
//! What is read: `server NAME ADDR [check] [inter X] [fastinter X]
//! [downinter X] [fall N] [rise N] [backup]`, `default-server` (in
//! `defaults` and in a backend, for the servers declared after it),
//! `balance`, `timeout check` and `timeout connect`, the check type
//! (`option tcp-check`, `httpchk`, ...), and the frontends'
//! `default_backend` / `use_backend`. Times are HAProxy's: a number in
//! milliseconds unless a unit follows (`us`, `ms`, `s`, `m`, `h`, `d`,
//! configuration.txt section 2.5). Everything else is listed as ignored.

use super::{model_name, unique, ConfigFile, Found, Lined};
use crate::model::diag::Diagnostic;
use std::fmt::Write;
use std::ops::Range;

/// One word of a line, with where it is.
#[derive(Debug, Clone)]
struct Word<'a> {
    text: &'a str,
    span: Range<usize>,
}

impl Word<'_> {
    /// Jinja (`{{ var }}`) or shell-style (`${VAR}`) templating: the value
    /// is only known where the file is rendered.
    fn templated(&self) -> bool {
        self.text.contains("{{") || self.text.contains("${") || self.text.contains("{%")
    }
}

/// The words of every non-empty line, with its 1-based number. A quoted
/// word loses its quotes; a Jinja expression `{{ ... }}` stays one word even
/// with spaces inside, so a templated value is seen as one value.
fn lines<'a>(file: &ConfigFile<'a>) -> Result<Vec<Line<'a>>, Diagnostic> {
    let text = file.text;
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut offset = 0;
    for (n, raw) in text.split('\n').enumerate() {
        let start_of_line = offset;
        offset += raw.len() + 1;
        let end = start_of_line + raw.len();
        let mut words = Vec::new();
        let mut i = start_of_line;
        while i < end {
            let c = bytes[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if c == b'#' {
                break;
            }
            if c == b'"' || c == b'\'' {
                let close = text[i + 1..end].find(c as char).map(|k| i + 1 + k);
                let Some(close) = close else {
                    return Err(file
                        .source()
                        .error(i..end, "this quote is never closed")
                        .with_help(format!("end the word with {}", c as char)));
                };
                words.push(Word {
                    text: &text[i + 1..close],
                    span: i..close + 1,
                });
                i = close + 1;
                continue;
            }
            let start = i;
            while i < end && !bytes[i].is_ascii_whitespace() {
                if text[i..end].starts_with("{{") || text[i..end].starts_with("{%") {
                    // A template expression runs to its closing braces,
                    // spaces and quotes included (or to the end of the line).
                    let close = if bytes[i + 1] == b'{' { "}}" } else { "%}" };
                    i = text[i + 2..end].find(close).map_or(end, |k| i + 2 + k + 2);
                } else if bytes[i] == b'\\' {
                    i = (i + 2).min(end);
                } else {
                    i += 1;
                }
            }
            words.push(Word {
                text: &text[start..i],
                span: start..i,
            });
        }
        if !words.is_empty() {
            out.push((n + 1, words));
        }
    }
    Ok(out)
}

/// The keywords that open a section (configuration.txt, sections 3 and 4
/// and the later ones).
const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "log-forward",
    "traces",
    "crt-store",
    "acme",
];

/// Whether `text` looks like a haproxy.cfg: a line starts with `frontend`,
/// `backend`, `listen` or `defaults` in its first column or indented.
pub(super) fn looks_like(text: &str) -> bool {
    text.lines().any(|l| {
        let first = l.split_whitespace().next().unwrap_or("");
        matches!(first, "frontend" | "backend" | "listen" | "defaults")
    })
}

/// Server options that take one value and that hasim does not model
/// (configuration.txt section 5.2), so their value is skipped with them.
const VALUED: &[&str] = &[
    "addr",
    "agent-addr",
    "agent-inter",
    "agent-port",
    "agent-send",
    "alpn",
    "ca-file",
    "check-alpn",
    "check-proto",
    "check-sni",
    "ciphers",
    "ciphersuites",
    "cookie",
    "crl-file",
    "crt",
    "curves",
    "error-limit",
    "guid",
    "hash-key",
    "id",
    "init-addr",
    "init-state",
    "log-proto",
    "max-reuse",
    "maxconn",
    "maxqueue",
    "minconn",
    "namespace",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "port",
    "proto",
    "proxy-v2-options",
    "redir",
    "resolve-net",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "shard",
    "sigalgs",
    "slowstart",
    "sni",
    "socks4",
    "source",
    "ssl-max-ver",
    "ssl-min-ver",
    "tcp-ut",
    "track",
    "usesrc",
    "verify",
    "verifyhost",
    "weight",
    "ws",
];

/// The health-check options of a server, or of `default-server`, each with
/// the line that set it.
#[derive(Debug, Clone, Default)]
pub(super) struct ServerOpts {
    /// `check` (true) or `no-check` (false).
    check: Lined<bool>,
    /// Microseconds.
    inter: Lined<u64>,
    fastinter: Lined<u64>,
    downinter: Lined<u64>,
    fall: Lined<u64>,
    rise: Lined<u64>,
    backup: Lined<bool>,
}

impl ServerOpts {
    /// `self` with every option `over` sets replaced by it.
    fn overlaid(&self, over: &ServerOpts) -> ServerOpts {
        fn pick<T: Clone>(a: &Lined<T>, b: &Lined<T>) -> Lined<T> {
            b.clone().or_else(|| a.clone())
        }
        ServerOpts {
            check: pick(&self.check, &over.check),
            inter: pick(&self.inter, &over.inter),
            fastinter: pick(&self.fastinter, &over.fastinter),
            downinter: pick(&self.downinter, &over.downinter),
            fall: pick(&self.fall, &over.fall),
            rise: pick(&self.rise, &over.rise),
            backup: pick(&self.backup, &over.backup),
        }
    }
}

/// What a `defaults` section passes on to the proxies after it, and what a
/// backend ends up with.
#[derive(Debug, Clone, Default)]
struct Settings {
    default_server: ServerOpts,
    balance: Lined<String>,
    /// Microseconds.
    timeout_check: Lined<u64>,
    timeout_connect: Lined<u64>,
    /// `option tcp-check`, `option httpchk`, ...
    check_type: Lined<String>,
    default_backend: Lined<String>,
}

/// One `server` line with its options after `default-server`.
#[derive(Debug, Clone)]
pub(super) struct Server {
    name: String,
    addr: String,
    line: usize,
    opts: ServerOpts,
}

/// A `backend` or `listen` section with servers.
#[derive(Debug, Clone)]
pub(super) struct Backend {
    file: String,
    name: String,
    line: usize,
    listen: bool,
    settings: Settings,
    servers: Vec<Server>,
}

/// A `frontend` (or `listen`) section: where requests enter and which
/// backends they can reach.
#[derive(Debug, Clone)]
pub(super) struct Frontend {
    file: String,
    name: String,
    line: usize,
    binds: Vec<String>,
    /// Backend names, each with its line.
    backends: Vec<(String, usize)>,
}

/// An error at `w` in `file`.
fn err(file: &ConfigFile<'_>, w: &Word<'_>, message: impl Into<String>) -> Diagnostic {
    file.source().error(w.span.clone(), message)
}

/// An HAProxy time (configuration.txt section 2.5: milliseconds unless a
/// unit `us`, `ms`, `s`, `m`, `h` or `d` follows), in microseconds.
fn time_us(file: &ConfigFile<'_>, key: &str, w: &Word<'_>) -> Result<u64, Diagnostic> {
    let digits = w.text.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = w.text.split_at(digits);
    let scale: Option<u64> = match unit {
        "" | "ms" => Some(1000),
        "us" => Some(1),
        "s" => Some(1_000_000),
        "m" => Some(60_000_000),
        "h" => Some(3_600_000_000),
        "d" => Some(86_400_000_000),
        _ => None,
    };
    match (num.parse::<u64>(), scale) {
        (Ok(v), Some(s)) if v > 0 => v
            .checked_mul(s)
            .filter(|&us| us <= 24 * 86_400_000_000)
            .ok_or_else(|| err(file, w, format!("`{key} {}` is too long", w.text))),
        (Ok(_), Some(_)) => Err(err(
            file,
            w,
            format!("`{key}` must be above zero, not `{}`", w.text),
        )),
        _ => Err(err(
            file,
            w,
            format!(
                "`{key}` takes an HAProxy time (`2000`, `2s`, `500ms`), not `{}`",
                w.text
            ),
        )
        .with_help(
            "a number of milliseconds, or a number with one of the units us, ms, s, m, h, d",
        )),
    }
}

/// A count such as `fall 3`.
fn count(file: &ConfigFile<'_>, key: &str, w: &Word<'_>) -> Result<u64, Diagnostic> {
    match w.text.parse::<u64>() {
        Ok(v) if (1..=1_000_000).contains(&v) => Ok(v),
        Ok(v) => Err(err(
            file,
            w,
            format!("`{key} {v}` is out of range: it counts checks, from 1"),
        )),
        Err(_) => Err(err(
            file,
            w,
            format!("`{key}` takes a whole number of checks, not `{}`", w.text),
        )),
    }
}

/// A numbered line's words.
type Line<'a> = (usize, Vec<Word<'a>>);

/// A section: its head line's number and words, and its directives.
type Section<'a> = (usize, Vec<Word<'a>>, Vec<Line<'a>>);

/// Per-file reading state: the `defaults` in force and what was ignored.
struct Reader<'f, 'a> {
    file: &'f ConfigFile<'a>,
    /// Ignored keywords, each with the lines it was on, in first-seen order
    /// (one summary line per keyword, not per server).
    ignored: Vec<(String, String, Vec<usize>)>,
    templated: Vec<String>,
}

impl Reader<'_, '_> {
    fn ignore(&mut self, what: &str, line: usize, why: &str) {
        if let Some(e) = self.ignored.iter_mut().find(|e| e.0 == what) {
            e.2.push(line);
        } else {
            self.ignored
                .push((what.to_string(), why.to_string(), vec![line]));
        }
    }

    fn template(&mut self, key: &str, w: &Word<'_>, line: usize) {
        self.templated.push(format!(
            "{}: `{key} {}` is templated: set it in the model",
            self.file.at(line),
            w.text
        ));
    }

    /// The value word of `key` at `words[i]`, or a located error.
    fn value<'w, 'a>(&self, words: &'w [Word<'a>], i: usize) -> Result<&'w Word<'a>, Diagnostic> {
        words.get(i + 1).ok_or_else(|| {
            err(
                self.file,
                &words[i],
                format!("`{}` needs a value", words[i].text),
            )
        })
    }

    /// The options of a `server` or `default-server` line from word `from`.
    fn server_opts(
        &mut self,
        words: &[Word<'_>],
        from: usize,
        line: usize,
    ) -> Result<ServerOpts, Diagnostic> {
        let mut o = ServerOpts::default();
        let mut i = from;
        while i < words.len() {
            let key = words[i].text;
            match key {
                "check" => o.check = Some((true, line)),
                "no-check" => o.check = Some((false, line)),
                "backup" => o.backup = Some((true, line)),
                "no-backup" => o.backup = Some((false, line)),
                "inter" | "fastinter" | "downinter" => {
                    let w = self.value(words, i)?;
                    i += 1;
                    if w.templated() {
                        self.template(key, w, line);
                    } else {
                        let v = Some((time_us(self.file, key, w)?, line));
                        match key {
                            "inter" => o.inter = v,
                            "fastinter" => o.fastinter = v,
                            _ => o.downinter = v,
                        }
                    }
                }
                "fall" | "rise" => {
                    let w = self.value(words, i)?;
                    i += 1;
                    if w.templated() {
                        self.template(key, w, line);
                    } else {
                        let v = Some((count(self.file, key, w)?, line));
                        if key == "fall" {
                            o.fall = v;
                        } else {
                            o.rise = v;
                        }
                    }
                }
                k if VALUED.contains(&k) => {
                    i += 1;
                    self.ignore(&format!("server option `{k}`"), line, "not modelled");
                }
                k => self.ignore(&format!("server option `{k}`"), line, "not modelled"),
            }
            i += 1;
        }
        Ok(o)
    }

    /// A directive every proxy section shares (defaults, backend, listen):
    /// true when it was one.
    fn common(
        &mut self,
        s: &mut Settings,
        words: &[Word<'_>],
        line: usize,
    ) -> Result<bool, Diagnostic> {
        let key = words[0].text;
        match key {
            "default-server" => {
                let o = self.server_opts(words, 1, line)?;
                s.default_server = s.default_server.overlaid(&o);
            }
            "balance" => {
                let w = self.value(words, 0)?;
                if w.templated() {
                    self.template(key, w, line);
                } else {
                    let algo: Vec<&str> = words[1..].iter().map(|w| w.text).collect();
                    s.balance = Some((algo.join(" "), line));
                }
            }
            "timeout" => {
                let what = self.value(words, 0)?;
                match what.text {
                    "check" | "connect" => {
                        let w = self.value(words, 1)?;
                        let key = format!("timeout {}", what.text);
                        if w.templated() {
                            self.template(&key, w, line);
                        } else {
                            let v = Some((time_us(self.file, &key, w)?, line));
                            if what.text == "check" {
                                s.timeout_check = v;
                            } else {
                                s.timeout_connect = v;
                            }
                        }
                    }
                    other => self.ignore(
                        &format!("timeout {other}"),
                        line,
                        "request timeouts do not change health checking",
                    ),
                }
            }
            "option" => {
                let what = self.value(words, 0)?;
                match what.text {
                    "tcp-check" | "httpchk" | "ssl-hello-chk" | "mysql-check" | "pgsql-check"
                    | "redis-check" | "smtpchk" | "ldap-check" | "external-check" => {
                        s.check_type = Some((what.text.to_string(), line))
                    }
                    other => self.ignore(&format!("option {other}"), line, "not modelled"),
                }
            }
            "default_backend" => {
                let w = self.value(words, 0)?;
                s.default_backend = Some((w.text.to_string(), line));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// What one haproxy.cfg holds: its backends with servers and its frontends.
pub(super) fn read(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let mut r = Reader {
        file,
        ignored: Vec::new(),
        templated: Vec::new(),
    };
    let lines = lines(file)?;
    // Sections in order; a section is its head line and its directives.
    let mut sections: Vec<Section<'_>> = Vec::new();
    for (line, words) in lines {
        if SECTIONS.contains(&words[0].text) {
            sections.push((line, words, Vec::new()));
        } else if let Some(s) = sections.last_mut() {
            s.2.push((line, words));
        } else if words[0].templated() {
            r.template("line", &words[0], line);
        } else {
            return Err(err(file, &words[0], format!("`{}` is outside any section", words[0].text))
                .with_help("haproxy.cfg starts with a section: `global`, `defaults`, `frontend`, `backend` or `listen`"));
        }
    }
    let mut defaults = Settings::default();
    let mut named: Vec<(String, Settings)> = Vec::new();
    for (line, head, body) in sections {
        let kind = head[0].text;
        let name = head.get(1).map(|w| w.text.to_string()).unwrap_or_default();
        match kind {
            "defaults" | "backend" | "listen" | "frontend" => {}
            other => {
                r.ignore(
                    &format!("{other} section"),
                    line,
                    "process and auxiliary settings do not change health checking",
                );
                continue;
            }
        }
        if kind != "defaults" && name.is_empty() {
            return Err(err(
                file,
                &head[0],
                format!("a `{kind}` section needs a name"),
            ));
        }
        // `from NAME` (HAProxy 2.5+) inherits a named defaults section
        // instead of the last one; a defaults section without it starts
        // afresh (configuration.txt 4: a new defaults section resets all
        // default settings).
        let mut s = match head.iter().position(|w| w.text == "from") {
            Some(k) => {
                let Some(w) = head.get(k + 1) else {
                    return Err(err(
                        file,
                        &head[k],
                        "`from` needs the name of a defaults section",
                    ));
                };
                match named.iter().find(|(n, _)| n == w.text) {
                    Some((_, d)) => d.clone(),
                    None => {
                        return Err(err(
                            file,
                            w,
                            format!("no defaults section is named `{}`", w.text),
                        ))
                    }
                }
            }
            None if kind == "defaults" => Settings::default(),
            None => defaults.clone(),
        };
        let mut servers = Vec::new();
        let mut binds = Vec::new();
        let mut routes: Vec<(String, usize)> = Vec::new();
        for (l, words) in &body {
            let l = *l;
            let key = words[0].text;
            if kind != "frontend" && r.common(&mut s, words, l)? {
                continue;
            }
            match (kind, key) {
                ("frontend", "default_backend")
                | ("listen", "use_backend")
                | ("frontend", "use_backend") => {
                    let w = r.value(words, 0)?;
                    if w.templated() || w.text.contains("%[") {
                        r.ignore(
                            &format!("`{key} {}`", w.text),
                            l,
                            "a backend chosen at run time",
                        );
                    } else {
                        routes.push((w.text.to_string(), l));
                    }
                }
                ("frontend" | "listen", "bind") => {
                    binds.extend(words[1..].iter().take(1).map(|w| w.text.to_string()));
                }
                ("backend" | "listen", "server") => {
                    let Some(n) = words.get(1) else {
                        return Err(err(file, &words[0], "`server` needs a name and an address"));
                    };
                    let Some(addr) = words.get(2) else {
                        return Err(err(file, n, format!("server `{}` has no address", n.text))
                            .with_help("write `server NAME ADDRESS[:PORT] [options]`"));
                    };
                    let own = r.server_opts(words, 3, l)?;
                    // A templated name stands for a server the template
                    // renders: it is kept, under a placeholder name.
                    let name = if n.templated() {
                        r.template("server", n, l);
                        format!("{name}-server-{}", servers.len() + 1)
                    } else {
                        n.text.to_string()
                    };
                    servers.push(Server {
                        name,
                        addr: addr.text.to_string(),
                        line: l,
                        opts: s.default_server.overlaid(&own),
                    });
                }
                ("frontend", "mode" | "option" | "timeout" | "log" | "maxconn") => {
                    r.ignore(&format!("`{key}` in a frontend"), l, "not modelled")
                }
                (_, other) => r.ignore(&format!("`{other}`"), l, "not modelled"),
            }
        }
        match kind {
            "defaults" => {
                if !name.is_empty() {
                    named.push((name.clone(), s.clone()));
                }
                defaults = s;
            }
            "frontend" => {
                if routes.is_empty() {
                    if let Some((b, bl)) = s.default_backend.clone() {
                        routes.push((b, bl));
                    }
                }
                found.frontends.push(Frontend {
                    file: file.name.to_string(),
                    name,
                    line,
                    binds,
                    backends: routes,
                });
            }
            _ => {
                let listen = kind == "listen";
                if listen {
                    // A listen section is a frontend and a backend in one:
                    // its own servers answer its requests.
                    found.frontends.push(Frontend {
                        file: file.name.to_string(),
                        name: name.clone(),
                        line,
                        binds,
                        backends: if servers.is_empty() {
                            routes
                                .iter()
                                .cloned()
                                .chain(s.default_backend.clone())
                                .collect()
                        } else {
                            vec![(name.clone(), line)]
                        },
                    });
                }
                if servers.is_empty() {
                    if !listen {
                        r.ignore(&format!("backend {name}"), line, "it has no servers");
                    }
                } else {
                    found.backends.push(Backend {
                        file: file.name.to_string(),
                        name,
                        line,
                        listen,
                        settings: s,
                        servers,
                    });
                }
            }
        }
    }
    found.ignored.extend(r.templated);
    for (what, why, ls) in r.ignored {
        let at = ls.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let shown = if at.len() > 4 {
            format!("{}, ... ({} lines)", at[..3].join(", "), at.len())
        } else {
            at.join(", ")
        };
        found
            .ignored
            .push(format!("{}:{shown}: {what} ignored: {why}", file.name));
    }
    Ok(())
}

/// An HAProxy time in microseconds as a model duration.
fn duration(us: u64) -> String {
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else if us.is_multiple_of(1000) {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}us")
    }
}

/// Writes the servers as hosts, each backend as a `haproxy` cluster and each
/// frontend as a service. `used` holds the element names taken so far.
pub(super) fn write(
    found: &Found,
    used: &mut Vec<String>,
    known: &[(String, String)],
    o: &mut String,
    summary: &mut Vec<String>,
) -> Vec<(String, String)> {
    // Servers are elements by name: a worker behind two backends (HTTP and
    // HTTPS) is one machine.
    let mut server_elems: Vec<(String, String)> = Vec::new();
    let mut clusters: Vec<(String, String)> = Vec::new();
    for b in &found.backends {
        for s in &b.servers {
            if server_elems.iter().any(|(n, _)| *n == s.name) {
                continue;
            }
            // A server that another file describes (a Terraform or HA VM of
            // the same name) is that element, not a new host.
            if let Some((_, r)) = known.iter().find(|(n, _)| *n == s.name) {
                summary.push(format!(
                    "server {} is the VM {r} of the other files",
                    s.name
                ));
                server_elems.push((s.name.clone(), r.clone()));
                continue;
            }
            let elem = unique(model_name(&s.name), used);
            let _ = writeln!(o, "# server {} {} ({}:{}).", s.name, s.addr, b.file, s.line);
            let _ = writeln!(o, "[hosts.{elem}]");
            let _ = writeln!(
                o,
                "# ASSUMPTION: a server's crash and repair rates; the config cannot say them.\nfailures = [{{ preset = \"server\" }}]\n"
            );
            server_elems.push((s.name.clone(), elem));
        }
    }
    // The servers by address, so other formats can name the same machine
    // by its IP (Patroni's etcd hosts).
    let mut by_addr: Vec<(String, String)> = Vec::new();
    for b in &found.backends {
        for s in &b.servers {
            let ip = s.addr.rsplit_once(':').map_or(s.addr.as_str(), |(a, _)| a);
            let e = server_elems
                .iter()
                .find(|(n, _)| *n == s.name)
                .map(|(_, e)| e.clone());
            if let Some(e) = e {
                if !ip.is_empty() && !by_addr.iter().any(|(a, _)| a == ip) {
                    by_addr.push((ip.to_string(), e));
                }
            }
        }
    }
    let hosts = server_elems
        .iter()
        .filter(|(n, _)| !known.iter().any(|(k, _)| k == n))
        .count();
    if hosts > 0 {
        summary.push(format!(
            "ASSUMPTION: {hosts} HAProxy server(s) fail as the `server` preset"
        ));
    }
    for b in &found.backends {
        let cluster = unique(model_name(&b.name), used);
        clusters.push((b.name.clone(), cluster.clone()));
        let members: Vec<String> = b
            .servers
            .iter()
            .map(|s| {
                let e = &server_elems
                    .iter()
                    .find(|(n, _)| *n == s.name)
                    .expect("written")
                    .1;
                super::toml_string(e)
            })
            .collect();
        let section = if b.listen { "listen" } else { "backend" };
        let _ = writeln!(o, "# haproxy {section} {} ({}:{}).", b.name, b.file, b.line);
        if let Some((t, l)) = &b.settings.check_type {
            let _ = writeln!(o, "# Checked with `option {t}` ({}:{l}).", b.file);
        }
        let _ = writeln!(o, "[clusters.{cluster}]\nkind = \"haproxy\"");
        let _ = writeln!(o, "members = [{}]", members.join(", "));
        // One value per backend: the kind checks every server alike. When
        // servers disagree the first server's value is used and the summary
        // says so.
        type Get = fn(&ServerOpts) -> &Lined<u64>;
        let params: [(&str, Get, bool); 5] = [
            ("inter", |o| &o.inter, true),
            ("fastinter", |o| &o.fastinter, true),
            ("downinter", |o| &o.downinter, true),
            ("fall", |o| &o.fall, false),
            ("rise", |o| &o.rise, false),
        ];
        for (key, get, is_time) in params {
            let set: Vec<(u64, usize)> = b.servers.iter().filter_map(|s| *get(&s.opts)).collect();
            if set.is_empty() {
                continue;
            }
            let values: Vec<Option<u64>> = b
                .servers
                .iter()
                .map(|s| get(&s.opts).as_ref().map(|v| v.0))
                .collect();
            let first = values[0].unwrap_or(set[0].0);
            if values.iter().any(|v| *v != values[0]) {
                let shown: Vec<String> = values
                    .iter()
                    .map(|v| {
                        v.map_or("default".into(), |v| {
                            if is_time {
                                duration(v)
                            } else {
                                v.to_string()
                            }
                        })
                    })
                    .collect();
                summary.push(format!(
                    "{cluster}: the servers disagree on `{key}` ({}): the model checks every server with the first's",
                    shown.join(", ")
                ));
            }
            let mut lines: Vec<usize> = Vec::new();
            for (_, l) in &set {
                if !lines.contains(l) {
                    lines.push(*l);
                }
            }
            let cites: Vec<String> = lines.iter().map(|l| format!("{}:{l}", b.file)).collect();
            let value = if is_time {
                super::toml_string(&duration(first))
            } else {
                first.to_string()
            };
            let _ = writeln!(o, "{key} = {value}  # {}", cites.join(", "));
        }
        if let Some((us, l)) = &b.settings.timeout_check {
            let _ = writeln!(o, "timeout_check = \"{}\"  # {}:{l}", duration(*us), b.file);
        }
        if let Some((us, l)) = &b.settings.timeout_connect {
            let _ = writeln!(
                o,
                "timeout_connect = \"{}\"  # {}:{l}",
                duration(*us),
                b.file
            );
        }
        if let Some((algo, l)) = &b.settings.balance {
            let _ = writeln!(
                o,
                "balance = {}  # {}:{l}",
                super::toml_string(algo),
                b.file
            );
        }
        let _ = writeln!(o);
        let unchecked: Vec<&str> = b
            .servers
            .iter()
            .filter(|s| !matches!(s.opts.check, Some((true, _))))
            .map(|s| s.name.as_str())
            .collect();
        if !unchecked.is_empty() {
            summary.push(format!(
                "{cluster}: server(s) {} have no `check`: HAProxy never marks them DOWN, the model checks them like the others",
                unchecked.join(", ")
            ));
        }
        let backups: Vec<&str> = b
            .servers
            .iter()
            .filter(|s| matches!(s.opts.backup, Some((true, _))))
            .map(|s| s.name.as_str())
            .collect();
        if !backups.is_empty() {
            summary.push(format!(
                "{cluster}: backup server(s) {} are modelled as regular servers (the kind has no backup role)",
                backups.join(", ")
            ));
        }
        summary.push(format!(
            "{cluster}: haproxy {section} {} with {} server(s) from {}",
            b.name,
            b.servers.len(),
            b.file
        ));
    }
    let mut routed: Vec<&str> = Vec::new();
    for f in &found.frontends {
        let mut needs: Vec<String> = Vec::new();
        for (name, l) in &f.backends {
            match clusters.iter().find(|(n, _)| n == name) {
                Some((_, c)) => {
                    routed.push(c);
                    let r = format!("{c}.up");
                    if !needs.contains(&r) {
                        needs.push(r);
                    }
                }
                None => summary.push(format!(
                    "{}:{l}: frontend {} routes to `{name}`, which has no servers here: left out",
                    f.file, f.name
                )),
            }
        }
        if needs.is_empty() {
            continue;
        }
        let mut base = model_name(&f.name);
        if used.contains(&base) {
            // A listen section's service and cluster share its name.
            base.push_str("-service");
        }
        let service = unique(base, used);
        let _ = writeln!(o, "# haproxy frontend {} ({}:{}).", f.name, f.file, f.line);
        let _ = writeln!(o, "[services.{service}]");
        let desc = if f.binds.is_empty() {
            format!("requests to {}", f.name)
        } else {
            format!("requests to {} on {}", f.name, f.binds.join(", "))
        };
        let _ = writeln!(o, "description = {}", super::toml_string(&desc));
        if needs.len() > 1 {
            let _ = writeln!(
                o,
                "# ASSUMPTION: requests need every backend the frontend routes to."
            );
        }
        let _ = writeln!(o, "requires = \"{}\"\n", needs.join(" & "));
    }
    // A backend no frontend here routes to still gets a service, so the
    // model has something to report on (and a model needs a service).
    for (name, c) in &clusters {
        if routed.contains(&c.as_str()) {
            continue;
        }
        let service = unique(format!("{c}-service"), used);
        let _ = writeln!(
            o,
            "# ASSUMPTION: no frontend in these files routes to backend {name}; users need it."
        );
        let _ = writeln!(o, "[services.{service}]");
        let _ = writeln!(
            o,
            "description = {}",
            super::toml_string(&format!("requests to backend {name}"))
        );
        let _ = writeln!(o, "requires = \"{c}.up\"\n");
    }
    by_addr
}
