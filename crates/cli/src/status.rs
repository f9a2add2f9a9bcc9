//! Lines printed while a scan runs: `-v` phase messages and the status line
//! shown every `--stats-every` or when a key is pressed.

use crate::Out;
use crate::tasks::stage_count;
use nmaps_engine::Event;
use nmaps_engine::progress::Progress;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) fn clock() -> String {
    chrono::Local::now().format("%H:%M").to_string()
}

/// Text for a `-v` event, Nmap's wording.
pub fn event_text(event: &Event) -> String {
    match event {
        Event::TaskBegin { task, hosts, ports } => {
            let what = match hosts.as_slice() {
                [(addr, Some(name))] => {
                    format!("Scanning {name} ({addr}) [{ports} port{}]", plural(*ports))
                }
                [(addr, None)] => format!("Scanning {addr} [{ports} port{}]", plural(*ports)),
                many => format!(
                    "Scanning {} hosts [{ports} port{}/host]",
                    many.len(),
                    plural(*ports)
                ),
            };
            format!("Initiating {task} at {}\n{what}\n", clock())
        }
        Event::TaskEnd {
            task,
            elapsed,
            hosts,
            ports,
        } => {
            let total = if task.ends_with("Ping Scan") {
                format!("{hosts} total hosts")
            } else {
                format!("{ports} total ports")
            };
            format!(
                "Completed {task} at {}, {:.2}s elapsed ({total})\n",
                clock(),
                elapsed.as_secs_f64()
            )
        }
        // OS detection prints its own lines, per host and try.
        Event::StageBegin {
            task: "OS detection",
            ..
        }
        | Event::StageEnd {
            task: "OS detection",
            ..
        } => String::new(),
        Event::StageBegin {
            task: "Script scan",
            hosts,
            addr,
            ..
        } => {
            let what = match addr {
                Some(a) if *hosts == 1 => a.to_string(),
                _ => format!("{hosts} hosts"),
            };
            format!(
                "NSE: Script scanning {what}.\nInitiating NSE at {}\n",
                clock()
            )
        }
        Event::StageEnd {
            task: "Script scan",
            elapsed,
            ..
        } => format!(
            "Completed NSE at {}, {:.2}s elapsed\n",
            clock(),
            elapsed.as_secs_f64()
        ),
        Event::StageBegin {
            task, units, hosts, ..
        } => format!(
            "Initiating {task} at {}\nScanning {}\n",
            clock(),
            stage_count(*units, *hosts)
        ),
        Event::StageEnd {
            task,
            elapsed,
            units,
            hosts,
        } => format!(
            "Completed {task} at {}, {:.2}s elapsed ({})\n",
            clock(),
            elapsed.as_secs_f64(),
            stage_count(*units, *hosts)
        ),
        Event::DnsBegin { hosts } => {
            format!(
                "Initiating {} at {}\n",
                crate::tasks::dns_task(*hosts),
                clock()
            )
        }
        Event::DnsEnd { hosts, elapsed } => format!(
            "Completed {} at {}, {:.2}s elapsed\n",
            crate::tasks::dns_task(*hosts),
            clock(),
            elapsed.as_secs_f64()
        ),
        Event::OpenPort {
            addr,
            port,
            protocol,
        } => {
            format!(
                "Discovered open port {port}/{} on {addr}\n",
                protocol.as_str()
            )
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Nmap's two-line status report.
pub fn status_text(progress: &Progress, started: Instant) -> String {
    let p = progress.snapshot();
    let elapsed = started.elapsed();
    let mut s = format!(
        "Stats: {} elapsed; {} hosts completed ({} up), {} undergoing {}\n",
        hms(elapsed),
        p.hosts_done,
        p.hosts_up,
        p.hosts_active
            .saturating_sub(p.hosts_done.min(p.hosts_active)),
        p.task,
    );
    let f = p.fraction();
    if f > 0.0 {
        let remaining = Duration::from_secs_f64(elapsed.as_secs_f64() * (1.0 - f) / f);
        let etc = chrono::Local::now() + chrono::Duration::from_std(remaining).unwrap_or_default();
        s.push_str(&format!(
            "{} Timing: About {:.2}% done; ETC: {} ({} remaining)\n",
            p.task,
            f * 100.0,
            etc.format("%H:%M"),
            hms(remaining)
        ));
    }
    s
}

/// Print the status every `every`, and whenever a key is pressed on the
/// terminal: as text on `out` when it is the terminal's report (not when
/// stdout is an output file, `-oX -`), and as a progress report to the
/// writers (`<taskprogress>`).
pub fn spawn(
    progress: Arc<Progress>,
    every: Option<Duration>,
    keys: bool,
    mut out: Option<Out>,
    mut writers: crate::tasks::Locked,
    started: Instant,
) -> tokio::task::JoinHandle<()> {
    let mut presses = if keys { crate::keys::watch() } else { None };
    tokio::spawn(async move {
        let mut tick = every.map(tokio::time::interval);
        if let Some(t) = &mut tick {
            t.tick().await;
        }
        loop {
            let print = tokio::select! {
                _ = async { tick.as_mut().expect("guarded").tick().await }, if tick.is_some() => true,
                k = async { presses.as_mut().expect("guarded").recv().await }, if presses.is_some() => {
                    if k.is_none() { presses = None; }
                    k.is_some()
                }
                else => break,
            };
            if print {
                if let Some(out) = &mut out {
                    let _ = out.write_all(status_text(&progress, started).as_bytes());
                    let _ = out.flush();
                }
                if let Some(task) = crate::tasks::progress_task(&progress, started) {
                    // A failed write shows again at the run's end.
                    let _ = nmaps_output::Writer::task(&mut writers, &task);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn event_wording() {
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let t = event_text(&Event::TaskBegin {
            task: "Connect Scan",
            hosts: vec![(a, Some("localhost".into()))],
            ports: 65535,
        });
        assert!(
            t.ends_with("\nScanning localhost (127.0.0.1) [65535 ports]\n"),
            "{t}"
        );
        assert!(t.starts_with("Initiating Connect Scan at "));
        let t = event_text(&Event::OpenPort {
            addr: a,
            port: 22,
            protocol: nmaps_model::Protocol::Tcp,
        });
        assert_eq!(t, "Discovered open port 22/tcp on 127.0.0.1\n");
        let t = event_text(&Event::TaskBegin {
            task: "Ping Scan",
            hosts: vec![(a, None), (a, None)],
            ports: 2,
        });
        assert!(t.ends_with("Scanning 2 hosts [2 ports/host]\n"));
    }

    #[test]
    fn status_reports_progress() {
        let p = Progress::default();
        p.add_ports(200);
        for _ in 0..50 {
            p.port_done();
        }
        let s = status_text(&p, Instant::now());
        assert!(s.starts_with("Stats: 0:00:00 elapsed; 0 hosts completed (0 up)"));
        assert!(s.contains("About 25.00% done"), "{s}");
    }
}
