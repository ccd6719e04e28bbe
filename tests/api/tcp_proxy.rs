//! A TCP proxy between the server and its database, for the faults a network can make:
//! forward, refuse (nothing listens), or hang (connections are accepted and nothing goes
//! through either way, the way a stuck proxy or a firewall that drops packets behaves).

use std::{net::SocketAddr, sync::Arc};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Refuse,
    Hang,
}

pub struct Proxy {
    pub port: u16,
    upstream: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
    listener: Option<JoinHandle<()>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(watch::Sender::new(Mode::Forward));
        let mut proxy = Self {
            port,
            upstream,
            mode,
            listener: None,
        };
        proxy.listener = Some(proxy.serve(listener));
        proxy
    }

    /// Switches mode. Connections open at the switch stop carrying bytes at once; leaving
    /// `Hang` closes them (the database's side is gone by then, as after a partition).
    pub async fn set(&mut self, mode: Mode) {
        self.mode.send_replace(mode);
        match mode {
            Mode::Refuse => {
                if let Some(listener) = self.listener.take() {
                    listener.abort();
                    let _ = listener.await;
                }
            }
            Mode::Forward | Mode::Hang if self.listener.is_none() => {
                let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
                self.listener = Some(self.serve(listener));
            }
            _ => {}
        }
    }

    fn serve(&self, listener: TcpListener) -> JoinHandle<()> {
        let (upstream, mode) = (self.upstream, Arc::clone(&self.mode));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(carry(client, upstream, mode.subscribe()));
            }
        })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            listener.abort();
        }
        // Every connection's task ends and closes its sockets.
        self.mode.send_replace(Mode::Refuse);
    }
}

/// One connection: forwarded while the mode is `Forward`; held, carrying nothing, while it
/// is `Hang`; closed otherwise.
async fn carry(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let current = *mode.borrow_and_update();
    if current == Mode::Forward {
        let Ok(mut server) = TcpStream::connect(upstream).await else {
            return;
        };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
            _ = mode.wait_for(|m| *m != Mode::Forward) => {}
        }
        hold_while_hanging(&mut mode).await;
        drop(server);
    } else {
        hold_while_hanging(&mut mode).await;
    }
    drop(client);
}

async fn hold_while_hanging(mode: &mut watch::Receiver<Mode>) {
    let _ = mode.wait_for(|m| *m != Mode::Hang).await;
}
