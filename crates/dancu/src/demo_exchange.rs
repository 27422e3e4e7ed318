//! The demo's data-exchange members: the provincial social-insurance agency and a bank, each
//! with one information system (subsystem), an ES256 key pair and a right to `person.verify`, so
//! the sample client (`examples/exchange_client.py`) can call the exchange at once.
//!
//! The private keys are written to the data directory (readable by its owner only), as an agency
//! would keep its own; the platform stores only the public keys. Registered once: a later run
//! finds the members and the files and changes nothing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use exchange::members::{self, MemberClass, Status, Validity};
use exchange::rights::{self, Grant};
use kernel::{Actor, Jurisdiction, Role};
use serde::{Deserialize, Serialize};

/// One demo member as the sample client needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoMember {
    pub member: String,
    pub name: String,
    pub subsystem: String,
    pub purpose: String,
    pub kid: String,
    /// The subsystem's private key (PEM, PKCS #8).
    pub key_file: PathBuf,
}

struct Spec {
    member: String,
    name: String,
    class: MemberClass,
    subsystem: &'static str,
    subsystem_name: &'static str,
    purpose: &'static str,
    /// A purpose that needs the citizen's consent, granted too.
    with_consent: Option<&'static str>,
}

fn specs(province: &str, province_name: &str) -> [Spec; 2] {
    [
        Spec {
            member: format!("BHXH-{province}"),
            name: format!("Bảo hiểm xã hội {province_name}"),
            class: MemberClass::Government,
            subsystem: "quan-ly-thu",
            subsystem_name: "Hệ thống quản lý thu, sổ thẻ",
            purpose: "social_insurance",
            with_consent: None,
        },
        Spec {
            member: "NHDEMO".into(),
            name: "Ngân hàng Demo".into(),
            class: MemberClass::Bank,
            subsystem: "ekyc",
            subsystem_name: "Định danh khách hàng điện tử (eKYC)",
            purpose: "customer_identification",
            with_consent: Some("credit_assessment"),
        },
    ]
}

/// The file listing the demo members (next to `demo-accounts.json`).
pub fn members_file(dir: &Path) -> PathBuf {
    dir.join("exchange-members.json")
}

/// Registers, approves and grants the demo members once; returns them.
pub async fn prepare(db: &db::Db, dir: &Path, province: &str) -> anyhow::Result<Vec<DemoMember>> {
    let file = members_file(dir);
    if let Ok(text) = std::fs::read_to_string(&file) {
        if let Ok(found) = serde_json::from_str::<Vec<DemoMember>>(&text) {
            if found.iter().all(|m| m.key_file.exists()) {
                return Ok(found);
            }
        }
    }
    let province_name = registry::admin_units::AdminUnits::get()
        .province(province)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| province.to_string());
    let stores = crate::demo_lodging::stores(db).await?;
    // As the demo's other seeded records, recorded in the name of the demo itself.
    let admin = Actor::new("demo", "admin", Role::Admin, Jurisdiction::Province(province.to_string()));
    let now = kernel::clock::now_ms();
    let keys_dir = dir.join("exchange-keys");
    std::fs::create_dir_all(&keys_dir)?;
    let mut out = Vec::new();
    for spec in specs(province, &province_name) {
        // A member left by an earlier run without its file cannot be completed: its key is lost.
        members::register_member(&stores, &admin, &spec.member, &spec.name, spec.class, now)
            .await
            .with_context(|| format!("register exchange member {}", spec.member))?;
        members::set_member_status(&stores, &admin, &spec.member, Status::Approved, "", now).await?;
        members::add_subsystem(&stores, &admin, &spec.member, spec.subsystem, spec.subsystem_name, now).await?;
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let kid = members::add_key(
            &stores,
            &admin,
            &spec.member,
            spec.subsystem,
            &public_jwk(key.public_key_raw())?,
            Validity { from: now, to: None },
            now,
        )
        .await?;
        let service = exchange::catalogue::Service::find(exchange::catalogue::PERSON_VERIFY)
            .context("person.verify is in the catalogue")?;
        for purpose in std::iter::once(spec.purpose).chain(spec.with_consent) {
            let grant = Grant {
                member: spec.member.clone(),
                subsystem: spec.subsystem.into(),
                service: service.code.into(),
                purpose: purpose.into(),
                fields: service.fields.iter().map(|f| f.code.to_string()).collect(),
                valid_from: kernel::clock::today_vn(),
                valid_to: None,
                daily_quota: 10_000,
            };
            rights::grant(&stores, &admin, &grant, now).await?;
        }
        let key_file = keys_dir.join(format!("{}.pem", spec.member));
        crate::demo::write_private(&key_file, &key.serialize_pem())?;
        out.push(DemoMember {
            member: spec.member,
            name: spec.name,
            subsystem: spec.subsystem.into(),
            purpose: spec.purpose.into(),
            kid,
            key_file,
        });
    }
    crate::demo::write_private(&file, &serde_json::to_string_pretty(&out)?)?;
    Ok(out)
}

/// The public JWK of a P-256 key from its uncompressed point (`04 ‖ x ‖ y`).
pub(crate) fn public_jwk(point: &[u8]) -> anyhow::Result<serde_json::Value> {
    let (x, y) = match point {
        [4, rest @ ..] if rest.len() == 64 => rest.split_at(32),
        _ => anyhow::bail!("not an uncompressed P-256 point"),
    };
    Ok(serde_json::json!({
        "kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
    }))
}

/// How to call the exchange as each demo member (personal data stays out of the terminal: the
/// command names where to take a resident from).
pub fn print(members: &[DemoMember], public_url: &str) {
    println!("\nTrao đổi dữ liệu / data exchange: {public_url}/api/v1/exchange (docs/EXCHANGE.md)");
    for m in members {
        println!(
            "  {} ({}): python3 examples/exchange_client.py call --base {public_url} --key {} --kid {} --member {} --subsystem {} --purpose {} --personal-id … --full-name … --birth-date …",
            m.name,
            m.member,
            m.key_file.display(),
            m.kid,
            m.member,
            m.subsystem,
            m.purpose,
        );
    }
    println!("  (một công dân mẫu / a sample resident: demo-accounts.json)");
    println!(
        "  Ngân hàng Demo cũng được hỏi để thẩm định tín dụng khi công dân đồng ý / the demo bank may also ask for credit assessment with the citizen's consent: {public_url}/consents/new?member=NHDEMO&purpose=credit_assessment&fields=living_resident,over_18&days=30 → --purpose credit_assessment --consent-id DY-…"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwk_carries_the_points_coordinates() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let jwk = public_jwk(key.public_key_raw()).unwrap();
        let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
        let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
        let mut point = vec![4u8];
        point.extend(x);
        point.extend(y);
        assert_eq!(point, key.public_key_raw());
        assert!(public_jwk(&[2; 33]).is_err(), "a compressed point is refused");
    }
}
