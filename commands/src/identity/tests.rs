//! The identity use cases on the in-memory stores.

use super::*;
use crate::testing::TestApplication;
use crate::{RefusalKind, UseCaseError};
use skyfly_domain::identity::Role;
use skyfly_domain::ids::CommandId;

fn ada() -> RegisterAccount {
    RegisterAccount::parse("Ada@Example.com", "correct horse", "Ada", Role::Customer).unwrap()
}

#[tokio::test]
async fn a_registered_customer_logs_in_and_refreshes_once() {
    let t = TestApplication::new();
    let registered = register(&t.app, CommandId::derived("r1"), ada())
        .await
        .unwrap();
    assert!(registered.position.is_some());
    let session = log_in(&t.app, "ada@example.com", "correct horse")
        .await
        .unwrap();
    assert_eq!(session.user_id, registered.user_id);
    assert_eq!(session.role, Role::Customer);
    let next = refresh(&t.app, &session.refresh_token).await.unwrap();
    assert_ne!(next.refresh_token, session.refresh_token);
    // The rotated-away token comes back: refused, and the whole session ends.
    let reused = refresh(&t.app, &session.refresh_token).await.unwrap_err();
    assert_eq!(reused.code(), Some("invalid_refresh_token"));
    let after = refresh(&t.app, &next.refresh_token).await.unwrap_err();
    assert_eq!(after.code(), Some("invalid_refresh_token"));
}

#[tokio::test]
async fn a_second_registration_of_an_address_is_refused_and_a_retry_is_not() {
    let t = TestApplication::new();
    register(&t.app, CommandId::derived("r1"), ada())
        .await
        .unwrap();
    let again = register(&t.app, CommandId::derived("r2"), ada())
        .await
        .unwrap_err();
    match again {
        UseCaseError::Refused(r) => {
            assert_eq!((r.code, r.kind), ("email_taken", RefusalKind::Conflict));
            assert_eq!(r.field.as_deref(), Some("email"));
        }
        other => panic!("expected email_taken, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_are_refused_alike() {
    let t = TestApplication::new();
    register(&t.app, CommandId::derived("r1"), ada())
        .await
        .unwrap();
    for (email, password) in [
        ("ada@example.com", "wrong password"),
        ("bob@example.com", "x"),
    ] {
        let e = log_in(&t.app, email, password).await.unwrap_err();
        assert_eq!(e.code(), Some("invalid_credentials"));
    }
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let t = TestApplication::new();
    register(&t.app, CommandId::derived("r1"), ada())
        .await
        .unwrap();
    let session = log_in(&t.app, "ada@example.com", "correct horse")
        .await
        .unwrap();
    log_out(&t.app, &session.refresh_token).await.unwrap();
    let e = refresh(&t.app, &session.refresh_token).await.unwrap_err();
    assert_eq!(e.code(), Some("invalid_refresh_token"));
}

#[test]
fn invalid_fields_are_named() {
    let e =
        RegisterAccount::parse("not-an-email", "correct horse", "Ada", Role::Customer).unwrap_err();
    assert!(
        matches!(e, UseCaseError::Invalid { ref field, .. } if field == "email"),
        "{e:?}"
    );
    let e = RegisterAccount::parse("a@b.example", "short", "Ada", Role::Customer).unwrap_err();
    assert!(
        matches!(e, UseCaseError::Invalid { ref field, .. } if field == "password"),
        "{e:?}"
    );
    let e =
        RegisterAccount::parse("a@b.example", "correct horse", " ", Role::Customer).unwrap_err();
    assert!(matches!(e, UseCaseError::Invalid { .. }), "{e:?}");
}
