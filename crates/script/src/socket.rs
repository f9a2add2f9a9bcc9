//! `nmap.new_socket()`: TCP, UDP and TLS sockets with Nmap's calling
//! conventions (`true, data` or `nil, "TIMEOUT"|"EOF"|"ERROR"|message`).
//!
//! Reads follow nsock: `receive` returns whatever arrives first;
//! `receive_bytes(n)` / `receive_lines(n)` wait for at least `n` bytes /
//! newlines and return everything read; on a timeout or end of stream
//! with some data read, that data is returned. The timeout (default 30 s)
//! bounds each operation.

use crate::runtime::{Inst, Shared, current_inst};
use mlua::{IntoLua, Lua, MultiValue, UserData, UserDataMethods, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::time::Instant;

const DEFAULT_TIMEOUT: Duration = Duration::from_millis(30_000);
const READ_CHUNK: usize = 8192;

enum Conn {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Udp(UdpSocket),
}

struct State {
    conn: Option<Conn>,
    udp: bool,
    v6: bool,
    timeout: Option<Duration>,
    buf: Vec<u8>,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    bind: Option<SocketAddr>,
    owner: Option<Arc<Inst>>,
    server_name: Option<String>,
    /// `--script-trace`: where this connection's I/O is logged.
    tracer: Option<Arc<Tracer>>,
}

/// `--script-trace` lines of one connection, in Nmap's form
/// (`NSE: TCP 198.18.0.1:40000 > 198.18.0.10:80 | GET / HTTP/1.0`).
pub(crate) struct Tracer {
    shared: Arc<Shared>,
    what: String,
}

impl Tracer {
    fn line(&self, dir: char, data: &[u8]) {
        let mut text = String::new();
        for &b in data.iter().take(4096) {
            match b {
                b'\n' => text.push_str("\\n"),
                b'\r' => text.push_str("\\r"),
                0x20..=0x7e => text.push(char::from(b)),
                _ => text.push_str(&format!("\\x{b:02X}")),
            }
        }
        if data.len() > 4096 {
            text.push_str("...");
        }
        let what = self.what.replacen('~', &dir.to_string(), 1);
        self.shared.trace(format!("NSE: {what} | {text}"));
    }
}

impl State {
    fn release(&mut self) {
        if self.conn.take().is_some()
            && let Some(o) = self.owner.take()
        {
            o.socket_closed();
        }
        self.buf.clear();
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.release();
    }
}

/// The Lua socket object.
pub(crate) struct NseSocket {
    st: Arc<tokio::sync::Mutex<State>>,
    shared: Arc<Shared>,
}

impl NseSocket {
    pub(crate) fn new(shared: Arc<Shared>, udp: bool, v6: bool) -> Self {
        Self {
            st: Arc::new(tokio::sync::Mutex::new(State {
                conn: None,
                udp,
                v6,
                timeout: Some(DEFAULT_TIMEOUT),
                buf: Vec::new(),
                local: None,
                remote: None,
                bind: None,
                owner: None,
                server_name: None,
                tracer: None,
            })),
            shared,
        }
    }
}

fn ok(lua: &Lua, data: impl IntoLua) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![
        Value::Boolean(true),
        data.into_lua(lua)?,
    ]))
}

fn ok1() -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![Value::Boolean(true)]))
}

fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![
        Value::Nil,
        Value::String(lua.create_string(msg)?),
    ]))
}

/// A target given as a host table (`ip`, `targetname`) or a string.
fn target_of(v: &Value) -> mlua::Result<(String, Option<String>)> {
    match v {
        Value::Table(t) => {
            let ip: Option<String> = t.get("ip")?;
            let name: Option<String> = t.get("targetname")?;
            match ip {
                Some(ip) => Ok((ip, name)),
                None => Err(mlua::Error::runtime("host table has no 'ip' field")),
            }
        }
        Value::String(s) => Ok((s.to_str()?.to_string(), None)),
        _ => Err(mlua::Error::runtime("bad host: table or string expected")),
    }
}

/// A port given as a port table (`number`, `protocol`) or a number.
fn port_of(v: &Value) -> mlua::Result<(u16, Option<String>)> {
    let (n, proto) = match v {
        Value::Table(t) => (
            t.get::<i64>("number")?,
            t.get::<Option<String>>("protocol")?,
        ),
        Value::Integer(n) => (*n, None),
        Value::Number(n) => (*n as i64, None),
        Value::String(s) => (
            s.to_str()?
                .trim()
                .parse::<i64>()
                .map_err(|_| mlua::Error::runtime("bad port number"))?,
            None,
        ),
        _ => return Err(mlua::Error::runtime("bad port: table or number expected")),
    };
    let n = u16::try_from(n).map_err(|_| mlua::Error::runtime("port number out of range"))?;
    Ok((n, proto))
}

async fn resolve(name: &str, v6: bool) -> Result<IpAddr, String> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(ip);
    }
    let addrs = tokio::net::lookup_host((name, 0))
        .await
        .map_err(|e| e.to_string())?;
    let all: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
    all.iter()
        .find(|a| a.is_ipv6() == v6)
        .or(all.first())
        .copied()
        .ok_or_else(|| "no addresses".to_string())
}

async fn with_timeout<T>(
    t: Option<Duration>,
    f: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T, &'static str> {
    match t {
        Some(t) => match tokio::time::timeout(t, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err("ERROR"),
            Err(_) => Err("TIMEOUT"),
        },
        None => f.await.map_err(|_| "ERROR"),
    }
}

/// One read: data, or "EOF" / "TIMEOUT" / "ERROR".
async fn read_once(conn: &mut Conn, deadline: Option<Instant>) -> Result<Vec<u8>, &'static str> {
    let mut buf = vec![
        0u8;
        if matches!(conn, Conn::Udp(_)) {
            65_536
        } else {
            READ_CHUNK
        }
    ];
    let fut = async {
        match conn {
            Conn::Tcp(s) => s.read(&mut buf).await,
            Conn::Tls(s) => s.read(&mut buf).await,
            Conn::Udp(s) => s.recv(&mut buf).await,
        }
    };
    let n = match deadline {
        Some(d) => match tokio::time::timeout_at(d, fut).await {
            Ok(r) => r,
            Err(_) => return Err("TIMEOUT"),
        },
        None => fut.await,
    };
    match n {
        Ok(0) if !matches!(conn, Conn::Udp(_)) => Err("EOF"),
        Ok(n) => {
            buf.truncate(n);
            Ok(buf)
        }
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err("EOF"),
        Err(_) => Err("ERROR"),
    }
}

/// Reads until `enough(data)` holds; a timeout or EOF after some data
/// returns that data.
async fn read_until(
    st: &mut State,
    enough: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, &'static str> {
    let deadline = st.timeout.map(|t| Instant::now() + t);
    let tracer = st.tracer.clone();
    let conn = st.conn.as_mut().ok_or("socket must be connected")?;
    let mut acc = Vec::new();
    loop {
        match read_once(conn, deadline).await {
            Ok(d) => {
                if let Some(t) = &tracer {
                    t.line('<', &d);
                }
                acc.extend_from_slice(&d);
                if enough(&acc) {
                    return Ok(acc);
                }
            }
            Err(e @ ("EOF" | "TIMEOUT")) if acc.is_empty() => return Err(e),
            Err("EOF" | "TIMEOUT") => return Ok(acc),
            Err(e) => return Err(e),
        }
    }
}

impl UserData for NseSocket {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_async_method(
            "connect",
            |lua, this, (host, port, proto): (Value, Value, Option<String>)| {
                let st = this.st.clone();
                let shared = this.shared.clone();
                let inst = current_inst();
                async move {
                    let (addr, targetname) = target_of(&host)?;
                    let (pnum, pproto) = port_of(&port)?;
                    let mut s = st.lock().await;
                    let proto = proto
                        .or(pproto)
                        .unwrap_or_else(|| if s.udp { "udp".into() } else { "tcp".into() });
                    if !matches!(proto.as_str(), "tcp" | "udp" | "ssl") {
                        return Err(mlua::Error::runtime(format!(
                            "bad argument #3 to 'connect' (invalid option '{proto}')"
                        )));
                    }
                    let ip = match resolve(&addr, s.v6).await {
                        Ok(ip) => ip,
                        Err(e) => return fail(&lua, &e),
                    };
                    if let Some(inst) = &inst {
                        inst.socket_lock(&shared.socket_sem).await;
                    }
                    s.release();
                    let remote = SocketAddr::new(ip, pnum);
                    let timeout = s.timeout;
                    let bind = s
                        .bind
                        .or_else(|| shared.source.map(|a| SocketAddr::new(a, 0)));
                    let bind = bind.filter(|b| b.is_ipv6() == ip.is_ipv6());
                    let conn = if proto == "udp" {
                        s.udp = true;
                        let local = bind.unwrap_or_else(|| any_addr(ip));
                        let sock = match UdpSocket::bind(local).await {
                            Ok(u) => u,
                            Err(e) => return fail(&lua, &e.to_string()),
                        };
                        if sock.connect(remote).await.is_err() {
                            return fail(&lua, "ERROR");
                        }
                        Conn::Udp(sock)
                    } else {
                        s.udp = false;
                        let sock = if ip.is_ipv6() {
                            TcpSocket::new_v6()
                        } else {
                            TcpSocket::new_v4()
                        };
                        let sock = match sock {
                            Ok(x) => x,
                            Err(e) => return fail(&lua, &e.to_string()),
                        };
                        if let Some(b) = bind
                            && let Err(e) = sock.bind(b)
                        {
                            return fail(&lua, &e.to_string());
                        }
                        let tcp = match with_timeout(timeout, sock.connect(remote)).await {
                            Ok(t) => t,
                            Err(e) => {
                                if let Some(i) = &inst {
                                    i.socket_unlock_if_idle();
                                }
                                return fail(&lua, e);
                            }
                        };
                        if proto == "ssl" {
                            let name = tls_name(targetname.as_deref(), ip);
                            match with_timeout(timeout, shared.tls.connect(name, tcp)).await {
                                Ok(t) => Conn::Tls(Box::new(t)),
                                Err(e) => {
                                    if let Some(i) = &inst {
                                        i.socket_unlock_if_idle();
                                    }
                                    return fail(&lua, e);
                                }
                            }
                        } else {
                            Conn::Tcp(tcp)
                        }
                    };
                    s.local = match &conn {
                        Conn::Tcp(t) => t.local_addr().ok(),
                        Conn::Tls(t) => t.get_ref().0.local_addr().ok(),
                        Conn::Udp(u) => u.local_addr().ok(),
                    };
                    s.remote = Some(remote);
                    s.server_name = targetname;
                    s.tracer = shared.tracing().then(|| {
                        let proto = match &conn {
                            Conn::Tcp(_) => "TCP",
                            Conn::Tls(_) => "SSL",
                            Conn::Udp(_) => "UDP",
                        };
                        let local = s.local.map_or_else(|| "?".into(), |a| a.to_string());
                        Arc::new(Tracer {
                            shared: shared.clone(),
                            what: format!("{proto} {local} ~ {remote}"),
                        })
                    });
                    if let Some(t) = &s.tracer {
                        t.line('>', b"CONNECT");
                    }
                    s.conn = Some(conn);
                    if let Some(i) = inst {
                        i.socket_opened();
                        s.owner = Some(i);
                    }
                    ok1()
                }
            },
        );

        methods.add_async_method("reconnect_ssl", |lua, this, ()| {
            let st = this.st.clone();
            let shared = this.shared.clone();
            async move {
                let mut s = st.lock().await;
                let timeout = s.timeout;
                let Some(Conn::Tcp(_)) = s.conn else {
                    return fail(&lua, "socket must be connected");
                };
                let Some(Conn::Tcp(tcp)) = s.conn.take() else {
                    return fail(&lua, "ERROR");
                };
                let ip = s
                    .remote
                    .map(|r| r.ip())
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                let name = tls_name(s.server_name.as_deref(), ip);
                match with_timeout(timeout, shared.tls.connect(name, tcp)).await {
                    Ok(t) => {
                        s.conn = Some(Conn::Tls(Box::new(t)));
                        ok1()
                    }
                    Err(e) => {
                        if let Some(o) = s.owner.take() {
                            o.socket_closed();
                        }
                        fail(&lua, e)
                    }
                }
            }
        });

        methods.add_async_method("send", |lua, this, data: mlua::LuaString| {
            let st = this.st.clone();
            let data = data.as_bytes().to_vec();
            async move {
                let mut s = st.lock().await;
                let timeout = s.timeout;
                let Some(conn) = s.conn.as_mut() else {
                    return fail(&lua, "socket must be connected");
                };
                let r = match conn {
                    Conn::Tcp(t) => with_timeout(timeout, t.write_all(&data)).await,
                    Conn::Tls(t) => {
                        with_timeout(timeout, async {
                            t.write_all(&data).await?;
                            t.flush().await
                        })
                        .await
                    }
                    Conn::Udp(u) => with_timeout(timeout, u.send(&data)).await.map(|_| ()),
                };
                match r {
                    Ok(()) => {
                        if let Some(t) = &s.tracer {
                            t.line('>', &data);
                        }
                        ok1()
                    }
                    Err(e) => fail(&lua, e),
                }
            }
        });

        methods.add_async_method(
            "sendto",
            |lua, this, (host, port, data): (Value, Value, mlua::LuaString)| {
                let st = this.st.clone();
                let data = data.as_bytes().to_vec();
                async move {
                    let (addr, _) = target_of(&host)?;
                    let (pnum, _) = port_of(&port)?;
                    let mut s = st.lock().await;
                    let ip = match resolve(&addr, s.v6).await {
                        Ok(ip) => ip,
                        Err(e) => return fail(&lua, &e),
                    };
                    if s.conn.is_none() {
                        let local = s.bind.unwrap_or_else(|| any_addr(ip));
                        match UdpSocket::bind(local).await {
                            Ok(u) => {
                                s.local = u.local_addr().ok();
                                s.conn = Some(Conn::Udp(u));
                            }
                            Err(e) => return fail(&lua, &e.to_string()),
                        }
                    }
                    let timeout = s.timeout;
                    let Some(Conn::Udp(u)) = s.conn.as_mut() else {
                        return fail(&lua, "sendto needs a UDP socket");
                    };
                    match with_timeout(timeout, u.send_to(&data, SocketAddr::new(ip, pnum))).await {
                        Ok(_) => ok1(),
                        Err(e) => fail(&lua, e),
                    }
                }
            },
        );

        methods.add_async_method("receive", |lua, this, ()| {
            let st = this.st.clone();
            async move {
                let mut s = st.lock().await;
                match read_until(&mut s, |_| true).await {
                    Ok(d) => ok(&lua, lua.create_string(&d)?),
                    Err(e) => fail(&lua, e),
                }
            }
        });

        methods.add_async_method("receive_bytes", |lua, this, n: i64| {
            let st = this.st.clone();
            async move {
                let n = usize::try_from(n.max(0)).unwrap_or(0);
                let mut s = st.lock().await;
                match read_until(&mut s, |d| d.len() >= n).await {
                    Ok(d) => ok(&lua, lua.create_string(&d)?),
                    Err(e) => fail(&lua, e),
                }
            }
        });

        methods.add_async_method("receive_lines", |lua, this, n: i64| {
            let st = this.st.clone();
            async move {
                let n = usize::try_from(n.max(0)).unwrap_or(0);
                let mut s = st.lock().await;
                match read_until(&mut s, |d| d.iter().filter(|&&b| b == b'\n').count() >= n).await {
                    Ok(d) => ok(&lua, lua.create_string(&d)?),
                    Err(e) => fail(&lua, e),
                }
            }
        });

        methods.add_async_method("receive_buf", |lua, this, (delim, keep): (Value, bool)| {
            let st = this.st.clone();
            async move {
                let find: mlua::Function = match &delim {
                    Value::Function(f) => f.clone(),
                    Value::String(_) => lua.named_registry_value("nmaps.string_find")?,
                    _ => {
                        return Err(mlua::Error::runtime(
                            "bad argument #1 to 'receive_buf' (function/string expected)",
                        ));
                    }
                };
                let mut s = st.lock().await;
                let deadline = s.timeout.map(|t| Instant::now() + t);
                loop {
                    let hay = lua.create_string(&s.buf)?;
                    let (l, r): (Option<i64>, Option<i64>) = match &delim {
                        Value::Function(_) => find.call(hay)?,
                        _ => find.call((hay, delim.clone()))?,
                    };
                    if let (Some(l), Some(r)) = (l, r) {
                        if l > r + 1 || r < 0 || r as usize > s.buf.len() || l < 1 {
                            return Err(mlua::Error::runtime("invalid indices for match"));
                        }
                        let (l, r) = (l as usize, r as usize);
                        let out = if keep {
                            s.buf[..r].to_vec()
                        } else {
                            s.buf[..l - 1].to_vec()
                        };
                        s.buf.drain(..r);
                        return ok(&lua, lua.create_string(&out)?);
                    }
                    let tracer = s.tracer.clone();
                    let Some(conn) = s.conn.as_mut() else {
                        return fail(&lua, "socket must be connected");
                    };
                    match read_once(conn, deadline).await {
                        Ok(d) => {
                            if let Some(t) = &tracer {
                                t.line('<', &d);
                            }
                            s.buf.extend_from_slice(&d)
                        }
                        Err(e) => return fail(&lua, e),
                    }
                }
            }
        });

        methods.add_async_method("close", |lua, this, ()| {
            let st = this.st.clone();
            async move {
                let mut s = st.lock().await;
                if s.conn.is_none() {
                    return fail(&lua, "socket already closed");
                }
                if let Some(Conn::Tls(t)) = s.conn.as_mut() {
                    let _ = tokio::time::timeout(Duration::from_millis(200), t.shutdown()).await;
                }
                if let Some(t) = s.tracer.take() {
                    t.line('>', b"CLOSE");
                }
                s.release();
                ok1()
            }
        });

        methods.add_async_method("set_timeout", |_lua, this, ms: f64| {
            let st = this.st.clone();
            async move {
                if ms < -1.0 {
                    return Err(mlua::Error::runtime(format!("Negative timeout: {ms}")));
                }
                let mut s = st.lock().await;
                s.timeout = (ms > 0.0).then(|| Duration::from_millis(ms as u64));
                ok1()
            }
        });

        methods.add_async_method("get_info", |lua, this, ()| {
            let st = this.st.clone();
            async move {
                let s = st.lock().await;
                if s.conn.is_none() {
                    return fail(&lua, "socket must be connected");
                }
                let l = s
                    .local
                    .unwrap_or_else(|| SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0));
                let r = s
                    .remote
                    .unwrap_or_else(|| SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0));
                Ok(MultiValue::from_vec(vec![
                    Value::Boolean(true),
                    l.ip().to_string().into_lua(&lua)?,
                    Value::Integer(l.port().into()),
                    r.ip().to_string().into_lua(&lua)?,
                    Value::Integer(r.port().into()),
                ]))
            }
        });

        methods.add_async_method(
            "bind",
            |lua, this, (addr, port): (Option<String>, Option<i64>)| {
                let st = this.st.clone();
                async move {
                    let mut s = st.lock().await;
                    let ip = match addr {
                        Some(a) => match a.parse::<IpAddr>() {
                            Ok(ip) => ip,
                            Err(_) => {
                                return fail(&lua, "getaddrinfo: Name or service not known");
                            }
                        },
                        None if s.v6 => Ipv6Addr::UNSPECIFIED.into(),
                        None => Ipv4Addr::UNSPECIFIED.into(),
                    };
                    let port = u16::try_from(port.unwrap_or(0)).unwrap_or(0);
                    s.bind = Some(SocketAddr::new(ip, port));
                    ok1()
                }
            },
        );
    }
}

fn any_addr(peer: IpAddr) -> SocketAddr {
    match peer {
        IpAddr::V4(_) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        IpAddr::V6(_) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
    }
}

fn tls_name(targetname: Option<&str>, ip: IpAddr) -> rustls::pki_types::ServerName<'static> {
    targetname
        .and_then(|n| rustls::pki_types::ServerName::try_from(n.to_string()).ok())
        .unwrap_or_else(|| rustls::pki_types::ServerName::IpAddress(ip.into()))
}

/// TLS for scripts: any certificate is accepted (scripts inspect
/// certificates, they don't trust them), as version detection does.
pub(crate) fn tls_connector() -> tokio_rustls::TlsConnector {
    nmaps_service::scan::tls_connector()
}
