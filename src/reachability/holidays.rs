//! Sweden's public holidays, computed for any year, plus the eves (midsommarafton,
//! julafton, nyårsafton) that Swedish employers treat as days off.
use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday (Gregorian), by the anonymous algorithm (Meeus/Jones/Butcher), in its
/// published letters so it can be checked against the source.
#[allow(clippy::many_single_char_names)]
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter falls in March or April")
}

/// The first `weekday` on or after `date`.
fn first_on_or_after(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date + Duration::days(i64::from(ahead))
}

/// The days off of `year`, with their Swedish names, in date order.
pub fn swedish_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let date = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("a real date");
    let easter = easter_sunday(year);
    let midsummer_eve = first_on_or_after(date(6, 19), Weekday::Fri);
    let mut days = vec![
        (date(1, 1), "Nyårsdagen"),
        (date(1, 6), "Trettondedag jul"),
        (easter - Duration::days(2), "Långfredagen"),
        (easter, "Påskdagen"),
        (easter + Duration::days(1), "Annandag påsk"),
        (date(5, 1), "Första maj"),
        (easter + Duration::days(39), "Kristi himmelsfärdsdag"),
        (easter + Duration::days(49), "Pingstdagen"),
        (date(6, 6), "Sveriges nationaldag"),
        (midsummer_eve, "Midsommarafton"),
        (midsummer_eve + Duration::days(1), "Midsommardagen"),
        (
            first_on_or_after(date(10, 31), Weekday::Sat),
            "Alla helgons dag",
        ),
        (date(12, 24), "Julafton"),
        (date(12, 25), "Juldagen"),
        (date(12, 26), "Annandag jul"),
        (date(12, 31), "Nyårsafton"),
    ];
    days.sort();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_matches_the_almanac() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2038), d(2038, 4, 25));
    }

    #[test]
    fn sweden_2026() {
        let days: Vec<NaiveDate> = swedish_holidays(2026)
            .into_iter()
            .map(|(date, _)| date)
            .collect();
        assert_eq!(
            days,
            [
                d(2026, 1, 1),
                d(2026, 1, 6),
                d(2026, 4, 3),
                d(2026, 4, 5),
                d(2026, 4, 6),
                d(2026, 5, 1),
                d(2026, 5, 14),
                d(2026, 5, 24),
                d(2026, 6, 6),
                d(2026, 6, 19),
                d(2026, 6, 20),
                d(2026, 10, 31),
                d(2026, 12, 24),
                d(2026, 12, 25),
                d(2026, 12, 26),
                d(2026, 12, 31),
            ]
        );
    }

    #[test]
    fn midsummer_and_all_saints_move_with_the_weekdays() {
        let named = |year, name| {
            swedish_holidays(year)
                .into_iter()
                .find(|(_, n)| *n == name)
                .unwrap()
                .0
        };
        assert_eq!(named(2025, "Midsommarafton"), d(2025, 6, 20));
        assert_eq!(named(2027, "Midsommarafton"), d(2027, 6, 25));
        assert_eq!(named(2025, "Alla helgons dag"), d(2025, 11, 1));
        assert_eq!(named(2027, "Alla helgons dag"), d(2027, 11, 6));
    }
}
