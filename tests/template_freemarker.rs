//! Our FreeMarker renderer against the real FreeMarker, byte for byte.
//!
//! Every stock Alfresco IMAP template (`../shared/spec/alfresco-templates/`, 44 files plus
//! `legacy/`) and a corpus of edge cases are rendered by Debian's `libfreemarker-java` through
//! `tests/freemarker/Render.java` (configured as Alfresco configures FreeMarker) and by our
//! renderer, with the same models, in several locales and one time zone; the outputs must be
//! identical, and where FreeMarker fails we must fail too.
//!
//! Needs `java` (OpenJDK 17, package `openjdk-17-jdk-headless`) and
//! `/usr/share/java/freemarker.jar` (package `libfreemarker-java`, FreeMarker 2.3.31 on Debian 12).
//! Without them the tests are skipped with a message, or fail when
//! `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`. `FREEMARKER_JAR` and `ALFRESCO_TEMPLATES_DIR` override the
//! jar and the templates folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use alfresco_imap::template::{
    DateKind, Decimal, Model, Number, RenderSettings, Template, Value, unsupported_features,
};
use chrono::{TimeZone, Utc};

#[path = "common/external.rs"]
mod external;

const ZONE: &str = "Europe/Berlin";
const LOCALES: [&str; 3] = ["en", "de", "ja"];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Skips (or fails under `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`) when something external is missing.
fn unavailable(what: &str) -> bool {
    external::skip(
        "template_freemarker",
        what,
        "install openjdk-17-jdk-headless and libfreemarker-java",
    )
}

fn freemarker_jar() -> Option<PathBuf> {
    let jar = std::env::var_os("FREEMARKER_JAR").map_or_else(
        || PathBuf::from("/usr/share/java/freemarker.jar"),
        PathBuf::from,
    );
    jar.is_file().then_some(jar)
}

/// A JDK: `java` that can run single-file source programs (it needs the `jdk.compiler` module).
fn java_available() -> bool {
    Command::new("java")
        .arg("--list-modules")
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("jdk.compiler")
        })
}

/// `ALFRESCO_TEMPLATES_DIR`, else `../shared/spec/alfresco-templates` from the crate root (also
/// tried one level higher, for a worktree next to the main checkout).
fn templates_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ALFRESCO_TEMPLATES_DIR") {
        return PathBuf::from(dir);
    }
    let relative = "shared/spec/alfresco-templates";
    let candidates = [
        manifest_dir().join("..").join(relative),
        manifest_dir().join("../..").join(relative),
    ];
    candidates
        .iter()
        .find(|d| d.is_dir())
        .unwrap_or(&candidates[0])
        .clone()
}

/// The FreeMarker harness, or `None` (after the skip message) when it cannot run.
fn harness() -> Option<PathBuf> {
    if !java_available() {
        unavailable("a JDK (java with javac, OpenJDK 17)");
        return None;
    }
    let Some(jar) = freemarker_jar() else {
        unavailable("the FreeMarker jar (/usr/share/java/freemarker.jar)");
        return None;
    };
    Some(jar)
}

// --- models, as JSON for the harness ---

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn to_json(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(&json_string(s)),
        Value::Number(Number::Integer(n)) => write!(out, "{n}").unwrap(),
        Value::Number(Number::Double(d)) => out.push_str(&serde_json::to_string(d).unwrap()),
        Value::Number(Number::Decimal(d)) => write!(out, "{{\"$decimal\":\"{d}\"}}").unwrap(),
        Value::Boolean(b) => write!(out, "{b}").unwrap(),
        Value::Date(at, kind) => {
            let kind = match kind {
                DateKind::Date => "date",
                DateKind::Time => "time",
                DateKind::DateTime => "datetime",
                DateKind::Unknown => "unknown",
            };
            write!(
                out,
                "{{\"$date\":{},\"$type\":\"{kind}\"}}",
                at.timestamp_millis()
            )
            .unwrap();
        }
        Value::Sequence(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                to_json(item, out);
            }
            out.push(']');
        }
        Value::Hash(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(k));
                out.push(':');
                to_json(v, out);
            }
            out.push('}');
        }
        Value::Null => out.push_str("null"),
    }
}

fn model_json(model: &Model) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in model.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json_string(k));
        out.push(':');
        to_json(v, &mut out);
    }
    out.push('}');
    out
}

fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Value {
    let at = chrono_tz::Europe::Berlin
        .with_ymd_and_hms(y, mo, d, h, mi, s)
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    Value::date(at)
}

/// The model our virtual messages use: `document` (with `properties` under short and prefixed
/// names), `space`, `date`, `contextUrl`, `shareContextUrl`, `contentFolderUrl`.
fn document_model(
    name: &str,
    title: Option<&str>,
    description: Option<&str>,
    size: i64,
    created: Value,
    modified: Value,
) -> Model {
    let mut properties: Vec<(String, Value)> = vec![
        ("name".into(), name.into()),
        ("cm:name".into(), name.into()),
        ("creator".into(), "jürgen.o'brien".into()),
        ("cm:creator".into(), "jürgen.o'brien".into()),
        ("created".into(), created.clone()),
        ("cm:created".into(), created),
        ("modifier".into(), "admin <root>".into()),
        ("cm:modifier".into(), "admin <root>".into()),
        ("modified".into(), modified.clone()),
        ("cm:modified".into(), modified.clone()),
        ("ex:rating".into(), Value::Number(Number::Double(4.25))),
        ("ex:tags".into(), Value::from(vec!["a&b", "c"])),
    ];
    if let Some(t) = title {
        properties.push(("title".into(), t.into()));
        properties.push(("cm:title".into(), t.into()));
    }
    if let Some(d) = description {
        properties.push(("description".into(), d.into()));
        properties.push(("cm:description".into(), d.into()));
    } else {
        properties.push(("description".into(), Value::Null));
    }
    let id = "1a0b110f-1e09-4ca2-b367-fe25e4964a4e";
    let document = Value::hash([
        ("name", Value::from(name)),
        ("id", id.into()),
        ("storeType", "workspace".into()),
        ("storeId", "SpacesStore".into()),
        ("nodeRef", format!("workspace://SpacesStore/{id}").into()),
        ("properties", Value::hash(properties)),
        ("size", size.into()),
        ("mimetype", "application/pdf".into()),
        (
            "webdavUrl",
            "/webdav/Sites/marketing/documentLibrary/Q3%20Report.pdf".into(),
        ),
        (
            "url",
            format!("/d/a/workspace/SpacesStore/{id}/Q3%20Report.pdf").into(),
        ),
        (
            "downloadUrl",
            format!("/d/a/workspace/SpacesStore/{id}/Q3%20Report.pdf?a=true").into(),
        ),
        (
            "displayPath",
            "/Company Home/Sites/marketing/documentLibrary".into(),
        ),
        (
            "shareUrl",
            format!("/share/page/document-details?nodeRef=workspace://SpacesStore/{id}").into(),
        ),
    ]);
    let space = Value::hash([
        ("name", Value::from("documentLibrary")),
        ("id", "8f2105b4-daaf-4874-9e8a-2152569d109b".into()),
    ]);
    let mut model = Model::new();
    model
        .insert("document", document)
        .insert("space", space)
        .insert("date", modified)
        .insert("contextUrl", "http://repo.example.com:8080/alfresco")
        .insert("shareContextUrl", "http://repo.example.com:8080/share")
        .insert("contentFolderUrl", "http://repo.example.com:8080/share/page/site/marketing/documentlibrary?filter=path|/q3&x=<1>");
    model
}

fn stock_models() -> Vec<(&'static str, Model)> {
    let mut full = document_model(
        "Q3 Report & \"Plan\" <draft> l'été – 日本語.pdf",
        Some("Quarterly <b>report</b> & \"plan\" 'Q3' – Ünïcödé"),
        Some("Line one\nline two with & and <tags>"),
        1088,
        berlin(2026, 1, 5, 9, 3, 7),
        berlin(2026, 11, 28, 12, 57, 32),
    );
    full.insert("alfTicket", "TICKET_0123456789abcdef");
    let untitled = document_model(
        "untitled.txt",
        None,
        None,
        12345,
        berlin(2026, 7, 1, 0, 0, 0),
        berlin(2026, 3, 29, 3, 30, 0),
    );
    let big = document_model(
        "big.iso",
        Some(""),
        Some(""),
        123_456_789_012,
        berlin(1999, 12, 31, 23, 59, 59),
        berlin(2038, 1, 19, 4, 14, 7),
    );
    let empty = document_model(
        "empty",
        Some("t"),
        None,
        0,
        berlin(2026, 10, 25, 2, 30, 0),
        berlin(2026, 10, 25, 23, 0, 0),
    );
    vec![
        ("full", full),
        ("untitled", untitled),
        ("big", big),
        ("empty", empty),
    ]
}

// --- running the harness ---

/// One rendering to compare.
struct Case {
    label: String,
    name: String,
    text: String,
    model: Model,
    locale: String,
    zone: &'static str,
}

/// FreeMarker's result for each case: `Ok(output)` or `Err(message)`.
fn run_freemarker(jar: &Path, cases: &[Case]) -> Vec<Result<String, String>> {
    let dir = tempfile::tempdir().unwrap();
    let mut jobs = String::new();
    for (i, case) in cases.iter().enumerate() {
        let case_dir = dir.path().join(i.to_string());
        std::fs::create_dir(&case_dir).unwrap();
        let template = case_dir.join(&case.name);
        std::fs::write(&template, &case.text).unwrap();
        let model = case_dir.join("model.json");
        std::fs::write(&model, model_json(&case.model)).unwrap();
        let out = case_dir.join("out");
        writeln!(
            jobs,
            "{}\t{}\t{}\t{}\t{}",
            template.display(),
            case.locale,
            case.zone,
            model.display(),
            out.display()
        )
        .unwrap();
    }
    let jobs_file = dir.path().join("jobs");
    std::fs::write(&jobs_file, jobs).unwrap();
    let output = Command::new("java")
        .arg("-cp")
        .arg(jar)
        .arg(manifest_dir().join("tests/freemarker/Render.java"))
        .arg(&jobs_file)
        .output()
        .expect("java runs");
    assert!(
        output.status.success(),
        "the harness failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (0..cases.len())
        .map(|i| {
            let out = dir.path().join(i.to_string()).join("out");
            match std::fs::read(&out) {
                Ok(bytes) => Ok(String::from_utf8(bytes).unwrap()),
                Err(_) => {
                    Err(std::fs::read_to_string(out.with_extension("error")).unwrap_or_default())
                }
            }
        })
        .collect()
}

fn ours(case: &Case) -> Result<String, String> {
    let template = Template::parse(&case.name, &case.text).map_err(|e| e.to_string())?;
    let settings = RenderSettings::new(&case.locale, case.zone.parse().unwrap());
    template
        .render(&case.model, &settings)
        .map_err(|e| e.to_string())
}

/// Compares all cases; returns the report of differences (empty when all agree). With
/// `must_render`, FreeMarker failing is a difference too.
fn compare(jar: &Path, cases: &[Case], must_render: bool) -> String {
    let expected = run_freemarker(jar, cases);
    let mut report = String::new();
    for (case, want) in cases.iter().zip(expected) {
        let got = ours(case);
        match (&want, &got) {
            (Ok(w), Ok(g)) if w == g => {}
            (Err(_), Err(_)) if !must_render => {}
            _ => {
                writeln!(report, "=== {} (locale {}, zone {})\n--- template:\n{}\n--- FreeMarker: {want:?}\n--- ours:       {got:?}\n", case.label, case.locale, case.zone, case.text).unwrap();
            }
        }
    }
    report
}

fn stock_templates() -> Option<Vec<(String, String)>> {
    let dir = templates_dir();
    if !dir.is_dir() {
        unavailable(&format!("the stock templates folder {}", dir.display()));
        return None;
    }
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("legacy")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".ftl") || name.ends_with(".html") {
                files.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    Some(files)
}

#[test]
fn stock_templates_render_like_freemarker() {
    let Some(templates) = stock_templates() else {
        return;
    };
    let ftl_count = templates
        .iter()
        .filter(|(n, _)| n.starts_with("emailbody_"))
        .count();
    assert_eq!(ftl_count, 44, "the 44 stock templates");
    let Some(jar) = harness() else { return };
    let mut cases = Vec::new();
    for (name, text) in &templates {
        for (model_name, model) in stock_models() {
            for locale in LOCALES {
                cases.push(Case {
                    label: format!("{name} with the {model_name} model"),
                    name: name.clone(),
                    text: text.clone(),
                    model: model.clone(),
                    locale: locale.to_owned(),
                    zone: ZONE,
                });
            }
        }
    }
    let report = compare(&jar, &cases, false);
    assert!(report.is_empty(), "differences from FreeMarker:\n{report}");
    // The comparison is only meaningful if the stock templates actually render.
    let rendered = cases
        .iter()
        .filter(|c| c.name.starts_with("emailbody_"))
        .filter(|c| ours(c).is_ok())
        .count();
    assert_eq!(rendered, 44 * 4 * 3);
}

/// A template using every member of the virtual-message model, prefixed property keys included.
const MODEL_TEMPLATE: &str = r#"<#assign p = document.properties>
${document.name?html} (${document.id}, ${document.storeType}://${document.storeId}, ${document.nodeRef})
<#if p.title?? && p.title?has_content>Title: ${p.title?html} = ${p["cm:title"]?html}<#else>Untitled</#if>
<#if p.description?exists>Description: ${p.description}<#else>No description</#if>
Creator: ${p.creator} / ${p["cm:creator"]}, created ${p.created?datetime} (${p["cm:created"]?date?string.short})
Modifier: ${p.modifier?html}, modified ${p.modified?string("yyyy-MM-dd'T'HH:mm:ssXXX")} = ${date?datetime}
Size: ${document.size} bytes, ${document.size / 1024} Kb, ${(document.size / 1048576)?string("0.00")} MB, ${document.size?c}
Type: ${document.mimetype}; rating ${p["ex:rating"]}; tags <#list p["ex:tags"] as tag>${tag?html}<#sep>, </#list>
Folder: ${space.name} ${contentFolderUrl?html}
Links: ${contextUrl}${document.webdavUrl} ${contextUrl}${document.url} ${shareContextUrl}/page/document-details?nodeRef=${document.nodeRef?url('UTF-8')}
Missing: ${p["ex:missing"]!"-"} ${(document.missing.deeper)!"-"} ${p.unknown?has_content?string("yes", "no")}
"#;

#[test]
fn virtual_message_model_renders_like_freemarker() {
    let Some(jar) = harness() else { return };
    let mut cases = Vec::new();
    for (model_name, model) in stock_models() {
        for locale in LOCALES {
            cases.push(Case {
                label: format!("model template with the {model_name} model"),
                name: "model.ftl".into(),
                text: MODEL_TEMPLATE.into(),
                model: model.clone(),
                locale: locale.into(),
                zone: ZONE,
            });
        }
    }
    let report = compare(&jar, &cases, true);
    assert!(report.is_empty(), "differences from FreeMarker:\n{report}");
}

#[test]
fn stock_templates_use_only_supported_features() {
    let Some(templates) = stock_templates() else {
        return;
    };
    for (name, text) in templates {
        assert_eq!(unsupported_features(&name, &text), vec![], "{name}");
    }
}

#[test]
fn freemarker_version_is_recorded() {
    let Some(jar) = harness() else { return };
    let output = Command::new("java")
        .arg("-cp")
        .arg(&jar)
        .arg(manifest_dir().join("tests/freemarker/Render.java"))
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8(output.stdout).unwrap();
    eprintln!("comparing with FreeMarker {}", version.trim());
    assert!(
        version.starts_with("2.3."),
        "FreeMarker 2.3 expected, found {version}"
    );
}

#[test]
fn locale_data_matches_java() {
    if !java_available() {
        unavailable("a JDK (java with javac, OpenJDK 17)");
        return;
    }
    let output = Command::new("java")
        .arg(manifest_dir().join("tests/freemarker/LocaleData.java"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).unwrap();
    let committed =
        std::fs::read_to_string(manifest_dir().join("src/template/locale_data.rs")).unwrap();
    assert!(
        generated == committed,
        "src/template/locale_data.rs is out of date: regenerate it with tests/freemarker/LocaleData.java"
    );
}

// --- edge cases ---

fn edge_model() -> Model {
    let mut m = Model::new();
    m.insert("s", "a<b>&\"c\"'d' é 日本")
        .insert("empty", "")
        .insert("n", 1088i64)
        .insert("neg", -1234567i64)
        .insert("zero", 0i64)
        .insert("half", Value::Number(Number::Double(0.0625)))
        .insert("d5", Value::Number(Number::Double(0.0005)))
        .insert("d15", Value::Number(Number::Double(1.0005)))
        .insert("big", Value::Number(Number::Double(1e20)))
        .insert("tiny", Value::Number(Number::Double(-0.0001)))
        .insert("pi", Value::Number(Number::Double(std::f64::consts::PI)))
        .insert(
            "dec",
            Value::Number(Number::Decimal("1234.5650".parse::<Decimal>().unwrap())),
        )
        .insert("t", true)
        .insert("f", false)
        .insert("nul", Value::Null)
        .insert("seq", Value::from(vec!["x", "y", "z"]))
        .insert("one", Value::from(vec!["only"]))
        .insert("none", Value::Sequence(vec![]))
        .insert("nums", Value::from(vec![3i64, 1, 2]))
        .insert(
            "h",
            Value::hash([
                ("a", Value::from(1i64)),
                ("b", "B".into()),
                ("cm:title", "T".into()),
                ("x", Value::Null),
            ]),
        )
        .insert("eh", Value::hash::<String>([]))
        .insert("when", berlin(2026, 11, 28, 12, 57, 32))
        .insert("summer", berlin(2026, 7, 5, 0, 7, 9))
        .insert("newyear", berlin(2027, 1, 1, 0, 30, 0))
        .insert(
            "dt",
            Value::Date(
                Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 59).unwrap(),
                DateKind::DateTime,
            ),
        )
        .insert(
            "donly",
            Value::Date(
                Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap(),
                DateKind::Date,
            ),
        )
        .insert(
            "tonly",
            Value::Date(
                Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap(),
                DateKind::Time,
            ),
        );
    m
}

/// Templates whose output must equal FreeMarker's.
const EDGE_CASES: &[&str] = &[
    // Interpolation and escaping.
    "${s} ${s?html} ${s?url('UTF-8')} ${s?upper_case} ${s?lower_case} [${empty}]",
    "${s?url('utf-8')} ${'/a b?c=d&e'?url('UTF-8')}",
    "${n?html} ${when?datetime?html}",
    // Numbers.
    "${n} ${n / 1024} ${12345 / 1024} ${neg} ${zero} ${n?c} ${(n / 1024)?c} ${neg?c}",
    "${half} ${d5} ${d15} ${big} ${tiny} ${pi} ${dec} ${-dec} ${1.5 * 1.5} ${0.1 + 0.2}",
    "${half?c} ${d5?c} ${d15?c} ${big?c} ${tiny?c} ${pi?c} ${dec?c}",
    "${7 % 3} ${7.5 % 2} ${-7 % 3} ${7 / 2} ${1 / 3} ${2 / 3} ${10 / 4 * 2} ${1 - 2 - 3}",
    "${0.0005} ${0.0015} ${0.0025} ${1.0005} ${2.5 / 1000} ${-0.0004} ${0.9996} ${999.9996}",
    "${n?string('0.00')} ${n?string('#,##0.0#')} ${pi?string('0.###')} ${half?string('#.##')} ${zero?string('#')}",
    "${pi?string('0.0%')} ${n?string('000000')} ${neg?string('#,##0;(#,##0)')} ${n?string('\\'#\\'0')}",
    "${n?string.number} ${half?string.percent} ${neg?string.percent} ${pi?string.computer} ${n?string.computer}",
    "${half?string('.##')} ${neg?string('#,##0.00;#,##0.00')} ${neg?string('0;-0')} ${n?string('#,##0.###;(#)')} ${neg?string('#,##0.###;(#)')}",
    "${half?string('0.00‰')} ${n?string('# apples')} ${n?string(\"'#'#\")} ${n?string('#,#')}",
    "${1234567.891} ${-1234.5} ${12345678901234567890}",
    // Booleans.
    "${t?string} ${f?string} ${t?c} ${t?string('yes', 'no')} ${f?string('yes', 'no')}",
    "${(n > 1)?c} ${(n == 1088)?c} ${(n != 1088)?c} ${(n gte 1088)?c} ${(n lt 1)?c} ${(s == 'x')?c}",
    "<#if n gt 1000 && !f || missing??>A<#else>B</#if>",
    "<#if t == f>A<#else>B</#if>",
    "<#if (n > 1000)>A</#if>|<#if t >= 1000>B</#if>",
    // Defaults and existence.
    "${missing!} ${missing!'d'} ${(missing.child)!'d2'} ${h.x!'null default'} [${missing!?size}] ${missing!'a' + 'b'}",
    "${missing?exists?c} ${s?exists?c} ${nul?exists?c} ${missing???c} ${(missing.a)???c}",
    "${(missing.a)?exists?c} ${(missing.a)?has_content?c} ${empty?has_content?c} ${none?has_content?c} ${eh?has_content?c} ${zero?has_content?c} ${nul?has_content?c}",
    "${(h.missing)!'x'} ${(h.a + missing)!'y'}",
    "${missing! + 1}",
    // Hashes and sequences.
    "${h.a} ${h['b']} ${h[\"cm:title\"]} ${h?size} ${seq?size} ${seq[0]}${seq[2]} ${eh?size} ${(seq[5])!'out'}",
    "${s[1]}",
    "${([1, 2] + [3])?size} ${(seq + ['w'])[3]}",
    // Strings.
    "${'a' + 1 + 2} ${1 + 2 + 'a'} ${'x${n}y'} ${r'raw\\n${x}'} ${\"esc\\t\\\"\\x41\\l\\g\\a\"}",
    "${'a' + when?date}",
    "${'<' + s?html + '>'}",
    // Lists.
    "<#list seq as x>${x?index}:${x}<#sep>, </#list>.",
    "<#list seq as x>${x?counter}${x?has_next?c}${x?is_first?c}${x?is_last?c}<#sep>|</#sep>;</#list>",
    "<#list none as x>${x}<#else>nothing</#list>",
    "<#list one as x>[${x}]<#sep>,</#list>",
    "<#list nums as x><#list seq as y>${x}${y}<#sep>-</#list><#sep>/</#list>",
    "<#list seq as x>\n  <#if x == 'y'>\n    Y\n  <#else>\n    ${x}\n  </#if>\n</#list>\n",
    "<ul>\n<#list seq as x>\n  <li>${x}</li>\n</#list>\n</ul>\n",
    // Assign.
    "<#assign a = 1><#assign b = a + 1, c = 'c'><#assign a += 10>${a} ${b} ${c}<#assign c += 'd'> ${c}",
    "<#assign i = 0><#list seq as x><#assign i++></#list>${i}<#assign i-->${i}<#assign i *= 5>${i}<#assign i /= 2>${i}<#assign i %= 2>${i}",
    "<#assign n = 'shadowed'>${n}",
    // White-space stripping.
    "a\n  <#if t>\nb\n  </#if>\nc\n",
    "${n}\n  <#if t>\n  b\n  <#else>\n  c\n  </#if>\nd\n",
    "a\r\n  <#if t>\r\nb\r\n  </#if>\r\nc",
    "a\n<#-- c -->\nb\n  <#-- multi\n  line -->  \nc",
    "a\n <#assign y = 1> <#-- c --> \nb\n<#assign z = 2>\n",
    "a\n  <#if t>${n}</#if>  \nb\n  <#if t>x</#if>  \nc\n",
    "  <#if t>\nb\n</#if>\n",
    "<#if t>\nb\n</#if>\n",
    "\n<#if t>\nb\n</#if>\n",
    "x <#if t>\n y\n</#if> z\n",
    "<#if t>a</#if>\n<#if t>b</#if>\n",
    "\t<#if t>\t\n\tx\n\t</#if>\t\n",
    "a\n<#if f>\nb\n<#elseif t>\nc\n<#else>\nd\n</#if>\ne",
    "<#list seq as x>\n${x}\n<#sep>\n,\n</#sep>\n</#list>\n",
    "a<#-- c -->\n<#-- d -->b\n",
    "<#assign a = 1>\n<#assign b = 2>\n${a}${b}\n",
    "line\n   <#assign a = 1>   \n   ${a}   \n",
    // Dates.
    "${when?datetime} | ${when?date} | ${when?time} | ${summer?datetime} | ${newyear?date}",
    "${dt} | ${donly} | ${tonly} | ${dt?date}",
    "${when?string('yyyy-MM-dd HH:mm:ss.SSS Z XXX EEEE EEE MMMM MMM d D F u w W Y yy a h k K G')}",
    "${summer?string(\"'Week' w 'of' YYYY, dd.MM.yyyy 'um' HH 'Uhr'\")}",
    "${newyear?string('w YYYY ww')}",
    "${when?datetime?string('short')} | ${when?datetime?string.medium} | ${when?date?string.short} | ${when?time?string('short')} | ${when?datetime?string('short_medium')} | ${when?date?string('short_full')}",
    "${(when?datetime > dt)?c}",
    "${(dt == dt?datetime)?c} ${(donly < donly)?c}",
    // Syntax corners.
    "<#if f>a<#elseIf t>b</#if> ${s?hasContent?c} ${s?upperCase} <#if t]X</#if>",
    "<#if n \\gt 1 && n &gt; 2 && n &lt; 5000 && n \\lte 5000 && n gte 3>A</#if>",
    "${n <#-- comment --> + 1} ${ n } ${n?string} ${(!t)?c} ${(t == true)?c}",
    "<#list seq as x>${x}<#if x?is_last>.</#if></#list> <#list seq as x>${x}<#else>e</#list>",
    "${'\\x263A\\{'} ${\"abc\"[1]} ${seq[1.9]} ${t?string(\"a\",\"b\")} ${(h.x)!'dflt'}",
    "<#assign seq2 = seq + ['q']>${seq2?size} <#assign größe = 1>${größe}",
    "<#list seq as x>\n  ${x}<#sep>,\n  </#sep>\n</#list>\n",
    "a\r  <#if t>\r b\r  </#if>\rc",
    "<#-- a -->\n<#-- b -->\ntext\n<#-- c -->",
    "<#list none as x>\n  ${x}\n<#else>\n  none\n</#list>\n",
    "  ${n}  \n  <#assign a = 1>  \n  <#if t>  \n  x  \n  </#if>  \n",
    "<#if t>\n<#if t>\n  deep\n</#if>\n</#if>\n",
    "${h.a + h.a} ${h.b + h.a} ${(h.a + 0.5) * 2}",
    // String equality follows Java's collator: ignorable characters, decomposed accents.
    "${('a\\x0001b' == 'ab')?c} ${('\\xE9' == 'e\\x0301')?c} ${('\\xC5' == 'A\\x030A')?c} ${('a\\x200Bb' == 'ab')?c} ${('a' == 'A')?c} ${('a\\tb' == 'ab')?c} ${('x' != 'x\\x0007')?c}",
    // Tags and interpolations over several lines.
    "a\n  <#if t &&\n     !f>\n  b\n  </#if>\nc\n",
    "a\n  ${n +\n 1}\n  <#if\n t>\n x\n</#if\n>\nz",
    "<#list seq as x>\n  <#if x == 'x'>\n    first\n  <#elseif x == 'y'>\n    second\n  </#if>\n<#else>\n  none\n</#list>\n",
    "\t\t<#assign a = 1>\r\n\t${a}\t\r\n\t<#-- c -->\r\n",
    "x<#if t>\n</#if>y\n<#if t></#if>\nz",
    "",
    "\n",
    "<#if t>\n</#if>",
    "<#-- only a comment -->",
    "é😀 ${missing!} after\u{2028}${s}",
];

/// Templates FreeMarker refuses (missing values, type errors, ...): we must refuse them too.
const EDGE_ERRORS: &[&str] = &[
    "${t}",
    "${seq}",
    "${h}",
    "${missing}",
    "${nul}",
    "${h.x}",
    "${h.missing.deeper}",
    "${missing.child}",
    "${1 / 0}",
    "${7 % 0}",
    "${n?string('0#')}",
    "${t?string('yes')}",
    "<#if n == '1088'>A</#if>",
    "<#if s < 'b'>A</#if>",
    "<#if missing == 1>A</#if>",
    "<#if n>A</#if>",
    "${missing.child!'d'}",
    "${missing??}",
    "${missing.a?exists?c}",
    "${seq[5]}",
    "${s?size}",
    "${'a' + t}",
    "${'a' + when}",
    "<#list missing as x>${x}</#list>",
    "<#list h as x>${x}</#list>",
    "<#list s as x>${x}</#list>",
    "<#assign n += 1>${n}",
    "${when}",
    "${donly?time}",
    "${when?string('short')}",
    "${when?string('q')}",
    "${when?string.iso}",
    "${(when > dt)?c}",
    "${'2026-01-01'?date}",
    "${n > 1}",
    "${n >= 1}",
    "${!t?c}",
    "${-n?c}",
    "${'a' + seq}",
    "${seq + 'a'}",
    "${h + h}",
    "${donly?datetime}",
];

/// Templates FreeMarker renders but we deliberately do not support: we must refuse them with an
/// "unsupported" error rather than print something different.
/// The flag tells whether [`unsupported_features`] finds the problem without data.
const UNSUPPORTED_CASES: &[(&str, bool)] = &[
    ("${n?string.currency}", true),
    ("${n?string('0.0E0')}", true),
    ("<#assign x>captured</#assign>${x}", true),
    ("${when?datetime?string.long}", false),
    ("${when?string('zzzz')}", true),
    ("${when?datetime?string.iso}", true),
    ("${'2026-01-01'?date('yyyy-MM-dd')}", true),
    ("<#macro m>x</#macro><@m/>", true),
    ("<#list 1..3 as i>${i}</#list>", true),
    ("${{'a': 1}.a}", true),
    ("${.now?date}", true),
    ("${s?trim}", true),
    ("<#switch n><#case 1>one</#switch>", true),
    ("<#t>x", true),
    ("#{n}", true),
];

#[test]
fn unsupported_features_are_refused() {
    use alfresco_imap::template::ErrorKind;
    let Some(jar) = harness() else { return };
    let cases: Vec<Case> = UNSUPPORTED_CASES
        .iter()
        .enumerate()
        .map(|(i, (text, _))| Case {
            label: format!("unsupported case {i}"),
            name: format!("unsupported{i}.ftl"),
            text: (*text).to_owned(),
            model: edge_model(),
            locale: "en".to_owned(),
            zone: ZONE,
        })
        .collect();
    let expected = run_freemarker(&jar, &cases);
    for ((case, want), (_, listed)) in cases.iter().zip(expected).zip(UNSUPPORTED_CASES) {
        assert!(want.is_ok(), "FreeMarker renders {:?}: {want:?}", case.text);
        let err = Template::parse(&case.name, &case.text).and_then(|t| {
            t.render(
                &case.model,
                &RenderSettings::new("en", ZONE.parse().unwrap()),
            )
        });
        let kind = err.expect_err(&case.text).kind;
        assert!(
            matches!(
                kind,
                ErrorKind::Unsupported(_)
                    | ErrorKind::UnknownBuiltIn(_)
                    | ErrorKind::UnknownDirective(_)
            ),
            "{:?}: {kind:?}",
            case.text
        );
        assert_eq!(
            !unsupported_features(&case.name, &case.text).is_empty(),
            *listed,
            "{:?} is listed",
            case.text
        );
    }
}

/// Alfresco sets no output encoding, so there `?url` without a charset fails; we encode UTF-8,
/// like `?url('UTF-8')`, rather than break the message.
#[test]
fn url_without_charset_encodes_utf8() {
    let model = edge_model();
    let render = |text: &str| {
        Template::parse("url.ftl", text)
            .unwrap()
            .render(&model, &RenderSettings::new("en", ZONE.parse().unwrap()))
            .unwrap()
    };
    assert_eq!(render("${s?url}"), render("${s?url('UTF-8')}"));
    assert_eq!(
        render("${s?url}"),
        "a%3Cb%3E%26%22c%22'd'%20%C3%A9%20%E6%97%A5%E6%9C%AC"
    );
    let Some(jar) = harness() else { return };
    let case = Case {
        label: "url".into(),
        name: "url.ftl".into(),
        text: "${s?url}".into(),
        model,
        locale: "en".into(),
        zone: ZONE,
    };
    assert!(
        run_freemarker(&jar, &[case])[0].is_err(),
        "Alfresco's FreeMarker configuration has no URL charset"
    );
}

#[test]
fn edge_cases_render_like_freemarker() {
    let Some(jar) = harness() else { return };
    let mut cases = Vec::new();
    for (i, text) in EDGE_CASES.iter().chain(EDGE_ERRORS).enumerate() {
        for locale in ["en", "de", "ja", "fr", "ru", "nb", "zh_CN", "pt_BR", "tr"] {
            cases.push(Case {
                label: format!("edge case {i}"),
                name: format!("edge{i}.ftl"),
                text: (*text).to_owned(),
                model: edge_model(),
                locale: locale.to_owned(),
                zone: ZONE,
            });
        }
    }
    let expected = run_freemarker(&jar, &cases);
    let mut report = String::new();
    for (case, want) in cases.iter().zip(expected) {
        let must_render = EDGE_CASES.contains(&case.text.as_str());
        let got = ours(case);
        let agree = match (&want, &got) {
            (Ok(w), Ok(g)) => must_render && w == g,
            (Err(_), Err(_)) => !must_render,
            _ => false,
        };
        if !agree {
            writeln!(report, "=== {} (locale {})\n--- template:\n{}\n--- FreeMarker: {want:?}\n--- ours:       {got:?}\n", case.label, case.locale, case.text).unwrap();
        }
    }
    assert!(
        report.is_empty(),
        "differences from FreeMarker (or a case in the wrong list):\n{report}"
    );
}

/// A deterministic pseudo-random sequence (64-bit LCG), so that failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
}

#[test]
fn numbers_format_like_freemarker() {
    let Some(jar) = harness() else { return };
    let mut rng = Lcg(20261128);
    let mut values: Vec<Value> = Vec::new();
    for i in 0..400u64 {
        let r = rng.next();
        let value = match i % 8 {
            // Sizes, as `document.size`.
            0 => Number::Integer((r % 10_000_000_000) as i64),
            1 => Number::Integer(-((r % 100_000) as i64)),
            // Doubles of many magnitudes, with ties at the third decimal.
            2 => Number::Double(f64::from_bits(
                0x3f00_0000_0000_0000 + r % 0x0800_0000_0000_0000,
            )),
            3 => Number::Double((r % 2_000_000) as f64 / 2000.0 - 500.0),
            4 => Number::Double((r % 100_000) as f64 / 10_000.0 + 0.0005),
            5 => Number::Decimal(Decimal::new(
                (r % 100_000_000) as i128 - 50_000_000,
                (r % 9) as u32,
            )),
            6 => Number::Decimal(Decimal::new((r % 20) as i128 * 5 + 5, 4)),
            _ => Number::Double(-((r % 1_000_000) as f64) / 1e9),
        };
        values.push(Value::Number(value));
    }
    let mut model = Model::new();
    model.insert("nums", Value::Sequence(values));
    let text = "<#list nums as x>${x} ${x?c} ${x / 1024} ${x * 3} ${x - 0.5} ${x?string('0.00')} ${x?string('#,##0.0##%')}\n</#list>";
    let cases: Vec<Case> = ["en", "de", "fr", "nb", "de_CH"]
        .iter()
        .map(|locale| Case {
            label: "numbers".into(),
            name: "numbers.ftl".into(),
            text: text.into(),
            model: model.clone(),
            locale: (*locale).into(),
            zone: ZONE,
        })
        .collect();
    let report = compare(&jar, &cases, true);
    assert!(report.is_empty(), "differences from FreeMarker:\n{report}");
}

#[test]
fn dates_format_like_freemarker() {
    let Some(jar) = harness() else { return };
    let mut rng = Lcg(4711);
    let mut values: Vec<Value> = Vec::new();
    for i in 0..300u64 {
        // 1970 to 2100, some near the transitions to and from summer time.
        let secs = if i % 5 == 0 {
            let year = 1980 + (rng.next() % 60) as i32;
            let base = Utc
                .with_ymd_and_hms(year, if i % 2 == 0 { 3 } else { 10 }, 25, 0, 0, 0)
                .unwrap();
            base.timestamp() + (rng.next() % (8 * 24 * 3600)) as i64
        } else {
            (rng.next() % 4_102_444_800) as i64
        };
        let millis = (rng.next() % 1000) as i64;
        values.push(Value::date(
            Utc.timestamp_millis_opt(secs * 1000 + millis).unwrap(),
        ));
    }
    let mut model = Model::new();
    model.insert("dates", Value::Sequence(values));
    let text = "<#list dates as d>${d?datetime} | ${d?date} | ${d?time} | ${d?datetime?string.short} | \
        ${d?date?string.full} | ${d?string('yyyy-MM-dd HH:mm:ss.SSS Z XX EEE MMM LLLL w W Y D F u a h k K G yy')}\n</#list>";
    let mut cases = Vec::new();
    for (locale, zone) in [
        ("en", "Europe/Berlin"),
        ("de", "Europe/Berlin"),
        ("ja", "Asia/Tokyo"),
        ("en_GB", "Europe/London"),
        ("fr_CA", "America/Montreal"),
        ("zh_CN", "Asia/Shanghai"),
        ("ru", "Europe/Moscow"),
        ("pt_BR", "America/Sao_Paulo"),
        ("nl", "UTC"),
        ("es", "Asia/Kolkata"),
    ] {
        cases.push(Case {
            label: "dates".into(),
            name: "dates.ftl".into(),
            text: text.into(),
            model: model.clone(),
            locale: locale.into(),
            zone,
        });
    }
    let report = compare(&jar, &cases, true);
    assert!(report.is_empty(), "differences from FreeMarker:\n{report}");
}
