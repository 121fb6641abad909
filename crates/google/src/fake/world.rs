//! `World`: everything the fake Google knows (accounts, grants, codes, tokens, sync tokens,
//! queued faults, request counts) and the protocol rules of its endpoints, free of HTTP plumbing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{ACCOUNT_EMAIL_SCOPE, CONTACTS_READONLY_SCOPE};
use crate::fake::FakeError;
use crate::fake::account::{Account, Cursor, account_number, email_of};
use crate::fake::dataset::Dataset;
use crate::fake::faults::FaultQueue;
use crate::fake::paging::{PageToken, fingerprint};
use crate::fake::people_page::{ConnectionsPage, FieldMask};
use crate::fake::render::{ApiFailure, OAuthFailure};

/// The world behind a lock, shared by the handlers and the control handle.
pub(crate) type SharedWorld = Arc<Mutex<World>>;

/// Locks the world (a panicked handler does not poison it for the rest of a test).
pub(crate) fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How long Google keeps a sync token valid.
pub(crate) const SYNC_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long an authorization code stays valid.
const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// `sortOrder` values the People API accepts.
const SORT_ORDERS: &[&str] = &[
    "LAST_MODIFIED_ASCENDING",
    "LAST_MODIFIED_DESCENDING",
    "FIRST_NAME_ASCENDING",
    "LAST_NAME_ASCENDING",
];
/// Past this many access tokens, expired ones are dropped.
const ACCESS_TOKENS_KEPT: usize = 10_000;

/// An endpoint of the fake, for request counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FakeEndpoint {
    /// The consent page.
    Authorize,
    /// The token endpoint.
    Token,
    /// The revocation endpoint.
    Revoke,
    /// `people/me/connections`.
    Connections,
    /// `people/me` (the connected account's own profile).
    Profile,
}

/// What the consent page does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum AuthorizeMode {
    /// The user consents at once, as this account.
    Consent {
        /// The consenting account.
        account: String,
    },
    /// The user refuses: redirect with `error=access_denied`.
    Deny,
    /// The user consents as this account but unticks some of the requested scopes on the
    /// consent screen: the code and its tokens carry only the others.
    ConsentWithout {
        /// The consenting account.
        account: String,
        /// The requested scopes the user did not grant.
        unticked: Vec<String>,
    },
}

/// Requests counted for one account and endpoint (`account` is empty when it was unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCount {
    /// The account the request was for.
    pub account: String,
    /// The endpoint.
    pub endpoint: FakeEndpoint,
    /// How many requests.
    pub count: u64,
}

/// Every secret the fake issued or was sent: what must never show in a client's logs or answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSecrets {
    /// Refresh tokens of every grant (consented or pre-created).
    pub refresh_tokens: Vec<String>,
    /// Access tokens still remembered (expired ones may be dropped past 10,000).
    pub access_tokens: Vec<String>,
    /// Sync tokens issued by listings.
    pub sync_tokens: Vec<String>,
    /// Authorization codes issued by the consent page.
    pub authorization_codes: Vec<String>,
    /// PKCE code verifiers received at the token endpoint.
    pub code_verifiers: Vec<String>,
}

/// A consent page that Google would refuse to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthorizeError {
    /// The HTTP status.
    pub status: u16,
    /// The text shown.
    pub message: String,
}

#[derive(Debug)]
struct Grant {
    account: String,
    client_id: String,
    scope: String,
    revoked: bool,
}

#[derive(Debug)]
struct AuthCode {
    account: String,
    client_id: String,
    redirect_uri: String,
    challenge: Option<(String, String)>,
    scope: String,
    offline: bool,
    used: bool,
    issued_at: Instant,
}

#[derive(Debug)]
struct AccessToken {
    account: String,
    scope: String,
    refresh_token: Option<String>,
    expires_at: Instant,
    revoked: bool,
}

#[derive(Debug)]
struct SyncToken {
    account: String,
    version: u64,
    issued_at: Instant,
    expired: bool,
}

/// The fake's state.
#[derive(Debug)]
pub(crate) struct World {
    client_id: String,
    client_secret: String,
    /// The lifetime of issued access tokens (`expires_in`).
    pub access_token_ttl: Duration,
    /// The largest page the fake returns, whatever `pageSize` asks.
    pub page_size_cap: u32,
    /// How long a sync token lives (Google: 7 days after the full sync that issued it).
    pub sync_token_ttl: Duration,
    /// What the consent page does.
    pub authorize_mode: AuthorizeMode,
    /// Queued faults.
    pub faults: FaultQueue,
    accounts: HashMap<String, Account>,
    grants: HashMap<String, Grant>,
    codes: HashMap<String, AuthCode>,
    access_tokens: HashMap<String, AccessToken>,
    sync_tokens: HashMap<String, SyncToken>,
    counts: HashMap<(String, FakeEndpoint), u64>,
    code_verifiers: Vec<String>,
}

impl World {
    /// An empty world for one OAuth client.
    pub fn new(client_id: &str, client_secret: &str, authorize_mode: AuthorizeMode) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            access_token_ttl: Duration::from_secs(3599),
            page_size_cap: 1000,
            sync_token_ttl: SYNC_TOKEN_LIFETIME,
            authorize_mode,
            faults: FaultQueue::default(),
            accounts: HashMap::new(),
            grants: HashMap::new(),
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            sync_tokens: HashMap::new(),
            counts: HashMap::new(),
            code_verifiers: Vec::new(),
        }
    }

    // ----- accounts and control -----

    /// Creates (or replaces) an account.
    pub fn add_account(&mut self, account: &str, dataset: Dataset) {
        self.accounts
            .insert(account.to_owned(), Account::new(dataset));
    }

    /// An account.
    pub fn account(&self, account: &str) -> Result<&Account, FakeError> {
        self.accounts
            .get(account)
            .ok_or_else(|| FakeError::UnknownAccount(account.to_owned()))
    }

    /// An account, to change it.
    pub fn account_mut(&mut self, account: &str) -> Result<&mut Account, FakeError> {
        self.accounts
            .get_mut(account)
            .ok_or_else(|| FakeError::UnknownAccount(account.to_owned()))
    }

    /// A grant made without the consent page; returns its refresh token.
    pub fn create_grant(&mut self, account: &str) -> Result<String, FakeError> {
        self.account(account)?;
        let refresh_token = random_token("1//fake-refresh-");
        self.grants.insert(
            refresh_token.clone(),
            Grant {
                account: account.to_owned(),
                client_id: self.client_id.clone(),
                scope: CONTACTS_READONLY_SCOPE.to_owned(),
                revoked: false,
            },
        );
        Ok(refresh_token)
    }

    /// Revokes one grant by its refresh token; `false` when unknown.
    pub fn revoke_grant(&mut self, refresh_token: &str) -> bool {
        match self.grants.get_mut(refresh_token) {
            Some(grant) => {
                grant.revoked = true;
                true
            }
            None => false,
        }
    }

    /// Revokes every grant of an account (the user removed the app's access).
    pub fn revoke_account_grants(&mut self, account: &str) -> usize {
        let mut revoked = 0;
        for grant in self.grants.values_mut().filter(|g| g.account == account) {
            grant.revoked = true;
            revoked += 1;
        }
        revoked
    }

    /// Expires every access token issued so far.
    pub fn expire_access_tokens(&mut self) {
        let now = Instant::now();
        for token in self.access_tokens.values_mut() {
            token.expires_at = now;
        }
    }

    /// Expires every sync token of an account.
    pub fn expire_sync_tokens(&mut self, account: &str) -> usize {
        let mut expired = 0;
        for token in self
            .sync_tokens
            .values_mut()
            .filter(|t| t.account == account)
        {
            token.expired = true;
            expired += 1;
        }
        expired
    }

    /// Counts one request.
    pub fn count(&mut self, endpoint: FakeEndpoint, account: Option<&str>) {
        *self
            .counts
            .entry((account.unwrap_or_default().to_owned(), endpoint))
            .or_default() += 1;
    }

    /// Requests to `endpoint` for `account`.
    pub fn request_count(&self, account: &str, endpoint: FakeEndpoint) -> u64 {
        self.counts
            .get(&(account.to_owned(), endpoint))
            .copied()
            .unwrap_or_default()
    }

    /// Requests to `endpoint`, all accounts (and none) together.
    pub fn total_requests(&self, endpoint: FakeEndpoint) -> u64 {
        self.counts
            .iter()
            .filter(|((_, e), _)| *e == endpoint)
            .map(|(_, count)| count)
            .sum()
    }

    /// Every count, sorted by account and endpoint.
    pub fn request_counts(&self) -> Vec<RequestCount> {
        let mut counts: Vec<RequestCount> = self
            .counts
            .iter()
            .map(|((account, endpoint), count)| RequestCount {
                account: account.clone(),
                endpoint: *endpoint,
                count: *count,
            })
            .collect();
        counts.sort_by(|a, b| (&a.account, a.endpoint as u8).cmp(&(&b.account, b.endpoint as u8)));
        counts
    }

    /// Forgets the counts.
    pub fn reset_counts(&mut self) {
        self.counts.clear();
    }

    /// Every secret issued or received so far, each list sorted.
    pub fn issued_secrets(&self) -> IssuedSecrets {
        let sorted = |keys: Vec<String>| {
            let mut keys = keys;
            keys.sort();
            keys
        };
        IssuedSecrets {
            refresh_tokens: sorted(self.grants.keys().cloned().collect()),
            access_tokens: sorted(self.access_tokens.keys().cloned().collect()),
            sync_tokens: sorted(self.sync_tokens.keys().cloned().collect()),
            authorization_codes: sorted(self.codes.keys().cloned().collect()),
            code_verifiers: sorted(self.code_verifiers.clone()),
        }
    }

    // ----- OAuth -----

    /// The consent page: the redirect location, or why Google would show an error instead.
    pub fn authorize(
        &mut self,
        params: &HashMap<String, String>,
    ) -> Result<String, AuthorizeError> {
        let (consenting, unticked) = match &self.authorize_mode {
            AuthorizeMode::Consent { account } => (Some(account.clone()), Vec::new()),
            AuthorizeMode::Deny => (None, Vec::new()),
            AuthorizeMode::ConsentWithout { account, unticked } => {
                (Some(account.clone()), unticked.clone())
            }
        };
        self.count(FakeEndpoint::Authorize, consenting.as_deref());
        let refuse = |status: u16, message: &str| AuthorizeError {
            status,
            message: message.to_owned(),
        };
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        if param("client_id") != Some(self.client_id.as_str()) {
            return Err(refuse(
                401,
                "Error 401: invalid_client. The OAuth client was not found.",
            ));
        }
        let redirect_uri = param("redirect_uri").ok_or_else(|| {
            refuse(
                400,
                "Error 400: invalid_request. Missing required parameter: redirect_uri",
            )
        })?;
        let mut location = Url::parse(redirect_uri)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| refuse(400, "Error 400: redirect_uri_mismatch"))?;
        if param("response_type") != Some("code") {
            return Err(refuse(400, "Error 400: unsupported_response_type"));
        }
        let scope = param("scope").ok_or_else(|| {
            refuse(
                400,
                "Error 400: invalid_request. Missing required parameter: scope",
            )
        })?;
        let challenge = match param("code_challenge") {
            Some(challenge) => {
                let method = param("code_challenge_method").unwrap_or("plain");
                if !matches!(method, "S256" | "plain") {
                    return Err(refuse(
                        400,
                        "Error 400: invalid_request. Invalid code_challenge_method",
                    ));
                }
                Some((challenge.to_owned(), method.to_owned()))
            }
            None => None,
        };
        let state = param("state");
        {
            let mut query = location.query_pairs_mut();
            match consenting {
                None => {
                    query.append_pair("error", "access_denied");
                }
                Some(account) => {
                    self.accounts
                        .entry(account.clone())
                        .or_insert_with(|| Account::new(Dataset::Empty));
                    let code = random_token("4/fake-code-");
                    let granted = scope
                        .split(' ')
                        .filter(|requested| !unticked.iter().any(|no| no == requested))
                        .collect::<Vec<_>>()
                        .join(" ");
                    self.codes.insert(
                        code.clone(),
                        AuthCode {
                            account,
                            client_id: self.client_id.clone(),
                            redirect_uri: redirect_uri.to_owned(),
                            challenge,
                            scope: granted.clone(),
                            offline: param("access_type") == Some("offline"),
                            used: false,
                            issued_at: Instant::now(),
                        },
                    );
                    query.append_pair("code", &code);
                    query.append_pair("scope", &granted);
                    query.append_pair("authuser", "0");
                    query.append_pair("prompt", "consent");
                }
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
        }
        Ok(location.to_string())
    }

    /// The account a token request is about, when it can be told (for counts).
    pub fn token_account(&self, form: &HashMap<String, String>) -> Option<String> {
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => form
                .get("code")
                .and_then(|code| self.codes.get(code))
                .map(|code| code.account.clone()),
            Some("refresh_token") => form
                .get("refresh_token")
                .and_then(|token| self.grants.get(token))
                .map(|grant| grant.account.clone()),
            _ => None,
        }
    }

    /// The token endpoint: client authentication, then the code or refresh grant.
    pub fn token(
        &mut self,
        form: &HashMap<String, String>,
        basic: Option<(String, String)>,
    ) -> Result<Value, OAuthFailure> {
        let (client_id, client_secret) = basic.unwrap_or_else(|| {
            (
                form.get("client_id").cloned().unwrap_or_default(),
                form.get("client_secret").cloned().unwrap_or_default(),
            )
        });
        if client_id != self.client_id || client_secret != self.client_secret {
            return Err(OAuthFailure {
                code: 401,
                error: "invalid_client",
                description: "Unauthorized",
            });
        }
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => self.exchange_code(form),
            Some("refresh_token") => self.refresh(form),
            _ => Err(OAuthFailure::bad_request(
                "unsupported_grant_type",
                "Invalid grant_type",
            )),
        }
    }

    fn exchange_code(&mut self, form: &HashMap<String, String>) -> Result<Value, OAuthFailure> {
        let invalid_grant = |description| OAuthFailure::bad_request("invalid_grant", description);
        let code = form.get("code").ok_or_else(|| {
            OAuthFailure::bad_request("invalid_request", "Missing required parameter: code")
        })?;
        let record = self
            .codes
            .get_mut(code)
            .ok_or_else(|| invalid_grant("Malformed auth code."))?;
        if record.used || record.issued_at.elapsed() > CODE_LIFETIME {
            return Err(invalid_grant("Bad Request"));
        }
        if form.get("redirect_uri") != Some(&record.redirect_uri) {
            return Err(OAuthFailure::bad_request(
                "redirect_uri_mismatch",
                "Bad Request",
            ));
        }
        if let Some((challenge, method)) = &record.challenge {
            let verifier = form
                .get("code_verifier")
                .ok_or_else(|| invalid_grant("Missing code verifier."))?;
            if !self.code_verifiers.contains(verifier) {
                self.code_verifiers.push(verifier.clone());
            }
            if !(43..=128).contains(&verifier.len())
                || pkce_challenge(verifier, method) != *challenge
            {
                return Err(invalid_grant("Invalid code verifier."));
            }
        }
        record.used = true;
        let account = record.account.clone();
        let scope = record.scope.clone();
        let refresh_token = record.offline.then(|| random_token("1//fake-refresh-"));
        let client_id = record.client_id.clone();
        if let Some(token) = &refresh_token {
            self.grants.insert(
                token.clone(),
                Grant {
                    account: account.clone(),
                    client_id,
                    scope: scope.clone(),
                    revoked: false,
                },
            );
        }
        let mut body = self.issue_access_token(&account, refresh_token.clone(), &scope);
        if let Some(token) = refresh_token {
            body["refresh_token"] = json!(token);
        }
        Ok(body)
    }

    fn refresh(&mut self, form: &HashMap<String, String>) -> Result<Value, OAuthFailure> {
        let refresh_token = form.get("refresh_token").ok_or_else(|| {
            OAuthFailure::bad_request(
                "invalid_request",
                "Missing required parameter: refresh_token",
            )
        })?;
        let grant = self
            .grants
            .get(refresh_token)
            .filter(|grant| !grant.revoked)
            .ok_or_else(|| {
                OAuthFailure::bad_request("invalid_grant", "Token has been expired or revoked.")
            })?;
        if grant.client_id != self.client_id {
            return Err(OAuthFailure::bad_request(
                "unauthorized_client",
                "Unauthorized",
            ));
        }
        let (account, scope) = (grant.account.clone(), grant.scope.clone());
        Ok(self.issue_access_token(&account, Some(refresh_token.clone()), &scope))
    }

    fn issue_access_token(
        &mut self,
        account: &str,
        refresh_token: Option<String>,
        scope: &str,
    ) -> Value {
        let now = Instant::now();
        if self.access_tokens.len() >= ACCESS_TOKENS_KEPT {
            self.access_tokens.retain(|_, token| token.expires_at > now);
        }
        let access_token = random_token("ya29.fake-");
        self.access_tokens.insert(
            access_token.clone(),
            AccessToken {
                account: account.to_owned(),
                scope: scope.to_owned(),
                refresh_token,
                expires_at: now + self.access_token_ttl,
                revoked: false,
            },
        );
        json!({
            "access_token": access_token,
            "expires_in": self.access_token_ttl.as_secs(),
            "scope": scope,
            "token_type": "Bearer",
        })
    }

    /// The account a revocation is about, when it can be told (for counts).
    pub fn revoke_account(&self, token: &str) -> Option<String> {
        self.grants
            .get(token)
            .map(|grant| grant.account.clone())
            .or_else(|| self.access_tokens.get(token).map(|t| t.account.clone()))
    }

    /// Revokes a refresh token's grant, or an access token (and its grant).
    pub fn revoke(&mut self, token: &str) -> Result<(), OAuthFailure> {
        if self.revoke_grant(token) {
            return Ok(());
        }
        let access = self
            .access_tokens
            .get_mut(token)
            .filter(|access| !access.revoked)
            .ok_or_else(|| {
                OAuthFailure::bad_request("invalid_token", "Token expired or revoked")
            })?;
        access.revoked = true;
        if let Some(refresh_token) = access.refresh_token.clone() {
            self.revoke_grant(&refresh_token);
        }
        Ok(())
    }

    // ----- People API -----

    /// The account behind an `Authorization: Bearer` header, or Google's 401.
    pub fn people_account(&self, authorization: Option<&str>) -> Result<String, ApiFailure> {
        let token = authorization
            .and_then(|header| header.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| ApiFailure::unauthenticated("CREDENTIALS_MISSING"))?;
        let access = self
            .access_tokens
            .get(token)
            .ok_or_else(|| ApiFailure::unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED"))?;
        let grant_revoked = access
            .refresh_token
            .as_ref()
            .and_then(|refresh| self.grants.get(refresh))
            .is_some_and(|grant| grant.revoked);
        if access.revoked || grant_revoked || Instant::now() >= access.expires_at {
            return Err(ApiFailure::unauthenticated("ACCESS_TOKEN_EXPIRED"));
        }
        Ok(access.account.clone())
    }

    /// `people.get` for `people/me`: the account's own email address, listed only when the access
    /// token carries the email scope (as Google does).
    pub fn profile(
        &self,
        authorization: Option<&str>,
        query: &HashMap<String, String>,
    ) -> Result<Value, ApiFailure> {
        let account = self.people_account(authorization)?;
        let fields = query
            .get("personFields")
            .filter(|fields| !fields.trim().is_empty())
            .ok_or_else(|| {
                ApiFailure::invalid_argument(
                    "personFields mask is required. Please specify one or more valid paths.",
                )
            })?;
        let token = authorization
            .and_then(|header| header.strip_prefix("Bearer "))
            .map(str::trim)
            .and_then(|token| self.access_tokens.get(token));
        let email_granted = token.is_some_and(|token| {
            token
                .scope
                .split(' ')
                .any(|scope| scope == ACCOUNT_EMAIL_SCOPE)
        });
        let mut person = json!({
            "resourceName": format!("people/{}", account_number(&account)),
            "etag": "%EgQBAi43GgQBAgUHIgw=",
        });
        if email_granted
            && fields
                .split(',')
                .any(|field| field.trim() == "emailAddresses")
        {
            person["emailAddresses"] = json!([{
                "metadata": {"primary": true, "verified": true, "source": {"type": "ACCOUNT"}},
                "value": email_of(&account),
            }]);
        }
        Ok(person)
    }

    /// `people.connections.list` for an authenticated account.
    pub fn connections(
        &mut self,
        account_id: &str,
        query: &HashMap<String, String>,
    ) -> Result<ConnectionsPage, ApiFailure> {
        let param = |name: &str| query.get(name).map(String::as_str);
        let person_fields = param("personFields").filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            ApiFailure::invalid_argument(
                "personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list.",
            )
        })?;
        let mask = FieldMask::parse(person_fields).map_err(|path| {
            ApiFailure::invalid_argument(format!(
                "Invalid personFields mask path: \"{path}\". Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list."
            ))
        })?;
        let page_size = page_size(param("pageSize"))?;
        let page_size = page_size.min(self.page_size_cap.max(1)) as usize;
        let request_sync_token = match param("requestSyncToken") {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ApiFailure::invalid_argument(format!(
                    "Invalid value at 'request_sync_token' (TYPE_BOOL), \"{other}\""
                )));
            }
        };
        let sort_order = param("sortOrder");
        if let Some(order) = sort_order.filter(|order| !SORT_ORDERS.contains(order)) {
            return Err(ApiFailure::invalid_argument(format!(
                "Invalid value at 'sort_order' (type.googleapis.com/google.people.v1.ListConnectionsRequest.SortOrder), \"{order}\""
            )));
        }
        let sync_token = param("syncToken").filter(|token| !token.is_empty());
        let fingerprint = fingerprint(&[
            ("personFields", Some(person_fields)),
            ("pageSize", param("pageSize")),
            ("requestSyncToken", param("requestSyncToken")),
            ("syncToken", sync_token),
            ("sortOrder", sort_order),
        ]);
        let since = match sync_token {
            None => None,
            Some(token) => {
                let record = self
                    .sync_tokens
                    .get(token)
                    .filter(|record| record.account == account_id)
                    .ok_or_else(|| ApiFailure::expired_sync_token("INVALID_ARGUMENT"))?;
                if record.expired || record.issued_at.elapsed() > self.sync_token_ttl {
                    return Err(ApiFailure::expired_sync_token("FAILED_PRECONDITION"));
                }
                Some(record.version)
            }
        };
        let account = self
            .accounts
            .get(account_id)
            .ok_or_else(ApiFailure::internal)?;
        let invalid_page_token = || ApiFailure::invalid_argument("Page token is not valid.");
        let (round, cursor) = match param("pageToken").filter(|token| !token.is_empty()) {
            None => (account.version(), None),
            Some(raw) => {
                let token = PageToken::decode(raw)
                    .filter(|token| token.account == account_id)
                    .ok_or_else(invalid_page_token)?;
                if token.fingerprint != fingerprint {
                    return Err(ApiFailure::invalid_argument(
                        "Parameters sent with a page token must match the call that provided the page token.",
                    ));
                }
                (token.round, Some(token.cursor))
            }
        };
        let (people, next, total) = match (since, cursor) {
            (None, None) => with_total(account.full_page(0, page_size), account.live_count()),
            (None, Some(Cursor::Slot(start))) => {
                with_total(account.full_page(start, page_size), account.live_count())
            }
            (Some(since), None) => account.changes_page(since, round, None, page_size),
            (Some(since), Some(Cursor::Change(version, slot))) => {
                account.changes_page(since, round, Some((version, slot)), page_size)
            }
            _ => return Err(invalid_page_token()),
        };
        let mut page = ConnectionsPage {
            people,
            mask,
            incremental: since.is_some(),
            total,
            next_page_token: None,
            next_sync_token: None,
        };
        match next {
            Some(cursor) => {
                let token = PageToken {
                    account: account_id.to_owned(),
                    fingerprint,
                    round,
                    cursor,
                };
                page.next_page_token = Some(token.encode());
            }
            None if request_sync_token => {
                let token = random_token("fake-sync-");
                self.sync_tokens.insert(
                    token.clone(),
                    SyncToken {
                        account: account_id.to_owned(),
                        version: round,
                        issued_at: Instant::now(),
                        expired: false,
                    },
                );
                page.next_sync_token = Some(token);
            }
            None => {}
        }
        Ok(page)
    }
}

fn with_total<T, C>((page, next): (T, C), total: u64) -> (T, C, u64) {
    (page, next, total)
}

/// `pageSize`: absent or 0 means 100; 1 to 1000 otherwise.
fn page_size(raw: Option<&str>) -> Result<u32, ApiFailure> {
    let Some(raw) = raw else { return Ok(100) };
    let size: i64 = raw.parse().map_err(|_| {
        ApiFailure::invalid_argument(format!(
            "Invalid value at 'page_size' (TYPE_INT32), \"{raw}\""
        ))
    })?;
    match size {
        0 => Ok(100),
        1..=1000 => Ok(u32::try_from(size).unwrap_or(100)),
        _ => Err(ApiFailure::invalid_argument(
            "Page size must be between 1 and 1000.",
        )),
    }
}

/// The PKCE challenge of a verifier (RFC 7636).
pub(crate) fn pkce_challenge(verifier: &str, method: &str) -> String {
    if method == "S256" {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    } else {
        verifier.to_owned()
    }
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}
