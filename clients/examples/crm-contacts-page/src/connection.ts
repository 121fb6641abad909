// Where the example finds pulse-sync: the launcher opens the page with
// `#api=<server>&key=<key>&workspace=<id>`; the page keeps them in sessionStorage (the fragment
// never reaches a server, and the return from Google's consent has none) and clears the address.
// A real CRM gets them from its own backend and session instead.

/** pulse-sync's URL, a key and the signed-in user's workspace. */
export interface PulseConnection {
  apiUrl: string;
  apiKey: string;
  workspaceId: string;
}

const STORAGE_KEY = "crm-example.pulse";

/** The connection from the address's fragment (then stored), or the stored one, or null. */
export function readConnection(): PulseConnection | null {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const apiUrl = fragment.get("api");
  const apiKey = fragment.get("key");
  const workspaceId = fragment.get("workspace");
  if (apiUrl && apiKey && workspaceId) {
    const connection = { apiUrl, apiKey, workspaceId };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(connection));
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    return connection;
  }
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (!stored) return null;
  try {
    const parsed = JSON.parse(stored) as Partial<PulseConnection>;
    if (parsed.apiUrl && parsed.apiKey && parsed.workspaceId) {
      return { apiUrl: parsed.apiUrl, apiKey: parsed.apiKey, workspaceId: parsed.workspaceId };
    }
  } catch {
    // A damaged entry: ask again.
  }
  return null;
}
