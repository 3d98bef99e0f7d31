//! The roll-out model and report, with figures worked out by hand.
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_stores};

struct Plan {
    region: String,
    avd5: String,
    nurse: String,
    phone_profile: String,
}

/// Units Region > Sjukhus > Avd 5 and Region > Avd 9; nurses, aides, doctors; three
/// profiles; four rules; a few devices. The figures in the tests below follow from it.
async fn plan(app: &TestApp) -> Plan {
    let region = app.unit("Region", None).await;
    let hospital = app.unit("Sjukhus", Some(&region)).await;
    let avd5 = app.unit("Avd 5", Some(&hospital)).await;
    let avd9 = app.unit("Avd 9", Some(&region)).await;
    let nurse = app.role("Sjuksköterska").await;
    let aide = app.role("Undersköterska").await;
    let doctor = app.role("Läkare").await;
    let profile = |name: &str,
                   kind: &str,
                   price: &str,
                   setup: &str,
                   sub: &str,
                   support: &str,
                   months: i32| {
        json!({"name": name, "device_kind": kind, "device_price": price, "setup_cost": setup,
            "monthly_subscription_cost": sub, "monthly_support_cost": support, "lifetime_months": months})
    };
    let phone = app
        .post(
            "/api/v1/device-profiles",
            &app.admin,
            profile(
                "iPhone", "phone", "6000.00", "500.00", "149.00", "35.00", 36,
            ),
        )
        .await
        .expect(201)
        .id();
    let tablet = app
        .post(
            "/api/v1/device-profiles",
            &app.admin,
            profile("iPad", "tablet", "4000,00", "300", "0", "20.00", 48),
        )
        .await
        .expect(201)
        .id();
    let odd = app
        .post(
            "/api/v1/device-profiles",
            &app.admin,
            profile("Jourtelefon", "phone", "100.01", "0", "0", "0", 7),
        )
        .await
        .expect(201)
        .id();
    for rule in [
        json!({"role_id": nurse, "profile_id": phone, "wave": 1}),
        json!({"role_id": nurse, "unit_id": avd5, "profile_id": tablet, "wave": 2}),
        json!({"role_id": aide, "profile_id": null, "wave": 1}),
        json!({"role_id": doctor, "unit_id": hospital, "profile_id": odd, "wave": 2}),
    ] {
        app.post("/api/v1/rollout-rules", &app.admin, rule)
            .await
            .expect(201);
    }
    let n1 = app.employee("n1@r.se", &avd9, &nurse).await;
    let n2 = app.employee("n2@r.se", &avd9, &nurse).await;
    app.employee("a1@r.se", &avd9, &aide).await;
    let n3 = app.employee("n3@r.se", &avd5, &nurse).await;
    let n4 = app.employee("n4@r.se", &avd5, &nurse).await;
    app.employee("a2@r.se", &avd5, &aide).await;
    app.employee("d1@r.se", &avd5, &doctor).await;
    app.employee("d2@r.se", &hospital, &doctor).await;
    app.employee("n5@r.se", &region, &nurse).await;
    let gone = app.employee("gone@r.se", &avd9, &nurse).await;
    app.patch(
        &format!("/api/v1/employees/{gone}"),
        &app.admin,
        json!({"employment_type": "hired", "employment_ends_on": "2020-06-30"}),
    )
    .await
    .expect(200);

    let assign = |serial: &'static str, extra: Value, who: String| {
        let app = &app;
        async move {
            let id = app.device(serial, extra).await.expect(201).id();
            app.post(
                &format!("/api/v1/devices/{id}/assign"),
                &app.admin,
                json!({"employee_id": who}),
            )
            .await
            .expect(200);
        }
    };
    assign("EQ-1", json!({}), n1).await; // n1 is equipped
    assign("PRIV-1", json!({"ownership": "private"}), n2).await; // a private phone does not count
    assign("EQ-3", json!({"kind": "tablet"}), n3).await; // n3 has the tablet the plan gives
    assign("WRONG-4", json!({}), n4).await; // a phone, where the plan gives a tablet
    app.device("STOCK-P", json!({"unit_id": region}))
        .await
        .expect(201);
    for serial in ["STOCK-T1", "STOCK-T2"] {
        app.device(serial, json!({"kind": "tablet"}))
            .await
            .expect(201);
    }
    let repair = app.device("REPAIR-P", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{repair}/send-to-repair"),
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);
    let retired = app.device("RETIRED-P", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{retired}/retire"),
        &app.admin,
        json!({"reason": "broken"}),
    )
    .await
    .expect(200);
    Plan {
        region,
        avd5,
        nurse,
        phone_profile: phone,
    }
}

fn summary(report: &Value) -> Vec<String> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "w{} {} / {} / {}: {} {} {} {} {}",
                r["wave"],
                r["unit_name"].as_str().unwrap(),
                r["role_name"].as_str().unwrap(),
                r["profile_name"].as_str().unwrap(),
                r["headcount"],
                r["equipped"],
                r["to_equip"],
                r["introduction_cost"].as_str().unwrap(),
                r["annual_operating_cost"].as_str().unwrap()
            )
        })
        .collect()
}

async fn the_rollout_report_follows_the_most_specific_rule_and_costs_it(app: TestApp) {
    let plan = plan(&app).await;
    let report = app
        .get("/api/v1/reports/rollout", &app.admin)
        .await
        .expect(200)
        .json;
    // annual = headcount x (12 x (sub + support) + price x 12 / lifetime), to whole öre:
    // Avd 9 nurses 2 x (12 x 184 + 2000) = 8416; Avd 5 nurses 2 x (12 x 20 + 1000) = 2480;
    // a doctor 100.01 x 12 / 7 = 171.4457 -> 171.45.
    assert_eq!(
        summary(&report),
        vec![
            "w1 Avd 9 / Sjuksköterska / iPhone: 2 1 1 6500.00 8416.00",
            "w1 Region / Sjuksköterska / iPhone: 1 0 1 6500.00 4208.00",
            "w2 Avd 5 / Läkare / Jourtelefon: 1 0 1 100.01 171.45",
            "w2 Avd 5 / Sjuksköterska / iPad: 2 1 1 4300.00 2480.00",
            "w2 Sjukhus / Läkare / Jourtelefon: 1 0 1 100.01 171.45",
        ]
    );
    // Stock: one phone in stock (not the one in repair, not the retired one) goes to the
    // first phone row at 6,000; one of two tablets to the iPad row at 4,000.
    assert_eq!(
        report["totals"],
        json!({"headcount": 7, "to_equip": 5, "stock_reused": 2, "to_purchase": 3,
            "introduction_cost": "7500.02", "annual_operating_cost": "15446.90"})
    );

    let wave1 = app
        .get("/api/v1/reports/rollout?wave=1", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(
        summary(&wave1).len(),
        2,
        "Avd 5's nurses wait for their own rule's wave"
    );
    assert_eq!(
        wave1["totals"],
        json!({"headcount": 3, "to_equip": 2, "stock_reused": 1, "to_purchase": 1,
            "introduction_cost": "7000.00", "annual_operating_cost": "12624.00"})
    );
    let compare = app
        .get("/api/v1/reports/rollout/compare?a=1&b=2", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(
        compare["added"],
        json!({"headcount": 4, "to_equip": 3, "to_purchase": 2,
            "introduction_cost": "500.02", "annual_operating_cost": "2822.90"})
    );
    let added: Vec<bool> = compare["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["in_a"].as_bool().unwrap())
        .collect();
    assert_eq!(added, vec![true, true, false, false, false]);

    // The exports read back to the same figures.
    let csv = app
        .get("/api/v1/reports/rollout?format=csv", &app.admin)
        .await
        .expect(200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.text.starts_with('\u{feff}'), "a BOM for Excel");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv.text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&records[0][col("unit_name")], "Avd 9");
    assert_eq!(&records[0][col("annual_operating_cost")], "8416,00");
    assert_eq!(&records[2][col("introduction_cost")], "100,01");
    let total = records.last().unwrap();
    assert_eq!(&total[col("introduction_cost")], "7500,02");
    assert_eq!(&total[col("annual_operating_cost")], "15446,90");

    let xlsx = app
        .client
        .get(format!("{}/api/v1/reports/rollout?format=xlsx", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range("Utrullning").unwrap();
    let cell = |r: u32, name: &str| sheet.get_value((r, col(name) as u32)).cloned();
    assert_eq!(cell(0, "unit_name"), Some(Data::String("unit_name".into())));
    assert_eq!(cell(1, "unit_name"), Some(Data::String("Avd 9".into())));
    assert_eq!(cell(1, "headcount"), Some(Data::Float(2.0)));
    assert_eq!(cell(1, "annual_operating_cost"), Some(Data::Float(8416.0)));
    assert_eq!(cell(3, "introduction_cost"), Some(Data::Float(100.01)));
    assert_eq!(cell(6, "introduction_cost"), Some(Data::Float(7500.02)));

    // A manager of Avd 5 sees Avd 5 (and draws on no stock outside it).
    let manager = app
        .token(json!({"name": "chef", "role": "manager", "unit_ids": [plan.avd5]}))
        .await;
    let theirs = app
        .get("/api/v1/reports/rollout", &manager)
        .await
        .expect(200)
        .json;
    assert_eq!(
        summary(&theirs),
        vec![
            "w2 Avd 5 / Läkare / Jourtelefon: 1 0 1 100.01 171.45",
            "w2 Avd 5 / Sjuksköterska / iPad: 2 1 1 4300.00 2480.00",
        ]
    );
    assert_eq!(theirs["totals"]["stock_reused"], 0);
    let employee = app
        .token(json!({"name": "e", "role": "employee", "employee_id": app.employee("e@r.se", &plan.region, &plan.nurse).await}))
        .await;
    app.get("/api/v1/reports/rollout", &employee)
        .await
        .expect(403);
}
both_stores!(the_rollout_report_follows_the_most_specific_rule_and_costs_it);

async fn profiles_and_rules_refuse_conflicts_and_bad_figures(app: TestApp) {
    let plan = plan(&app).await;
    // The same (role, unit) twice, tenant-wide included: 409.
    app.post(
        "/api/v1/rollout-rules",
        &app.admin,
        json!({"role_id": plan.nurse, "profile_id": plan.phone_profile, "wave": 3}),
    )
    .await
    .expect(409);
    app.post(
        "/api/v1/rollout-rules",
        &app.admin,
        json!({"role_id": plan.nurse, "unit_id": plan.avd5, "wave": 3}),
    )
    .await
    .expect(409);
    // A profile in use is not deleted.
    let path = format!("/api/v1/device-profiles/{}", plan.phone_profile);
    app.call(Method::DELETE, &path, Some(&app.admin), None)
        .await
        .expect(409);
    let bad = app
        .post(
            "/api/v1/device-profiles",
            &app.admin,
            json!({"name": " ", "device_kind": "phone", "device_price": "-1", "setup_cost": "0",
                "monthly_subscription_cost": "1.234", "monthly_support_cost": "0", "lifetime_months": 0}),
        )
        .await
        .expect(422);
    assert!(
        bad.error_fields()
            .contains(&"monthly_subscription_cost".to_owned()),
        "{}",
        bad.text
    );
    let bad = app
        .post(
            "/api/v1/device-profiles",
            &app.admin,
            json!({"name": " ", "device_kind": "phone", "device_price": "-1", "setup_cost": "0",
                "monthly_subscription_cost": "1", "monthly_support_cost": "0", "lifetime_months": 0}),
        )
        .await
        .expect(422);
    assert_eq!(
        bad.error_fields(),
        vec!["name", "device_price", "lifetime_months"]
    );
    let rules = app
        .get("/api/v1/rollout-rules", &app.admin)
        .await
        .expect(200)
        .json;
    let using: Vec<String> = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["profile_id"] == plan.phone_profile.as_str())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(using.len(), 1);
    // Moved to wave 3, the nurses' phones drop out of the wave-2 plan.
    app.patch(
        &format!("/api/v1/rollout-rules/{}", using[0]),
        &app.admin,
        json!({"wave": 3}),
    )
    .await
    .expect(200);
    let wave2 = app
        .get("/api/v1/reports/rollout?wave=2", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(wave2["totals"]["headcount"], 4);
    app.call(
        Method::DELETE,
        &format!("/api/v1/rollout-rules/{}", using[0]),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    app.call(Method::DELETE, &path, Some(&app.admin), None)
        .await
        .expect(204);
    // Another tenant sees none of it.
    let (_, other) = app.other_tenant().await;
    let theirs = app
        .get("/api/v1/reports/rollout", &other)
        .await
        .expect(200)
        .json;
    assert_eq!(theirs["rows"], json!([]));
    app.get(&path, &other).await.expect(404);
}
both_stores!(profiles_and_rules_refuse_conflicts_and_bad_figures);
