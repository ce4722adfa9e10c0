//! Change events from the repository: Alfresco publishes its "event2" JSON documents to the
//! broker topic `alfresco.repo.event2`; the sidecar subscribes over STOMP and treats each event
//! as a hint that some mailboxes may have changed.

pub mod alfresco;
pub mod client;
pub mod frame;
