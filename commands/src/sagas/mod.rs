//! Saga use cases for staff: retry the compensations a saga parked. (Reading sagas is the read
//! side's: the sagas read model.)

mod retry;

#[cfg(test)]
mod tests;

pub use retry::{RetryParkedItems, retry};
