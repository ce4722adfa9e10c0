//! The driver's command line.

use clap::{Parser, ValueEnum};

/// A scenario of the benchmark (issue numbering in `docs/performance.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScenarioName {
    /// First sync of a big folder, cold and warm, and NOOP revalidation.
    BigFolder,
    /// Many concurrent IDLE sessions: memory per session, time to notify all.
    ManySessions,
    /// Streaming a large document out and a large message in.
    LargeFile,
    /// `LIST`/`LSUB` of a deep folder tree.
    BigTree,
    /// Clients in a login/select/fetch/store/append/expunge/logout loop.
    Mix,
    /// `SEARCH TEXT` in the big folder, answered through the repository's index (issue 10).
    SearchText,
    /// Instructions per command of a big-folder sync, the sidecar under callgrind (not run
    /// unless named).
    Instructions,
}

/// `bench [scenario...] [options]`: runs the scenarios (all when none is named) and prints a
/// table and a `RESULT` line for each.
#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Performance benchmark of the IMAP sidecar, beside Dovecot"
)]
pub struct Args {
    /// The scenarios to run (all by default).
    #[arg(value_enum)]
    pub scenarios: Vec<ScenarioName>,
    /// Documents in the big folder; repeat or separate with commas (e.g. 10000,100000).
    #[arg(long, value_delimiter = ',', default_value = "10000")]
    pub folder_docs: Vec<usize>,
    /// Concurrent sessions; repeat or separate with commas (e.g. 1000,10000).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    pub sessions: Vec<usize>,
    /// Folders in the big tree.
    #[arg(long, default_value_t = 5000)]
    pub tree_folders: usize,
    /// Levels of the big tree.
    #[arg(long, default_value_t = 6)]
    pub tree_levels: usize,
    /// Size of the large document fetched, in MiB.
    #[arg(long, default_value_t = 200)]
    pub fetch_mib: u64,
    /// Size of the large message appended, in MiB.
    #[arg(long, default_value_t = 50)]
    pub append_mib: u64,
    /// How long the mix runs, in seconds (the figure is 30).
    #[arg(long, default_value_t = 10)]
    pub mix_seconds: u64,
    /// Clients (and users) in the mix.
    #[arg(long, default_value_t = 10)]
    pub mix_clients: usize,
    /// Cold runs per scenario (a fresh sidecar each); the tables show medians.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Do not run Dovecot even when it is installed.
    #[arg(long)]
    pub no_dovecot: bool,
}

impl Args {
    /// The scenarios to run, in the order of the issue.
    pub fn selected(&self) -> Vec<ScenarioName> {
        let all = [
            ScenarioName::BigFolder,
            ScenarioName::ManySessions,
            ScenarioName::LargeFile,
            ScenarioName::BigTree,
            ScenarioName::Mix,
            ScenarioName::SearchText,
        ];
        let mut selected: Vec<ScenarioName> = all
            .into_iter()
            .filter(|s| self.scenarios.is_empty() || self.scenarios.contains(s))
            .collect();
        if self.scenarios.contains(&ScenarioName::Instructions) {
            selected.push(ScenarioName::Instructions);
        }
        selected
    }
}
