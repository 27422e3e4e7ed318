//! Vietnamese personal names: family names by real frequency (and by ethnic group for
//! minorities), gendered middle names whose use changes by generation, and gendered given names.
//! Every string here is NFC.

use std::collections::HashSet;
use std::sync::OnceLock;

use kernel::Gender;
use rand::Rng;

use super::population::ethnic;
use super::sample::{chance, GenRng, Weighted};

type Table = &'static [(&'static str, f64)];

/// Kinh family names; Hoàng/Huỳnh and Vũ/Võ are the same names spoken north and south.
const KINH_NORTH: Table = &[
    ("Nguyễn", 38.4),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 4.6),
    ("Huỳnh", 0.5),
    ("Phan", 4.0),
    ("Vũ", 3.4),
    ("Võ", 0.5),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.0),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đinh", 0.7),
    ("Trương", 0.5),
    ("Lương", 0.5),
    ("Đào", 0.6),
    ("Trịnh", 0.5),
    ("Mai", 0.4),
    ("Cao", 0.4),
    ("Lưu", 0.3),
    ("Đoàn", 0.5),
    ("Tạ", 0.3),
    ("Hà", 0.6),
    ("Tô", 0.2),
    ("Lâm", 0.2),
    ("Chu", 0.3),
    ("Quách", 0.1),
    ("Kiều", 0.2),
    ("La", 0.1),
    ("Phùng", 0.3),
    ("Triệu", 0.2),
    ("Lã", 0.1),
    ("Nghiêm", 0.1),
    ("Khổng", 0.05),
    ("Vương", 0.1),
    ("Thân", 0.15),
    ("Tống", 0.1),
    ("Khúc", 0.05),
    ("Doãn", 0.05),
    ("Mạc", 0.05),
    ("Giang", 0.05),
];
const KINH_SOUTH: Table = &[
    ("Nguyễn", 38.4),
    ("Trần", 12.5),
    ("Lê", 9.5),
    ("Phạm", 6.5),
    ("Huỳnh", 4.6),
    ("Hoàng", 0.5),
    ("Phan", 4.5),
    ("Võ", 3.4),
    ("Vũ", 0.5),
    ("Đặng", 2.1),
    ("Bùi", 1.8),
    ("Đỗ", 1.2),
    ("Hồ", 1.6),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.6),
    ("Đinh", 0.4),
    ("Trương", 0.8),
    ("Lương", 0.3),
    ("Đào", 0.3),
    ("Trịnh", 0.3),
    ("Mai", 0.5),
    ("Cao", 0.3),
    ("Lưu", 0.3),
    ("Đoàn", 0.5),
    ("Tạ", 0.2),
    ("Hà", 0.3),
    ("Tô", 0.3),
    ("Lâm", 0.5),
    ("Châu", 0.4),
    ("Quách", 0.2),
    ("Thái", 0.2),
    ("La", 0.2),
    ("Tăng", 0.15),
    ("Văn", 0.1),
    ("Kiều", 0.1),
    ("Từ", 0.1),
    ("Diệp", 0.1),
];
const TAY: Table = &[
    ("Hoàng", 18.0),
    ("Nông", 15.0),
    ("Ma", 8.0),
    ("La", 6.0),
    ("Lương", 7.0),
    ("Hà", 6.0),
    ("Lục", 4.0),
    ("Triệu", 3.0),
    ("Đàm", 3.0),
    ("Nguyễn", 8.0),
    ("Vi", 3.0),
    ("Bế", 4.0),
    ("Lộc", 3.0),
    ("Mông", 2.0),
    ("Hứa", 2.0),
    ("Phùng", 2.0),
    ("Quan", 2.0),
    ("Ngôn", 1.0),
];
const NUNG: Table = &[
    ("Hoàng", 15.0),
    ("Nông", 15.0),
    ("Lương", 8.0),
    ("Lý", 8.0),
    ("Vi", 6.0),
    ("Chu", 4.0),
    ("Sầm", 3.0),
    ("Lục", 4.0),
    ("Mã", 3.0),
    ("Lăng", 3.0),
    ("Triệu", 3.0),
    ("Hà", 3.0),
    ("Nguyễn", 4.0),
    ("Đinh", 2.0),
];
const HMONG: Table = &[
    ("Giàng", 14.0),
    ("Vàng", 14.0),
    ("Sùng", 12.0),
    ("Thào", 12.0),
    ("Lù", 7.0),
    ("Mua", 7.0),
    ("Ly", 8.0),
    ("Hầu", 5.0),
    ("Lầu", 4.0),
    ("Vừ", 5.0),
    ("Hạng", 4.0),
    ("Cứ", 3.0),
    ("Tráng", 3.0),
    ("Mùa", 2.0),
    ("Chá", 2.0),
    ("Sình", 2.0),
];
const DAO: Table = &[
    ("Triệu", 25.0),
    ("Bàn", 20.0),
    ("Đặng", 20.0),
    ("Lý", 12.0),
    ("Chảo", 6.0),
    ("Phùng", 5.0),
    ("Tẩn", 4.0),
    ("Dương", 3.0),
    ("Hoàng", 3.0),
    ("Sèn", 2.0),
];
const SAN_CHAY: Table = &[
    ("Lâm", 18.0),
    ("Hoàng", 15.0),
    ("Đặng", 12.0),
    ("Trần", 8.0),
    ("Lý", 8.0),
    ("La", 8.0),
    ("Nịnh", 5.0),
    ("Âu", 5.0),
    ("Chu", 3.0),
    ("Dương", 3.0),
];
const THAI: Table = &[
    ("Lò", 18.0),
    ("Cầm", 12.0),
    ("Lường", 12.0),
    ("Quàng", 8.0),
    ("Vì", 8.0),
    ("Hà", 8.0),
    ("Lộc", 4.0),
    ("Tòng", 6.0),
    ("Điêu", 5.0),
    ("Mè", 3.0),
    ("Sầm", 3.0),
    ("Bạc", 3.0),
];
const MUONG: Table =
    &[("Bùi", 35.0), ("Đinh", 25.0), ("Quách", 10.0), ("Hà", 8.0), ("Xa", 4.0), ("Bạch", 5.0), ("Cao", 4.0)];
const KHMER: Table = &[
    ("Thạch", 30.0),
    ("Danh", 20.0),
    ("Sơn", 15.0),
    ("Kim", 10.0),
    ("Lâm", 6.0),
    ("Châu", 5.0),
    ("Lý", 5.0),
    ("Trần", 4.0),
];
const HOA: Table = &[
    ("Lý", 10.0),
    ("Trần", 12.0),
    ("Quách", 8.0),
    ("Lâm", 10.0),
    ("Huỳnh", 8.0),
    ("Trương", 10.0),
    ("Châu", 8.0),
    ("Mạch", 4.0),
    ("Tăng", 6.0),
    ("Lưu", 6.0),
    ("Hứa", 6.0),
    ("Dương", 4.0),
    ("Diệp", 4.0),
];
const CHAM: Table = &[
    ("Đàng", 15.0),
    ("Thuận", 10.0),
    ("Từ", 10.0),
    ("Lộ", 8.0),
    ("Phú", 6.0),
    ("Quảng", 6.0),
    ("Châu", 8.0),
    ("Thông", 5.0),
    ("Hán", 4.0),
];
const HIGHLAND: Table = &[
    ("Ksor", 10.0),
    ("Siu", 8.0),
    ("Rơ Mah", 6.0),
    ("Nay", 5.0),
    ("Niê", 8.0),
    ("Êban", 4.0),
    ("Đinh", 15.0),
    ("Hồ", 10.0),
    ("Điểu", 6.0),
    ("Kpă", 4.0),
    ("Alăng", 4.0),
    ("Y", 6.0),
    ("A", 6.0),
];

const MIDDLE_MALE: Table = &[
    ("Đức", 8.0),
    ("Minh", 9.0),
    ("Quang", 7.0),
    ("Hữu", 6.0),
    ("Xuân", 4.0),
    ("Thành", 4.0),
    ("Công", 5.0),
    ("Anh", 3.0),
    ("Gia", 4.0),
    ("Bảo", 4.0),
    ("Hoàng", 3.0),
    ("Nhật", 3.0),
    ("Trung", 3.0),
    ("Tuấn", 3.0),
    ("Ngọc", 3.0),
    ("Đình", 6.0),
    ("Mạnh", 3.0),
    ("Tiến", 3.0),
    ("Duy", 4.0),
    ("Thanh", 4.0),
    ("Trọng", 4.0),
    ("Quốc", 5.0),
    ("Khánh", 2.0),
    ("Đăng", 3.0),
    ("Hải", 3.0),
    ("Việt", 3.0),
    ("Kim", 1.0),
    ("Phúc", 2.0),
];
const MIDDLE_FEMALE: Table = &[
    ("Ngọc", 10.0),
    ("Thu", 6.0),
    ("Thanh", 7.0),
    ("Kim", 5.0),
    ("Thùy", 6.0),
    ("Phương", 5.0),
    ("Hồng", 5.0),
    ("Minh", 5.0),
    ("Bảo", 4.0),
    ("Khánh", 5.0),
    ("Mai", 3.0),
    ("Hoài", 3.0),
    ("Diệu", 2.0),
    ("Hải", 3.0),
    ("Quỳnh", 3.0),
    ("Thảo", 2.0),
    ("Lan", 2.0),
    ("Huyền", 2.0),
    ("Bích", 3.0),
    ("Tuyết", 2.0),
    ("Mỹ", 4.0),
    ("Thúy", 3.0),
    ("Ánh", 2.0),
    ("Hà", 2.0),
    ("Yến", 2.0),
];
const GIVEN_MALE_CLASSIC: Table = &[
    ("Hùng", 5.0),
    ("Dũng", 5.0),
    ("Tuấn", 5.0),
    ("Thắng", 4.0),
    ("Hải", 4.0),
    ("Sơn", 4.0),
    ("Cường", 4.0),
    ("Long", 3.0),
    ("Thành", 4.0),
    ("Bình", 4.0),
    ("Quang", 3.0),
    ("Trung", 3.0),
    ("Hòa", 3.0),
    ("Lâm", 2.0),
    ("Hưng", 3.0),
    ("Tiến", 3.0),
    ("Vinh", 3.0),
    ("Toàn", 3.0),
    ("Nghĩa", 3.0),
    ("Hiếu", 3.0),
    ("Việt", 2.0),
    ("Đức", 3.0),
    ("Tài", 2.0),
    ("Lợi", 2.0),
    ("Lực", 1.0),
    ("Chiến", 2.0),
    ("Công", 2.0),
    ("Mạnh", 2.0),
    ("Thanh", 2.0),
    ("Tùng", 2.0),
    ("Tâm", 2.0),
    ("Phong", 2.0),
    ("Thịnh", 2.0),
    ("Hậu", 1.0),
    ("Quý", 1.0),
    ("Sáng", 1.0),
    ("Tú", 1.0),
    ("Kiên", 2.0),
    ("Khải", 1.0),
    ("Thông", 1.0),
    ("Nam", 3.0),
    ("Lộc", 1.0),
    ("Huy", 2.0),
    ("Minh", 3.0),
    ("Đạt", 2.0),
    ("Phúc", 1.0),
    ("Thuận", 1.0),
    ("Bảy", 0.5),
    ("Khoa", 1.0),
];
const GIVEN_MALE_MODERN: Table = &[
    ("Anh", 6.0),
    ("Minh", 6.0),
    ("Khang", 4.0),
    ("Khôi", 4.0),
    ("Bảo", 3.0),
    ("Phúc", 4.0),
    ("Huy", 5.0),
    ("Khoa", 4.0),
    ("Đăng", 2.0),
    ("Nam", 4.0),
    ("Duy", 3.0),
    ("Quân", 4.0),
    ("Hoàng", 3.0),
    ("Long", 4.0),
    ("Phát", 2.0),
    ("An", 4.0),
    ("Nhật", 2.0),
    ("Thịnh", 2.0),
    ("Lâm", 3.0),
    ("Vũ", 2.0),
    ("Kiệt", 2.0),
    ("Hiếu", 2.0),
    ("Đức", 3.0),
    ("Trí", 2.0),
    ("Tín", 1.0),
    ("Nguyên", 2.0),
    ("Quang", 2.0),
    ("Tuấn", 2.0),
    ("Hải", 2.0),
    ("Sơn", 2.0),
    ("Tùng", 2.0),
    ("Khánh", 3.0),
    ("Dương", 2.0),
    ("Thiện", 1.0),
    ("Hưng", 2.0),
    ("Vinh", 1.0),
    ("Đạt", 3.0),
    ("Bách", 1.0),
    ("Phong", 2.0),
    ("Kiên", 1.0),
];
const GIVEN_FEMALE_CLASSIC: Table = &[
    ("Hoa", 4.0),
    ("Lan", 4.0),
    ("Hương", 5.0),
    ("Hồng", 4.0),
    ("Mai", 4.0),
    ("Thu", 3.0),
    ("Hà", 4.0),
    ("Hằng", 4.0),
    ("Hạnh", 3.0),
    ("Hiền", 3.0),
    ("Huyền", 3.0),
    ("Dung", 3.0),
    ("Nga", 3.0),
    ("Nhung", 3.0),
    ("Loan", 3.0),
    ("Liên", 3.0),
    ("Oanh", 2.0),
    ("Phượng", 2.0),
    ("Tuyết", 2.0),
    ("Yến", 3.0),
    ("Vân", 3.0),
    ("Thủy", 4.0),
    ("Thảo", 3.0),
    ("Nguyệt", 2.0),
    ("Hòa", 2.0),
    ("Lý", 2.0),
    ("Tâm", 2.0),
    ("Xuân", 2.0),
    ("Bích", 1.0),
    ("Cúc", 1.0),
    ("Đào", 1.0),
    ("Ngân", 2.0),
    ("Ánh", 2.0),
    ("Lệ", 1.0),
    ("Thơm", 1.0),
    ("Huệ", 2.0),
    ("Sen", 1.0),
    ("Thanh", 2.0),
    ("Quyên", 1.0),
    ("Giang", 2.0),
    ("Minh", 1.0),
    ("Lụa", 0.5),
];
const GIVEN_FEMALE_MODERN: Table = &[
    ("Anh", 7.0),
    ("Linh", 6.0),
    ("Ngọc", 4.0),
    ("Trang", 5.0),
    ("Hân", 4.0),
    ("Vy", 4.0),
    ("Nhi", 4.0),
    ("My", 3.0),
    ("Thư", 3.0),
    ("Chi", 3.0),
    ("Hà", 3.0),
    ("Uyên", 3.0),
    ("Như", 3.0),
    ("Quỳnh", 3.0),
    ("Phương", 3.0),
    ("Trâm", 2.0),
    ("Thảo", 3.0),
    ("Yến", 2.0),
    ("Giang", 2.0),
    ("Ngân", 3.0),
    ("Diệp", 1.0),
    ("Khuê", 1.0),
    ("Hương", 2.0),
    ("Tiên", 2.0),
    ("Mai", 2.0),
    ("Ly", 2.0),
    ("An", 3.0),
    ("Châu", 1.0),
    ("Hằng", 2.0),
    ("Hiền", 2.0),
    ("Duyên", 2.0),
    ("Nhung", 1.0),
    ("Lan", 1.0),
    ("Thùy", 1.0),
    ("Trinh", 1.0),
];
const HMONG_MALE: Table = &[
    ("Páo", 5.0),
    ("Chơ", 4.0),
    ("Dính", 4.0),
    ("Sính", 4.0),
    ("Chứ", 4.0),
    ("Lử", 3.0),
    ("Pó", 3.0),
    ("Tủa", 3.0),
    ("Súa", 3.0),
    ("Vần", 3.0),
    ("Dế", 2.0),
    ("Chúng", 3.0),
    ("Sử", 3.0),
    ("Lềnh", 2.0),
    ("Khai", 2.0),
    ("Già", 2.0),
    ("Phử", 2.0),
    ("Chinh", 2.0),
    ("Chà", 2.0),
    ("Nủ", 2.0),
];
const HMONG_FEMALE: Table = &[
    ("Mỷ", 6.0),
    ("Dợ", 4.0),
    ("Mai", 4.0),
    ("Chở", 3.0),
    ("Sinh", 3.0),
    ("Pà", 3.0),
    ("Dung", 3.0),
    ("Mao", 3.0),
    ("Sú", 3.0),
    ("Và", 2.0),
    ("Khu", 2.0),
    ("Lan", 2.0),
    ("Dua", 2.0),
    ("Mỉ", 2.0),
    ("Xúa", 2.0),
];
const DAO_MALE: Table = &[
    ("Quẩy", 4.0),
    ("Phin", 3.0),
    ("Chòi", 2.0),
    ("Lở", 2.0),
    ("Sinh", 3.0),
    ("Kiềm", 2.0),
    ("Chàn", 2.0),
    ("Kháng", 2.0),
    ("Xuân", 3.0),
    ("Hải", 2.0),
    ("Minh", 2.0),
    ("Tiến", 2.0),
    ("Phú", 2.0),
    ("Quý", 2.0),
];
const DAO_FEMALE: Table = &[
    ("Kiều", 3.0),
    ("Mẩy", 3.0),
    ("Chòi", 2.0),
    ("Liều", 2.0),
    ("Quế", 2.0),
    ("Dần", 2.0),
    ("Nhất", 2.0),
    ("Hoa", 2.0),
    ("Mai", 2.0),
    ("Xuân", 2.0),
    ("Mùi", 2.0),
    ("Lai", 2.0),
];
const THAI_MALE: Table = &[
    ("Ọn", 2.0),
    ("Pánh", 2.0),
    ("Xôm", 2.0),
    ("Ún", 2.0),
    ("Khăm", 3.0),
    ("Thoóng", 2.0),
    ("Pọm", 2.0),
    ("Ươn", 2.0),
    ("Xiến", 2.0),
    ("Panh", 2.0),
    ("Hoan", 2.0),
];
const THAI_FEMALE: Table = &[
    ("Ỏn", 2.0),
    ("Pâng", 2.0),
    ("Xiêng", 2.0),
    ("Ín", 2.0),
    ("Hom", 2.0),
    ("Lả", 2.0),
    ("Ban", 2.0),
    ("Khiếu", 2.0),
    ("Dung", 2.0),
    ("Phương", 2.0),
];
const KHMER_MALE: Table = &[
    ("Sóc", 3.0),
    ("Phal", 2.0),
    ("Chanh", 3.0),
    ("Thươl", 2.0),
    ("Mến", 2.0),
    ("Sang", 2.0),
    ("Đa Ra", 2.0),
    ("Sa Rinh", 2.0),
    ("Sô Phon", 2.0),
    ("Kol", 1.0),
    ("Sơ Ny", 2.0),
];
const KHMER_FEMALE: Table = &[
    ("Sa Rết", 2.0),
    ("Sô Phia", 2.0),
    ("Mây", 2.0),
    ("Sóc Kha", 2.0),
    ("Sa Ni", 2.0),
    ("Nang", 2.0),
    ("Sa Ry", 2.0),
    ("Thi Da", 2.0),
    ("Sà Phon", 2.0),
    ("Chanh Thu", 2.0),
];

/// Naming customs that differ enough between groups to need their own tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Kinh,
    Hmong,
    Dao,
    Thai,
    Khmer,
    /// Groups whose names follow the Kinh pattern with their own family names.
    KinhPattern,
}

/// A table for men and one for women.
struct Gendered {
    male: Weighted<&'static str>,
    female: Weighted<&'static str>,
}

impl Gendered {
    fn new(male: Table, female: Table) -> Self {
        Gendered { male: Weighted::from_slice(male), female: Weighted::from_slice(female) }
    }

    fn of(&self, gender: Gender) -> &Weighted<&'static str> {
        match gender {
            Gender::Male => &self.male,
            Gender::Female => &self.female,
        }
    }
}

struct Tables {
    kinh_north: Weighted<&'static str>,
    kinh_south: Weighted<&'static str>,
    family: Vec<(&'static str, Weighted<&'static str>)>,
    highland: Weighted<&'static str>,
    middle: Gendered,
    classic: Gendered,
    modern: Gendered,
    hmong: Gendered,
    dao: Gendered,
    thai: Gendered,
    khmer: Gendered,
    words: HashSet<&'static str>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let all: [Table; 27] = [
            KINH_NORTH,
            KINH_SOUTH,
            TAY,
            NUNG,
            HMONG,
            DAO,
            SAN_CHAY,
            THAI,
            MUONG,
            KHMER,
            HOA,
            CHAM,
            HIGHLAND,
            MIDDLE_MALE,
            MIDDLE_FEMALE,
            GIVEN_MALE_CLASSIC,
            GIVEN_MALE_MODERN,
            GIVEN_FEMALE_CLASSIC,
            GIVEN_FEMALE_MODERN,
            HMONG_MALE,
            HMONG_FEMALE,
            DAO_MALE,
            DAO_FEMALE,
            THAI_MALE,
            THAI_FEMALE,
            KHMER_MALE,
            KHMER_FEMALE,
        ];
        let mut words: HashSet<&'static str> =
            all.iter().flat_map(|t| t.iter().flat_map(|(s, _)| s.split(' '))).collect();
        words.extend(["Văn", "Thị", "Mí", "Seo", "Tài", "Kim", "Phúc", "Sa"]);
        let w = Weighted::from_slice;
        Tables {
            kinh_north: w(KINH_NORTH),
            kinh_south: w(KINH_SOUTH),
            family: vec![
                (ethnic::TAY, w(TAY)),
                (ethnic::NUNG, w(NUNG)),
                (ethnic::HMONG, w(HMONG)),
                (ethnic::DAO, w(DAO)),
                ("15", w(SAN_CHAY)),
                (ethnic::THAI, w(THAI)),
                (ethnic::MUONG, w(MUONG)),
                (ethnic::KHMER, w(KHMER)),
                (ethnic::HOA, w(HOA)),
                (ethnic::CHAM, w(CHAM)),
                ("25", w(TAY)),
                ("18", w(SAN_CHAY)),
            ],
            highland: w(HIGHLAND),
            middle: Gendered::new(MIDDLE_MALE, MIDDLE_FEMALE),
            classic: Gendered::new(GIVEN_MALE_CLASSIC, GIVEN_FEMALE_CLASSIC),
            modern: Gendered::new(GIVEN_MALE_MODERN, GIVEN_FEMALE_MODERN),
            hmong: Gendered::new(HMONG_MALE, HMONG_FEMALE),
            dao: Gendered::new(DAO_MALE, DAO_FEMALE),
            thai: Gendered::new(THAI_MALE, THAI_FEMALE),
            khmer: Gendered::new(KHMER_MALE, KHMER_FEMALE),
            words,
        }
    })
}

fn style(ethnic: &str) -> Style {
    match ethnic {
        ethnic::KINH => Style::Kinh,
        ethnic::HMONG => Style::Hmong,
        ethnic::DAO => Style::Dao,
        ethnic::THAI => Style::Thai,
        ethnic::KHMER => Style::Khmer,
        _ => Style::KinhPattern,
    }
}

/// True when southern spellings (Huỳnh, Võ) dominate: from Đà Nẵng southwards.
fn southern(province_code: &str) -> bool {
    province_code.parse::<u32>().map(|c| c >= 48).unwrap_or(false)
}

/// A family name for a founder of a family line (children inherit their father's).
pub(super) fn family_name(rng: &mut GenRng, ethnic: &str, province_code: &str) -> &'static str {
    let t = tables();
    if ethnic != ethnic::KINH {
        if let Some((_, table)) = t.family.iter().find(|(e, _)| *e == ethnic) {
            // Intermarriage and adoption of Kinh names: a share of minority people carry them.
            if !chance(rng, 0.08) {
                return table.sample(rng);
            }
        } else if matches!(ethnic, "10" | "12" | "13" | "14" | "16" | "19" | "20" | "21" | "22" | "26" | "31") {
            return t.highland.sample(rng);
        }
    }
    if southern(province_code) {
        t.kinh_south.sample(rng)
    } else {
        t.kinh_north.sample(rng)
    }
}

/// A full name "Family Middle Given" for a person of `ethnic` born in `birth_year`.
pub(super) fn full_name(rng: &mut GenRng, family: &str, ethnic: &str, gender: Gender, birth_year: i32) -> String {
    let t = tables();
    // Older generations almost always used Văn / Thị; parents now choose freely.
    let (van, thi, modern) = match birth_year {
        ..=1959 => (0.6, 0.85, 0.05),
        1960..=1979 => (0.5, 0.75, 0.15),
        1980..=1994 => (0.35, 0.55, 0.35),
        1995..=2004 => (0.2, 0.3, 0.6),
        _ => (0.08, 0.12, 0.85),
    };
    let kinh_given = |rng: &mut GenRng| -> &'static str {
        if chance(rng, modern) {
            t.modern.of(gender).sample(rng)
        } else {
            t.classic.of(gender).sample(rng)
        }
    };
    let mut name = String::with_capacity(32);
    name.push_str(family);
    let mut push = |word: &str| {
        if !word.is_empty() {
            name.push(' ');
            name.push_str(word);
        }
    };
    match style(ethnic) {
        Style::Hmong => {
            push(match (gender, rng.gen_range(0..10)) {
                (Gender::Male, 0..=2) => "A",
                (Gender::Male, 3..=5) => "Mí",
                (Gender::Male, 6..=7) => "Seo",
                (Gender::Male, _) => "Văn",
                (Gender::Female, _) => "Thị",
            });
            push(t.hmong.of(gender).sample(rng));
        }
        Style::Dao => {
            push(match (gender, rng.gen_range(0..10)) {
                (Gender::Male, 0..=5) => "Văn",
                (Gender::Male, 6..=7) => "Tài",
                (Gender::Male, _) => "Phúc",
                (Gender::Female, 0..=7) => "Thị",
                (Gender::Female, _) => "Kim",
            });
            push(if chance(rng, 0.6) { t.dao.of(gender).sample(rng) } else { kinh_given(rng) });
        }
        Style::Thai => {
            push(if gender == Gender::Male { "Văn" } else { "Thị" });
            push(if chance(rng, 0.4) { t.thai.of(gender).sample(rng) } else { kinh_given(rng) });
        }
        Style::Khmer => {
            push(if gender == Gender::Female && chance(rng, 0.5) { "Thị" } else { "" });
            push(t.khmer.of(gender).sample(rng));
        }
        Style::Kinh | Style::KinhPattern => {
            let traditional = if gender == Gender::Male { van } else { thi };
            let last_middle = if chance(rng, traditional) {
                let m = if gender == Gender::Male { "Văn" } else { "Thị" };
                push(m);
                m
            } else {
                let first = *t.middle.of(gender).sample(rng);
                push(first);
                if birth_year >= 2005 && chance(rng, 0.12) {
                    // Two middle names ("Nguyễn Ngọc Bảo Anh") are in fashion.
                    let second = *t.middle.of(gender).sample(rng);
                    if second != first {
                        push(second);
                        second
                    } else {
                        first
                    }
                } else {
                    first
                }
            };
            let mut given = kinh_given(rng);
            if given == last_middle {
                given = kinh_given(rng);
            }
            push(given);
        }
    }
    name
}

/// True when `word` is a syllable the name tables can produce; a name with any other word has a
/// typing error.
pub(super) fn is_known_word(word: &str) -> bool {
    tables().words.contains(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spelling rule checks names against Quốc ngữ syllables, except for groups that write
    /// their names in their own orthographies (Khmer, Cham, Central Highlands).
    #[test]
    fn names_are_well_formed_syllables() {
        let own_orthography = [KHMER_MALE, KHMER_FEMALE, HIGHLAND];
        let quoc_ngu = [
            KINH_NORTH,
            KINH_SOUTH,
            TAY,
            NUNG,
            HMONG,
            DAO,
            SAN_CHAY,
            THAI,
            MUONG,
            KHMER,
            HOA,
            CHAM,
            MIDDLE_MALE,
            MIDDLE_FEMALE,
            GIVEN_MALE_CLASSIC,
            GIVEN_MALE_MODERN,
            GIVEN_FEMALE_CLASSIC,
            GIVEN_FEMALE_MODERN,
            HMONG_MALE,
            HMONG_FEMALE,
            DAO_MALE,
            DAO_FEMALE,
            THAI_MALE,
            THAI_FEMALE,
        ];
        for table in quoc_ngu {
            for (name, _) in table {
                assert!(kernel::syllable::malformed_words(name).is_empty(), "{name}");
                assert!(kernel::text::is_nfc(name), "{name}");
            }
        }
        for word in ["Văn", "Thị", "Mí", "Seo", "Tài", "Kim", "Phúc"] {
            assert!(kernel::syllable::is_syllable(word));
        }
        assert!(own_orthography.iter().flat_map(|t| t.iter()).any(|(n, _)| !kernel::syllable::is_syllable(n)));
        assert!(is_known_word("Nguyễn") && is_known_word("Giàng") && !is_known_word("Nguyen"));
    }
}
