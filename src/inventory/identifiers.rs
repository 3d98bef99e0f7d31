//! Checks and normal forms for the numbers on a phone and a SIM: IMEI, ICCID, MSISDN.

/// The Luhn check (ISO/IEC 7812) over a string of ASCII digits, check digit last.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The Luhn check digit that completes `body` (ASCII digits): for making valid test and
/// demo numbers.
pub fn luhn_check_digit(body: &str) -> char {
    (0..=9u8)
        .map(|d| char::from(b'0' + d))
        .find(|d| luhn_valid(&format!("{body}{d}")))
        .unwrap_or('0')
}

fn digits_only(input: &str) -> Option<String> {
    let cleaned: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    cleaned
        .chars()
        .all(|c| c.is_ascii_digit())
        .then_some(cleaned)
}

/// An IMEI: 15 digits whose last is the Luhn check digit. Spaces and dashes are dropped.
pub fn normalize_imei(input: &str) -> Result<String, String> {
    match digits_only(input) {
        Some(d) if d.len() == 15 && luhn_valid(&d) => Ok(d),
        Some(d) if d.len() == 15 => Err("has a wrong check digit (Luhn)".to_owned()),
        _ => Err("must be 15 digits".to_owned()),
    }
}

/// An ICCID (the SIM's number): 19 or 20 digits with a Luhn check digit.
pub fn normalize_iccid(input: &str) -> Result<String, String> {
    match digits_only(input) {
        Some(d) if (19..=20).contains(&d.len()) && luhn_valid(&d) => Ok(d),
        Some(d) if (19..=20).contains(&d.len()) => Err("has a wrong check digit (Luhn)".to_owned()),
        _ => Err("must be 19 or 20 digits".to_owned()),
    }
}

/// A phone number as E.164. Swedish national forms (`070-123 45 67`) are read as Swedish.
pub fn normalize_msisdn(input: &str) -> Result<String, String> {
    let number = phonenumber::parse(Some(phonenumber::country::Id::SE), input.trim())
        .map_err(|_| "is not a phone number".to_owned())?;
    if !phonenumber::is_valid(&number) {
        return Err("is not a valid phone number".to_owned());
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// A switchboard extension: 2 to 10 digits.
pub fn normalize_extension(input: &str) -> Result<String, String> {
    match digits_only(input.trim()) {
        Some(d) if (2..=10).contains(&d.len()) => Ok(d),
        _ => Err("must be 2 to 10 digits".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imei_needs_fifteen_digits_and_a_luhn_check_digit() {
        assert_eq!(
            normalize_imei("490154203237518").as_deref(),
            Ok("490154203237518")
        );
        assert_eq!(
            normalize_imei("49 015420 323751 8").as_deref(),
            Ok("490154203237518")
        );
        assert!(
            normalize_imei("490154203237519")
                .unwrap_err()
                .contains("Luhn")
        );
        assert!(normalize_imei("49015420323751").is_err());
        assert!(normalize_imei("49015420323751A").is_err());
    }

    #[test]
    fn iccid_needs_nineteen_or_twenty_digits_and_luhn() {
        assert!(normalize_iccid("8946202100123456782").is_ok());
        assert!(normalize_iccid("8946202100123456783").is_err());
        assert!(normalize_iccid("89462021001234567").is_err());
    }

    #[test]
    fn swedish_numbers_become_e164() {
        assert_eq!(
            normalize_msisdn("070-123 45 67").as_deref(),
            Ok("+46701234567")
        );
        assert_eq!(
            normalize_msisdn("+46 70 123 45 67").as_deref(),
            Ok("+46701234567")
        );
        assert_eq!(
            normalize_msisdn("0046701234567").as_deref(),
            Ok("+46701234567")
        );
        assert!(normalize_msisdn("12").is_err());
        assert!(normalize_msisdn("not a number").is_err());
    }
}
