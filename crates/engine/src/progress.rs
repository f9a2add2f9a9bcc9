//! Counters the command line reads to print status lines while a scan runs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Progress of the current phase, updated by the engine, read by anyone.
#[derive(Debug, Default)]
pub struct Progress {
    ports_total: AtomicU64,
    ports_done: AtomicU64,
    probes: AtomicU64,
    hosts_done: AtomicU64,
    hosts_up: AtomicU64,
    hosts_active: AtomicU64,
    /// Name of the port-scan technique running ("SYN Stealth Scan"…).
    task: std::sync::Mutex<&'static str>,
}

/// A consistent-enough copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// The scan technique running, as Nmap names it in status lines.
    pub task: &'static str,
    pub ports_total: u64,
    pub ports_done: u64,
    pub probes: u64,
    pub hosts_done: u64,
    pub hosts_up: u64,
    pub hosts_active: u64,
}

impl ProgressSnapshot {
    /// Fraction of the current port-scan work done, 0.0–1.0.
    pub fn fraction(&self) -> f64 {
        if self.ports_total == 0 {
            0.0
        } else {
            (self.ports_done as f64 / self.ports_total as f64).min(1.0)
        }
    }
}

impl Progress {
    pub fn add_ports(&self, n: u64) {
        self.ports_total.fetch_add(n, Ordering::Relaxed);
    }
    pub fn port_done(&self) {
        self.ports_done.fetch_add(1, Ordering::Relaxed);
    }
    pub fn probe_sent(&self) {
        self.probes.fetch_add(1, Ordering::Relaxed);
    }
    pub fn host_done(&self, up: bool) {
        self.hosts_done.fetch_add(1, Ordering::Relaxed);
        if up {
            self.hosts_up.fetch_add(1, Ordering::Relaxed);
        }
    }
    /// Ports that will not be probed any more (host timed out or cancelled).
    pub fn ports_skipped(&self, n: u64) {
        self.ports_done.fetch_add(n, Ordering::Relaxed);
    }
    /// A host's port scan started / ended.
    pub fn scan_started(&self) {
        self.hosts_active.fetch_add(1, Ordering::Relaxed);
    }
    pub fn scan_ended(&self) {
        self.hosts_active.fetch_sub(1, Ordering::Relaxed);
    }
    /// The port scan now running.
    pub fn set_task(&self, name: &'static str) {
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = name;
    }
    pub fn snapshot(&self) -> ProgressSnapshot {
        let task = *self.task.lock().unwrap_or_else(|e| e.into_inner());
        ProgressSnapshot {
            task: if task.is_empty() {
                "Connect Scan"
            } else {
                task
            },
            ports_total: self.ports_total.load(Ordering::Relaxed),
            ports_done: self.ports_done.load(Ordering::Relaxed),
            probes: self.probes.load(Ordering::Relaxed),
            hosts_done: self.hosts_done.load(Ordering::Relaxed),
            hosts_up: self.hosts_up.load(Ordering::Relaxed),
            hosts_active: self.hosts_active.load(Ordering::Relaxed),
        }
    }
}
