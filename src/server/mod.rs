//! The network layer: listeners, TLS, limits, timeouts and graceful shutdown.
