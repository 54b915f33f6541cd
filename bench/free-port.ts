import { createServer } from 'node:net';

/**
 * A loopback port that nothing listens on right now. The service takes its port from the
 * environment, so the port is chosen here; another process could take it in between, in which
 * case that server fails to start and the benchmark says so.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port was assigned'));
      });
    });
  });
}
