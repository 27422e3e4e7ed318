//! The birth registration form in headless Chromium: the commune picker suggests communes for a
//! name typed without diacritics within the chosen province (`app.js` asking the administrative
//! units API), a birth date in the future is refused next to its field in Vietnamese with nothing
//! stored, and the corrected form is filed with the picked commune's code.

use crate::browser::{left_sign_in, sign_in, wait_css, Driver};
use crate::common;

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use db::sqlx::{self, Row};
use fantoccini::{Client, Locator};

/// Upper bound of the wait for the picker's suggestions.
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(dancu_browser), ignore = "needs Chromium: set DANCU_BROWSER_TESTS=1")]
async fn birth_form_picks_communes_and_refuses_future_births_in_chromium() {
    let t = db::testing::TestDb::sqlite(&common::migrations()).await;
    let w = common::world(t.db().clone(), 400, false).await;
    let (person, _) = crate::services::citizen(&w, "F", true, 2).await;
    let login: String = sqlx::query("SELECT login FROM accounts WHERE person_id = $1")
        .bind(&person)
        .fetch_one(w.db.read())
        .await
        .expect("the citizen's account")
        .get(0);
    let commune = registry::admin_units::AdminUnits::get().commune(&w.commune).expect("the world's commune").clone();
    let driver = Driver::start().await.expect("start chromedriver");
    let client = driver.connect().await.expect("open a Chromium session");
    let outcome = drive(&client, &w.base, &login, &commune).await;
    let closed = client.close().await;
    drop(driver);
    outcome.unwrap();
    closed.expect("close the browser session");
    let stored: Vec<String> = sqlx::query("SELECT answers FROM svc_applications WHERE applicant_person_id = $1")
        .bind(&person)
        .fetch_all(w.db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(stored.len(), 1, "the refused submission stored nothing");
    let answers: serde_json::Value = serde_json::from_str(&stored[0]).unwrap();
    assert_eq!(answers["birth_commune"], commune.code.as_str(), "the picked commune's code");
}

/// Sets a date input's value (the control's typed format follows the browser's locale).
async fn set_date(c: &Client, name: &str, iso: &str) -> anyhow::Result<()> {
    c.execute(
        "document.querySelector(`input[name='${arguments[0]}']`).value = arguments[1];",
        vec![name.into(), iso.into()],
    )
    .await?;
    Ok(())
}

async fn drive(c: &Client, base: &str, login: &str, commune: &registry::admin_units::Commune) -> anyhow::Result<()> {
    c.goto(&format!("{base}/login")).await?;
    sign_in(c, login, "mat-khau-cong-dan").await?;
    left_sign_in(c).await?;
    c.goto(&format!("{base}/services/birth_registration")).await?;
    wait_css(c, "#apply [data-commune-picker]").await?;
    wait_css(c, "input[name=child_name]").await?.send_keys("Phạm Bảo Ngọc").await?;
    c.find(Locator::Css("select[name=child_gender] option[value=F]")).await?.click().await?;
    let province = format!("[data-commune-picker] select[data-province] option[value='{}']", commune.province_code);
    c.find(Locator::Css(&province)).await?.click().await?;
    // Typed without diacritics, the suggestions still find it.
    let field = c.find(Locator::Css("input[name=birth_commune]")).await?;
    field.send_keys(&kernel::text::fold(&commune.name)).await?;
    let wanted = format!("({})", commune.code);
    let until = Instant::now() + WAIT;
    let picked = loop {
        let options = c
            .execute(
                "return Array.from(document.querySelectorAll('#birth_commune-communes option'), o => o.value);",
                vec![],
            )
            .await?;
        let found = options
            .as_array()
            .and_then(|a| a.iter().filter_map(|v| v.as_str()).find(|v| v.ends_with(&wanted)).map(str::to_string));
        if let Some(v) = found {
            break v;
        }
        ensure!(Instant::now() < until, "no suggestion for {wanted}: {options}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(picked.starts_with(&commune.name), "suggestions show the name with diacritics: {picked}");
    field.clear().await?;
    field.send_keys(&picked).await?;

    // A birth tomorrow is refused next to the date, in Vietnamese.
    let tomorrow = kernel::clock::today_vn() + chrono::Duration::days(1);
    set_date(c, "child_birth_date", &tomorrow.format("%Y-%m-%d").to_string()).await?;
    c.find(Locator::Css("#apply button[value=submit]")).await?.click().await?;
    let error = wait_css(c, ".error[data-field=child_birth_date]").await?.text().await?;
    ensure!(error == "Ngày này chưa đến: không được sau ngày hôm nay.", "refusal: {error}");
    let kept = c.find(Locator::Css("input[name=birth_commune]")).await?.prop("value").await?.unwrap_or_default();
    ensure!(kept == picked, "the picked commune is kept on the refused form: {kept}");

    let yesterday = kernel::clock::today_vn() - chrono::Duration::days(1);
    set_date(c, "child_birth_date", &yesterday.format("%Y-%m-%d").to_string()).await?;
    c.find(Locator::Css("#apply button[value=submit]")).await?.click().await?;
    let status = wait_css(c, "#status[data-status=submitted]").await.context("filed after the correction")?;
    ensure!(!status.text().await?.is_empty());
    Ok(())
}
