//! Keypresses during a scan, as Nmap: any key prints the status line. The
//! terminal is put in non-canonical, no-echo mode while the scan runs and
//! restored at the end (also on signals).
#![allow(unsafe_code)]

use std::sync::Mutex;
use tokio::sync::mpsc;

static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Start watching standard input for keys; `None` when it is not a terminal.
pub fn watch() -> Option<mpsc::Receiver<u8>> {
    let fd = libc::STDIN_FILENO;
    // SAFETY: isatty, tcgetpgrp and getpgrp only inspect process state.
    if unsafe { libc::isatty(fd) } != 1 {
        return None;
    }
    // A background job must not touch the terminal (SIGTTOU/SIGTTIN would stop it).
    if unsafe { libc::tcgetpgrp(fd) != libc::getpgrp() } {
        return None;
    }
    // SAFETY: termios is plain data; tcgetattr fills it for a valid terminal fd.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
        return None;
    }
    let saved = t;
    t.c_lflag &= !(libc::ICANON | libc::ECHO);
    t.c_cc[libc::VMIN] = 1;
    t.c_cc[libc::VTIME] = 0;
    // SAFETY: t is a valid termios obtained above.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) } != 0 {
        return None;
    }
    *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(saved);
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        use std::io::Read;
        let mut b = [0u8; 1];
        while let Ok(1) = std::io::stdin().read(&mut b) {
            if tx.blocking_send(b[0]).is_err() {
                break;
            }
        }
    });
    Some(rx)
}

/// Put the terminal back as it was.
pub fn restore_terminal() {
    if let Some(t) = SAVED.lock().unwrap_or_else(|e| e.into_inner()).take() {
        // SAFETY: t was read from this terminal by tcgetattr.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t);
        }
    }
}
