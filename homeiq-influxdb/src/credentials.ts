import { writeFileAtomic } from '@homeiq/shared';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as z from 'zod';

/** What we must keep to manage InfluxDB after onboarding; lives only in the data dir, mode 0600. */
const credentialsSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(8),
  operatorToken: z.string().min(16),
  orgId: z.string().optional(),
  /** The raw bucket the sibling tokens were scoped to; a different one on start means: revoke them. */
  rawBucketId: z.string().optional(),
});
export type Credentials = z.infer<typeof credentialsSchema>;

/** Fresh random operator credentials (256-bit token, 192-bit password). */
export function generateCredentials(): Credentials {
  return {
    username: 'homeiq-operator',
    password: randomBytes(24).toString('base64url'),
    operatorToken: randomBytes(32).toString('base64url'),
  };
}

export class CredentialsStore {
  constructor(readonly file: string) {}

  async load(): Promise<Credentials | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = credentialsSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(
        `${this.file} is damaged (${parsed.error.issues[0]?.message ?? 'invalid'}); restore it from a backup`,
      );
    return parsed.data;
  }

  /** Atomic replace (0600 temp file, fsync, rename) so a crash never leaves half a file. */
  async save(c: Credentials): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, `${JSON.stringify(c, null, 2)}\n`);
  }
}
