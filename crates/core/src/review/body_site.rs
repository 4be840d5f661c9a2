//! The body sites a clinician can pick, coded in SNOMED CT (body structure concepts, International
//! Edition). A short list of the sites ward photos show, searchable by what clinicians type; a
//! trust that needs more will provision its own list.

use serde::Serialize;

/// One site on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BodySite {
    /// SNOMED CT concept id.
    pub code: &'static str,
    /// The name clinicians read and search.
    pub display: &'static str,
    /// Paired sites (a left and a right one exist) need a laterality; midline ones must not have one.
    pub paired: bool,
    /// Other words clinicians type for it.
    #[serde(skip)]
    pub synonyms: &'static [&'static str],
}

const fn site(
    code: &'static str,
    display: &'static str,
    paired: bool,
    synonyms: &'static [&'static str],
) -> BodySite {
    BodySite {
        code,
        display,
        paired,
        synonyms,
    }
}

/// Every site offered, head to toe.
pub const BODY_SITES: &[BodySite] = &[
    site("41695006", "Scalp", false, &["head skin"]),
    site("69536005", "Head", false, &[]),
    site("89545001", "Face", false, &["cheek", "forehead", "chin"]),
    site(
        "371398005",
        "Eye region",
        true,
        &["eyelid", "orbit", "periorbital"],
    ),
    site("117590005", "Ear", true, &["pinna", "auricle"]),
    site("45206002", "Nose", false, &[]),
    site("123851003", "Mouth region", false, &["lip", "oral"]),
    site("45048000", "Neck", false, &["throat"]),
    site("16982005", "Shoulder region", true, &[]),
    site("34797008", "Axilla", true, &["armpit"]),
    site("76752008", "Breast", true, &[]),
    site(
        "51185008",
        "Chest",
        false,
        &["thorax", "thoracic", "sternum"],
    ),
    site(
        "113345001",
        "Abdomen",
        false,
        &["abdominal", "tummy", "stomach", "umbilicus"],
    ),
    site(
        "77568009",
        "Back",
        false,
        &["spine", "lumbar", "thoracic back"],
    ),
    site(
        "54735007",
        "Sacral region",
        false,
        &["sacrum", "coccyx", "pressure sore"],
    ),
    site("46862004", "Buttock", true, &["gluteal", "natal cleft"]),
    site("26893007", "Groin", true, &["inguinal"]),
    site("38864007", "Perineum", false, &["perineal"]),
    site("40983000", "Upper arm", true, &["arm", "biceps", "triceps"]),
    site("127949000", "Elbow region", true, &["elbow", "antecubital"]),
    site("14975008", "Forearm", true, &["arm"]),
    site("74670003", "Wrist region", true, &["wrist"]),
    site("85562004", "Hand", true, &["palm", "dorsum of hand"]),
    site("7569003", "Finger", true, &["thumb", "digit", "nail"]),
    site("29836001", "Hip", true, &[]),
    site("68367000", "Thigh", true, &["leg", "femoral"]),
    site("72696002", "Knee region", true, &["knee", "patella"]),
    site(
        "30021000",
        "Lower leg",
        true,
        &["leg", "shin", "calf", "tibial"],
    ),
    site("344001", "Ankle region", true, &["ankle", "malleolus"]),
    site("56459004", "Foot", true, &["sole", "dorsum of foot"]),
    site("76853006", "Heel", true, &["pressure sore"]),
    site("29707007", "Toe", true, &["hallux", "big toe", "nail"]),
];

/// The sites ward photos show most, offered one tap away before anything is typed: pressure
/// ulcers (sacrum, heel, buttock), leg and foot ulcers, surgical wounds of the abdomen, and the
/// hands and face that injuries and rashes favour.
pub const COMMON_SITES: &[&str] = &[
    "54735007",  // Sacral region
    "76853006",  // Heel
    "30021000",  // Lower leg
    "56459004",  // Foot
    "46862004",  // Buttock
    "113345001", // Abdomen
    "85562004",  // Hand
    "89545001",  // Face
];

/// The site with SNOMED CT `code`, if it is on the list.
pub fn find(code: &str) -> Option<&'static BodySite> {
    BODY_SITES.iter().find(|s| s.code == code)
}

/// Sites whose name or a synonym contains every word of `query` (case-insensitive), in list order;
/// the whole list for an empty query. Names that start with the query come first.
pub fn search(query: &str) -> Vec<&'static BodySite> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let matches = |s: &BodySite| {
        let names: Vec<String> = std::iter::once(s.display)
            .chain(s.synonyms.iter().copied())
            .map(str::to_lowercase)
            .collect();
        words
            .iter()
            .all(|w| names.iter().any(|n| n.contains(w.as_str())))
    };
    let mut found: Vec<&'static BodySite> = BODY_SITES.iter().filter(|s| matches(s)).collect();
    if let Some(first) = words.first() {
        // A stable sort keeps head-to-toe order within each group.
        found.sort_by_key(|s| !s.display.to_lowercase().starts_with(first.as_str()));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snomed_ids_with_valid_verhoeff_check_digits() {
        // SNOMED CT ids end in a Verhoeff check digit; a typo in the table fails here.
        const D: [[u8; 10]; 10] = [
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
            [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
            [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
            [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
            [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
            [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
            [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
            [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
            [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        ];
        const P: [[u8; 10]; 8] = [
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
            [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
            [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
            [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
            [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
            [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
            [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
        ];
        let mut seen = std::collections::HashSet::new();
        for s in BODY_SITES {
            assert!(seen.insert(s.code), "duplicate code {}", s.code);
            assert!(s.code.len() >= 6 && s.code.bytes().all(|b| b.is_ascii_digit()));
            let mut c = 0u8;
            for (i, b) in s.code.bytes().rev().enumerate() {
                c = D[usize::from(c)][usize::from(P[i % 8][usize::from(b - b'0')])];
            }
            assert_eq!(c, 0, "{} ({}) fails the Verhoeff check", s.code, s.display);
            // The partition identifier (second and third digits from the right) is 00: a concept.
            let n = s.code.len();
            assert_eq!(
                &s.code[n - 3..n - 1],
                "00",
                "{} is not a concept id",
                s.code
            );
        }
    }

    #[test]
    fn every_common_site_is_on_the_list_once() {
        let mut seen = std::collections::HashSet::new();
        for code in COMMON_SITES {
            assert!(find(code).is_some(), "{code} is not a body site");
            assert!(seen.insert(code), "{code} twice");
        }
    }

    #[test]
    fn search_finds_by_name_and_synonym() {
        let names = |q: &str| search(q).iter().map(|s| s.display).collect::<Vec<_>>();
        assert_eq!(names("sacr"), ["Sacral region"]);
        assert!(names("pressure sore").contains(&"Heel"));
        assert_eq!(names("HEEL"), ["Heel"]);
        assert_eq!(names("armpit"), ["Axilla"]);
        // "leg" names the lower leg and the thigh; neither is lost.
        let leg = names("leg");
        assert!(leg.contains(&"Lower leg") && leg.contains(&"Thigh"));
        assert_eq!(names("lower leg"), ["Lower leg"]);
        assert_eq!(search("").len(), BODY_SITES.len());
        assert!(search("xyzzy").is_empty());
        assert_eq!(find("56459004").map(|s| s.display), Some("Foot"));
        assert_eq!(find("1"), None);
    }
}
