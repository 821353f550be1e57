// The console sink's configuration (documented in docs/config.md).

import { z } from 'zod';
import { dnsLabel, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';

export const consoleSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('console'),
  /** auto: colour when stdout is a terminal and NO_COLOR is unset */
  color: z.enum(['auto', 'always', 'never']).default('auto'),
  ...sinkDeliveryFields,
});

export type ConsoleSinkConfig = z.output<typeof consoleSinkSchema>;
