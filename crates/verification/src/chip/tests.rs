//! Passive authentication against test PKIs, cross-checked with the `openssl` command line.

use std::collections::BTreeMap;
use std::process::Command;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use super::testkit::{SignerKind, TestCsca};
use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn groups() -> BTreeMap<u8, Vec<u8>> {
    let mut g = BTreeMap::new();
    g.insert(1, vec![0x61, 0x03, 0x5F, 0x1F, 0x00]);
    g.insert(2, b"\xFF\xD8\xFF\xE0 face".to_vec());
    g.insert(13, dg13::encode(&dg13::Dg13 { personal_id: Some("008090001234".into()), ..Default::default() }).unwrap());
    g
}

fn status(r: &PassiveAuthReport, step: &str) -> StepStatus {
    r.steps.iter().find(|s| s.step == step).map(|s| s.status).unwrap_or_else(|| panic!("no step {step}: {r:?}"))
}

#[test]
fn authentic_with_each_signer_kind() {
    let csca = TestCsca::new("dancu test CSCA", 2024, 2040);
    let trust = TrustStore::new(vec![csca.certificate.clone()]);
    for kind in [SignerKind::EcdsaP256, SignerKind::Rsa2048, SignerKind::Rsa2048Pss] {
        let ds = csca.document_signer(kind, 2025, 2030);
        let bundle = ChipBundle { sod: ds.sign_sod(&groups()), data_groups: groups() };
        let r = passive_auth(&bundle, &trust, now());
        assert!(r.authentic, "{kind:?}: {r:?}");
        assert!(!r.chain_not_verified);
        assert_eq!(r.data_groups.len(), 3);
        // Without a trust anchor: everything but the chain, reported as such.
        let r = passive_auth(&bundle, &TrustStore::default(), now());
        assert!(!r.authentic && r.chain_not_verified, "{kind:?}");
        assert_eq!(status(&r, "certificate_chain"), StepStatus::Skipped);
    }
}

#[test]
fn detects_every_kind_of_forgery() {
    let csca = TestCsca::new("dancu test CSCA", 2024, 2040);
    let trust = TrustStore::new(vec![csca.certificate.clone()]);
    let ds = csca.document_signer(SignerKind::EcdsaP256, 2025, 2030);
    let sod = ds.sign_sod(&groups());

    // A data group changed after signing.
    let mut changed = groups();
    changed.insert(
        13,
        dg13::encode(&dg13::Dg13 { personal_id: Some("008090009999".into()), ..Default::default() }).unwrap(),
    );
    let r = passive_auth(&ChipBundle { sod: sod.clone(), data_groups: changed }, &trust, now());
    assert!(!r.authentic);
    assert_eq!(status(&r, "data_group_hashes"), StepStatus::Failed);
    assert!(r.data_groups.iter().any(|d| d.number == 13 && d.status == "mismatch"));

    // A data group the SOD does not cover.
    let mut extra = groups();
    extra.insert(11, vec![1, 2, 3]);
    let r = passive_auth(&ChipBundle { sod: sod.clone(), data_groups: extra }, &trust, now());
    assert!(r.data_groups.iter().any(|d| d.number == 11 && d.status == "not_in_sod"));
    assert!(!r.authentic);

    // The signature bytes flipped: find the last byte of the signature (end of the file).
    let mut bad_sig = sod.clone();
    let last = bad_sig.len() - 1;
    bad_sig[last] ^= 0x01;
    let r = passive_auth(&ChipBundle { sod: bad_sig, data_groups: groups() }, &trust, now());
    assert!(!r.authentic, "{r:?}");

    // A document signer from another country's CSCA.
    let other = TestCsca::new("another CSCA", 2024, 2040);
    let foreign = other.document_signer(SignerKind::EcdsaP256, 2025, 2030);
    let r = passive_auth(&ChipBundle { sod: foreign.sign_sod(&groups()), data_groups: groups() }, &trust, now());
    assert_eq!(status(&r, "document_signer_signature"), StepStatus::Passed);
    assert_eq!(status(&r, "certificate_chain"), StepStatus::Failed);
    assert!(!r.authentic);

    // Same CSCA name, different key: the chain signature does not verify.
    let impostor = TestCsca::new("dancu test CSCA", 2024, 2040);
    let forged = impostor.document_signer(SignerKind::EcdsaP256, 2025, 2030);
    let r = passive_auth(&ChipBundle { sod: forged.sign_sod(&groups()), data_groups: groups() }, &trust, now());
    assert_eq!(status(&r, "certificate_chain"), StepStatus::Failed);

    // An expired document signer.
    let old = csca.document_signer(SignerKind::EcdsaP256, 2020, 2022);
    let r = passive_auth(&ChipBundle { sod: old.sign_sod(&groups()), data_groups: groups() }, &trust, now());
    assert_eq!(status(&r, "validity_periods"), StepStatus::Failed);
    assert!(!r.authentic);

    // DG1 missing.
    let mut no_dg1 = groups();
    no_dg1.remove(&1);
    let r = passive_auth(&ChipBundle { sod, data_groups: no_dg1 }, &trust, now());
    assert_eq!(status(&r, "data_group_hashes"), StepStatus::Failed);
}

fn openssl_available() -> bool {
    Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success())
}

/// The SOD's ContentInfo without the `77` wrapper, as `openssl cms` reads it.
fn unwrap(sod: &[u8]) -> Vec<u8> {
    use der::{Decode, Tagged};
    let any = der::Any::from_der(sod).unwrap();
    assert_eq!(any.tag().number().value(), 23);
    any.value().to_vec()
}

#[test]
fn openssl_verifies_our_sods() {
    if !openssl_available() {
        eprintln!("openssl not installed: cross-check skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let csca = TestCsca::new("dancu test CSCA", 2024, 2040);
    std::fs::write(dir.path().join("csca.pem"), &csca.pem).unwrap();
    for kind in [SignerKind::EcdsaP256, SignerKind::Rsa2048, SignerKind::Rsa2048Pss] {
        let ds = csca.document_signer(kind, 2025, 2030);
        let sod = ds.sign_sod(&groups());
        std::fs::write(dir.path().join("sod.der"), unwrap(&sod)).unwrap();
        let out = Command::new("openssl")
            .args(["cms", "-verify", "-inform", "DER", "-in", "sod.der", "-CAfile", "csca.pem", "-purpose", "any"])
            .args(["-binary", "-out", "lds.der", "-attime", &now().timestamp().to_string()])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{kind:?}: {}", String::from_utf8_lossy(&out.stderr));
        let lds = std::fs::read(dir.path().join("lds.der")).unwrap();
        assert_eq!(lds, testkit::lds_security_object(&groups()), "{kind:?}: openssl recovers the LDS object");
        // And openssl rejects a flipped signature, so the success above is meaningful.
        let mut bad = unwrap(&sod);
        let last = bad.len() - 1;
        bad[last] ^= 1;
        std::fs::write(dir.path().join("bad.der"), bad).unwrap();
        let out = Command::new("openssl")
            .args(["cms", "-verify", "-inform", "DER", "-in", "bad.der", "-CAfile", "csca.pem", "-purpose", "any"])
            .args(["-binary", "-out", "/dev/null"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{kind:?}: openssl must reject the tampered SOD");
    }
}

#[test]
fn we_verify_openssl_sods() {
    if !openssl_available() {
        eprintln!("openssl not installed: cross-check skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let csca = TestCsca::new("dancu test CSCA", 2024, 2040);
    let ds = csca.document_signer(SignerKind::Rsa2048, 2025, 2030);
    let key_pem = pem_encode("PRIVATE KEY", &ds.key_pkcs8);
    std::fs::write(dir.path().join("ds.pem"), &ds.pem).unwrap();
    std::fs::write(dir.path().join("ds.key"), key_pem).unwrap();
    std::fs::write(dir.path().join("lds.der"), testkit::lds_security_object(&groups())).unwrap();
    for extra in [&[][..], &["-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32"][..]] {
        let out = Command::new("openssl")
            .args(["cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-in", "lds.der", "-out", "sod.der"])
            .args(["-signer", "ds.pem", "-inkey", "ds.key", "-md", "sha256", "-econtent_type", "2.23.136.1.1.1"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let sod = std::fs::read(dir.path().join("sod.der")).unwrap();
        let trust = TrustStore::new(vec![csca.certificate.clone()]);
        let r = passive_auth(&ChipBundle { sod: testkit::wrap_ef_sod(&sod), data_groups: groups() }, &trust, now());
        assert!(r.authentic, "{extra:?}: {r:?}");
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

#[test]
fn trust_store_reads_pem_directories() {
    let dir = tempfile::tempdir().unwrap();
    let a = TestCsca::new("CSCA A", 2024, 2040);
    let b = TestCsca::new("CSCA B", 2024, 2040);
    std::fs::write(dir.path().join("a.pem"), format!("{}{}", a.pem, b.pem)).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    assert_eq!(TrustStore::load_dir(dir.path()).unwrap().len(), 2);
    std::fs::write(dir.path().join("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        .unwrap();
    assert!(TrustStore::load_dir(dir.path()).unwrap_err().contains("broken.pem"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let bundle = ChipBundle { sod: bytes.clone(), data_groups: groups() };
        let r = passive_auth(&bundle, &TrustStore::default(), now());
        prop_assert!(!r.authentic);
        let _ = dg1::parse(&bytes, now().date_naive());
        let _ = dg13::parse(&bytes);
    }

    #[test]
    fn mutated_sods_never_panic(pos in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
        thread_local! {
            static SOD: Vec<u8> = TestCsca::new("fuzz CSCA", 2024, 2040)
                .document_signer(SignerKind::EcdsaP256, 2025, 2030)
                .sign_sod(&groups());
        }
        let mut sod = SOD.with(|s| s.clone());
        let p = pos % sod.len();
        sod[p] = byte;
        sod.truncate(sod.len() - cut % sod.len());
        let r = passive_auth(&ChipBundle { sod, data_groups: groups() }, &TrustStore::default(), now());
        prop_assert!(!r.authentic);
    }
}
