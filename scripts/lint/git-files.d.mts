export function listFiles(root: string): string[];
export function indexModes(root: string): Map<string, string>;
