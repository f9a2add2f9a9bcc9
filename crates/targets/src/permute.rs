//! Reproducible port scan order.
//!
//! Nmap scans ports in random order unless `-r` is given: it shuffles each
//! protocol's list (Fisher–Yates) and then, for TCP only, pulls a fixed set
//! of popular ports to the front. The popular ports keep the relative order
//! the shuffle gave them; each one found is swapped with the element at the
//! next front position. nmaps does the same with its own seeded PRNG
//! (splitmix64), so a given seed always yields the same order.

use nmaps_model::Protocol;

/// The TCP ports Nmap moves to the front of a randomized scan order: the 25
/// most often open TCP ports (as of 2008) plus 113, 554 and 256.
pub const POPULAR_TCP_PORTS: [u16; 28] = [
    80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723, 111, 995, 993,
    5900, 1025, 587, 8888, 199, 1720, 113, 554, 256,
];

/// A small deterministic PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform value in `0..bound` (`bound` > 0), without modulo bias.
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let bound = bound.max(1);
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % bound;
            }
        }
    }
}

/// Shuffle in place (Fisher–Yates, from the end, as Nmap's `shortfry`).
pub fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// Move [`POPULAR_TCP_PORTS`] to the front, Nmap's way: walk the list and
/// swap each popular port into the next front slot.
pub fn popular_ports_first(ports: &mut [u16]) {
    let mut front = 0;
    for i in 0..ports.len() {
        if POPULAR_TCP_PORTS.contains(&ports[i]) {
            ports.swap(i, front);
            front += 1;
        }
    }
}

/// TCP scan order: with `randomize`, a seeded shuffle followed by
/// [`popular_ports_first`]; without (`-r`), ascending. The same seed always
/// gives the same order.
pub fn scan_order(ports: &[u16], seed: u64, randomize: bool) -> Vec<u16> {
    scan_order_for(Protocol::Tcp, ports, seed, randomize)
}

/// Scan order for any protocol: as [`scan_order`], but the popular-port
/// adjustment is applied to TCP only (UDP, SCTP and IP protocol lists are
/// just shuffled), matching Nmap.
pub fn scan_order_for(proto: Protocol, ports: &[u16], seed: u64, randomize: bool) -> Vec<u16> {
    let mut out = ports.to_vec();
    if !randomize {
        out.sort_unstable();
        return out;
    }
    // Start from a canonical order so the result depends only on the set
    // of ports and the seed.
    out.sort_unstable();
    let mut rng = SplitMix64::new(seed);
    shuffle(&mut out, &mut rng);
    if proto == Protocol::Tcp {
        popular_ports_first(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_is_sorted() {
        assert_eq!(scan_order(&[5, 1, 3], 9, false), vec![1, 3, 5]);
    }

    #[test]
    fn same_seed_same_order() {
        let ports: Vec<u16> = (1..=1000).collect();
        let a = scan_order(&ports, 42, true);
        let b = scan_order(&ports, 42, true);
        let c = scan_order(&ports, 43, true);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut s = a.clone();
        s.sort_unstable();
        assert_eq!(s, ports);
    }

    #[test]
    fn popular_ports_lead_in_shuffled_order() {
        let ports: Vec<u16> = (1..=10000).collect();
        let order = scan_order(&ports, 7, true);
        let n = POPULAR_TCP_PORTS.len();
        let mut head = order[..n].to_vec();
        head.sort_unstable();
        let mut want = POPULAR_TCP_PORTS.to_vec();
        want.sort_unstable();
        assert_eq!(head, want);
        assert!(order[n..].iter().all(|p| !POPULAR_TCP_PORTS.contains(p)));
        // Relative order of popular ports follows the shuffle.
        let mut rng = SplitMix64::new(7);
        let mut shuffled = ports.clone();
        shuffle(&mut shuffled, &mut rng);
        let pops: Vec<u16> = shuffled
            .iter()
            .copied()
            .filter(|p| POPULAR_TCP_PORTS.contains(p))
            .collect();
        assert_eq!(&order[..n], &pops[..]);
    }

    #[test]
    fn udp_has_no_popular_cheat() {
        let ports: Vec<u16> = (1..=10000).collect();
        let mut rng = SplitMix64::new(3);
        let mut want = ports.clone();
        shuffle(&mut want, &mut rng);
        assert_eq!(scan_order_for(Protocol::Udp, &ports, 3, true), want);
    }
}
