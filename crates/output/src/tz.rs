//! The local time-zone abbreviation (`%Z`), which chrono does not provide.
//!
//! Looked up like the C library does: `$TZ` (a zoneinfo file, or a POSIX
//! rule such as `EST5EDT`), else `/etc/localtime`. Falls back to `UTC` for a
//! zero offset and to a numeric `+hhmm` otherwise.

use chrono::{DateTime, Local, Offset};
use std::path::PathBuf;

pub(crate) fn abbreviation(t: &DateTime<Local>) -> String {
    let offset = t.offset().fix().local_minus_utc();
    let epoch = t.timestamp();
    let from_env = std::env::var("TZ").ok().filter(|s| !s.is_empty());
    let found = match from_env.as_deref() {
        Some(tz) => {
            let name = tz.strip_prefix(':').unwrap_or(tz);
            let path = if name.starts_with('/') {
                PathBuf::from(name)
            } else {
                PathBuf::from("/usr/share/zoneinfo").join(name)
            };
            std::fs::read(&path)
                .ok()
                .and_then(|data| from_tzif(&data, epoch, offset))
                .or_else(|| from_posix_rule(name, offset))
        }
        None => std::fs::read("/etc/localtime")
            .ok()
            .and_then(|data| from_tzif(&data, epoch, offset)),
    };
    found.unwrap_or_else(|| numeric(offset))
}

fn numeric(offset: i32) -> String {
    if offset == 0 {
        return "UTC".to_string();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
}

fn be32(d: &[u8], at: usize) -> Option<i64> {
    let b = d.get(at..at + 4)?;
    Some(i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])))
}

/// Reads the abbreviation in effect at `epoch` from a TZif file (its
/// version 1 block), checking that it agrees with `offset`.
fn from_tzif(d: &[u8], epoch: i64, offset: i32) -> Option<String> {
    if d.get(0..4)? != b"TZif" {
        return None;
    }
    let count = |i: usize| be32(d, 20 + 4 * i).and_then(|v| usize::try_from(v).ok());
    let (_isut, _isstd, _leap) = (count(0)?, count(1)?, count(2)?);
    let (timecnt, typecnt, charcnt) = (count(3)?, count(4)?, count(5)?);
    let times = 44;
    let idxs = times + 4 * timecnt;
    let types = idxs + timecnt;
    let chars = types + 6 * typecnt;
    let ttinfo = |i: usize| -> Option<(i64, usize)> {
        let at = types + 6 * i;
        Some((be32(d, at)?, usize::from(*d.get(at + 5)?)))
    };
    let abbr = |at: usize| -> Option<String> {
        let bytes = d.get(chars + at..chars + charcnt)?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let s = std::str::from_utf8(&bytes[..end]).ok()?;
        (!s.is_empty()).then(|| s.to_string())
    };
    // The type in effect: that of the last transition at or before `epoch`.
    let mut current = None;
    for i in 0..timecnt {
        if be32(d, times + 4 * i)? <= epoch {
            current = Some(usize::from(*d.get(idxs + i)?));
        }
    }
    if let Some((off, at)) = current.and_then(ttinfo)
        && off == i64::from(offset)
    {
        return abbr(at);
    }
    // Otherwise any type with the right offset (e.g. after 2038 in v1 data).
    (0..typecnt)
        .rev()
        .filter_map(ttinfo)
        .find(|&(off, _)| off == i64::from(offset))
        .and_then(|(_, at)| abbr(at))
}

/// Reads the names of a POSIX TZ rule (`EST5EDT,M3.2.0,M11.1.0`, `<+03>-3`):
/// the standard name, or the daylight name when the offset is not standard.
fn from_posix_rule(rule: &str, offset: i32) -> Option<String> {
    fn name(s: &str) -> Option<(&str, &str)> {
        if let Some(rest) = s.strip_prefix('<') {
            let end = rest.find('>')?;
            return Some((&rest[..end], &rest[end + 1..]));
        }
        let end = s
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(s.len());
        (end >= 3).then(|| (&s[..end], &s[end..]))
    }
    let (std_name, rest) = name(rule)?;
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | ':')))
        .unwrap_or(rest.len());
    let std_off: i32 = {
        let spec = &rest[..num_end];
        let (neg, spec) = match spec.strip_prefix('-') {
            Some(s) => (true, s),
            None => (false, spec.strip_prefix('+').unwrap_or(spec)),
        };
        let mut parts = spec.split(':').map(|p| p.parse::<i32>().unwrap_or(0));
        let secs = parts.next().unwrap_or(0) * 3600
            + parts.next().unwrap_or(0) * 60
            + parts.next().unwrap_or(0);
        // POSIX offsets are west-positive.
        if neg { secs } else { -secs }
    };
    if std_off == offset {
        return Some(std_name.to_string());
    }
    name(&rest[num_end..]).map(|(dst, _)| dst.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_rules() {
        assert_eq!(from_posix_rule("UTC0", 0).as_deref(), Some("UTC"));
        assert_eq!(
            from_posix_rule("EST5EDT,M3.2.0,M11.1.0", -5 * 3600).as_deref(),
            Some("EST")
        );
        assert_eq!(
            from_posix_rule("EST5EDT,M3.2.0,M11.1.0", -4 * 3600).as_deref(),
            Some("EDT")
        );
        assert_eq!(from_posix_rule("<+03>-3", 3 * 3600).as_deref(), Some("+03"));
        assert_eq!(numeric(0), "UTC");
        assert_eq!(numeric(-(5 * 3600 + 1800)), "-0530");
    }

    #[test]
    fn tzif_files() {
        let Ok(data) = std::fs::read("/usr/share/zoneinfo/America/New_York") else {
            return;
        };
        // 2026-01-15 and 2026-07-15, 12:00 UTC.
        assert_eq!(
            from_tzif(&data, 1_768_478_400, -5 * 3600).as_deref(),
            Some("EST")
        );
        assert_eq!(
            from_tzif(&data, 1_784_116_800, -4 * 3600).as_deref(),
            Some("EDT")
        );
        assert_eq!(from_tzif(b"nope", 0, 0), None);
    }
}
