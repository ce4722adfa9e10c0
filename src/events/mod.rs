//! Change events from the repository. Alfresco publishes its "event2" JSON documents to the
//! broker topic `alfresco.repo.event2`; the sidecar subscribes over STOMP ([`listener`]) and
//! treats each event as a hint that some folders may have changed ([`hints`], [`coalesce`]).
//! The emulator publishes the same documents for its own changes ([`publish`]).

pub mod alfresco;
pub mod client;
pub mod coalesce;
pub mod frame;
pub mod hints;
pub mod listener;
pub mod publish;

/// The topic Alfresco publishes repository events to.
pub const DEFAULT_TOPIC: &str = "alfresco.repo.event2";

/// The STOMP destination of a topic name.
pub fn topic_destination(topic: &str) -> String {
    format!("/topic/{topic}")
}
