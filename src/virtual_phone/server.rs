//! PLACEHOLDER: the connection server is being written.
use super::{Config, Fault, Phone};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

pub struct Server {
    addr: SocketAddr,
}

impl Server {
    pub fn start(config: &Config, _phone: Arc<Phone>) -> std::io::Result<Self> {
        let l = TcpListener::bind(("127.0.0.1", config.port))?;
        Ok(Self { addr: l.local_addr()? })
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn inject(&self, _fault: Fault) {}
    pub fn stop(&mut self) {}
}
