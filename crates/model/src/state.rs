use serde::Serialize;

/// A port's state, as Nmap names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PortState {
    #[serde(rename = "open")]
    Open,
    #[serde(rename = "closed")]
    Closed,
    #[serde(rename = "filtered")]
    Filtered,
    #[serde(rename = "unfiltered")]
    Unfiltered,
    #[serde(rename = "open|filtered")]
    OpenFiltered,
    #[serde(rename = "closed|filtered")]
    ClosedFiltered,
}

impl PortState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Filtered => "filtered",
            Self::Unfiltered => "unfiltered",
            Self::OpenFiltered => "open|filtered",
            Self::ClosedFiltered => "closed|filtered",
        }
    }

    /// States that `--open` keeps: open, open|filtered and unfiltered.
    pub fn is_openish(self) -> bool {
        matches!(self, Self::Open | Self::OpenFiltered | Self::Unfiltered)
    }

    pub const ALL: [Self; 6] = [
        Self::Open,
        Self::Closed,
        Self::Filtered,
        Self::Unfiltered,
        Self::OpenFiltered,
        Self::ClosedFiltered,
    ];
}

/// A host's state in `<status state>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HostState {
    Up,
    Down,
    Unknown,
    Skipped,
}

impl HostState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Unknown => "unknown",
            Self::Skipped => "skipped",
        }
    }
}
