// Types of serve.mjs for the TypeScript browser test.
export function serveExample(options?: { port?: number; apiOrigin?: () => string }): Promise<{
  origin: string;
  port: number;
  close(): Promise<void>;
}>;
export function pageUrl(origin: string, connection: { apiUrl: string; apiKey: string; workspaceId: string }): string;
export function parseSettingsPage(link: string): { apiUrl: string; apiKey: string; workspaceId: string };
