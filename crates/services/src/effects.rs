//! What approving an application changes in the population registry, in the same transaction as
//! the approval: the registry functions of `registry::civil`, `registry::moves` and
//! `registry::write` run with the approving officer as actor and within their jurisdiction. The
//! returned lines go into the result document.

use chrono::NaiveDate;
use db::sqlx::AnyConnection;
use kernel::Actor;
use kernel::{AppError, Gender, PersonalId};
use registry::civil::{self, Absence, NewBirth, TemporaryStay};
use registry::queries::persons::PersonView;

use crate::applications::model::Application;
use crate::catalogue::{Effect, Procedure};
use crate::documents::Line;

fn line(label: &str, value: impl Into<String>) -> Line {
    Line { label: label.into(), value: value.into() }
}

/// What an effect puts on the result document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub lines: Vec<Line>,
    /// Whom the document is about when it is not the applicant (the child of a birth
    /// certificate): name and personal id.
    pub holder: Option<(String, String)>,
}

impl From<Vec<Line>> for Outcome {
    fn from(lines: Vec<Line>) -> Outcome {
        Outcome { lines, holder: None }
    }
}

/// `Số 5, tổ 3, Xã A, Tỉnh B`: a street address with its commune and province.
fn full_address(address: &str, commune: &str) -> String {
    let units = registry::admin_units::AdminUnits::get();
    let Some(c) = units.commune(commune) else { return address.to_string() };
    let province = units.province(&c.province_code).map(|p| p.name.clone()).unwrap_or_default();
    [address, c.name.as_str(), province.as_str()]
        .iter()
        .filter(|x| !x.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

fn ethnicity(code: Option<&str>) -> String {
    code.and_then(kernel::vocab::ethnicity_name).unwrap_or("—").to_string()
}

fn nationality(code: Option<&str>) -> String {
    match code {
        Some("VN") => "Việt Nam".to_string(),
        Some(other) => other.to_string(),
        None => "—".to_string(),
    }
}

/// The lines of a parent on the birth certificate (Circular 04/2020/TT-BTP form).
fn parent_lines(lines: &mut Vec<Line>, who: &str, p: Option<&registry::civil::ParentOnRecord>) {
    let Some(p) = p else {
        lines.push(line(&format!("Họ, chữ đệm, tên người {who}"), "—"));
        return;
    };
    lines.push(line(&format!("Họ, chữ đệm, tên người {who}"), p.full_name.clone()));
    lines.push(line("Năm sinh", p.birth_year.map(|y| y.to_string()).unwrap_or_else(|| "—".into())));
    lines.push(line("Dân tộc", ethnicity(p.ethnicity.as_deref())));
    lines.push(line("Quốc tịch", nationality(p.nationality.as_deref())));
    let home = match (&p.address, &p.commune_code) {
        (Some(a), Some(c)) => full_address(a, c),
        (Some(a), None) => a.clone(),
        _ => "—".to_string(),
    };
    lines.push(line("Nơi cư trú", home));
}

fn answer<'a>(app: &'a Application, name: &str) -> Result<&'a str, AppError> {
    app.answers
        .get(name)
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AppError::invalid(format!("{name}: missing in the application")))
}

fn date(app: &Application, name: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(answer(app, name)?, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(format!("{name}: bad date")))
}

fn vn(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn person_id(app: &Application, name: &str) -> Result<PersonalId, AppError> {
    PersonalId::parse(answer(app, name)?)
}

/// A health insurance card number for a child under 6 (group TE, benefit level 1, then the
/// province and the last ten digits of the personal id), as the linked procedure issues it.
fn child_insurance_number(province: &str, id: &PersonalId) -> String {
    format!("TE1{:0>2}{}", province, &id.as_str()[2..])
}

/// Applies the procedure's effect; `applicant` is the applicant's current registry record. `now`
/// is UTC milliseconds, the time of the approval (its day in Vietnam is the date of the effects).
pub async fn apply(
    tx: &mut AnyConnection,
    p: &Procedure,
    app: &Application,
    applicant: &PersonView,
    officer: &Actor,
    now: i64,
) -> Result<Outcome, AppError> {
    let actor = officer.actor_label();
    let j = &officer.jurisdiction;
    let reason = format!("{} — hồ sơ {}", p.name_vi, app.receipt_code);
    let me = PersonalId::parse(&app.applicant_person_id)?;
    let today = kernel::clock::date_vn(now);
    match p.effect {
        Effect::None => Ok(Outcome::default()),
        Effect::Birth | Effect::BirthResidenceInsurance => {
            let household = applicant
                .household_id
                .clone()
                .ok_or_else(|| AppError::invalid("the applicant belongs to no household"))?;
            let gender =
                Gender::parse(answer(app, "child_gender")?).ok_or_else(|| AppError::invalid("child_gender"))?;
            let other =
                app.answers.get("other_parent_id").and_then(|v| v.as_str()).map(PersonalId::parse).transpose()?;
            let (father, mother) = match applicant.gender.as_deref() {
                Some("M") => (Some(me.clone()), other),
                _ => (other, Some(me.clone())),
            };
            let declared = |name: &str| app.answers.get(name).and_then(|v| v.as_str()).map(str::to_string);
            let birth = NewBirth {
                full_name: answer(app, "child_name")?.to_string(),
                gender,
                birth_date: date(app, "child_birth_date")?,
                birth_commune: answer(app, "birth_commune")?.to_string(),
                ethnicity: declared("child_ethnicity"),
                religion: declared("child_religion"),
                nationality: declared("child_nationality"),
                father_id: father,
                mother_id: mother,
                household_id: household,
            };
            let born = civil::register_birth_in(tx, &actor, j, &birth, &reason, now).await?;
            let mut lines = vec![
                line("Họ, chữ đệm, tên", birth.full_name.clone()),
                line("Ngày, tháng, năm sinh", vn(birth.birth_date)),
                line("Giới tính", if gender == Gender::Male { "Nam" } else { "Nữ" }),
                line("Dân tộc", ethnicity(born.ethnicity.as_deref())),
                line("Quốc tịch", nationality(born.nationality.as_deref())),
                line("Nơi sinh", full_address("", &birth.birth_commune)),
                line("Quê quán", born.hometown.clone().unwrap_or_else(|| "—".into())),
                line("Số định danh cá nhân", born.personal_id.to_string()),
            ];
            parent_lines(&mut lines, "mẹ", born.mother.as_ref());
            parent_lines(&mut lines, "cha", born.father.as_ref());
            lines.push(line("Nơi thường trú của trẻ", full_address(&born.address, &born.commune_code)));
            lines.push(line("Quan hệ với chủ hộ", kernel::vocab::relationship_vi(&born.relationship).to_string()));
            lines.push(line("Người đi đăng ký khai sinh", format!("{} ({})", applicant.full_name, me)));
            lines.push(line("Nơi đăng ký khai sinh", full_address("", &app.commune_code)));
            lines.push(line("Ngày đăng ký", vn(today)));
            if p.effect == Effect::BirthResidenceInsurance {
                lines.push(line("Mã thẻ bảo hiểm y tế", child_insurance_number(&app.province_code, &born.personal_id)));
                lines.push(line(
                    "Hạn thẻ bảo hiểm y tế",
                    format!("đến ngày trẻ đủ 72 tháng tuổi ({})", vn(birth.birth_date + chrono::Months::new(72))),
                ));
            }
            Ok(Outcome { lines, holder: Some((birth.full_name.clone(), born.personal_id.to_string())) })
        }
        Effect::TemporaryResidence => {
            let stay = TemporaryStay {
                commune_code: answer(app, "commune")?.to_string(),
                address: answer(app, "address")?.to_string(),
                start: today,
                expiry: date(app, "until")?,
            };
            civil::register_temporary_in(tx, &actor, j, &me, &stay, &reason, now).await?;
            Ok(Outcome::from(vec![
                line("Nơi tạm trú", full_address(&stay.address, &stay.commune_code)),
                line("Thời hạn tạm trú", format!("{} – {}", vn(stay.start), vn(stay.expiry))),
            ]))
        }
        Effect::TemporaryExtension => {
            let until = date(app, "until")?;
            civil::extend_temporary_in(tx, &actor, j, &me, until, &reason, now).await?;
            Ok(Outcome::from(vec![line("Gia hạn tạm trú đến", vn(until))]))
        }
        Effect::PermanentResidence => {
            let to = registry::moves::Move {
                commune_code: answer(app, "commune")?.to_string(),
                address: answer(app, "address")?.to_string(),
                date: today,
            };
            // The applicant may live elsewhere now: the police of the new commune register them.
            let anywhere = kernel::Jurisdiction::Province(app.province_code.clone());
            registry::moves::record_move_in(tx, &actor, &anywhere, &me, &to, &reason, now).await?;
            Ok(Outcome::from(vec![
                line("Nơi thường trú mới", full_address(&to.address, &to.commune_code)),
                line("Ngày đăng ký", vn(today)),
            ]))
        }
        Effect::PermanentRemoval => {
            civil::remove_permanent_in(tx, &actor, j, &me, today, &reason, now).await?;
            Ok(Outcome::from(vec![line("Ngày xóa đăng ký thường trú", vn(today))]))
        }
        Effect::Absence => {
            let a = Absence {
                from: date(app, "from")?,
                to: date(app, "to")?,
                destination: answer(app, "destination")?.to_string(),
            };
            civil::declare_absence_in(tx, &actor, j, &me, &a, &reason, now).await?;
            Ok(Outcome::from(vec![
                line("Thời gian tạm vắng", format!("{} – {}", vn(a.from), vn(a.to))),
                line("Nơi đến", a.destination.clone()),
            ]))
        }
        Effect::Death => {
            let deceased = person_id(app, "deceased_id")?;
            let day = date(app, "death_date")?;
            registry::write::record_death_in(tx, &actor, j, &deceased, day, &reason, now).await?;
            Ok(Outcome::from(vec![
                line("Số định danh của người chết", deceased.to_string()),
                line("Ngày chết", vn(day)),
                line("Đăng ký thường trú", "Đã xóa theo quy định"),
            ]))
        }
        Effect::Marriage => {
            let partner = person_id(app, "partner_id")?;
            civil::record_marriage_in(tx, &actor, j, &me, &partner, today, &reason, now).await?;
            Ok(Outcome::from(vec![
                line("Bên thứ nhất", format!("{} ({})", applicant.full_name, me)),
                line("Bên thứ hai", format!("{} ({})", answer(app, "partner_name")?, partner)),
                line("Ngày đăng ký kết hôn", vn(today)),
            ]))
        }
        Effect::OldIdConfirmation => {
            let old = applicant
                .old_id
                .clone()
                .ok_or_else(|| AppError::invalid("the registry holds no 9-digit ID number for the applicant"))?;
            Ok(Outcome::from(vec![
                line("Số Chứng minh nhân dân (9 số) đã cấp", old),
                line("Số định danh cá nhân hiện tại", me.to_string()),
                line("Xác nhận", "Hai số trên là của cùng một công dân"),
            ]))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn child_insurance_numbers_have_fifteen_characters() {
        let id = kernel::PersonalId::parse("008226012345").unwrap();
        let n = super::child_insurance_number("08", &id);
        assert_eq!(n, "TE1088226012345");
        assert_eq!(n.len(), 15);
    }
}
