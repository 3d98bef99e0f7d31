//! An IT admin's day with devices in the console: a device page with everything known
//! about it and its facts editable, repairs with their details, people picked by name,
//! e-mail or employee number, devices handed out from a person's page, and search that
//! takes an IMEI as it is printed and opens a single hit; the organisation as a tree in
//! natural order.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    console::Browser,
    helpers::{TestApp, both_stores, imei},
};

async fn person(
    app: &TestApp,
    name: &str,
    email: &str,
    number: &str,
    unit: &str,
    role: &str,
) -> String {
    app.post(
        "/api/v1/employees",
        &app.admin,
        json!({"name": name, "email": email, "external_id": number, "unit_id": unit,
            "role_id": role, "employment_type": "permanent"}),
    )
    .await
    .expect(201)
    .id()
}

/// The device page shows the number in it and the agreement it was bought under; the
/// facts can be corrected there (a bad IMEI refused, nothing changed); a repair keeps
/// what is wrong, the repairer and their case number.
async fn a_device_page_shows_and_corrects_its_facts_and_repairs(app: TestApp) {
    let agreement = app
        .post(
            "/api/v1/contracts",
            &app.admin,
            json!({"supplier": "Atea", "kind": "devices", "reference": "RA-2025-7",
                "starts_on": "2025-01-01", "ends_on": "2027-06-30", "notice_period_days": 90}),
        )
        .await
        .expect(201)
        .id();
    let device = app
        .device(
            "SER-F1",
            json!({"imei": imei(41), "purchase_price": "4995.00", "purchased_on": "2025-03-01",
                "warranty_ends_on": "2027-03-01", "contract_id": agreement}),
        )
        .await
        .expect(201)
        .id();
    let sub = app
        .subscription("070-555 12 34", json!({}))
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/subscriptions/{sub}/assign"),
        &app.admin,
        json!({"device_id": device}),
    )
    .await
    .expect(200);
    let browser = Browser::signed_in(&app, &app.admin).await;
    let page = browser.get(&format!("/console/devices/{device}")).await;
    assert!(
        page.html
            .contains(&format!("/console/subscriptions/{sub}\">+46705551234")),
        "{}",
        page.html
    );
    assert!(page.html.contains("Atea (RA-2025-7)"), "{}", page.html);
    assert!(page.html.contains("2027-03-01"));
    let csrf = page.csrf();

    let facts = |model: &'static str, imei_typed: String, warranty: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("manufacturer", "Apple".to_owned()),
            ("model", model.to_owned()),
            ("serial_number", "SER-F1".to_owned()),
            ("imei", imei_typed),
            ("ownership", "organization".to_owned()),
            ("purchased_on", "2025-03-01".to_owned()),
            ("purchase_price", "5 495,50".to_owned()),
            ("warranty_ends_on", warranty.to_owned()),
            ("contract_id", agreement.clone()),
        ]
    };
    let post = async |fields: Vec<(&'static str, String)>| {
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser
            .post(&format!("/console/devices/{device}/facts"), &form)
            .await
    };
    let refused = post(facts("iPhone 16", "12345".to_owned(), "")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.device_json(&device).await["model"], "iPhone 15");
    // The device's page again, the refusal above the form (linked to its field, in
    // Swedish) and the form open with everything as it was typed.
    let html = &refused.html;
    assert!(
        html.contains("<details id=\"device-facts\" open>"),
        "{html}"
    );
    assert!(html.contains("<a href=\"#f-imei\">IMEI</a>"), "{html}");
    assert!(
        html.contains("value=\"12345\""),
        "the IMEI as typed: {html}"
    );
    assert!(html.contains("value=\"iPhone 16\""), "the model as typed");
    assert!(html.contains("value=\"5 495,50\""), "the price as typed");
    assert!(html.contains("id=\"f-imei\" name=\"imei\" value=\"12345\" inputmode=\"numeric\" maxlength=\"20\" aria-invalid=\"true\""), "{html}");
    let saved = post(facts("iPhone 16", imei(42), "")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let after = app.device_json(&device).await;
    assert_eq!(after["model"], "iPhone 16");
    assert_eq!(after["imei"], imei(42));
    assert_eq!(after["purchase_price"], "5495.50");
    assert_eq!(
        after["warranty_ends_on"],
        Value::Null,
        "an emptied field clears it"
    );
    assert_eq!(after["contract_id"], agreement.as_str());

    let repair = browser
        .post(
            &format!("/console/devices/{device}/send-to-repair"),
            &[
                ("csrf", &csrf),
                ("repair_reason", "Spricka i skärmen"),
                ("repair_vendor", "Atea Service"),
                ("repair_ticket", " RMA-20931 "),
            ],
        )
        .await;
    assert_eq!(repair.status, StatusCode::SEE_OTHER);
    let in_repair = app.device_json(&device).await;
    assert_eq!(in_repair["status"], "in_repair");
    assert_eq!(
        in_repair["repair"],
        json!({"reason": "Spricka i skärmen", "vendor": "Atea Service", "ticket": "RMA-20931"})
    );
    let shown = browser
        .get(&format!("/console/devices/{device}"))
        .await
        .html;
    assert!(
        shown.contains("RMA-20931") && shown.contains("Atea Service"),
        "{shown}"
    );
}
both_stores!(a_device_page_shows_and_corrects_its_facts_and_repairs);

/// `send-to-repair` takes the details as an optional body; a new repair without them
/// forgets the last one's; a detail too long is refused and changes nothing.
async fn repairs_carry_their_details_through_the_api(app: TestApp) {
    let device = app.device("SER-R1", json!({})).await.expect(201).id();
    let sent = app
        .post(
            &format!("/api/v1/devices/{device}/send-to-repair"),
            &app.admin,
            json!({"reason": "Batteriet sväller", "ticket": "T-1"}),
        )
        .await
        .expect(200);
    assert_eq!(
        sent.json["repair"],
        json!({"reason": "Batteriet sväller", "vendor": null, "ticket": "T-1"})
    );
    app.post(
        &format!("/api/v1/devices/{device}/return-from-repair"),
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);
    let back = app.device_json(&device).await;
    assert_eq!(back["repair"]["ticket"], "T-1", "kept as the last repair");
    let too_long = app
        .post(
            &format!("/api/v1/devices/{device}/send-to-repair"),
            &app.admin,
            json!({"vendor": "x".repeat(201)}),
        )
        .await
        .expect(422);
    assert_eq!(too_long.error_fields(), ["vendor"]);
    assert_eq!(app.device_json(&device).await["status"], "in_stock");
    // No body at all: the old API call, still taken; the last repair's details go.
    let bare = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/devices/{device}/send-to-repair"),
            Some(&app.admin),
            None,
        )
        .await
        .expect(200);
    assert_eq!(bare.json["repair"], Value::Null);
}
both_stores!(repairs_carry_their_details_through_the_api);

/// Assigning picks a person by employee number, e-mail or a name only one person has
/// (a name two people share is refused, nothing assigned); the picker suggests people
/// as one types; a person's page hands out a device by its IMEI typed in groups; the
/// search opens a device found by such an IMEI, and finds devices by their holder.
async fn people_and_devices_are_found_as_people_type_them(app: TestApp) {
    let unit = app.unit("Avd 12", None).await;
    let role = app.role("Sjuksköterska").await;
    let berg = person(
        &app,
        "Anna Berg",
        "anna.berg@region.se",
        "E1001",
        &unit,
        &role,
    )
    .await;
    let lind = person(
        &app,
        "Anna Lind",
        "anna.lind@region.se",
        "E1002",
        &unit,
        &role,
    )
    .await;
    let ek = person(&app, "Bo Ek", "bo.ek@region.se", "E1003", &unit, &role).await;
    let first = app.device("SER-P1", json!({})).await.expect(201).id();
    let second = app
        .device("SER-P2", json!({"imei": imei(77)}))
        .await
        .expect(201)
        .id();
    let browser = Browser::signed_in(&app, &app.admin).await;
    let csrf = browser
        .get(&format!("/console/devices/{first}"))
        .await
        .csrf();
    let assign = async |who: &str| {
        browser
            .post(
                &format!("/console/devices/{first}/assign"),
                &[("csrf", csrf.as_str()), ("employee", who)],
            )
            .await
    };
    let holder = async || app.device_json(&first).await["assigned_to"]["employee_id"].clone();

    let shared = assign("anna").await;
    assert_eq!(shared.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        shared.html.contains("flera personer matchar"),
        "{}",
        shared.html
    );
    assert_eq!(holder().await, Value::Null);
    assert_eq!(assign("E1001").await.status, StatusCode::SEE_OTHER);
    assert_eq!(holder().await, berg.as_str());
    app.post(
        &format!("/api/v1/devices/{first}/unassign"),
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(assign("  lind ").await.status, StatusCode::SEE_OTHER);
    assert_eq!(holder().await, lind.as_str());

    let suggested = browser.get("/console/people/suggest?q=ANN").await;
    let people: Value = serde_json::from_str(&suggested.html).unwrap();
    let values: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["anna.berg@region.se", "anna.lind@region.se"]);
    assert!(people[0]["label"].as_str().unwrap().contains("Avd 12"));

    let typed = imei(77);
    let grouped = format!(
        "{} {} {} {}",
        &typed[..2],
        &typed[2..8],
        &typed[8..14],
        &typed[14..]
    );
    let page = browser.get(&format!("/console/employees/{ek}")).await;
    let handed = browser
        .post(
            &format!("/console/employees/{ek}/hand-out"),
            &[("csrf", page.csrf().as_str()), ("device", grouped.as_str())],
        )
        .await;
    assert_eq!(handed.status, StatusCode::SEE_OTHER, "{}", handed.html);
    assert_eq!(
        app.device_json(&second).await["assigned_to"]["employee_id"],
        ek.as_str()
    );
    let unknown = browser
        .post(
            &format!("/console/employees/{ek}/hand-out"),
            &[("csrf", page.csrf().as_str()), ("device", "SER-NOPE")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let query = serde_urlencoded::to_string([("q", grouped.as_str())]).unwrap();
    let hit = browser.get(&format!("/console/search?{query}")).await;
    assert_eq!(hit.location, Some(format!("/console/devices/{second}")));
    let held = browser.get("/console/devices?q=Bo+Ek").await.html;
    assert!(held.contains(">SER-P2</a>"), "{held}");
    assert!(!held.contains(">SER-P1</a>"), "{held}");
}
both_stores!(people_and_devices_are_found_as_people_type_them);

/// The units page is the organisation's tree: each unit under the one it belongs to,
/// siblings in the order a Swedish reader expects (numbers by value, Å Ä Ö last), and
/// the unit pickers in the same order.
async fn units_are_a_naturally_sorted_tree(app: TestApp) {
    let two = app.unit("Avd 2", None).await;
    app.unit("Avd 10", None).await;
    app.unit("Östra", None).await;
    app.unit("Åsen", None).await;
    app.unit("Avd 2 natt", Some(&two)).await;
    app.unit("Avd 2 dag", Some(&two)).await;
    let browser = Browser::signed_in(&app, &app.admin).await;
    let page = browser.get("/console/units").await.html;
    let at = |name: &str| {
        page.find(&format!(">{name}<"))
            .unwrap_or_else(|| panic!("{name} listed: {page}"))
    };
    let order = [
        "Avd 2",
        "\u{2003}Avd 2 dag",
        "\u{2003}Avd 2 natt",
        "Avd 10",
        "Åsen",
        "Östra",
    ];
    let places: Vec<usize> = order.iter().map(|name| at(name)).collect();
    assert!(places.is_sorted(), "{order:?} at {places:?}: {page}");
    let form = browser.get("/console/employees/new").await.html;
    let option = |name: &str| form.find(&format!(">{name}</option>")).unwrap();
    assert!(option("Avd 2") < option("Avd 10") && option("Åsen") < option("Östra"));
}
both_stores!(units_are_a_naturally_sorted_tree);

/// The address of a page's link marked `rel`, as the browser would follow it.
fn link(html: &str, rel: &str) -> String {
    html.split(&format!("rel=\"{rel}\""))
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|href| href.trim_end_matches("\" ").replace("&#38;", "&"))
        .unwrap()
}

/// A list says how many rows it has in all, and pages both ways: on to the next page and
/// back to the one before, with the view (filters, columns) kept.
async fn lists_count_their_rows_and_page_back(app: TestApp) {
    for n in 0..55 {
        app.device(&format!("PG-{n:03}"), json!({}))
            .await
            .expect(201);
    }
    app.device("OTHER-1", json!({})).await.expect(201);
    let browser = Browser::signed_in(&app, &app.admin).await;
    let first = browser
        .get("/console/devices?q=PG-&cols=serial_number")
        .await
        .html;
    assert!(
        first.contains("id=\"list-total\">55 rader i listan<"),
        "{first}"
    );
    let rows = |html: &str| html.matches("<th scope=\"row\">").count();
    assert_eq!(rows(&first), 50);
    assert!(!first.contains("rel=\"prev\""));
    let next = link(&first, "next");
    assert!(next.contains("q=PG-") && next.contains("back=-"), "{next}");
    let second = browser.get(&next).await.html;
    assert_eq!(rows(&second), 5);
    assert!(second.contains("Sida 2"), "{second}");
    assert!(!second.contains("rel=\"next\""));
    let previous = link(&second, "prev");
    let back = browser.get(&previous).await.html;
    assert_eq!(rows(&back), 50);
    assert!(back.contains("id=\"list-total\">55 rader i listan<"));
    // The same first page: its rows are the ones the list opened with.
    assert_eq!(
        first.split("<tbody>").nth(1),
        back.split("<tbody>").nth(1),
        "back on the first page"
    );
}
both_stores!(lists_count_their_rows_and_page_back);

/// The first cell of each row of a list page, in order.
fn first_cells(html: &str) -> Vec<String> {
    html.split("<th scope=\"row\"><a href=\"")
        .skip(1)
        .map(|row| {
            let text = row.split_once("\">").unwrap().1;
            text.split_once("</a>").unwrap().0.to_owned()
        })
        .collect()
}

/// Every row of a list, following its "next" links from `path`.
async fn every_row(browser: &Browser, path: &str) -> Vec<String> {
    let mut page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let mut rows = first_cells(&page.html);
    while page.html.contains("rel=\"next\"") {
        assert!(rows.len() < 1000, "a list that never ends: {path}");
        page = browser.get(&link(&page.html, "next")).await;
        rows.extend(first_cells(&page.html));
    }
    rows
}

/// A heading sorts the whole list by its column, not just the page shown: pages go on in
/// that order without losing or repeating a row where many share a value; a second click
/// turns the order round; the export follows it; a column the list cannot sort by is
/// refused. People are listed by name unless asked otherwise.
async fn lists_sort_by_a_column_across_pages(app: TestApp) {
    // Serial numbers created out of order, three models shared by many devices.
    let mut expected = Vec::new();
    for n in 0..56 {
        let serial = format!("SO-{:03}", (n * 37) % 56);
        let model = ["Galaxy", "iPhone 15", "Pixel"][n % 3];
        app.device(&serial, json!({"model": model}))
            .await
            .expect(201);
        expected.push((model, serial));
    }
    let browser = Browser::signed_in(&app, &app.admin).await;
    let base = "/console/devices?q=SO-&cols=serial_number&cols=model";
    let mut serials: Vec<String> = expected.iter().map(|(_, s)| s.clone()).collect();
    serials.sort();
    let first = browser
        .get(&format!("{base}&sort=serial_number"))
        .await
        .html;
    assert_eq!(first_cells(&first), serials[..50], "the first page of all");
    assert!(first.contains("aria-sort=\"ascending\""), "{first}");
    // The heading now turns the order round; the other heading sorts by itself.
    assert!(first.contains("sort=-serial_number\""), "{first}");
    assert!(first.contains("&#38;sort=model\""), "{first}");
    assert_eq!(
        every_row(&browser, &format!("{base}&sort=serial_number")).await,
        serials
    );
    let mut backwards = serials.clone();
    backwards.reverse();
    assert_eq!(
        every_row(&browser, &format!("{base}&sort=-serial_number")).await,
        backwards
    );
    // By model: each device once, in model order (the API's manufacturer is the same).
    let by_model = every_row(&browser, &format!("{base}&sort=model")).await;
    assert_eq!(by_model.len(), 56);
    let unique: std::collections::HashSet<&String> = by_model.iter().collect();
    assert_eq!(unique.len(), 56, "no row twice across pages");
    let model_of = |serial: &String| expected.iter().find(|(_, s)| s == serial).unwrap().0;
    let models: Vec<&str> = by_model.iter().map(model_of).collect();
    let mut in_order = models.clone();
    in_order.sort_unstable();
    assert_eq!(models, in_order);
    // The export is the list as sorted.
    let (_, csv) = browser
        .download("/console/devices/export?q=SO-&cols=serial_number&sort=-serial_number&format=csv")
        .await;
    let csv = String::from_utf8(csv).unwrap();
    let exported: Vec<&str> = csv.lines().skip(1).map(str::trim).collect();
    assert_eq!(exported, backwards);
    let refused = browser.get("/console/devices?sort=imei").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Subscriptions by number, people by name (their default) and the other way round.
    for number in ["+46701000003", "+46701000001", "+46701000002"] {
        app.subscription(number, json!({})).await.expect(201);
    }
    let numbers = every_row(&browser, "/console/subscriptions?sort=-msisdn").await;
    assert_eq!(numbers, ["+46701000003", "+46701000002", "+46701000001"]);
    let unit = app.unit("Avd 4", None).await;
    let role = app.role("Sjuksköterska").await;
    for (name, email) in [
        ("Cecilia Berg", "c@x.se"),
        ("Anna Lind", "b@x.se"),
        ("Bo Ek", "a@x.se"),
    ] {
        person(&app, name, email, email, &unit, &role).await;
    }
    let people = browser.get("/console/employees").await.html;
    assert_eq!(first_cells(&people), ["Anna Lind", "Bo Ek", "Cecilia Berg"]);
    assert!(people.contains("aria-sort=\"ascending\""), "{people}");
    let by_email = browser.get("/console/employees?sort=-email").await.html;
    assert_eq!(
        first_cells(&by_email),
        ["Cecilia Berg", "Anna Lind", "Bo Ek"]
    );
}
both_stores!(lists_sort_by_a_column_across_pages);

/// HR's spreadsheet names units and roles as people know them: the console offers a
/// template to fill in (every column, an example naming one of the organisation's
/// units and roles), which imports as it is; a unit is found by name or cost centre,
/// a name two units share is refused with what to give instead, and nothing is written.
async fn imports_take_units_and_roles_by_name_from_a_downloadable_template(app: TestApp) {
    let ward = app.unit("Avd 12", None).await;
    app.patch(
        &format!("/api/v1/units/{ward}"),
        &app.admin,
        json!({"cost_center": "K-4410"}),
    )
    .await
    .expect(200);
    let role = app.role("Sjuksköterska").await;
    let kitchen_a = app.unit("Kök", None).await;
    app.unit("Kök", Some(&kitchen_a)).await;
    let browser = Browser::signed_in(&app, &app.admin).await;
    let (content_type, bytes) = browser.download("/console/import/template/employees").await;
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = String::from_utf8(bytes).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "name;email;unit_id;role_id;employment_type;employment_ends_on;external_id"
    );
    let example = lines.next().unwrap();
    assert!(example.contains(";Avd 12;Sjuksköterska;"), "{example}");

    // The template, as downloaded, imports.
    app.post_csv("/api/v1/import/employees", &app.admin, text.to_owned())
        .await
        .expect(200);
    let people = app.get("/api/v1/employees", &app.admin).await.json;
    let anna = &people["items"][0];
    assert_eq!(anna["unit_id"], ward.as_str());
    assert_eq!(anna["role_id"], role.as_str());

    // By cost centre; a shared name refused on its line, nothing written.
    let csv = "name;email;unit_id;role_id;employment_type\n\
               Bo Berg;bo@example.se;k-4410;sjuksköterska;permanent\n\
               Cia Ek;cia@example.se;Kök;Sjuksköterska;permanent\n";
    let refused = app
        .post_csv("/api/v1/import/employees", &app.admin, csv)
        .await
        .expect(422);
    assert_eq!(refused.line_errors(), ["3:unit_id"]);
    assert_eq!(app.count("employees").await, 1);
    let fixed = csv.replace(";Kök;", &format!(";{kitchen_a};"));
    app.post_csv("/api/v1/import/employees", &app.admin, fixed)
        .await
        .expect(200);
    let bo = app
        .get("/api/v1/employees?q=bo%40example.se", &app.admin)
        .await
        .json;
    assert_eq!(bo["items"][0]["unit_id"], ward.as_str());
}
both_stores!(imports_take_units_and_roles_by_name_from_a_downloadable_template);
