//! The template engine never panics, whatever the template text or the model: random text,
//! random arrangements of FreeMarker syntax, and deeply nested input either parse and render or
//! give a `TemplateError`.

use alfresco_imap::template::{
    DateKind, Decimal, Model, Number, RenderSettings, Template, Value, unsupported_features,
};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "${",
    "}",
    "#{",
    "<#if ",
    "<#elseif ",
    "<#else>",
    "</#if>",
    "<#list ",
    " as ",
    "</#list>",
    "<#sep>",
    "</#sep>",
    "<#assign ",
    "</#assign>",
    "<#--",
    "-->",
    "<#foo ",
    "<@",
    "</@",
    "<#",
    "</#",
    ">",
    "/>",
    "?",
    "??",
    "!",
    "(",
    ")",
    "[",
    "]",
    "{",
    "\"",
    "'",
    "r\"",
    "\\",
    ".",
    "..",
    ",",
    "=",
    "==",
    "!=",
    "+=",
    "++",
    "--",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&&",
    "||",
    "<",
    "<=",
    ">=",
    "gt",
    "lte",
    "x",
    "seq",
    "n",
    "d",
    "h",
    "s",
    "nul",
    "1",
    "0",
    "1.5",
    "1024",
    "?html",
    "?url",
    "?c",
    "?size",
    "?string(",
    "?string.short",
    "?datetime",
    "?date",
    "?time",
    "?exists",
    "?has_content",
    "?upper_case",
    "?lower_case",
    "?index",
    "?has_next",
    "'0.##'",
    "'yyyy-MM-dd zzzz'",
    "'short'",
    "'#,##0.0#;(#)'",
    "'E'",
    "true",
    "false",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "é",
    "日本",
    "😀",
    "\u{0}",
    "\u{feff}",
];

fn model() -> Model {
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 11, 57, 32).unwrap();
    let mut m = Model::new();
    m.insert("x", "text & <more>")
        .insert("s", "")
        .insert("n", 1088i64)
        .insert("f", Value::Number(Number::Double(f64::NAN)))
        .insert(
            "big",
            Value::Number(Number::Decimal(Decimal::new(i128::MAX, 3))),
        )
        .insert("min", Value::Number(Number::Integer(i64::MIN)))
        .insert("d", Value::date(at))
        .insert(
            "dd",
            Value::Date(
                Utc.with_ymd_and_hms(-300, 1, 1, 0, 0, 0).unwrap(),
                DateKind::DateTime,
            ),
        )
        .insert("t", true)
        .insert("nul", Value::Null)
        .insert(
            "seq",
            Value::from(vec![Value::from(1i64), Value::Null, "z".into()]),
        )
        .insert(
            "h",
            Value::hash([("a", Value::from(1i64)), ("b", Value::Null)]),
        );
    m
}

fn exercise(text: &str) {
    let _ = unsupported_features("fuzz.ftl", text);
    if let Ok(template) = Template::parse("fuzz.ftl", text) {
        for locale in ["en", "de", "ja", "xx"] {
            let _ = template.render(
                &model(),
                &RenderSettings::new(locale, chrono_tz::Europe::Berlin),
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn freemarker_like_text_never_panics(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..48)) {
        exercise(&parts.concat());
    }

    #[test]
    fn expressions_never_panic(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 1..24)) {
        exercise(&format!("${{{}}}", parts.concat()));
        exercise(&format!("<#if {}>a<#else>b</#if>", parts.concat()));
        exercise(&format!("<#list seq as i>${{{}}}<#sep>,</#list>", parts.concat()));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep_parens = format!("${{{}1{}}}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(Template::parse("deep.ftl", &deep_parens).is_err());
    let long_chain = format!("${{1{}}}", " + 1".repeat(100_000));
    assert!(Template::parse("deep.ftl", &long_chain).is_err());
    let deep_ifs = format!("{}x{}", "<#if t>".repeat(50_000), "</#if>".repeat(50_000));
    assert!(Template::parse("deep.ftl", &deep_ifs).is_err());
    let nots = format!("<#if {}t>x</#if>", "!".repeat(100_000));
    assert!(Template::parse("deep.ftl", &nots).is_err());
    for text in [&deep_parens, &long_chain, &deep_ifs, &nots] {
        assert!(!unsupported_features("deep.ftl", text).is_empty());
    }
    // Moderate nesting still works.
    let fine = format!("${{{}n{}}}", "(".repeat(50), ")".repeat(50));
    assert_eq!(
        Template::parse("ok.ftl", &fine)
            .unwrap()
            .render(&model(), &RenderSettings::new("en", chrono_tz::UTC))
            .unwrap(),
        "1,088"
    );
}
