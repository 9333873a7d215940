//! Digit sets: which of the ten digits a model sees, parsed from the command
//! line ("odd", "0-4", "0-2,7", ...) and named for run and file names.

use std::fmt;
use std::str::FromStr;

use crate::DataError;

/// A sorted, duplicate-free, non-empty set of digits 0–9.
///
/// Sorting fixes the meaning of the local class index: class `k` is always
/// the `k`-th smallest digit, whichever order the user typed them in, so a
/// model trained on "3,1" and one trained on "1,3" agree on their outputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitSet {
    digits: Vec<u8>,
}

impl DigitSet {
    /// Builds a set from digits in any order; rejects an empty list, digits
    /// above 9, and repeats (a repeat is more likely a typo than intent).
    pub fn new(digits: &[u8]) -> Result<Self, DataError> {
        let input = digits
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",");
        Self::checked(digits).map_err(|reason| DataError::InvalidDigitSet { input, reason })
    }

    /// The checks of [`DigitSet::new`], with the reason as a plain string so
    /// that the parser can report it against the text the user typed.
    fn checked(digits: &[u8]) -> Result<Self, String> {
        if digits.is_empty() {
            return Err("the set is empty".into());
        }
        if let Some(d) = digits.iter().find(|&&d| d > 9) {
            return Err(format!("digit {d} is above 9"));
        }
        let mut sorted = digits.to_vec();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "digit {} appears more than once (repeated, or ranges overlap)",
                w[0]
            ));
        }
        Ok(Self { digits: sorted })
    }

    /// {1, 3, 5, 7, 9}
    pub fn odd() -> Self {
        Self {
            digits: vec![1, 3, 5, 7, 9],
        }
    }

    /// {0, 2, 4, 6, 8}
    pub fn even() -> Self {
        Self {
            digits: vec![0, 2, 4, 6, 8],
        }
    }

    /// All ten digits.
    pub fn all() -> Self {
        Self {
            digits: (0..10).collect(),
        }
    }

    /// The digits, ascending; index = local class.
    pub fn digits(&self) -> &[u8] {
        &self.digits
    }

    /// Number of digits, i.e. of output classes.
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    /// Always false (an empty set cannot be built); here for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn contains(&self, digit: u8) -> bool {
        self.class_of(digit).is_some()
    }

    /// Local class index of `digit`, if it is in the set.
    pub fn class_of(&self, digit: u8) -> Option<usize> {
        self.digits.binary_search(&digit).ok()
    }

    /// Short label for run names, file names and logs: "odd", "even", "all",
    /// else runs of two or more consecutive digits as `a-b` and single digits
    /// as `d`, joined by `_`: {0,1,2,3,4} → "0-4", {0,2,4} → "0_2_4",
    /// {0,1,2,7} → "0-2_7".
    ///
    /// `_` rather than `,` keeps the name safe in a path, and the name never
    /// contains a lone `-` between single digits, so "0-4" (a range) and
    /// "0_4" (two digits) cannot be confused. The name parses back to the same
    /// set with [`str::parse`].
    pub fn name(&self) -> String {
        if *self == Self::odd() {
            return "odd".into();
        }
        if *self == Self::even() {
            return "even".into();
        }
        if *self == Self::all() {
            return "all".into();
        }
        let d = &self.digits;
        let mut parts = Vec::new();
        let mut start = 0;
        while start < d.len() {
            let mut end = start;
            while end + 1 < d.len() && d[end + 1] == d[end] + 1 {
                end += 1;
            }
            parts.push(if end > start {
                format!("{}-{}", d[start], d[end])
            } else {
                d[start].to_string()
            });
            start = end + 1;
        }
        parts.join("_")
    }
}

impl fmt::Display for DigitSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One digit as typed: ASCII digits only, so "+1" or " 1" inside a range is
/// reported instead of being accepted by `u8::from_str`.
fn parse_digit(text: &str) -> Result<u8, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a digit"));
    }
    match text.parse::<u8>() {
        Ok(d) if d <= 9 => Ok(d),
        _ => Err(format!("digit {text} is above 9")),
    }
}

/// One comma-separated entry: a digit ("7") or an inclusive range ("0-4").
fn parse_entry(entry: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let Some((lo, hi)) = entry.split_once('-') else {
        out.push(parse_digit(entry)?);
        return Ok(());
    };
    let (lo, hi) = (lo.trim(), hi.trim());
    if lo.is_empty() {
        return Err(format!("range {entry:?} lacks its first digit"));
    }
    if hi.is_empty() {
        return Err(format!("range {entry:?} lacks its last digit"));
    }
    if hi.contains('-') {
        return Err(format!(
            "{entry:?} is not a range: a range is two digits like 0-4"
        ));
    }
    let (lo, hi) = (parse_digit(lo)?, parse_digit(hi)?);
    if lo > hi {
        return Err(format!("range {entry:?} runs downwards; write {hi}-{lo}"));
    }
    out.extend(lo..=hi);
    Ok(())
}

impl FromStr for DigitSet {
    type Err = DataError;

    /// Accepts "odd", "even", "all" (any case), or entries separated by ','
    /// (or '_', so that every [`DigitSet::name`] parses back), each a digit
    /// or an inclusive range: "0,1,2", "0-4", "0-2,7". Spaces around entries
    /// are allowed. Descending ranges ("4-0"), digits above 9 ("0-10"),
    /// open ranges ("3-") and digits given twice ("0-4,3") are errors.
    fn from_str(s: &str) -> Result<Self, DataError> {
        let trimmed = s.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "odd" => return Ok(Self::odd()),
            "even" => return Ok(Self::even()),
            "all" => return Ok(Self::all()),
            _ => {}
        }
        let invalid = |reason: String| DataError::InvalidDigitSet {
            input: s.to_string(),
            reason,
        };
        if trimmed.is_empty() {
            return Err(invalid("the set is empty".into()));
        }
        let mut digits = Vec::new();
        for entry in trimmed.split([',', '_']) {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(invalid("empty entry between separators".into()));
            }
            parse_entry(entry, &mut digits).map_err(invalid)?;
        }
        Self::checked(&digits).map_err(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Vec<u8> {
        match s.parse::<DigitSet>() {
            Ok(set) => set.digits().to_vec(),
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn error(s: &str) -> String {
        match s.parse::<DigitSet>() {
            Ok(set) => panic!("{s:?} parsed as {set}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn ranges_and_mixes() {
        assert_eq!(parse("0-4"), [0, 1, 2, 3, 4]);
        assert_eq!(parse("5-9"), [5, 6, 7, 8, 9]);
        assert_eq!(parse("0-2,7"), [0, 1, 2, 7]);
        assert_eq!(parse(" 7 , 0 - 2 "), [0, 1, 2, 7]);
        assert_eq!(parse("3-3"), [3]);
        assert_eq!(parse("0-9"), DigitSet::all().digits());
        assert_eq!("1,3,5-5,7,9".parse::<DigitSet>().unwrap(), DigitSet::odd());
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        for (input, needle) in [
            ("4-0", "runs downwards; write 0-4"),
            ("0-10", "digit 10 is above 9"),
            ("3-", "lacks its last digit"),
            ("-3", "lacks its first digit"),
            ("0-4,3", "digit 3 appears more than once"),
            ("0-4,2-6", "ranges overlap"),
            ("0-2-4", "not a range"),
            ("a-4", "\"a\" is not a digit"),
            ("+1", "not a digit"),
            ("0-4,,7", "empty entry"),
            ("-", "lacks its first digit"),
        ] {
            let msg = error(input);
            assert!(msg.contains("invalid digit set"), "{input:?}: {msg}");
            assert!(msg.contains(needle), "{input:?}: {msg}");
            assert!(msg.contains("a range like \"0-4\""), "{msg}");
        }
    }

    #[test]
    fn names_use_runs_and_underscores() {
        let name = |s: &str| s.parse::<DigitSet>().unwrap().name();
        assert_eq!(name("0,1,2,3,4"), "0-4");
        assert_eq!(name("5-9"), "5-9");
        assert_eq!(name("0,2,4"), "0_2_4");
        assert_eq!(name("0,1,2,7"), "0-2_7");
        assert_eq!(name("0,1"), "0-1");
        assert_eq!(name("3"), "3");
        assert_eq!(name("0,1,3,4,6,8,9"), "0-1_3-4_6_8-9");
        assert_eq!(name("9,7,5,3,1"), "odd");
        assert_eq!(name("0-8"), "0-8");
        assert_eq!(name("0-9"), "all");
    }

    /// Every one of the 1023 non-empty sets: the name is path-safe, parses
    /// back to the same set, and no two sets share a name.
    #[test]
    fn every_name_is_unique_safe_and_round_trips() {
        let mut seen = std::collections::HashSet::new();
        for mask in 1u16..1024 {
            let digits: Vec<u8> = (0..10).filter(|d| mask & (1 << d) != 0).collect();
            let set = DigitSet::new(&digits).unwrap();
            let name = set.name();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{name}"
            );
            assert_eq!(name.parse::<DigitSet>().unwrap(), set, "{name}");
            assert!(seen.insert(name.clone()), "duplicate name {name}");
        }
    }
}
