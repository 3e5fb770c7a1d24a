//! Services: the use cases that combine storage and the pure rules, each inside the caller's
//! transaction. Routes call these; these call the store.

pub mod certificates;
pub mod progress;
pub mod records;
pub mod register;
pub mod sign_in;
pub mod webhooks;
