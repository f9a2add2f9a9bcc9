//! Timing: Nmap's `-T0`…`-T5` templates, the RTT estimator and pacing.
//!
//! Values follow Nmap's option parser; T3 holds the compiled-in defaults.

use std::time::Duration;

/// Every knob that controls how fast and how patiently a scan runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// The `-T` level, 0–5.
    pub level: u8,
    pub initial_rtt: Duration,
    pub min_rtt: Duration,
    pub max_rtt: Duration,
    /// Retransmissions allowed after the first probe.
    pub max_retries: u32,
    pub host_timeout: Option<Duration>,
    /// Minimum delay between two probes to one host.
    pub scan_delay: Duration,
    pub max_scan_delay: Duration,
    /// Probes per second, at least (best effort) / at most.
    pub min_rate: Option<f64>,
    pub max_rate: Option<f64>,
    pub min_parallelism: u32,
    /// Upper bound on probes in flight (`--max-parallelism`); `None` = adaptive.
    pub max_parallelism: Option<u32>,
    pub min_hostgroup: u32,
    pub max_hostgroup: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Self::template(3)
    }
}

impl Timing {
    /// The values a `-T<level>` template sets (levels above 5 are treated as 5).
    pub fn template(level: u8) -> Self {
        let ms = Duration::from_millis;
        let mut t = Self {
            level: level.min(5),
            initial_rtt: ms(1000),
            min_rtt: ms(100),
            max_rtt: ms(10_000),
            max_retries: 10,
            host_timeout: None,
            scan_delay: Duration::ZERO,
            max_scan_delay: ms(1000),
            min_rate: None,
            max_rate: None,
            min_parallelism: 1,
            max_parallelism: None,
            min_hostgroup: 1,
            max_hostgroup: 100_000,
        };
        match t.level {
            0 => {
                t.max_parallelism = Some(1);
                t.scan_delay = Duration::from_secs(300);
                t.initial_rtt = Duration::from_secs(300);
                t.max_rtt = Duration::from_secs(300);
            }
            1 => {
                t.max_parallelism = Some(1);
                t.scan_delay = Duration::from_secs(15);
                t.initial_rtt = Duration::from_secs(15);
                t.max_rtt = Duration::from_secs(15);
            }
            2 => {
                t.max_parallelism = Some(1);
                t.scan_delay = ms(400);
            }
            4 => {
                t.initial_rtt = ms(500);
                t.max_rtt = ms(1250);
                t.max_retries = 6;
                t.max_scan_delay = ms(10);
            }
            5 => {
                t.initial_rtt = ms(250);
                t.min_rtt = ms(50);
                t.max_rtt = ms(300);
                t.max_retries = 2;
                t.max_scan_delay = ms(5);
                t.host_timeout = Some(Duration::from_secs(900));
            }
            _ => {}
        }
        t
    }
}

/// Smoothed round-trip time, as TCP computes it (RFC 6298 gains 1/8 and 1/4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    min: Duration,
    max: Duration,
    initial: Duration,
}

impl RttEstimator {
    pub fn new(timing: &Timing) -> Self {
        Self {
            srtt: None,
            rttvar: Duration::ZERO,
            min: timing.min_rtt,
            max: timing.max_rtt.max(timing.min_rtt),
            initial: timing.initial_rtt,
        }
    }

    /// Feed one measured round trip (only from probes that were not retransmitted).
    pub fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = (rtt / 2).max(Duration::from_micros(5));
            }
            Some(srtt) => {
                let err = srtt.abs_diff(rtt);
                self.rttvar = self.rttvar - self.rttvar / 4 + err / 4;
                self.srtt = Some(srtt - srtt / 8 + rtt / 8);
            }
        }
    }

    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }

    /// How long to wait for an answer: srtt + 4·rttvar clamped to [min, max];
    /// the initial timeout until the first sample.
    pub fn timeout(&self) -> Duration {
        match self.srtt {
            None => self.initial.clamp(self.min, self.max.max(self.initial)),
            Some(srtt) => (srtt + self.rttvar * 4).clamp(self.min, self.max),
        }
    }
}

/// Spaces events at a minimum interval (`--max-rate`, `--scan-delay`), as a
/// generic cell-rate algorithm: a burst of up to `burst` events may go at
/// once, so high rates do not depend on the timer's millisecond resolution.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    /// How far ahead of schedule events may run: (burst − 1) intervals.
    tolerance: Duration,
    /// When the next event is due if we were exactly on schedule.
    tat: Option<tokio::time::Instant>,
}

impl Pacer {
    /// One event per `interval`, no bursts (`--scan-delay`).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            tolerance: Duration::ZERO,
            tat: None,
        }
    }

    /// A pacer that allows `rate` events per second, in bursts of at most
    /// 10 ms worth of events.
    pub fn per_second(rate: f64) -> Self {
        if !(rate > 0.0 && rate.is_finite()) {
            return Self::new(Duration::ZERO);
        }
        let interval =
            Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::from_secs(86_400));
        let burst = (rate * 0.010).floor().max(1.0) as u32;
        Self {
            interval,
            tolerance: interval * (burst - 1),
            tat: None,
        }
    }

    /// The interval between events.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Change the interval from the next event on (a scan-delay boost).
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    /// When the next event may happen, or `None` if it may happen now.
    pub fn wait_until(&self, now: tokio::time::Instant) -> Option<tokio::time::Instant> {
        let tat = self.tat?;
        let allowed = tat.checked_sub(self.tolerance).unwrap_or(tat);
        (allowed > now).then_some(allowed)
    }

    /// Record that an event happened at `now`.
    pub fn taken(&mut self, now: tokio::time::Instant) {
        if self.interval.is_zero() {
            return;
        }
        // An idle period does not bank credit beyond the burst.
        let base = self.tat.filter(|&t| t > now).unwrap_or(now);
        self.tat = Some(base + self.interval);
    }
}

/// Parse an Nmap time value: a number with an optional `ms`, `s`, `m` or `h` suffix
/// (bare numbers are seconds).
pub fn parse_time(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v: f64 = num.parse().ok()?;
    let secs = v * mult;
    if !secs.is_finite() || !(0.0..=1.0e9).contains(&secs) {
        return None;
    }
    Some(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_nmap() {
        let t4 = Timing::template(4);
        assert_eq!(t4.initial_rtt, Duration::from_millis(500));
        assert_eq!(t4.max_rtt, Duration::from_millis(1250));
        assert_eq!(t4.max_retries, 6);
        let t5 = Timing::template(5);
        assert_eq!(t5.min_rtt, Duration::from_millis(50));
        assert_eq!(t5.host_timeout, Some(Duration::from_secs(900)));
        assert_eq!(Timing::template(2).scan_delay, Duration::from_millis(400));
        assert_eq!(Timing::template(0).max_parallelism, Some(1));
        assert_eq!(Timing::template(3), Timing::default());
    }

    #[test]
    fn time_values() {
        let cases = [
            ("500ms", Some(500)),
            ("2s", Some(2000)),
            ("2", Some(2000)),
            ("1.5m", Some(90_000)),
            ("1h", Some(3_600_000)),
            ("", None),
            ("ms", None),
            ("-1", None),
            ("1x", None),
            ("1e400", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_time(text).map(|d| d.as_millis() as u64),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn rtt_estimator_clamps_and_converges() {
        let t = Timing::default();
        let mut e = RttEstimator::new(&t);
        assert_eq!(e.timeout(), Duration::from_secs(1));
        for _ in 0..50 {
            e.sample(Duration::from_micros(200));
        }
        assert_eq!(e.timeout(), t.min_rtt);
        let s = e.srtt().unwrap();
        assert!(s >= Duration::from_micros(190) && s <= Duration::from_micros(210));
        e.sample(Duration::from_secs(60));
        assert_eq!(e.timeout(), t.max_rtt);
    }

    #[test]
    fn pacer_spaces_events() {
        let start = tokio::time::Instant::now();
        let mut p = Pacer::per_second(10.0);
        assert_eq!(p.wait_until(start), None);
        p.taken(start);
        assert_eq!(
            p.wait_until(start),
            Some(start + Duration::from_millis(100))
        );
        // After a long idle period, only one interval of credit.
        let later = start + Duration::from_secs(10);
        assert_eq!(p.wait_until(later), None);
        p.taken(later);
        assert_eq!(
            p.wait_until(later),
            Some(later + Duration::from_millis(100))
        );
    }
}
