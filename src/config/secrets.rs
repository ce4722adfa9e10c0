//! Which values are secret, and how they are shown (`****`) when configuration is printed or
//! logged.
//!
//! Rule: a key is secret when its last step (after the last `.`), lower-cased, contains
//! `password`, `passwd`, `secret`, `token`, `credential` or `privatekey`, or is `key` or ends in
//! `key` (`imap.sidecar.tls.key`, `apiKey`). Besides, the password part of any URL value
//! (`postgresql://user:password@host/db`) is masked whatever the key.

use std::borrow::Cow;

/// What a secret is shown as.
pub const MASK: &str = "****";

/// True when the value of `key` must never be shown.
pub fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
        "privatekey",
    ]
    .iter()
    .any(|word| last.contains(word))
        || last.ends_with("key")
}

/// The value of `key` as it may be shown: masked when secret (an empty value stays empty, which
/// says "not set" without giving anything away), with any URL password masked otherwise.
pub fn masked<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    if is_secret_key(key) && !value.is_empty() {
        return Cow::Borrowed(MASK);
    }
    mask_url_password(value)
}

/// Masks the password in `scheme://user:password@host...`; other text is returned unchanged.
pub fn mask_url_password(value: &str) -> Cow<'_, str> {
    let Some(scheme_end) = value.find("://") else {
        return Cow::Borrowed(value);
    };
    let authority_start = scheme_end + 3;
    let rest = &value[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(value);
    };
    let Some(colon) = authority[..at].find(':') else {
        return Cow::Borrowed(value);
    };
    let password_start = authority_start + colon + 1;
    let password_end = authority_start + at;
    Cow::Owned(format!(
        "{}{MASK}{}",
        &value[..password_start],
        &value[password_end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_names() {
        for secret in [
            "imap.sidecar.tls.key",
            "imap.sidecar.state.password",
            "imap.sidecar.auth.oauth.clientSecret",
            "imap.sidecar.events.accessToken",
            "db.password",
            "x.apiKey",
            "x.PrivateKeyPem",
            "x.credentials",
        ] {
            assert!(is_secret_key(secret), "{secret}");
        }
        for open in [
            "imap.server.port",
            "imap.sidecar.tls.certificate",
            "imap.sidecar.tls.required",
            "imap.sidecar.key.store.path",
            "alfresco.host",
        ] {
            assert!(!is_secret_key(open), "{open}");
        }
    }

    #[test]
    fn masking() {
        assert_eq!(masked("imap.sidecar.tls.key", "/etc/key.pem"), "****");
        assert_eq!(masked("imap.sidecar.tls.key", ""), "");
        assert_eq!(masked("imap.server.port", "143"), "143");
        assert_eq!(
            masked(
                "imap.sidecar.state.url",
                "postgresql://imap:s3cr@t@db:5432/imap?sslmode=require"
            ),
            "postgresql://imap:****@db:5432/imap?sslmode=require"
        );
        assert_eq!(
            mask_url_password("stomp://user@broker:61613"),
            "stomp://user@broker:61613"
        );
        assert_eq!(
            mask_url_password("sqlite:./data/state.db"),
            "sqlite:./data/state.db"
        );
        assert_eq!(mask_url_password("http://h/a:b@c"), "http://h/a:b@c");
    }
}
