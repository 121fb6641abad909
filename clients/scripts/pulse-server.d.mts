// Types of pulse-server.mjs for the TypeScript tests.
export const DEMO_START_MS: number;
export function freshAdminKey(): string;
export function binaryPath(): string;
export function redact(text: string): string;
export interface PulseServer {
  /** The API's base URL, e.g. http://127.0.0.1:41234. */
  baseUrl: string;
  /** The key the demo printed, for the workspace `demo`. */
  apiKey: string;
  /** `demo`. */
  workspaceId: string;
  /** The fake Google's base URL. */
  fakeGoogle: string;
  demo: { tail(lines?: number): string; stdout: string; stderr: string };
  stop(): Promise<void>;
}
export function startPulseServer(options?: { corsOrigins?: string[]; adminKey?: string }): Promise<PulseServer>;
