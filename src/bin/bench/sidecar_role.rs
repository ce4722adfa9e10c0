//! `bench __sidecar`: the product, assembled by `App::start` from its configuration exactly as
//! `serve` and `demo` do, pointed at the bench's emulator, in a process of its own so that its
//! memory and CPU time can be read from `/proc`. It answers `metrics` with its REST counters.

use std::path::PathBuf;
use std::process::ExitCode;

use alfresco_imap::app::{App, AppOptions};
use alfresco_imap::config::{ConfigSources, ImapConfig};
use alfresco_imap::server::Security;
use clap::Parser;

use crate::worker::{announce_ready, format_fields, serve_requests};

/// The role's name on the command line.
pub const ROLE: &str = "__sidecar";

/// Arguments of the sidecar role.
#[derive(Debug, Parser)]
#[command(name = "bench __sidecar")]
struct SidecarArgs {
    /// The emulator's port on 127.0.0.1.
    #[arg(long)]
    rest_port: u16,
    /// The state directory (state store, spool, certificate).
    #[arg(long)]
    state_dir: PathBuf,
    /// Also listen with implicit TLS on this port (a self-signed certificate is written to the
    /// state directory).
    #[arg(long)]
    tls_port: Option<u16>,
    /// Further configuration keys, `key=value`.
    #[arg(short = 'D', long = "define")]
    defines: Vec<String>,
}

/// Runs the sidecar role.
pub fn main(arguments: &[String]) -> ExitCode {
    let args = match SidecarArgs::try_parse_from(
        std::iter::once(ROLE.to_owned()).chain(arguments.iter().cloned()),
    ) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sidecar: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sidecar: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: SidecarArgs) -> Result<(), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    std::fs::create_dir_all(&args.state_dir).map_err(|e| e.to_string())?;
    let port = args.rest_port;
    let mut defines = vec![
        "alfresco.protocol=http".to_owned(),
        "alfresco.host=127.0.0.1".to_owned(),
        format!("alfresco.port={port}"),
        "alfresco.context=alfresco".to_owned(),
        "share.host=127.0.0.1".to_owned(),
        format!("share.port={port}"),
        "imap.server.host=127.0.0.1".to_owned(),
        "imap.server.imap.enabled=true".to_owned(),
        "imap.server.port=0".to_owned(),
        "imap.server.imaps.enabled=false".to_owned(),
        format!("imap.sidecar.data.dir={}", args.state_dir.display()),
        "imap.sidecar.limits.connections=100000".to_owned(),
        "imap.sidecar.limits.connectionsPerUser=100000".to_owned(),
        "imap.sidecar.limits.connectionsPerAddress=100000".to_owned(),
        "imap.sidecar.log.level=warn".to_owned(),
        // No operations endpoint: its fixed port would collide with another sidecar on the
        // machine, and the bench reads its counters over the pipe.
        "imap.sidecar.http.address=".to_owned(),
    ];
    let mut certificate = None;
    if let Some(tls_port) = args.tls_port {
        let (pem, key) = alfresco_imap::server::tls::self_signed(&["localhost", "127.0.0.1"])
            .map_err(|e| e.to_string())?;
        let cert_path = args.state_dir.join("bench-cert.pem");
        let key_path = args.state_dir.join("bench-key.pem");
        std::fs::write(&cert_path, pem).map_err(|e| e.to_string())?;
        std::fs::write(&key_path, key.as_bytes()).map_err(|e| e.to_string())?;
        defines.extend([
            "imap.server.imaps.enabled=true".to_owned(),
            format!("imap.server.imaps.port={tls_port}"),
            format!("imap.sidecar.tls.certificate={}", cert_path.display()),
            format!("imap.sidecar.tls.key={}", key_path.display()),
        ]);
        certificate = Some(cert_path);
    }
    defines.extend(args.defines);
    let config =
        ImapConfig::load(&ConfigSources::from_process(Vec::new(), defines)).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })?;
    alfresco_imap::cli::init_logging(&config).map_err(|e| e.to_string())?;
    let app = App::start(&config, &AppOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let plain = app
        .server
        .address(Security::Plain)
        .ok_or("no plain listener")?;
    let mut ready = vec![("imap", plain.port().to_string())];
    if let (Some(tls), Some(cert)) = (app.server.address(Security::Implicit), &certificate) {
        ready.push(("imaps", tls.port().to_string()));
        ready.push(("cert", cert.display().to_string()));
    }
    announce_ready(&format_fields(ready));
    let backend = app.backend.clone();
    serve_requests(|line| {
        let backend = backend.clone();
        async move {
            match line.as_str() {
                "metrics" => {
                    let snapshot = backend.client().metrics().snapshot();
                    let mut fields = vec![
                        ("calls", snapshot.total_calls().to_string()),
                        (
                            "latency_us",
                            snapshot.total_latency().as_micros().to_string(),
                        ),
                    ];
                    let mut routes: Vec<(String, u64)> = Vec::new();
                    for call in &snapshot.calls {
                        let key = format!("{}:{}", call.endpoint.method, call.endpoint.route);
                        match routes.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, n)) => *n += call.count,
                            None => routes.push((key, call.count)),
                        }
                    }
                    let routes: String = routes
                        .iter()
                        .map(|(k, n)| format!(" route:{k}={n}"))
                        .collect();
                    Ok(format!("{}{routes}", format_fields(fields.drain(..))))
                }
                other => Err(format!("unknown request {other}")),
            }
        }
    })
    .await;
    app.server.shutdown(std::time::Duration::from_secs(5)).await;
    Ok(())
}
