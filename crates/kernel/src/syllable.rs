//! Well-formedness of Vietnamese syllables in Quốc ngữ spelling.
//!
//! Names reach the registry typed by hand, often on keyboards without a Vietnamese input method.
//! A word of a name that cannot be a Vietnamese syllable ("Nguyen", "Nugyễn", "Phuc") is nearly
//! always a typing slip or a name stripped of its diacritics, so the data-quality checks report it.
//!
//! A syllable is read as onset + rhyme + one tone. The rhyme is looked up in a closed table of the
//! rhymes (vần) of the language instead of being derived by rule: the orthography has many gaps
//! that rules would let through. On top of the table sit the spelling constraints between onset and
//! rhyme (`k`/`gh`/`ngh` before front vowels, `c`/`g`/`ng` elsewhere, `qu`, `gi`), the rule that a
//! syllable ending in a stop (`c`, `ch`, `p`, `t`) carries the sắc or nặng tone, and the placement of
//! the tone mark (both the old "hòa" and the new "hoà" placement are accepted).

use unicode_normalization::UnicodeNormalization;

/// Initial consonants, including the empty onset.
const ONSETS: &[&str] = &[
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p", "ph", "qu",
    "r", "s", "t", "th", "tr", "v", "x",
];

/// Every toneless rhyme that follows an onset other than `qu` (or no onset), spelled as written.
///
/// Open `iê`/`uô`/`ươ` are written `ia`/`ua`/`ưa`; `ă` and `â` always take a final.
/// Rhymes spelled with `yê` stand only without an onset (`yên`), those with `iê` only after one
/// (`tiên`); that is enforced in [`rhyme_fits`].
const RHYMES: &[&str] = &[
    // a, ă, â
    "a", "ac", "ach", "ai", "am", "an", "ang", "anh", "ao", "ap", "at", "au", "ay", //
    "ăc", "ăm", "ăn", "ăng", "ăp", "ăt", //
    "âc", "âm", "ân", "âng", "âp", "ât", "âu", "ây", //
    // e, ê
    "e", "ec", "em", "en", "eng", "eo", "ep", "et", //
    "ê", "êch", "êm", "ên", "ênh", "êp", "êt", "êu", //
    // i, y, iê / yê
    "i", "ia", "ich", "im", "in", "inh", "ip", "it", "iu", "y", //
    "iêc", "iêm", "iên", "iêng", "iêp", "iêt", "iêu", //
    "yêm", "yên", "yêng", "yêt", "yêu", //
    // o, ô, ơ
    "o", "oc", "oi", "om", "on", "ong", "op", "ot", "ooc", "oong", //
    "ô", "ôc", "ôi", "ôm", "ôn", "ông", "ôp", "ôt", //
    "ơ", "ơi", "ơm", "ơn", "ơp", "ơt", //
    // u, uô
    "u", "ua", "uc", "ui", "um", "un", "ung", "up", "ut", //
    "uôc", "uôi", "uôm", "uôn", "uông", "uôt", //
    // ư, ươ
    "ư", "ưa", "ưc", "ưi", "ưng", "ưt", "ưu", //
    "ươ", "ươc", "ươi", "ươm", "ươn", "ương", "ươp", "ươt", "ươu", //
    // medial o
    "oa", "oac", "oach", "oai", "oam", "oan", "oang", "oanh", "oao", "oap", "oat", "oay", //
    "oăc", "oăm", "oăn", "oăng", "oăt", //
    "oe", "oen", "oeo", "oet", //
    // medial u
    "uê", "uêch", "uênh", //
    "uân", "uâng", "uât", "uây", //
    "uơ",  //
    "uy", "uya", "uych", "uyên", "uyêt", "uynh", "uyp", "uyt", "uyu", //
];

/// What may follow the onset `qu`, whose `u` is already the medial glide (`qua`, `quân`, `quyết`).
const QU_RHYMES: &[&str] = &[
    "a", "ac", "ach", "ai", "an", "ang", "anh", "ao", "at", "au", "ay", //
    "ăc", "ăm", "ăn", "ăng", "ăp", "ăt", //
    "ân", "âng", "ât", "ây", //
    "e", "en", "eo", "et", //
    "ê", "êch", "ên", "ênh", "êt", //
    "i", "it", //
    "y", "ych", "ynh", "yt", "yu", "yên", "yêt", //
    "ơ", "ơi", "ôc", //
];

/// The five written tones; the level tone is the absence of a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    /// sắc
    Acute,
    /// huyền
    Grave,
    /// hỏi
    HookAbove,
    /// ngã
    Tilde,
    /// nặng
    DotBelow,
}

/// A word split into lower-case letters (vowel marks folded in) and its tone mark, if any.
struct Spelled {
    letters: String,
    /// The tone and the index (in chars of `letters`) of the letter carrying it.
    tone: Option<(Tone, usize)>,
}

/// Reads a word letter by letter from its canonical decomposition, so NFC and NFD input and any
/// mix of precomposed and combining marks read alike. `None` for anything that is not a Latin
/// letter, đ, a Vietnamese vowel mark on a letter that takes it, or a single tone mark.
fn spell(word: &str) -> Option<Spelled> {
    let mut letters: Vec<char> = Vec::new();
    let mut tone = None;
    for c in word.nfd().flat_map(char::to_lowercase) {
        let mark = match c {
            'a'..='z' | 'đ' => {
                letters.push(c);
                continue;
            }
            '\u{0300}' => Tone::Grave,
            '\u{0301}' => Tone::Acute,
            '\u{0303}' => Tone::Tilde,
            '\u{0309}' => Tone::HookAbove,
            '\u{0323}' => Tone::DotBelow,
            '\u{0302}' | '\u{0306}' | '\u{031B}' => {
                let last = letters.last_mut()?;
                *last = match (c, *last) {
                    ('\u{0302}', 'a') => 'â',
                    ('\u{0302}', 'e') => 'ê',
                    ('\u{0302}', 'o') => 'ô',
                    ('\u{0306}', 'a') => 'ă',
                    ('\u{031B}', 'o') => 'ơ',
                    ('\u{031B}', 'u') => 'ư',
                    _ => return None,
                };
                continue;
            }
            _ => return None,
        };
        if tone.is_some() || letters.is_empty() {
            return None;
        }
        tone = Some((mark, letters.len() - 1));
    }
    if letters.is_empty() {
        return None;
    }
    Some(Spelled { letters: letters.into_iter().collect(), tone })
}

/// Rhymes that open with the o/u glide; `c` never precedes them (the spelling is `qu`).
fn has_medial(rhyme: &str) -> bool {
    ["oa", "oă", "oe", "uê", "uâ", "uơ", "uy"].iter().any(|m| rhyme.starts_with(m))
}

/// Whether `rhyme` is a rhyme of the language and may be written after `onset`.
fn rhyme_fits(onset: &str, rhyme: &str) -> bool {
    if onset == "qu" {
        return QU_RHYMES.contains(&rhyme);
    }
    if !RHYMES.contains(&rhyme) {
        return false;
    }
    let Some(first) = rhyme.chars().next() else {
        return false;
    };
    let front = matches!(first, 'i' | 'e' | 'ê');
    match onset {
        "" => !rhyme.starts_with("iê"),
        _ if rhyme.starts_with("yê") => false,
        "k" => front || first == 'y',
        "gh" | "ngh" => front,
        "c" => !front && first != 'y' && !has_medial(rhyme),
        "ng" => !front && first != 'y',
        // `g` + a rhyme in `i` is the onset `gi` sharing its `i` with the rhyme: gì, gìn, giếng.
        "g" if first == 'i' => rhyme != "ia",
        "g" => !front && first != 'y',
        "gi" => first != 'i' && first != 'y',
        _ => true,
    }
}

/// The letters of a rhyme that may carry the tone mark.
///
/// A vowel with a quality mark takes it (the `ơ` of `ươ`); otherwise the last vowel before a final
/// consonant, the first of an open vowel pair (`mía`, `múa`, `tài`), the middle of an open vowel
/// triple (`ngoài`, `khuỷu`), and either letter of open `oa`, `oe`, `uy` (`hòa`/`hoà`).
fn tone_positions(rhyme: &[char]) -> Vec<usize> {
    if let Some(i) = rhyme.iter().rposition(|c| "ăâêôơư".contains(*c)) {
        return vec![i];
    }
    let Some(last_vowel) = rhyme.iter().rposition(|c| "aeiouy".contains(*c)) else {
        return Vec::new();
    };
    if last_vowel + 1 < rhyme.len() {
        return vec![last_vowel];
    }
    match rhyme {
        [_] => vec![0],
        ['o', 'a'] | ['o', 'e'] | ['u', 'y'] => vec![0, 1],
        [_, _] => vec![0],
        _ => vec![1],
    }
}

/// Whether the tone (with its position relative to the rhyme; `None` when it sits on the onset)
/// is allowed on `rhyme`.
fn tone_fits(rhyme: &str, tone: Option<(Tone, Option<usize>)>) -> bool {
    let stop = rhyme.ends_with('c') || rhyme.ends_with("ch") || rhyme.ends_with('p') || rhyme.ends_with('t');
    match tone {
        None => !stop,
        Some((_, None)) => false,
        Some((tone, Some(at))) => {
            let letters: Vec<char> = rhyme.chars().collect();
            (!stop || matches!(tone, Tone::Acute | Tone::DotBelow)) && tone_positions(&letters).contains(&at)
        }
    }
}

/// True when `word` (any case, NFC or NFD) is a well-formed Vietnamese syllable.
///
/// Used to catch typing errors and lost diacritics in names: "Nguyễn", "Thuý", "Giàng" pass;
/// "Nguyen", "Nugyễn", "Phuc", "Duong" do not. Digits, punctuation and the empty string are not
/// syllables. Only the spelling is judged, not whether the syllable is an attested word.
pub fn is_syllable(word: &str) -> bool {
    let Some(spelled) = spell(word) else {
        return false;
    };
    ONSETS.iter().any(|onset| {
        spelled.letters.strip_prefix(onset).is_some_and(|rhyme| {
            let start = onset.chars().count();
            let tone = spelled.tone.map(|(t, at)| (t, at.checked_sub(start)));
            rhyme_fits(onset, rhyme) && tone_fits(rhyme, tone)
        })
    })
}

/// Words of a full name that are not well-formed syllables (for a quality finding's detail).
///
/// The name is split on white space; a hyphenated word ("Ê-đê") is malformed when any of its parts
/// is. Words are returned as written, in order, so the finding can point at them.
pub fn malformed_words(name: &str) -> Vec<String> {
    name.split_whitespace().filter(|word| !word.split('-').all(is_syllable)).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Family, middle and given names, minority names, and everyday syllables covering the rhymes.
    const WELL_FORMED: &[&str] = &[
        // family names
        "Nguyễn",
        "Trần",
        "Lê",
        "Phạm",
        "Hoàng",
        "Huỳnh",
        "Phan",
        "Vũ",
        "Võ",
        "Đặng",
        "Bùi", //
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
        "Đinh",
        "Trịnh",
        "Mai",
        "Trương",
        "Đoàn",
        "Lâm", //
        "Quách",
        "Tạ",
        "Hà",
        "Châu",
        "Lương",
        "Cao",
        "Tô",
        "Từ",
        "Kiều",
        "Âu",
        "Khổng", //
        "Ông",
        "Ưng", //
        // middle and given names
        "Văn",
        "Thị",
        "Đức",
        "Minh",
        "Quang",
        "Hữu",
        "Ngọc",
        "Thu",
        "Thanh",
        "Kim",
        "Hương", //
        "Tuấn",
        "Khuê",
        "Quỳnh",
        "Nguyệt",
        "Huyền",
        "Xuân",
        "Thuý",
        "Thúy",
        "Khoa",
        "Toàn", //
        "Uyên",
        "Giang",
        "Gia",
        "Nghĩa",
        "Khánh",
        "Thịnh",
        "Phước",
        "Hưởng",
        "Luyện",
        "Oanh", //
        "Khuyến",
        "Anh",
        "Bảo",
        "Chi",
        "Dũng",
        "Hải",
        "Hạnh",
        "Hiếu",
        "Hoà",
        "Hòa",
        "Hùng", //
        "Hằng",
        "Khải",
        "Lan",
        "Linh",
        "Loan",
        "Long",
        "Mỹ",
        "Nam",
        "Nga",
        "Nhung",
        "Phúc", //
        "Phương",
        "Quân",
        "Quyết",
        "Sơn",
        "Tâm",
        "Thảo",
        "Thắng",
        "Thuận",
        "Thủy",
        "Thuỷ", //
        "Tiến",
        "Trang",
        "Trí",
        "Trinh",
        "Trọng",
        "Tùng",
        "Vy",
        "Thy",
        "Yến",
        "Ý",
        "Ánh", //
        "Ân",
        "Đạt",
        "Việt",
        "Bắc",
        "Kỳ",
        "Kỷ",
        "Sỹ",
        "Sĩ",
        "Quý",
        "Quí",
        "Quế",
        "Quyên", //
        "Quốc",
        "Quới",
        "Ngoan",
        "Khang",
        "Khiêm",
        "Nguyên",
        "Thuyết",
        "Tuyết",
        "Huy",
        "Duy", //
        "Uy",
        "Ngoãn",
        "Kiệt",
        "Nhật",
        "Nhi",
        "Hậu",
        "Lộc",
        "Lực",
        "Lợi",
        "Tài",
        "Tuệ", //
        "Huệ",
        "Hoè",
        "Khoẻ",
        "Khỏe",
        "Giao",
        "Giáp",
        "Ghi",
        "Nghiêm",
        "Nghị",
        "Kiên",  //
        "Cường", //
        // names of ethnic minorities
        "Giàng",
        "Páo",
        "Sùng",
        "Thào",
        "Lù",
        "Mua",
        "Vàng",
        "Nông",
        "Triệu",
        "Bàn",
        "Ma", //
        "La",
        "Chứ",
        "Dính",
        "Sểnh",
        "Lò",
        "Quàng",
        "Cầm",
        "Lường",
        "Vừ",
        "Mùa",
        "Hờ",
        "Pờ", //
        "Xồng",
        "Tráng",
        "Dì",
        "Mìn",
        "Lầu",
        "Hạng",
        "Moan", //
        // rhymes and spellings that are rare in names
        "gì",
        "gìn",
        "gịt",
        "khuya",
        "khuỷu",
        "ngoài",
        "xoáy",
        "ngoáo",
        "ngoẹo",
        "khuấy", //
        "huých",
        "huýt",
        "tuýp",
        "hoặc",
        "hoạch",
        "khoác",
        "thoát",
        "ngoạm",
        "hoắm",
        "xoăn", //
        "hoẵng",
        "thoắt",
        "khuếch",
        "huênh",
        "khuâng",
        "xuất",
        "thuở",
        "huơ",
        "hươ",
        "xoong", //
        "moóc",
        "kẻng",
        "éc",
        "yểng",
        "yếm",
        "yết",
        "yêu",
        "ỉa",
        "ít",
        "ình",
        "rượu", //
        "người",
        "được",
        "cướp",
        "lướt",
        "bướm",
        "vườn",
        "cuộc",
        "buồm",
        "muốn",
        "chuông", //
        "chuột",
        "muối",
        "tiếc",
        "tiếp",
        "biết",
        "kìa",
        "mưa",
        "gửi",
        "cứu",
        "kêu",
        "xếp", //
        "lớp",
        "ớt",
        "hộp",
        "búp",
        "giặc",
        "giữ",
        "giường",
        "giếng",
        "gieo",
        "giục",
        "quạu", //
        "quẹo",
        "quét",
        "quên",
        "quệch",
        "quắp",
        "quăng",
        "quậy",
        "quầng",
        "quỵu",
        "quýt", //
        "quờ",
        "qua",
        "que",
        "nghiêng",
        "nghề",
        "ghế",
        "kẹo",
        "ké",
        "cá",
        "gà",
        "ngà",
        "nhà", //
        "ố",
        "ăn",
        "của", //
    ];

    /// Typing errors, dropped diacritics, misplaced tone marks and words that are not Quốc ngữ.
    const MALFORMED: &[&str] = &[
        "Nguyen",
        "Nugyễn",
        "Nguyyễn",
        "Nguễn",
        "Trầnn",
        "Phuc",
        "Bac",
        "Ngyễn",
        "Kuân", //
        "Ghà",
        "Nghà",
        "Duong",
        "Truong",
        "Phuong",
        "Thuong",
        "Aan",
        "Viet",
        "Đat",
        "Phùc", //
        "Bằc",
        "Tòan",
        "Qúy",
        "Gìa",
        "Kà",
        "Cế",
        "Ngế",
        "Gế",
        "Coa",
        "Cuy",
        "Qa",
        "Iên", //
        "Tyên",
        "Fan",
        "Jun",
        "Wu",
        "Zô",
        "Hmông",
        "Nguễyn",
        "Anhh",
        "Ââm",
        "Thj",
        "Xyz", //
        "A\u{0302}\u{0306}n",
        "Ñam",
        "Ï",
        "Tâ",
        "Lă", //
    ];

    #[test]
    fn well_formed_syllables_pass() {
        assert!(WELL_FORMED.len() >= 150, "{} samples", WELL_FORMED.len());
        for word in WELL_FORMED {
            assert!(is_syllable(word), "{word} should be a syllable");
        }
    }

    #[test]
    fn malformed_words_fail() {
        for word in MALFORMED {
            assert!(!is_syllable(word), "{word} should not be a syllable");
        }
    }

    #[test]
    fn nfd_and_case_do_not_change_the_verdict() {
        for word in WELL_FORMED.iter().chain(MALFORMED) {
            let nfc = is_syllable(word);
            let nfd: String = word.nfd().collect();
            assert_eq!(is_syllable(&nfd), nfc, "NFD {word}");
            assert_eq!(is_syllable(&word.to_uppercase()), nfc, "upper {word}");
            assert_eq!(is_syllable(&word.to_lowercase()), nfc, "lower {word}");
        }
        // Tone mark typed before the vowel mark, as some keyboards emit it.
        assert!(is_syllable("Nguye\u{0303}\u{0302}n"));
        assert!(is_syllable("Nguyê\u{0303}n"));
        assert!(is_syllable("Đu\u{031B}\u{0301}c"));
        assert!(is_syllable("Đu\u{0301}\u{031B}c"));
        assert!(!is_syllable("Nguye\u{0303}n"));
    }

    #[test]
    fn stop_finals_need_sac_or_nang() {
        assert!(is_syllable("Phúc"));
        assert!(is_syllable("Ngọc"));
        assert!(is_syllable("Bạch"));
        assert!(!is_syllable("Phuc"));
        assert!(!is_syllable("Phủc"));
        assert!(!is_syllable("Phũc"));
        assert!(!is_syllable("Bach"));
    }

    #[test]
    fn tone_mark_sits_on_the_main_vowel() {
        for word in ["Hoà", "Hòa", "Thuý", "Thúy", "Mùa", "Ngoài", "Giàu", "Quý", "Hướng"] {
            assert!(is_syllable(word), "{word}");
        }
        for word in ["Tòan", "Qúy", "Gìa", "Mưà", "Ngòai", "Hưóng", "Nguỹên", "Hủynh"] {
            assert!(!is_syllable(word), "{word}");
        }
    }

    #[test]
    fn one_tone_mark_at_most() {
        assert!(is_syllable("Na\u{0301}m"));
        assert!(!is_syllable("Na\u{0301}\u{0300}m"));
        assert!(!is_syllable("Nguyễ\u{0301}n"));
    }

    #[test]
    fn non_letters_are_not_syllables() {
        for word in ["", " ", "-", "1", "An1", "An.", "Văn!", "Nguyễn Văn", "Thị-", "O'Neil"] {
            assert!(!is_syllable(word), "{word:?}");
        }
        assert!(!is_syllable("\u{0301}"));
        assert!(!is_syllable("\u{0301}a"));
    }

    #[test]
    fn malformed_words_of_a_name_in_order() {
        assert_eq!(malformed_words("Nguyen Văn Aan"), vec!["Nguyen", "Aan"]);
        assert!(malformed_words("  Nguyễn   Thị  Minh Khai ").is_empty());
        assert!(malformed_words("Y Moan Ê-đê").is_empty());
        assert_eq!(malformed_words("Lê Nguyen-Văn"), vec!["Nguyen-Văn"]);
        assert_eq!(malformed_words("Lê Văn-"), vec!["Văn-"]);
        assert!(malformed_words("").is_empty());
    }

    #[test]
    fn rhyme_tables_have_no_duplicates() {
        for table in [RHYMES, QU_RHYMES] {
            let mut sorted = table.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), table.len());
        }
        assert!(RHYMES.len() >= 150, "{} rhymes", RHYMES.len());
    }
}
