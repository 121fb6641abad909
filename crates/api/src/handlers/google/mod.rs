//! The Google connect flow: start a consent (`connect`), finish it (`callback`), and disconnect.

mod browser_binding;
pub(crate) mod callback;
pub(crate) mod connect;
pub(crate) mod disconnect;
mod return_to;
