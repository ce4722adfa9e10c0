//! Tables for people and `RESULT` lines for machines.

use std::time::Duration;

/// One scenario's figures: table rows and the fields of its `RESULT` line.
#[derive(Debug, Default)]
pub struct Report {
    /// The scenario's name as in `RESULT <name>`.
    pub name: String,
    rows: Vec<[String; 3]>,
    fields: Vec<(String, String)>,
}

impl Report {
    /// An empty report for scenario `name`.
    pub fn new(name: impl Into<String>) -> Report {
        Report {
            name: name.into(),
            ..Report::default()
        }
    }

    /// Adds a figure: a table row (what, value, target) and a `key=value` field.
    pub fn figure(&mut self, key: &str, what: &str, value: impl ToString, target: &str) {
        let value = value.to_string();
        self.rows
            .push([what.to_owned(), value.clone(), target.to_owned()]);
        self.fields.push((key.to_owned(), value));
    }

    /// Prints the table.
    pub fn print_table(&self) {
        let widths = [0, 1, 2].map(|i| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([["figure", "value", "target"][i].len()])
                .max()
                .unwrap_or(0)
        });
        println!("\n== {} ==", self.name);
        let line = |cells: [&str; 3]| {
            println!(
                "  {:<w0$}  {:>w1$}  {}",
                cells[0],
                cells[1],
                cells[2],
                w0 = widths[0],
                w1 = widths[1]
            );
        };
        line(["figure", "value", "target"]);
        for row in &self.rows {
            line([&row[0], &row[1], &row[2]]);
        }
    }

    /// The `RESULT <name> key=value ...` line.
    pub fn result_line(&self) -> String {
        let mut line = format!("RESULT {}", self.name);
        for (key, value) in &self.fields {
            line.push_str(&format!(" {key}={value}"));
        }
        line
    }
}

/// Milliseconds with one decimal.
pub fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// The median of some durations (zero when there are none).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// The median of some counts (zero when there are none).
pub fn median_u64(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Mebibytes with one decimal, from KiB.
pub fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// A ratio with two decimals, or `-` when the divisor is zero.
pub fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "-".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_list_figures_in_order() {
        let mut report = Report::new("big-folder-10");
        report.figure("cold_ms", "cold", "12.0", "< 2000");
        report.figure("rest_calls_cold", "calls", 7, "<= 6");
        assert_eq!(
            report.result_line(),
            "RESULT big-folder-10 cold_ms=12.0 rest_calls_cold=7"
        );
        assert_eq!(
            median(vec![
                Duration::from_millis(3),
                Duration::from_millis(1),
                Duration::from_millis(2)
            ]),
            Duration::from_millis(2)
        );
    }
}
