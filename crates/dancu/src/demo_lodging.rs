//! Lodging in the demo: the demo hotel becomes an approved facility, and a rental house, a hospital
//! ward and a coach operator are registered in the demo commune, each with a staff login; guests
//! are checked in (one notified late, one on the commune's watchlist, one staying 35 days in the
//! rental house) so the police page shows a late flag, an alert and a temporary-residence prompt,
//! and enough more (a Korean tour group, a business group that checks out, a family) that the
//! tourism dashboards show numbers rather than cells suppressed below 5.
//! The hospital ward admits an inpatient with a caregiver. A coach trip boards a passenger; a relic site with two gates records a few visitor entries and
//! one exit.

use identity::organizations::{NewOrganization, OrgKind};
use kernel::{Actor, Jurisdiction, Role};
use lodging::checkins::{CheckinRequest, CheckinResult};
use lodging::guests::GuestInput;

use crate::demo::DemoAccount;

/// The other facilities: organization kind, facility kind, name, licence, rooms, beds, staff login.
const OTHERS: &[(OrgKind, &str, &str, &str, i64, i64, &str)] = &[
    (OrgKind::RentalHouse, "rental_house", "Nhà trọ Demo Phú Lâm", "5000223344", 12, 24, "nhatro.demo"),
    (OrgKind::Hospital, "hospital_ward", "Khoa Nội — Bệnh viện Đa khoa Demo", "5000334455", 30, 60, "benhvien.demo"),
    (OrgKind::CoachOperator, "coach_operator", "Nhà xe Demo Tuyên Quang – Hà Nội", "5000445566", 6, 270, "nhaxe.demo"),
];

/// Seeds the lodging demo once (called when the demo accounts are first created) and returns the
/// staff logins it created.
pub async fn seed(
    db: &db::Db,
    hasher: &identity::PasswordHasher,
    commune: &str,
    accounts: &[DemoAccount],
) -> anyhow::Result<Vec<DemoAccount>> {
    let Some(hotel) = accounts.iter().find(|a| a.login == "chu.khachsan") else { return Ok(Vec::new()) };
    let Some((police, _, _)) = identity::find_by_login(db, "xa.congan").await? else { return Ok(Vec::new()) };
    let svc = service(db).await?;
    let officer = user(&police.id, "xa.congan", Role::CommunePolice, Jurisdiction::Commune(commune.into()));
    let hotel_org = hotel.organization_id.clone().unwrap_or_default();
    let hotel_staff = identity::find_by_login(db, &hotel.login).await?.map(|a| a.0.id).unwrap_or_default();
    let hotel_id = facility(db, &hotel_org, "hotel", &hotel.jurisdiction_name, "5000123456", (40, 80), commune).await?;
    approve(db, &hotel_id, &officer).await?;

    let mut out = Vec::new();
    let mut staff = Vec::new();
    for (org_kind, kind, name, tax, rooms, beds, login) in OTHERS {
        let org = identity::organizations::create_organization(
            db,
            NewOrganization {
                tax_code: (*tax).into(),
                name: (*name).into(),
                kind: *org_kind,
                address: "2 đường Demo".into(),
                commune_code: commune.into(),
            },
            kernel::clock::now_ms(),
        )
        .await?;
        let id = facility(db, &org.id, kind, name, tax, (*rooms, *beds), commune).await?;
        approve(db, &id, &officer).await?;
        let (who, account) = staff_login(db, hasher, &org.id, name, login).await?;
        staff.push((who, id));
        out.push(account);
    }

    let guests = residents(db, commune, 18).await?;
    let [parent, child, watched, late, renter, patient, carer, others @ ..] = guests.as_slice() else {
        return Ok(out);
    };
    lodging::watchlist::create(
        db,
        &officer,
        lodging::watchlist::NewEntry {
            personal_id: Some(watched.clone()),
            passport_number: None,
            nationality: None,
            full_name: None,
            category: "wanted".into(),
            reason: "Quyết định truy nã số 12/QĐ-CSHS (dữ liệu mẫu)".into(),
        },
        kernel::clock::now_ms(),
    )
    .await?;
    let hour = 3_600_000;
    let now = kernel::clock::now_ms();
    let at_hotel = user(&hotel_staff, &hotel.login, Role::OrgStaff, Jurisdiction::Own(hotel_org));
    let family = vec![citizen(&svc, parent).await?, citizen(&svc, child).await?];
    check_in(&svc, &at_hotel, &hotel_id, "201", "Du lịch", now - 2 * hour, family).await?;
    // Arrived yesterday morning, notified only now: past the 23:00 deadline.
    check_in(&svc, &at_hotel, &hotel_id, "305", "Công tác", now - 30 * hour, vec![citizen(&svc, late).await?]).await?;
    let korean = GuestInput {
        passport: Some(lodging::guests::PassportInput {
            number: "M7654321".into(),
            nationality: "KOR".into(),
            full_name: "Kim Min Jun".into(),
            birth_date: "1990-05-01".into(),
            visa: Some("DL1234567".into()),
            entry_date: Some(kernel::clock::today_vn().format("%Y-%m-%d").to_string()),
            border_gate: Some("Cửa khẩu Quốc tế Nội Bài".into()),
        }),
        ..Default::default()
    };
    check_in(&svc, &at_hotel, &hotel_id, "402", "Du lịch", now - hour, vec![korean]).await?;
    check_in(&svc, &at_hotel, &hotel_id, "108", "Thăm người thân", now - hour / 2, vec![citizen(&svc, watched).await?])
        .await?;
    let [(rental, rental_id), (ward, ward_id), (coach, coach_id)] = staff.as_slice() else {
        anyhow::bail!("the demo registers {} other facilities", OTHERS.len());
    };
    check_in(
        &svc,
        rental,
        rental_id,
        "P3",
        "Làm việc tại khu công nghiệp",
        now - 35 * 24 * hour,
        vec![citizen(&svc, renter).await?],
    )
    .await?;
    let admission = lodging::hospital::Admission {
        facility_id: ward_id.clone(),
        ward: "Buồng 3".into(),
        bed: "12".into(),
        admitted_at: Some(kernel::clock::ms_to_vn(now - 5 * hour)),
        expected_discharge_at: Some(kernel::clock::ms_to_vn(now + 72 * hour)),
        patient: citizen(&svc, patient).await?,
    };
    let admitted = lodging::hospital::admit(&svc, ward, None, admission, kernel::clock::now_ms()).await?;
    let patient_id = admitted
        .checkins
        .first()
        .map(|c| c.id.clone())
        .ok_or_else(|| anyhow::anyhow!("an admission checks the patient in"))?;
    let caregiver = lodging::hospital::NewCaregiver {
        facility_id: ward_id.clone(),
        patient_id,
        arrival_at: Some(kernel::clock::ms_to_vn(now - 4 * hour)),
        caregiver: citizen(&svc, carer).await?,
    };
    lodging::hospital::add_caregiver(&svc, ward, None, caregiver, kernel::clock::now_ms()).await?;
    let new = lodging::trips::NewTrip {
        facility_id: coach_id.clone(),
        route: "Tuyên Quang – Hà Nội".into(),
        plate: "22B-012.34".into(),
        departure_at: kernel::clock::ms_to_vn(now + hour),
    };
    let trip = lodging::trips::create(db, coach, new, kernel::clock::now_ms()).await?;
    let boarding = lodging::trips::Boarding { seat: Some("5".into()), passengers: vec![citizen(&svc, child).await?] };
    lodging::trips::board(&svc, coach, None, &trip.id, boarding, kernel::clock::now_ms()).await?;
    if let Some(visitors) = others.get(0..3) {
        out.push(relic_site(db, hasher, &svc, &officer, commune, visitors).await?);
    }
    if let Some(tourist_ids) = others.get(3..11) {
        tourists(&svc, &at_hotel, &hotel_id, tourist_ids).await?;
    }
    svc.stores.access_log.flush().await;
    Ok(out)
}

/// Enough guests for the tourism dashboards to show numbers rather than suppressed cells (fewer
/// than 5): a Korean tour group, a business group of five that arrived two days ago (notified
/// late) and leaves today after two nights, and a family of three.
async fn tourists(svc: &lodging::Service, staff: &Actor, hotel: &str, citizens: &[String]) -> anyhow::Result<()> {
    let hour = 3_600_000;
    let now = kernel::clock::now_ms();
    let yesterday = kernel::clock::ms_to_vn(now - 24 * hour).format("%Y-%m-%d").to_string();
    let tour: Vec<GuestInput> = [
        ("M81234501", "Park Ji Hoon", "1985-03-12"),
        ("M81234502", "Lee Seo Yeon", "1988-07-24"),
        ("M81234503", "Choi Min Seo", "1992-11-02"),
        ("M81234504", "Jung Woo Jin", "1979-01-30"),
        ("M81234505", "Kang Ha Eun", "1995-09-18"),
    ]
    .into_iter()
    .map(|(number, name, birth)| GuestInput {
        passport: Some(lodging::guests::PassportInput {
            number: number.into(),
            nationality: "KOR".into(),
            full_name: name.into(),
            birth_date: birth.into(),
            visa: Some(format!("DL{}", &number[3..])),
            entry_date: Some(yesterday.clone()),
            border_gate: Some("Cửa khẩu Quốc tế Nội Bài".into()),
        }),
        ..Default::default()
    })
    .collect();
    check_in(svc, staff, hotel, "501", "Du lịch theo đoàn", now - 3 * hour, tour).await?;
    let (business, family) = citizens.split_at(citizens.len().min(5));
    let business = typed_guests(svc, business).await?;
    let stayed = check_in(svc, staff, hotel, "601", "Hội nghị xúc tiến đầu tư", now - 48 * hour, business).await?;
    let organization = match &staff.jurisdiction {
        Jurisdiction::Own(org) => org.clone(),
        _ => String::new(),
    };
    for c in &stayed.checkins {
        lodging::checkins::check_out(&svc.stores.db, &c.id, &organization, now).await?;
    }
    let family = typed_guests(svc, family.get(..3.min(family.len())).unwrap_or_default()).await?;
    check_in(svc, staff, hotel, "702", "Nghỉ dưỡng cuối tuần", now - hour, family).await?;
    Ok(())
}

/// A relic site run by its management board, with a staff login at the gate; `visitors` enter
/// and the first leaves again.
async fn relic_site(
    db: &db::Db,
    hasher: &identity::PasswordHasher,
    svc: &lodging::Service,
    officer: &Actor,
    commune: &str,
    visitors: &[String],
) -> anyhow::Result<DemoAccount> {
    let name = "Khu di tích lịch sử Demo";
    let new = NewOrganization {
        tax_code: "5000556677".into(),
        name: format!("Ban quản lý {name}"),
        kind: OrgKind::TouristSite,
        address: "3 đường Demo".into(),
        commune_code: commune.into(),
    };
    let org = identity::organizations::create_organization(db, new, kernel::clock::now_ms()).await?;
    let venue = lodging::venues::NewVenue {
        kind: "relic_site".into(),
        name: name.into(),
        commune_code: commune.into(),
        address: "3 đường Demo".into(),
        gates: vec!["Cổng chính".into(), "Cổng phụ".into()],
    };
    let venue = lodging::venues::create(db, &org.id, venue, kernel::clock::now_ms()).await?;
    lodging::venues::decide(
        db,
        &venue.id,
        "approved",
        &officer.jurisdiction,
        &officer.account_id,
        kernel::clock::now_ms(),
    )
    .await?;
    let (staff, account) = staff_login(db, hasher, &org.id, name, "ditich.demo").await?;
    let scan = |visitor: GuestInput, direction: &str| lodging::venue_scans::ScanRequest {
        venue_id: venue.id.clone(),
        gate: "Cổng chính".into(),
        direction: direction.into(),
        visitor,
    };
    for v in visitors {
        lodging::venue_scans::scan(svc, &staff, scan(citizen(svc, v).await?, "entry"), kernel::clock::now_ms()).await?;
    }
    if let Some(first) = visitors.first() {
        let visitor = citizen(svc, first).await?;
        lodging::venue_scans::scan(svc, &staff, scan(visitor, "exit"), kernel::clock::now_ms()).await?;
    }
    Ok(account)
}

/// A staff login of an organization running `place`: the user to act as, and the demo account.
async fn staff_login(
    db: &db::Db,
    hasher: &identity::PasswordHasher,
    org: &str,
    place: &str,
    login: &str,
) -> anyhow::Result<(Actor, DemoAccount)> {
    let password = crate::accounts_cmd::random_password();
    let new = identity::NewAccount {
        login: login.into(),
        display_name: format!("Nhân viên {place}"),
        role: Role::OrgStaff,
        jurisdiction: Jurisdiction::Own(org.into()),
        password: password.clone(),
    };
    let account = identity::create_account(db, hasher, new, kernel::clock::now_ms()).await?;
    let demo = DemoAccount {
        role: Role::OrgStaff.code().into(),
        jurisdiction_kind: "own".into(),
        jurisdiction_code: org.into(),
        jurisdiction_name: place.into(),
        login: login.into(),
        password,
        api_token: String::new(),
        api_token_id: String::new(),
        person_id: None,
        level: None,
        organization_id: Some(org.into()),
        client_id: None,
        client_secret: None,
    };
    Ok((user(&account.id, login, Role::OrgStaff, Jurisdiction::Own(org.into())), demo))
}

/// A lodging service of its own for seeding (the server builds another when it starts).
async fn service(db: &db::Db) -> anyhow::Result<lodging::Service> {
    keys::ensure_key(db, keys::KeyAlg::Es256, kernel::clock::now_ms()).await?;
    let ring = keys::KeyRing::load(db, kernel::clock::now_ms).await?;
    Ok(lodging::Service::start(stores(db).await?, ring, lodging::LodgingSettings::default(), kernel::clock::now_ms))
}

/// The access and security logs of a seeding step (the server starts its own).
pub(crate) async fn stores(db: &db::Db) -> anyhow::Result<audit::Stores> {
    let pseudonyms = audit::security::Pseudonymizer::new(&audit::security::stored_key(db).await?)?;
    Ok(audit::Stores {
        db: db.clone(),
        access_log: audit::AccessLog::start(db.clone()),
        security: audit::SecurityLog::start(db.clone(), pseudonyms, Vec::new()),
    })
}

fn user(id: &str, login: &str, role: Role, jurisdiction: Jurisdiction) -> Actor {
    let mut actor = Actor::new(id, login, role, jurisdiction);
    if let (Role::OrgStaff, Jurisdiction::Own(org)) = (role, &actor.jurisdiction) {
        actor.organization_id = Some(org.clone());
    }
    actor
}

/// A citizen guest as staff type them: the id with the name and birth date on their card.
async fn citizen(svc: &lodging::Service, id: &str) -> anyhow::Result<GuestInput> {
    let person = svc
        .persons
        .get(&kernel::PersonalId::parse(id).map_err(|e| anyhow::anyhow!(e.detail))?)
        .await
        .map_err(|e| anyhow::anyhow!(e.detail))?
        .ok_or_else(|| anyhow::anyhow!("demo resident {id} is missing"))?;
    Ok(GuestInput {
        personal_id: Some(person.personal_id),
        full_name: Some(person.full_name),
        birth_date: person.birth_date,
        ..Default::default()
    })
}

/// [`citizen`] for each id.
async fn typed_guests(svc: &lodging::Service, ids: &[String]) -> anyhow::Result<Vec<GuestInput>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(citizen(svc, id).await?);
    }
    Ok(out)
}

async fn facility(
    db: &db::Db,
    org: &str,
    kind: &str,
    name: &str,
    licence: &str,
    (rooms, beds): (i64, i64),
    commune: &str,
) -> anyhow::Result<String> {
    let new = lodging::facilities::NewFacility {
        kind: kind.into(),
        name: name.into(),
        licence_code: licence.into(),
        commune_code: commune.into(),
        address: "1 đường Demo".into(),
        rooms,
        beds,
    };
    Ok(lodging::facilities::create(db, org, new, kernel::clock::now_ms()).await?.id)
}

async fn approve(db: &db::Db, facility: &str, officer: &Actor) -> anyhow::Result<()> {
    lodging::facilities::decide(
        db,
        facility,
        "approved",
        &officer.jurisdiction,
        &officer.account_id,
        kernel::clock::now_ms(),
    )
    .await?;
    Ok(())
}

async fn check_in(
    svc: &lodging::Service,
    staff: &Actor,
    facility: &str,
    room: &str,
    reason: &str,
    arrival_ms: i64,
    guests: Vec<GuestInput>,
) -> anyhow::Result<CheckinResult> {
    let arrival = kernel::clock::ms_to_vn(arrival_ms);
    let req = CheckinRequest {
        facility_id: facility.into(),
        room: room.into(),
        arrival_at: Some(arrival),
        expected_departure_at: Some(kernel::clock::ms_to_vn(kernel::clock::now_ms() + 3 * 86_400_000)),
        reason: reason.into(),
        guests,
    };
    Ok(lodging::checkins::check_in(svc, staff, None, req, kernel::clock::now_ms()).await?)
}

/// Living residents of the commune without an e-ID account (the demo citizens keep clean histories).
async fn residents(db: &db::Db, commune: &str, n: i64) -> anyhow::Result<Vec<String>> {
    let living = registry::sample::Criteria {
        living: true,
        commune: Some(commune),
        order: registry::sample::Order::PersonalIdDescending,
        limit: Some(n),
        ..Default::default()
    };
    let picked = crate::accounts_cmd::residents_without_account(db, living, n as usize).await?;
    Ok(picked.into_iter().map(|r| r.personal_id).collect())
}
