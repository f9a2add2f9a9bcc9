//! A private network namespace per test: its own loopback, listeners,
//! nftables rules, and the scanners run inside it. Nothing a test sends can
//! leave it: the namespace has only `lo` and no routes elsewhere.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct Netns {
    pub name: String,
    children: Vec<Child>,
}

const LISTENER: &str = r#"
import socket, sys, selectors
sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    host, port = spec.rsplit(':', 1)
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host.strip('[]'), int(port)))
    s.listen(1024)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print('ready', flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
            c.close()
        except OSError:
            pass
"#;

impl Netns {
    /// Create a namespace with loopback up; panics (failing the test) if that is impossible.
    pub fn new() -> Self {
        let name = format!(
            "nmaps-it-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        run(Command::new("ip").args(["netns", "add", &name]));
        let ns = Self {
            name,
            children: Vec::new(),
        };
        ns.sh("ip link set lo up");
        // The isolation promise: no route leaves this namespace.
        let routes = ns.sh("ip route show; ip -6 route show");
        let routes = String::from_utf8_lossy(&routes.stdout).to_string();
        assert!(
            !routes.contains("default"),
            "namespace {} has a default route: {routes}",
            ns.name
        );
        ns
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Run a shell command inside; fails the test if it fails.
    pub fn sh(&self, script: &str) -> Output {
        let out = self
            .cmd("sh")
            .args(["-c", script])
            .output()
            .expect("run sh");
        assert!(
            out.status.success(),
            "`{script}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Start TCP listeners on `addr:port` pairs and wait until they accept.
    pub fn listen(&mut self, specs: &[&str]) {
        let mut child = self
            .cmd("python3")
            .arg("-c")
            .arg(LISTENER)
            .args(specs)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start listener");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        assert_eq!(line.trim(), "ready", "listener did not start");
        self.children.push(child);
    }

    /// Load an nftables ruleset (for filtered and rejected ports).
    pub fn nft(&self, ruleset: &str) {
        let mut child = self
            .cmd("nft")
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("nft");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(ruleset.as_bytes())
            .expect("write");
        assert!(
            child.wait().expect("nft").success(),
            "nft rejected the ruleset"
        );
    }

    /// Run nmaps inside the namespace.
    pub fn nmaps(&self, args: &[&str]) -> Output {
        self.cmd(env!("CARGO_BIN_EXE_nmaps"))
            .args(args)
            .output()
            .expect("run nmaps")
    }

    /// A command for nmaps inside the namespace, to be spawned by the caller.
    pub fn nmaps_cmd(&self, args: &[&str]) -> Command {
        let mut c = self.cmd(env!("CARGO_BIN_EXE_nmaps"));
        c.args(args);
        c
    }

    /// Run Debian's nmap inside the namespace.
    pub fn nmap(&self, args: &[&str]) -> Output {
        let out = self
            .cmd("nmap")
            .args(args)
            .output()
            .expect("nmap must be installed (apt-get install nmap)");
        assert!(
            out.status.success(),
            "nmap {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Run any program inside the namespace.
    pub fn exec(&self, program: &str, args: &[&str]) -> Output {
        self.cmd(program).args(args).output().expect("run program")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
