/** `useAutoSync`: the card's state and actions over a `PulseClient`, for a CRM that draws its own UI. */
import { useCallback, useEffect, useRef, useState } from "react";
import {
  PulseApiError,
  describeJobResult,
  isAbortError,
  isFinished,
  type AutoSyncConfig,
  type Job,
  type PulseClient,
} from "@pulse-sync/client";

import { oauthReturnText } from "./texts.js";

/** A line of feedback, an error or not. */
export interface Message {
  /** The words ("" for none). */
  text: string;
  /** Whether it reports a failure. */
  error: boolean;
}

/** Why the settings could not be loaded. */
export interface LoadError {
  /** For people. */
  message: string;
  /** The key was refused (401 or 403): trying again cannot help. */
  refused: boolean;
}

/** Options of `useAutoSync`. */
export interface UseAutoSyncOptions {
  /** Milliseconds between polls of a running job (default 500). */
  pollIntervalMs?: number;
  /** Milliseconds between quiet refreshes of the settings and jobs, so "Next sync" stays current (default 60,000; 0: never). */
  refreshIntervalMs?: number;
  /** Jobs shown in the recent list (default 10). */
  jobsLimit?: number;
  /** Where Google's consent returns the browser (default: this page without its fragment). */
  returnTo?: string;
  /** Opens Google's consent URL (default: `window.location.assign`). */
  onNavigate?: (authorizationUrl: string) => void;
  /** Called once a sync this card followed has ended. */
  onSyncComplete?: (job: Job) => void;
  /** Read `?google=connected|error&reason=…` from the address after a consent, and remove it (default true). */
  readOAuthReturn?: boolean;
}

/** What the card shows and can do. */
export interface AutoSyncState {
  /** `loading` (the first load), `error` (it failed), `ready`. */
  status: "loading" | "error" | "ready";
  /** The settings, once loaded. */
  config: AutoSyncConfig | null;
  /** The recent jobs, newest first. */
  jobs: Job[];
  /** Why loading failed. */
  loadError: LoadError | null;
  /** A settings change is on its way. */
  saving: boolean;
  /** The last settings change's outcome (or the return from Google's consent). */
  settingsMessage: Message;
  /** The sync being followed, while it is queued or running. */
  activeJob: Job | null;
  /** The last followed sync's result. */
  syncResult: Message;
  /** Loads everything again (the "Try again" button). */
  reload: () => Promise<void>;
  /** Turns auto-sync on or off (keeping the interval). */
  setEnabled: (enabled: boolean) => Promise<void>;
  /** Sets the interval in hours (keeping on or off). */
  setIntervalHours: (hours: number) => Promise<void>;
  /** Starts a manual sync (or follows the one already running) and follows it to its end. */
  syncNow: () => Promise<void>;
  /** Opens Google's consent for this workspace (Connect or Reconnect). */
  connect: () => Promise<void>;
  /** Shows a line under the settings (e.g. a refused custom interval). */
  setSettingsMessage: (message: Message) => void;
}

const NO_MESSAGE: Message = { text: "", error: false };

function currentPage(): string {
  const url = new URL(window.location.href);
  url.hash = "";
  url.searchParams.delete("google");
  url.searchParams.delete("reason");
  return url.toString();
}

/** The card's state for `workspaceId`, loaded through `client` and kept current. */
export function useAutoSync(client: PulseClient, workspaceId: string, options: UseAutoSyncOptions = {}): AutoSyncState {
  const { pollIntervalMs = 500, refreshIntervalMs = 60_000, jobsLimit = 10, readOAuthReturn = true } = options;
  const [status, setStatus] = useState<AutoSyncState["status"]>("loading");
  const [config, setConfig] = useState<AutoSyncConfig | null>(null);
  const [jobs, setJobs] = useState<Job[]>([]);
  const [loadError, setLoadError] = useState<LoadError | null>(null);
  const [saving, setSaving] = useState(false);
  const [settingsMessage, setSettingsMessage] = useState<Message>(NO_MESSAGE);
  const [activeJob, setActiveJob] = useState<Job | null>(null);
  const [syncResult, setSyncResult] = useState<Message>(NO_MESSAGE);

  // Everything this card started stops when the client or workspace changes, or it unmounts.
  const lifetime = useRef<AbortController | null>(null);
  const savingRef = useRef(false);
  const followingRef = useRef<string | null>(null);
  const latest = useRef(options);
  latest.current = options;

  const refresh = useCallback(
    async (signal: AbortSignal) => {
      const [nextConfig, page] = await Promise.all([
        client.getAutoSyncConfig(workspaceId, { signal }),
        client.listJobs(workspaceId, { limit: jobsLimit, signal }),
      ]);
      setConfig(nextConfig);
      setJobs(page.items);
      return page.items;
    },
    [client, workspaceId, jobsLimit],
  );

  const follow = useCallback(
    async (job: Job, signal: AbortSignal) => {
      if (followingRef.current === job.id) return;
      followingRef.current = job.id;
      setActiveJob(job);
      setSyncResult(NO_MESSAGE);
      try {
        const finished = await client.watchJob(job, {
          signal,
          intervalMs: pollIntervalMs,
          onProgress: (progress) => {
            if (!isFinished(progress)) setActiveJob(progress);
          },
        });
        if (followingRef.current === job.id) followingRef.current = null;
        setActiveJob(null);
        setSyncResult({ text: describeJobResult(finished), error: finished.status !== "completed" });
        // The sync may have paused auto-sync: an earlier "Auto-sync is on" would contradict it.
        setSettingsMessage(NO_MESSAGE);
        await refresh(signal).catch(() => undefined);
        latest.current.onSyncComplete?.(finished);
      } catch (error) {
        if (followingRef.current === job.id) followingRef.current = null;
        if (signal.aborted || isAbortError(error)) return;
        setActiveJob(null);
        setSyncResult({ text: (error as Error).message, error: true });
      }
    },
    [client, pollIntervalMs, refresh],
  );

  const load = useCallback(
    async (signal: AbortSignal) => {
      setStatus("loading");
      setLoadError(null);
      try {
        const recent = await refresh(signal);
        setStatus("ready");
        const running = recent.find((job) => !isFinished(job));
        if (running) void follow(running, signal);
      } catch (error) {
        if (signal.aborted || isAbortError(error)) return;
        const refused = error instanceof PulseApiError && (error.status === 401 || error.status === 403);
        setLoadError({
          refused,
          message: refused
            ? "The API key was not accepted for this workspace."
            : (error as Error).message,
        });
        setStatus("error");
      }
    },
    [refresh, follow],
  );

  useEffect(() => {
    const controller = new AbortController();
    lifetime.current = controller;
    followingRef.current = null;
    // Another workspace or server: nothing of the previous one stays on screen.
    setConfig(null);
    setJobs([]);
    setActiveJob(null);
    setSyncResult(NO_MESSAGE);
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  // Back from Google's consent: say how it went, once, and tidy the address.
  useEffect(() => {
    if (!readOAuthReturn || typeof window === "undefined") return;
    const url = new URL(window.location.href);
    const outcome = url.searchParams.get("google");
    if (!outcome) return;
    setSettingsMessage({ text: oauthReturnText(outcome, url.searchParams.get("reason")), error: outcome !== "connected" });
    url.searchParams.delete("google");
    url.searchParams.delete("reason");
    window.history.replaceState(window.history.state, "", url.toString());
  }, [readOAuthReturn]);

  // Quiet refreshes keep "Next sync: in 23 hours" and the jobs current.
  useEffect(() => {
    if (status !== "ready" || refreshIntervalMs <= 0) return;
    const timer = setInterval(() => {
      const signal = lifetime.current?.signal;
      if (!signal || signal.aborted || savingRef.current || followingRef.current) return;
      void refresh(signal)
        .then((recent) => {
          const running = recent.find((job) => !isFinished(job));
          if (running) void follow(running, signal);
        })
        .catch(() => undefined);
    }, refreshIntervalMs);
    return () => clearInterval(timer);
  }, [status, refreshIntervalMs, refresh, follow]);

  const save = useCallback(
    async (enabled: boolean, intervalHours?: number) => {
      const signal = lifetime.current?.signal;
      // One change at a time: a second click before the answer would race the first.
      if (!signal || savingRef.current) return;
      savingRef.current = true;
      setSaving(true);
      setSettingsMessage({ text: "Saving…", error: false });
      try {
        const change = intervalHours === undefined ? { enabled } : { enabled, interval_hours: intervalHours };
        const saved = await client.updateAutoSyncConfig(workspaceId, change, { signal });
        setConfig(saved);
        setSettingsMessage({ text: saved.enabled ? "Auto-sync is on" : "Auto-sync is off", error: false });
      } catch (error) {
        if (signal.aborted || isAbortError(error)) return;
        setSettingsMessage({ text: (error as Error).message, error: true });
      } finally {
        savingRef.current = false;
        if (!signal.aborted) setSaving(false);
      }
    },
    [client, workspaceId],
  );

  const syncNow = useCallback(async () => {
    const signal = lifetime.current?.signal;
    if (!signal || followingRef.current) return;
    try {
      const { job } = await client.syncNow(workspaceId, { signal });
      await follow(job, signal);
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      setSyncResult({ text: (error as Error).message, error: true });
    }
  }, [client, workspaceId, follow]);

  const connect = useCallback(async () => {
    const signal = lifetime.current?.signal;
    if (!signal) return;
    try {
      const returnTo = latest.current.returnTo ?? currentPage();
      const url = await client.connectGoogle(workspaceId, { returnTo, signal });
      const navigate = latest.current.onNavigate ?? ((target: string) => window.location.assign(target));
      navigate(url);
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      setSettingsMessage({ text: (error as Error).message, error: true });
    }
  }, [client, workspaceId]);

  const reload = useCallback(async () => {
    const signal = lifetime.current?.signal;
    if (signal) await load(signal);
  }, [load]);

  const setEnabled = useCallback((enabled: boolean) => save(enabled), [save]);
  const setIntervalHours = useCallback(
    (hoursValue: number) => save(config?.enabled ?? false, hoursValue),
    [save, config?.enabled],
  );

  return {
    status,
    config,
    jobs,
    loadError,
    saving,
    settingsMessage,
    activeJob,
    syncResult,
    reload,
    setEnabled,
    setIntervalHours,
    syncNow,
    connect,
    setSettingsMessage,
  };
}
