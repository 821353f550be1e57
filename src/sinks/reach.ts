// What the sinks' reach checks (`kubeherald doctor`) share: a platform's
// JSON answer, within 10 seconds, its URL (which may hold a token) never in
// the error.

export async function platformJson(url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new Error(`unreachable (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`);
  }
  try {
    return await res.json();
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON`);
  }
}
