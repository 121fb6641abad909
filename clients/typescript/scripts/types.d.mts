// Types of types.mjs for the TypeScript tests.
export const SCHEMA_FILE: string;
export function generateSchema(document: unknown): Promise<string>;
export function fetchDocument(url: string): Promise<unknown>;
export function describeDifference(expected: string, actual: string, context?: number): string;
