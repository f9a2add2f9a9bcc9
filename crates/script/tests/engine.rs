//! The engine end to end, with scripts written by the tests into a
//! temporary data directory. Nothing here touches the network except
//! `network_in_private_namespace`, which runs inside a namespace of its own.

use nmaps_model::{
    Host, HostState, HostStatus, Hostname, HostnameKind, Port, PortState, Protocol, Reason,
    ScriptElem, ScriptResult, Service,
};
use nmaps_script::{DiagKind, Options, ScriptEngine, ScriptScan};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A temporary data directory, removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A data directory with `scripts/NAME.nse` for each (name, source).
fn datadir(scripts: &[(&str, &str)]) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "nmaps-script-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::create_dir_all(dir.join("nselib")).unwrap();
    for (name, src) in scripts {
        std::fs::write(dir.join("scripts").join(format!("{name}.nse")), src).unwrap();
    }
    TempDir(dir)
}

fn opts(dir: &Path, rules: &str) -> Options {
    Options {
        scripts: nmaps_script::split_rules(rules),
        datadir: Some(dir.to_path_buf()),
        ..Options::default()
    }
}

fn port(number: u16, state: PortState, service: Option<&str>) -> Port {
    Port {
        protocol: Protocol::Tcp,
        number,
        state,
        reason: Reason::SynAck,
        reason_ttl: 64,
        reason_ip: None,
        service: service.map(Service::from_table),
        scripts: Vec::new(),
    }
}

fn host(addr: &str, ports: Vec<Port>) -> Host {
    let mut h = Host::new(addr.parse::<IpAddr>().unwrap());
    h.status = HostStatus {
        state: HostState::Up,
        reason: Reason::SynAck,
        reason_ttl: 64,
    };
    h.hostnames.push(Hostname {
        name: "target.test".into(),
        kind: HostnameKind::User,
    });
    h.ports = ports;
    h
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn elem(key: Option<&str>, value: &str) -> ScriptElem {
    ScriptElem::Elem {
        key: key.map(str::to_string),
        value: value.into(),
    }
}

const TABLE_SCRIPT: &str = r#"
local stdnse = require "stdnse"
local shortport = require "shortport"
description = "returns nested tables"
categories = {"safe", "discovery"}
portrule = shortport.portnumber(80)
action = function(host, port)
  local out = stdnse.output_table()
  out.title = "Hello"
  out.list = {"a", "b", {"c", "d"}}
  local inner = stdnse.output_table()
  inner.x = 1
  inner.y = 2.5
  out.inner = inner
  out.flag = true
  out.empty = {}
  return out
end
"#;

#[test]
fn table_results_become_nmaps_text_and_structure() {
    let dir = datadir(&[("tbl", TABLE_SCRIPT)]);
    let engine = ScriptEngine::start(opts(&dir, "tbl")).unwrap();
    let h = rt().block_on(engine.scan_host(host(
        "192.0.2.1",
        vec![
            port(80, PortState::Open, Some("http")),
            port(81, PortState::Open, None),
        ],
    )));
    assert_eq!(h.ports[1].scripts, vec![]);
    let r = &h.ports[0].scripts;
    assert_eq!(r.len(), 1, "{:?}", engine.take_diagnostics());
    assert_eq!(r[0].id, "tbl");
    assert_eq!(
        r[0].output,
        "\n  title: Hello\n  list: \n    a\n    b\n    \n      c\n      d\n  inner: \n    x: 1\n    y: 2.5\n  flag: true\n  empty: "
    );
    assert_eq!(
        r[0].elements,
        vec![
            elem(Some("title"), "Hello"),
            ScriptElem::Table {
                key: Some("list".into()),
                items: vec![
                    elem(None, "a"),
                    elem(None, "b"),
                    ScriptElem::Table {
                        key: None,
                        items: vec![elem(None, "c"), elem(None, "d")]
                    }
                ]
            },
            ScriptElem::Table {
                key: Some("inner".into()),
                items: vec![elem(Some("x"), "1"), elem(Some("y"), "2.5")]
            },
            elem(Some("flag"), "true"),
            ScriptElem::Table {
                key: Some("empty".into()),
                items: vec![]
            },
        ]
    );
}

#[test]
fn strings_pairs_nil_and_order() {
    let dir = datadir(&[
        (
            "zz-str",
            r#"categories = {"zz-test"}
hostrule = function(host) return true end
action = function() return "plain text" end"#,
        ),
        (
            "aa-pair",
            r#"categories = {"zz-test"}
hostrule = function(host) return host.ip == "192.0.2.2" end
action = function() return {k = "v"}, "shown instead" end"#,
        ),
        (
            "mm-nil",
            r#"categories = {"zz-test"}
hostrule = function() return true end
action = function() return nil end"#,
        ),
        (
            "tostr",
            r#"categories = {"zz-test"}
hostrule = function() return true end
action = function()
  return setmetatable({1, 2}, {__tostring = function() return "custom" end})
end"#,
        ),
    ]);
    // A category of its own: the embedded scripts are "safe" too.
    let engine = ScriptEngine::start(opts(&dir, "zz-test")).unwrap();
    assert_eq!(engine.scripts().len(), 4);
    let h = rt().block_on(engine.scan_host(host("192.0.2.2", vec![])));
    let got: Vec<(&str, &str)> = h
        .scripts
        .iter()
        .map(|s| (s.id.as_str(), s.output.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("aa-pair", "shown instead"),
            ("tostr", "custom"),
            ("zz-str", "plain text")
        ]
    );
    assert_eq!(h.scripts[0].elements, vec![elem(Some("k"), "v")]);
    assert_eq!(h.scripts[2].elements, vec![]);
    // __tostring tables still give their items to the XML structure.
    assert_eq!(
        h.scripts[1].elements,
        vec![elem(None, "1"), elem(None, "2")]
    );
}

#[test]
fn host_and_port_tables_and_script_args() {
    let dir = datadir(&[(
        "look",
        r#"local stdnse = require "stdnse"
categories = {"default"}
portrule = function(host, port)
  return port.protocol == "tcp" and port.state == "open" and port.service == "ssh"
end
action = function(host, port)
  local a, b, c, d = stdnse.get_script_args("look.user", "pass", "missing", {"nope", "look.list"})
  return ("%s|%s|%s|%s|%d/%s|%s|%s|%s|%s|%s"):format(host.ip, host.targetname, host.name,
    tostring(host.directly_connected), port.number, port.protocol, port.version.name,
    a, b, tostring(c), table.concat(d, "+")) .. "|" .. SCRIPT_NAME .. "|" .. SCRIPT_TYPE
end"#,
    )]);
    let mut o = opts(&dir, "");
    o.default_scripts = true;
    o.args = Some("look.user=root,pass=secret,user=other,look.list={a,b}".into());
    let engine = ScriptEngine::start(o).unwrap();
    let h = rt().block_on(engine.scan_host(host(
        "192.0.2.3",
        vec![
            port(22, PortState::Open, Some("ssh")),
            port(23, PortState::Closed, Some("ssh")),
        ],
    )));
    assert!(h.ports[1].scripts.is_empty());
    assert_eq!(
        h.ports[0].scripts.len(),
        1,
        "{:?}",
        engine.take_diagnostics()
    );
    assert_eq!(
        h.ports[0].scripts[0].output,
        "192.0.2.3|target.test||false|22/tcp|ssh|root|secret|nil|a+b|look|portrule"
    );
}

#[test]
fn selection_errors_name_the_rule() {
    let dir = datadir(&[(
        "one",
        "categories={'safe'}\nhostrule=function() return true end\naction=function() return 'x' end",
    )]);
    let e = ScriptEngine::start(opts(&dir, "one,nosuchscript")).unwrap_err();
    assert_eq!(
        e,
        "'nosuchscript' did not match a category, filename, or directory"
    );
    let e = ScriptEngine::start(opts(&dir, "one and")).unwrap_err();
    assert!(e.contains("'one and'"), "{e}");
    // A file path works, and so does a directory with a slash.
    let path = dir.join("scripts/one.nse").display().to_string();
    let engine = ScriptEngine::start(opts(&dir, &path)).unwrap();
    assert_eq!(engine.scripts()[0].id, "one");
    let d = format!("{}/", dir.join("scripts").display());
    assert_eq!(
        ScriptEngine::start(opts(&dir, &d)).unwrap().scripts().len(),
        1
    );
    // A script missing its action does not load.
    let bad = datadir(&[("bad", "categories={}\nhostrule=function() return true end")]);
    let e = ScriptEngine::start(opts(&bad, "bad")).unwrap_err();
    assert!(e.contains("missing required field: 'action'"), "{e}");
    let e = ScriptEngine::start(Options {
        args: Some("a={".into()),
        ..opts(&dir, "one")
    })
    .unwrap_err();
    assert!(e.contains("arguments did not parse"), "{e}");
}

#[test]
fn sandbox_and_runaway_scripts_are_contained() {
    let dir = datadir(&[
        (
            "good",
            "categories={'x'}\nhostrule=function() return true end\naction=function() return 'still here' end",
        ),
        (
            "loop",
            "categories={'x'}\nhostrule=function() return true end\naction=function() while true do end end",
        ),
        (
            "pcallloop",
            "categories={'x'}\nhostrule=function() return true end\naction=function() while true do pcall(function() while true do end end) end end",
        ),
        (
            "alloc",
            "categories={'x'}\nhostrule=function() return true end\naction=function() local t = {} while true do t[#t+1] = string.rep('x', 1 << 20) .. #t end end",
        ),
        (
            "boom",
            "categories={'x'}\nhostrule=function() return true end\naction=function() error('kaboom') end",
        ),
        (
            "exec",
            "categories={'x'}\nhostrule=function() return true end\naction=function() return os.execute('true') end",
        ),
        (
            "probe",
            r#"categories={'x'}
hostrule=function() return true end
action=function()
  return table.concat({type(io), type(os.execute), type(os.remove), type(package),
    type(dofile), type(loadfile), type(os.time), type(os.date), type(string.dump),
    type(debug.getinfo), type(debug.traceback)}, ",")
end"#,
        ),
        (
            "bytecode",
            "categories={'x'}\nhostrule=function() return true end\naction=function() return select(2, load('\\27Lua')) end",
        ),
        (
            "sleepy",
            "local stdnse = require 'stdnse'\ncategories={'x'}\nhostrule=function() return true end\naction=function() stdnse.sleep(30) return 'woke' end",
        ),
    ]);
    let mut o = opts(&dir, "x");
    o.timeout = Some(Duration::from_secs(3));
    o.cpu_slice = Duration::from_secs(1);
    o.memory_limit = 64 << 20;
    let engine = ScriptEngine::start(o).unwrap();
    let started = std::time::Instant::now();
    let h = rt().block_on(engine.scan_host(host("192.0.2.4", vec![])));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let got: Vec<(&str, &str)> = h
        .scripts
        .iter()
        .map(|s| (s.id.as_str(), s.output.as_str()))
        .collect();
    let failed = "ERROR: Script execution failed (use -d to debug)";
    assert_eq!(
        got,
        vec![
            ("alloc", failed),
            ("boom", failed),
            ("bytecode", "attempt to load a binary chunk (mode is 't')"),
            ("exec", failed),
            ("good", "still here"),
            (
                "probe",
                "nil,nil,nil,nil,nil,nil,function,function,nil,nil,function"
            ),
        ]
    );
    let d = engine.take_diagnostics();
    let kind = |id: &str| d.iter().find(|x| x.script == id).map(|x| x.kind);
    assert!(d.iter().any(|x| x.script == "alloc"), "{d:?}");
    assert_eq!(kind("loop"), Some(DiagKind::TimedOut));
    assert_eq!(kind("pcallloop"), Some(DiagKind::TimedOut));
    assert_eq!(kind("sleepy"), Some(DiagKind::TimedOut));
    assert_eq!(kind("boom"), Some(DiagKind::Error));
    assert!(
        d.iter()
            .any(|x| x.script == "boom" && x.message.contains("kaboom"))
    );
    assert!(
        d.iter()
            .any(|x| x.script == "alloc" && x.message.contains("memory")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|x| x.script == "exec" && x.message.contains("execute")),
        "{d:?}"
    );
    // A script that never finishes loading is refused.
    let spin = datadir(&[(
        "spin",
        "while true do pcall(function() while true do end end) end",
    )]);
    let mut o = opts(&spin, "spin");
    o.cpu_slice = Duration::from_millis(500);
    let e = ScriptEngine::start(o).unwrap_err();
    assert!(e.contains("loading took too long"), "{e}");
    // The state still works after all that.
    let h = rt().block_on(engine.scan_host(host("192.0.2.5", vec![])));
    assert!(h.scripts.iter().any(|s| s.id == "good"));
}

#[test]
fn pre_post_rules_dependencies_registry_and_threads() {
    let dir = datadir(&[
        (
            "first",
            r#"local nmap = require "nmap"
categories = {"zz-pp"}
prerule = function() return true end
hostrule = function() return true end
action = function(host)
  if host then
    host.registry.seen = "first"
    return nil
  end
  nmap.registry.pre = "from prerule"
  return "pre ran"
end"#,
        ),
        (
            "second",
            r#"local nmap = require "nmap"
local stdnse = require "stdnse"
categories = {"zz-pp"}
dependencies = {"first"}
hostrule = function() return true end
postrule = function() return true end
action = function(host)
  if not host then
    return "post sees " .. tostring(nmap.registry.count)
  end
  -- Workers, a mutex and a condition variable.
  local results = {}
  local cv = nmap.condvar(results)
  local m = nmap.mutex("counter")
  local n = 0
  for i = 1, 5 do
    stdnse.new_thread(function(k)
      stdnse.sleep(0.01 * (6 - k))
      m "lock"
      n = n + 1
      m "done"
      results[#results + 1] = k
      cv "signal"
    end, i)
  end
  while #results < 5 do cv "wait" end
  nmap.registry.count = n
  local try = nmap.new_try()
  return ("%s %s %d %s"):format(host.registry.seen, nmap.registry.pre, n, table.concat(results, ""))
end"#,
        ),
        (
            "trier",
            r#"local nmap = require "nmap"
categories = {"zz-pp"}
hostrule = function() return true end
action = function()
  local try = nmap.new_try(function() end)
  try(false, "gave up")
  return "not reached"
end"#,
        ),
    ]);
    let engine = ScriptEngine::start(opts(&dir, "zz-pp")).unwrap();
    let ids: Vec<(String, Vec<String>)> = engine
        .scripts()
        .iter()
        .map(|s| (s.id.clone(), s.rules.clone()))
        .collect();
    assert_eq!(ids[0].0, "first");
    let rt = rt();
    let pre = rt.block_on(engine.prerule());
    assert_eq!(
        pre,
        vec![ScriptResult {
            id: "first".into(),
            output: "pre ran".into(),
            elements: vec![]
        }]
    );
    let scan = Arc::new(ScriptScan::new(engine.clone()));
    use nmaps_engine::HostStage;
    assert_eq!(scan.name(), "Script scan");
    let h = rt.block_on(
        scan.clone()
            .run(host("192.0.2.6", vec![port(1, PortState::Open, None)])),
    );
    assert_eq!(h.scripts.len(), 1, "{:?}", engine.take_diagnostics());
    assert_eq!(h.scripts[0].output, "first from prerule 5 54321");
    let post = rt.block_on(engine.postrule());
    assert_eq!(post[0].output, "post sees 5");
    let d = engine.take_diagnostics();
    assert!(
        d.iter().any(|x| x.script == "trier"
            && x.kind == DiagKind::Exception
            && x.message == "gave up"),
        "{d:?}"
    );
}

/// Runs `inner` (an ignored test of this binary) again in a fresh network
/// namespace (`unshare -n`), so every connection stays on that namespace's
/// own loopback.
fn in_private_namespace(inner: &str) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("unshare")
        .args(["-n", "--"])
        .arg(&exe)
        .args([
            "--exact",
            inner,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NMAPS_SCRIPT_IN_NETNS", "1")
        .output()
        .expect("run unshare");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

/// Inside the namespace: checks it is private and brings its loopback up.
fn enter_private_namespace() {
    assert!(
        std::env::var_os("NMAPS_SCRIPT_IN_NETNS").is_some(),
        "only inside the test's namespace"
    );
    // The isolation promise: this namespace has nothing but a loopback.
    // (Asked over netlink: /sys may still show the parent namespace.)
    let links = std::process::Command::new("ip")
        .args(["-o", "link", "show"])
        .output()
        .unwrap();
    let ifaces: Vec<String> = String::from_utf8_lossy(&links.stdout)
        .lines()
        .filter_map(|l| l.split(':').nth(1).map(|n| n.trim().to_string()))
        .collect();
    assert_eq!(ifaces, vec!["lo".to_string()], "not a private namespace");
    let st = std::process::Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .unwrap();
    assert!(st.success());
}

/// A line server on the namespace's loopback: a two-line banner, then
/// every line echoed upper-cased; QUIT closes.
fn line_server(rt: &tokio::runtime::Runtime) -> u16 {
    line_server_on(rt, 0)
}

/// [`line_server`] on a given port (0: any).
fn line_server_on(rt: &tokio::runtime::Runtime, port: u16) -> u16 {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .unwrap();
    let port_no = listener.local_addr().unwrap().port();
    rt.spawn(async move {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        loop {
            let Ok((s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let _ = w.write_all(b"220 hello there\r\nsecond line\r\n").await;
                let mut lines = BufReader::new(r).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "QUIT" {
                        return;
                    }
                    let _ = w
                        .write_all(format!("{}\n", l.to_uppercase()).as_bytes())
                        .await;
                }
            });
        }
    });
    port_no
}

#[test]
fn network_in_private_namespace() {
    if std::env::var_os("NMAPS_SCRIPT_IN_NETNS").is_none() {
        in_private_namespace("netns_inner");
    }
}

#[test]
#[ignore = "run by network_in_private_namespace inside its own namespace"]
fn netns_inner() {
    enter_private_namespace();
    let rt = rt();
    let port_no = line_server(&rt);
    let dir = datadir(&[(
        "net",
        r#"local nmap = require "nmap"
local comm = require "comm"
local stdnse = require "stdnse"
categories = {"safe"}
portrule = function(host, port) return port.state == "open" end
action = function(host, port)
  local out = stdnse.output_table()
  local ok, banner = comm.get_banner(host, port, {lines = 2})
  out.banner = ok and banner:gsub("\r\n", "|") or ("failed " .. tostring(banner))
  local s = nmap.new_socket()
  s:set_timeout(2000)
  assert(s:connect(host, port))
  local _, l1 = s:receive_buf("\r\n", false)
  local _, l2 = s:receive_buf("\r\n", true)
  out.bufs = l1 .. "/" .. l2:gsub("\r\n", "<crlf>")
  assert(s:send("ping\nmore\n"))
  local _, lines = s:receive_lines(2)
  out.lines = lines:gsub("\n", ";")
  local ok2, lip, lport, rip, rport = s:get_info()
  out.info = ("%s %s %s"):format(tostring(ok2), rip, tostring(rport == port.number))
  assert(s:send("QUIT\n"))
  local st, err = s:receive()
  out.eof = tostring(st) .. " " .. tostring(err)
  s:close()
  -- Nothing listens here: an error, not a crash.
  local c = nmap.new_socket()
  c:set_timeout(1000)
  local cst, cerr = c:connect(host.ip, 1)
  out.refused = tostring(cst) .. " " .. tostring(cerr)
  -- A silent peer times out.
  local t = nmap.new_socket()
  t:set_timeout(300)
  assert(t:connect(host, port))
  t:receive_lines(2)
  local tst, terr = t:receive()
  out.timeout = tostring(tst) .. " " .. tostring(terr)
  t:close()
  return out
end"#,
    )]);
    let engine = ScriptEngine::start(opts(&dir, "net")).unwrap();
    let h = rt.block_on(engine.scan_host(host(
        "127.0.0.1",
        vec![port(port_no, PortState::Open, None)],
    )));
    let r = &h.ports[0].scripts;
    assert_eq!(r.len(), 1, "{:?}", engine.take_diagnostics());
    assert_eq!(
        r[0].output,
        "\n  banner: 220 hello there|second line|\n  bufs: 220 hello there/second line<crlf>\n  lines: PING;MORE;\n  info: true 127.0.0.1 true\n  eof: nil EOF\n  refused: nil ERROR\n  timeout: nil TIMEOUT",
        "{:?}",
        engine.take_diagnostics()
    );
}

#[test]
fn udp_and_tls_in_private_namespace() {
    if std::env::var_os("NMAPS_SCRIPT_IN_NETNS").is_none() {
        in_private_namespace("udp_tls_inner");
    }
}

#[test]
#[ignore = "run by udp_and_tls_in_private_namespace inside its own namespace"]
fn udp_tls_inner() {
    enter_private_namespace();
    let rt = rt();
    // UDP: answers each datagram upper-cased.
    let udp = rt
        .block_on(tokio::net::UdpSocket::bind("127.0.0.1:0"))
        .unwrap();
    let udp_port = udp.local_addr().unwrap().port();
    rt.spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = udp.recv_from(&mut buf).await {
            let _ = udp.send_to(&buf[..n].to_ascii_uppercase(), from).await;
        }
    });
    // TLS: openssl's server, answering each line reversed.
    let dir = datadir(&[(
        "net2",
        r#"local nmap = require "nmap"
local stdnse = require "stdnse"
categories = {"safe"}
hostrule = function() return true end
action = function(host)
  local udp_port, tls_port = stdnse.get_script_args("net2.udp", "net2.tls")
  local o = stdnse.output_table()
  local u = nmap.new_socket("udp")
  u:set_timeout(2000)
  o.udp_connect = tostring(u:connect(host.ip, tonumber(udp_port), "udp"))
  u:send("ping")
  local st, d = u:receive()
  o.udp = tostring(st) .. " " .. tostring(d)
  u:close()
  local t = nmap.new_socket()
  t:set_timeout(5000)
  local ok, err = t:connect(host, tonumber(tls_port), "ssl")
  o.tls_connect = tostring(ok) .. " " .. tostring(err)
  t:send("hello\n")
  local st2, d2 = t:receive_lines(1)
  o.tls = tostring(st2) .. " " .. tostring(d2):gsub("%s", "")
  t:close()
  return o
end"#,
    )]);
    let (key, cert) = (dir.join("k.pem"), dir.join("c.pem"));
    let st = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=nse.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let tls_port = 4433;
    let mut server = std::process::Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-rev",
            "-accept",
            "127.0.0.1:4433",
            "-cert",
        ])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "openssl s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut o = opts(&dir, "net2");
    o.args = Some(format!("net2.udp={udp_port},net2.tls={tls_port}"));
    let engine = ScriptEngine::start(o).unwrap();
    let h = rt.block_on(engine.scan_host(host("127.0.0.1", vec![])));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(h.scripts.len(), 1, "{:?}", engine.take_diagnostics());
    assert_eq!(
        h.scripts[0].output,
        "\n  udp_connect: true\n  udp: true PING\n  tls_connect: true nil\n  tls: true olleh",
        "{:?}",
        engine.take_diagnostics()
    );
}

#[test]
fn logs_port_changes_forced_rules_and_debugging() {
    let dir = datadir(&[
        (
            "talk",
            r#"local nmap = require "nmap"
local stdnse = require "stdnse"
categories = {"safe"}
portrule = function(host, port) return false end
action = function(host, port)
  stdnse.debug1("debug %d", 1)
  stdnse.debug3("hidden")
  stdnse.verbose("verbose")
  print("printed", 2)
  local first = nmap.get_ports(host, nil, "tcp", "filtered")
  local second = nmap.get_ports(host, first, "tcp", "filtered")
  print("ports", first.number, second.number, nmap.get_ports(host, second, "tcp", "filtered"))
  nmap.set_port_state(host, port, "closed")
  port.version.name = "echo"
  port.version.product = "Echo server"
  nmap.set_port_version(host, port, "hardmatched")
  error("after the changes")
end"#,
        ),
        (
            "unsafe",
            "categories={'x'}\nhostrule=function() return true end\naction=function() return type(io) .. ' ' .. type(os.execute) end",
        ),
    ]);
    let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let mut o = opts(&dir, "+talk,unsafe");
    o.debugging = 1;
    o.verbosity = 1;
    o.unsafe_scripts = true;
    o.log = Some(Arc::new(move |l| sink.lock().unwrap().push(l)));
    let engine = ScriptEngine::start(o).unwrap();
    let ports = vec![
        port(7, PortState::Open, None),
        port(8, PortState::Filtered, None),
        port(9, PortState::Filtered, None),
    ];
    let h = rt().block_on(engine.scan_host(host("192.0.2.7", ports)));
    // With -d a failed script has no output, only a diagnostic.
    assert!(h.ports[0].scripts.is_empty());
    assert_eq!(h.ports[0].state, PortState::Closed);
    assert_eq!(h.ports[0].reason, Reason::ScriptSet);
    let svc = h.ports[0].service.as_ref().unwrap();
    assert_eq!(svc.name, "echo");
    assert_eq!(svc.version.product.as_deref(), Some("Echo server"));
    assert_eq!(h.scripts[0].output, "table function");
    let lines = lines.lock().unwrap().clone();
    assert_eq!(
        lines,
        vec![
            "NSE: [talk 192.0.2.7:7] debug 1".to_string(),
            // Selected by name: verbosity 2, so the target is shown too.
            "NSE: [talk 192.0.2.7:7] verbose".to_string(),
            "printed\t2".to_string(),
            "ports\t8\t9\tnil".to_string(),
        ]
    );
    let d = engine.take_diagnostics();
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.contains("after the changes"),
        "{}",
        d[0].message
    );
    assert!(d[0].message.contains("stack traceback"), "{}", d[0].message);
}

#[test]
fn datadir_libraries_and_script_db() {
    let dir = datadir(&[
        (
            "uses-lib",
            "local mylib = require 'mylib'\ncategories={'odd'}\nhostrule=function() return true end\naction=function() return mylib.greet() end",
        ),
        (
            "not-in-db",
            "categories={'odd'}\nhostrule=function() return true end\naction=function() return 'by name' end",
        ),
    ]);
    std::fs::write(
        dir.join("nselib/mylib.lua"),
        "local M = {}\nfunction M.greet() return 'hi from mylib' end\nreturn M\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("scripts/script.db"),
        "Entry { filename = \"uses-lib.nse\", categories = { \"odd\", \"safe\", } }\n",
    )
    .unwrap();
    // Categories come from script.db: "not-in-db" is not selected by category...
    let engine = ScriptEngine::start(opts(&dir, "odd")).unwrap();
    let ids: Vec<&str> = engine.scripts().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["uses-lib"]);
    let h = rt().block_on(engine.scan_host(host("192.0.2.8", vec![])));
    assert_eq!(h.scripts[0].output, "hi from mylib");
    // ...but by name it is found.
    let engine = ScriptEngine::start(opts(&dir, "not-in-db,odd")).unwrap();
    let ids: Vec<&str> = engine.scripts().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["uses-lib", "not-in-db"]);
}

/// Scripts whose results must be the same as Nmap's (each runs in Nmap's
/// real NSE with its real nselib, and in nmaps).
const CONFORMANCE: &[(&str, &str)] = &[
    ("c-table", TABLE_SCRIPT_ANY_PORT),
    (
        "c-string",
        "categories={'safe'}\nportrule=function() return true end\naction=function() return 'plain\\nline2' end",
    ),
    (
        "c-pair",
        r#"local stdnse = require "stdnse"
categories = {"safe"}
portrule = function() return true end
action = function()
  local t = stdnse.output_table()
  t.a = "1"
  t.b = {"x", "y"}
  return t, "text form"
end"#,
    ),
    (
        "c-nil",
        "categories={'safe'}\nportrule=function() return true end\naction=function() return nil end",
    ),
    (
        "c-error",
        "categories={'safe'}\nportrule=function() return true end\naction=function() error('boom') end",
    ),
    (
        "c-try",
        "local nmap = require 'nmap'\ncategories={'safe'}\nportrule=function() return true end\naction=function() nmap.new_try()(false, 'no') end",
    ),
    (
        "c-tostring",
        "categories={'safe'}\nportrule=function() return true end\naction=function() return setmetatable({'p', 'q'}, {__tostring = function() return 'custom' end}) end",
    ),
    (
        "c-numbers",
        "categories={'safe'}\nportrule=function() return true end\naction=function() return {1.5, 3, 2^53, 1e100, 0.1, -7, 10//3, 10/2, false} end",
    ),
    (
        "c-number",
        "categories={'safe'}\nportrule=function() return true end\naction=function() return 42 end",
    ),
    (
        "c-format",
        r#"local stdnse = require "stdnse"
categories = {"safe"}
portrule = function() return true end
action = function()
  return stdnse.format_output(true, {"a", {name = "B", "c", {"deep"}, "d"}, "e\nf"})
end"#,
    ),
    (
        "c-helpers",
        r#"local stdnse = require "stdnse"
local stringaux = require "stringaux"
local tableaux = require "tableaux"
categories = {"safe"}
portrule = function() return true end
action = function(host, port)
  local o = stdnse.output_table()
  o.hex3 = stdnse.tohex(255)
  o.hex4 = stdnse.tohex("\0\255")
  o.unhex = stdnse.fromhex("41 42 4a")
  o.split = table.concat(stringaux.strsplit(",", "a,b,,c"), "|")
  o.split2 = table.concat(stringaux.strsplit("%s+", "x  y z"), "|")
  o.blank = stdnse.string_or_blank("") .. stdnse.string_or_blank("x") .. stdnse.string_or_blank(nil, "-")
  o.timespec = tostring(stdnse.parse_timespec("10ms")) .. " " .. tostring(stdnse.parse_timespec("2m"))
    .. " " .. tostring(select(2, stdnse.parse_timespec("5x")))
  o.hostname = stdnse.get_hostname(host)
  o.contains = tostring(tableaux.contains({"a", "b"}, "b"))
  o.timeout = stdnse.get_timeout({times = {timeout = 1.3}})
  o.bin = stdnse.tobinary(12) .. " " .. stdnse.tooctal(12)
  return o
end"#,
    ),
    (
        "c-comm",
        r#"local comm = require "comm"
local stdnse = require "stdnse"
categories = {"safe"}
portrule = function() return true end
action = function(host, port)
  local o = stdnse.output_table()
  local ok, banner = comm.get_banner(host, port, {lines = 2})
  o.banner = tostring(ok) .. " " .. banner:gsub("\r\n", "|")
  local ok2, resp = comm.exchange(host, port, "hi\n", {lines = 3})
  o.exchange = tostring(ok2) .. " " .. resp:gsub("\r?\n", "|")
  return o
end"#,
    ),
    (
        "c-socket",
        r#"local nmap = require "nmap"
local stdnse = require "stdnse"
categories = {"safe"}
portrule = function() return true end
action = function(host, port)
  local o = stdnse.output_table()
  local s = nmap.new_socket()
  s:set_timeout(3000)
  o.connect = tostring(s:connect(host, port))
  local _, l1 = s:receive_buf("\r\n", false)
  local _, l2 = s:receive_buf("\r?\n", true)
  o.bufs = l1 .. "/" .. l2:gsub("\r\n", "<crlf>")
  s:send("one\ntwo\n")
  local _, lines = s:receive_lines(2)
  o.lines = lines:gsub("\n", ";")
  local ok, lip, lport, rip, rport = s:get_info()
  o.info = tostring(ok) .. " " .. rip .. " " .. tostring(rport == port.number)
  s:send("QUIT\n")
  local st, err = s:receive()
  o.eof = (st and "data" or "fail") .. " " .. tostring(err)
  o.close = tostring(s:close())
  local st2, err2 = s:close()
  o.close2 = (st2 and "ok" or "fail") .. " " .. tostring(err2)
  return o
end"#,
    ),
    (
        "c-args",
        r#"local stdnse = require "stdnse"
categories = {"safe"}
portrule = function() return true end
action = function()
  local k, flag, t, none = stdnse.get_script_args("c-args.k", "flag", "c-args.t", "none")
  return ("%s %s %s %s %s"):format(k, tostring(flag), t[1], t.q, tostring(none))
end"#,
    ),
    (
        "c-port",
        r#"categories = {"safe"}
portrule = function(host, port) return port.protocol == "tcp" and port.state == "open" end
action = function(host, port)
  local t = {port.protocol, port.state, port.service, port.version.name,
    port.version.service_tunnel, port.version.service_dtype, port.version.name_confidence,
    host.ip, host.name, host.targetname, type(host.registry), type(host.times),
    type(host.times.timeout), math.type(port.number), math.type(port.version.name_confidence)}
  for i = 1, 15 do t[i] = tostring(t[i]) end
  return t
end"#,
    ),
    (
        "c-threads",
        r#"local nmap = require "nmap"
local stdnse = require "stdnse"
categories = {"safe"}
hostrule = function() return true end
action = function()
  local done = {}
  local cv = nmap.condvar(done)
  for i = 1, 3 do
    stdnse.new_thread(function(k)
      stdnse.sleep(0.25 * (4 - k))
      done[#done + 1] = k
      cv "signal"
    end, i)
  end
  while #done < 3 do cv "wait" end
  return table.concat(done, "")
end"#,
    ),
    (
        "c-datetime",
        r#"local datetime = require "datetime"
categories = {"safe"}
portrule = function() return true end
action = function()
  return {datetime.format_timestamp(0), datetime.format_timestamp(1700000000, 3600),
    datetime.format_timestamp(1700000000, -5400), datetime.format_timestamp(1.5),
    datetime.format_time(3661), datetime.format_time(59), datetime.format_time(90061),
    datetime.format_time(-5), datetime.format_time(0.25), datetime.format_time(3600),
    datetime.format_time(86400), datetime.format_time(61.5), datetime.format_time(2, 60)}
end"#,
    ),
    (
        "c-shortport",
        r#"local shortport = require "shortport"
categories = {"safe"}
portrule = function() return true end
action = function()
  local function p(n, proto, state, service, tunnel)
    return {number = n, protocol = proto, state = state, service = service,
      version = {service_tunnel = tunnel or "none", name_confidence = 10}}
  end
  local checks = {
    shortport.http(nil, p(8080, "tcp", "open")),
    shortport.http(nil, p(9999, "tcp", "open", "http-proxy")),
    shortport.http(nil, p(80, "tcp", "closed")),
    shortport.http(nil, p(80, "udp", "open")),
    shortport.ssl(nil, p(443, "tcp", "open")),
    shortport.ssl(nil, p(1234, "tcp", "open", "x", "ssl")),
    shortport.ssl(nil, p(5684, "udp", "open")),
    shortport.ssl(nil, p(1234, "tcp", "open")),
    shortport.portnumber({"1-100", 443})(nil, p(50, "tcp", "open|filtered")),
    shortport.portnumber(22, "udp")(nil, p(22, "tcp", "open")),
    shortport.service("ssh", {"tcp", "udp"}, "filtered")(nil, p(1, "udp", "filtered", "ssh")),
    shortport.port_or_service(21, "ftp")(nil, p(2121, "tcp", "open", "ftp")),
    shortport.port_range("T:1-10,U:53")(nil, p(53, "udp", "open")),
    shortport.port_range("T:1-10,U:53")(nil, p(53, "tcp", "open")),
    shortport.ssh(nil, p(830, "tcp", "open")),
  }
  for i, v in ipairs(checks) do checks[i] = tostring(v) end
  return table.concat(checks, " ")
end"#,
    ),
];

const TABLE_SCRIPT_ANY_PORT: &str = r#"
local stdnse = require "stdnse"
categories = {"safe"}
portrule = function() return true end
action = function(host, port)
  local out = stdnse.output_table()
  out.title = "Hello <&> \"q\""
  out.list = {"a", "b", {"c", "d"}}
  local inner = stdnse.output_table()
  inner.x = 1
  inner.y = 2.5
  out.inner = inner
  out.flag = true
  out.empty = {}
  out[1] = "first"
  return out
end
"#;

const CONFORMANCE_ARGS: &str = "c-args.k=v,flag,c-args.t={one,q=two}";

/// A port of Nmap's XML: number, service name, script results.
type NmapPort = (u16, Option<String>, Vec<ScriptResult>);

/// Ports and host scripts of Nmap's XML.
fn nmap_scripts(xml: &str) -> (Vec<NmapPort>, Vec<ScriptResult>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut ports: Vec<NmapPort> = Vec::new();
    let mut host = Vec::new();
    let mut in_hostscript = false;
    // Open <script>, <table> and <elem> frames.
    enum Frame {
        Script(ScriptResult),
        Table(Option<String>, Vec<ScriptElem>),
        Elem(Option<String>, String),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let attr = |e: &quick_xml::events::BytesStart<'_>, k: &str| -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == k.as_bytes())
            .map(|a| a.unescape_value().unwrap().into_owned())
    };
    fn push(stack: &mut [Frame], el: ScriptElem) {
        match stack.last_mut() {
            Some(Frame::Script(s)) => s.elements.push(el),
            Some(Frame::Table(_, items)) => items.push(el),
            _ => {}
        }
    }
    loop {
        let ev = reader.read_event().unwrap();
        match ev {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"hostscript" => {
                in_hostscript = true;
            }
            Event::Start(e) if e.name().as_ref() == b"port" => {
                let n = attr(&e, "portid").unwrap().parse().unwrap();
                ports.push((n, None, Vec::new()));
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"service" => {
                if let Some(p) = ports.last_mut() {
                    p.1 = attr(&e, "name");
                }
            }
            Event::Start(e) => match e.name().as_ref() {
                b"script" => stack.push(Frame::Script(ScriptResult {
                    id: attr(&e, "id").unwrap(),
                    output: attr(&e, "output").unwrap_or_default(),
                    elements: vec![],
                })),
                b"table" => stack.push(Frame::Table(attr(&e, "key"), vec![])),
                b"elem" => stack.push(Frame::Elem(attr(&e, "key"), String::new())),
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                b"script" => {
                    let r = ScriptResult {
                        id: attr(&e, "id").unwrap(),
                        output: attr(&e, "output").unwrap_or_default(),
                        elements: vec![],
                    };
                    if in_hostscript {
                        host.push(r)
                    } else if let Some(p) = ports.last_mut() {
                        p.2.push(r)
                    }
                }
                b"table" => push(
                    &mut stack,
                    ScriptElem::Table {
                        key: attr(&e, "key"),
                        items: vec![],
                    },
                ),
                b"elem" => push(
                    &mut stack,
                    ScriptElem::Elem {
                        key: attr(&e, "key"),
                        value: String::new(),
                    },
                ),
                _ => {}
            },
            Event::Text(t) => {
                if let Some(Frame::Elem(_, v)) = stack.last_mut() {
                    v.push_str(&t.decode().unwrap());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(Frame::Elem(_, v)) = stack.last_mut() {
                    match r.resolve_char_ref().unwrap() {
                        Some(c) => v.push(c),
                        None => v.push_str(match r.decode().unwrap().as_ref() {
                            "lt" => "<",
                            "gt" => ">",
                            "amp" => "&",
                            "quot" => "\"",
                            "apos" => "'",
                            other => panic!("entity {other}"),
                        }),
                    }
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"hostscript" => in_hostscript = false,
                b"script" => {
                    if let Some(Frame::Script(r)) = stack.pop() {
                        if in_hostscript {
                            host.push(r)
                        } else if let Some(p) = ports.last_mut() {
                            p.2.push(r)
                        }
                    }
                }
                b"table" => {
                    if let Some(Frame::Table(key, items)) = stack.pop() {
                        push(&mut stack, ScriptElem::Table { key, items });
                    }
                }
                b"elem" => {
                    if let Some(Frame::Elem(key, value)) = stack.pop() {
                        push(&mut stack, ScriptElem::Elem { key, value });
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (ports, host)
}

#[test]
fn same_results_as_nmap() {
    if std::env::var_os("NMAPS_SCRIPT_IN_NETNS").is_some() {
        return;
    }
    if std::process::Command::new("nmap")
        .arg("-V")
        .output()
        .is_err()
    {
        // nmap is not installed: nothing to compare with.
        return;
    }
    in_private_namespace("nmap_conformance_inner");
}

#[test]
#[ignore = "run by same_results_as_nmap inside its own namespace"]
fn nmap_conformance_inner() {
    enter_private_namespace();
    let rt = rt();
    // A port Nmap's services table names, one it calls "unknown", one it lacks.
    let numbers = [4u16, 21, 40004];
    for n in numbers {
        line_server_on(&rt, n);
    }
    let dir = datadir(CONFORMANCE);
    let scripts = format!("{}/", dir.join("scripts").display());
    let out = std::process::Command::new("nmap")
        .args(["-n", "-sT", "-Pn", "-p", "4,21,40004", "--script", &scripts])
        .args(["--script-args", CONFORMANCE_ARGS, "-oX", "-", "127.0.0.1"])
        .output()
        .unwrap();
    let xml = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{xml}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (want_ports, want_host) = nmap_scripts(&xml);
    assert_eq!(want_ports.len(), 3, "{xml}");
    let engine = ScriptEngine::start(Options {
        scripts: vec![scripts.clone()],
        args: Some(CONFORMANCE_ARGS.into()),
        ..Options::default()
    })
    .unwrap();
    let mut h = host(
        "127.0.0.1",
        want_ports
            .iter()
            .map(|(n, svc, _)| port(*n, PortState::Open, svc.as_deref()))
            .collect(),
    );
    h.hostnames.clear();
    let h = rt.block_on(engine.scan_host(h));
    let ids = |v: &[ScriptResult]| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    for (p, (n, _, want)) in h.ports.iter().zip(&want_ports) {
        assert_eq!(p.number, *n);
        let mut got = p.scripts.clone();
        let mut want = want.clone();
        got.sort_by(|a, b| a.id.cmp(&b.id));
        want.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(ids(&got), ids(&want), "{:?}", engine.take_diagnostics());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.output, w.output, "output of {} on port {n}", w.id);
            if w.id != "c-number" {
                assert_eq!(g.elements, w.elements, "structure of {} on port {n}", w.id);
            }
        }
    }
    assert_eq!(h.scripts, want_host);
}

/// A script chosen by name sees one more verbosity level and intensity 9.
#[test]
fn selected_by_name_boosts_verbosity() {
    let dir = datadir(&[(
        "verb",
        r#"local nmap = require "nmap"
categories = {"zz-verb"}
hostrule = function() return true end
action = function() return nmap.verbosity() .. " " .. nmap.version_intensity() end"#,
    )]);
    let run = |rules: &str| {
        let engine = ScriptEngine::start(opts(&dir, rules)).unwrap();
        let h = rt().block_on(engine.scan_host(host("192.0.2.10", vec![])));
        h.scripts[0].output.clone()
    };
    assert_eq!(run("verb"), "1 9");
    assert_eq!(run("v*"), "1 9");
    assert_eq!(run("zz-verb"), "0 7");
    assert_eq!(run(&format!("{}/", dir.join("scripts").display())), "0 7");
}

/// `stdnse.tohex` with a separator as documented (and as Nmap after 7.93,
/// whose version ignored the separator).
#[test]
fn tohex_separators() {
    let dir = datadir(&[(
        "hex",
        r#"local stdnse = require "stdnse"
categories = {"safe"}
hostrule = function() return true end
action = function()
  return stdnse.tohex("abc", {separator = ":"}) .. " " .. stdnse.tohex(123456, {separator = ":"})
    .. " " .. stdnse.tohex(123456, {separator = ":", group = 4}) .. " "
    .. stdnse.format_mac("\0\1\2\171\205\239")
end"#,
    )]);
    let engine = ScriptEngine::start(opts(&dir, "hex")).unwrap();
    let h = rt().block_on(engine.scan_host(host("192.0.2.9", vec![])));
    assert_eq!(
        h.scripts[0].output,
        "61:62:63 1:e2:40 1:e240 00:01:02:ab:cd:ef"
    );
}

/// Many instances stay cheap: 3 scripts on 2000 open ports.
#[test]
fn many_instances() {
    let src = "local shortport = require 'shortport'\ncategories={'p'}\nportrule=shortport.portnumber('1-65535')\naction=function(h, p) return tostring(p.number) end";
    let dir = datadir(&[("p1", src), ("p2", src), ("p3", src)]);
    let engine = ScriptEngine::start(opts(&dir, "p")).unwrap();
    let ports: Vec<Port> = (1..=2000).map(|n| port(n, PortState::Open, None)).collect();
    let t0 = std::time::Instant::now();
    let h = rt().block_on(engine.scan_host(host("192.0.2.11", ports)));
    let took = t0.elapsed();
    assert!(h.ports.iter().all(|p| p.scripts.len() == 3));
    assert_eq!(h.ports[41].scripts[2].output, "42");
    assert!(took < Duration::from_secs(20), "{took:?}");
}
