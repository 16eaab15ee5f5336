//! `report`: one self-contained HTML page of what runs where. The environment graph and what each
//! runs now, drift, each environment's deployments, rollbacks and approvals, the DORA keys, and
//! the open promotions where a forge answers. It has no script, no font and no address outside
//! itself (its Content-Security-Policy forbids any), a table behind every picture, and a layout
//! for phones and for print.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use crate::app::AppRepo;
use crate::approval::Stance;
use crate::context::Context;
use crate::dora::Period;
use crate::error::{Error, Kind};
use crate::metrics::{self, MetricsReport};
use crate::record;
use crate::status::{Row, StatusReport};
use crate::ui::{Paint, Report};
use crate::workspace::Workspace;

/// What `report` is asked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where the page goes; `-` for standard output.
    pub output: PathBuf,
    pub app_dir: Option<PathBuf>,
}

/// The most events a timeline shows per environment, newest first.
const EVENTS_SHOWN: usize = 50;

/// One line of an environment's timeline.
#[derive(Debug, Serialize)]
pub struct Event {
    pub time: String,
    pub environment: String,
    /// `deployment`, `rollback`, `approval` or `revocation`.
    pub kind: &'static str,
    pub version: String,
    pub commit: String,
    pub tag: String,
    pub pipeline: Option<String>,
    pub by: Option<String>,
    /// For a rollback, the record it rolled back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    /// For an approval or revocation, whether it counts (for a key `[trust.approvers]` lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted: Option<bool>,
    #[serde(skip)]
    at: Timestamp,
}

/// An open promotion, as the forge lists it.
#[derive(Debug, Serialize)]
pub struct Promotion {
    pub number: u64,
    pub title: String,
    pub url: String,
    pub source: String,
    pub target: String,
}

#[derive(Debug, Serialize)]
pub struct Promotions {
    /// The forge asked, as people know it; null when there is none.
    pub forge: Option<&'static str>,
    pub open: Vec<Promotion>,
    /// Why none are listed, when they are not.
    pub note: Option<String>,
}

/// Everything the page shows: `report --json` prints it.
#[derive(Debug, Serialize)]
pub struct ReportData {
    pub generated_at: String,
    pub repository: String,
    pub status: StatusReport,
    pub timeline: Vec<Event>,
    pub metrics: MetricsReport,
    pub promotions: Promotions,
    /// Where the page was written; null for standard output.
    pub output: Option<String>,
    #[serde(skip)]
    html: String,
}

impl Report for ReportData {
    fn human(&self, _paint: Paint) -> String {
        match &self.output {
            Some(_) => String::new(),
            None => self.html.clone(),
        }
    }
}

/// Writes the report of the release repository here.
///
/// # Errors
/// When the release repository or the records cannot be read, or the page cannot be written.
pub fn report(context: &Context, args: &Options) -> Result<(), Error> {
    let workspace = context.judging_workspace()?;
    let app = AppRepo::open(&workspace, args.app_dir.as_deref())?.judged_by(workspace.judging_trust());
    if !context.offline {
        // The records, and the branches each environment's deployment reads, so that drift says
        // how far each is behind what its branch asks for now.
        let environments: Vec<&crate::config::Environment> = workspace.file.environments.iter().collect();
        crate::deploy::refresh(&workspace, &app, &environments)?;
    }
    let now = crate::clock::now()?;
    let status = crate::status::survey(context, &workspace)?;
    let timeline = timeline(&workspace, &app)?;
    let names: Vec<String> = workspace.file.environments.iter().map(|e| e.name.clone()).collect();
    let since = now.checked_sub(jiff::SignedDuration::from_hours(30 * 24)).unwrap_or(now);
    let metrics = metrics::compute(&workspace, &app, &names, Period { since, until: now, fix_window_seconds: 3_600 })?;
    context.tell_trust(&app);
    let promotions = promotions(context, &workspace, &status);
    let repository = crate::secret::redact(
        &workspace
            .repo
            .remote_url(&workspace.remote)
            .unwrap_or_else(|| workspace.repo.command_dir().display().to_string()),
    );
    let mut data = ReportData {
        generated_at: record::display_time(now),
        repository,
        status,
        timeline,
        metrics,
        promotions,
        output: None,
        html: String::new(),
    };
    data.html = page(&data);
    if args.output != Path::new("-") {
        write(&args.output, &data.html)?;
        data.output = Some(args.output.display().to_string());
        context.ui.message(&format!("wrote the report to {}", args.output.display()));
    }
    context.ui.report(&data);
    Ok(())
}

/// Writes the page. A regular file (or none yet) is written beside its place first and moved
/// there, so that a reader never sees half of it; anything else (`/dev/null`, a pipe, a symbolic
/// link) is written through, as a shell's `>` would, and never replaced.
fn write(path: &Path, html: &str) -> Result<(), Error> {
    let failed = |e: std::io::Error| {
        Error::new(Kind::Usage, format!("cannot write the report to {}", path.display()))
            .cause(e.to_string())
            .hint("give --output a file in a folder you can write to, or - for standard output")
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(failed(std::io::Error::other("it is a folder"))),
        Ok(meta) if !meta.is_file() => std::fs::write(path, html).map_err(failed),
        _ => {
            let (mut file, partial) = partial_beside(path).map_err(failed)?;
            // Written through the file this run made, never reopened by its name.
            let written = std::io::Write::write_all(&mut file, html.as_bytes()).and_then(|()| file.sync_all());
            drop(file);
            written.and_then(|()| std::fs::rename(&partial, path)).map_err(|e| {
                let _ = std::fs::remove_file(&partial);
                failed(e)
            })
        }
    }
}

/// A new file beside `path`, made by this run alone (`create_new`: an entry of that name already
/// there, a planted link or pipe among them, is never opened), with its name.
fn partial_beside(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut last = None;
    for n in 0..100 {
        let partial = path.with_file_name(format!(".{name}.{}.{n}.partial", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&partial) {
            Ok(file) => return Ok((file, partial)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free name for the page beside it")))
}

/// Every environment's records and approvals, newest first, up to [`EVENTS_SHOWN`] each.
fn timeline(workspace: &Workspace, app: &AppRepo) -> Result<Vec<Event>, Error> {
    let file = &workspace.file;
    let horizon = crate::clock::horizon()?;
    let mut events = Vec::new();
    for environment in &file.environments {
        let mut own = Vec::new();
        for record in app.records(&file.tags, Some(&environment.name), EVENTS_SHOWN)? {
            let deployment = record.deployment;
            own.push(Event {
                time: record::display_time(deployment.time),
                environment: deployment.environment,
                kind: if deployment.rollback_of.is_some() { "rollback" } else { "deployment" },
                version: deployment.version,
                commit: deployment.commit.to_string(),
                tag: record.tag,
                pipeline: deployment.pipeline,
                by: deployment.deployed_by,
                rollback_of: deployment.rollback_of,
                counted: None,
                at: deployment.time,
            });
        }
        for judged in app.approvals(&file.tags, &file.trust, &environment.name, None)? {
            let judged = judged.as_of(horizon);
            let approval = judged.approval;
            own.push(Event {
                time: record::display_time(approval.at),
                environment: approval.environment,
                kind: match approval.stance {
                    Stance::Approve => "approval",
                    Stance::Revoke => "revocation",
                },
                version: approval.version,
                commit: approval.commit.to_string(),
                tag: approval.tag,
                pipeline: None,
                counted: Some(judged.counts_for.is_ok()),
                by: Some(match judged.counts_for {
                    Ok(_) => approval.by,
                    Err(why) => format!("{} (not counted: {why})", approval.by),
                }),
                rollback_of: None,
                at: approval.at,
            });
        }
        own.sort_by(|a, b| (b.at, &b.tag).cmp(&(a.at, &a.tag)));
        own.truncate(EVENTS_SHOWN);
        events.extend(own);
    }
    Ok(events)
}

/// The open pull requests between environment branches, where a forge answers; a forge that
/// does not is a note on the page, not a failure.
fn promotions(context: &Context, workspace: &Workspace, status: &StatusReport) -> Promotions {
    let none = |forge: Option<&'static str>, note: String| Promotions { forge, open: Vec::new(), note: Some(note) };
    if context.offline {
        return none(None, "not asked: --offline".into());
    }
    let forge = match context.forge(workspace) {
        Ok(Some(forge)) => forge,
        Ok(None) => return none(None, "no forge holds the release repository".into()),
        Err(error) => return none(None, format!("the forge could not be asked: {}", error.message)),
    };
    let title = forge.location().kind.title();
    let branches: Vec<&str> = status.environments.iter().map(|row| row.branch.as_str()).collect();
    match forge.list(None, crate::forge::Listing::Open) {
        Ok(pulls) => Promotions {
            forge: Some(title),
            open: pulls
                .into_iter()
                .filter(|pull| !pull.from_fork && branches.contains(&pull.target.as_str()))
                .map(|pull| Promotion {
                    number: pull.number,
                    title: pull.title,
                    url: pull.url,
                    source: pull.source,
                    target: pull.target,
                })
                .collect(),
            note: None,
        },
        Err(error) => {
            context.ui.warning(&Error::from(error).hint("the report shows no promotions"));
            none(Some(title), format!("{title} could not be asked for the open pull requests"))
        }
    }
}

/// Text made safe inside HTML, in content and in attribute values alike.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A link where the address is a web page's; the text alone where it is anything else, so that
/// a record's `Pipeline:` cannot put a `javascript:` address on the page.
fn link(url: &str, text: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        format!("<a href=\"{}\" rel=\"noreferrer\">{}</a>", escape(url), escape(text))
    } else {
        escape(text)
    }
}

const STYLE: &str = "
:root{--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid var(--line)}h3{font-size:1rem}
.meta{color:var(--muted);margin:0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:var(--bg)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}.muted{color:var(--muted)}
.graph{overflow-x:auto}.graph svg{max-width:none}
svg text{font-family:system-ui,sans-serif;font-size:12px}
@media (max-width:40rem){body{padding:.5rem}th,td{padding:.3rem}table{font-size:.8rem}}
@media print{body{max-width:none}.scroll{overflow:visible}a{color:inherit;text-decoration:none}section{break-inside:avoid}h2{break-after:avoid}}
";

/// The whole page.
fn page(data: &ReportData) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>Release report: {repo}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n\
         <h1>Release report</h1>\n<p class=\"meta\">{repo}, at <time datetime=\"{at}\">{at}</time></p>\n</header>\n<main>\n",
        repo = escape(&data.repository),
        at = escape(&data.generated_at),
    );
    environments(&mut html, &data.status);
    drift(&mut html, &data.status);
    timelines(&mut html, &data.status, &data.timeline);
    keys(&mut html, &data.metrics);
    open_promotions(&mut html, &data.promotions);
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

/// Text cut to what a box of the graph holds; the table beside it says it whole.
fn fit(text: &str) -> String {
    const HOLDS: usize = 22;
    if text.chars().count() <= HOLDS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(HOLDS - 1).collect();
    cut.push('…');
    cut
}

/// How an environment's RUNS reads, as a class for its colour.
fn runs_class(runs: &str) -> &'static str {
    match runs {
        "as asked" => "ok",
        "never deployed" | "-" | "unknown here" => "muted",
        _ => "warn",
    }
}

/// The graph: a column per step along `after`, an arrow per edge, then the same as a table.
fn environments(html: &mut String, status: &StatusReport) {
    let rows = &status.environments;
    let mut depth = vec![0_usize; rows.len()];
    // `after` has no cycles (the release file is refused with one): depths settle within
    // as many rounds as there are environments.
    for _ in 0..rows.len() {
        for (at, row) in rows.iter().enumerate() {
            let before = row.after.iter().filter_map(|name| rows.iter().position(|r| &r.name == name));
            depth[at] = before.map(|b| depth[b] + 1).max().unwrap_or(0);
        }
    }
    let (width, height, gap_x, gap_y) = (170_usize, 64_usize, 50_usize, 18_usize);
    let mut placed = vec![(0_usize, 0_usize); rows.len()];
    let mut in_column = std::collections::BTreeMap::<usize, usize>::new();
    for (at, d) in depth.iter().enumerate() {
        let slot = in_column.entry(*d).or_default();
        placed[at] = (10 + d * (width + gap_x), 10 + *slot * (height + gap_y));
        *slot += 1;
    }
    let total_w = placed.iter().map(|p| p.0 + width + 10).max().unwrap_or(200);
    let total_h = placed.iter().map(|p| p.1 + height + 10).max().unwrap_or(80);
    let _ = write!(
        html,
        "<section aria-labelledby=\"environments\">\n<h2 id=\"environments\">Environments</h2>\n\
         <div class=\"graph\"><svg viewBox=\"0 0 {total_w} {total_h}\" width=\"{total_w}\" height=\"{total_h}\" role=\"img\" aria-labelledby=\"graph-title graph-desc\">\n\
         <title id=\"graph-title\">The environments and what each runs</title>\n\
         <desc id=\"graph-desc\">Each box is an environment, with the version it runs; an arrow leads from an environment to the one it promotes into. The table below says the same.</desc>\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#57606a\"/></marker></defs>\n"
    );
    for (at, row) in rows.iter().enumerate() {
        for name in &row.after {
            let Some(from) = rows.iter().position(|r| &r.name == name) else { continue };
            let (x1, y1) = (placed[from].0 + width, placed[from].1 + height / 2);
            let (x2, y2) = (placed[at].0, placed[at].1 + height / 2);
            let _ = writeln!(
                html,
                "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#57606a\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>"
            );
        }
    }
    for (row, (x, y)) in rows.iter().zip(&placed) {
        let runs = row.runs();
        let colour = match runs_class(&runs) {
            "ok" => "#1a7f37",
            "warn" => "#9a6700",
            _ => "#57606a",
        };
        let deployed = row.deployed.as_ref().map_or_else(|| "nothing deployed".to_owned(), |d| d.version.clone());
        let (name, deployed) = (fit(&row.name), fit(&deployed));
        let _ = writeln!(
            html,
            "<g><rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"6\" fill=\"#fff\" stroke=\"{colour}\" stroke-width=\"2\"/>\
             <text x=\"{tx}\" y=\"{y1}\" font-weight=\"600\">{name}</text>\
             <text x=\"{tx}\" y=\"{y2}\">{deployed}</text>\
             <text x=\"{tx}\" y=\"{y3}\" fill=\"{colour}\">{runs}</text></g>",
            tx = x + 10,
            y1 = y + 20,
            y2 = y + 38,
            y3 = y + 55,
            name = escape(&name),
            deployed = escape(&deployed),
            runs = escape(&runs),
        );
    }
    html.push_str("</svg></div>\n<div class=\"scroll\">\n<table id=\"environment-table\">\n<caption>What each environment runs</caption>\n<thead><tr>");
    for head in ["Environment", "Branch", "Version asked", "After", "Deployed", "Commit", "Record", "Runs", "Gate"] {
        let _ = write!(html, "<th scope=\"col\">{head}</th>");
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        environment_row(html, row);
    }
    html.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

fn environment_row(html: &mut String, row: &Row) {
    let version =
        if row.invalid.is_some() { "invalid".to_owned() } else { row.version.clone().unwrap_or_else(|| "-".into()) };
    let after = if row.after.is_empty() { "-".to_owned() } else { row.after.join(", ") };
    let (deployed, commit, tag) = match &row.deployed {
        Some(d) => (
            format!("{} <time datetime=\"{}\">{}</time>", escape(&d.version), escape(&d.time), escape(&d.shown_time)),
            format!("<code title=\"{0}\">{1}</code>", d.commit, d.commit.short()),
            format!("<code>{}</code>", escape(&d.tag)),
        ),
        None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
    };
    let runs = row.runs();
    let gate = row.gate_shown();
    let gate_class = if gate.starts_with("allowed") {
        "ok"
    } else if gate == "-" {
        "muted"
    } else {
        "bad"
    };
    let _ = writeln!(
        html,
        "<tr data-environment=\"{name}\"><th scope=\"row\">{name}</th><td><code>{branch}</code></td><td>{version}</td>\
         <td>{after}</td><td>{deployed}</td><td>{commit}</td><td>{tag}</td><td class=\"{rc}\">{runs}</td><td class=\"{gate_class}\">{gate}</td></tr>",
        name = escape(&row.name),
        branch = escape(&row.branch),
        version = escape(&version),
        after = escape(&after),
        rc = runs_class(&runs),
        runs = escape(&runs),
        gate = escape(&gate),
    );
}

/// The environments that do not run what their branch asks for.
fn drift(html: &mut String, status: &StatusReport) {
    html.push_str("<section aria-labelledby=\"drift\">\n<h2 id=\"drift\">Drift</h2>\n");
    let invalid: Vec<&Row> = status.environments.iter().filter(|row| row.invalid.is_some()).collect();
    for row in &invalid {
        let why = row.invalid.as_ref().map(|e| e.message.clone()).unwrap_or_default();
        let _ = writeln!(
            html,
            "<p class=\"bad\">What {} runs against what its branch asks for cannot be told: its release file is invalid ({}).</p>",
            escape(&row.name),
            escape(&why)
        );
    }
    let behind: Vec<&Row> =
        status.environments.iter().filter(|row| row.drift.as_ref().is_some_and(|d| d.behind)).collect();
    if behind.is_empty() && !invalid.is_empty() {
        html.push_str("<p>Every other environment runs what its branch asks for.</p>\n</section>\n");
        return;
    }
    if behind.is_empty() {
        html.push_str("<p>Every environment runs what its branch asks for.</p>\n</section>\n");
        return;
    }
    html.push_str("<div class=\"scroll\">\n<table>\n<caption>Environments that do not run what their branch asks for</caption>\n\
        <thead><tr><th scope=\"col\">Environment</th><th scope=\"col\">Runs</th><th scope=\"col\">Its branch asks for</th><th scope=\"col\">How far</th></tr></thead>\n<tbody>\n");
    for row in behind {
        let Some(drift) = &row.drift else { continue };
        let runs = row
            .deployed
            .as_ref()
            .map_or_else(|| "nothing".to_owned(), |d| format!("{} ({})", d.version, d.commit.short()));
        let asks = match (&drift.commit, &drift.unresolved) {
            (Some(commit), _) => format!("{} ({})", drift.version, commit.short()),
            (None, Some(why)) => format!("{} ({why})", drift.version),
            (None, None) => drift.version.clone(),
        };
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td class=\"warn\">{}</td></tr>",
            escape(&row.name),
            escape(&runs),
            escape(&asks),
            escape(&row.runs())
        );
    }
    html.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

/// Each environment's deployments, rollbacks and approvals, newest first.
fn timelines(html: &mut String, status: &StatusReport, events: &[Event]) {
    html.push_str("<section aria-labelledby=\"timeline\">\n<h2 id=\"timeline\">Timeline</h2>\n");
    for row in &status.environments {
        let own: Vec<&Event> = events.iter().filter(|e| e.environment == row.name).collect();
        let id = format!("timeline-{}", row.name);
        let _ = writeln!(html, "<section aria-labelledby=\"{id}\">\n<h3 id=\"{id}\">{}</h3>", escape(&row.name));
        if own.is_empty() {
            html.push_str("<p class=\"muted\">Nothing recorded yet.</p>\n</section>\n");
            continue;
        }
        let shown = if own.len() >= EVENTS_SHOWN { format!(", the newest {EVENTS_SHOWN}") } else { String::new() };
        let _ = write!(
            html,
            "<div class=\"scroll\">\n<table>\n<caption>{}: deployments, rollbacks and approvals, newest first{shown}</caption>\n",
            escape(&row.name)
        );
        html.push_str("<thead><tr><th scope=\"col\">Time</th><th scope=\"col\">What</th>\
            <th scope=\"col\">Version</th><th scope=\"col\">Commit</th><th scope=\"col\">Tag</th><th scope=\"col\">Pipeline</th><th scope=\"col\">By</th></tr></thead>\n<tbody>\n");
        for event in own {
            let class = match (event.kind, event.counted) {
                (_, Some(false)) => "muted",
                ("rollback" | "revocation", _) => "bad",
                ("approval", _) => "ok",
                _ => "",
            };
            let kind = match (&event.rollback_of, event.counted) {
                (Some(of), _) => format!("rollback of <code>{}</code>", escape(of)),
                (None, Some(false)) => format!("{} (not counted)", event.kind),
                (None, _) => event.kind.to_owned(),
            };
            let pipeline = event.pipeline.as_deref().map_or_else(|| "-".to_owned(), |url| link(url, url));
            let _ = writeln!(
                html,
                "<tr><td><time datetime=\"{time}\">{time}</time></td><td class=\"{class}\">{kind}</td><td>{version}</td>\
                 <td><code title=\"{commit}\">{short}</code></td><td><code>{tag}</code></td><td>{pipeline}</td><td>{by}</td></tr>",
                time = escape(&event.time),
                version = escape(&event.version),
                commit = escape(&event.commit),
                short = escape(event.commit.get(..7).unwrap_or(&event.commit)),
                tag = escape(&event.tag),
                by = escape(event.by.as_deref().unwrap_or("-")),
            );
        }
        html.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    }
    html.push_str("</section>\n");
}

/// The DORA keys of the last 30 days.
fn keys(html: &mut String, report: &MetricsReport) {
    let _ = write!(
        html,
        "<section aria-labelledby=\"metrics\">\n<h2 id=\"metrics\">Metrics</h2>\n<p class=\"meta\">From {} to {}, \
         as <code>git release metrics</code> counts them (fix window {}).</p>\n<div class=\"scroll\">\n<table>\n\
         <caption>The four DORA keys per environment</caption>\n<thead><tr><th scope=\"col\">Environment</th>\
         <th scope=\"col\">Deployments</th><th scope=\"col\">Per day</th><th scope=\"col\">Lead time (median / 90th percentile)</th>\
         <th scope=\"col\">Change failure rate</th><th scope=\"col\">Time to restore (median / 90th percentile)</th></tr></thead>\n<tbody>\n",
        record::display_time(report.since),
        record::display_time(report.until),
        metrics::shown(Some(report.fix_window_seconds)),
    );
    for keys in &report.environments {
        let rate = keys.change_failure_rate.map_or_else(
            || "-".to_owned(),
            |rate| format!("{:.0}% ({} of {})", rate * 100.0, keys.failed, keys.deployments),
        );
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{:.2}</td><td>{} / {}</td><td>{}</td><td>{} / {}</td></tr>",
            escape(&keys.environment),
            keys.deployments,
            keys.deployments_per_day,
            metrics::shown(keys.lead_time.median_seconds),
            metrics::shown(keys.lead_time.p90_seconds),
            rate,
            metrics::shown(keys.time_to_restore.median_seconds),
            metrics::shown(keys.time_to_restore.p90_seconds),
        );
    }
    html.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

fn open_promotions(html: &mut String, promotions: &Promotions) {
    html.push_str("<section aria-labelledby=\"promotions\">\n<h2 id=\"promotions\">Open promotions</h2>\n");
    if let Some(note) = &promotions.note {
        let _ = writeln!(html, "<p class=\"muted\">None listed: {}.</p>", escape(note));
    } else if promotions.open.is_empty() {
        let forge = promotions.forge.unwrap_or("the forge");
        let _ = writeln!(html, "<p>No promotion is open on {forge}.</p>");
    } else {
        html.push_str("<div class=\"scroll\">\n<table>\n<caption>Pull requests into environment branches</caption>\n<thead><tr><th scope=\"col\">Pull request</th><th scope=\"col\">From</th><th scope=\"col\">Into</th></tr></thead>\n<tbody>\n");
        for pull in &promotions.open {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                link(&pull.url, &format!("#{} {}", pull.number, pull.title)),
                escape(&pull.source),
                escape(&pull.target)
            );
        }
        html.push_str("</tbody>\n</table>\n</div>\n");
    }
    html.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_planted_where_the_page_is_written_first_is_never_followed() {
        // Found by an independent pass: a link at the fixed name `.p.html.partial` made the page
        // overwrite the file it pointed to, and was then moved into the page's place.
        let dir = tempfile::tempdir().expect("a temp dir");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "VICTIM").expect("written");
        let page = dir.path().join("p.html");
        for n in 0..3 {
            let planted = dir.path().join(format!(".p.html.{}.{n}.partial", std::process::id()));
            std::os::unix::fs::symlink(&victim, planted).expect("a link");
        }
        write(&page, "<!DOCTYPE html>").expect("the page is written");
        assert_eq!(std::fs::read_to_string(&victim).expect("the victim"), "VICTIM");
        assert!(std::fs::symlink_metadata(&page).expect("the page").is_file(), "the page is a file of its own");
        assert_eq!(std::fs::read_to_string(&page).expect("the page"), "<!DOCTYPE html>");
    }

    #[test]
    fn text_and_addresses_cannot_break_out_of_the_page() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(link("javascript:alert(1)", "run"), "run");
        assert_eq!(
            link("https://ci.example/runs/1?a=1&b=\"2\"", "run"),
            "<a href=\"https://ci.example/runs/1?a=1&amp;b=&quot;2&quot;\" rel=\"noreferrer\">run</a>"
        );
    }
}
