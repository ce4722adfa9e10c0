//! External programs a test needs (java, python3, curl, mbsync, ...): a test skips with a loud
//! message when one is missing, and fails instead under `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1` (CI).

#![allow(dead_code)]

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Whether missing programs must fail the test (`ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`).
pub fn required() -> bool {
    std::env::var("ALFRESCO_IMAP_REQUIRE_EXTERNAL").as_deref() == Ok("1")
}

/// Reports that `what` is missing: panics under `ALFRESCO_IMAP_REQUIRE_EXTERNAL=1`, otherwise
/// prints a skip message naming `test` and how to get the program (`advice`), and returns
/// `true` so the caller can `return`.
pub fn skip(test: &str, what: &str, advice: &str) -> bool {
    if required() {
        panic!("{test}: {what} is missing and ALFRESCO_IMAP_REQUIRE_EXTERNAL=1 ({advice})");
    }
    // Written to the process's stderr directly: the test harness captures `eprintln!`.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {what} is missing; {advice} ***\n"
    );
    true
}

/// Whether `program` runs (`program version_flag` exits with success and prints something
/// containing `needle`); otherwise [`skip`]s, naming the Debian `package`.
pub fn available(
    test: &str,
    program: &str,
    version_flag: &str,
    needle: &str,
    package: &str,
) -> bool {
    let runs = Command::new(program)
        .arg(version_flag)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && String::from_utf8_lossy(&[o.stdout, o.stderr].concat()).contains(needle)
        });
    runs || !skip(
        test,
        &format!("`{program}`"),
        &format!("install the Debian package {package}"),
    )
}
