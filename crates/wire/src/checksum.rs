//! Internet checksums (RFC 1071), the IPv4/IPv6 pseudo-headers, incremental
//! update for patched templates (RFC 1624), and SCTP's CRC32c (RFC 4960
//! appendix B) and Adler-32 (RFC 2960, Nmap's `--adler32`).
//!
//! The one's-complement helpers work on *folded sums*, not on checksums:
//! [`data`] returns the folded sum of some bytes, sums are added with
//! [`combine`], and the checksum field is the complement of the total.
//!
//! ```
//! use nmaps_wire::checksum;
//! // An IPv4 header whose checksum field holds 0xb861 verifies to 0xffff.
//! let header = [
//!     0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
//!     0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
//! ];
//! assert_eq!(checksum::data(&header), 0xffff);
//! ```

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::ip::IpProtocol;

/// Folds a wide accumulator into 16 bits with end-around carry.
///
/// The result is zero only when every summed word was zero.
const fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The folded one's-complement sum of `bytes`, read as big-endian 16-bit
/// words; an odd trailing byte is padded with a zero byte.
pub fn data(bytes: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut chunks = bytes.chunks_exact(2);
    for word in &mut chunks {
        sum += u64::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u64::from(u16::from_be_bytes([*last, 0]));
    }
    fold(sum)
}

/// Adds folded sums together (one's-complement addition).
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u64::from(s)).sum())
}

/// The folded sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768).
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, length: u16) -> u16 {
    let proto: u8 = protocol.into();
    combine(&[
        data(&src.octets()),
        data(&dst.octets()),
        u16::from(proto),
        length,
    ])
}

/// The folded sum of the IPv6 pseudo-header (RFC 8200 §8.1).
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: IpProtocol, length: u32) -> u16 {
    let proto: u8 = next_header.into();
    combine(&[
        data(&src.octets()),
        data(&dst.octets()),
        (length >> 16) as u16,
        length as u16,
        u16::from(proto),
    ])
}

/// Patches a checksum after one 16-bit word changed from `old` to `new`,
/// with RFC 1624 equation 3: `HC' = ~(~HC + ~m + m')`.
///
/// The result equals a full recomputation whenever the covered data is not
/// all zeros afterwards (true for every real header: IPv4's version nibble,
/// the pseudo-header's protocol).
pub fn update(checksum: u16, old: u16, new: u16) -> u16 {
    !fold(u64::from(!checksum) + u64::from(!old) + u64::from(new))
}

/// Patches a checksum after the bytes `old` were replaced by `new` (same
/// length) at an *even* offset of the checksummed data. An odd length is
/// padded with a zero byte on both sides, which is exact at an even offset.
///
/// # Panics
/// Panics if `old` and `new` differ in length.
pub fn update_bytes(checksum: u16, old: &[u8], new: &[u8]) -> u16 {
    assert_eq!(old.len(), new.len(), "update_bytes: lengths differ");
    // Subtracting `old` is adding its complement: fold once per side.
    !combine(&[!checksum, !data(old), data(new)])
}

/// CRC32c lookup table (Castagnoli polynomial, reflected 0x82f63b78).
const CRC32C_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC32c of `bytes` (final value, already complemented).
///
/// SCTP stores this value least-significant byte first (RFC 4960
/// appendix B: the bytes go out in the order the reflected CRC is
/// computed), as `u32::to_le_bytes`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    crc32c_update(0, bytes)
}

/// Continues a CRC32c: `crc32c_update(crc32c(a), b) == crc32c(a ++ b)`
/// (and `crc32c_update(0, b) == crc32c(b)`).
pub fn crc32c_update(crc: u32, bytes: &[u8]) -> u32 {
    let mut state = !crc;
    for &b in bytes {
        state = CRC32C_TABLE[((state ^ u32::from(b)) & 0xff) as usize] ^ (state >> 8);
    }
    !state
}

/// Adler-32 of `bytes` (RFC 1950), used by SCTP before RFC 3309 and by
/// Nmap's `--adler32`; stored big-endian.
pub fn adler32(bytes: &[u8]) -> u32 {
    adler32_update(1, bytes)
}

/// Continues an Adler-32: `adler32_update(adler32(a), b) == adler32(a ++ b)`
/// (and `adler32_update(1, b) == adler32(b)`).
pub fn adler32_update(adler: u32, bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (adler & 0xffff, adler >> 16);
    // 5552 is the largest block for which `b` cannot overflow a u32.
    for block in bytes.chunks(5552) {
        for &x in block {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn crc32c_rfc3720_vectors() {
        // RFC 3720 B.4: the bytes as they appear on the wire.
        assert_eq!(crc32c(&[0u8; 32]).to_le_bytes(), [0xaa, 0x36, 0x91, 0x8a]);
        assert_eq!(
            crc32c(&[0xffu8; 32]).to_le_bytes(),
            [0x43, 0xab, 0xa8, 0x62]
        );
        let inc: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(crc32c(&inc).to_le_bytes(), [0x4e, 0x79, 0xdd, 0x46]);
        let dec: [u8; 32] = core::array::from_fn(|i| 31 - i as u8);
        assert_eq!(crc32c(&dec).to_le_bytes(), [0x5c, 0xdb, 0x3f, 0x11]);
    }

    #[test]
    fn streaming_matches_one_shot() {
        let data: Vec<u8> = (0..300u16).map(|i| (i * 7) as u8).collect();
        assert_eq!(
            crc32c_update(crc32c(&data[..100]), &data[100..]),
            crc32c(&data)
        );
        assert_eq!(
            adler32_update(adler32(&data[..13]), &data[13..]),
            adler32(&data)
        );
    }

    #[test]
    fn adler32_vector() {
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn update_matches_recompute() {
        let mut header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let before = !data(&header);
        assert_eq!(before, 0xb861);
        header[8] = 0x3f; // TTL 64 -> 63
        let patched = update(before, 0x4011, 0x3f11);
        assert_eq!(patched, !data(&header));
        assert_eq!(update_bytes(before, &[0x40, 0x11], &[0x3f, 0x11]), patched);
    }

    #[test]
    fn odd_length_pads() {
        assert_eq!(data(&[0x01]), 0x0100);
        assert_eq!(data(&[0xff, 0xff, 0x00, 0x01]), 0x0001);
        assert_eq!(data(&[]), 0);
    }
}
