//! The page a consent not bound to a browser ends on: it names the workspace and the Google
//! account about to be connected, and only its button (a POST of the one-time token) connects.
//! It loads nothing from elsewhere, cannot be framed, and is never cached.

use actix_web::HttpResponse;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_FRAME_OPTIONS,
};
use pulse_domain::UserId;

use crate::routes::API_PREFIX;

/// Nothing loads, nothing frames the page, and the form posts only back to this server.
const PAGE_POLICY: &str =
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the page says when Google did not tell which account approved.
const UNKNOWN_ACCOUNT: &str = "a Google account whose email was not shared";

/// The confirmation page for connecting `workspace` to the account `email`, carrying `token`.
pub(crate) fn confirmation_page(
    workspace: &UserId,
    email: Option<&str>,
    token: &str,
) -> HttpResponse {
    let workspace = escaped(workspace.as_str());
    let account = email.map_or_else(|| UNKNOWN_ACCOUNT.to_owned(), escaped);
    let token = escaped(token);
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Confirm the Google connection</title></head><body>\
         <h1>Connect Google Contacts?</h1>\
         <p>The workspace <strong>{workspace}</strong> will sync the contacts of \
         <strong>{account}</strong>.</p>\
         <p>Continue only if you started this connection yourself. If someone sent you the link, \
         cancel: the workspace would read your contacts.</p>\
         <form method=\"post\" action=\"{API_PREFIX}/google/callback/confirm\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button type=\"submit\" name=\"decision\" value=\"connect\">Connect</button> \
         <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button>\
         </form></body></html>\n"
    );
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((X_FRAME_OPTIONS, "DENY"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body)
}

/// `text` with the characters HTML gives a meaning to replaced by entities.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_an_email_is_shown_as_text() {
        assert_eq!(
            escaped("<b>\"a\"&'b'</b>"),
            "&lt;b&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/b&gt;"
        );
    }
}
