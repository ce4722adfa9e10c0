//! The embedded Alfresco emulator: an in-process HTTP server implementing the subset of the
//! v1 REST API the sidecar uses, seeded with demo data.
