//! Rendering tests: every directive and built-in, errors with their positions, and the
//! FreeMarker edge cases the renderer reproduces (checked against FreeMarker 2.3.31 by
//! `tests/template_freemarker.rs`).

use chrono::{TimeZone, Utc};
use chrono_tz::Europe::Berlin;

use super::*;

fn model() -> Model {
    let when = Berlin
        .with_ymd_and_hms(2026, 11, 28, 12, 57, 32)
        .unwrap()
        .with_timezone(&Utc);
    let mut m = Model::new();
    m.insert("s", "a<b>&\"c\"'d' é")
        .insert("n", 1088i64)
        .insert("size", 12345i64)
        .insert("t", true)
        .insert("f", false)
        .insert("nul", Value::Null)
        .insert("seq", Value::from(vec!["x", "y", "z"]))
        .insert("none", Value::Sequence(vec![]))
        .insert("when", Value::date(when))
        .insert(
            "document",
            Value::hash([
                ("name", Value::from("Q3 & <Plan>.pdf")),
                (
                    "properties",
                    Value::hash([
                        ("title", Value::from("T")),
                        ("cm:title", "T".into()),
                        ("description", Value::Null),
                    ]),
                ),
            ]),
        );
    m
}

fn render_in(text: &str, locale: &str, zone: Tz) -> Result<String, TemplateError> {
    Template::parse("test.ftl", text)?.render(&model(), &RenderSettings::new(locale, zone))
}

fn render(text: &str) -> String {
    render_in(text, "en", Berlin).unwrap()
}

fn error(text: &str) -> TemplateError {
    render_in(text, "en", Berlin).unwrap_err()
}

#[test]
fn template_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<RenderSettings>();
}

#[test]
fn interpolation_and_text() {
    assert_eq!(render("a ${s} b"), "a a<b>&\"c\"'d' é b");
    assert_eq!(
        render("${document.name} ${document.properties.title} ${document.properties['cm:title']}"),
        "Q3 & <Plan>.pdf T T"
    );
    assert_eq!(
        render("$ # <# [#if] {x} $x <if>"),
        "$ # <# [#if] {x} $x <if>"
    );
}

#[test]
fn html_escapes_five_characters() {
    assert_eq!(
        render("${s?html}"),
        "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39; é"
    );
    assert_eq!(render("${n?html}"), "1,088");
}

#[test]
fn url_upper_and_lower_case() {
    assert_eq!(render("${s?url}"), "a%3Cb%3E%26%22c%22'd'%20%C3%A9");
    assert_eq!(
        render("${s?url('UTF-8')}"),
        "a%3Cb%3E%26%22c%22'd'%20%C3%A9"
    );
    assert!(matches!(
        error("${s?url('ISO-8859-1')}").kind,
        ErrorKind::Unsupported(_)
    ));
    assert_eq!(
        render("${s?upper_case} ${'ÄB'?lower_case}"),
        "A<B>&\"C\"'D' É äb"
    );
    assert_eq!(
        render_in("${'i'?upper_case}", "tr", Berlin).unwrap(),
        "\u{130}"
    );
}

#[test]
fn existence_and_defaults() {
    assert_eq!(
        render("${document.properties.title?exists?c} ${document.properties.description?exists?c}"),
        "true false"
    );
    assert_eq!(
        render("${missing???c} ${nul???c} ${s???c}"),
        "false false true"
    );
    assert_eq!(
        render("[${missing!}] ${missing!'d'} ${(missing.child)!'d2'} ${nul!'n'}"),
        "[] d d2 n"
    );
    // The default is a whole expression: `!` binds the rest of it.
    assert_eq!(render("${missing!'a' + 'b'}"), "ab");
    assert_eq!(
        render("${missing!?size} ${(missing)!?has_content?c}"),
        "0 false"
    );
    // Without parentheses only the last step may be missing.
    assert_eq!(
        error("${missing.child!'d'}").kind,
        ErrorKind::Missing("missing".into())
    );
    assert_eq!(
        error("${missing.child?exists}").kind,
        ErrorKind::Missing("missing".into())
    );
    assert_eq!(
        render("${(missing.child)?exists?c} ${(missing.child)???c}"),
        "false false"
    );
}

#[test]
fn has_content() {
    assert_eq!(
        render(
            "${''?has_content?c} ${s?has_content?c} ${none?has_content?c} ${seq?has_content?c} ${missing?has_content?c} ${n?has_content?c}"
        ),
        "false true false true false true"
    );
}

#[test]
fn size_and_c() {
    assert_eq!(render("${seq?size} ${none?size} ${document?size}"), "3 0 2");
    assert_eq!(
        render("${n?c} ${(n / 1024)?c} ${t?c} ${f?c} ${(1/3)?c}"),
        "1088 1.0625 true false 0.333333333333"
    );
    assert!(matches!(error("${s?size}").kind, ErrorKind::Type(_)));
    assert!(matches!(error("${s?c}").kind, ErrorKind::Type(_)));
}

#[test]
fn numbers_format_like_java() {
    assert_eq!(
        render("${n} ${size / 1024} ${n / 1024} ${-n}"),
        "1,088 12.056 1.062 -1,088"
    );
    assert_eq!(
        render("${0.0005} ${0.0015} ${1.0625} ${1.0635} ${-0.0001}"),
        "0 0.002 1.062 1.064 -0"
    );
    assert_eq!(
        render("${7 % 3} ${7.5 % 2} ${-7 % 3} ${7 / 2} ${2 / 3} ${1.5 * 1.5}"),
        "1 1 -1 3.5 0.667 2.25"
    );
    assert_eq!(
        render_in("${size / 1024} ${1234567.891}", "de", Berlin).unwrap(),
        "12,056 1.234.567,891"
    );
    assert_eq!(
        render_in("${1234567.891}", "fr", Berlin).unwrap(),
        "1\u{202f}234\u{a0}567,891".replace('\u{a0}', "\u{202f}")
    );
    assert_eq!(
        render("${n?string('0.00')} ${n?string.percent} ${0.5?string('#.##')}"),
        "1088.00 108,800% 0.5"
    );
    assert_eq!(
        error("${1 / 0}").kind,
        ErrorKind::Evaluation("division by zero".into())
    );
}

#[test]
fn booleans_need_a_format() {
    assert_eq!(
        render("${t?string} ${t?string('yes', 'no')} ${f?string('yes', 'no')}"),
        "true yes no"
    );
    let e = error("${t}");
    assert!(matches!(e.kind, ErrorKind::Type(_)), "{e}");
    assert!(matches!(
        error("${t?string('yes')}").kind,
        ErrorKind::Evaluation(_)
    ));
}

#[test]
fn dates() {
    assert_eq!(
        render("${when?datetime} | ${when?date} | ${when?time}"),
        "Nov 28, 2026, 12:57:32 PM | Nov 28, 2026 | 12:57:32 PM"
    );
    assert_eq!(
        render_in("${when?datetime}", "de", Berlin).unwrap(),
        "28.11.2026, 12:57:32"
    );
    assert_eq!(
        render_in("${when?datetime}", "ja", Berlin).unwrap(),
        "2026/11/28 12:57:32"
    );
    assert_eq!(
        render_in("${when?datetime}", "en", chrono_tz::America::New_York).unwrap(),
        "Nov 28, 2026, 6:57:32 AM"
    );
    assert_eq!(
        render_in("${when?datetime}", "en", chrono_tz::Asia::Tokyo).unwrap(),
        "Nov 28, 2026, 8:57:32 PM"
    );
    assert_eq!(
        render("${when?string('yyyy-MM-dd HH:mm Z')} ${when?datetime?string.short}"),
        "2026-11-28 12:57 +0100 11/28/26, 12:57 PM"
    );
    // A date of unknown kind cannot be printed or styled without ?date, ?time or ?datetime.
    assert!(matches!(error("${when}").kind, ErrorKind::Type(_)));
    assert!(matches!(
        error("${when?string.short}").kind,
        ErrorKind::Type(_)
    ));
    assert!(matches!(
        error("${when?date?time}").kind,
        ErrorKind::Type(_)
    ));
    assert!(matches!(
        error("${when?string('zzzz')}").kind,
        ErrorKind::Unsupported(_)
    ));
    assert!(matches!(
        error("${when?string('bad')}").kind,
        ErrorKind::Evaluation(_)
    ));
}

#[test]
fn comparisons() {
    assert_eq!(
        render(
            "${(n > 1000)?c} ${(n gte 1088)?c} ${(n lt 2)?c} ${(n == 1088.0)?c} ${(s != 'x')?c} ${(t == f)?c}"
        ),
        "true true false true true false"
    );
    assert_eq!(
        render("<#if (when?datetime > when?datetime)>A<#else>B</#if>"),
        "B"
    );
    // A missing operand is an error, not false.
    assert_eq!(
        error("<#if missing == 1>A</#if>").kind,
        ErrorKind::Missing("missing".into())
    );
    assert!(matches!(
        error("<#if n == 'x'>A</#if>").kind,
        ErrorKind::Type(_)
    ));
    assert!(matches!(
        error("<#if s < s>A</#if>").kind,
        ErrorKind::Type(_)
    ));
    assert!(matches!(
        error("<#if when == when>A</#if>").kind,
        ErrorKind::Type(_)
    ));
}

#[test]
fn logic_and_concatenation() {
    assert_eq!(render("<#if t && !f || missing>A</#if>"), "A");
    assert_eq!(
        render("${'a' + n + 'b'} ${n + 1 + 'c'} ${'x${n}y'} ${seq[1]}${(seq + ['w'])[3]}"),
        "a1,088b 1,089c x1,088y yw"
    );
    assert!(matches!(error("<#if n>A</#if>").kind, ErrorKind::Type(_)));
}

#[test]
fn if_elseif_else() {
    let t = "<#if f>a<#elseif n < 10>b<#elseif n == 1088>c<#else>d</#if>";
    assert_eq!(render(t), "c");
    assert_eq!(render("<#if f>a<#else>b</#if><#if f>c</#if>"), "b");
}

#[test]
fn list_sep_else_and_loop_built_ins() {
    assert_eq!(render("<#list seq as x>${x}<#sep>, </#list>"), "x, y, z");
    assert_eq!(
        render(
            "<#list seq as x>${x?index}${x?counter}${x?has_next?c}${x?is_first?c}${x?is_last?c}<#sep>|</#list>"
        ),
        "01truetruefalse|12truefalsefalse|23falsefalsetrue"
    );
    assert_eq!(render("<#list none as x>${x}<#else>empty</#list>"), "empty");
    assert_eq!(
        render("<#list seq as x><#list seq as y>${x}${y}<#sep>,</#list><#sep>;</#list>"),
        "xx,xy,xz;yx,yy,yz;zx,zy,zz"
    );
    assert!(matches!(
        error("<#list s as x>${x}</#list>").kind,
        ErrorKind::Type(_)
    ));
    assert!(matches!(
        Template::parse("t", "${x?index}").unwrap_err().kind,
        ErrorKind::Syntax(_)
    ));
    assert!(matches!(
        Template::parse("t", "<#sep>").unwrap_err().kind,
        ErrorKind::Syntax(_)
    ));
}

#[test]
fn assign() {
    assert_eq!(
        render("<#assign a = 1><#assign b = a + 1, c = 'c'><#assign a += 10>${a} ${b} ${c}"),
        "11 2 c"
    );
    assert_eq!(
        render("<#assign i = 0><#list seq as x><#assign i++></#list>${i}"),
        "3"
    );
    assert_eq!(render("<#assign n = 'shadowed'>${n}"), "shadowed");
    // Compound assignment works on assigned variables only, as in FreeMarker.
    assert_eq!(
        error("<#assign n += 1>").kind,
        ErrorKind::Missing("n".into())
    );
}

#[test]
fn comments_and_white_space_stripping() {
    assert_eq!(render("a<#-- gone -->b"), "ab");
    let t = "${n}\n   <#if t>\n   yes\n   <#else>\n   no\n   </#if>\n<#-- comment line -->\nend\n";
    assert_eq!(render(t), "1,088\n   yes\nend\n");
    // Lines holding output keep their white space.
    assert_eq!(
        render("${n}\n  <#if t>${n}</#if>  \nend"),
        "1,088\n  1,088  \nend"
    );
}

#[test]
fn errors_name_template_line_and_column() {
    let e = Template::parse("body.ftl", "line one\n  <#foo x>").unwrap_err();
    assert_eq!((e.template.as_str(), e.line, e.column), ("body.ftl", 2, 3));
    assert_eq!(e.kind, ErrorKind::UnknownDirective("foo".into()));
    assert_eq!(
        e.to_string(),
        "template \"body.ftl\", line 2, column 3: unknown or unsupported directive #foo"
    );

    let e = Template::parse("body.ftl", "\n\n${x?nope}").unwrap_err();
    assert_eq!(
        (e.line, e.column, e.kind),
        (3, 5, ErrorKind::UnknownBuiltIn("nope".into()))
    );

    let e = error("ok\n  ${document.properties.missing}");
    assert_eq!((e.line, e.column), (2, 5));
    assert_eq!(
        e.kind,
        ErrorKind::Missing("document.properties.missing".into())
    );

    let e = error("${s - 1}");
    assert_eq!((e.line, e.column), (1, 3));
    assert!(matches!(e.kind, ErrorKind::Type(_)));

    let e = Template::parse("t", "<#if x>\nunclosed").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Syntax(_)));
    assert_eq!((e.line, e.column), (1, 1));

    let e = Template::parse("t", "a</#if>").unwrap_err();
    assert_eq!((e.line, e.column), (1, 2));

    // Tabs advance the column to the next multiple of 8, as in FreeMarker's messages.
    let e = Template::parse("t", "\t${x?nope}").unwrap_err();
    assert_eq!(e.column, 13);
}

#[test]
fn unsupported_features_are_listed_in_order() {
    let text = "<#macro m>x</#macro>\n${x?trim} ${1..2} #{n}\n<#include 'x'>${y?string('0.0E0')}";
    let found: Vec<(u32, ErrorKind)> = unsupported_features("t.ftl", text)
        .into_iter()
        .map(|e| (e.line, e.kind))
        .collect();
    assert_eq!(found.len(), 6, "{found:?}");
    assert_eq!(found[0], (1, ErrorKind::UnknownDirective("macro".into())));
    assert_eq!(found[2], (2, ErrorKind::UnknownBuiltIn("trim".into())));
    assert!(
        unsupported_features("t.ftl", "${x?string('0.0E0')}")
            .iter()
            .all(|e| matches!(e.kind, ErrorKind::Unsupported(_)))
    );
    assert_eq!(
        unsupported_features("t.ftl", "<#if a??>${a?html}</#if>"),
        vec![]
    );
    // A plain syntax error is reported too.
    assert_eq!(unsupported_features("t.ftl", "<#if a>").len(), 1);
}

#[test]
fn templates_render_repeatedly_and_concurrently() {
    let template = std::sync::Arc::new(
        Template::parse("t", "<#assign a = n><#list seq as x>${x}${a}</#list>").unwrap(),
    );
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let template = template.clone();
            std::thread::spawn(move || {
                template
                    .render(&model(), &RenderSettings::new("de", Berlin))
                    .unwrap()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "x1.088y1.088z1.088");
    }
}
