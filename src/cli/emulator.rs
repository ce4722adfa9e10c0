//! `alfresco-imap emulator`: the built-in Alfresco emulator on its own, on 127.0.0.1.

use std::process::ExitCode;

use super::{EXIT_FAILURE, EmulatorArgs, Seed, runtime};
use url::Url;

use crate::emulator;

/// Runs the emulator until interrupted (Ctrl-C); status 1 when it cannot start.
pub fn run_emulator(args: &EmulatorArgs) -> ExitCode {
    let seed = match args.seed {
        Seed::Demo => emulator::Seed::Demo,
        Seed::Empty => emulator::Seed::Empty,
    };
    let events = match events_of(&args.defines) {
        Ok(events) => events,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let result = runtime()
        .map_err(emulator::EmulatorError::Io)
        .and_then(|runtime| runtime.block_on(emulator::run_cli(args.port, seed, events)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// The broker and topic the `-D` settings name, if any.
fn events_of(defines: &[String]) -> Result<Option<(Url, String)>, String> {
    let mut url = None;
    let mut topic = crate::events::DEFAULT_TOPIC.to_owned();
    for define in defines {
        let (key, value) = define
            .split_once('=')
            .ok_or_else(|| format!("-D {define}: expected KEY=VALUE"))?;
        match key.trim() {
            "imap.sidecar.events.url" if value.trim().is_empty() => url = None,
            "imap.sidecar.events.url" => {
                let parsed = Url::parse(value.trim())
                    .map_err(|error| format!("imap.sidecar.events.url: {error}"))?;
                url = Some(parsed);
            }
            "imap.sidecar.events.topic" => topic = value.trim().to_owned(),
            other => {
                return Err(format!(
                    "-D {other}: the emulator knows only imap.sidecar.events.url and \
                     imap.sidecar.events.topic"
                ));
            }
        }
    }
    Ok(url.map(|url| (url, topic)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_from_defines() {
        assert_eq!(events_of(&[]), Ok(None));
        let defines = ["imap.sidecar.events.url=stomp://127.0.0.1:61613".to_owned()];
        let (url, topic) = events_of(&defines).unwrap().unwrap();
        assert_eq!(url.as_str(), "stomp://127.0.0.1:61613");
        assert_eq!(topic, "alfresco.repo.event2");
        assert!(events_of(&["imap.other=1".to_owned()]).is_err());
        assert!(events_of(&["nothing".to_owned()]).is_err());
    }
}
