use serde_json::json;

use crate::helpers::{TestApp, both_stores, iccid, imei, mobile};

async fn a_file_with_bad_rows_imports_nothing_and_names_every_bad_line(app: TestApp) {
    let csv = format!(
        "kind,manufacturer,model,serial_number,imei,ownership,purchase_price\n\
         phone,Apple,iPhone 15,SN-1,{},organization,4995.00\n\
         phone,Apple,iPhone 15,SN-2,490154203237519,organization,4995.00\n\
         fax,Apple,iPhone 15,SN-3,,organization,\n\
         phone,Apple,iPhone 15,SN-1,,organization,1.234\n\
         tablet,Samsung,Tab S9,SN-5,,private,\n",
        imei(1)
    );
    let answer = app
        .post_csv("/api/v1/import/devices", &app.admin, csv)
        .await
        .expect(422);
    assert_eq!(answer.content_type, "application/problem+json");
    let errors = answer.line_errors();
    for expected in ["3:imei", "4:kind", "5:purchase_price"] {
        assert!(errors.iter().any(|e| e == expected), "{errors:?}");
    }
    assert!(
        !errors
            .iter()
            .any(|e| e.starts_with("2:") || e.starts_with("6:")),
        "{errors:?}"
    );
    assert_eq!(app.count("devices").await, 0);

    // A duplicate within the file and one already stored are both named.
    app.device("SN-9", json!({})).await.expect(201);
    let csv = "kind,manufacturer,model,serial_number,ownership\nphone,A,B,SN-7,organization\nphone,A,B,SN-7,organization\nphone,A,B,SN-9,organization\n";
    let answer = app
        .post_csv("/api/v1/import/devices", &app.admin, csv)
        .await
        .expect(422);
    assert_eq!(answer.line_errors(), ["3:serial_number", "4:serial_number"]);
    assert_eq!(app.count("devices").await, 1);

    // Unknown and missing columns are header (line 1) errors.
    let answer = app
        .post_csv(
            "/api/v1/import/devices",
            &app.admin,
            "kind,manufacturer,model,serial,ownership\n",
        )
        .await
        .expect(422);
    assert_eq!(answer.line_errors(), ["1:serial", "1:serial_number"]);
}
both_stores!(a_file_with_bad_rows_imports_nothing_and_names_every_bad_line);

async fn swedish_excel_files_import_and_dry_runs_write_nothing(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let csv = format!(
        "\u{feff}kind;manufacturer;model;serial_number;imei;ownership;status;unit_id;purchase_price;purchased_on\r\n\
         phone;Apple;iPhone 15;SN-1;{};organization;in_stock;{unit};4 995,50;2026-01-15\r\n\
         tablet;Samsung;\"Tab; S9\";SN-2;;organization;ordered;;;\r\n\
         ;;;;;;;;;\r\n",
        imei(1)
    );
    let dry = app
        .post_csv(
            "/api/v1/import/devices?dry_run=true",
            &app.admin,
            csv.clone(),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(dry, json!({"created": 0, "valid_rows": 2, "dry_run": true}));
    assert_eq!(app.count("devices").await, 0);
    let done = app
        .post_csv("/api/v1/import/devices", &app.admin, csv)
        .await
        .expect(200)
        .json;
    assert_eq!(done["created"], 2);
    let list = app
        .get("/api/v1/devices?q=SN-1", &app.admin)
        .await
        .expect(200)
        .json;
    let device = &list["items"][0];
    assert_eq!(device["purchase_price"], "4995.50");
    assert_eq!(device["unit_id"], unit.as_str());
    let list = app
        .get("/api/v1/devices?status=ordered", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(list["items"][0]["model"], "Tab; S9");
    // Each imported row starts its history with the import.
    let id = device["id"].as_str().unwrap();
    let history = app
        .get(&format!("/api/v1/devices/{id}/history"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(history["items"][0]["action"], "import");

    // Not UTF-8 (Windows-1252 "å") is refused plainly.
    let latin1 =
        b"kind,manufacturer,model,serial_number,ownership\nphone,\xe5,B,SN-3,organization\n"
            .to_vec();
    app.post_csv("/api/v1/import/devices", &app.admin, latin1)
        .await
        .expect(400);
}
both_stores!(swedish_excel_files_import_and_dry_runs_write_nothing);

async fn employees_and_subscriptions_import_too(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let role = app.role("Undersköterska").await;
    let csv = format!(
        "name,email,unit_id,role_id,employment_type,employment_ends_on,external_id\n\
         Anna,anna@region.se,{unit},{role},permanent,,HR-1\n\
         Bo,bo@region.se,{unit},{role},hired,,HR-2\n\
         Cia,cia@region.se,{unit},{role},temporary,2027-06-30,HR-1\n"
    );
    let answer = app
        .post_csv("/api/v1/import/employees", &app.admin, csv)
        .await
        .expect(422);
    assert_eq!(
        answer.line_errors(),
        ["3:employment_ends_on", "4:external_id"]
    );
    let csv = format!(
        "name,email,unit_id,role_id,employment_type,employment_ends_on,external_id\n\
         Anna,anna@region.se,{unit},{role},permanent,,HR-1\n\
         Bo,bo@region.se,{unit},{role},hired,2027-01-31,HR-2\n"
    );
    assert_eq!(
        app.post_csv("/api/v1/import/employees", &app.admin, csv)
            .await
            .expect(200)
            .json["created"],
        2
    );

    let csv = format!(
        "msisdn;iccid;extension;operator;plan;monthly_cost;status\n\
         {};{};4501;Telia;Jobbmobil;149,00;active\n\
         070-123 45 67;;;Tele2;Bas;99;ordered\n\
         +46701234567;;;Tele2;Bas;99;\n",
        mobile(1),
        iccid(1)
    );
    let answer = app
        .post_csv("/api/v1/import/subscriptions", &app.admin, csv)
        .await
        .expect(422);
    assert_eq!(
        answer.json["errors"][0]["line"], 4,
        "the same number written two ways: {}",
        answer.text
    );
    let csv = format!(
        "msisdn;operator;plan;monthly_cost\n{};Telia;Jobbmobil;149,00\n",
        mobile(1)
    );
    assert_eq!(
        app.post_csv("/api/v1/import/subscriptions", &app.admin, csv)
            .await
            .expect(200)
            .json["created"],
        1
    );
}
both_stores!(employees_and_subscriptions_import_too);

async fn exported_devices_import_again_unchanged(app: TestApp) {
    for n in 0..120u64 {
        let extra = if n % 2 == 0 {
            json!({"imei": imei(n), "purchase_price": format!("{}.{:02}", 1000 + n, n % 100), "purchased_on": "2026-02-01"})
        } else {
            json!({"kind": "tablet", "status": "ordered", "ownership": "private"})
        };
        app.device(&format!("SN-{n:04}"), extra).await.expect(201);
    }
    let export = app
        .get("/api/v1/devices?format=csv", &app.admin)
        .await
        .expect(200);
    assert!(export.content_type.starts_with("text/csv"));
    let csv = export.text;
    assert_eq!(
        csv.lines().count(),
        121,
        "a header and every device (more than one export page)"
    );

    let (_, other) = app.other_tenant().await;
    app.post_csv("/api/v1/import/devices", &other, csv.clone())
        .await
        .expect(200);
    let again = app
        .get("/api/v1/devices?format=csv", &other)
        .await
        .expect(200)
        .text;
    let facts = |text: &str| -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().take(11).map(str::to_owned).collect())
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(facts(&csv), facts(&again));
}
both_stores!(exported_devices_import_again_unchanged);

/// The file: a header and three rows, the 4th line's IMEI failing its check
/// digit. Whatever Excel or an editor saved it with — LF or CRLF, BOM or none, comma
/// or semicolon — the answer names line 4, the line the spreadsheet shows; so does the
/// shift import, for its 3rd line.
async fn imports_name_the_line_a_spreadsheet_shows_whatever_the_line_endings(app: TestApp) {
    let rows = [
        "kind,manufacturer,model,serial_number,imei,ownership".to_owned(),
        format!("phone,Apple,iPhone 15,SN-1,{},organization", imei(1)),
        format!("phone,Apple,iPhone 15,SN-2,{},organization", imei(2)),
        "phone,Apple,iPhone 15,SN-3,490154203237519,organization".to_owned(),
    ];
    for ending in ["\n", "\r\n"] {
        for bom in ["", "\u{feff}"] {
            for separator in [",", ";"] {
                let file = format!("{bom}{}{ending}", rows.join(ending)).replace(',', separator);
                let answer = app
                    .post_csv("/api/v1/import/devices?dry_run=true", &app.admin, file)
                    .await
                    .expect(422);
                assert_eq!(
                    answer.line_errors(),
                    ["4:imei"],
                    "{ending:?} {bom:?} {separator}"
                );
            }
        }
    }
    let shifts = "employee,starts_at,ends_at\r\nnobody@region.se,2026-03-02T07:00:00+01:00,2026-03-02T15:00:00+01:00\r\nnobody@region.se,2026-03-02T07:00:00+01:00,not a time\r\n";
    let answer = app
        .post_csv("/api/v1/import/shifts?dry_run=true", &app.admin, shifts)
        .await;
    let lines: Vec<u64> = answer.json["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 3], "{}", answer.text);
    assert_eq!(app.count("devices").await, 0);
}
both_stores!(imports_name_the_line_a_spreadsheet_shows_whatever_the_line_endings);
