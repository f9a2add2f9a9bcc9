use serde::{Serialize, Serializer};

macro_rules! reasons {
    ($($variant:ident => $name:literal, $plural:literal;)*) => {
        /// Why a port or host is in its state (Nmap's reason vocabulary).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason {
            $($variant,)*
        }

        impl Reason {
            /// Singular name, as in XML and the REASON column.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }
            /// Plural, as in "Not shown: 3 filtered tcp ports (no-responses)".
            pub fn plural(self) -> &'static str {
                match self { $(Self::$variant => $plural,)* }
            }
            /// Look a reason up by its singular name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)* _ => None }
            }
            /// Every reason, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];
        }
    };
}

reasons! {
    Reset => "reset", "resets";
    ConnRefused => "conn-refused", "conn-refused";
    SynAck => "syn-ack", "syn-acks";
    SplitHandshakeSyn => "split-handshake-syn", "split-handshake-syns";
    UdpResponse => "udp-response", "udp-responses";
    ProtoResponse => "proto-response", "proto-responses";
    PermDenied => "perm-denied", "perm-denieds";
    NetUnreach => "net-unreach", "net-unreaches";
    HostUnreach => "host-unreach", "host-unreaches";
    ProtoUnreach => "proto-unreach", "proto-unreaches";
    PortUnreach => "port-unreach", "port-unreaches";
    EchoReply => "echo-reply", "echo-replies";
    DestUnreach => "dest-unreach", "dest-unreaches";
    SourceQuench => "source-quench", "source-quenches";
    NetProhibited => "net-prohibited", "net-prohibiteds";
    HostProhibited => "host-prohibited", "host-prohibiteds";
    AdminProhibited => "admin-prohibited", "admin-prohibiteds";
    TimeExceeded => "time-exceeded", "time-exceededs";
    TimestampReply => "timestamp-reply", "timestamp-replies";
    AddressmaskReply => "addressmask-reply", "addressmask-replies";
    NoIpidChange => "no-ipid-change", "no-ipid-changes";
    IpidChange => "ipid-change", "ipid-changes";
    ArpResponse => "arp-response", "arp-responses";
    NdResponse => "nd-response", "nd-responses";
    TcpResponse => "tcp-response", "tcp-responses";
    NoResponse => "no-response", "no-responses";
    InitAck => "init-ack", "init-acks";
    Abort => "abort", "aborts";
    LocalhostResponse => "localhost-response", "localhost-responses";
    ScriptSet => "script-set", "script-sets";
    UnknownResponse => "unknown-response", "unknown-responses";
    UserSet => "user-set", "user-sets";
    NoRoute => "no-route", "no-routes";
    BeyondScope => "beyond-scope", "beyond-scopes";
    RejectRoute => "reject-route", "reject-routes";
    ParamProblem => "param-problem", "param-problems";
}

impl Reason {
    /// Whether this reason is an ICMP/ICMPv6 error message (subject to
    /// the sender's ICMP rate limit).
    pub fn is_icmp(self) -> bool {
        matches!(
            self,
            Self::NetUnreach
                | Self::HostUnreach
                | Self::ProtoUnreach
                | Self::PortUnreach
                | Self::DestUnreach
                | Self::SourceQuench
                | Self::NetProhibited
                | Self::HostProhibited
                | Self::AdminProhibited
                | Self::TimeExceeded
                | Self::NoRoute
                | Self::BeyondScope
                | Self::RejectRoute
                | Self::ParamProblem
        )
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_name(r.as_str()), Some(*r));
        }
        assert_eq!(Reason::from_name("bogus"), None);
    }
}
