//! Lints docker/: both Compose files checked against a Compose schema of our own (top-level
//! keys, service keys, port mappings, named volumes declared and used, `depends_on` conditions
//! and the health checks they rely on, health check fields, environment values), then for the
//! structure operators rely on (ports, health-gated start, the named state volume, the
//! repository's own IMAP kept off, the sidecar's health check on `/health/ready`), every
//! environment variable naming a known configuration key, and the Dockerfile's build command,
//! user, ports and health check. These checks need nothing but Rust and always run, in CI too.
//! When the `docker compose` plugin is installed, `docker compose config` validates the files as
//! well; without it (CI has no container tooling) only that extra check is skipped, with a
//! message.

use std::collections::{BTreeMap, BTreeSet};
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
    assert_sidecar_health_check(service);
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

/// The top-level keys of a Compose file.
const TOP_LEVEL_KEYS: &[&str] = &[
    "name", "services", "volumes", "networks", "secrets", "configs",
];

/// The service keys our files may use (a subset of the Compose specification's).
const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "depends_on",
    "healthcheck",
    "mem_limit",
    "restart",
    "user",
    "networks",
    "labels",
];

/// The `depends_on` conditions Compose knows.
const CONDITIONS: &[&str] = &[
    "service_started",
    "service_healthy",
    "service_completed_successfully",
];

/// What the files the override is laid over provide: services defined there, and which of
/// them have a health check.
#[derive(Default)]
struct Base<'a> {
    services: &'a [&'a str],
    healthy: &'a [&'a str],
}

/// Whether `text` is a Compose duration (`30s`, `1m30s`, `500ms`).
fn is_duration(text: &str) -> bool {
    let mut rest = text;
    while !rest.is_empty() {
        let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(unit) = ["ms", "us", "h", "m", "s"]
            .iter()
            .find(|unit| after.len() < rest.len() && after.starts_with(**unit))
        else {
            return false;
        };
        rest = &after[unit.len()..];
    }
    !text.is_empty()
}

/// Whether `text` is a port number.
fn is_port(text: &str) -> bool {
    text.parse::<u16>().is_ok_and(|port| port > 0)
}

/// The problems of one Compose file against our schema; `base` names what the files it is laid
/// over provide (empty for a stand-alone file).
fn compose_problems(file: &Value, base: &Base) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(top) = file.as_mapping() else {
        return vec!["not a mapping".into()];
    };
    for key in top.keys() {
        let key = key.as_str().unwrap_or_default();
        if !TOP_LEVEL_KEYS.contains(&key) && !key.starts_with("x-") {
            problems.push(format!("unknown top-level key {key}"));
        }
    }
    let declared: BTreeSet<String> = file["volumes"]
        .as_mapping()
        .map(|volumes| {
            volumes
                .keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(services) = file["services"].as_mapping().filter(|s| !s.is_empty()) else {
        problems.push("no services".into());
        return problems;
    };
    let names: BTreeMap<String, &Value> = services
        .iter()
        .map(|(name, service)| (name.as_str().unwrap_or_default().to_string(), service))
        .collect();
    let mut used = BTreeSet::new();
    for (name, service) in &names {
        let Some(keys) = service.as_mapping() else {
            problems.push(format!("{name}: not a mapping"));
            continue;
        };
        for key in keys.keys() {
            let key = key.as_str().unwrap_or_default();
            if !SERVICE_KEYS.contains(&key) {
                problems.push(format!("{name}: unknown key {key}"));
            }
        }
        let overridden = base.services.contains(&name.as_str());
        if !overridden && service["image"].is_null() && service["build"].is_null() {
            problems.push(format!("{name}: neither image nor build"));
        }
        if let Some(ports) = service["ports"].as_sequence() {
            for port in ports {
                let text = port.as_str().unwrap_or_default();
                let text = text.strip_suffix("/tcp").unwrap_or(text);
                let parts: Vec<&str> = text.split(':').collect();
                let numbers = &parts[parts.len().saturating_sub(2)..];
                if !(2..=3).contains(&parts.len()) || !numbers.iter().all(|p| is_port(p)) {
                    problems.push(format!(
                        "{name}: port {port:?} is not a quoted \"HOST:CONTAINER\""
                    ));
                }
            }
        }
        if let Some(volumes) = service["volumes"].as_sequence() {
            for volume in volumes {
                let text = volume.as_str().unwrap_or_default();
                let parts: Vec<&str> = text.split(':').collect();
                let mode_ok = parts.get(2).is_none_or(|mode| ["ro", "rw"].contains(mode));
                if !(2..=3).contains(&parts.len()) || !parts[1].starts_with('/') || !mode_ok {
                    problems.push(format!(
                        "{name}: volume {text:?} is not SOURCE:/TARGET[:ro]"
                    ));
                    continue;
                }
                let source = parts[0];
                if ["/", "./", "../", "~"]
                    .iter()
                    .any(|p| source.starts_with(p))
                {
                    continue;
                }
                used.insert(source.to_string());
                if !declared.contains(source) {
                    problems.push(format!(
                        "{name}: volume {source} is not declared under the top-level volumes"
                    ));
                }
            }
        }
        if let Some(environment) = service["environment"].as_mapping() {
            for (key, value) in environment {
                if !(value.is_string() || value.is_number() || value.is_null()) {
                    problems.push(format!(
                        "{name}: environment {} must be a string",
                        key.as_str().unwrap_or_default()
                    ));
                }
            }
        }
        if !service["depends_on"].is_null() {
            let Some(dependencies) = service["depends_on"].as_mapping() else {
                problems.push(format!(
                    "{name}: depends_on must map services to conditions"
                ));
                continue;
            };
            for (dependency, settings) in dependencies {
                let dependency = dependency.as_str().unwrap_or_default();
                let condition = settings["condition"].as_str().unwrap_or_default();
                if !CONDITIONS.contains(&condition) {
                    problems.push(format!(
                        "{name}: depends_on {dependency}: unknown condition {condition:?}"
                    ));
                }
                let here = names.get(dependency);
                if here.is_none() && !base.services.contains(&dependency) {
                    problems.push(format!("{name}: depends_on unknown service {dependency}"));
                }
                let has_check = here.is_some_and(|s| !s["healthcheck"].is_null())
                    || base.healthy.contains(&dependency);
                if condition == "service_healthy" && !has_check {
                    problems.push(format!(
                        "{name}: waits for {dependency} to be healthy, which has no health check"
                    ));
                }
            }
        }
        let check = &service["healthcheck"];
        if !check.is_null() {
            let test_ok = match &check["test"] {
                Value::Sequence(words) => {
                    words
                        .first()
                        .and_then(Value::as_str)
                        .is_some_and(|w| w == "CMD" || w == "CMD-SHELL")
                        && words.len() >= 2
                        && words.iter().all(Value::is_string)
                }
                Value::String(text) => !text.is_empty(),
                _ => false,
            };
            if !test_ok {
                problems.push(format!("{name}: healthcheck test must be [CMD, ...]"));
            }
            for key in ["interval", "timeout", "start_period"] {
                let value = &check[key];
                if !value.is_null() && !value.as_str().is_some_and(is_duration) {
                    problems.push(format!(
                        "{name}: healthcheck {key} is not a duration like 30s"
                    ));
                }
            }
            if !check["retries"].is_null() && check["retries"].as_u64().is_none() {
                problems.push(format!("{name}: healthcheck retries must be a number"));
            }
        }
    }
    for volume in declared.difference(&used) {
        problems.push(format!(
            "volume {volume} is declared but no service uses it"
        ));
    }
    problems
}

/// What community-compose.yaml provides to the override: the repository with its health check.
const COMMUNITY: Base = Base {
    services: &["alfresco"],
    healthy: &["alfresco"],
};

#[test]
fn both_compose_files_pass_the_schema_check() {
    assert_eq!(
        compose_problems(&yaml("compose.yaml"), &Base::default()),
        Vec::<String>::new()
    );
    assert_eq!(
        compose_problems(&yaml("imap-overrides.yaml"), &COMMUNITY),
        Vec::<String>::new()
    );
}

#[test]
fn the_schema_check_finds_problems() {
    let broken: Value = serde_norway::from_str(
        "services:
  a:
    image: x
    privileged: true
    ports:
      - 1143
    volumes:
      - state:/data
      - other:/x
    depends_on:
      b:
        condition: service_healthy
      c:
        condition: healthy
    environment:
      ON: true
    healthcheck:
      test: [\"true\"]
      interval: 30
  b:
    build: .
volumes:
  state:
  unused:
extra: 1
",
    )
    .unwrap();
    assert_eq!(
        compose_problems(&broken, &Base::default()),
        vec![
            "unknown top-level key extra",
            "a: unknown key privileged",
            "a: port Number(1143) is not a quoted \"HOST:CONTAINER\"",
            "a: volume other is not declared under the top-level volumes",
            "a: environment ON must be a string",
            "a: waits for b to be healthy, which has no health check",
            "a: depends_on c: unknown condition \"healthy\"",
            "a: depends_on unknown service c",
            "a: healthcheck test must be [CMD, ...]",
            "a: healthcheck interval is not a duration like 30s",
            "volume unused is declared but no service uses it",
        ]
    );
    assert!(is_duration("30s") && is_duration("1m30s") && is_duration("500ms"));
    assert!(!is_duration("30") && !is_duration("s") && !is_duration(""));
}

/// The sidecar's own health check asks `/health/ready` on the address it configures.
fn assert_sidecar_health_check(service: &Value) {
    let test = strings(&service["healthcheck"]["test"]);
    assert_eq!(test[0], "CMD", "{test:?}");
    let script = test.join(" ");
    assert!(
        script.contains("/dev/tcp/127.0.0.1/9143") && script.contains("GET /health/ready "),
        "{script}"
    );
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
