//! Engine throughput (issue 3): `cargo bench --bench reachability`.
//! Targets: >= 1,000,000 evaluations/s on one core for a weekly-pattern employee with
//! holidays, >= 200,000/s for an employee with a year of shifts (~250).
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stilla::reachability::{
    Priority, Schedule, ScheduleMode, Shift, ShiftKind, WeeklyPattern, WindowSpec, evaluate,
    holidays::swedish_holidays,
};

/// Instants spread over a year, every 37 minutes, so every weekday and hour is hit.
fn instants() -> Vec<DateTime<Utc>> {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (0..14_000)
        .map(|i| start + Duration::minutes(37 * i))
        .collect()
}

fn office_week() -> WeeklyPattern {
    let day = vec![WindowSpec {
        start: 7 * 60,
        end: 16 * 60,
    }];
    WeeklyPattern::new([
        day.clone(),
        day.clone(),
        day.clone(),
        day.clone(),
        day,
        vec![],
        vec![],
    ])
}

/// About 250 shifts in 2026: day, evening and night shifts in a rotating roster, with a
/// few on-call shifts.
fn a_year_of_shifts() -> Vec<Shift> {
    let zone = chrono_tz::Europe::Stockholm;
    let mut shifts = Vec::new();
    let mut date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut n = 0;
    while shifts.len() < 250 {
        let (start, hours, kind) = match n % 7 {
            0 | 1 => (7, 8, ShiftKind::Work),
            2 | 3 => (14, 8, ShiftKind::Work),
            4 => (21, 10, ShiftKind::Work),
            5 => (8, 12, ShiftKind::OnCall),
            _ => (0, 0, ShiftKind::Work),
        };
        if hours > 0 {
            let starts_at = zone
                .from_local_datetime(&date.and_hms_opt(start, 0, 0).unwrap())
                .earliest()
                .unwrap();
            shifts.push(Shift {
                starts_at: starts_at.with_timezone(&Utc),
                ends_at: (starts_at + Duration::hours(hours)).with_timezone(&Utc),
                kind,
            });
        }
        date += Duration::days(if n % 3 == 2 { 2 } else { 1 });
        n += 1;
    }
    shifts
}

fn engine(c: &mut Criterion) {
    let times = instants();
    let week = office_week();
    let holidays: Vec<NaiveDate> = [2026, 2027]
        .into_iter()
        .flat_map(swedish_holidays)
        .map(|(d, _)| d)
        .collect();
    let weekly = Schedule {
        zone: chrono_tz::Europe::Stockholm,
        mode: ScheduleMode::Weekly,
        weekly: &week,
        holidays: &holidays,
        shifts: &[],
        absences: &[],
        focus_until: None,
        release_delay: 0,
    };
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("weekly pattern with holidays", |b| {
        b.iter(|| {
            i = (i + 1) % times.len();
            evaluate(std::hint::black_box(&weekly), Priority::Info, times[i])
        });
    });
    let shifts = a_year_of_shifts();
    let empty = WeeklyPattern::default();
    let shift_worker = Schedule {
        mode: ScheduleMode::Shifts,
        weekly: &empty,
        shifts: &shifts,
        ..weekly
    };
    group.bench_function("a year of shifts (250)", |b| {
        b.iter(|| {
            i = (i + 1) % times.len();
            evaluate(
                std::hint::black_box(&shift_worker),
                Priority::Important,
                times[i],
            )
        });
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
