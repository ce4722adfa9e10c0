//! The performance benchmark: `cargo run --release --bin bench -- <scenario>...`.
//!
//! Three processes take part, so that what is measured is the sidecar alone:
//! - the driver (this process without a role argument) runs the IMAP clients, reads the
//!   other processes' memory and CPU time from `/proc`, and prints the tables;
//! - the emulator (`bench __emulator`), pinned to one core with `taskset` when there is one to
//!   spare, prepares the scenario's data before anything is measured and then only answers;
//! - the sidecar (`bench __sidecar`), the product as `App::start` assembles it from its
//!   configuration, which also reports its REST call counters on request.
//!
//! The driver talks to both helpers over their standard input and output, one line each way.
//! Every scenario ends with a machine-readable `RESULT <scenario> key=value ...` line.

mod args;
mod client;
mod dovecot;
mod emulator_role;
mod error;
mod instructions;
mod procfs;
mod report;
mod scenario;
mod sidecar_role;
mod worker;

use std::process::ExitCode;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().collect();
    match arguments.get(1).map(String::as_str) {
        Some(emulator_role::ROLE) => emulator_role::main(&arguments[2..]),
        Some(sidecar_role::ROLE) => sidecar_role::main(&arguments[2..]),
        _ => scenario::main(),
    }
}
