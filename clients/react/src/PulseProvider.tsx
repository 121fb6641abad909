/** `<PulseProvider>`: one `PulseClient` for every pulse-sync component and hook below it. */
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { PulseClient } from "@pulse-sync/client";

const PulseContext = createContext<PulseClient | null>(null);

/** Where pulse-sync is: `apiUrl` and `apiKey`, or a `client` of your own. */
export interface PulseProviderProps {
  /** The pulse-sync server, e.g. `https://sync.example.com`. */
  apiUrl?: string;
  /** An API key of the signed-in user's workspace. */
  apiKey?: string;
  /** A client of your own instead of `apiUrl` and `apiKey`. */
  client?: PulseClient;
  /** The page parts that use pulse-sync. */
  children?: ReactNode;
}

/** Provides one client to `<AutoSyncSettings>` and `usePulseClient()` below it. */
export function PulseProvider({ apiUrl, apiKey, client, children }: PulseProviderProps): ReactNode {
  const value = useMemo(() => {
    if (client) return client;
    if (!apiUrl || !apiKey) throw new Error("PulseProvider needs apiUrl and apiKey, or client");
    return new PulseClient({ baseUrl: apiUrl, apiKey });
  }, [client, apiUrl, apiKey]);
  return <PulseContext.Provider value={value}>{children}</PulseContext.Provider>;
}

/** The client of the nearest `<PulseProvider>`, or null outside one. */
export function usePulseClientOrNull(): PulseClient | null {
  return useContext(PulseContext);
}

/** The client of the nearest `<PulseProvider>` (throws outside one). */
export function usePulseClient(): PulseClient {
  const client = useContext(PulseContext);
  if (!client) throw new Error("usePulseClient must be used inside <PulseProvider>");
  return client;
}
