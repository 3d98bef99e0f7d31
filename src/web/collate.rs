//! Names in the order a Swedish reader expects: letters as the Swedish alphabet has
//! them (… x y z å ä ö; é with e, ü with y, æ with ä, ø with ö), case aside, and the
//! numbers inside a name by their value ("Avd 2" before "Avd 10", "Hus 9B" before
//! "Hus 10A"). Byte order puts "Avd 10" first and "Ärende" before "Åtgärd".
use std::cmp::Ordering;

/// One run of a name: its letters' weights, or a number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Run {
    // Numbers sort before words, as in a phone book.
    Number(u128, usize),
    Text(Vec<u32>),
}

/// The sort key of `name`.
fn key(name: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut chars = name.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            let value = digits.parse::<u128>().unwrap_or(u128::MAX);
            // Equal values: fewer leading zeros first ("7" before "07").
            runs.push(Run::Number(value, digits.len()));
        } else {
            let mut weights = Vec::new();
            while let Some(&t) = chars.peek().filter(|t| !t.is_ascii_digit()) {
                weights.push(weight(t));
                chars.next();
            }
            runs.push(Run::Text(weights));
        }
    }
    runs
}

/// Compares two names as [`key`] orders them; equal keys by their exact text, so that
/// the order is total and stable.
pub fn compare(a: &str, b: &str) -> Ordering {
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// A letter's place: the Swedish alphabet's for letters, case and accents aside.
fn weight(c: char) -> u32 {
    let folded = match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' => 'o',
        'ù' | 'ú' | 'û' => 'u',
        'ü' | 'ý' | 'ÿ' => 'y',
        'æ' => 'ä',
        'ø' => 'ö',
        other => other,
    };
    match folded {
        'a'..='z' => 0x1000 + folded as u32,
        'å' => 0x1000 + 'z' as u32 + 1,
        'ä' => 0x1000 + 'z' as u32 + 2,
        'ö' => 0x1000 + 'z' as u32 + 3,
        // Spaces and punctuation before every letter, in their own order.
        other => other as u32 & 0x0fff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        names.sort_by(|a, b| compare(a, b));
        names
    }

    #[test]
    fn numbers_in_names_go_by_their_value() {
        assert_eq!(
            sorted(&["Avd 10", "Avd 2", "Avd 1", "Avd 21", "Avd 3"]),
            ["Avd 1", "Avd 2", "Avd 3", "Avd 10", "Avd 21"]
        );
        assert_eq!(
            sorted(&["Hus 10A", "Hus 9B", "Hus 9A"]),
            ["Hus 9A", "Hus 9B", "Hus 10A"]
        );
    }

    #[test]
    fn swedish_letters_come_after_z_in_their_own_order() {
        assert_eq!(
            sorted(&["Östra", "Ängen", "Åsen", "Zeta", "akuten"]),
            ["akuten", "Zeta", "Åsen", "Ängen", "Östra"]
        );
        // Case and accents aside: é with e, ü with y.
        assert_eq!(sorted(&["Ey", "Éa", "Ez"]), ["Éa", "Ey", "Ez"]);
        assert_eq!(sorted(&["Müller", "Myr", "Mz"]), ["Müller", "Myr", "Mz"]);
    }

    #[test]
    fn the_order_is_total() {
        assert_eq!(compare("avd 1", "Avd 1"), "avd 1".cmp("Avd 1"));
        assert_eq!(compare("Avd 7", "Avd 07"), Ordering::Less);
    }
}
