//! SCTP (RFC 9260): a 12-byte common header, then chunks, each a
//! type/flags/length header and a value padded to four bytes.
//!
//! Chunks are kept raw in the packet and walked with [`ChunkIter`]; the
//! ones a scanner sends or answers (INIT, INIT-ACK, COOKIE-ECHO, ABORT) are
//! decoded by [`ChunkRepr`], every other type is kept whole. The checksum
//! is CRC32c (RFC 3309), or Adler-32 for peers that still use RFC 2960's
//! (Nmap's `--adler32`).

use crate::checksum;
use crate::{Error, Result, be16, be32, set_be16, set_be32};

enum_with_unknown! {
    /// Chunk type.
    pub enum ChunkType(u8) {
        Data = 0,
        Init = 1,
        InitAck = 2,
        Sack = 3,
        Heartbeat = 4,
        HeartbeatAck = 5,
        Abort = 6,
        Shutdown = 7,
        ShutdownAck = 8,
        Error = 9,
        CookieEcho = 10,
        CookieAck = 11,
        ShutdownComplete = 14,
    }
}

/// Which checksum algorithm the packet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecksumKind {
    /// CRC32c (RFC 3309), the standard.
    #[default]
    Crc32c,
    /// Adler-32 (RFC 2960), Nmap's `--adler32`.
    Adler32,
}

mod field {
    use crate::field::Field;

    pub(crate) const SRC_PORT: Field = 0..2;
    pub(crate) const DST_PORT: Field = 2..4;
    pub(crate) const VERIFICATION_TAG: Field = 4..8;
    pub(crate) const CHECKSUM: Field = 8..12;
    pub(crate) const CHUNKS: usize = CHECKSUM.end;

    pub(crate) const CHUNK_TYPE: usize = 0;
    pub(crate) const CHUNK_FLAGS: usize = 1;
    pub(crate) const CHUNK_LENGTH: Field = 2..4;
    pub(crate) const CHUNK_VALUE: usize = CHUNK_LENGTH.end;

    // INIT and INIT-ACK values, relative to the chunk start.
    pub(crate) const INIT_TAG: Field = 4..8;
    pub(crate) const INIT_A_RWND: Field = 8..12;
    pub(crate) const INIT_OUT_STREAMS: Field = 12..14;
    pub(crate) const INIT_IN_STREAMS: Field = 14..16;
    pub(crate) const INIT_TSN: Field = 16..20;
    pub(crate) const INIT_PARAMS: usize = INIT_TSN.end;
}

/// Length of the common header.
pub const HEADER_LEN: usize = field::CHUNKS;
/// Length of a chunk header.
pub const CHUNK_HEADER_LEN: usize = field::CHUNK_VALUE;
/// Length of an INIT or INIT-ACK chunk without parameters.
pub const INIT_CHUNK_LEN: usize = field::INIT_PARAMS;
/// The T bit of ABORT: the verification tag is the sender's own.
pub const ABORT_FLAG_T: u8 = 0x01;

/// A read/write view of an SCTP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer, checking it with [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// The gate: a whole common header. Chunks are checked as they are
    /// walked.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::SRC_PORT])
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::DST_PORT])
    }

    /// Verification tag.
    pub fn verification_tag(&self) -> u32 {
        be32(&self.buffer.as_ref()[field::VERIFICATION_TAG])
    }

    /// The checksum field as it appears on the wire (CRC32c is stored
    /// least-significant byte first, so read it with `to_le_bytes`).
    pub fn checksum_bytes(&self) -> [u8; 4] {
        let b = &self.buffer.as_ref()[field::CHECKSUM];
        [b[0], b[1], b[2], b[3]]
    }

    /// The raw chunk bytes.
    pub fn chunks(&self) -> &[u8] {
        &self.buffer.as_ref()[field::CHUNKS..]
    }

    /// Walks the chunks.
    pub fn chunk_iter(&self) -> ChunkIter<'_> {
        ChunkIter::new(self.chunks())
    }

    /// Whether the checksum is correct for `kind`.
    pub fn verify_checksum(&self, kind: ChecksumKind) -> bool {
        self.compute_checksum(kind) == self.checksum_bytes()
    }

    fn compute_checksum(&self, kind: ChecksumKind) -> [u8; 4] {
        let data = self.buffer.as_ref();
        // The checksum covers the packet with the checksum field zeroed.
        let zero = [0u8; 4];
        match kind {
            ChecksumKind::Crc32c => {
                let crc = checksum::crc32c_update(0, &data[..field::CHECKSUM.start]);
                let crc = checksum::crc32c_update(crc, &zero);
                checksum::crc32c_update(crc, &data[field::CHECKSUM.end..]).to_le_bytes()
            }
            ChecksumKind::Adler32 => {
                let sum = checksum::adler32_update(1, &data[..field::CHECKSUM.start]);
                let sum = checksum::adler32_update(sum, &zero);
                checksum::adler32_update(sum, &data[field::CHECKSUM.end..]).to_be_bytes()
            }
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::SRC_PORT], value);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, value: u16) {
        set_be16(&mut self.buffer.as_mut()[field::DST_PORT], value);
    }

    /// Sets the verification tag.
    pub fn set_verification_tag(&mut self, value: u32) {
        set_be32(&mut self.buffer.as_mut()[field::VERIFICATION_TAG], value);
    }

    /// Sets the checksum bytes as they appear on the wire.
    pub fn set_checksum_bytes(&mut self, value: [u8; 4]) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value);
    }

    /// The chunk bytes, mutably.
    pub fn chunks_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::CHUNKS..]
    }

    /// Computes and stores the checksum.
    pub fn fill_checksum(&mut self, kind: ChecksumKind) {
        let sum = self.compute_checksum(kind);
        self.set_checksum_bytes(sum);
    }
}

/// One chunk as found in a packet: its header fields and its value (the
/// bytes after the chunk header, up to the chunk length, without padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawChunk<'a> {
    pub chunk_type: ChunkType,
    pub flags: u8,
    pub value: &'a [u8],
}

/// Walks chunks in order. A length below 4 or past the end yields one
/// `Err` and ends the walk; missing padding after the last chunk is
/// tolerated.
#[derive(Debug, Clone)]
pub struct ChunkIter<'a> {
    rest: &'a [u8],
}

impl<'a> ChunkIter<'a> {
    /// Walks `bytes` (the packet after the common header).
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl<'a> Iterator for ChunkIter<'a> {
    type Item = Result<RawChunk<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest;
        let header = bytes.get(..CHUNK_HEADER_LEN);
        let len = header.map_or(0, |h| usize::from(be16(&h[field::CHUNK_LENGTH])));
        if len < CHUNK_HEADER_LEN || len > bytes.len() {
            self.rest = &[];
            return Some(Err(Error));
        }
        let padded = (len.div_ceil(4) * 4).min(bytes.len());
        self.rest = &bytes[padded..];
        Some(Ok(RawChunk {
            chunk_type: ChunkType::from(bytes[field::CHUNK_TYPE]),
            flags: bytes[field::CHUNK_FLAGS],
            value: &bytes[CHUNK_HEADER_LEN..len],
        }))
    }
}

/// The fixed part of INIT and INIT-ACK, and their parameters kept raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InitChunk<'a> {
    pub initiate_tag: u32,
    pub a_rwnd: u32,
    pub outbound_streams: u16,
    pub inbound_streams: u16,
    pub initial_tsn: u32,
    /// Parameters (for INIT-ACK, including the state cookie), raw.
    pub params: &'a [u8],
}

impl<'a> InitChunk<'a> {
    /// The state cookie parameter (type 7) of an INIT-ACK, if present.
    pub fn state_cookie(&self) -> Option<&'a [u8]> {
        let mut rest = self.params;
        while rest.len() >= 4 {
            let kind = be16(&rest[..2]);
            let len = usize::from(be16(&rest[2..4]));
            if len < 4 || len > rest.len() {
                return None;
            }
            if kind == 7 {
                return Some(&rest[4..len]);
            }
            rest = &rest[(len.div_ceil(4) * 4).min(rest.len())..];
        }
        None
    }
}

/// A decoded chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChunkRepr<'a> {
    Init(InitChunk<'a>),
    InitAck(InitChunk<'a>),
    CookieEcho {
        cookie: &'a [u8],
    },
    /// ABORT: flags (bit 0 is T) and error causes, raw.
    Abort {
        flags: u8,
        causes: &'a [u8],
    },
    /// Any other chunk, or INIT/INIT-ACK too short to decode, whole.
    Other(RawChunk<'a>),
}

impl<'a> ChunkRepr<'a> {
    /// Decodes a walked chunk.
    pub fn parse(chunk: RawChunk<'a>) -> Self {
        let v = chunk.value;
        let init = || {
            // The value starts at chunk offset 4; INIT fields are given
            // relative to the chunk start.
            let at = |r: core::ops::Range<usize>| &v[r.start - 4..r.end - 4];
            InitChunk {
                initiate_tag: be32(at(field::INIT_TAG)),
                a_rwnd: be32(at(field::INIT_A_RWND)),
                outbound_streams: be16(at(field::INIT_OUT_STREAMS)),
                inbound_streams: be16(at(field::INIT_IN_STREAMS)),
                initial_tsn: be32(at(field::INIT_TSN)),
                params: &v[field::INIT_PARAMS - 4..],
            }
        };
        let long_enough = v.len() >= INIT_CHUNK_LEN - CHUNK_HEADER_LEN;
        match chunk.chunk_type {
            ChunkType::Init if long_enough && chunk.flags == 0 => Self::Init(init()),
            ChunkType::InitAck if long_enough && chunk.flags == 0 => Self::InitAck(init()),
            ChunkType::CookieEcho if chunk.flags == 0 => Self::CookieEcho { cookie: v },
            ChunkType::Abort => Self::Abort {
                flags: chunk.flags,
                causes: v,
            },
            _ => Self::Other(chunk),
        }
    }

    /// The chunk type.
    pub fn chunk_type(&self) -> ChunkType {
        match self {
            Self::Init(_) => ChunkType::Init,
            Self::InitAck(_) => ChunkType::InitAck,
            Self::CookieEcho { .. } => ChunkType::CookieEcho,
            Self::Abort { .. } => ChunkType::Abort,
            Self::Other(raw) => raw.chunk_type,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Self::Init(init) | Self::InitAck(init) => {
                INIT_CHUNK_LEN - CHUNK_HEADER_LEN + init.params.len()
            }
            Self::CookieEcho { cookie } => cookie.len(),
            Self::Abort { causes, .. } => causes.len(),
            Self::Other(raw) => raw.value.len(),
        }
    }

    /// Bytes the chunk takes, padding included.
    pub fn buffer_len(&self) -> usize {
        (CHUNK_HEADER_LEN + self.value_len()).div_ceil(4) * 4
    }

    /// Writes the chunk (with zero padding) at the front of `buffer`;
    /// returns the rest.
    ///
    /// # Panics
    /// Panics if `buffer` is shorter than [`ChunkRepr::buffer_len`].
    pub fn emit<'b>(&self, buffer: &'b mut [u8]) -> &'b mut [u8] {
        let (out, rest) = buffer.split_at_mut(self.buffer_len());
        let len = CHUNK_HEADER_LEN + self.value_len();
        out.fill(0);
        out[field::CHUNK_TYPE] = self.chunk_type().into();
        set_be16(&mut out[field::CHUNK_LENGTH], len as u16);
        match *self {
            Self::Init(init) | Self::InitAck(init) => {
                set_be32(&mut out[field::INIT_TAG], init.initiate_tag);
                set_be32(&mut out[field::INIT_A_RWND], init.a_rwnd);
                set_be16(&mut out[field::INIT_OUT_STREAMS], init.outbound_streams);
                set_be16(&mut out[field::INIT_IN_STREAMS], init.inbound_streams);
                set_be32(&mut out[field::INIT_TSN], init.initial_tsn);
                out[field::INIT_PARAMS..len].copy_from_slice(init.params);
            }
            Self::CookieEcho { cookie } => out[CHUNK_HEADER_LEN..len].copy_from_slice(cookie),
            Self::Abort { flags, causes } => {
                out[field::CHUNK_FLAGS] = flags;
                out[CHUNK_HEADER_LEN..len].copy_from_slice(causes);
            }
            Self::Other(raw) => {
                out[field::CHUNK_FLAGS] = raw.flags;
                out[CHUNK_HEADER_LEN..len].copy_from_slice(raw.value);
            }
        }
        rest
    }
}

/// An SCTP packet: the common header and its chunks (raw, already
/// validated to walk cleanly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub verification_tag: u32,
    /// Encoded chunks, padding included (build them with
    /// [`ChunkRepr::emit`]).
    pub chunks: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Reads a packet whose chunks all walk cleanly (checksum not verified
    /// here).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &'a Packet<&'a T>) -> Result<Self> {
        packet.check_len()?;
        let chunks = &packet.buffer.as_ref()[field::CHUNKS..];
        if ChunkIter::new(chunks).any(|c| c.is_err()) {
            return Err(Error);
        }
        Ok(Self {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            verification_tag: packet.verification_tag(),
            chunks,
        })
    }

    /// Walks the chunks, decoded.
    pub fn chunk_reprs(&self) -> impl Iterator<Item = ChunkRepr<'a>> + 'a {
        ChunkIter::new(self.chunks).filter_map(|c| c.ok().map(ChunkRepr::parse))
    }

    /// Length of the packet.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.chunks.len()
    }

    /// Writes the packet and its checksum.
    ///
    /// # Panics
    /// Panics if the buffer is not exactly [`Repr::buffer_len`] long.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>, kind: ChecksumKind) {
        assert_eq!(packet.buffer.as_ref().len(), self.buffer_len());
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_verification_tag(self.verification_tag);
        packet.chunks_mut().copy_from_slice(self.chunks);
        packet.fill_checksum(kind);
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::test_util::hex;

    // An INIT-ACK from a public SCTP trace (as used in dpkt's tests):
    // 464 bytes with a state cookie; its CRC32c verifies.
    const INIT_ACK: &str = include_str!("../tests/data/sctp_init_ack.hex");

    #[test]
    fn init_ack_roundtrip() {
        let bytes = hex(INIT_ACK);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert!(p.verify_checksum(ChecksumKind::Crc32c));
        assert_eq!((p.src_port(), p.dst_port()), (3868, 4068));
        let repr = Repr::parse(&p).unwrap();
        let chunks: Vec<_> = repr.chunk_reprs().collect();
        assert_eq!(chunks.len(), 1);
        let ChunkRepr::InitAck(init) = chunks[0] else {
            panic!("{:?}", chunks[0])
        };
        assert_eq!(init.initial_tsn, init.initiate_tag);
        assert_eq!(init.state_cookie().map(<[u8]>::len), Some(428));
        // Re-encode the decoded chunk: same bytes.
        let mut chunk_bytes = vec![0xa5; chunks[0].buffer_len()];
        chunks[0].emit(&mut chunk_bytes);
        assert_eq!(chunk_bytes, repr.chunks);
        let mut out = vec![0xa5; repr.buffer_len()];
        repr.emit(
            &mut Packet::new_unchecked(&mut out[..]),
            ChecksumKind::Crc32c,
        );
        assert_eq!(out, bytes);
        // Adler-32 variant verifies under its own algorithm.
        repr.emit(
            &mut Packet::new_unchecked(&mut out[..]),
            ChecksumKind::Adler32,
        );
        let p = Packet::new_checked(&out[..]).unwrap();
        assert!(p.verify_checksum(ChecksumKind::Adler32));
        assert!(!p.verify_checksum(ChecksumKind::Crc32c));
    }

    #[test]
    fn build_init_abort_cookie_echo() {
        let init = ChunkRepr::Init(InitChunk {
            initiate_tag: 0x0102_0304,
            a_rwnd: 65535,
            outbound_streams: 10,
            inbound_streams: 2048,
            initial_tsn: 7,
            params: &[],
        });
        let abort = ChunkRepr::Abort {
            flags: ABORT_FLAG_T,
            causes: &[],
        };
        let echo = ChunkRepr::CookieEcho { cookie: b"abcde" };
        for chunk in [init, abort, echo] {
            let mut buf = vec![0xa5; chunk.buffer_len()];
            assert!(chunk.emit(&mut buf).is_empty());
            let walked: Vec<_> = ChunkIter::new(&buf).collect();
            assert_eq!(walked.len(), 1);
            assert_eq!(ChunkRepr::parse(walked[0].unwrap()), chunk);
        }
    }

    #[test]
    fn truncated_and_bad_lengths() {
        let bytes = hex(INIT_ACK);
        for len in 0..bytes.len() {
            match Packet::new_checked(&bytes[..len]) {
                Err(_) => assert!(len < HEADER_LEN),
                Ok(p) => {
                    // A cut chunk is an error (or nothing at all).
                    let walked: Vec<_> = p.chunk_iter().collect();
                    assert!(walked.iter().all(Result::is_err), "len {len}");
                }
            }
        }
        for bad in [
            &[1u8, 0, 0, 3][..],
            &[1, 0, 0, 0],
            &[1, 0, 0, 9, 0, 0, 0, 0],
            &[1, 0],
        ] {
            let walked: Vec<_> = ChunkIter::new(bad).collect();
            assert_eq!(walked, [Err(Error)], "{bad:?}");
        }
    }
}
