/** The API's shapes under short names, all taken from the generated schema. */
import type { components } from "./schema.js";

type Schemas = components["schemas"];

/** A workspace's auto-sync settings (`GET/PUT /api/logos-vision/auto-sync/config`). */
export type AutoSyncConfig = Schemas["AutoSyncConfig"];
/** A settings change: auto-sync on or off, and optionally the interval in hours (1 to 720). */
export type AutoSyncConfigChange = Omit<Schemas["AutoSyncConfigUpdate"], "workspace_id">;
/** One sync job. */
export type Job = Schemas["Job"];
/** Where a job is: `queued`, `running`, `completed`, `failed` or `cancelled`. */
export type JobStatus = Schemas["JobStatus"];
/** What started a job: `auto` or `manual`. */
export type JobTrigger = Schemas["JobTrigger"];
/** A page of jobs, newest first. */
export type JobPage = Schemas["JobPage"];
/** One synced Google contact. */
export type Profile = Schemas["Profile"];
/** A page of profiles, by display name. */
export type ProfilePage = Schemas["ProfilePage"];
/** A page of the change feed: the changes after the cursor, oldest first, and the cursor to store. */
export type ProfileChangePage = Schemas["ProfileChangePage"];
/** One change of the feed: what the profile's latest write did, and the profile as it is now. */
export type ProfileChange = Schemas["ProfileChange"];
/** What a change did: `created`, `updated` or `deleted`. */
export type ProfileChangeKind = Schemas["ProfileChangeKind"];
/** The state of the workspace's Google grant. */
export type ConnectionState = Schemas["Connection"];
/** Why auto-sync paused itself although it is on. */
export type PausedReason = Schemas["PausedReason"];
/** Every error response's body. */
export type ErrorBody = Schemas["ErrorBody"];
/** The error inside an error body. */
export type ErrorDetail = Schemas["ErrorDetail"];
