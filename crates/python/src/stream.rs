//! A scan whose standard output reaches Python while it runs.
//!
//! The typed API (`nmaps.scan_iter`) yields each host as soon as the engine
//! finishes it. The engine already hands finished hosts to the writers in
//! target order, and the XML writer flushes each `<host>` element (and each
//! `<taskbegin>`/`<taskend>`/`<taskprogress>` line) the moment it is
//! complete; so the stream is the XML document itself, passed on chunk by
//! chunk through a channel. Python parses it incrementally and turns every
//! closed `</host>` into a result object. One format, one parser, and the
//! same bytes `-oX` writes: no second, structured path out of the engine
//! that could drift from the XML.

use crate::{Buf, Cancel};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// What the scan thread sends.
enum Msg {
    /// Bytes written to standard output.
    Out(Vec<u8>),
    /// The run returned this exit status; nothing follows.
    Done(i32),
}

/// Standard output of a streamed scan: every write becomes a message.
struct ChannelOut(mpsc::Sender<Msg>);

impl Write for ChannelOut {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        // The reader gone (the Python object dropped) is no error for the
        // scan: it is being cancelled.
        let _ = self.0.send(Msg::Out(b.to_vec()));
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The reading side, behind one lock.
struct Reader {
    rx: mpsc::Receiver<Msg>,
    /// Exit status, once `Done` arrived.
    code: Option<i32>,
}

/// Stream(argv, cancel=None): runs the nmaps command line `argv` in a
/// background thread; `read(timeout)` returns its standard output as it
/// comes. Dropping the object cancels the scan.
#[pyclass(frozen, module = "nmaps._nmaps")]
pub(crate) struct Stream {
    reader: Mutex<Reader>,
    token: nmaps::Cancel,
    err: Buf,
}

/// Most bytes one `read` returns (the rest stays queued).
const READ_MAX: usize = 1 << 20;

#[pymethods]
impl Stream {
    #[new]
    #[pyo3(signature = (argv, cancel=None))]
    fn new(argv: Vec<String>, cancel: Option<Py<Cancel>>) -> PyResult<Self> {
        let token = cancel.map_or_else(nmaps::Cancel::new, |c| c.get().0.clone());
        let (tx, rx) = mpsc::channel();
        let err = Buf::default();
        let io = nmaps::RunIo::captured(
            Box::new(ChannelOut(tx.clone())),
            Box::new(err.clone()),
            token.clone(),
        );
        std::thread::Builder::new()
            .name("nmaps-stream".into())
            .spawn(move || {
                let code = nmaps::run(argv, io);
                let _ = tx.send(Msg::Done(code));
            })
            .map_err(|e| PyValueError::new_err(format!("cannot start the scan thread: {e}")))?;
        Ok(Self {
            reader: Mutex::new(Reader { rx, code: None }),
            token,
            err,
        })
    }

    /// read(timeout) -> bytes | None: what the scan wrote since the last
    /// call, waiting up to `timeout` seconds for something (the GIL is
    /// released meanwhile); `b""` if nothing came in time, `None` once the
    /// scan ended and everything was read.
    fn read(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<Vec<u8>>> {
        if !(timeout.is_finite() && timeout >= 0.0) {
            return Err(PyValueError::new_err("timeout must be a number >= 0"));
        }
        let wait = Duration::from_secs_f64(timeout);
        Ok(py.detach(|| {
            let mut r = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
            if r.code.is_some() {
                return None;
            }
            let mut out = Vec::new();
            let first = match r.rx.recv_timeout(wait) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => return Some(out),
                // The thread died without a status (a panic): exit status 1.
                Err(mpsc::RecvTimeoutError::Disconnected) => Msg::Done(1),
            };
            let mut next = Some(first);
            while let Some(m) = next.take() {
                match m {
                    Msg::Out(b) => out.extend_from_slice(&b),
                    Msg::Done(code) => {
                        r.code = Some(code);
                        break;
                    }
                }
                if out.len() < READ_MAX {
                    next = r.rx.try_recv().ok();
                }
            }
            (!out.is_empty() || r.code.is_none()).then_some(out)
        }))
    }

    /// Stops the scan (idempotent): the document is finished with the hosts
    /// done so far, exit status 130.
    fn cancel(&self) {
        self.token.cancel();
    }

    /// The exit status once the scan ended and its output was read, else None.
    #[getter]
    fn exit_status(&self) -> Option<i32> {
        self.reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .code
    }

    /// What the scan wrote to standard error so far.
    #[getter]
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.snapshot()).into_owned()
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // Nobody reads any more: stop the scan thread.
        self.token.cancel();
    }
}
