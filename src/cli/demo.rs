//! `alfresco-imap demo`: the emulator with demo data and the IMAP server on top of it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

use super::{DemoArgs, EXIT_FAILURE, EXIT_INVALID, init_logging, report_errors};
use crate::app::{App, AppOptions};
use crate::config::{ConfigSources, ImapConfig};
use crate::emulator::{self, EmulatorOptions, Seed as EmulatorSeed};
use crate::server::tls::self_signed;

/// Starts the emulator and the IMAP server and prints how to connect.
pub fn run_demo(args: &DemoArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(demo(args))
}

async fn demo(args: &DemoArgs) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (state_dir, _temporary) = match &args.state {
        Some(dir) => (dir.clone(), None),
        None => match tempfile::Builder::new()
            .prefix("alfresco-imap-demo-")
            .tempdir()
        {
            Ok(dir) => (dir.path().to_path_buf(), Some(dir)),
            Err(error) => {
                eprintln!("error: cannot create a state directory: {error}");
                return ExitCode::from(EXIT_FAILURE);
            }
        },
    };
    let fingerprint = match write_certificate(&state_dir) {
        Ok(fingerprint) => fingerprint,
        Err(error) => {
            eprintln!("error: cannot write the demo certificate: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let emulator = match emulator::spawn(EmulatorOptions {
        port: args.rest_port,
        seed: EmulatorSeed::Demo,
        ..EmulatorOptions::default()
    })
    .await
    {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!(
                "error: cannot start the repository emulator on 127.0.0.1:{}: {error}",
                args.rest_port
            );
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    if args.documents > 0
        && let Err(error) = seed_documents(&emulator, args.documents)
    {
        eprintln!("error: cannot seed the demo documents: {error}");
        return ExitCode::from(EXIT_FAILURE);
    }
    let rest_port = emulator.addr().port();
    let mut defines = vec![
        "alfresco.protocol=http".to_owned(),
        "alfresco.host=127.0.0.1".to_owned(),
        format!("alfresco.port={rest_port}"),
        "alfresco.context=alfresco".to_owned(),
        "share.host=127.0.0.1".to_owned(),
        format!("share.port={rest_port}"),
        "imap.server.host=127.0.0.1".to_owned(),
        "imap.server.imap.enabled=true".to_owned(),
        format!("imap.server.port={}", args.imap_port),
        "imap.server.imaps.enabled=true".to_owned(),
        format!("imap.server.imaps.port={}", args.imaps_port),
        format!(
            "imap.sidecar.tls.certificate={}",
            state_dir.join("demo-cert.pem").display()
        ),
        format!(
            "imap.sidecar.tls.key={}",
            state_dir.join("demo-key.pem").display()
        ),
        format!("imap.sidecar.data.dir={}", state_dir.display()),
        // Any free port, so that a demo runs beside a server on the default 9143.
        "imap.sidecar.http.address=127.0.0.1:0".to_owned(),
    ];
    defines.extend(args.defines.iter().cloned());
    let config = match ImapConfig::load(&ConfigSources::from_process(Vec::new(), defines)) {
        Ok(config) => config,
        Err(errors) => {
            report_errors(&errors);
            return ExitCode::from(EXIT_INVALID);
        }
    };
    if let Err(error) = init_logging(&config) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_FAILURE);
    }
    if let Some(url) = &config.events.url {
        match crate::events::publish::Publisher::to_url(url, &config.events.topic) {
            Ok(publisher) => emulator.publish_events(publisher),
            Err(error) => {
                eprintln!("error: imap.sidecar.events.url: {error}");
                return ExitCode::from(EXIT_INVALID);
            }
        }
    }
    let app = match App::start(&config, &AppOptions::default()).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let plain = app.server.address(crate::server::Security::Plain);
    let tls = app.server.address(crate::server::Security::Implicit);
    println!(
        "{}",
        banner(
            plain.map(|a| a.port()),
            tls.map(|a| a.port()),
            &emulator.base_url(),
            app.ops.as_ref().map(|ops| ops.address()),
            &fingerprint,
            &state_dir
        )
    );
    app.run_until_signal().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// The folder `--documents` fills, below Company Home.
pub const BULK_PARENT: &str = "Sites/marketing/documentLibrary";
/// Its name.
pub const BULK_FOLDER: &str = "Bulk";

/// Creates `count` small documents in `Sites/marketing/documentLibrary/Bulk`, printing progress
/// on stderr every tenth.
fn seed_documents(emulator: &emulator::EmulatorHandle, count: u32) -> Result<(), String> {
    let parent = emulator
        .node_id(BULK_PARENT)
        .ok_or_else(|| format!("{BULK_PARENT} is missing from the demo data"))?;
    let folder = emulator
        .create_folder(&parent, BULK_FOLDER, "admin")
        .map_err(|e| e.to_string())?;
    let step = (count / 10).max(1);
    for n in 1..=count {
        let name = format!("document-{n:07}.txt");
        let body = format!("Document {n} of {count}, seeded by alfresco-imap demo --documents.\n");
        emulator
            .create_file(&folder, &name, body.into_bytes(), "admin")
            .map_err(|e| format!("{name}: {e}"))?;
        if n % step == 0 || n == count {
            eprintln!("seeding {BULK_PARENT}/{BULK_FOLDER}: {n}/{count} documents");
        }
    }
    Ok(())
}

/// Writes a self-signed certificate for localhost and returns its SHA-256 fingerprint.
fn write_certificate(dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let (certificate, key) = self_signed(&["localhost", "127.0.0.1"]).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("demo-cert.pem"), &certificate).map_err(|e| e.to_string())?;
    write_private(&dir.join("demo-key.pem"), key.as_bytes()).map_err(|e| e.to_string())?;
    let der = CertificateDer::from_pem_slice(certificate.as_bytes()).map_err(|e| e.to_string())?;
    let digest = Sha256::digest(der.as_ref());
    Ok(digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

fn write_private(path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes)
    }
}

fn banner(
    plain: Option<u16>,
    tls: Option<u16>,
    rest: &str,
    ops: Option<std::net::SocketAddr>,
    fingerprint: &str,
    state: &Path,
) -> String {
    let plain = plain.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
    let tls = tls.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
    let ops = ops
        .map(|a| format!("http://{a}/metrics  (health: /health/live, /health/ready)"))
        .unwrap_or_else(|| "-".into());
    format!(
        "alfresco-imap demo is running.\n\
         \n\
         \x20 IMAP   127.0.0.1:{plain}  (plain, STARTTLS available)\n\
         \x20 IMAPS  127.0.0.1:{tls}  (self-signed certificate, SHA-256 {fingerprint})\n\
         \x20 REST   {rest}  (the embedded Alfresco emulator)\n\
         \x20 Ops    {ops}\n\
         \x20 State  {}\n\
         \n\
         \x20 Users (the password is the user name): alice, bob, admin\n\
         \n\
         \x20 Try:   curl \"imap://alice:alice@127.0.0.1:{plain}/INBOX;UID=1\"\n\
         \x20 Mail client: server 127.0.0.1, port {plain}, no encryption (or port {tls} with SSL/TLS,\n\
         \x20 accepting the certificate above), user alice, password alice.\n\
         \n\
         Press Ctrl-C to stop.",
        state.display()
    )
}
