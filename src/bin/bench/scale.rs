//! What many sessions need from the machine before they are opened: enough open files for
//! the driver and the sidecar (children inherit the driver's limit) and enough ephemeral
//! ports on loopback.

use crate::error::{BenchError, Result};

/// Open files a process needs besides its sessions (runtime, pipes, state store, REST pool).
const SPARE_FILES: u64 = 1024;

/// The users of the many-sessions mix that spreads sessions over users: the issue's
/// "100 users × 10 sessions" at 1 000 sessions, 100 users × 100 at 10 000.
pub const SPREAD_USERS: usize = 100;

/// Makes sure this process (and the helpers it starts later) may hold `sessions` sockets and
/// the spare files: raises the soft limit, and the hard one when the process may (root);
/// fails with what to change when it cannot.
pub fn ensure_room_for(sessions: usize) -> Result<u64> {
    let want = sessions as u64 + SPARE_FILES;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by reference.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(BenchError::Worker("cannot read the open-file limit".into()));
        }
        if limit.rlim_cur < want {
            let raised = libc::rlimit {
                rlim_cur: want.max(limit.rlim_cur),
                rlim_max: want.max(limit.rlim_max),
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    if limit.rlim_cur < want {
        return Err(BenchError::Worker(format!(
            "{sessions} sessions need an open-file limit of {want}, have {} (ulimit -n)",
            limit.rlim_cur
        )));
    }
    let ports = ephemeral_ports();
    if ports.is_some_and(|n| (n as usize) < sessions + 64) {
        return Err(BenchError::Worker(format!(
            "{sessions} sessions need as many ephemeral ports, have {} \
             (sysctl net.ipv4.ip_local_port_range)",
            ports.unwrap_or_default()
        )));
    }
    Ok(limit.rlim_cur)
}

/// How many ephemeral ports the kernel hands out (`ip_local_port_range`), when known.
fn ephemeral_ports() -> Option<u64> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut bounds = range.split_whitespace().map(|n| n.parse::<u64>());
    let (low, high) = (bounds.next()?.ok()?, bounds.next()?.ok()?);
    Some(high.saturating_sub(low) + 1)
}
