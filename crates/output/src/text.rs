//! Small text helpers shared by the formats.

use chrono::{DateTime, Local};
use nmaps_model::{Host, RunStats};
use std::time::{Duration, SystemTime};

/// `ctime(3)` style local time without the newline: `Sun Nov 29 04:20:53 2026`.
pub fn format_ctime(t: SystemTime) -> String {
    DateTime::<Local>::from(t)
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// Joins argv as Nmap does for `as: …` and `args="…"`: arguments are
/// separated by one space; an argument containing white space is put in
/// double quotes, and `"` and `\` inside it are escaped with a backslash.
pub fn join_args(args: &[String]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let mut quoted = String::with_capacity(arg.len());
        let mut space = false;
        for c in arg.chars() {
            // C isspace(): space, \t, \n, \v, \f, \r.
            if matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r') {
                space = true;
            }
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        if space {
            out.push('"');
            out.push_str(&quoted);
            out.push('"');
        } else {
            out.push_str(&quoted);
        }
    }
    out
}

/// Formats `d` keeping `digits` significant digits, trailing zeros included
/// (`0.00020`), as Nmap prints latencies.
pub(crate) fn sig_digits(d: f64, digits: i32) -> String {
    let shift;
    let mut v = d;
    if d == 0.0 {
        shift = -digits;
    } else {
        shift = d.abs().log10().floor() as i32 - digits + 1;
        // powf, like C's pow(), so that halves round as in Nmap.
        let scale = 10f64.powf(f64::from(shift));
        v = (d / scale + 0.5).floor();
        v *= scale;
    }
    let prec = usize::try_from(-shift).unwrap_or(0);
    format!("{v:.prec$}")
}

/// `Host is up…` latency, e.g. `0.00020`.
pub(crate) fn latency(d: Duration) -> String {
    sig_digits(d.as_secs_f64(), 2)
}

/// Seconds as `%.2f`.
pub(crate) fn secs2(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

/// `1 IP address (1 host up) scanned in 0.11 seconds`.
pub(crate) fn done_counts(stats: &RunStats) -> String {
    format!(
        "{} {} ({} {} up) scanned in {} seconds",
        stats.hosts_total,
        if stats.hosts_total == 1 {
            "IP address"
        } else {
            "IP addresses"
        },
        stats.hosts_up,
        if stats.hosts_up == 1 { "host" } else { "hosts" },
        secs2(stats.elapsed)
    )
}

/// Nmap's `NameIP()`: `name (ip)` with the user's name, else the PTR name,
/// else just the address. Not escaped.
pub(crate) fn name_ip(host: &Host) -> String {
    match host.display_name() {
        Some(name) if !name.is_empty() => format!("{name} ({})", host.addr),
        _ => host.addr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sig_digits_like_nmap() {
        assert_eq!(sig_digits(0.000201, 2), "0.00020");
        assert_eq!(sig_digits(0.000178, 2), "0.00018");
        assert_eq!(sig_digits(0.0021, 2), "0.0021");
        assert_eq!(sig_digits(0.0, 2), "0.00");
        assert_eq!(sig_digits(1.234, 2), "1.2");
        assert_eq!(sig_digits(12.0, 2), "12");
        assert_eq!(sig_digits(123.0, 2), "120");
        // Values checked against Nmap's C routine, via microseconds as latencies.
        for (us, want) in [
            (225, "0.00022"),
            (995, "0.00099"),
            (999, "0.00100"),
            (1000, "0.0010"),
            (9950, "0.0100"),
            (99500, "0.100"),
            (123456, "0.12"),
        ] {
            assert_eq!(latency(Duration::from_micros(us)), want, "{us}");
        }
    }

    #[test]
    fn join_args_quotes_like_nmap() {
        let a: Vec<String> = ["nmap", "-p", "1 2", "a\"b", "c\\d", "x y\"z"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(join_args(&a), r#"nmap -p "1 2" a\"b c\\d "x y\"z""#);
    }
}
