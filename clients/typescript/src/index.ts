/**
 * `@pulse-sync/client`: the pulse-sync HTTP API for TypeScript. The types are generated from the
 * server's OpenAPI document (`schema.d.ts`); its methods cover what a CRM frontend needs.
 */
export { PulseClient, createPulseClient } from "./client.js";
export type {
  CallOptions,
  ChangeFeedOptions,
  ConnectOptions,
  JobListOptions,
  ProfileListOptions,
  PulseClientOptions,
  SyncStart,
  WatchOptions,
} from "./client.js";
export { PulseApiError, PulseError, PulseNetworkError, isAbortError } from "./errors.js";
export { FINAL_STATUSES, describeJobProgress, describeJobResult, formatCount, isFinished } from "./format.js";
export type * from "./types.js";
export type { components, operations, paths } from "./schema.js";
