//! Raw option bytes kept inside a `Repr` (IPv4 and TCP options: at most
//! 40 bytes), so that parse → emit is byte-exact whatever the options hold.

use crate::{Error, Result};

/// Up to 40 option bytes, a multiple of four long, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OptionBytes {
    bytes: [u8; Self::MAX_LEN],
    len: u8,
}

impl OptionBytes {
    /// The most option bytes an IPv4 or TCP header can carry.
    pub const MAX_LEN: usize = 40;

    /// No options.
    pub const EMPTY: Self = Self {
        bytes: [0; Self::MAX_LEN],
        len: 0,
    };

    /// Copies `bytes`, which must be at most 40 bytes and a multiple of
    /// four long (the header length counts 32-bit words).
    pub fn new(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > Self::MAX_LEN || !bytes.len().is_multiple_of(4) {
            return Err(Error);
        }
        let mut out = Self::EMPTY;
        out.bytes[..bytes.len()].copy_from_slice(bytes);
        out.len = bytes.len() as u8;
        Ok(out)
    }

    /// Copies `bytes` and pads them with zero bytes (end-of-list) to a
    /// multiple of four.
    pub fn padded(bytes: &[u8]) -> Result<Self> {
        let padded_len = bytes.len().div_ceil(4) * 4;
        if padded_len > Self::MAX_LEN {
            return Err(Error);
        }
        let mut out = Self::EMPTY;
        out.bytes[..bytes.len()].copy_from_slice(bytes);
        out.len = padded_len as u8;
        Ok(out)
    }

    /// The option bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Number of option bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether there are no options.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for OptionBytes {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl core::fmt::Debug for OptionBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "OptionBytes(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}
