//! `dancu export`, `dancu import` and `dancu quality report`.

use std::path::Path;

use kernel::Jurisdiction;

/// Exports the registry to CSV files, with a progress bar over the rows of every file (it once
/// counted persons only and went past 300 %).
pub async fn export(db: &db::Db, dir: &Path) -> anyhow::Result<u64> {
    let total = registry::io::export_size(db).await?;
    let pb = crate::progress::bar(total.max(1), "rows");
    pb.set_message("Exporting");
    let n = registry::io::export(db, dir, &|n| pb.set_position(n)).await?;
    pb.finish_and_clear();
    Ok(n)
}

/// Imports CSV files written by `export` (all or nothing).
pub async fn import(db: &db::Db, dir: &Path) -> anyhow::Result<usize> {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(format!("Importing {}", dir.display()));
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    let n = registry::io::import(db, dir, kernel::clock::now_ms()).await;
    pb.finish_and_clear();
    Ok(n?)
}

/// Runs the quality rules and prints the report (whole registry, or one commune).
pub async fn quality_report(db: &db::Db, commune: Option<&str>, json: bool) -> anyhow::Result<()> {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message("Checking every record");
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    let run = registry::quality::run(db, kernel::clock::now_ms()).await?;
    pb.finish_and_clear();
    let province = registry::meta::get(db, "generated.province").await?.unwrap_or_else(|| "08".into());
    let scope = Jurisdiction::Province(province);
    let Some(report) = registry::quality::report(db, &scope, commune).await? else {
        anyhow::bail!("no quality run recorded");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "Chất lượng dữ liệu / data quality: {} records checked in {:.1} s, {} findings",
        run.persons_checked, run.seconds, run.findings
    );
    println!("{:<10} {:<30} {:>9}  meaning", "group", "rule", "records");
    for r in &report.rules {
        println!("{:<10} {:<30} {:>9}  {}", r.group.label().0, r.rule, r.count, r.vi);
    }
    if !report.by_commune.is_empty() {
        println!("\nXã/phường nhiều lỗi nhất / communes with most findings:");
        for c in report.by_commune.iter().take(10) {
            println!("  {:<8} {:<30} {:>8}", c.commune_code, c.commune_name, c.findings);
        }
    }
    Ok(())
}
