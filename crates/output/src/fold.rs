//! Which port states are folded into "Not shown" / `<extraports>`.
//!
//! The rules follow Nmap's `PortList::isIgnoredState`, `nextIgnoredState`
//! and the reason summary of `portreasons.cc`, including its ordering of
//! reasons with equal counts.

use nmaps_model::{Port, PortState, Protocol, Reason, RunInfo, ScanType};

/// Ports of one ignored state that share a reason and a protocol.
#[derive(Debug, Clone)]
pub(crate) struct ReasonGroup {
    pub reason: Reason,
    pub proto: Protocol,
    pub ports: Vec<u16>,
}

/// One folded state.
#[derive(Debug, Clone)]
pub(crate) struct Ignored {
    pub state: PortState,
    pub count: usize,
    pub reasons: Vec<ReasonGroup>,
}

/// A host's ports split into folded states and shown ports.
#[derive(Debug)]
pub(crate) struct Folded<'a> {
    /// Folded states, most ports first.
    pub ignored: Vec<Ignored>,
    /// Ports to list, in protocol then port order.
    pub shown: Vec<&'a Port>,
    pub total: usize,
}

impl Folded<'_> {
    pub(crate) fn all_ignored(&self) -> bool {
        self.shown.is_empty()
    }
}

/// Nmap's internal state numbers, which break ties between states.
fn state_num(s: PortState) -> u8 {
    match s {
        PortState::Closed => 1,
        PortState::Open => 2,
        PortState::Filtered => 3,
        PortState::Unfiltered => 6,
        PortState::OpenFiltered => 7,
        PortState::ClosedFiltered => 8,
    }
}

fn is_ipproto_scan(run: &RunInfo) -> bool {
    run.scan_info
        .iter()
        .any(|s| s.scan_type == ScanType::IpProto)
}

/// Whether `state`, with `count` ports, is folded.
pub(crate) fn is_ignored(run: &RunInfo, state: PortState, count: usize) -> bool {
    if run.debugging > 2 || state == PortState::Open {
        return false;
    }
    if state == PortState::OpenFiltered && run.verbose > 2 {
        return false;
    }
    if run.open_only
        && !matches!(state, PortState::OpenFiltered | PortState::Unfiltered)
        && count > 0
    {
        return true;
    }
    let mut max: usize = 25;
    if run.verbose > 0 || run.debugging > 0 {
        let d = usize::from(run.debugging) * if is_ipproto_scan(run) { 3 } else { 20 };
        max *= usize::from(run.verbose) + 1 + d;
    }
    count > max
}

/// Whether a host has ports that `--open` keeps.
pub(crate) fn has_open_ports(ports: &[Port]) -> bool {
    ports.iter().any(|p| p.state.is_openish())
}

/// Sorts groups by descending count exactly as Nmap's linked-list merge sort
/// does (bottom-up, taking the right-hand element on ties).
fn nmap_merge_sort(counts: &[usize]) -> Vec<usize> {
    let n = counts.len();
    let mut list: Vec<usize> = (0..n).collect();
    let mut insize = 1;
    loop {
        let mut out = Vec::with_capacity(n);
        let mut merges = 0;
        let mut p = 0;
        while p < n {
            merges += 1;
            let pend = (p + insize).min(n);
            let qend = (pend + insize).min(n);
            let (mut i, mut j) = (p, pend);
            while i < pend || j < qend {
                let take_left = if i == pend {
                    false
                } else if j == qend {
                    true
                } else {
                    counts[list[j]] < counts[list[i]]
                };
                if take_left {
                    out.push(list[i]);
                    i += 1;
                } else {
                    out.push(list[j]);
                    j += 1;
                }
            }
            p = qend;
        }
        list = out;
        if merges <= 1 {
            return list;
        }
        insize *= 2;
    }
}

/// Reason groups of the ports in `state`, in Nmap's order.
fn reason_summary(ports: &[&Port], state: PortState) -> Vec<ReasonGroup> {
    // Nmap's list starts with an empty head entry that takes part in the sort.
    let mut groups: Vec<Option<ReasonGroup>> = vec![None];
    for p in ports.iter().filter(|p| p.state == state) {
        let found = groups
            .iter_mut()
            .flatten()
            .find(|g| g.reason == p.reason && g.proto == p.protocol);
        match found {
            Some(g) => g.ports.push(p.number),
            None => groups.push(Some(ReasonGroup {
                reason: p.reason,
                proto: p.protocol,
                ports: vec![p.number],
            })),
        }
    }
    let counts: Vec<usize> = groups
        .iter()
        .map(|g| g.as_ref().map_or(0, |g| g.ports.len()))
        .collect();
    nmap_merge_sort(&counts)
        .into_iter()
        .filter_map(|i| groups[i].take())
        .collect()
}

/// Splits a host's ports.
pub(crate) fn fold<'a>(run: &RunInfo, ports: &'a [Port]) -> Folded<'a> {
    let mut sorted: Vec<&Port> = ports.iter().collect();
    sorted.sort_by_key(|p| (p.protocol, p.number));

    let count_of = |s: PortState| sorted.iter().filter(|p| p.state == s).count();
    let mut states: Vec<(PortState, usize)> = PortState::ALL
        .iter()
        .map(|&s| (s, count_of(s)))
        .filter(|&(s, c)| is_ignored(run, s, c))
        .collect();
    // Most ports first; ties by Nmap's state number.
    states.sort_by_key(|&(s, c)| (std::cmp::Reverse(c), state_num(s)));

    let ignored: Vec<Ignored> = states
        .iter()
        .map(|&(state, count)| Ignored {
            state,
            count,
            reasons: reason_summary(&sorted, state),
        })
        .collect();
    let shown = sorted
        .iter()
        .copied()
        .filter(|p| !states.iter().any(|&(s, _)| s == p.state))
        .collect();
    Folded {
        ignored,
        shown,
        total: ports.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sort_matches_nmap_tie_order() {
        // head(0), A(3), B(3): Nmap yields B, A, head.
        assert_eq!(nmap_merge_sort(&[0, 3, 3]), vec![2, 1, 0]);
        // head, no-response(11), host-unreach(3) (t8).
        assert_eq!(nmap_merge_sort(&[0, 11, 3]), vec![1, 2, 0]);
        assert_eq!(nmap_merge_sort(&[0]), vec![0]);
        assert_eq!(nmap_merge_sort(&[0, 1, 5, 2, 5]).len(), 5);
    }
}
