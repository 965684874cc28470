//! # skyfly-domain
//!
//! **Owns** the business of SkyFly: value types (ids, money, cabins, airports), the aggregates
//! (flight inventory, booking, payment, loyalty account, user identity) as pure `decide`/`evolve`
//! functions, their commands and events, pricing, card validation, and the *ports* (traits) that the
//! rest of the system implements: the event store, the clock and the payment provider.
//!
//! **Must not depend on** tokio, sqlx, axum, async-nats or any I/O. Time and generated ids arrive
//! inside commands; there is no `Utc::now()` here.
//!
//! **Key decision**: aggregates are synchronous and total. `decide(&state, &command)` returns the
//! events to record or a typed rejection; `evolve(&mut state, &event)` has no logic that can fail, so
//! replaying the log can never be refused by today's rules.

#![warn(missing_docs)]
// Tests may unwrap: a panic is how a test fails. Production code may not (workspace lints).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

/// Declares an aggregate's command enum: one variant per command struct, each variant named after
/// its struct, plus `From<Struct>` so that callers (and tests) can write `.when(ReserveSeats { .. })`.
/// Doc comments (and other attributes) on the enum and on each variant are passed through.
macro_rules! command_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        // A command lives for one decision; boxing its biggest variant would only add noise.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "command_type", content = "payload")]
        $vis enum $name {
            $($(#[$vmeta])* $variant($variant)),+
        }

        $(
            impl From<$variant> for $name {
                fn from(command: $variant) -> Self {
                    $name::$variant(command)
                }
            }
        )+
    };
}

pub mod aggregate;
pub mod cabin;
pub mod card;
pub mod clock;
pub mod event;
pub mod ids;
pub mod money;
pub mod place;
pub mod pricing;
pub mod process;
pub mod store;
pub mod testing;

pub mod booking;
pub mod faults;
pub mod identity;
pub mod inventory;
pub mod loyalty;
pub mod payment;
pub mod saga;

pub use aggregate::{Aggregate, DomainEvent};
pub use cabin::Cabin;
pub use ids::*;
pub use money::{Currency, Money};
