//! Name resolution: forward lookups for target names, parallel reverse (PTR)
//! lookups for results. `/etc/hosts` is read first, as Nmap does.

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Where names come from.
#[derive(Debug, Clone, Default)]
pub struct DnsConfig {
    /// `--dns-servers`; `None` = the system's resolv.conf.
    pub servers: Option<Vec<SocketAddr>>,
    /// Path of the hosts file (`/etc/hosts`); `None` to skip it.
    pub hosts_file: Option<std::path::PathBuf>,
    /// Per-query timeout.
    pub timeout: Option<Duration>,
}

/// A resolver shared by every lookup of a run.
#[derive(Clone)]
pub struct Dns {
    resolver: Option<Arc<TokioResolver>>,
    hosts: Arc<HostsFile>,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Parsed `/etc/hosts`: address → first name, name → addresses.
#[derive(Debug, Default)]
pub struct HostsFile {
    by_addr: HashMap<IpAddr, String>,
    by_name: HashMap<String, Vec<IpAddr>>,
}

impl HostsFile {
    /// Parse hosts-file text; malformed lines are skipped.
    pub fn parse(text: &str) -> Self {
        let mut h = Self::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let Some(addr) = words.next().and_then(|a| a.parse::<IpAddr>().ok()) else {
                continue;
            };
            for (i, name) in words.enumerate() {
                if i == 0 {
                    h.by_addr.entry(addr).or_insert_with(|| name.to_string());
                }
                let list = h.by_name.entry(name.to_ascii_lowercase()).or_default();
                if !list.contains(&addr) {
                    list.push(addr);
                }
            }
        }
        h
    }
}

impl Dns {
    /// Build a resolver. Errors say why (for example an unreadable resolv.conf).
    pub fn new(config: &DnsConfig) -> Result<Self, String> {
        let hosts = config
            .hosts_file
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| HostsFile::parse(&t))
            .unwrap_or_default();
        let mut opts = ResolverOpts::default();
        opts.timeout = config.timeout.unwrap_or(Duration::from_secs(2));
        opts.attempts = 2;
        opts.cache_size = 0;
        let builder = match &config.servers {
            Some(servers) => {
                let ns = servers
                    .iter()
                    .map(|s| {
                        let mut c = NameServerConfig::udp_and_tcp(s.ip());
                        for conn in &mut c.connections {
                            conn.port = s.port();
                        }
                        c
                    })
                    .collect();
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(ns),
                    TokioRuntimeProvider::default(),
                )
            }
            None => match TokioResolver::builder_tokio() {
                Ok(b) => b,
                // No usable system configuration: only the hosts file answers.
                Err(_) => {
                    return Ok(Self {
                        resolver: None,
                        hosts: Arc::new(hosts),
                    });
                }
            },
        };
        let resolver = builder
            .with_options(opts)
            .build()
            .map_err(|e| format!("cannot set up DNS resolver: {e}"))?;
        Ok(Self {
            resolver: Some(Arc::new(resolver)),
            hosts: Arc::new(hosts),
        })
    }

    /// PTR name of `addr` (without the trailing dot), if any.
    pub async fn reverse(&self, addr: IpAddr) -> Option<String> {
        if let Some(name) = self.hosts.by_addr.get(&addr) {
            return Some(name.clone());
        }
        // Loopback names come from the hosts file only; resolvers invent "localhost" for all of 127/8.
        if addr.is_loopback() {
            return None;
        }
        let resolver = self.resolver.as_ref()?;
        let lookup = resolver.reverse_lookup(addr).await.ok()?;
        lookup.answers().iter().find_map(|r| match &r.data {
            RData::PTR(ptr) => Some(clean_name(&ptr.0.to_utf8())),
            _ => None,
        })
    }

    /// Reverse-resolve many addresses at once (`parallelism` queries in flight).
    pub async fn reverse_many(&self, addrs: &[IpAddr], parallelism: usize) -> Vec<Option<String>> {
        let mut out = vec![None; addrs.len()];
        let mut set = JoinSet::new();
        let mut next = 0;
        while next < addrs.len() || !set.is_empty() {
            while next < addrs.len() && set.len() < parallelism.max(1) {
                let dns = self.clone();
                let addr = addrs[next];
                let i = next;
                set.spawn(async move { (i, dns.reverse(addr).await) });
                next += 1;
            }
            if let Some(Ok((i, name))) = set.join_next().await {
                out[i] = name;
            }
        }
        out
    }

    /// Addresses of `name` in the requested family, hosts file first.
    pub async fn forward(&self, name: &str, ipv6: bool) -> Result<Vec<IpAddr>, String> {
        let family = |a: &IpAddr| a.is_ipv6() == ipv6;
        if let Some(list) = self.hosts.by_name.get(&name.to_ascii_lowercase()) {
            let v: Vec<IpAddr> = list.iter().copied().filter(family).collect();
            if !v.is_empty() {
                return Ok(v);
            }
        }
        let Some(resolver) = &self.resolver else {
            return Err(format!("Failed to resolve \"{name}\"."));
        };
        // As typed: the resolver applies ndots and the search domains.
        let fqdn = name;
        let rtype = if ipv6 {
            RecordType::AAAA
        } else {
            RecordType::A
        };
        let found: Vec<IpAddr> = match resolver.lookup(fqdn, rtype).await {
            Ok(l) => l
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                })
                .filter(family)
                .collect(),
            Err(_) => Vec::new(),
        };
        if found.is_empty() {
            Err(format!("Failed to resolve \"{name}\"."))
        } else {
            Ok(found)
        }
    }
}

/// Names go into terminals and files: keep the trailing dot off and nothing
/// but printable ASCII in.
fn clean_name(name: &str) -> String {
    name.trim_end_matches('.')
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file_first_name_wins() {
        let h = HostsFile::parse(
            "127.0.0.1 localhost\n# c\n::1 localhost ip6-localhost\n10.0.0.1 a b # x\nbogus line\n",
        );
        assert_eq!(h.by_addr[&"127.0.0.1".parse().unwrap()], "localhost");
        assert_eq!(h.by_addr[&"10.0.0.1".parse().unwrap()], "a");
        assert_eq!(h.by_name["b"], vec!["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(h.by_name["localhost"].len(), 2);
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("host.example.\u{1b}[31m."), "host.example.?[31m");
        assert_eq!(clean_name("a.b."), "a.b");
    }
}
