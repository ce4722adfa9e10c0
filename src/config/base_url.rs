//! Base URLs from Alfresco's `protocol`/`host`/`port`/`context` key quadruples, and the rule that
//! decides whether a repository host is this machine.

use std::net::IpAddr;

use url::{Host, Url};

/// Builds `protocol://host:port/context/`. The protocol must be `http` or `https`; an IPv6 host
/// may be written with or without brackets; the context may carry leading or trailing slashes.
pub(crate) fn build(protocol: &str, host: &str, port: u16, context: &str) -> Result<Url, String> {
    if protocol != "http" && protocol != "https" {
        return Err("the protocol must be http or https".to_string());
    }
    if host.is_empty() {
        return Err("the host is empty".to_string());
    }
    let host = if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let context = context.trim_matches('/');
    let text = if context.is_empty() {
        format!("{protocol}://{host}:{port}/")
    } else {
        format!("{protocol}://{host}:{port}/{context}/")
    };
    let url = Url::parse(&text).map_err(|error| format!("{text} is not a valid URL: {error}"))?;
    if url.host_str().is_none() || !url.username().is_empty() || url.query().is_some() {
        return Err(format!("{text} is not a plain base URL"));
    }
    Ok(url)
}

/// True when `url`'s host is this machine: `localhost` (or a name under `.localhost`), a
/// loopback address, or the machine's own host name (`local_name`), so traffic to it never
/// leaves the machine.
pub(crate) fn is_local(url: &Url, local_name: &str) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
                || (!local_name.is_empty() && name.eq_ignore_ascii_case(local_name))
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_base_urls() {
        assert_eq!(
            build("http", "localhost", 8080, "alfresco")
                .unwrap()
                .as_str(),
            "http://localhost:8080/alfresco/"
        );
        assert_eq!(
            build("https", "acs.example.org", 443, "/alfresco/")
                .unwrap()
                .as_str(),
            "https://acs.example.org/alfresco/"
        );
        assert_eq!(
            build("http", "::1", 8080, "").unwrap().as_str(),
            "http://[::1]:8080/"
        );
        assert_eq!(
            build("http", "[::1]", 8080, "share").unwrap().as_str(),
            "http://[::1]:8080/share/"
        );
        assert!(build("ftp", "h", 21, "x").is_err());
        assert!(build("HTTP", "h", 80, "x").is_err());
        assert!(build("http", "", 80, "x").is_err());
        assert!(build("http", "bad host", 80, "x").is_err());
        assert!(build("http", "user@h", 80, "x").is_err());
    }

    #[test]
    fn local_hosts() {
        let local = |text: &str| is_local(&Url::parse(text).unwrap(), "mailhost");
        assert!(local("http://localhost:8080/"));
        assert!(local("http://LOCALHOST:8080/"));
        assert!(local("http://alfresco.localhost:8080/"));
        assert!(local("http://127.0.0.1:8080/"));
        assert!(local("http://127.8.9.10:8080/"));
        assert!(local("http://[::1]:8080/"));
        assert!(local("http://mailhost:8080/"));
        assert!(local("http://MailHost:8080/"));
        assert!(!local("http://alfresco:8080/"));
        assert!(!local("http://10.0.0.5:8080/"));
        assert!(!local("http://[::2]:8080/"));
        assert!(!local("http://localhost.example.org:8080/"));
    }
}
