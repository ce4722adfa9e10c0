//! Lints docker/: the Compose files parsed as YAML and checked for the structure operators rely
//! on (ports, health-gated start, the named state volume, the repository's own IMAP kept off),
//! every environment variable naming a known configuration key, and the Dockerfile's build
//! command, user, ports and health check. When `docker compose` is installed, `docker compose
//! config` validates the files too; otherwise that part is skipped with a message (CI has no
//! container engine, so ALFRESCO_IMAP_REQUIRE_EXTERNAL does not make it mandatory).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use alfresco_imap::config::SHIPPED_DEFAULTS;
use serde_norway::Value;

/// The cargo command the Dockerfile builds with; CI runs the same command after `cargo test`.
const BUILD_COMMAND: &str = "cargo build --locked --bin alfresco-imap";
const STATE_DIR: &str = "/var/lib/alfresco-imap";
const STATE_VOLUME: &str = "alfresco-imap-state";

fn docker_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docker")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(docker_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn yaml(name: &str) -> Value {
    serde_norway::from_str(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("not a list: {value:?}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

/// The shipped keys in the form environment variables are matched in (lower case, `.` as `_`).
fn known_variables() -> BTreeSet<String> {
    SHIPPED_DEFAULTS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with('!'))
        .filter_map(|line| line.split_once('=').map(|(key, _)| key.trim()))
        .map(|key| key.to_ascii_lowercase().replace('.', "_"))
        .collect()
}

fn assert_known_variable(name: &str) {
    let form = name.to_ascii_lowercase();
    assert!(
        known_variables().contains(&form),
        "{name} does not name a configuration key"
    );
}

/// Checks the sidecar's environment names known keys and its state dir is the named volume.
fn assert_sidecar_basics(service: &Value) {
    assert!(service["mem_limit"].as_str().is_some(), "mem_limit missing");
    let volumes = strings(&service["volumes"]);
    assert!(
        volumes.contains(&format!("{STATE_VOLUME}:{STATE_DIR}")),
        "{volumes:?}"
    );
    if let Some(environment) = service["environment"].as_mapping() {
        for name in environment.keys() {
            assert_known_variable(name.as_str().unwrap());
        }
    }
}

#[test]
fn overrides_add_the_sidecar_to_the_community_compose() {
    let file = yaml("imap-overrides.yaml");
    let services = &file["services"];
    let sidecar = &services["alfresco-imap"];
    assert_eq!(
        sidecar["depends_on"]["alfresco"]["condition"].as_str(),
        Some("service_healthy")
    );
    assert_eq!(
        strings(&sidecar["ports"]),
        vec!["143:1143".to_string(), "993:1993".to_string()]
    );
    assert_sidecar_basics(sidecar);
    let environment = &sidecar["environment"];
    assert_eq!(environment["ALFRESCO_HOST"].as_str(), Some("alfresco"));
    assert_eq!(environment["ALFRESCO_PORT"].as_str(), Some("8080"));
    assert_eq!(
        environment["IMAP_SIDECAR_DATA_DIR"].as_str(),
        Some(STATE_DIR)
    );
    assert!(
        strings(&sidecar["volumes"]).contains(
            &"./alfresco-global.properties:/etc/alfresco-imap/alfresco-global.properties:ro"
                .to_string()
        )
    );
    assert!(
        file["volumes"]
            .as_mapping()
            .unwrap()
            .contains_key(STATE_VOLUME)
    );
    let java_opts = services["alfresco"]["environment"]["JAVA_OPTS"]
        .as_str()
        .expect("JAVA_OPTS of the alfresco service");
    let words: Vec<&str> = java_opts.split_whitespace().collect();
    assert_eq!(words.last(), Some(&"-Dimap.server.enabled=false"));
    // The repeated options keep the database settings the community file sets.
    assert!(words.contains(&"-Ddb.url=jdbc:postgresql://postgres:5432/alfresco"));
}

#[test]
fn demo_compose_runs_the_demo_on_a_named_volume() {
    let file = yaml("compose.yaml");
    let sidecar = &file["services"]["alfresco-imap"];
    assert_eq!(
        sidecar["build"]["dockerfile"].as_str(),
        Some("docker/Dockerfile")
    );
    assert_eq!(sidecar["build"]["context"].as_str(), Some(".."));
    let command = strings(&sidecar["command"]);
    assert_eq!(command[0], "demo");
    assert!(command.contains(&format!("--state={STATE_DIR}")));
    assert!(command.contains(&"-Dimap.server.host=0.0.0.0".to_string()));
    assert_eq!(
        strings(&sidecar["ports"]),
        vec!["1143:1143".to_string(), "1993:1993".to_string()]
    );
    assert_sidecar_basics(sidecar);
    assert!(
        file["volumes"]
            .as_mapping()
            .unwrap()
            .contains_key(STATE_VOLUME)
    );
}

#[test]
fn dockerfile_builds_with_the_ci_command_and_runs_unprivileged() {
    let text = read("Dockerfile");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("FROM ")).count(),
        2,
        "a build stage and a runtime stage"
    );
    assert!(
        lines.iter().any(|l| l
            .strip_prefix("RUN ")
            .is_some_and(|c| c.starts_with(BUILD_COMMAND))),
        "the build runs `{BUILD_COMMAND}`"
    );
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        !user.starts_with("root") && !user.starts_with('0'),
        "{user}"
    );
    assert!(lines.contains(&"EXPOSE 1143 1993 9143"));
    assert!(lines.iter().any(|l| l.starts_with("HEALTHCHECK ")));
    assert!(lines.contains(&format!("VOLUME [\"{STATE_DIR}\"]").as_str()));
    assert!(lines.contains(
        &"CMD [\"serve\", \"--config\", \"/etc/alfresco-imap/alfresco-global.properties\"]"
    ));
    // Every ENV variable names a configuration key.
    let mut in_env = false;
    for line in &lines {
        let rest = match line.strip_prefix("ENV ") {
            Some(rest) => rest,
            None if in_env => line,
            None => continue,
        };
        in_env = rest.ends_with('\\');
        let (name, _) = rest.split_once('=').expect("ENV NAME=value");
        assert_known_variable(name.trim());
    }
}

/// `docker compose config` where the Compose plugin exists; the override file is checked on
/// top of a minimal stand-in for community-compose.yaml.
#[test]
fn docker_compose_accepts_the_files() {
    let available = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!(
            "SKIPPED docker_compose_accepts_the_files: `docker compose` is not installed; \
             the YAML structure checks in this file still ran"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("community-compose.yaml");
    std::fs::write(
        &base,
        "services:\n  alfresco:\n    image: alfresco/alfresco-content-repository-community\n    \
         healthcheck:\n      test: [\"CMD\", \"true\"]\n",
    )
    .unwrap();
    std::fs::copy(
        docker_dir().join("imap-overrides.yaml"),
        dir.path().join("imap-overrides.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("alfresco-global.properties"), "").unwrap();
    let checks: [(&Path, Vec<PathBuf>); 2] = [
        (&docker_dir(), vec![docker_dir().join("compose.yaml")]),
        (
            dir.path(),
            vec![base.clone(), dir.path().join("imap-overrides.yaml")],
        ),
    ];
    for (cwd, files) in checks {
        let mut command = Command::new("docker");
        command.current_dir(cwd).arg("compose");
        for file in &files {
            command.arg("-f").arg(file);
        }
        let output = command.args(["config", "--quiet"]).output().unwrap();
        assert!(
            output.status.success(),
            "docker compose config {files:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
