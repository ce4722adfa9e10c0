//! The command-line grammar (clap derive) and its help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ENVIRONMENT_HELP: &str = "\
CONFIGURATION:
  Settings are the imap.* keys of Alfresco's alfresco-global.properties, plus this server's own
  imap.sidecar.* keys. Each layer overrides the one before it:
    1. the shipped defaults (see `alfresco-imap config` for every key and its value)
    2. each --config FILE, in the order given
    3. environment variables: IMAP_SERVER_PORT sets imap.server.port (compared case-insensitively,
       with every . written as _); IMAP_SIDECAR_TLS_KEY_FILE=/run/secrets/key reads the value
       of imap.sidecar.tls.key from that file; ALFRESCO_IMAP_OPTS=\"-Dkey=value ...\" sets any key
    4. -D key=value arguments, in order
  ${key} in a value is replaced by that key's final value; ${localname} is the host name.";

const EXIT_HELP: &str = "\
EXIT STATUS:
  0  success
  1  the command failed at run time
  2  the command line or the configuration is invalid (one message per problem on stderr)";

/// The long-help tail of a subcommand, as in a manual page: its examples, the files it reads
/// and writes, then (when it reads configuration) how configuration is layered, then the exit
/// statuses. Every option's own help ends with its default and the property it overrides.
fn sections(examples: &str, files: &str, reads_configuration: bool) -> String {
    let mut text = format!("EXAMPLES:\n{examples}\n\nFILES:\n{files}\n\n");
    if reads_configuration {
        text.push_str(ENVIRONMENT_HELP);
        text.push_str("\n\n");
    }
    text.push_str(EXIT_HELP);
    text
}

/// The FILES lines of every subcommand that reads configuration (a literal, for `concat!`).
macro_rules! config_files {
    () => {
        concat!(
            "  FILE of each --config    Java properties (UTF-8, else ISO-8859-1 as Java reads them;\n",
            "                           \\uXXXX escapes), such as alfresco-global.properties\n",
            "  K_FILE variables         a secret K read from the named file (one trailing line end\n",
            "                           removed)"
        )
    };
}

/// An IMAP server that shows an Alfresco Content Services repository as mail.
#[derive(Debug, Parser)]
#[command(
    name = "alfresco-imap",
    version,
    about = "An IMAP server that shows an Alfresco repository as mail",
    long_about = "An IMAP server that runs beside Alfresco Content Services and lets mail clients \
                  browse, read, file and move repository content as mail. It talks to the \
                  repository only through the Public REST API, as the logged-in user, and is \
                  configured with the imap.* properties of alfresco-global.properties.",
    after_long_help = concat!(
        "EXAMPLES:\n",
        "  alfresco-imap demo\n",
        "  alfresco-imap config --config /opt/alfresco/alfresco-global.properties\n",
        "  alfresco-imap serve --config /opt/alfresco/alfresco-global.properties -D imap.server.port=1143\n",
        "\n",
        "Run `alfresco-imap help <command>` for the options of each command."
    ),
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the IMAP server against a repository.
    #[command(
        long_about = "Loads and validates the configuration, checks that the repository named by \
                      alfresco.protocol, alfresco.host, alfresco.port and alfresco.context is \
                      ready, then runs the IMAP server against it until SIGTERM or Ctrl-C. \
                      Invalid configuration stops it before it listens, with one message per \
                      problem.\n\n\
                      The state store keeps every mailbox's UIDVALIDITY and UIDs; losing it makes \
                      every client download everything again. serve therefore refuses to start \
                      until its location is chosen explicitly: imap.sidecar.state.url or \
                      imap.sidecar.data.dir set in a file, the environment or -D. --ephemeral \
                      keeps the state in memory instead, for trials.",
        after_long_help = sections(
            "  alfresco-imap serve --config /opt/alfresco/alfresco-global.properties\n  \
             IMAP_SERVER_PORT=1143 alfresco-imap serve -D alfresco.host=acs.internal \\\n      \
             -D alfresco.protocol=https -D imap.sidecar.data.dir=/var/lib/alfresco-imap\n  \
             alfresco-imap serve --ephemeral -D alfresco.host=127.0.0.1 -D alfresco.port=8080",
            concat!(
                config_files!(),
                "\n",
                "  imap.sidecar.data.dir    state.db (the state store, unless imap.sidecar.state.url names\n",
                "                           another) and spool/ (large APPENDs, imap.sidecar.spool.dir)\n",
                "  imap.sidecar.tls.certificate, imap.sidecar.tls.key\n",
                "                           PEM certificate chain and private key, read again on SIGHUP\n",
                "  imap.sidecar.templates.dir\n",
                "                           body templates of generated messages (the repository's\n",
                "                           Data Dictionary/Imap Configs/Templates wins when present)"
            ),
            true
        )
    )]
    Serve(ServeArgs),

    /// Check the configuration against the repository, as a test user.
    #[command(
        long_about = "Loads the configuration, checks that the repository is ready, logs in as \
                      the given user and resolves every folder the configuration names: each \
                      mount point, the IMAP home root (imap.config.home.*), the attachments \
                      folder when imap.attachments.mode is COMMON, and the repository's IMAP \
                      templates folder (Data Dictionary/Imap Configs/Templates). Prints one line \
                      per item, starting with ok, warning or PROBLEM, and for each problem what \
                      to fix. Use a user who sees what your mail users should see: a folder \
                      that user cannot read is reported as missing.",
        after_long_help = sections(
            "  ALFRESCO_IMAP_PASSWORD=secret alfresco-imap check --user imap-check \\\n      \
             --config /opt/alfresco/alfresco-global.properties\n  \
             alfresco-imap check --user alice --password alice \\\n      \
             -D alfresco.host=127.0.0.1 -D alfresco.port=8080",
            config_files!(),
            true
        )
    )]
    Check(CheckArgs),

    /// Create the IMAP homes of users who may not create their own, as an administrator.
    #[command(
        name = "provision-homes",
        long_about = "Creates the IMAP home of each named user (or of every person in the \
                      repository with --all, except guest) below imap.config.home.rootPath and \
                      imap.config.home.folderPath, the way the server would have made it: \
                      permission inheritance off, the user Coordinator and cm:owner, with INBOX \
                      and the special-use folders. A home that already exists and is private is \
                      completed with any missing folder; one that is not private (inherited \
                      permissions, another user's or group's entry) is reported and left alone \
                      for an operator. Run it once with administrator credentials where users \
                      may not create folders in the homes' parent; the credentials are used for \
                      this run only and never stored, so the server itself never holds them.",
        after_long_help = sections(
            "  ALFRESCO_IMAP_ADMIN_PASSWORD=secret alfresco-imap provision-homes alice bob \\\n      \
             --config /opt/alfresco/alfresco-global.properties\n  \
             alfresco-imap provision-homes --all --admin-password-file /run/secrets/admin",
            concat!(
                config_files!(),
                "\n",
                "  --admin-password-file    the administrator's password (first line), read once"
            ),
            true
        )
    )]
    ProvisionHomes(ProvisionArgs),

    /// Print the effective configuration, or what is wrong with it.
    #[command(
        long_about = "Prints every imap.*, alfresco.* and share.* key with its effective value as \
                      key=value, sorted by key, secrets masked as ****; then one line per mount \
                      point: id, name, mode, store, rootPath, folderPath (values with spaces in \
                      double quotes). When a value is invalid nothing is printed on stdout; each \
                      problem is reported on stderr with its key and the file and line (or the \
                      variable or argument) that set it, and the exit status is 2.\n\n\
                      With --resolve-as USER, each mount point's folder is also looked up in the \
                      repository as that user, and its line ends with the folder's node id, or \
                      with `unresolved: <reason>` (then the exit status is 1). The password is \
                      read from the environment variable ALFRESCO_IMAP_PASSWORD, or from the \
                      file named by ALFRESCO_IMAP_PASSWORD_FILE (one trailing line end \
                      removed); it is never taken from the command line.",
        after_long_help = sections(
            "  alfresco-imap config --config /opt/alfresco/alfresco-global.properties\n  \
             alfresco-imap config -D imap.config.server.mountPoints=A \\\n      \
             -D imap.config.server.mountPoints.value.A.mountPointName=Docs\n  \
             ALFRESCO_IMAP_PASSWORD_FILE=/run/secrets/imap-check alfresco-imap config \
             --config /opt/alfresco/alfresco-global.properties --resolve-as imap-check",
            concat!(
                config_files!(),
                "\n",
                "  ALFRESCO_IMAP_PASSWORD_FILE\n",
                "                           the --resolve-as user's password"
            ),
            true
        )
    )]
    Config(ConfigCommandArgs),

    /// Run the built-in Alfresco emulator alone, on 127.0.0.1.
    #[command(
        long_about = "Runs the built-in Alfresco emulator on 127.0.0.1: an in-process HTTP server \
                      that answers the subset of the Alfresco Public REST API v1 this server uses, \
                      for trying the REST side and for tests and benchmarks. It is a test double, \
                      never a repository: its state lives in memory and is lost on exit.",
        after_long_help = sections(
            "  alfresco-imap emulator --seed demo --port 18080\n  \
             curl -u alice:alice http://127.0.0.1:18080/alfresco/api/-default-/public/alfresco/\
             versions/1/nodes/-root-/children\n  \
             alfresco-imap emulator --seed empty -D imap.sidecar.events.url=stomp://127.0.0.1:61613",
            "  None: everything lives in memory and is lost on exit.",
            false
        )
    )]
    Emulator(EmulatorArgs),

    /// Start the emulator with demo data and the IMAP server on top of it.
    #[command(
        long_about = "Starts the built-in Alfresco emulator with demo users, sites and documents, \
                      then the IMAP server configured to use it, and prints what to connect to \
                      and with which user names and passwords. Everything listens on 127.0.0.1. \
                      It needs no Alfresco and no configuration file: the demo sets the \
                      repository, ports, state directory and a generated self-signed \
                      certificate itself, and every -D given here is applied after those. \
                      Stop it with Ctrl-C; without --state its data is gone then.",
        after_long_help = sections(
            "  alfresco-imap demo\n  \
             alfresco-imap demo --imap-port 10143 --state ./demo-state \
             -D imap.sidecar.log.level=debug\n  \
             alfresco-imap demo --documents 20000",
            concat!(
                "  --state DIR              state.db (the state store), spool/, and demo-cert.pem and\n",
                "                           demo-key.pem (the generated self-signed certificate)\n",
                "  without --state          the same files in a temporary directory, removed on exit"
            ),
            true
        )
    )]
    Demo(DemoArgs),

    /// Maintain the server's state store.
    #[command(
        subcommand,
        long_about = "Operator commands on the state store, the database of UIDs, UIDVALIDITYs, \
                      flags and subscriptions that the server keeps beside the repository. They \
                      read the same configuration as serve and open the store \
                      imap.sidecar.state.url names. Run `alfresco-imap state <command> --help` \
                      for each."
    )]
    State(StateCommand),
}

/// `alfresco-imap state ...`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Give generated messages new UIDs, so an edited template applies to every document.
    #[command(
        long_about = "Documents shown as mail keep the bytes they had when they got their UID: \
                      an edited template, locale or base URL applies only to new messages. This \
                      command gives the generated messages of every mailbox (or of the mailbox \
                      named with --mailbox) new UIDs; mail clients see them expunged and added \
                      again, rendered with the current templates the next time the mailbox is \
                      listed. Shared flags are kept; \\Seen starts afresh. Stored e-mails are \
                      not touched. Safe while servers run.",
        after_long_help = sections(
            "  alfresco-imap state renumber --config /opt/alfresco/alfresco-global.properties\n  \
             alfresco-imap state renumber --mailbox \"Alfresco IMAP/Sites/marketing/documentLibrary\"",
            concat!(
                config_files!(),
                "\n",
                "  imap.sidecar.state.url   the state store changed (by default\n",
                "                           ${imap.sidecar.data.dir}/state.db)"
            ),
            true
        )
    )]
    Renumber(RenumberArgs),

    /// Bring the state store's schema up to date and print its version.
    #[command(
        long_about = "Applies the schema migrations this version of the server knows to the \
                      state store named by imap.sidecar.state.url (an SQLite file, created if \
                      missing, or a PostgreSQL database shared by several replicas) and prints \
                      the schema version before and after. Servers apply migrations at start as \
                      well; running this first, with a database role that may create tables, \
                      lets replicas run with a role that may only read and write rows. Running \
                      it again changes nothing. Safe while servers of the same version run; a \
                      store whose schema is newer than this program is refused.",
        after_long_help = sections(
            "  alfresco-imap state migrate --config /opt/alfresco/alfresco-global.properties\n  \
             alfresco-imap state migrate -D imap.sidecar.state.url=postgresql://imap@db:5432/imap",
            concat!(
                config_files!(),
                "\n",
                "  imap.sidecar.state.url   the state store migrated: an SQLite file (by default\n",
                "                           ${imap.sidecar.data.dir}/state.db) or a PostgreSQL\n",
                "                           database"
            ),
            true
        )
    )]
    Migrate(MigrateArgs),
}

/// Options of `state migrate`.
#[derive(Debug, Args, Clone)]
pub struct MigrateArgs {
    /// Where the configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Options of `state renumber`.
#[derive(Debug, Args, Clone)]
pub struct RenumberArgs {
    /// Only the mailbox of this name, as mail clients see it (`/` between levels).
    ///
    /// Default: every mailbox. Property: none.
    #[arg(long, value_name = "NAME")]
    pub mailbox: Option<String>,

    /// Where the configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Where configuration comes from (`serve`, `config`).
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArgs {
    /// A .properties file to read, such as alfresco-global.properties; may be repeated, later
    /// files override earlier ones.
    ///
    /// Default: none (the shipped defaults and the environment only). Property: every key the
    /// file sets, over the shipped defaults and earlier files.
    #[arg(long = "config", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Set one key, overriding files and environment (also written -Dkey=value); may be repeated,
    /// later ones win.
    ///
    /// Default: none. Property: KEY, over files and environment variables.
    #[arg(short = 'D', long = "define", value_name = "KEY=VALUE")]
    pub defines: Vec<String>,
}

/// Options of `serve`.
#[derive(Debug, Args, Clone, Default)]
pub struct ServeArgs {
    /// Where configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Keep the state store in memory instead of the configured location: every restart gives
    /// every mailbox a new UIDVALIDITY and clients download everything again. For trials only.
    ///
    /// Default: off (the state store is required). Property: replaces imap.sidecar.state.url
    /// and lifts the rule that it or imap.sidecar.data.dir is set explicitly.
    #[arg(long)]
    pub ephemeral: bool,
}

/// Options of `check`.
#[derive(Debug, Args, Clone, Default)]
pub struct CheckArgs {
    /// Where configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// The repository user to check as.
    ///
    /// Default: none, required. Property: none.
    #[arg(long, value_name = "USER")]
    pub user: String,

    /// That user's password; prefer the ALFRESCO_IMAP_PASSWORD variable, which other users of
    /// the machine cannot read in the process list.
    ///
    /// Default: the ALFRESCO_IMAP_PASSWORD variable; without either, check stops with status
    /// 2. Property: none.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "ALFRESCO_IMAP_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
}

/// Options of `provision-homes`.
#[derive(Debug, Args, Clone, Default)]
pub struct ProvisionArgs {
    /// Where configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// The administrator to act as.
    ///
    /// Default: admin. Property: none.
    #[arg(long, value_name = "USER", default_value = "admin")]
    pub admin: String,

    /// The administrator's password; prefer the ALFRESCO_IMAP_ADMIN_PASSWORD variable or
    /// --admin-password-file, which other users of the machine cannot read in the process list.
    ///
    /// Default: the ALFRESCO_IMAP_ADMIN_PASSWORD variable; without it or a file, the command
    /// stops with status 2. Property: none.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "ALFRESCO_IMAP_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,

    /// A file whose first line is the administrator's password; wins over --admin-password.
    ///
    /// Default: none. Property: none.
    #[arg(long, value_name = "FILE")]
    pub admin_password_file: Option<std::path::PathBuf>,

    /// Every person of the repository (except guest) instead of the named users.
    ///
    /// Default: off. Property: none.
    #[arg(long, conflicts_with = "users")]
    pub all: bool,

    /// The user ids whose homes to create.
    #[arg(value_name = "USER", required_unless_present = "all")]
    pub users: Vec<String>,
}

/// Options of `config`.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigCommandArgs {
    /// Where configuration comes from.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Also look each mount point's folder up in the repository as this user and print its node
    /// id; the password comes from ALFRESCO_IMAP_PASSWORD or the file named by
    /// ALFRESCO_IMAP_PASSWORD_FILE.
    ///
    /// Default: none (nothing is looked up). Property: none.
    #[arg(long, value_name = "USER")]
    pub resolve_as: Option<String>,
}

/// Demo data for the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Seed {
    /// Users admin, alice and bob, sites with documents, e-mails in alice's INBOX.
    #[default]
    Demo,
    /// Only the repository's bootstrap folders and the admin user.
    Empty,
}

/// Options of `emulator`.
#[derive(Debug, Args, Clone)]
pub struct EmulatorArgs {
    /// TCP port on 127.0.0.1 to listen on; 0 picks a free one.
    ///
    /// Property: none (give a server alfresco.port=P to use the emulator).
    #[arg(long, value_name = "P", default_value_t = 8080)]
    pub port: u16,

    /// Which data to start with.
    ///
    /// Property: none.
    #[arg(long, value_enum, value_name = "SEED", default_value_t = Seed::Demo)]
    pub seed: Seed,

    /// Set a key (also written -Dkey=value): imap.sidecar.events.url=stomp://HOST:PORT
    /// publishes every change as a repository event, to imap.sidecar.events.topic.
    ///
    /// Default: none (no events). Property: KEY; only imap.sidecar.events.* are used.
    #[arg(short = 'D', long = "define", value_name = "KEY=VALUE")]
    pub defines: Vec<String>,
}

/// Options of `demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Port of the emulated repository's REST API on 127.0.0.1; 0 picks a free one.
    ///
    /// Property: alfresco.port and share.port of the demo server.
    #[arg(long, value_name = "P", default_value_t = 8080)]
    pub rest_port: u16,

    /// Port of plain IMAP on 127.0.0.1; 0 picks a free one.
    ///
    /// Property: imap.server.port.
    #[arg(long, value_name = "P", default_value_t = 1143)]
    pub imap_port: u16,

    /// Port of IMAP over TLS on 127.0.0.1, with a generated self-signed certificate; 0 picks a
    /// free one.
    ///
    /// Property: imap.server.imaps.port.
    #[arg(long, value_name = "P", default_value_t = 1993)]
    pub imaps_port: u16,

    /// Directory for the server's state and the demo certificate, created when missing; reuse
    /// it to keep UIDs and flags across demo runs.
    ///
    /// Default: a temporary directory, removed on exit. Property: imap.sidecar.data.dir (and
    /// imap.sidecar.tls.certificate, imap.sidecar.tls.key inside it).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Also seed a folder `Sites/marketing/documentLibrary/Bulk` with this many small
    /// documents, for trying how clients cope with a big mailbox.
    ///
    /// Property: none.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub documents: u32,

    /// Set one configuration key (also written -Dkey=value); may be repeated. Applied after
    /// the demo's own settings, so it can change any of them.
    ///
    /// Default: none. Property: KEY.
    #[arg(short = 'D', long = "define", value_name = "KEY=VALUE")]
    pub defines: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defines_attached_and_separate() {
        let cli = Cli::try_parse_from([
            "alfresco-imap",
            "config",
            "--config",
            "a.properties",
            "-Dimap.server.port=1",
            "-D",
            "imap.server.host=127.0.0.1",
            "--config",
            "b.properties",
        ])
        .unwrap();
        let Command::Config(ConfigCommandArgs {
            config: args,
            resolve_as,
        }) = cli.command
        else {
            panic!("not config");
        };
        assert_eq!(resolve_as, None);
        assert_eq!(
            args.files,
            vec![PathBuf::from("a.properties"), PathBuf::from("b.properties")]
        );
        assert_eq!(
            args.defines,
            vec!["imap.server.port=1", "imap.server.host=127.0.0.1"]
        );
    }

    #[test]
    fn emulator_and_demo_defaults() {
        let cli = Cli::try_parse_from(["alfresco-imap", "emulator"]).unwrap();
        let Command::Emulator(args) = cli.command else {
            panic!("not emulator");
        };
        assert_eq!((args.port, args.seed), (8080, Seed::Demo));
        let cli = Cli::try_parse_from([
            "alfresco-imap",
            "demo",
            "--imap-port",
            "10143",
            "--state",
            "s",
            "-Dx=1",
        ])
        .unwrap();
        let Command::Demo(args) = cli.command else {
            panic!("not demo");
        };
        assert_eq!(
            (args.rest_port, args.imap_port, args.imaps_port),
            (8080, 10143, 1993)
        );
        assert_eq!(args.state, Some(PathBuf::from("s")));
        assert_eq!(args.defines, vec!["x=1"]);
        assert!(Cli::try_parse_from(["alfresco-imap", "emulator", "--seed", "full"]).is_err());
    }
}
