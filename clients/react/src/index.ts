/**
 * `@pulse-sync/react`: the pulse-sync auto-sync settings card for a CRM page, and the hook under
 * it. Import `@pulse-sync/react/styles.css` once.
 */
export { AutoSyncSettings } from "./AutoSyncSettings.js";
export type { AutoSyncSettingsProps } from "./AutoSyncSettings.js";
export { PulseProvider, usePulseClient } from "./PulseProvider.js";
export type { PulseProviderProps } from "./PulseProvider.js";
export { useAutoSync } from "./useAutoSync.js";
export type { AutoSyncState, LoadError, Message, UseAutoSyncOptions } from "./useAutoSync.js";
export { connectionText, nextSyncText, oauthReturnText, pausedText } from "./texts.js";
