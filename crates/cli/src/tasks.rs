//! The engine's phase events as the output writers' task reports
//! (`<taskbegin>`, `<taskend>`, `<taskprogress>` in XML), named and
//! annotated as Nmap names its phases.

use nmaps_engine::Event;
use nmaps_engine::progress::Progress;
use nmaps_model::{Host, RunInfo, RunStats, ScriptResult};
use nmaps_output::{Multi, Task, Writer};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Nmap's name for the script engine's rounds.
pub(crate) const NSE: &str = "NSE";

/// `"Parallel DNS resolution of 2 hosts."`, Nmap's name for reverse DNS.
pub(crate) fn dns_task(hosts: usize) -> String {
    format!(
        "Parallel DNS resolution of {hosts} host{}.",
        if hosts == 1 { "" } else { "s" }
    )
}

/// What Nmap adds after a phase's end (`"2 total ports"`), if anything.
pub(crate) fn end_extrainfo(event: &Event) -> Option<String> {
    match event {
        Event::TaskEnd {
            task, hosts, ports, ..
        } => Some(if task.ends_with("Ping Scan") {
            format!("{hosts} total hosts")
        } else {
            format!("{ports} total ports")
        }),
        Event::StageEnd {
            task: "Script scan",
            ..
        } => None,
        Event::StageEnd { units, hosts, .. } => Some(stage_count(*units, *hosts)),
        _ => None,
    }
}

/// "3 services on 1 host", as Nmap counts a service scan.
pub(crate) fn stage_count(units: usize, hosts: usize) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "{units} service{} on {hosts} host{}",
        plural(units),
        plural(hosts)
    )
}

/// The task report for an engine event, at `now`; `None` for events that
/// are no phase boundary (an open port).
pub(crate) fn task_of(event: &Event, now: SystemTime) -> Option<Task> {
    let stage_name = |task: &'static str| {
        if task == "Script scan" {
            NSE.to_string()
        } else {
            task.to_string()
        }
    };
    let extrainfo = end_extrainfo(event);
    Some(match event {
        Event::TaskBegin { task, .. } => Task::Begin {
            name: task.to_string(),
            time: now,
            extrainfo: None,
        },
        Event::StageBegin { task, .. } => Task::Begin {
            name: stage_name(task),
            time: now,
            extrainfo: None,
        },
        Event::DnsBegin { hosts } => Task::Begin {
            name: dns_task(*hosts),
            time: now,
            extrainfo: None,
        },
        Event::TaskEnd { task, .. } => Task::End {
            name: task.to_string(),
            time: now,
            extrainfo,
        },
        Event::StageEnd { task, .. } => Task::End {
            name: stage_name(task),
            time: now,
            extrainfo,
        },
        Event::DnsEnd { hosts, .. } => Task::End {
            name: dns_task(*hosts),
            time: now,
            extrainfo: None,
        },
        Event::OpenPort { .. } => return None,
    })
}

/// The progress report printed with a timing estimate: the port-scan
/// technique running, how far the run's port scanning is, and the time
/// left at the rate so far. `None` before the first port scan starts.
pub(crate) fn progress_task(progress: &Progress, started: Instant) -> Option<Task> {
    let p = progress.snapshot();
    if p.task.is_empty() || p.ports_total == 0 {
        return None;
    }
    let f = p.fraction();
    // Below 1 % the rate says nothing yet: Nmap writes the percentage only.
    let remaining = (f >= 0.01).then(|| {
        let elapsed = started.elapsed().as_secs_f64();
        Duration::from_secs_f64((elapsed * (1.0 - f) / f).min(nmaps_output::MAX_ETA.as_secs_f64()))
    });
    Some(Task::Progress {
        name: p.task.to_string(),
        time: SystemTime::now(),
        fraction: f,
        remaining,
    })
}

/// The run's writers, shared by the scan (hosts, phase boundaries) and the
/// status task (progress reports, written while a phase runs).
#[derive(Clone)]
pub(crate) struct Locked(Arc<Mutex<Multi>>);

impl Locked {
    pub(crate) fn new(writers: Multi) -> Self {
        Self(Arc::new(Mutex::new(writers)))
    }

    fn get(&self) -> MutexGuard<'_, Multi> {
        // A panicking writer leaves nothing half-updated that matters here.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Writer for Locked {
    fn begin(&mut self, run: &RunInfo) -> io::Result<()> {
        self.get().begin(run)
    }
    fn host(&mut self, host: &Host) -> io::Result<()> {
        self.get().host(host)
    }
    fn prescan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        self.get().prescan_scripts(results)
    }
    fn postscan_scripts(&mut self, results: &[ScriptResult]) -> io::Result<()> {
        self.get().postscan_scripts(results)
    }
    fn task(&mut self, task: &Task) -> io::Result<()> {
        self.get().task(task)
    }
    fn end(&mut self, run: &RunInfo, stats: &RunStats) -> io::Result<()> {
        self.get().end(run, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_and_info(t: &Task) -> (&str, Option<&str>) {
        match t {
            Task::Begin {
                name, extrainfo, ..
            }
            | Task::End {
                name, extrainfo, ..
            } => (name, extrainfo.as_deref()),
            Task::Progress { name, .. } => (name, None),
        }
    }

    #[test]
    fn events_are_named_as_nmap_names_its_tasks() {
        let now = SystemTime::now();
        let cases = [
            (
                Event::TaskEnd {
                    task: "ARP Ping Scan",
                    elapsed: Duration::ZERO,
                    hosts: 8,
                    ports: 0,
                },
                ("ARP Ping Scan", Some("8 total hosts")),
            ),
            (
                Event::TaskEnd {
                    task: "Connect Scan",
                    elapsed: Duration::ZERO,
                    hosts: 2,
                    ports: 4,
                },
                ("Connect Scan", Some("4 total ports")),
            ),
            (
                Event::StageEnd {
                    task: "Service scan",
                    elapsed: Duration::ZERO,
                    units: 3,
                    hosts: 2,
                },
                ("Service scan", Some("3 services on 2 hosts")),
            ),
            (
                Event::StageEnd {
                    task: "Script scan",
                    elapsed: Duration::ZERO,
                    units: 3,
                    hosts: 1,
                },
                ("NSE", None),
            ),
            (
                Event::DnsBegin { hosts: 1 },
                ("Parallel DNS resolution of 1 host.", None),
            ),
            (
                Event::DnsEnd {
                    hosts: 4,
                    elapsed: Duration::ZERO,
                },
                ("Parallel DNS resolution of 4 hosts.", None),
            ),
        ];
        for (event, want) in cases {
            let t = task_of(&event, now).expect("a phase boundary");
            assert_eq!(name_and_info(&t), want, "{event:?}");
        }
        let open = Event::OpenPort {
            addr: "192.0.2.1".parse().unwrap(),
            port: 22,
            protocol: nmaps_model::Protocol::Tcp,
        };
        assert_eq!(task_of(&open, now), None);
    }

    #[test]
    fn progress_needs_a_running_scan_and_one_percent_for_an_estimate() {
        let p = Progress::default();
        p.set_task("UDP Scan");
        assert_eq!(progress_task(&p, Instant::now()), None);
        p.add_ports(1000);
        p.port_done();
        match progress_task(&p, Instant::now()) {
            Some(Task::Progress {
                name,
                fraction,
                remaining: None,
                ..
            }) => assert_eq!((name.as_str(), fraction), ("UDP Scan", 0.001)),
            other => panic!("{other:?}"),
        }
        for _ in 0..249 {
            p.port_done();
        }
        assert!(matches!(
            progress_task(&p, Instant::now()),
            Some(Task::Progress {
                remaining: Some(_),
                ..
            })
        ));
    }
}
