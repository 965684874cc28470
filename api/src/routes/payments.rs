//! (being written)
pub async fn create_intent() {}
pub async fn authorize() {}
pub async fn capture() {}
pub async fn void() {}
pub async fn refund() {}
pub async fn get_payment() {}
