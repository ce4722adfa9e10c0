//! The sidecar's own state store: UIDs, MODSEQs, flags, summaries and subscriptions.
