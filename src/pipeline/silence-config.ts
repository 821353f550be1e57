// The `silences:` section: how long a silence may last without force, and
// how often a running kubeherald looks for silences another process (the
// CLI, a second replica) added or expired in the state database.

import { z } from 'zod';
import { count, strict } from '../config-kit/fields.ts';
import { parseDuration } from '../rules/silence.ts';

export const silencesSchema = strict({
  /** the longest a silence may last unless forced ("7d", "12h", "90m") */
  maxDuration: z
    .string()
    .refine((s) => parseDuration(s) !== undefined, { error: 'expected a duration such as 7d, 12h, 90m or 1d12h' })
    .default('7d'),
  /** how often silences added or expired by another process (kubeherald silence …) are picked up */
  refreshSeconds: count(1).default(5),
});

export type SilencesConfig = z.infer<typeof silencesSchema>;

export const maxDurationMs = (c: SilencesConfig): number => parseDuration(c.maxDuration)!;
