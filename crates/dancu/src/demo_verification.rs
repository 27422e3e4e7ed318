//! What a tester needs to verify the demo's level-2 citizen in every way: the card's QR payload
//! (text and SVG), a test country signing CA trusted by the demo server, and a chip data bundle
//! (EF.SOD, DG1, DG13) of the citizen's card as a chip-reader app would send it.

use std::path::{Path, PathBuf};

use verification::cccd_qr::{qr_svg, CardQr};
use verification::chip::testkit::{SignerKind, TestCsca};

use crate::demo::DemoAccount;

/// Trust store directory of the demo server (the test CSCA's certificate).
const CSCA_DIR: &str = "csca";
const CSCA_FILE: &str = "dancu-demo-csca.pem";
/// The chip bundle: `POST /api/v1/verifications/chip` body, ready for curl or the verifier page.
pub const CHIP_FILE: &str = "chip-demo-citizen.json";
const QR_TEXT_FILE: &str = "card-qr-demo-citizen.txt";
const QR_SVG_FILE: &str = "card-qr-demo-citizen.svg";

/// Files written for verification and the trust store holding the demo CSCA.
pub struct DemoVerification {
    pub trust_dir: PathBuf,
    files: Vec<PathBuf>,
}

/// Writes the demo citizen's card QR and chip bundle (once: a later run reuses the CSCA and
/// bundle so a file already handed to a tester stays valid) and returns where they are.
pub async fn prepare(db: &db::Db, dir: &Path, accounts: &[DemoAccount]) -> anyhow::Result<DemoVerification> {
    let citizen = accounts
        .iter()
        .find(|a| a.level == Some(2))
        .and_then(|a| a.person_id.clone())
        .ok_or_else(|| anyhow::anyhow!("the demo has no level-2 citizen"))?;
    let card = demo_card(db, &citizen).await?;
    let payload = card.to_payload();
    std::fs::write(dir.join(QR_TEXT_FILE), format!("{payload}\n"))?;
    std::fs::write(dir.join(QR_SVG_FILE), qr_svg(&payload).map_err(|e| anyhow::anyhow!("card QR: {e}"))?)?;
    let trust_dir = dir.join(CSCA_DIR);
    let chip_path = dir.join(CHIP_FILE);
    if !(trust_dir.join(CSCA_FILE).exists() && chip_path.exists()) {
        let year = chrono::Datelike::year(&kernel::clock::today_vn());
        let csca = TestCsca::new("dancu demo CSCA", year - 1, year + 15);
        let signer = csca.document_signer(SignerKind::EcdsaP256, year - 1, year + 10);
        let mut body = verification::api::chip_json(&signer.card_chip(&card));
        if let Some(fields) = body.as_object_mut() {
            fields.insert("purpose".into(), "hotel_guest".into());
            fields.insert("citizen_present".into(), true.into());
        }
        std::fs::create_dir_all(&trust_dir)?;
        std::fs::write(trust_dir.join(CSCA_FILE), &csca.pem)?;
        std::fs::write(&chip_path, serde_json::to_string_pretty(&body)?)?;
    }
    let files = vec![dir.join(QR_TEXT_FILE), dir.join(QR_SVG_FILE), chip_path, trust_dir.clone()];
    Ok(DemoVerification { trust_dir, files })
}

/// The card QR of the citizen's newest card, from the registry.
async fn demo_card(db: &db::Db, id: &str) -> anyhow::Result<CardQr> {
    let pid = kernel::PersonalId::parse(id)?;
    let person = registry::queries::persons::get_self(db, &pid)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo citizen {id} is not in the registry"))?;
    let cards = registry::queries::cards::of_person(db, id, kernel::clock::today_vn()).await?;
    cards
        .first()
        .and_then(|c| CardQr::of_registry(&person, c))
        .ok_or_else(|| anyhow::anyhow!("demo citizen {id} has no card with a full birth date"))
}

impl DemoVerification {
    /// Where the files are and how to use them, for the demo's start-up message.
    pub fn print(&self, public: &str) {
        println!(
            "Xác minh danh tính công dân mức 2 / identity verification of the level-2 citizen (login chu.khachsan):"
        );
        for f in &self.files {
            println!("  {}", f.display());
        }
        println!("  {public}/verify — dán mã QR thẻ / paste the card QR text, or the identity QR text of {public}/me/identity-qr,");
        println!(
            "  or choose {CHIP_FILE} under \"Dữ liệu chip\"; the citizen sees all three at {public}/account/access-log"
        );
    }
}
