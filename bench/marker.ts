// Bench markers: Warning events whose message carries the time the
// simulator stamped them and their sequence number, so the far end of a
// sink can time each and check their order. Pure: no I/O.

/** The message of marker `seq`, created at `nowMs`. */
export const markerMessage = (seq: number, nowMs: number): string => `sent ${nowMs} seq ${seq}`;

const MARKER = /sent (\d{13})(?: seq (\d+))?/g;

/**
 * The markers a post carries, each once: a chat message may repeat its text
 * (Slack's text and blocks). `seqs[i]` is stamps[i]'s sequence number, -1
 * when it has none.
 */
export function markerStamps(body: string): { stamps: number[]; seqs: number[] } {
  const stamps: number[] = [];
  const seqs: number[] = [];
  const seen = new Set<string>();
  for (const m of body.matchAll(MARKER)) {
    if (seen.has(m[0])) continue;
    seen.add(m[0]);
    stamps.push(Number(m[1]));
    seqs.push(m[2] === undefined ? -1 : Number(m[2]));
  }
  return { stamps, seqs };
}
