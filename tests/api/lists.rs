use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, both_stores};

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every id of a list, page by page through its cursors, and how many pages it took.
async fn walk(app: &TestApp, list: &str, limit: u32) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    let joiner = if list.contains('?') { '&' } else { '?' };
    loop {
        let path = match &cursor {
            Some(c) => format!("{list}{joiner}limit={limit}&cursor={c}"),
            None => format!("{list}{joiner}limit={limit}"),
        };
        let page = app.get(&path, &app.admin).await.expect(200).json;
        pages += 1;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (seen, pages),
        }
    }
}

async fn pages_follow_cursors_without_gaps_or_repeats(app: TestApp) {
    let ward = app.unit("Avd 7", None).await;
    let elsewhere = app.unit("Akuten", None).await;
    let mut created = Vec::new();
    let mut in_ward = Vec::new();
    for n in 0..7 {
        // Every other device belongs to the ward, so a unit's pages skip the others.
        let unit = if n % 2 == 0 { &ward } else { &elsewhere };
        let id = app
            .device(&format!("SN-{n}"), json!({"unit_id": unit}))
            .await
            .expect(201)
            .id();
        if n % 2 == 0 {
            in_ward.push(id.clone());
        }
        created.push(id);
    }
    let (seen, pages) = walk(&app, "/api/v1/devices", 3).await;
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "stable order, nothing lost, nothing twice");
    // A unit alone (its own plan) and a unit with a filter (the join) page alike.
    for list in [
        format!("/api/v1/devices?unit_id={ward}"),
        format!("/api/v1/devices?unit_id={ward}&kind=phone"),
    ] {
        for (limit, expected_pages) in [(1, 4), (2, 2), (4, 1), (500, 1)] {
            let (seen, pages) = walk(&app, &list, limit).await;
            assert_eq!(seen, in_ward, "{list} by {limit}");
            assert_eq!(pages, expected_pages, "{list} by {limit}");
        }
    }
    let page = app
        .get("/api/v1/devices", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(ids(&page).len(), 7);
    assert!(page["next_cursor"].is_null());
    assert_eq!(
        app.get("/api/v1/devices?limit=501", &app.admin)
            .await
            .expect(422)
            .error_fields(),
        ["limit"]
    );
    assert_eq!(
        app.get("/api/v1/devices?limit=0", &app.admin)
            .await
            .expect(422)
            .error_fields(),
        ["limit"]
    );
    assert_eq!(
        app.get("/api/v1/devices?cursor=nope", &app.admin)
            .await
            .expect(422)
            .error_fields(),
        ["cursor"]
    );
    app.get("/api/v1/devices?status=broken", &app.admin)
        .await
        .expect(400);
    app.get("/api/v1/devices?limit=many", &app.admin)
        .await
        .expect(400);
}
both_stores!(pages_follow_cursors_without_gaps_or_repeats);

/// List pages decode devices their own way (by column position); each item must equal
/// the device read alone, every field set or none.
async fn listed_devices_equal_the_devices_read_alone(app: TestApp) {
    let ward = app.unit("Avd 7", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &ward, &role).await;
    let bare = app.device("BARE-1", json!({})).await.expect(201).id();
    let full = app
        .device(
            "FULL-1",
            json!({"imei": "356938035643809", "unit_id": ward, "purchase_price": "4995.50",
                   "purchased_on": "2026-11-01", "warranty_ends_on": "2028-10-31"}),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/devices/{full}/assign"),
        &app.admin,
        json!({"employee_id": nurse}),
    )
    .await
    .expect(200);
    for list in [
        "/api/v1/devices".to_owned(),
        format!("/api/v1/devices?unit_id={ward}"),
        "/api/v1/devices?status=assigned".to_owned(),
    ] {
        let page = app.get(&list, &app.admin).await.expect(200).json;
        for item in page["items"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap();
            let alone = app
                .get(&format!("/api/v1/devices/{id}"), &app.admin)
                .await
                .expect(200)
                .json;
            assert_eq!(item, &alone, "{list}");
        }
        let listed = ids(&page);
        assert!(listed.contains(&full), "{list}");
        assert_eq!(listed.contains(&bare), !list.contains('?'), "{list}");
    }
    let full_item = app
        .get(&format!("/api/v1/devices/{full}"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(full_item["imei"], "356938035643809");
    assert_eq!(full_item["purchase_price"], "4995.50");
    assert_eq!(full_item["warranty_ends_on"], "2028-10-31");
    assert_eq!(full_item["assigned_to"]["employee_id"], nurse);
}
both_stores!(listed_devices_equal_the_devices_read_alone);

async fn device_filters_combine(app: TestApp) {
    let clinic = app.unit("Kirurgkliniken", None).await;
    let ward = app.unit("Avd 7", Some(&clinic)).await;
    let elsewhere = app.unit("Akuten", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &ward, &role).await;

    let held = app.device("APPLE-1", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{held}/assign"),
        &app.admin,
        json!({"employee_id": nurse}),
    )
    .await
    .expect(200);
    let shared = app
        .device("APPLE-2", json!({"kind": "tablet"}))
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/devices/{shared}/assign"),
        &app.admin,
        json!({"unit_id": ward}),
    )
    .await
    .expect(200);
    let owned = app
        .device(
            "SAMSUNG-3",
            json!({"manufacturer": "Samsung", "unit_id": clinic}),
        )
        .await
        .expect(201)
        .id();
    let away = app
        .device(
            "SAMSUNG-4",
            json!({"manufacturer": "Samsung", "unit_id": elsewhere, "status": "ordered"}),
        )
        .await
        .expect(201)
        .id();

    let set = |page: Value| ids(&page).into_iter().collect::<HashSet<_>>();
    let app = &app;
    let q = |path: String| async move { app.get(&path, &app.admin).await };
    assert_eq!(
        set(q(format!("/api/v1/devices?unit_id={clinic}"))
            .await
            .expect(200)
            .json),
        HashSet::from([held.clone(), shared.clone(), owned.clone()])
    );
    assert_eq!(
        set(q(format!("/api/v1/devices?unit_id={ward}"))
            .await
            .expect(200)
            .json),
        HashSet::from([held.clone(), shared.clone()])
    );
    assert_eq!(
        set(q("/api/v1/devices?status=ordered".into())
            .await
            .expect(200)
            .json),
        HashSet::from([away.clone()])
    );
    assert_eq!(
        set(q("/api/v1/devices?kind=tablet".into())
            .await
            .expect(200)
            .json),
        HashSet::from([shared.clone()])
    );
    assert_eq!(
        set(q(format!("/api/v1/devices?employee_id={nurse}"))
            .await
            .expect(200)
            .json),
        HashSet::from([held.clone()])
    );
    assert_eq!(
        set(q("/api/v1/devices?q=samsung".into()).await.expect(200).json),
        HashSet::from([owned.clone(), away.clone()])
    );
    assert_eq!(
        set(q("/api/v1/devices?q=%25".into()).await.expect(200).json),
        HashSet::new(),
        "% is literal"
    );
    // Any part of a serial number, in any case; a match never spans two fields.
    assert_eq!(
        set(q("/api/v1/devices?q=sung-3".into()).await.expect(200).json),
        HashSet::from([owned.clone()])
    );
    assert_eq!(
        set(q("/api/v1/devices?q=-3samsung".into())
            .await
            .expect(200)
            .json),
        HashSet::new()
    );
    // The search follows a corrected serial number at once.
    app.patch(
        &format!("/api/v1/devices/{owned}"),
        &app.admin,
        json!({"serial_number": "GALAXY-9"}),
    )
    .await
    .expect(200);
    assert_eq!(
        set(q("/api/v1/devices?q=Galaxy".into()).await.expect(200).json),
        HashSet::from([owned.clone()])
    );
    assert_eq!(
        set(q("/api/v1/devices?q=sung-3".into()).await.expect(200).json),
        HashSet::new()
    );
    assert_eq!(
        set(q(format!(
            "/api/v1/devices?unit_id={clinic}&status=assigned&kind=phone"
        ))
        .await
        .expect(200)
        .json),
        HashSet::from([held.clone()])
    );
    // CSV export honours the same filters.
    let csv = app
        .get("/api/v1/devices?format=csv&q=samsung", &app.admin)
        .await
        .expect(200)
        .text;
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .starts_with("kind,manufacturer,model,serial_number")
    );
}
both_stores!(device_filters_combine);

async fn employee_and_subscription_filters(app: TestApp) {
    let clinic = app.unit("Kirurgkliniken", None).await;
    let ward = app.unit("Avd 7", Some(&clinic)).await;
    let other = app.unit("Akuten", None).await;
    let nurse_role = app.role("Sjuksköterska").await;
    let doctor_role = app.role("Läkare").await;
    let a = app.employee("a@region.se", &ward, &nurse_role).await;
    let b = app.employee("b@region.se", &other, &doctor_role).await;
    let page = app
        .get(&format!("/api/v1/employees?unit_id={clinic}"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(ids(&page), [a.as_str()]);
    let page = app
        .get(
            &format!("/api/v1/employees?role_id={doctor_role}"),
            &app.admin,
        )
        .await
        .expect(200)
        .json;
    assert_eq!(ids(&page), [b.as_str()]);
    let page = app
        .get("/api/v1/employees?q=B%40REGION", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(ids(&page), [b.as_str()]);

    let s1 = app
        .subscription("070-111 22 33", json!({}))
        .await
        .expect(201)
        .id();
    let s2 = app
        .subscription("070-999 88 77", json!({"status": "ordered"}))
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/subscriptions/{s1}/assign"),
        &app.admin,
        json!({"employee_id": a}),
    )
    .await
    .expect(200);
    let page = app
        .get("/api/v1/subscriptions?q=070-111", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(ids(&page), [s1.as_str()]);
    // Any part of the E.164 number, the plan in another case, and a corrected plan.
    let found = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/subscriptions?q={q}"), &app.admin)
                .await
                .expect(200)
                .json
        }
    };
    assert_eq!(ids(&found("%2B4670999").await), [s2.as_str()]);
    assert_eq!(ids(&found("JOBBMOBIL").await).len(), 2);
    app.patch(
        &format!("/api/v1/subscriptions/{s2}"),
        &app.admin,
        json!({"plan": "Surfplatta 5 GB"}),
    )
    .await
    .expect(200);
    assert_eq!(ids(&found("surfplatta").await), [s2.as_str()]);
    assert_eq!(ids(&found("JOBBMOBIL").await), [s1.as_str()]);
    let page = app
        .get("/api/v1/subscriptions?status=ordered", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(ids(&page), [s2.as_str()]);
    let page = app
        .get(
            &format!("/api/v1/subscriptions?unit_id={clinic}"),
            &app.admin,
        )
        .await
        .expect(200)
        .json;
    assert_eq!(ids(&page), [s1.as_str()]);
    let csv = app
        .get("/api/v1/employees?format=csv", &app.admin)
        .await
        .expect(200)
        .text;
    assert_eq!(csv.lines().count(), 3);
}
both_stores!(employee_and_subscription_filters);

async fn unit_lists_follow_people_and_units_when_they_move(app: TestApp) {
    let north = app.unit("Norra kliniken", None).await;
    let south = app.unit("Södra kliniken", None).await;
    let ward = app.unit("Avd 3", Some(&north)).await;
    let role = app.role("Undersköterska").await;
    let nurse = app.employee("m@region.se", &ward, &role).await;
    let phone = app.device("MOVE-1", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{phone}/assign"),
        &app.admin,
        json!({"employee_id": nurse}),
    )
    .await
    .expect(200);
    let south_manager = app
        .token(json!({"name": "s", "role": "manager", "unit_ids": [south]}))
        .await;
    let in_unit = |unit: String| {
        let app = &app;
        async move {
            ids(&app
                .get(&format!("/api/v1/devices?unit_id={unit}"), &app.admin)
                .await
                .expect(200)
                .json)
        }
    };
    assert_eq!(in_unit(north.clone()).await, [phone.as_str()]);
    assert!(
        ids(&app
            .get("/api/v1/devices", &south_manager)
            .await
            .expect(200)
            .json)
        .is_empty()
    );

    // The nurse moves south: the phone goes with her.
    let south_ward = app.unit("Avd 9", Some(&south)).await;
    app.patch(
        &format!("/api/v1/employees/{nurse}"),
        &app.admin,
        json!({"unit_id": south_ward}),
    )
    .await
    .expect(200);
    assert!(in_unit(north.clone()).await.is_empty());
    assert_eq!(
        ids(&app
            .get("/api/v1/devices", &south_manager)
            .await
            .expect(200)
            .json),
        [phone.as_str()]
    );
    app.get(&format!("/api/v1/devices/{phone}"), &south_manager)
        .await
        .expect(200);

    // Her ward moves under the northern clinic: so does the phone.
    app.patch(
        &format!("/api/v1/units/{south_ward}"),
        &app.admin,
        json!({"parent_id": north}),
    )
    .await
    .expect(200);
    assert_eq!(in_unit(north.clone()).await, [phone.as_str()]);
    assert!(
        ids(&app
            .get("/api/v1/devices", &south_manager)
            .await
            .expect(200)
            .json)
        .is_empty()
    );
    // Handed back: no longer linked to her unit, nor (without a responsible unit) any.
    app.post(
        &format!("/api/v1/devices/{phone}/unassign"),
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);
    assert!(in_unit(north).await.is_empty());
}
both_stores!(unit_lists_follow_people_and_units_when_they_move);
