/**
 * Test hosts made of Linux network namespaces (needs root and `ip`): a server host whose bridge joins a
 * master host, a slave host and this process's own namespace (the user's machine), each over a veth
 * pair, on one private /24 chosen per run. Addresses exist only on those links: nothing listens on
 * 127.0.0.1. Names carry a per-run tag, so concurrent runs never collide.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export type HostName = 'server' | 'master' | 'slave';

export interface NetnsLab {
  /** Namespace name of each host (for `ip netns exec`). */
  namespace: Record<HostName, string>;
  /** Each host's address on the lab network. */
  address: Record<HostName, string>;
  /** Takes a host's only link down (`ip link set eth0 down` inside it), as a pulled cable would. */
  cut(host: Exclude<HostName, 'server'>): void;
  restore(host: Exclude<HostName, 'server'>): void;
  /** Kills every process left in the lab's namespaces and deletes them (idempotent, never throws). */
  destroy(): void;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A 10.x.y.0/24 that no route of this host's namespace already covers. */
function freeSubnet(): string {
  const routes = ip('-4', 'route', 'show', 'table', 'all');
  for (let attempt = 0; attempt < 50; attempt++) {
    const [x, y] = randomBytes(2);
    const prefix = `10.${64 + ((x as number) % 128)}.${y as number}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 subnet for the test hosts');
}

export function createNetnsLab(): NetnsLab {
  const tag = randomBytes(3).toString('hex');
  const subnet = freeSubnet();
  const namespace: Record<HostName, string> = {
    server: `amto-${tag}-server`,
    master: `amto-${tag}-master`,
    slave: `amto-${tag}-slave`,
  };
  const address: Record<HostName, string> = {
    server: `${subnet}.1`,
    master: `${subnet}.2`,
    slave: `${subnet}.3`,
  };
  const userAddress = `${subnet}.254`;
  // The root-namespace end of the user's link; its peer (and so this end) dies with the server namespace.
  const userLink = `am${tag}u`;
  let destroyed = false;

  const lab: NetnsLab = {
    namespace,
    address,
    cut: (host) => void ip('-n', namespace[host], 'link', 'set', 'eth0', 'down'),
    restore: (host) => void ip('-n', namespace[host], 'link', 'set', 'eth0', 'up'),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      process.off('exit', lab.destroy);
      for (const name of Object.values(namespace)) {
        try {
          for (const pid of ip('netns', 'pids', name).split('\n').filter(Boolean)) {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              // already gone
            }
          }
        } catch {
          // namespace never created
        }
        try {
          ip('netns', 'delete', name);
        } catch {
          // namespace never created
        }
      }
      try {
        ip('link', 'delete', userLink);
      } catch {
        // removed with its peer
      }
    },
  };
  // A test that throws or a process that exits early still removes the hosts.
  process.on('exit', lab.destroy);
  try {
    const server = namespace.server;
    for (const name of Object.values(namespace)) {
      ip('netns', 'add', name);
      ip('-n', name, 'link', 'set', 'lo', 'up');
    }
    ip('-n', server, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', server, 'addr', 'add', `${address.server}/24`, 'dev', 'br0');
    ip('-n', server, 'link', 'set', 'br0', 'up');
    const attach = (hostEnd: string, bridgeEnd: string): void => {
      ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', bridgeEnd);
      ip('link', 'set', bridgeEnd, 'netns', server);
      ip('-n', server, 'link', 'set', bridgeEnd, 'master', 'br0');
      ip('-n', server, 'link', 'set', bridgeEnd, 'up');
    };
    for (const host of ['master', 'slave'] as const) {
      const hostEnd = `am${tag}${host[0]}`;
      attach(hostEnd, `br${tag}${host[0]}`);
      ip('link', 'set', hostEnd, 'netns', namespace[host]);
      ip('-n', namespace[host], 'link', 'set', hostEnd, 'name', 'eth0');
      ip('-n', namespace[host], 'addr', 'add', `${address[host]}/24`, 'dev', 'eth0');
      ip('-n', namespace[host], 'link', 'set', 'eth0', 'up');
    }
    attach(userLink, `br${tag}u`);
    ip('addr', 'add', `${userAddress}/24`, 'dev', userLink);
    ip('link', 'set', userLink, 'up');
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
}
