// `npm run bench -- <name…>`: runs the named benchmarks (all when none are
// named) and prints their figures as JSON lines, one per benchmark.

const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  sim: async () => (await import('./sim.ts')).benchSim(),
  listen: async () => (await import('./listen.ts')).benchListen(),
  pods: async () => (await import('./pods.ts')).benchPods(),
  delivery: async () => (await import('./delivery.ts')).benchDelivery(),
  rules: async () => (await import('./rules.ts')).benchRules(),
  grpc: async () => (await import('./grpc.ts')).benchGrpc(),
  chatops: async () => (await import('./chatops.ts')).benchChatops(),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !(n in benches));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}\n`);
  process.exit(2);
}
for (const name of names.length ? names : Object.keys(benches)) {
  const figures = await benches[name]();
  process.stdout.write(JSON.stringify({ bench: name, ...figures }) + '\n');
}
process.exit(0);
