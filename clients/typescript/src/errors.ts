/** The errors the client throws: the API's documented error body, typed, or no answer at all. */
import type { ErrorBody, ErrorDetail } from "./types.js";

/** Any failure of a pulse-sync request. */
export class PulseError extends Error {
  override name = "PulseError";
}

/** The server answered with an error status; `code` is the stable code of docs/api.md. */
export class PulseApiError extends PulseError {
  override name = "PulseApiError";
  /** The HTTP status. */
  readonly status: number;
  /** The stable machine-readable code, e.g. `invalid_interval`, `sync_in_progress`. */
  readonly code: string;
  /** The request field at fault, for validation errors. */
  readonly field: string | null;
  /** The job already queued or running, for `sync_in_progress`. */
  readonly jobId: string | null;
  /** The id that ties a 500 or 503 to the server's log line with the detail. */
  readonly errorId: string | null;
  /** The body as the server sent it (null when it was not the documented error body). */
  readonly body: ErrorBody | null;

  constructor(status: number, detail: ErrorDetail | null, body: ErrorBody | null = null) {
    super(detail?.message ?? `The pulse-sync server answered ${status}`);
    this.status = status;
    this.code = detail?.code ?? "unexpected_response";
    this.field = detail?.field ?? null;
    this.jobId = detail?.job_id ?? null;
    this.errorId = detail?.error_id ?? null;
    this.body = body;
  }

  /** The error for a response and its parsed (or raw text) body. */
  static fromResponse(response: Response, body: unknown): PulseApiError {
    if (isErrorBody(body)) return new PulseApiError(response.status, body.error, body);
    return new PulseApiError(response.status, null);
  }

  /** Whether the same request may succeed later: 429, 5xx. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The server could not be reached, or its answer could not be read. */
export class PulseNetworkError extends PulseError {
  override name = "PulseNetworkError";
  /** Always retryable: nothing was answered. */
  readonly retryable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const detail = (body as { error: unknown }).error;
  return (
    typeof detail === "object" &&
    detail !== null &&
    typeof (detail as { code?: unknown }).code === "string" &&
    typeof (detail as { message?: unknown }).message === "string"
  );
}

/** Whether `error` is the abort of a request or a wait (an AbortSignal fired). */
export function isAbortError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    ((error as { name?: unknown }).name === "AbortError" ||
      (error as { name?: unknown }).name === "TimeoutError")
  );
}
