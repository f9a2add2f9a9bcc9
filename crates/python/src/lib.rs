//! `nmaps._nmaps`: the nmaps engine inside Python. Runs a command line
//! in-process with the GIL released and returns what the binary would have
//! written to standard output and standard error; the pure-Python package
//! (`python/nmaps`) builds python3-nmap's API on top of it.

mod stream;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A cancel token for a running scan: `cancel()` stops it gracefully (the
/// XML is finished with the hosts completed so far, exit status 130).
#[pyclass(frozen, module = "nmaps._nmaps")]
struct Cancel(nmaps::Cancel);

#[pymethods]
impl Cancel {
    #[new]
    fn new() -> Self {
        Self(nmaps::Cancel::new())
    }

    /// Stops the scan (idempotent; may be called from any thread).
    fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether `cancel()` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// A growable buffer shared between the scan thread and the caller.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Buf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn snapshot(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// How often the waiting thread takes the GIL back to look for signals.
const POLL: Duration = Duration::from_millis(50);

/// run(argv, timeout=None, cancel=None) -> (exit_status, stdout: bytes, stderr: str, timed_out: bool)
///
/// Runs the nmaps command line `argv` (`argv[0]` is the program name) in
/// this process. The GIL is released while the scan runs. After `timeout`
/// seconds the scan is cancelled and `timed_out` is True. A signal handler
/// that raises (Ctrl-C → KeyboardInterrupt) cancels the scan, waits for it
/// to finish and raises.
#[pyfunction]
#[pyo3(signature = (argv, timeout=None, cancel=None))]
fn run(
    py: Python<'_>,
    argv: Vec<String>,
    timeout: Option<f64>,
    cancel: Option<Py<Cancel>>,
) -> PyResult<(i32, Vec<u8>, String, bool)> {
    let deadline = match timeout {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(PyValueError::new_err("timeout must be a number >= 0"));
        }
        Some(t) => Some(Instant::now() + Duration::from_secs_f64(t)),
        None => None,
    };
    let token = cancel.map_or_else(nmaps::Cancel::new, |c| c.get().0.clone());
    let (out, err) = (Buf::default(), Buf::default());
    let io = nmaps::RunIo::captured(Box::new(out.clone()), Box::new(err.clone()), token.clone());
    let (done_tx, mut done_rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("nmaps-scan".into())
        .spawn(move || {
            let code = nmaps::run(argv, io);
            let _ = done_tx.send(code);
        })
        .map_err(|e| PyValueError::new_err(format!("cannot start the scan thread: {e}")))?;
    let mut timed_out = false;
    let mut interrupt: Option<PyErr> = None;
    let code = loop {
        let wait = match deadline {
            Some(d) if !timed_out => d.saturating_duration_since(Instant::now()).min(POLL),
            _ => POLL,
        };
        let (got, rx) = py.detach(move || (done_rx.recv_timeout(wait), done_rx));
        done_rx = rx;
        match got {
            Ok(code) => break code,
            Err(mpsc::RecvTimeoutError::Disconnected) => break 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !timed_out && deadline.is_some_and(|d| Instant::now() >= d) {
            timed_out = true;
            token.cancel();
        }
        if interrupt.is_none()
            && let Err(e) = py.check_signals()
        {
            token.cancel();
            interrupt = Some(e);
        }
    };
    let _ = py.detach(|| worker.join());
    if let Some(e) = interrupt {
        return Err(e);
    }
    let stderr = String::from_utf8_lossy(&err.take()).into_owned();
    Ok((code, out.take(), stderr, timed_out))
}

/// run_cli(argv) -> int: the binary itself (process streams, signals,
/// terminal), for `python -m nmaps`.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.detach(|| nmaps::run(argv, nmaps::RunIo::process()))
}

#[pymodule]
fn _nmaps(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Cancel>()?;
    m.add_class::<stream::Stream>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("NMAP_COMPAT_VERSION", nmaps::NMAP_COMPAT_VERSION)?;
    Ok(())
}
