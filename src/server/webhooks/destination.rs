//! Where webhooks may be sent. An admin types an endpoint's address; the server then sends
//! requests there, so an address inside the operator's network (the database, a cloud
//! metadata service, an admin port on localhost) must be refused: only `https` to public
//! addresses, checked when the endpoint is saved and again for every connection (a name
//! that resolved to a public address yesterday may resolve to a private one today), and
//! never following a redirect. `OMNILOYAL_WEBHOOKS_ALLOW_PRIVATE` lifts this for tests and
//! development.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;

/// Whether an address is on the public internet (not loopback, private, link-local,
/// shared, documentation, multicast or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let [first, second, third, fourth, ..] = ip.segments();
    // An IPv4 address written as IPv6 (`::a.b.c.d`, the old "compatible" form) is judged
    // as that address.
    if let (Some(v4), false) = (ip.to_ipv4(), ip.is_loopback() || ip.is_unspecified()) {
        return is_public_v4(v4);
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (first == 0x2001 && second == 0) // Teredo (tunnels to an IPv4 address)
        || first == 0x2002 // 6to4 (carries an IPv4 address)
        || (first == 0x0100 && second == 0 && third == 0 && fourth == 0) // discard-only
        || (first == 0x2001 && second == 0x0db8) // documentation
        || (first == 0x0064 && second == 0xff9b)) // NAT64 (reaches IPv4 inside)
}

/// The addresses a URL's host stands for: itself when it is an IP, else what it resolves to.
async fn addresses(url: &Url) -> Result<Vec<IpAddr>, String> {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    match tokio::net::lookup_host((host, port)).await {
        Ok(found) => Ok(found.map(|a| a.ip()).collect()),
        Err(_) => Err(format!("{host} could not be found.")),
    }
}

/// Checks an endpoint's address before it is saved: `https` (or `http` where private
/// destinations are allowed), and a host whose every address is public. The message says
/// what is wrong, for the form.
pub async fn check(url: &Url, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    if url.scheme() != "https" {
        return Err("Use an https:// address: events carry members' data.".into());
    }
    let found = addresses(url).await?;
    if found.is_empty() || found.iter().any(|ip| !is_public(*ip)) {
        return Err("That address is inside a private network; use the endpoint's public address.".into());
    }
    Ok(())
}

/// Resolves names for webhook deliveries, refusing any that leads to a non-public address.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.is_empty() || found.iter().any(|a| !is_public(a.ip())) {
                return Err(format!("{host} resolves to a private address; not sent").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client deliveries go out with: no redirects, and (unless private destinations
/// are allowed) names resolved to public addresses only.
pub fn client(allow_private: bool) -> reqwest::Client {
    // No proxy from the environment: through one, the target's name would be resolved by
    // the proxy, out of this resolver's sight.
    let builder = reqwest::Client::builder()
        .user_agent("Omniloyal-Webhooks/1")
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(Arc::new(PublicOnly))
    };
    // Building fails only when no TLS backend can start: a broken installation, not a
    // state to carry on in (a default client would follow redirects to anywhere).
    builder.build().expect("the webhook client (TLS backend)")
}

/// Whether a delivery may go to an address given as an IP (a name is checked by the
/// client's resolver on every connection).
pub fn literal_allowed(url: &str, allow_private: bool) -> bool {
    if allow_private {
        return true;
    }
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let public = match host.parse::<IpAddr>() {
        Ok(ip) => is_public(ip),
        Err(_) => true, // a name: checked by the resolver on every connection
    };
    public && url.scheme() == "https"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "2001::1",
            "2002:7f00:1::1",
            "fec0::1",
            "100::1",
            "2001:db8::1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn endpoints_must_be_public_https() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(
            check(&url("http://hooks.example/x"), false).await.is_err(),
            "not https"
        );
        assert!(check(&url("https://127.0.0.1/x"), false).await.is_err());
        assert!(check(&url("https://[::1]:8443/x"), false).await.is_err());
        assert!(check(&url("https://169.254.169.254/latest/meta-data"), false)
            .await
            .is_err());
        assert!(
            check(&url("https://localhost/x"), false).await.is_err(),
            "a name for loopback"
        );
        assert!(check(&url("https://1.1.1.1/x"), false).await.is_ok());
        assert!(
            check(&url("http://127.0.0.1:9/x"), true).await.is_ok(),
            "allowed for tests"
        );
        assert!(!literal_allowed("https://10.0.0.5/x", false));
        assert!(!literal_allowed("http://hooks.example/x", false));
        assert!(
            !literal_allowed("http://1.1.1.1/x", false),
            "https for addresses too"
        );
        assert!(literal_allowed("https://10.0.0.5/x", true));
        assert!(literal_allowed("https://hooks.example/x", false));
    }
}
