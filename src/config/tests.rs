//! Tests of the whole loading path: layers, placeholders, typed values and validation together.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// A directory of configuration files for one test.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(bytes).unwrap();
        path
    }
}

fn sources(files: &[&Path], defines: &[&str], env: &[(&str, &str)]) -> ConfigSources {
    ConfigSources {
        files: files.iter().map(|p| p.to_path_buf()).collect(),
        defines: defines.iter().map(|d| d.to_string()).collect(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        local_name: Some("mailhost".into()),
    }
}

fn load(files: &[&Path], defines: &[&str], env: &[(&str, &str)]) -> ImapConfig {
    match ImapConfig::load(&sources(files, defines, env)) {
        Ok(config) => config,
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

fn errors(files: &[&Path], defines: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    match ImapConfig::load(&sources(files, defines, env)) {
        Ok(_) => panic!("expected errors"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn names(folder: &RepositoryFolder) -> Vec<&str> {
    folder.names.iter().map(String::as_str).collect()
}

#[test]
fn shipped_defaults_are_alfrescos() {
    let config = load(&[], &[], &[]);
    assert_eq!(config.warnings(), &[]);
    assert_eq!(config.server.host, "0.0.0.0");
    assert!(config.server.imap_enabled);
    assert_eq!(config.server.port, 143);
    assert!(!config.server.imaps_enabled);
    assert_eq!(config.server.imaps_port, 993);
    assert_eq!(config.server.folder_cache_size, 10000);
    assert_eq!(
        config.server.shuffle_move_delete_delay,
        Duration::from_millis(10000)
    );
    assert_eq!(config.mail.from.as_str(), "alfresco@demo.alfresco.org");
    assert_eq!(config.mail.to.as_str(), "alfresco@demo.alfresco.org");
    assert_eq!(names(&config.home.folder), vec!["Imap Home"]);
    assert_eq!(config.home.folder.root_path.text, "/app:company_home");
    assert_eq!(config.home.folder.folder_path.text, "cm:Imap Home");
    assert_eq!(config.home.location, HomeLocation::ImapHome);
    assert_eq!(
        config.mount_points,
        vec![MountPoint {
            id: "AlfrescoIMAP".into(),
            name: "Alfresco IMAP".into(),
            mode: ViewMode::Mixed,
            folder: RepositoryFolder {
                root_path: RepositoryPath::parse_absolute("/app:company_home").unwrap(),
                folder_path: RepositoryPath::default(),
                names: vec![],
            },
        }]
    );
    assert_eq!(config.ignore_extraction, vec![]);
    assert!(config.attachments.extraction_enabled);
    assert_eq!(config.attachments.mode, AttachmentsMode::Separate);
    assert_eq!(names(&config.attachments.folder), vec!["Imap Attachments"]);
    assert_eq!(
        config.repository.base_url.as_str(),
        "http://mailhost:8080/alfresco/"
    );
    assert_eq!(
        config.share.base_url.as_str(),
        "http://mailhost:8080/share/"
    );
    assert_eq!(config.state.data_dir, PathBuf::from("./data"));
    assert_eq!(
        config.state.url,
        StateStoreUrl::Sqlite("./data/state.db".into())
    );
    assert_eq!(config.limits.spool_dir, PathBuf::from("./data/spool"));
    assert_eq!(config.limits.command_line_length, 65536);
    assert_eq!(config.limits.append_limit, 52_428_800);
    assert_eq!(config.timeouts.idle, Duration::from_secs(30 * 60));
    assert_eq!(config.sync.resync_interval, Duration::from_secs(5 * 60));
    assert_eq!(config.sync.index_lag, Duration::from_secs(60));
    assert_eq!(config.repository.page_size, 1000);
    assert!(!config.repository.allow_insecure);
    assert_eq!(
        config.ops.http_address,
        Some("127.0.0.1:9143".parse().unwrap())
    );
    assert_eq!(config.ops.log_format, LogFormat::Text);
    assert_eq!(config.ops.log_level, "info");
    assert_eq!(config.mailboxes.special_use.sent, "Sent");
    assert_eq!(config.mailboxes.special_use.trash, "Trash");
    assert_eq!(
        config
            .mailboxes
            .mount_exclude
            .iter()
            .map(names)
            .collect::<Vec<_>>(),
        vec![vec!["Imap Home"], vec!["Data Dictionary"]]
    );
    assert!(!config.mailboxes.sites_list_all);
    assert!(!config.mailboxes.allow_delete_repository_folders);
    assert!(config.mailboxes.drafts_delete_permanently);
    assert_eq!(config.virtual_view.timezone, "UTC");
    assert_eq!(config.virtual_view.locale, "en");
    assert_eq!(
        config.virtual_view.templates_dir,
        PathBuf::from("templates")
    );
    assert_eq!(config.events.url, None);
    assert_eq!(config.auth.max_failures_per_user, 5);
    assert!(!config.auth.oauth_enabled);
    assert_eq!(config.local_name(), "mailhost");
    assert_eq!(config.properties().get("alfresco.host"), Some("mailhost"));
}

/// An `alfresco-global.properties` the way operators write them: mostly other subsystems' keys,
/// comments, continuations, `${dir.root}`, Windows-style paths in comments, Latin-1 text.
const OPERATOR_FILE: &[u8] = b"\
###############################\n\
## Common Alfresco Properties #\n\
###############################\n\
\n\
#\n\
# Sample custom content and index data location\n\
# (on Windows: dir.root=C:\\Alfresco\\alf_data)\n\
#\n\
dir.root=/srv/alfresco/alf_data\n\
dir.keystore=${dir.root}/keystore\n\
\n\
# Database connection properties\n\
db.username=alfresco\n\
db.password=alfresco\n\
db.host=postgres\n\
db.driver=org.postgresql.Driver\n\
db.url=jdbc:postgresql://${db.host}:5432/alfresco\n\
\n\
# Content transformers and the like reference keys we never read\n\
transferservice.receiver.stagingDir=${java.io.tmpdir}/alfresco-transfer-staging\n\
\n\
alfresco.context=alfresco\n\
alfresco.host=acs.internal\n\
alfresco.port=443\n\
alfresco.protocol=https\n\
share.host=share.example.org\n\
share.port=443\n\
share.protocol=https\n\
\n\
### IMAP ###\n\
imap.server.enabled=false\n\
imap.server.port=1143\n\
imap.server.host=0.0.0.0\n\
imap.mail.from.default=alfresco@example.org\n\
imap.config.server.mountPoints=AlfrescoIMAP,Marketing\n\
imap.config.server.mountPoints.value.Marketing.mountPointName=Marketing \xdcbersicht\n\
imap.config.server.mountPoints.value.Marketing.modeName=VIRTUAL\n\
imap.config.server.mountPoints.value.Marketing.rootPath=/app:company_home/st:sites/\\\n\
      cm:marketing/cm:documentLibrary\n\
imap.config.server.mountPoints.value.Marketing.folderPath=cm:Campaigns_x0020_2026\n\
imap.sidecar.data.dir=${dir.root}/imap\n";

#[test]
fn real_operator_file() {
    let files = Files::new();
    let global = files.write("alfresco-global.properties", OPERATOR_FILE);
    let config = load(&[&global], &[], &[]);

    assert_eq!(config.server.port, 1143);
    assert_eq!(config.mail.from.as_str(), "alfresco@example.org");
    assert_eq!(
        config.repository.base_url.as_str(),
        "https://acs.internal/alfresco/"
    );
    assert_eq!(
        config.share.base_url.as_str(),
        "https://share.example.org/share/"
    );
    assert_eq!(config.mount_points.len(), 2);
    let marketing = &config.mount_points[1];
    assert_eq!(marketing.id, "Marketing");
    assert_eq!(marketing.name, "Marketing Übersicht");
    assert_eq!(marketing.mode, ViewMode::Virtual);
    assert_eq!(
        marketing.folder.root_path.text,
        "/app:company_home/st:sites/cm:marketing/cm:documentLibrary"
    );
    assert_eq!(
        names(&marketing.folder),
        vec!["Sites", "marketing", "documentLibrary", "Campaigns 2026"]
    );
    assert_eq!(
        marketing.folder.relative_path(),
        "Sites/marketing/documentLibrary/Campaigns 2026"
    );
    // ${dir.root} from the same file feeds our key and, through it, the shipped defaults.
    assert_eq!(
        config.state.url,
        StateStoreUrl::Sqlite("/srv/alfresco/alf_data/imap/state.db".into())
    );
    assert_eq!(
        config.limits.spool_dir,
        PathBuf::from("/srv/alfresco/alf_data/imap/spool")
    );
    // Unrelated keys are kept, resolved where possible, never an error.
    assert_eq!(
        config.properties().get("db.url"),
        Some("jdbc:postgresql://postgres:5432/alfresco")
    );
    assert_eq!(
        config
            .properties()
            .get("transferservice.receiver.stagingDir"),
        Some("${java.io.tmpdir}/alfresco-transfer-staging")
    );
    // The repository's switch is reported as ignored, naming the file and line.
    let warnings: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        vec![format!(
            "key imap.server.enabled in {} line 31: belongs to the repository's built-in IMAP \
             server and is ignored here; this server starts the listeners named by \
             imap.server.imap.enabled and imap.server.imaps.enabled",
            global.display()
        )]
    );
}

#[test]
fn operator_file_in_utf8_reads_the_same() {
    let files = Files::new();
    let latin1 = files.write("latin1.properties", OPERATOR_FILE);
    let text: String = OPERATOR_FILE.iter().map(|&b| char::from(b)).collect();
    let utf8 = files.write("utf8.properties", text.as_bytes());
    let escaped = files.write(
        "escaped.properties",
        text.replace('Ü', "\\u00dc").as_bytes(),
    );
    for path in [&latin1, &utf8, &escaped] {
        let config = load(&[path], &[], &[]);
        assert_eq!(config.mount_points[1].name, "Marketing Übersicht");
    }
}

#[test]
fn precedence_across_all_layers() {
    let files = Files::new();
    let first = files.write(
        "a.properties",
        b"imap.server.port=1001\nimap.server.imaps.port=1991\n",
    );
    let second = files.write("b.properties", b"imap.server.port=1002\n");
    let config = load(&[&first, &second], &[], &[]);
    assert_eq!(config.server.port, 1002);
    assert_eq!(config.server.imaps_port, 1991);

    let config = load(&[&first, &second], &[], &[("IMAP_SERVER_PORT", "1003")]);
    assert_eq!(config.server.port, 1003);
    let config = load(
        &[&first, &second],
        &[],
        &[
            ("IMAP_SERVER_PORT", "1003"),
            ("ALFRESCO_IMAP_OPTS", "-Dimap.server.port=1004"),
        ],
    );
    assert_eq!(config.server.port, 1004);
    let config = load(
        &[&first, &second],
        &["imap.server.port=1005"],
        &[
            ("IMAP_SERVER_PORT", "1003"),
            ("ALFRESCO_IMAP_OPTS", "-Dimap.server.port=1004"),
        ],
    );
    assert_eq!(config.server.port, 1005);
    assert_eq!(
        config
            .properties()
            .setting("imap.server.port")
            .unwrap()
            .origin,
        Origin::Argument { position: 1 }
    );
    // Later -D arguments win over earlier ones.
    let config = load(&[], &["imap.server.port=1", "imap.server.port=2"], &[]);
    assert_eq!(config.server.port, 2);
}

#[test]
fn placeholder_in_defaults_sees_a_later_layer() {
    let config = load(&[], &["imap.sidecar.data.dir=/var/lib/imap"], &[]);
    assert_eq!(
        config.state.url,
        StateStoreUrl::Sqlite("/var/lib/imap/state.db".into())
    );
    // And a file's placeholder sees an environment value.
    let files = Files::new();
    let file = files.write(
        "a.properties",
        b"imap.mail.from.default=imap@${mail.domain}\n",
    );
    let config = load(
        &[&file],
        &[],
        &[("ALFRESCO_IMAP_OPTS", "-Dmail.domain=example.org")],
    );
    assert_eq!(config.mail.from.as_str(), "imap@example.org");
}

#[test]
fn environment_sets_keys_with_camel_case_and_composites() {
    let files = Files::new();
    let file = files.write(
        "a.properties",
        b"imap.config.server.mountPoints=AlfrescoIMAP,Docs\n\
          imap.config.server.mountPoints.value.Docs.mountPointName=Docs\n",
    );
    let config = load(
        &[&file],
        &[],
        &[
            ("IMAP_SIDECAR_REST_PAGESIZE", "200"),
            ("imap_sidecar_sites_listall", "true"),
            (
                "IMAP_CONFIG_SERVER_MOUNTPOINTS_VALUE_DOCS_MOUNTPOINTNAME",
                "Documents",
            ),
            (
                "ALFRESCO_IMAP_OPTS",
                "-Dimap.config.server.mountPoints.value.Docs.modeName=VIRTUAL \
                 '-Dimap.config.server.mountPoints.value.Docs.folderPath=cm:Shared Files'",
            ),
        ],
    );
    assert_eq!(config.repository.page_size, 200);
    assert!(config.mailboxes.sites_list_all);
    let docs = &config.mount_points[1];
    assert_eq!(docs.name, "Documents");
    assert_eq!(docs.mode, ViewMode::Virtual);
    assert_eq!(names(&docs.folder), vec!["Shared Files"]);
}

#[test]
fn secret_file_variable() {
    let files = Files::new();
    let secret = files.write("state-url", b"postgresql://imap:s3cret@db/imap\n");
    let config = load(
        &[],
        &[],
        &[("IMAP_SIDECAR_STATE_URL_FILE", secret.to_str().unwrap())],
    );
    assert_eq!(
        config.state.url,
        StateStoreUrl::Postgres("postgresql://imap:s3cret@db/imap".into())
    );
    assert_eq!(
        format!("{:?}", config.state.url),
        "Postgres(\"postgresql://imap:****@db/imap\")"
    );
    assert!(!format!("{:?}", config.properties()).contains("s3cret"));
}

#[test]
fn composite_mount_points_take_default_values() {
    let config = load(
        &[],
        &[
            "imap.config.server.mountPoints=A,B",
            "imap.config.server.mountPoints.value.A.mountPointName=Docs",
            "imap.config.server.mountPoints.value.A.modeName=VIRTUAL",
            "imap.config.server.mountPoints.value.B.mountPointName=Mail",
        ],
        &[],
    );
    let summary: Vec<(&str, &str, ViewMode, &str)> = config
        .mount_points
        .iter()
        .map(|m| {
            (
                m.id.as_str(),
                m.name.as_str(),
                m.mode,
                m.folder.root_path.text.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("A", "Docs", ViewMode::Virtual, "/app:company_home"),
            ("B", "Mail", ViewMode::Archive, "/app:company_home"),
        ]
    );
    // The shipped AlfrescoIMAP values are simply not used any more.
    assert_eq!(config.warnings(), &[]);
    // Values someone set for an id that is not listed are worth a warning.
    let config = load(
        &[],
        &[
            "imap.config.server.mountPoints=A",
            "imap.config.server.mountPoints.value.A.mountPointName=Docs",
            "imap.config.server.mountPoints.value.Old.mountPointName=Old",
            "imap.config.server.mountPoints.value.Old.modeName=MIXED",
        ],
        &[],
    );
    assert_eq!(
        config
            .warnings()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec![
            "key imap.config.server.mountPoints.value.Old.modeName in command-line -D argument 4: \
             \"Old\" is not listed in imap.config.server.mountPoints; its settings are ignored"
        ]
    );
    // .default.* given by the operator applies to every instance without its own value.
    let config = load(
        &[],
        &[
            "imap.config.server.mountPoints=A,B",
            "imap.config.server.mountPoints.default.modeName=MIXED",
            "imap.config.server.mountPoints.default.rootPath=/app:company_home/st:sites",
            "imap.config.server.mountPoints.value.A.mountPointName=Sites",
            "imap.config.server.mountPoints.value.B.mountPointName=Shared",
            "imap.config.server.mountPoints.value.B.rootPath=/app:company_home/app:shared",
        ],
        &[],
    );
    assert_eq!(config.mount_points[0].mode, ViewMode::Mixed);
    assert_eq!(names(&config.mount_points[0].folder), vec!["Sites"]);
    assert_eq!(config.mount_points[1].mode, ViewMode::Mixed);
    assert_eq!(names(&config.mount_points[1].folder), vec!["Shared"]);
    // An empty list means no mount points at all.
    let config = load(&[], &["imap.config.server.mountPoints="], &[]);
    assert_eq!(config.mount_points, vec![]);
}

#[test]
fn ignore_extraction_composite() {
    let config = load(
        &[],
        &[
            "imap.config.ignore.extraction=records, scans",
            "imap.config.ignore.extraction.default.rootPath=/app:company_home",
            "imap.config.ignore.extraction.value.records.folderPath=cm:Records",
            "imap.config.ignore.extraction.value.scans.store=workspace://SpacesStore",
            "imap.config.ignore.extraction.value.scans.folderPath=cm:Scans/cm:Inbox",
        ],
        &[],
    );
    let folders: Vec<(&str, Vec<&str>)> = config
        .ignore_extraction
        .iter()
        .map(|f| (f.id.as_str(), names(&f.folder)))
        .collect();
    assert_eq!(
        folders,
        vec![
            ("records", vec!["Records"]),
            ("scans", vec!["Scans", "Inbox"])
        ]
    );
}

/// One file with many mistakes: every error is reported, each with the key, file and line.
#[test]
fn every_validation_error_with_file_and_line() {
    let files = Files::new();
    let bad = files.write(
        "alfresco-global.properties",
        b"imap.server.port=14x\n\
          imap.server.imaps.port=70000\n\
          imap.mail.from.default=Alfresco <alfresco@example.org>\n\
          imap.mail.to.default=nobody\n\
          imap.server.imap.enabled=maybe\n\
          imap.config.server.mountPoints=AlfrescoIMAP,Docs,Ghost,Twin\n\
          imap.config.server.mountPoints.value.AlfrescoIMAP.modeName=Mixed\n\
          imap.config.server.mountPoints.value.Docs.mountPointName=Docs\n\
          imap.config.server.mountPoints.value.Docs.store=archive://SpacesStore\n\
          imap.config.server.mountPoints.value.Docs.rootPath=app:company_home\n\
          imap.config.server.mountPoints.value.Twin.mountPointName=Docs\n\
          imap.config.server.mountPoints.value.Twin.folderPath=cm:a//cm:b\n\
          imap.attachments.mode=separate\n\
          imap.sidecar.rest.pageSize=0\n\
          imap.sidecar.timeouts.idleMs=30min\n\
          imap.sidecar.home.location=home\n\
          imap.config.home.rootPath=/sys:system\n\
          imap.sidecar.log.format=xml\n\
          imap.sidecar.state.url=${imap.sidecar.nowhere}/x\n\
          imap.config.server.mountPoints.value.Docs.modename=VIRTUAL\n",
    );
    let at = |line: usize| format!("{} line {line}", bad.display());
    let mut expected = vec![
        format!(
            "key imap.sidecar.state.url in {}: placeholder ${{imap.sidecar.nowhere}} never resolves",
            at(19)
        ),
        format!(
            "key imap.server.imap.enabled in {}: \"maybe\" is not a boolean (true or false)",
            at(5)
        ),
        format!(
            "key imap.server.port in {}: \"14x\" is not a port number (0 to 65535)",
            at(1)
        ),
        format!(
            "key imap.server.imaps.port in {}: \"70000\" is not a port number (0 to 65535)",
            at(2)
        ),
        format!(
            "key imap.config.server.mountPoints.value.Docs.modename in {}: unknown setting \
             \"modename\" (known: mountPointName, modeName, store, rootPath, folderPath)",
            at(20)
        ),
        format!(
            "key imap.config.server.mountPoints in {}: id \"Ghost\" is listed but no \
             imap.config.server.mountPoints.value.Ghost.* key is set",
            at(6)
        ),
        format!(
            "key imap.config.server.mountPoints.value.AlfrescoIMAP.modeName in {}: \"Mixed\" is \
             not a mode (ARCHIVE, MIXED or VIRTUAL, in upper case)",
            at(7)
        ),
        format!(
            "key imap.config.server.mountPoints.value.Docs.store in {}: \"archive://SpacesStore\" \
             is not supported; the only store is workspace://SpacesStore",
            at(9)
        ),
        format!(
            "key imap.config.server.mountPoints.value.Docs.rootPath in {}: \"app:company_home\" \
             is not a usable repository path: it must start with /",
            at(10)
        ),
        format!(
            "key imap.config.server.mountPoints.value.Twin.mountPointName in {}: mount point name \
             \"Docs\" is used by both Docs and Twin",
            at(11)
        ),
        format!(
            "key imap.config.server.mountPoints.value.Twin.folderPath in {}: \"cm:a//cm:b\" is not \
             a usable repository path: it has an empty step",
            at(12)
        ),
        format!(
            "key imap.mail.from.default in {}: \"Alfresco <alfresco@example.org>\" is not a plain \
             e-mail address such as alfresco@example.org",
            at(3)
        ),
        format!(
            "key imap.mail.to.default in {}: \"nobody\" is not a plain e-mail address such as \
             alfresco@example.org",
            at(4)
        ),
        format!(
            "key imap.config.home.rootPath in {}: \"/sys:system\" is not a usable repository path: \
             it must start at /app:company_home, the only root the REST API can reach",
            at(17)
        ),
        shipped(
            "key imap.sidecar.mount.exclude in the shipped defaults line ?: \"/sys:system/cm:Imap \
             Home\" is not a usable repository path: it must start at /app:company_home, the only \
             root the REST API can reach",
        ),
        format!(
            "key imap.sidecar.home.location in {}: \"home\" is not one of imapHome, userHome",
            at(16)
        ),
        format!(
            "key imap.attachments.mode in {}: \"separate\" is not one of SEPARATE, SAME, COMMON",
            at(13)
        ),
        format!(
            "key imap.sidecar.rest.pageSize in {}: \"0\" is not a whole number from 1 to 4294967295",
            at(14)
        ),
        format!(
            "key imap.sidecar.timeouts.idleMs in {}: \"30min\" is not a whole number from 1 to \
             18446744073709551615",
            at(15)
        ),
        format!(
            "key imap.sidecar.log.format in {}: \"xml\" is not one of text, json",
            at(18)
        ),
    ];
    let mut actual = errors(&[&bad], &[], &[]);
    actual.sort();
    expected.sort();
    assert_eq!(actual, expected);
}

#[test]
fn mount_point_without_any_value_and_duplicate_ids() {
    let found = errors(
        &[],
        &["imap.config.server.mountPoints=AlfrescoIMAP,X,AlfrescoIMAP"],
        &[],
    );
    assert_eq!(
        found,
        vec![
            "key imap.config.server.mountPoints in command-line -D argument 1: id \"AlfrescoIMAP\" \
             is listed twice",
            "key imap.config.server.mountPoints in command-line -D argument 1: id \"X\" is listed \
             but no imap.config.server.mountPoints.value.X.* key is set",
        ]
    );
}

#[test]
fn mount_point_names_that_cannot_be_mailboxes() {
    let found = errors(
        &[],
        &[
            "imap.config.server.mountPoints=A,B,C",
            "imap.config.server.mountPoints.value.A.mountPointName=inbox",
            "imap.config.server.mountPoints.value.B.mountPointName=a/b",
            "imap.config.server.mountPoints.value.C.mountPointName=Trash",
        ],
        &[],
    );
    assert_eq!(
        found,
        [
            "key imap.config.server.mountPoints.value.A.mountPointName in command-line -D \
             argument 2: \"inbox\" is invalid: a mailbox name other than INBOX",
            "key imap.config.server.mountPoints.value.B.mountPointName in command-line -D \
             argument 3: \"a/b\" is invalid: a mailbox name without / (the hierarchy delimiter)",
            "key imap.sidecar.specialUse.trash in the shipped defaults line ?: \"Trash\" is \
             invalid: a name not already used by mount point C",
        ]
        .map(shipped)
    );
}

#[test]
fn placeholder_cycle_is_an_error_naming_the_keys() {
    let files = Files::new();
    let file = files.write(
        "loop.properties",
        b"imap.sidecar.data.dir=${imap.sidecar.spool.dir}/data\n\
          imap.sidecar.spool.dir=${imap.sidecar.data.dir}/spool\n",
    );
    assert_eq!(
        errors(&[&file], &[], &[]),
        vec![format!(
            "key imap.sidecar.data.dir in {} line 1: placeholders form a cycle: \
             imap.sidecar.data.dir -> imap.sidecar.spool.dir -> imap.sidecar.data.dir",
            file.display()
        )]
    );
}

#[test]
fn insecure_repository_url_is_refused() {
    let refused = errors(&[], &["alfresco.host=acs.example.org"], &[]);
    assert_eq!(
        refused,
        [
            "key alfresco.protocol in the shipped defaults line ?: refusing http to \
             \"acs.example.org\": user passwords would cross the network unencrypted; use https \
             or set imap.sidecar.rest.allowInsecure=true"
        ]
        .map(shipped)
    );
    for allowed in [
        vec!["alfresco.host=acs.example.org", "alfresco.protocol=https"],
        vec![
            "alfresco.host=acs.example.org",
            "imap.sidecar.rest.allowInsecure=true",
        ],
        vec!["alfresco.host=localhost"],
        vec!["alfresco.host=127.0.0.1"],
        vec!["alfresco.host=::1"],
        vec!["alfresco.host=MAILHOST"],
    ] {
        let config = load(&[], &allowed, &[]);
        assert_eq!(
            config.repository.base_url.host_str().map(str::to_lowercase),
            Some(
                allowed[0]
                    .trim_start_matches("alfresco.host=")
                    .to_lowercase()
                    .replace("::1", "[::1]")
            )
        );
    }
    // Share links are not a connection: http anywhere is fine.
    load(&[], &["share.host=share.example.org"], &[]);
    assert_eq!(
        errors(&[], &["alfresco.protocol=ftp"], &[]),
        vec![
            "key alfresco.protocol in command-line -D argument 1: \"ftp\" is not one of http, https"
        ]
    );
}

#[test]
fn tls_and_listener_consistency() {
    assert_eq!(
        errors(
            &[],
            &[
                "imap.sidecar.tls.certificate=/etc/imap/cert.pem",
                "imap.server.imaps.enabled=true"
            ],
            &[]
        ),
        [
            "key imap.sidecar.tls.key in the shipped defaults line ?: \"\" is invalid: the PEM \
             private key of imap.sidecar.tls.certificate"
        ]
        .map(shipped)
    );
    assert_eq!(
        errors(&[], &["imap.server.imaps.enabled=true"], &[]),
        vec![
            "key imap.server.imaps.enabled in command-line -D argument 1: \"true\" is invalid: \
             false, unless imap.sidecar.tls.certificate and .key are set"
        ]
    );
    assert_eq!(
        errors(&[], &["imap.sidecar.tls.required=yes"], &[]),
        vec![
            "key imap.sidecar.tls.required in command-line -D argument 1: \"yes\" is invalid: \
             false, unless imap.sidecar.tls.certificate and .key are set"
        ]
    );
    assert_eq!(
        errors(&[], &["imap.server.imap.enabled=false"], &[]),
        vec![
            "key imap.server.imap.enabled in command-line -D argument 1: \"false\" is invalid: \
             at least one of imap.server.imap.enabled and imap.server.imaps.enabled must be true"
        ]
    );
    let config = load(
        &[],
        &[
            "imap.sidecar.tls.certificate=/etc/imap/cert.pem",
            "imap.sidecar.tls.key=/etc/imap/key.pem",
            "imap.server.imaps.enabled=true",
            "imap.server.imap.enabled=false",
            "imap.server.imaps.port=0",
        ],
        &[],
    );
    assert_eq!(config.tls.key, Some(PathBuf::from("/etc/imap/key.pem")));
    assert!(config.server.imaps_enabled);
    assert_eq!(config.server.imaps_port, 0);
}

#[test]
fn login_failure_limit_stays_below_the_repository_lockout() {
    assert_eq!(
        errors(&[], &["imap.sidecar.auth.maxFailuresPerUser=10"], &[]),
        vec![
            "key imap.sidecar.auth.maxFailuresPerUser in command-line -D argument 1: \"10\" is \
             invalid: a number from 1 to 9, below the repository's lockout after 10 failed logins \
             (authentication.protection.limit), so a client retrying a wrong password cannot \
             lock the user out of Alfresco"
        ]
    );
    let config = load(
        &[],
        &[
            "authentication.protection.limit=20",
            "imap.sidecar.auth.maxFailuresPerUser=19",
        ],
        &[],
    );
    assert_eq!(config.auth.max_failures_per_user, 19);
}

#[test]
fn limits_cross_checks() {
    assert_eq!(
        errors(&[], &["imap.sidecar.limits.appendBudget=1000"], &[]),
        vec![
            "key imap.sidecar.limits.appendBudget in command-line -D argument 1: \"1000\" is \
             invalid: at least imap.sidecar.limits.appendLimit (52428800), or no message of the \
             largest size could ever be appended"
        ]
    );
}

#[test]
fn other_sidecar_values() {
    let config = load(
        &[],
        &[
            "imap.sidecar.http.address=",
            "imap.sidecar.log.format=json",
            "imap.sidecar.log.level=alfresco_imap=debug,warn",
            "imap.sidecar.events.url=stomp://activemq:61613",
            "imap.sidecar.timezone=Europe/Berlin",
            "imap.sidecar.locale=de_DE",
            "imap.sidecar.home.location=userHome",
            "imap.sidecar.mount.exclude=",
        ],
        &[],
    );
    assert_eq!(config.ops.http_address, None);
    assert_eq!(config.ops.log_format, LogFormat::Json);
    assert_eq!(config.ops.log_level, "alfresco_imap=debug,warn");
    assert_eq!(
        config.events.url.as_ref().map(|u| u.as_str()),
        Some("stomp://activemq:61613")
    );
    assert_eq!(config.virtual_view.timezone, "Europe/Berlin");
    assert_eq!(config.virtual_view.locale, "de_DE");
    assert_eq!(config.home.location, HomeLocation::UserHome);
    assert_eq!(config.mailboxes.mount_exclude, vec![]);

    let mut found = errors(
        &[],
        &[
            "imap.sidecar.http.address=localhost",
            "imap.sidecar.timezone=Europe/../etc",
            "imap.sidecar.locale=english!",
            "imap.sidecar.events.url=not a url",
            "imap.sidecar.state.url=mysql://db/x",
            "imap.sidecar.log.level=[[[",
        ],
        &[],
    );
    found.sort();
    assert_eq!(found.len(), 6, "{found:#?}");
    assert!(found[0].starts_with("key imap.sidecar.events.url in command-line -D argument 4"));
    assert!(found[1].starts_with("key imap.sidecar.http.address in command-line -D argument 1"));
    assert!(found[2].starts_with("key imap.sidecar.locale in command-line -D argument 3"));
    assert!(found[3].starts_with("key imap.sidecar.log.level in command-line -D argument 6"));
    assert!(found[4].starts_with("key imap.sidecar.state.url in command-line -D argument 5"));
    assert!(found[5].starts_with("key imap.sidecar.timezone in command-line -D argument 2"));
}

#[test]
fn unknown_imap_keys_warn() {
    let config = load(
        &[],
        &["imap.server.prot=1", "imap.sidecar.limits.conections=9"],
        &[],
    );
    let warnings: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        vec![
            "key imap.server.prot in command-line -D argument 1: unknown key; ignored",
            "key imap.sidecar.limits.conections in command-line -D argument 2: unknown key; ignored",
        ]
    );
}

#[test]
fn localname_is_the_injected_host_name_unless_set() {
    let config = load(&[], &[], &[]);
    assert_eq!(config.repository.base_url.host_str(), Some("mailhost"));
    let config = load(&[], &["localname=imap-1.example.org"], &[]);
    assert_eq!(
        config.repository.base_url.host_str(),
        Some("imap-1.example.org")
    );
    // ... and that name counts as this machine for the plain-http rule.
    assert_eq!(config.local_name(), "imap-1.example.org");
}

#[test]
fn shipped_defaults_document_every_key() {
    // Every key in the shipped file has a comment line somewhere above it in its block, and every
    // key the loader reads exists there (so `config` prints it).
    let parsed = super::properties_file::parse(SHIPPED_DEFAULTS.as_bytes());
    assert_eq!(parsed.errors, vec![]);
    let keys: Vec<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
    for key in [
        "imap.server.enabled",
        "imap.server.host",
        "imap.server.port",
        "imap.server.imap.enabled",
        "imap.server.imaps.enabled",
        "imap.server.imaps.port",
        "imap.server.folder.cache.size",
        "imap.server.shuffle.move.delete.delay",
        "imap.server.attachments.extraction.enabled",
        "imap.mail.from.default",
        "imap.mail.to.default",
        "imap.config.home.store",
        "imap.config.home.rootPath",
        "imap.config.home.folderPath",
        "imap.config.server.mountPoints",
        "imap.config.server.mountPoints.default.mountPointName",
        "imap.config.server.mountPoints.default.modeName",
        "imap.config.server.mountPoints.default.store",
        "imap.config.server.mountPoints.default.rootPath",
        "imap.config.server.mountPoints.value.AlfrescoIMAP.mountPointName",
        "imap.config.server.mountPoints.value.AlfrescoIMAP.modeName",
        "imap.config.ignore.extraction",
        "imap.attachments.mode",
        "imap.attachments.folder.store",
        "imap.attachments.folder.rootPath",
        "imap.attachments.folder.folderPath",
        "alfresco.protocol",
        "alfresco.host",
        "alfresco.port",
        "alfresco.context",
        "share.protocol",
        "share.host",
        "share.port",
        "share.context",
    ] {
        assert!(
            keys.contains(&key),
            "{key} missing from the shipped defaults"
        );
    }
    let lines: Vec<&str> = SHIPPED_DEFAULTS.lines().collect();
    for entry in &parsed.entries {
        let above = &lines[..entry.line - 1];
        let documented = above
            .iter()
            .rev()
            .take_while(|l| !l.trim().is_empty())
            .any(|l| l.starts_with("# "));
        assert!(documented, "{} has no comment", entry.key);
    }
}

#[test]
fn shipped_example_loads() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("subsystem-properties/alfresco-global.properties.example");
    let config = load(&[&example], &[], &[]);
    assert_eq!(
        config.repository.base_url.as_str(),
        "https://acs.example.org/alfresco/"
    );
    assert_eq!(
        config
            .mount_points
            .iter()
            .map(|m| (m.name.as_str(), m.mode, m.folder.relative_path()))
            .collect::<Vec<_>>(),
        vec![
            ("Alfresco IMAP", ViewMode::Mixed, String::new()),
            (
                "Marketing",
                ViewMode::Virtual,
                "Sites/marketing/documentLibrary".to_string()
            ),
        ]
    );
    assert_eq!(
        config.state.url,
        StateStoreUrl::Sqlite("/var/lib/alfresco-imap/state.db".into())
    );
    assert!(config.tls.required);
    // Only the repository switch is worth a warning.
    assert_eq!(
        config
            .warnings()
            .iter()
            .map(|w| w.key.as_deref().unwrap_or(""))
            .collect::<Vec<_>>(),
        vec!["imap.server.enabled"]
    );
}

#[test]
fn ignore_extraction_folder_listed_twice() {
    assert_eq!(
        errors(
            &[],
            &[
                "imap.config.ignore.extraction=a,b",
                "imap.config.ignore.extraction.value.a.rootPath=/app:company_home/app:shared",
                "imap.config.ignore.extraction.value.b.rootPath=/app:company_home",
                "imap.config.ignore.extraction.value.b.folderPath=app:shared",
            ],
            &[]
        ),
        vec![
            "key imap.config.ignore.extraction.value.b.rootPath in command-line -D argument 3: \
             folder /app:company_home/app:shared is listed by both a and b"
        ]
    );
}

/// `text` ("key K in the shipped defaults line ?: ...") with `?` replaced by the line of K in
/// the shipped defaults, so that adding a property does not break these tests.
fn shipped(text: &str) -> String {
    if !text.contains("line ?") {
        return text.to_owned();
    }
    let key = text
        .strip_prefix("key ")
        .and_then(|rest| rest.split(' ').next())
        .expect("a message naming its key");
    let line = super::layers::SHIPPED_DEFAULTS
        .lines()
        .position(|l| l.starts_with(&format!("{key}=")))
        .expect("the key is shipped")
        + 1;
    text.replacen("line ?", &format!("line {line}"), 1)
}
