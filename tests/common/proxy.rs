//! A TCP proxy on 127.0.0.1 that sits between the product and the emulator and breaks
//! connections on demand: reset them when a request arrives, or cut responses short.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does with the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Passes everything through.
    Pass,
    /// Resets the connection (TCP RST) as soon as request bytes arrive.
    Reset,
    /// Passes half of the next piece of a response, then closes the connection.
    Truncate,
}

/// A running proxy; dropping it stops accepting.
pub struct FaultProxy {
    address: SocketAddr,
    mode: Arc<AtomicU8>,
    /// Connections broken so far (reset or truncated).
    broken: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

fn encode(mode: ProxyMode) -> u8 {
    match mode {
        ProxyMode::Pass => 0,
        ProxyMode::Reset => 1,
        ProxyMode::Truncate => 2,
    }
}

fn decode(value: u8) -> ProxyMode {
    match value {
        1 => ProxyMode::Reset,
        2 => ProxyMode::Truncate,
        _ => ProxyMode::Pass,
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        let mode = Arc::new(AtomicU8::new(0));
        let broken = Arc::new(AtomicUsize::new(0));
        let task = {
            let mode = mode.clone();
            let broken = broken.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let mode = mode.clone();
                    let broken = broken.clone();
                    tokio::spawn(async move {
                        if let Ok(server) = TcpStream::connect(upstream).await {
                            relay(client, server, mode, broken).await;
                        }
                    });
                }
            })
        };
        Self {
            address,
            mode,
            broken,
            task,
        }
    }

    /// Where the product connects.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Switches the behaviour for traffic from now on.
    pub fn set(&self, mode: ProxyMode) {
        self.mode.store(encode(mode), Ordering::SeqCst);
    }

    /// Connections broken so far.
    pub fn broken(&self) -> usize {
        self.broken.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    mut client: TcpStream,
    mut server: TcpStream,
    mode: Arc<AtomicU8>,
    broken: Arc<AtomicUsize>,
) {
    let _ = client.set_nodelay(true);
    let mut from_client = vec![0u8; 64 * 1024];
    let mut from_server = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            read = client.read(&mut from_client) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if decode(mode.load(Ordering::SeqCst)) == ProxyMode::Reset {
                    broken.fetch_add(1, Ordering::SeqCst);
                    // Closing with a zero linger sends RST instead of FIN.
                    let _ = client.set_zero_linger();
                    return;
                }
                if server.write_all(&from_client[..n]).await.is_err() {
                    return;
                }
            }
            read = server.read(&mut from_server) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if decode(mode.load(Ordering::SeqCst)) == ProxyMode::Truncate {
                    broken.fetch_add(1, Ordering::SeqCst);
                    let _ = client.write_all(&from_server[..n / 2]).await;
                    let _ = client.shutdown().await;
                    return;
                }
                if client.write_all(&from_server[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
