//! The scan's phases in XML: `<taskbegin>`, `<taskend>` and
//! `<taskprogress>`, as Nmap 7.93 writes them between the hosts.
//!
//! Nmap announces every phase it runs (a ping scan, the reverse DNS of a
//! host group, a port scan, the service scan, each NSE round) with a
//! `taskbegin`/`taskend` pair when `-v` is given, and writes a
//! `taskprogress` line whenever it prints a timing estimate
//! (`--stats-every`, a key press). Programs that drive the binary read
//! them: python3-nmap's `task_results` is the list of `taskend` elements,
//! libnmap follows `taskprogress` for its `progress`/`etc`. Each element is
//! one line, flushed at once, because those programs parse stdout line by
//! line while the scan runs.

use crate::epoch;
use crate::escape::xml_escape as x;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

/// Nmap's cap on a time estimate: ten days ("ETC: Unknown").
pub const MAX_ETA: Duration = Duration::from_secs(864_000);

/// One phase report.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// A phase starts.
    Begin {
        /// The phase's name (`"SYN Stealth Scan"`, `"NSE"`, …).
        name: String,
        time: SystemTime,
        /// What Nmap adds in parentheses; `None` for every phase nmaps runs.
        extrainfo: Option<String>,
    },
    /// That phase ended.
    End {
        name: String,
        time: SystemTime,
        /// `"2 total ports"`, `"1 total hosts"`, `"3 services on 1 host"`.
        extrainfo: Option<String>,
    },
    /// How far the current phase is.
    Progress {
        name: String,
        time: SystemTime,
        /// Done so far, 0.0–1.0.
        fraction: f64,
        /// Estimated time left; `None` before there is enough data (Nmap:
        /// below 1 % done), when only the percentage is written.
        remaining: Option<Duration>,
    },
}

/// The task's XML line, newline-terminated.
pub(crate) fn xml_line(task: &Task) -> String {
    let mut s = String::new();
    match task {
        Task::Begin {
            name,
            time,
            extrainfo,
        }
        | Task::End {
            name,
            time,
            extrainfo,
        } => {
            let tag = if matches!(task, Task::Begin { .. }) {
                "taskbegin"
            } else {
                "taskend"
            };
            let _ = write!(s, "<{tag} task=\"{}\" time=\"{}\"", x(name), epoch(*time));
            if let Some(info) = extrainfo {
                let _ = write!(s, " extrainfo=\"{}\"", x(info));
            }
        }
        Task::Progress {
            name,
            time,
            fraction,
            remaining,
        } => {
            // Nmap never claims 100 % for a phase still running.
            let percent = fraction.clamp(0.0, 0.9999) * 100.0;
            let _ = write!(
                s,
                "<taskprogress task=\"{}\" time=\"{}\" percent=\"{percent:.2}\"",
                x(name),
                epoch(*time)
            );
            if let Some(left) = remaining {
                let left = (*left).min(MAX_ETA);
                let _ = write!(s, " remaining=\"{}\"", left.as_secs());
                // No completion time for an estimate past the cap.
                if left < MAX_ETA {
                    let _ = write!(s, " etc=\"{}\"", epoch(*time + left));
                }
            }
        }
    }
    s.push_str("/>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn begin_and_end_as_nmap() {
        let b = Task::Begin {
            name: "SYN Stealth Scan".into(),
            time: at(1_795_956_579),
            extrainfo: None,
        };
        assert_eq!(
            xml_line(&b),
            "<taskbegin task=\"SYN Stealth Scan\" time=\"1795956579\"/>\n"
        );
        let e = Task::End {
            name: "Service scan".into(),
            time: at(1_795_956_586),
            extrainfo: Some("3 services on 2 hosts".into()),
        };
        assert_eq!(
            xml_line(&e),
            "<taskend task=\"Service scan\" time=\"1795956586\" extrainfo=\"3 services on 2 hosts\"/>\n"
        );
    }

    #[test]
    fn progress_with_and_without_estimate() {
        let p = Task::Progress {
            name: "Connect Scan".into(),
            time: at(100),
            fraction: 0.25,
            remaining: Some(Duration::from_secs(30)),
        };
        assert_eq!(
            xml_line(&p),
            "<taskprogress task=\"Connect Scan\" time=\"100\" percent=\"25.00\" remaining=\"30\" etc=\"130\"/>\n"
        );
        let early = Task::Progress {
            name: "UDP Scan".into(),
            time: at(100),
            fraction: 0.005,
            remaining: None,
        };
        assert_eq!(
            xml_line(&early),
            "<taskprogress task=\"UDP Scan\" time=\"100\" percent=\"0.50\"/>\n"
        );
        let stalled = Task::Progress {
            name: "UDP Scan".into(),
            time: at(100),
            fraction: 1.0,
            remaining: Some(Duration::from_secs(10_000_000)),
        };
        assert_eq!(
            xml_line(&stalled),
            "<taskprogress task=\"UDP Scan\" time=\"100\" percent=\"99.99\" remaining=\"864000\"/>\n"
        );
    }

    #[test]
    fn names_are_escaped() {
        let b = Task::Begin {
            name: "a<b>&\"c\"".into(),
            time: at(1),
            extrainfo: Some("x&y".into()),
        };
        assert_eq!(
            xml_line(&b),
            "<taskbegin task=\"a&lt;b&gt;&amp;&quot;c&quot;\" time=\"1\" extrainfo=\"x&amp;y\"/>\n"
        );
    }
}
