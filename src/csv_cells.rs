//! Text cells that a spreadsheet must not run: CSV injection (OWASP's "CSV Injection").
//!
//! Excel and LibreOffice treat a cell that begins with `=`, `+`, `-` or `@` as a formula,
//! and a leading tab or carriage return can hide one; a manufacturer
//! `=cmd|' /C calc'!A0` written raw into an export runs when an administrator opens it.
//! Every CSV Stilla writes passes its cells through [`neutralize`], which puts an
//! apostrophe in front of such a cell so the spreadsheet shows it as text. Imports pass
//! theirs through [`restore`], so an exported file can be imported again unchanged.
use std::borrow::Cow;

/// The characters a spreadsheet reads as the start of a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as a spreadsheet will show it, never as a formula. A plain number (`-12.50`,
/// `-3,5`) is left as it is: it cannot be a formula, and quoting it would turn an amount
/// into text.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(first) if TRIGGERS.contains(&first) && !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// The cell as it was before [`neutralize`]: an apostrophe in front of a trigger is
/// dropped, anything else is kept.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) => rest,
        _ => cell,
    }
}

fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let mut separators = 0;
    !digits.is_empty()
        && digits.chars().all(|c| {
            if c == '.' || c == ',' {
                separators += 1;
                separators == 1
            } else {
                c.is_ascii_digit()
            }
        })
        && digits.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_shown_as_text() {
        for cell in [
            "=cmd|' /C calc'!A0",
            "=HYPERLINK(\"http://x\",\"y\")",
            "-1+1",
            "@SUM(A1)",
            "\tx",
            "\r=1",
            "-",
            "+",
        ] {
            assert_eq!(neutralize(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn ordinary_cells_and_numbers_are_left_alone() {
        for cell in [
            "Apple",
            "",
            "12",
            "-12.50",
            "-3,5",
            "+46701234567",
            "a=b",
            "'quoted",
        ] {
            assert_eq!(neutralize(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn restore_undoes_neutralize() {
        for cell in ["=1+1", "+46701234567", "@x", "Apple", "'plain", "-5", "-a"] {
            assert_eq!(restore(&neutralize(cell)), cell, "{cell:?}");
        }
    }
}
