/** The card's words: the same as the embedded settings page's, so both read alike. */
import type { AutoSyncConfig, ConnectionState } from "@pulse-sync/client";

/** The intervals the selector offers before "Custom…". */
export const PRESET_INTERVALS = [4, 12, 24, 48] as const;

/** "1 hour", "12 hours". */
export function hours(count: number): string {
  return `${count.toLocaleString("en-US")} hour${count === 1 ? "" : "s"}`;
}

/** "Next sync: in 23 hours", "Auto-sync is paused" or "Auto-sync is off". */
export function nextSyncText(config: AutoSyncConfig): string {
  if (config.enabled && config.next_sync_in) return `Next sync: ${config.next_sync_in}`;
  if (config.enabled && config.paused_reason) return "Auto-sync is paused";
  return "Auto-sync is off";
}

/** Why auto-sync paused, and what resumes it; null when it is not paused. */
export function pausedText(config: AutoSyncConfig): string | null {
  if (config.paused_reason === "google_reauth_required") {
    return "Paused: Google access was revoked. Reconnect Google to resume auto-sync.";
  }
  if (config.paused_reason === "too_many_failures") {
    return `Paused after ${config.consecutive_failures} failed syncs in a row: ${config.last_error ?? ""} Turn auto-sync off and on to resume.`;
  }
  return null;
}

/** The badge of each connection state. */
export const CONNECTION_LABELS: Record<ConnectionState, string> = {
  connected: "Connected",
  reauth_required: "Reconnect needed",
  not_connected: "Not connected",
};

/** The sentence under the badge, naming the account when Google named one. */
export function connectionText(config: AutoSyncConfig): string {
  const texts: Record<ConnectionState, string> = {
    connected: "pulse-sync can read your Google Contacts.",
    reauth_required: "Google no longer accepts pulse-sync's access. Reconnect to continue syncing.",
    not_connected: "Connect your Google account so pulse-sync can read your contacts.",
  };
  const account = config.connection_email;
  let accountText = "";
  if (account && config.connection === "connected") accountText = `Connected as ${account}. `;
  if (account && config.connection === "reauth_required") accountText = `Google account: ${account}. `;
  return accountText + texts[config.connection];
}

/**
 * The only texts a return from Google's consent can show: anyone can craft a link with any
 * `reason`, so unknown ones get the generic text, never their own words.
 */
const OAUTH_FAILURE_TEXTS: Record<string, string> = {
  access_denied: "access was declined on Google's page.",
  missing_code: "Google sent no authorization code; connect again.",
  exchange_failed: "Google did not accept the sign-in; connect again.",
  missing_refresh_token:
    "Google granted no offline access; remove this app's access in your Google account and connect again.",
  missing_contacts_scope:
    'the contacts permission was not granted; connect again and tick "See and download your contacts" on Google\'s page.',
  server_error: "something went wrong on our side; connect again.",
  other_browser: "this sign-in was started in another browser; connect again from this one.",
};

/** What a return from Google's consent (`?google=connected` or `?google=error&reason=…`) says. */
export function oauthReturnText(outcome: string, reason: string | null): string {
  if (outcome === "connected") return "Google connected.";
  const known = reason !== null && Object.prototype.hasOwnProperty.call(OAUTH_FAILURE_TEXTS, reason);
  return `Google was not connected: ${known ? OAUTH_FAILURE_TEXTS[reason as string] : "the sign-in did not finish; connect again."}`;
}

/** A time as the user's browser writes it, or "never". */
export function formatTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "never";
}
