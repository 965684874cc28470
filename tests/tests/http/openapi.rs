//! The OpenAPI document the router serves: valid (checked by an OpenAPI validator), every
//! operation summarised and tagged with a unique id, every error response a problem document,
//! and every request example one that works against the demo.

use axum::http::StatusCode;
use serde_json::Value;
use skyfly_tests::app::TestApp;
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every operation of the document: `(method, path, operation)`.
fn operations(doc: &Value) -> Vec<(&'static str, String, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                all.push((method, path.clone(), op));
            }
        }
    }
    all
}

/// The validator CI installs (`scripts/test.sh` sets `SKYFLY_OPENAPI_VALIDATOR`), or one on `PATH`.
fn validator() -> Option<String> {
    std::env::var("SKYFLY_OPENAPI_VALIDATOR").ok().or_else(|| {
        std::process::Command::new("openapi-spec-validator")
            .arg("--help")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| "openapi-spec-validator".to_owned())
    })
}

// Regression: `operationId` `list` was used twice (an invalid document), error responses were
// `application/json`, and nothing checked the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_served_document_is_valid_summarised_tagged_and_types_every_error() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.body;
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut ids = BTreeSet::new();
    let ops = operations(&doc);
    assert!(ops.len() >= 46, "{} operations", ops.len());
    for (method, path, op) in &ops {
        let what = format!("{method} {path}");
        let id = op["operationId"].as_str().expect("an operationId");
        assert!(ids.insert(id), "{what}: operationId {id} is used twice");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.trim().is_empty()),
            "{what}: no summary"
        );
        let op_tags = op["tags"].as_array().expect("tags");
        assert!(!op_tags.is_empty(), "{what}: no tag");
        for t in op_tags {
            assert!(
                tags.contains(t.as_str().unwrap()),
                "{what}: tag {t} not declared"
            );
        }
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.contains_key("default"),
            "{what}: no default error"
        );
        if op
            .get("security")
            .is_some_and(|s| !s.as_array().unwrap().is_empty())
        {
            assert!(responses.contains_key("401"), "{what}: no 401");
        }
        for (status, response) in responses {
            if !(status.starts_with('4') || status.starts_with('5') || status == "default") {
                continue;
            }
            let content = response["content"].as_object();
            let content = content.unwrap_or_else(|| panic!("{what} {status}: untyped"));
            for (media, body) in content {
                if body["schema"]["$ref"] == "#/components/schemas/Problem" {
                    assert_eq!(media, "application/problem+json", "{what} {status}");
                } else {
                    // Only the health report is answered as itself when unhealthy.
                    assert_eq!((path.as_str(), status.as_str()), ("/api/v1/health", "503"));
                }
            }
        }
    }
    let Some(validator) = validator() else {
        eprintln!(
            "no OpenAPI validator (scripts/test.sh installs one): the document's validity is unchecked"
        );
        return;
    };
    let file = std::env::temp_dir().join(format!("skyfly-openapi-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = std::process::Command::new(&validator)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("run {validator}: {e}"));
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{validator} refuses the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Codes that mean the request itself was malformed, whatever the state it met.
fn is_validation(r: &skyfly_tests::app::Reply) -> bool {
    let code = r.body["code"].as_str().unwrap_or("");
    let field_refused =
        matches!(code, "missing_field" | "unknown_field") || code.starts_with("invalid_");
    r.status == StatusCode::BAD_REQUEST
        || r.status == StatusCode::UNSUPPORTED_MEDIA_TYPE
        || (r.status == StatusCode::UNPROCESSABLE_ENTITY && field_refused)
}

// Regression: the example body of `POST /bookings` in `/docs` answered 422 (a flight that does
// not exist, a contact email "string").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_documented_example_works_against_the_demo() {
    let app = TestApp::with_demo(3).await;
    let doc = app.get("/api/v1/openapi.json", None).await.body;
    let staff_account = skyfly_engine::demo::demo_staff();
    let staff = app.login(staff_account.email, staff_account.password).await;
    let example = |path: &str, method: &str| -> Value {
        let pointer = format!(
            "/paths/{}/{method}/requestBody/content/application~1json/example",
            path.replace('/', "~1")
        );
        doc.pointer(&pointer)
            .cloned()
            .unwrap_or_else(|| panic!("{method} {path}: no example"))
    };
    // The documented login signs a demo customer in; the documented booking books a demo flight.
    let login = example("/api/v1/auth/login", "post");
    let r = app
        .post("/api/v1/auth/login", None, &login.to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK, "login example: {:?}", r.body);
    let customer = r.body["access_token"].as_str().unwrap().to_owned();
    let flight = example("/api/v1/bookings", "post")["flight_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.get(&format!("/api/v1/flights/{flight}"), None).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the example flight {flight}: {:?}",
        r.body
    );
    let account = app.loyalty_account(&customer).await;
    // The documented search finds the example flight.
    let search = operations(&doc)
        .into_iter()
        .find(|(_, path, _)| path == "/api/v1/flights/search")
        .map(|(_, _, op)| op.clone())
        .unwrap();
    let query: Vec<String> = search["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some(format!(
                "{}={}",
                p["name"].as_str()?,
                p["example"].as_str()?
            ))
        })
        .collect();
    let r = app
        .get(&format!("/api/v1/flights/search?{}", query.join("&")), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query:?}: {:?}", r.body);
    assert!(
        r.body["flights"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["flight_id"] == flight.as_str()),
        "{query:?} does not find {flight}: {:?}",
        r.body
    );
    let mut payment = "0193b1c2-0000-7000-8000-0000000000ff".to_owned();
    let mut posted = 0;
    for (method, path, op) in operations(&doc) {
        let Some(json) = op.pointer("/requestBody/content/application~1json") else {
            continue;
        };
        assert!(json.get("example").is_some(), "{method} {path}: no example");
        let uri = path
            .replace("{flight_id}", &flight)
            .replace("{account_id}", &account)
            .replace("{payment_id}", &payment);
        // Customers place bookings; staff run the rest.
        let token = if path == "/api/v1/bookings" {
            &customer
        } else {
            &staff
        };
        let r = app
            .request(
                &method.to_uppercase(),
                &uri,
                Some(token),
                &[],
                Some(&json["example"].to_string()),
            )
            .await;
        assert!(
            !is_validation(&r) && !r.status.is_server_error(),
            "{method} {path}: the documented example answers {}: {:?}",
            r.status,
            r.body
        );
        let expected = match path.as_str() {
            "/api/v1/bookings" => Some(StatusCode::ACCEPTED),
            "/api/v1/flights" | "/api/v1/payments/intent" => Some(StatusCode::CREATED),
            "/api/v1/pricing/quote" | "/api/v1/payments/{payment_id}/authorize" => {
                Some(StatusCode::OK)
            }
            _ => None,
        };
        if let Some(expected) = expected {
            assert_eq!(r.status, expected, "{method} {path}: {:?}", r.body);
        }
        // The payment the documented intent creates is the one the payment examples act on.
        if path == "/api/v1/payments/intent" {
            payment = r.body["payment_id"].as_str().unwrap().to_owned();
        }
        posted += 1;
    }
    assert!(posted >= 20, "{posted} examples posted");
}
