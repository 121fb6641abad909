//! The Google connect flow: start a consent (`connect`), finish it (`callback`, and `confirm` for
//! consents not bound to a browser), and disconnect.

mod browser_binding;
pub(crate) mod callback;
pub(crate) mod confirm;
mod confirmation_page;
pub(crate) mod connect;
pub(crate) mod disconnect;
mod one_time_token;
mod return_to;
