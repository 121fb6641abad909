// A mock CRM Contacts page with the pulse-sync card inside, as the original prototype placed it:
// above the contact list, which the card refreshes after each sync.
import { StrictMode, useCallback, useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { PulseClient, type Profile } from "@pulse-sync/client";
import { AutoSyncSettings } from "@pulse-sync/react";
import "@pulse-sync/react/styles.css";

import { readConnection, type PulseConnection } from "./connection";
import "./page.css";

function ContactList({ client, workspaceId, version }: { client: PulseClient; workspaceId: string; version: number }) {
  const [query, setQuery] = useState("");
  const [profiles, setProfiles] = useState<Profile[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const found: Profile[] = [];
        for await (const profile of client.profiles(workspaceId, { q: query || undefined, limit: 100, signal: controller.signal })) {
          found.push(profile);
        }
        setProfiles(found);
        setError(null);
      } catch (failure) {
        if (!controller.signal.aborted) setError((failure as Error).message);
      }
    }, 150);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, workspaceId, query, version]);

  return (
    <section className="crm-panel" aria-labelledby="contacts-title">
      <div className="crm-panel-head">
        <h2 id="contacts-title">Google contacts</h2>
        <label className="crm-search">
          <span>Search</span>
          <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} />
        </label>
      </div>
      {error ? <p role="alert" className="crm-error">{error}</p> : null}
      {profiles === null ? (
        <p className="crm-muted">Loading contacts…</p>
      ) : profiles.length === 0 ? (
        <p className="crm-muted">No contacts synced yet.</p>
      ) : (
        <table className="crm-table" aria-labelledby="contacts-title">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Organization</th></tr>
          </thead>
          <tbody>
            {profiles.map((profile) => (
              <tr key={profile.id}>
                <td>{profile.display_name ?? "—"}</td>
                <td>{profile.primary_email ?? "—"}</td>
                <td>{profile.phones[0] ?? "—"}</td>
                <td>{profile.organization ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="crm-muted crm-count" aria-live="polite">
        {profiles && profiles.length > 0 ? `${profiles.length} contact${profiles.length === 1 ? "" : "s"}` : ""}
      </p>
    </section>
  );
}

function ContactsPage({ connection }: { connection: PulseConnection }) {
  const client = useMemo(
    () => new PulseClient({ baseUrl: connection.apiUrl, apiKey: connection.apiKey }),
    [connection.apiUrl, connection.apiKey],
  );
  const [version, setVersion] = useState(0);
  const synced = useCallback(() => setVersion((value) => value + 1), []);
  return (
    <>
      <h1>Contacts</h1>
      <AutoSyncSettings client={client} workspaceId={connection.workspaceId} onSyncComplete={synced} />
      <nav className="crm-tabs" aria-label="Contact lists">
        <span aria-current="page">Google</span>
        <span>Imported</span>
        <span>Archived</span>
      </nav>
      <ContactList client={client} workspaceId={connection.workspaceId} version={version} />
    </>
  );
}

function App() {
  const [connection] = useState(readConnection);
  return (
    <div className="crm">
      <header className="crm-header">
        <strong className="crm-brand">Logos Vision CRM</strong>
        <nav aria-label="Main">
          <a href="#" aria-disabled="true">Dashboard</a>
          <a href="/" aria-current="page">Contacts</a>
          <a href="#" aria-disabled="true">Projects</a>
        </nav>
      </header>
      <main className="crm-main">
        {connection ? (
          <ContactsPage connection={connection} />
        ) : (
          <section className="crm-panel" role="alert">
            <h1>Contacts</h1>
            <p>
              This page needs pulse-sync's address and a key. Start it with <code>npm run demo</code> in
              <code> clients/</code> and open the address it prints.
            </p>
          </section>
        )}
      </main>
    </div>
  );
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
