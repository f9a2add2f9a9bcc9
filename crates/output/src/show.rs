//! Which hosts a report shows, and how (Nmap's `nmap.cc` main loop).

use crate::fold::has_open_ports;
use nmaps_model::{Host, RunInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    /// Not written at all.
    Hidden,
    /// `-sL`: name and address only.
    Listed,
    /// `-sn` without scripts: status only (the host may be down, shown
    /// with `-v`).
    Pinged,
    /// Port scan of a host that is down (shown with `-v`).
    Down,
    /// Port scan stopped by `--host-timeout`.
    TimedOut,
    /// A full port-scan report (also for a host that is up under `-sn`
    /// with scripts: no ports then, but host scripts).
    Scanned,
}

pub(crate) fn classify(run: &RunInfo, host: &Host) -> Shown {
    let verbose_down = run.verbose > 0 && !run.open_only;
    if run.list_scan {
        Shown::Listed
    } else if run.ping_only && !run.script_scan {
        if host.is_up() || verbose_down {
            Shown::Pinged
        } else {
            Shown::Hidden
        }
    } else if !host.is_up() {
        if verbose_down {
            Shown::Down
        } else {
            Shown::Hidden
        }
    } else if host.timed_out {
        Shown::TimedOut
    } else if run.open_only && !has_open_ports(&host.ports) {
        Shown::Hidden
    } else {
        Shown::Scanned
    }
}
