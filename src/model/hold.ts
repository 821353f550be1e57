// Why a notification is held back from chat (see src/pipeline/hold.ts): the
// kinds of holder and the reason one gives, shared by the pipeline, the
// store and the rules that produce holds.

export type HoldKind = 'silence' | 'inhibition' | 'window';

export const HOLD_KINDS: readonly HoldKind[] = ['silence', 'inhibition', 'window'];

export interface HoldReason {
  by: HoldKind;
  /** the silence's id, the cause's incident key, the time interval's name */
  id: string;
  /** one line for people: "silenced by s-42 (alice: node drain)" */
  text: string;
}

export function isHoldKind(s: string): s is HoldKind {
  return (HOLD_KINDS as readonly string[]).includes(s);
}
