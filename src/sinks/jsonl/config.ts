// The jsonl sink's configuration (documented in docs/config.md).

import { z } from 'zod';
import { dnsLabel, strict } from '../../config-kit/fields.ts';
import { sinkDeliveryFields } from '../../contracts/delivery.ts';

export const jsonlSinkSchema = strict({
  name: dnsLabel,
  type: z.literal('jsonl'),
  /** "-" is stdout; anything else a file, appended to, its directories created */
  path: z.string().min(1).default('-'),
  /** raw objects are large and may hold data (env values, annotations) not meant for every reader */
  includeRawObject: z.boolean().default(false),
  ...sinkDeliveryFields,
});

export type JsonlSinkConfig = z.output<typeof jsonlSinkSchema>;
