//! Where a webhook may point: https (http only if configured), an optional host allow-list,
//! and never an internal address (loopback, private, link-local, CGNAT, ULA, multicast,
//! reserved, nor IPv4-mapped, IPv4-compatible, NAT64 or 6to4 forms of those). The host is
//! resolved here and the caller connects to the address that was checked, so DNS cannot
//! change the answer in between.
//!
//! Registration ([`check`]) never resolves a name: it checks the URL and refuses an internal
//! address literal, and names are checked at each delivery ([`resolve`]). A name that does not
//! resolve and one that resolves to an internal address are refused with the same words, so
//! neither the registration nor the recorded attempts map internal DNS.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

use crate::config::WebhookSettings;

/// What both "does not resolve" and "resolves to an internal address" say.
const NO_PUBLIC_ADDRESS: &str = "the host does not resolve, or resolves to an internal address";

/// Why a URL is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// Not a URL, or with user info or a fragment.
    #[error("not an acceptable URL: {0}")]
    Malformed(String),
    /// A scheme other than https (or http when allowed).
    #[error("the scheme must be https")]
    Scheme,
    /// Not on the configured allow-list.
    #[error("host {0} is not on the allow-list")]
    NotAllowed(String),
    /// The name does not resolve (in time). Said as for [`Refused::Internal`], so that the two
    /// cannot be told apart.
    #[error("{NO_PUBLIC_ADDRESS}")]
    Unresolved(String),
    /// It resolves to an internal address (which the message does not name).
    #[error("{NO_PUBLIC_ADDRESS}")]
    Internal(IpAddr),
}

/// A checked destination: the URL and the address to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    /// The URL as registered.
    pub url: Url,
    /// The host name to pin (for a name) and the checked address.
    pub host: String,
    /// The address that passed the check.
    pub addr: SocketAddr,
}

/// Checks `raw` without resolving (scheme, shape, allow-list).
pub fn parse(raw: &str, s: &WebhookSettings) -> Result<Url, Refused> {
    let url = Url::parse(raw).map_err(|e| Refused::Malformed(e.to_string()))?;
    if raw.len() > 2048 || !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(Refused::Malformed("no credentials or fragment, at most 2048 characters".into()));
    }
    // As written, not as the parser would mend it: printable ASCII, and a host name of
    // dot-separated labels (letters, digits, hyphens) unless it is an address.
    let labels =
        |d: &str| d.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let domain_ok = match url.host() {
        Some(Host::Domain(d)) => labels(d),
        _ => true,
    };
    if !raw.bytes().all(|b| b.is_ascii_graphic()) || !domain_ok {
        return Err(Refused::Malformed("printable ASCII, and a host name of letters, digits, hyphens and dots".into()));
    }
    match url.scheme() {
        "https" => {}
        "http" if s.allow_http => {}
        _ => return Err(Refused::Scheme),
    }
    let host = url.host_str().ok_or_else(|| Refused::Malformed("no host".into()))?.to_ascii_lowercase();
    if !s.allowed_hosts.is_empty() && !s.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
        return Err(Refused::NotAllowed(host));
    }
    Ok(url)
}

/// What registration checks: [`parse`], and that an address literal is not internal. A name
/// is not resolved (see the module's doc).
pub fn check(raw: &str, s: &WebhookSettings) -> Result<Url, Refused> {
    let url = parse(raw, s)?;
    let literal = match url.host() {
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        _ => None,
    };
    match literal {
        Some(ip) if !s.allow_internal && is_internal(ip) => Err(Refused::Internal(ip)),
        _ => Ok(url),
    }
}

/// Checks `raw` and resolves it to an address that may be connected to.
pub async fn resolve(raw: &str, s: &WebhookSettings) -> Result<Destination, Refused> {
    let url = parse(raw, s)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| Refused::Unresolved(host.clone()))?
            .collect(),
    };
    let first = *addrs.first().ok_or_else(|| Refused::Unresolved(host.clone()))?;
    if !s.allow_internal {
        // Every address must be public: a name with one internal answer is refused outright.
        if let Some(bad) = addrs.iter().map(SocketAddr::ip).find(|ip| is_internal(*ip)) {
            return Err(Refused::Internal(bad));
        }
    }
    Ok(Destination { url, host, addr: first })
}

/// True for any address a webhook must never reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // ULA fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1) // NAT64 local use 64:ff9b:1::/48
        || (s[0] == 0x0064 && s[1] == 0xff9b && internal_v4(embedded(s[6], s[7]))) // NAT64
        || (s[0] == 0x2002 && internal_v4(embedded(s[1], s[2]))) // 6to4
        || (s[..6] == [0; 6] && internal_v4(embedded(s[6], s[7]))) // IPv4-compatible
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn internal_addresses_in_every_form_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(is_internal(ip(bad)), "{bad} must be internal");
        }
        for good in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8"] {
            assert!(!is_internal(ip(good)), "{good} is public");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_for_scheme_shape_allow_list_and_address() {
        let s = WebhookSettings::default();
        assert_eq!(parse("http://example.com/hook", &s), Err(Refused::Scheme));
        assert_eq!(parse("ftp://example.com/", &s), Err(Refused::Scheme));
        assert!(matches!(parse("https://user:pw@example.com/", &s), Err(Refused::Malformed(_))));
        assert!(matches!(parse("not a url", &s), Err(Refused::Malformed(_))));
        // As written: no IRI, no space the parser would escape, no host the document's pattern refuses.
        for raw in ["https://bücher.example/", "https://a.example/x y", "https://a_b.example/", "https://a.example./"]
        {
            assert!(matches!(parse(raw, &s), Err(Refused::Malformed(_))), "{raw}");
        }
        assert!(parse("https://xn--bcher-kva.example:8443/hook?x=1", &s).is_ok());
        for raw in [
            "https://127.0.0.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://169.254.169.254/latest",
            "https://localhost/",
        ] {
            assert!(matches!(resolve(raw, &s).await, Err(Refused::Internal(_))), "{raw}");
        }
        let allow = WebhookSettings { allowed_hosts: vec!["hooks.example.com".into()], ..Default::default() };
        assert_eq!(parse("https://evil.example/", &allow), Err(Refused::NotAllowed("evil.example".into())));
        let open = WebhookSettings { allow_http: true, allow_internal: true, ..Default::default() };
        let d = resolve("http://127.0.0.1:9/x", &open).await.expect("allowed by the flag");
        assert_eq!(d.addr, "127.0.0.1:9".parse().expect("addr"));
    }

    #[tokio::test]
    async fn registration_resolves_no_name_and_refusals_say_the_same() {
        let s = WebhookSettings::default();
        for name in ["https://localhost/", "https://no-such-host.invalid/", "https://hooks.example.com/"] {
            assert!(check(name, &s).is_ok(), "{name}: a name is checked at delivery");
        }
        for literal in ["https://127.0.0.1/", "https://[::1]/", "https://0x7f.1/", "https://[fd00::1]/"] {
            assert!(matches!(check(literal, &s), Err(Refused::Internal(_))), "{literal}");
        }
        assert!(check("https://93.184.216.34/", &s).is_ok());
        assert_eq!(check("http://93.184.216.34/", &s), Err(Refused::Scheme));
        let unresolved = resolve("https://no-such-host.invalid/", &s).await.expect_err("does not resolve");
        let internal = resolve("https://localhost/", &s).await.expect_err("loopback");
        assert!(matches!(unresolved, Refused::Unresolved(_)) && matches!(internal, Refused::Internal(_)));
        assert_eq!(unresolved.to_string(), internal.to_string());
    }
}
