//! Arbitrary text as a FreeMarker template, rendered against a model with every kind of value:
//! parsing, linting and rendering never panic and never hang.

#![no_main]

use std::sync::OnceLock;

use alfresco_imap::template::{
    DateKind, Decimal, Model, Number, RenderSettings, Template, Tz, Value, unsupported_features,
};
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 11, 57, 32).unwrap();
        let mut m = Model::new();
        m.insert("x", "text & <more> ${x} <#if>")
            .insert("s", "")
            .insert("n", 1088i64)
            .insert("f", Value::Number(Number::Double(f64::NAN)))
            .insert("big", Value::Number(Number::Decimal(Decimal::new(i128::MAX, 3))))
            .insert("min", Value::Number(Number::Integer(i64::MIN)))
            .insert("d", Value::date(at))
            .insert("dd", Value::Date(Utc.with_ymd_and_hms(-300, 1, 1, 0, 0, 0).unwrap(), DateKind::DateTime))
            .insert("t", true)
            .insert("nul", Value::Null)
            .insert("seq", Value::from(vec![Value::from(1i64), Value::Null, "z".into()]))
            .insert(
                "h",
                Value::hash([("a", Value::from(1i64)), ("b", Value::Null), ("c", Value::hash([("d", Value::from("e"))]))]),
            );
        m
    })
}

fn settings() -> &'static [RenderSettings] {
    static SETTINGS: OnceLock<Vec<RenderSettings>> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        vec![
            RenderSettings::new("en", Tz::UTC),
            RenderSettings::new("de", Tz::Europe__Berlin),
            RenderSettings::new("ja", Tz::Asia__Tokyo),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = unsupported_features("fuzz.ftl", text);
    if let Ok(template) = Template::parse("fuzz.ftl", text) {
        for settings in settings() {
            let _ = template.render(model(), settings);
        }
    }
});
