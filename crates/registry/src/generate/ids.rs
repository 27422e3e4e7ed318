//! Identifiers that never collide and never need a set of every id issued.
//!
//! A personal id ends in six "random" digits. The generator keeps one counter per prefix (place
//! code, century/gender digit, two-digit year) and maps the counter through a keyed bijection of
//! `0..1_000_000`, so serials look random, are reproducible, and are unique as long as a prefix
//! has fewer than a million people. Old 9-digit identity card numbers (CMND) work the same way
//! with seven digits after a two-digit regional prefix. Row ids are 128 random bits from the
//! seeded generator, written as 32 lowercase hex digits.

use std::collections::HashMap;

use kernel::personal_id::LEGACY_PROVINCE_CODES;
use kernel::{Gender, PersonalId};
use rand::Rng;

use super::sample::GenRng;

const SERIALS: u32 = 1_000_000;
const CMND_SERIALS: u32 = 10_000_000;

/// Issues personal ids and old identity card numbers.
#[derive(Debug)]
pub(super) struct IdAllocator {
    key: u64,
    personal: HashMap<u32, u32, BuildMix>,
    cmnd: HashMap<u8, u32, BuildMix>,
}

/// Hashing for the small integer keys of the counters (SipHash's DoS resistance is not needed).
#[derive(Debug, Clone, Copy, Default)]
struct BuildMix;

#[derive(Debug, Default)]
struct MixHasher(u64);

impl std::hash::BuildHasher for BuildMix {
    type Hasher = MixHasher;
    fn build_hasher(&self) -> MixHasher {
        MixHasher(0)
    }
}

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).rotate_left(5);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = self.0.rotate_left(8) ^ u64::from(i);
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = self.0.rotate_left(32) ^ u64::from(i);
    }
}

impl IdAllocator {
    pub(super) fn new(key: u64) -> Self {
        IdAllocator { key, personal: HashMap::with_hasher(BuildMix), cmnd: HashMap::with_hasher(BuildMix) }
    }

    /// A fresh personal id for a person born in the legacy province `place_code` ("008").
    /// Should a prefix ever run out of serials, the next legacy code is used, so ids stay unique.
    pub(super) fn personal_id(&mut self, place_code: &str, gender: Gender, birth_year: i32) -> String {
        let digit = kernel::personal_id::century_gender_digit(gender, birth_year) as u32;
        for code in std::iter::once(place_code).chain(LEGACY_PROVINCE_CODES) {
            let number = code.parse::<u32>().unwrap_or(0);
            let prefix = number * 1000 + digit * 100 + birth_year.rem_euclid(100) as u32;
            let counter = self.personal.entry(prefix).or_insert(0);
            if *counter < SERIALS {
                let serial =
                    permute(*counter, SERIALS, 20, self.key ^ u64::from(prefix).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                *counter += 1;
                return PersonalId::compose(code, gender, birth_year, serial).into();
            }
        }
        panic!("every personal-id prefix for {gender:?} born {birth_year} is exhausted");
    }

    /// A fresh 9-digit CMND number in the two-digit regional series `prefix` (01–38).
    pub(super) fn cmnd(&mut self, prefix: u8) -> String {
        let mut p = prefix;
        loop {
            let counter = self.cmnd.entry(p).or_insert(0);
            if *counter < CMND_SERIALS {
                let key = self.key.rotate_left(17) ^ u64::from(p).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
                let serial = permute(*counter, CMND_SERIALS, 24, key);
                *counter += 1;
                return digits(u64::from(p) * 10_000_000 + u64::from(serial), 9);
            }
            p = if p >= 99 { 1 } else { p + 1 };
        }
    }
}

/// `value` as exactly `width` decimal digits (zero-padded).
fn digits(mut value: u64, width: usize) -> String {
    let mut out = vec!['0'; width];
    for d in out.iter_mut().rev() {
        *d = char::from(b'0' + (value % 10) as u8);
        value /= 10;
    }
    out.into_iter().collect()
}

/// 32 lowercase hex digits from the seeded generator: a row id that is unique in practice and
/// reproducible from the seed.
pub(super) fn hex_id(rng: &mut GenRng) -> String {
    format!("{:032x}", rng.gen::<u128>())
}

/// A keyed bijection of `0..domain` (`domain <= 2^bits`, `bits` even): a four-round Feistel
/// network on `bits` bits with cycle walking back into the domain.
fn permute(value: u32, domain: u32, bits: u32, key: u64) -> u32 {
    debug_assert!(value < domain && domain <= 1 << bits && bits & 1 == 0);
    let mut x = value;
    loop {
        x = feistel(x, bits, key);
        if x < domain {
            return x;
        }
    }
}

fn feistel(x: u32, bits: u32, key: u64) -> u32 {
    let half = bits / 2;
    let mask = (1u32 << half) - 1;
    let (mut left, mut right) = (x >> half, x & mask);
    for round in 0..4u64 {
        let f = (mix(key ^ (round << 32) ^ u64::from(right)) as u32) & mask;
        (left, right) = (right, left ^ f);
    }
    (left << half) | right
}

/// SplitMix64 finalizer: a cheap, well-distributed 64-bit hash.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit hash of a string (FNV-1a), for salts derived from codes.
pub(super) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection() {
        let n = 1 << 12;
        let mut seen = vec![false; n as usize];
        for v in 0..n - 100 {
            let p = permute(v, n - 100, 12, 42);
            assert!(p < n - 100);
            assert!(!seen[p as usize], "collision at {v}");
            seen[p as usize] = true;
        }
    }

    #[test]
    fn serials_are_unique_and_scattered() {
        let mut ids = IdAllocator::new(7);
        let a: Vec<String> = (0..2000).map(|_| ids.personal_id("008", Gender::Female, 1990)).collect();
        let set: std::collections::HashSet<&String> = a.iter().collect();
        assert_eq!(set.len(), a.len());
        assert!(a.iter().all(|id| id.starts_with("008190")));
        // Consecutive ids are not consecutive numbers.
        assert_ne!(a[1][6..].parse::<u32>().unwrap(), a[0][6..].parse::<u32>().unwrap() + 1);
        let mut rng = <GenRng as rand::SeedableRng>::seed_from_u64(3);
        let h = hex_id(&mut rng);
        assert_eq!(h.len(), 32);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(h, hex_id(&mut rng));
        assert_eq!(digits(7_000_042, 9), "007000042");
        let c = ids.cmnd(7);
        assert_eq!(c.len(), 9);
        assert!(c.starts_with("07"));
    }
}
