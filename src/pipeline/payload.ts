// How notifications are kept in the outbox and in groups: protobuf binary,
// one Notification, or for a group the members size-delimited one after
// another (varint length, then the message), so a row needs no other format.

import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { sizeDelimitedEncode, sizeDelimitedPeek } from '@bufbuild/protobuf/wire';
import { type Notification, NotificationSchema } from '../model/notification.ts';

export function encodeNotification(n: Notification): Uint8Array {
  return toBinary(NotificationSchema, n);
}

export function decodeNotification(bytes: Uint8Array): Notification {
  return fromBinary(NotificationSchema, bytes);
}

export function encodeGroup(ns: readonly Notification[]): Uint8Array {
  const parts = ns.map((n) => sizeDelimitedEncode(NotificationSchema, n));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function decodeGroup(bytes: Uint8Array): Notification[] {
  const out: Notification[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const peek = sizeDelimitedPeek(rest);
    if (peek.eof || peek.offset + peek.size > rest.length) throw new Error('truncated notification group in the state database');
    out.push(fromBinary(NotificationSchema, rest.subarray(peek.offset, peek.offset + peek.size)));
    rest = rest.subarray(peek.offset + peek.size);
  }
  return out;
}

/** A stored payload back to its notifications: a group's members, or the one notification. */
export function decodePayload(payload: Uint8Array, isGroup: boolean): Notification[] {
  return isGroup ? decodeGroup(payload) : [decodeNotification(payload)];
}
