//! Tests of identity values and the user aggregate.

use super::*;
use crate::testing::{assert_round_trips, given};
use chrono::{DateTime, Utc};

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

fn ann() -> Email {
    Email::parse("ann@example.com").unwrap()
}

fn register(name: &str) -> RegisterUser {
    RegisterUser {
        user_id: UserId::for_email(&ann()),
        email: ann(),
        name: name.to_owned(),
        role: Role::Customer,
        at: now(),
    }
}

fn registered() -> IdentityEvent {
    IdentityEvent::UserRegistered {
        user_id: UserId::for_email(&ann()),
        email: ann(),
        name: "Ann Lee".to_owned(),
        role: Role::Customer,
        registered_at: now(),
    }
}

#[test]
fn emails_are_trimmed_and_lower_cased() {
    assert_eq!(
        Email::parse("  Ann.Lee+fly@Example.COM ").unwrap().as_str(),
        "ann.lee+fly@example.com"
    );
}

#[test]
fn malformed_emails_are_refused() {
    let too_long = format!("{}@example.com", "a".repeat(243));
    for bad in [
        "",
        "ann",
        "@example.com",
        "ann@",
        "ann@example",
        "ann@@example.com",
        "ann@x@example.com",
        "ann@.example.com",
        "ann@example.com.",
        "ann@example..com",
        "ann lee@example.com",
        &too_long,
    ] {
        assert_eq!(
            Email::parse(bad),
            Err(IdentityError::InvalidEmail),
            "{bad:?} should be refused"
        );
    }
    let longest = format!("{}@example.com", "a".repeat(242));
    assert_eq!(longest.len(), MAX_EMAIL_LEN);
    assert!(Email::parse(&longest).is_ok());
}

#[test]
fn emails_deserialize_only_when_valid() {
    assert_eq!(
        serde_json::from_str::<Email>(r#""ANN@example.com""#).unwrap(),
        ann()
    );
    assert!(serde_json::from_str::<Email>(r#""not-an-email""#).is_err());
}

#[test]
fn the_user_id_is_derived_from_the_normalised_email() {
    let id = UserId::for_email(&ann());
    assert_eq!(
        id,
        UserId::for_email(&Email::parse("ANN@EXAMPLE.COM").unwrap())
    );
    assert_eq!(
        id.0,
        uuid::Uuid::new_v5(&crate::ids::SKYFLY_NAMESPACE, b"user/ann@example.com")
    );
    assert_ne!(
        id,
        UserId::for_email(&Email::parse("bob@example.com").unwrap())
    );
}

#[test]
fn passwords_follow_the_length_policy() {
    assert_eq!(
        Password::parse("short12").unwrap_err(),
        IdentityError::InvalidPassword
    );
    assert_eq!(
        Password::parse(&"x".repeat(129)).unwrap_err(),
        IdentityError::InvalidPassword
    );
    assert_eq!(Password::parse("eight ch").unwrap().expose(), "eight ch");
    assert!(Password::parse(&"x".repeat(128)).is_ok());
    // Characters, not bytes: eight two-byte characters are enough.
    assert!(Password::parse("éééééééé").is_ok());
}

#[test]
fn a_password_never_shows_in_debug_output() {
    let p = Password::parse("correct horse battery").unwrap();
    let shown = format!("{p:?} {:?}", Some(p.clone()));
    assert!(!shown.contains("horse"), "{shown}");
}

#[test]
fn roles_parse_and_serialize_in_snake_case() {
    assert_eq!(Role::parse("staff"), Some(Role::Staff));
    assert_eq!(Role::parse("admin"), None);
    assert_eq!(serde_json::to_value(Role::Customer).unwrap(), "customer");
}

#[test]
fn registering_records_the_user_with_a_trimmed_name() {
    let state = given::<User>([])
        .when(register("  Ann Lee "))
        .then([registered()]);
    assert_eq!(state.state().unwrap().name, "Ann Lee");
}

#[test]
fn register_fails_when_the_email_is_already_registered() {
    given::<User>([registered()])
        .when(register("Ann Lee"))
        .then_err(IdentityError::AlreadyRegistered);
}

#[test]
fn register_fails_when_the_name_is_blank_or_too_long() {
    given::<User>([])
        .when(register("   "))
        .then_err(IdentityError::InvalidName);
    given::<User>([])
        .when(register(&"n".repeat(101)))
        .then_err(IdentityError::InvalidName);
    given::<User>([])
        .when(register(&"n".repeat(100)))
        .outcome()
        .unwrap();
}

#[test]
fn errors_have_stable_codes_and_name_their_field() {
    assert_eq!(IdentityError::InvalidEmail.field(), Some("email"));
    assert_eq!(IdentityError::InvalidName.field(), Some("name"));
    assert_eq!(IdentityError::InvalidPassword.field(), Some("password"));
    assert_eq!(
        IdentityError::AlreadyRegistered.code(),
        "already_registered"
    );
}

#[test]
fn identity_events_round_trip_through_the_store() {
    assert_round_trips(&registered());
}
