//! (being written)
pub async fn confirm() {}
