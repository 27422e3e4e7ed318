//! `dancu demo --tls-self-signed`: HTTPS with a certificate made at start, so that a demo shown to
//! colleagues from another machine works. Session cookies are `__Host-` (Secure), the OpenID
//! provider and WebAuthn need an `https://` origin outside loopback, and a plain-http demo on a LAN
//! address can serve none of them. The certificate names the listen address, the machine's LAN
//! address and host name, and loopback; visitors accept it after comparing its SHA-256 fingerprint
//! with the one the demo prints. Production (`serve`) terminates TLS at its reverse proxy instead.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};
use tokio_rustls::rustls;

/// Days the certificate is valid: long enough for a demo, short enough to be made anew.
const VALID_DAYS: i64 = 90;

/// A certificate made for this run, and the acceptor that serves it.
pub struct SelfSigned {
    pub acceptor: web::serve::TlsAcceptor,
    /// SHA-256 of the certificate (DER), as `AB:CD:…`, the way browsers show it.
    pub fingerprint: String,
    /// The host of the public URL: the address colleagues use.
    pub host: String,
    /// Every name and address the certificate is valid for.
    pub names: Vec<String>,
}

impl SelfSigned {
    /// A certificate for the server bound at `bound` (and `configured_host`, the host of a
    /// configured public URL), valid from `today` (Vietnam).
    pub fn make(bound: SocketAddr, configured_host: Option<&str>, today: NaiveDate) -> anyhow::Result<SelfSigned> {
        let (host, names) = cert_names(bound.ip(), configured_host, lan_address(), host_name());
        let mut params = rcgen::CertificateParams::new(names.clone())?;
        params.distinguished_name.push(rcgen::DnType::CommonName, format!("dancu demo {host}"));
        let (from, to) = (today - chrono::Duration::days(1), today + chrono::Duration::days(VALID_DAYS));
        params.not_before = rcgen::date_time_ymd(from.year(), month(from), day(from));
        params.not_after = rcgen::date_time_ymd(to.year(), month(to), day(to));
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let cert = params.self_signed(&key)?;
        let fingerprint = fingerprint(cert.der());
        let der_key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], der_key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(SelfSigned { acceptor: web::serve::TlsAcceptor::from(Arc::new(config)), fingerprint, host, names })
    }
}

fn month(d: NaiveDate) -> u8 {
    u8::try_from(d.month()).unwrap_or(1)
}

fn day(d: NaiveDate) -> u8 {
    u8::try_from(d.day()).unwrap_or(1)
}

/// `AB:CD:…` of the SHA-256 of `der`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// The public host and the certificate's names. A specific listen address is the host; on an
/// unspecified one (`0.0.0.0`, `::`) the machine's LAN address is, else its host name.
fn cert_names(
    listen: IpAddr,
    configured_host: Option<&str>,
    lan: Option<IpAddr>,
    host_name: Option<String>,
) -> (String, Vec<String>) {
    let specific = (!listen.is_unspecified()).then_some(listen);
    let host = configured_host
        .map(str::to_string)
        .or(specific.map(|ip| ip.to_string()))
        .or(lan.map(|ip| ip.to_string()))
        .or(host_name.clone())
        .unwrap_or_else(|| Ipv4Addr::LOCALHOST.to_string());
    let mut names = vec![host.clone()];
    let others =
        [specific.or(lan).map(|ip| ip.to_string()), host_name, Some("localhost".into()), Some("127.0.0.1".into())];
    for n in others.into_iter().flatten() {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    (host, names)
}

/// The address this machine uses to reach other networks (what colleagues on the LAN connect
/// to): a UDP socket "connected" to a documentation address sends nothing but gets a route.
fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// The machine's host name (Linux), when it has a usable one.
fn host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?.trim().to_ascii_lowercase();
    let usable = !name.is_empty()
        && name != "localhost"
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    usable.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_specific_address_is_the_host_and_loopback_stays_valid() {
        let (host, names) = cert_names("192.168.1.20".parse().unwrap(), None, Some("10.0.0.5".parse().unwrap()), None);
        assert_eq!(host, "192.168.1.20");
        assert_eq!(names, ["192.168.1.20", "localhost", "127.0.0.1"]);
    }

    #[test]
    fn an_unspecified_address_uses_the_lan_address_then_the_host_name() {
        let lan = Some("10.0.0.5".parse().unwrap());
        let (host, names) = cert_names("0.0.0.0".parse().unwrap(), None, lan, Some("demo-pc".into()));
        assert_eq!(host, "10.0.0.5");
        assert_eq!(names, ["10.0.0.5", "demo-pc", "localhost", "127.0.0.1"]);
        let (host, _) = cert_names("0.0.0.0".parse().unwrap(), None, None, Some("demo-pc".into()));
        assert_eq!(host, "demo-pc");
        let (host, names) = cert_names("0.0.0.0".parse().unwrap(), Some("demo.so.gov.vn"), lan, None);
        assert_eq!(host, "demo.so.gov.vn");
        assert!(names.contains(&"10.0.0.5".to_string()));
    }

    #[test]
    fn the_certificate_names_its_hosts_and_its_fingerprint_is_its_hash() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let made = SelfSigned::make("127.0.0.1:8443".parse().unwrap(), None, today).unwrap();
        assert_eq!(made.host, "127.0.0.1");
        assert_eq!(made.fingerprint.len(), 32 * 3 - 1);
        assert!(made.fingerprint.split(':').all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit())));
        assert_eq!(fingerprint(b"abc"), fingerprint(b"abc"));
        assert_ne!(fingerprint(b"abc"), fingerprint(b"abd"));
    }
}
