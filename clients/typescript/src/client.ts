/** `PulseClient`: the typed transport (openapi-fetch over the generated paths) and the calls a CRM needs. */
import createClient, { type Client } from "openapi-fetch";

import { PulseApiError, PulseNetworkError, isAbortError } from "./errors.js";
import { isFinished } from "./format.js";
import type { paths } from "./schema.js";
import type {
  AutoSyncConfig,
  AutoSyncConfigChange,
  Job,
  JobPage,
  Profile,
  ProfileChangePage,
  ProfilePage,
} from "./types.js";

/** How to reach pulse-sync. */
export interface PulseClientOptions {
  /** The server's base URL, e.g. `https://sync.example.com` (the `/api/...` paths are added). */
  baseUrl: string;
  /** An API key of the workspace (or an admin key), sent as `Authorization: Bearer`. */
  apiKey: string;
  /** The fetch to use (default: the global one), e.g. to add tracing. */
  fetch?: typeof globalThis.fetch;
  /** Headers added to every request. */
  headers?: Record<string, string>;
}

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the request (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** What `syncNow` started or found. */
export interface SyncStart {
  /** The new job, or the one already queued or running. */
  job: Job;
  /** True when a sync was already queued or running (the API's 409 `sync_in_progress`). */
  alreadyRunning: boolean;
}

/** Options of `watchJob`. */
export interface WatchOptions extends CallOptions {
  /** Called with the job at the start and whenever its status or counts change. */
  onProgress?: (job: Job) => void;
  /** Milliseconds between polls (default 500). */
  intervalMs?: number;
  /** Failed polls in a row (network, 429, 5xx) tolerated before giving up (default 5). */
  maxConsecutiveErrors?: number;
}

/** Options of `listJobs`. */
export interface JobListOptions extends CallOptions {
  /** Jobs per page (default 20, at most 100). */
  limit?: number;
  /** The `next_cursor` of the previous page. */
  cursor?: string;
}

/** Options of `listProfiles` and `profiles`. */
export interface ProfileListOptions extends CallOptions {
  /** Profiles per page (default 50, at most 500). */
  limit?: number;
  /** The `next_cursor` of the previous page (`listProfiles` only). */
  cursor?: string;
  /** Text to find in names and emails, case-insensitive (at most 200 characters). */
  q?: string;
  /** Also list profiles deleted on Google's side, with their `deleted_at`. */
  includeDeleted?: boolean;
}

/** Options of `changes`. */
export interface ChangeFeedOptions extends CallOptions {
  /** The `next_cursor` stored from an earlier page; without it the feed starts from the beginning. */
  after?: string;
  /** Changes per page (default 100, at most 1000). */
  limit?: number;
  /** Keep polling for new changes once caught up, until the signal aborts (default false: end). */
  follow?: boolean;
  /** Milliseconds between polls once caught up, with `follow` (default 5,000). */
  pollIntervalMs?: number;
}

/** Options of `connectGoogle`. */
export interface ConnectOptions extends CallOptions {
  /** Where Google's consent returns the browser (this server's origin or a `PULSE_CORS_ORIGINS` one). */
  returnTo?: string;
  /**
   * Bind the consent to this browser (a frontend calling from the user's browser): the answer
   * sets an HttpOnly cookie the callback checks. Sends the request with credentials. Default true.
   */
  bindBrowser?: boolean;
}

const API = "/api/logos-vision";

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The pulse-sync API, typed from its OpenAPI document. */
export class PulseClient {
  /** The raw openapi-fetch client over every path of the document, for what its methods do not cover. */
  readonly api: Client<paths>;

  constructor(options: PulseClientOptions) {
    const clientOptions: Parameters<typeof createClient>[0] = {
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      headers: { ...options.headers, Authorization: `Bearer ${options.apiKey}` },
    };
    if (options.fetch) clientOptions.fetch = options.fetch;
    this.api = createClient<paths>(clientOptions);
  }

  /** The workspace's auto-sync settings (defaults when it never saved any: off, every 24 hours). */
  getAutoSyncConfig(workspaceId: string, options: CallOptions = {}): Promise<AutoSyncConfig> {
    return answer(
      this.api.GET(`${API}/auto-sync/config`, {
        params: { query: { workspace_id: workspaceId } },
        signal: options.signal,
      }),
      options.signal,
    );
  }

  /** Turns auto-sync on or off, and sets the interval when `interval_hours` is given. */
  updateAutoSyncConfig(
    workspaceId: string,
    change: AutoSyncConfigChange,
    options: CallOptions = {},
  ): Promise<AutoSyncConfig> {
    return answer(
      this.api.PUT(`${API}/auto-sync/config`, {
        body: { workspace_id: workspaceId, ...change },
        signal: options.signal,
      }),
      options.signal,
    );
  }

  /** Queues a manual sync; when one is already queued or running, answers that job instead of failing. */
  async syncNow(workspaceId: string, options: CallOptions = {}): Promise<SyncStart> {
    try {
      const job = await answer(
        this.api.POST(`${API}/google-contacts/sync`, {
          body: { workspace_id: workspaceId },
          signal: options.signal,
        }),
        options.signal,
      );
      return { job, alreadyRunning: false };
    } catch (error) {
      if (error instanceof PulseApiError && error.code === "sync_in_progress" && error.jobId) {
        return { job: await this.getJob(error.jobId, options), alreadyRunning: true };
      }
      throw error;
    }
  }

  /** One job (any workspace the key may see; another's answers 404 `job_not_found`). */
  getJob(jobId: string, options: CallOptions = {}): Promise<Job> {
    return answer(
      this.api.GET(`${API}/google-contacts/sync/jobs/{id}`, {
        params: { path: { id: jobId } },
        signal: options.signal,
      }),
      options.signal,
    );
  }

  /** A page of the workspace's jobs, newest first. */
  listJobs(workspaceId: string, options: JobListOptions = {}): Promise<JobPage> {
    return answer(
      this.api.GET(`${API}/google-contacts/sync/jobs`, {
        params: { query: { workspace_id: workspaceId, limit: options.limit, cursor: options.cursor } },
        signal: options.signal,
      }),
      options.signal,
    );
  }

  /**
   * Polls a job until it ends and answers it finished; `onProgress` sees each change. Network
   * failures, 429 and 5xx are retried (up to `maxConsecutiveErrors` in a row); other errors and
   * the signal's abort reject.
   */
  async watchJob(job: Job | string, options: WatchOptions = {}): Promise<Job> {
    const { onProgress, signal, intervalMs = 500, maxConsecutiveErrors = 5 } = options;
    let current = typeof job === "string" ? await this.getJob(job, { signal }) : job;
    onProgress?.(current);
    let errors = 0;
    while (!isFinished(current)) {
      await sleep(errors === 0 ? intervalMs : intervalMs * 4, signal);
      let next: Job;
      try {
        next = await this.getJob(current.id, { signal });
      } catch (error) {
        const retryable =
          (error instanceof PulseApiError && error.retryable) || error instanceof PulseNetworkError;
        errors += 1;
        if (!retryable || errors >= maxConsecutiveErrors) throw error;
        continue;
      }
      errors = 0;
      if (changed(current, next)) onProgress?.(next);
      current = next;
    }
    return current;
  }

  /** A page of the workspace's live profiles (by display name). */
  listProfiles(workspaceId: string, options: ProfileListOptions = {}): Promise<ProfilePage> {
    return answer(
      this.api.GET(`${API}/google-contacts/profiles`, {
        params: {
          query: {
            workspace_id: workspaceId,
            limit: options.limit,
            cursor: options.cursor,
            q: options.q,
            include_deleted: options.includeDeleted,
          },
        },
        signal: options.signal,
      }),
      options.signal,
    );
  }

  /** Every page of profiles, one request per page, from the first (or `cursor`) to the last. */
  async *profilePages(workspaceId: string, options: ProfileListOptions = {}): AsyncGenerator<ProfilePage> {
    let cursor = options.cursor;
    for (;;) {
      const page = await this.listProfiles(workspaceId, { ...options, cursor });
      yield page;
      if (!page.next_cursor) return;
      cursor = page.next_cursor;
    }
  }

  /** Every profile, page after page: `for await (const profile of client.profiles("user-42")) …`. */
  async *profiles(workspaceId: string, options: ProfileListOptions = {}): AsyncGenerator<Profile> {
    for await (const page of this.profilePages(workspaceId, options)) yield* page.items;
  }

  /**
   * The workspace's change feed, page by page from `after` (the start of the feed without it):
   * `for await (const page of pulse.changes("user-42", { after: saved })) { apply(page.items); save(page.next_cursor); }`.
   * Applying the items in order mirrors the live profiles. Without `follow` it ends once caught up;
   * with it, it polls every `pollIntervalMs` for new changes until the signal aborts.
   */
  async *changes(workspaceId: string, options: ChangeFeedOptions = {}): AsyncGenerator<ProfileChangePage> {
    const { follow = false, pollIntervalMs = 5_000, limit, signal } = options;
    let after = options.after;
    for (;;) {
      const page = await answer(
        this.api.GET(`${API}/google-contacts/profiles/changes`, {
          params: { query: { workspace_id: workspaceId, after, limit } },
          signal,
        }),
        signal,
      );
      after = page.next_cursor;
      if (page.items.length > 0) {
        yield page;
        continue;
      }
      if (!follow) return;
      await sleep(pollIntervalMs, signal);
    }
  }

  /**
   * Starts connecting (or reconnecting) the workspace's Google account and answers Google's
   * consent URL for the browser to open (`window.location.assign(url)`).
   */
  async connectGoogle(workspaceId: string, options: ConnectOptions = {}): Promise<string> {
    const bindBrowser = options.bindBrowser ?? true;
    const body: { workspace_id: string; return_to?: string; bind_browser?: boolean } = {
      workspace_id: workspaceId,
      bind_browser: bindBrowser,
    };
    if (options.returnTo) body.return_to = options.returnTo;
    const answered = await answer(
      this.api.POST(`${API}/google/connect`, {
        body,
        signal: options.signal,
        // The binding cookie is kept only from a request sent with credentials.
        credentials: bindBrowser ? "include" : "same-origin",
      }),
      options.signal,
    );
    return answered.authorization_url;
  }

  /** Forgets the workspace's Google tokens and revokes the grant at Google. */
  async disconnectGoogle(workspaceId: string, options: CallOptions = {}): Promise<void> {
    const result = await call(
      this.api.DELETE(`${API}/google/connection`, {
        params: { query: { workspace_id: workspaceId } },
        signal: options.signal,
      }),
      options.signal,
    );
    if (!result.response.ok) throw PulseApiError.fromResponse(result.response, result.error);
  }
}

/** A client for `options` (the same as `new PulseClient(options)`). */
export function createPulseClient(options: PulseClientOptions): PulseClient {
  return new PulseClient(options);
}

/**
 * The request's result; a failure to reach the server becomes a `PulseNetworkError`, and an
 * aborted `signal` rejects with its reason.
 */
async function call<T>(request: Promise<Result<T>>, signal?: AbortSignal): Promise<Result<T>> {
  try {
    return await request;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (isAbortError(error)) throw error;
    if (error instanceof SyntaxError) {
      throw new PulseNetworkError("The pulse-sync server sent an answer that is not JSON.", { cause: error });
    }
    throw new PulseNetworkError("The pulse-sync server cannot be reached. Check your connection.", { cause: error });
  }
}

/** The answer's data, or the typed error of its error body. */
async function answer<T>(request: Promise<Result<T>>, signal?: AbortSignal): Promise<T> {
  const result = await call(request, signal);
  if (!result.response.ok || result.data === undefined) {
    throw PulseApiError.fromResponse(result.response, result.error);
  }
  return result.data;
}

function changed(before: Job, after: Job): boolean {
  return (
    before.status !== after.status ||
    before.fetched !== after.fetched ||
    before.attempt !== after.attempt ||
    before.synced !== after.synced
  );
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
