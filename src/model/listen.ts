// Binding a server kubeherald runs (probes, webhooks, the plugin registry,
// the simulator's API server): resolves with the address once it listens,
// rejects with the reason it cannot (EADDRINUSE, EACCES …).

import type { AddressInfo, Server } from 'node:net';

export function listen(server: Server, port: number | undefined, host: string | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
