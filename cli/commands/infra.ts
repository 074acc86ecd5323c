import { describeEnvironment, loadEnvironment } from '../../infra/environment';
import { serverStatus, startServers, stopServers } from '../../infra/servers';
import { selectBackend } from '../../ml/backend';
import { parseCommandArgs, type Command } from '../command';
import { UsageError } from '../usage-error';

const usage = `Usage: amto infra up|down|status [--json]

  up      start the local Temporal dev server (gRPC, web UI) and MinIO unless they already run
  down    stop the servers that 'amto infra up' started (servers started otherwise are left alone)
  status  show whether each server answers, the configuration in use (secrets hidden), and the compute
          backend a worker started here would get (native TensorFlow build, version, devices, threads)

Servers listen on 127.0.0.1; binaries and data live under AMTO_CACHE_DIR (default ~/.cache/amto).`;

export const infraCommand: Command = {
  name: 'infra',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { json: { type: 'boolean' } });
    const environment = loadEnvironment();
    const action = positionals[0];
    if (positionals.length !== 1)
      throw new UsageError(`amto infra: expected one of up, down, status\n\n${usage}`);
    switch (action) {
      case 'up':
        await startServers(environment);
        console.log(`Temporal web UI: ${environment.temporal.uiUrl}`);
        return 0;
      case 'down':
        if ((await stopServers(environment)).length === 0) console.log('[infra] nothing of ours was running');
        return 0;
      case 'status': {
        const servers = await serverStatus(environment);
        const compute = await selectBackend('auto', { log: () => undefined });
        if (values.json) {
          console.log(JSON.stringify({ servers, environment: describeEnvironment(environment), compute }));
        } else {
          for (const server of servers) {
            const owner = server.startedByUs ? `started by amto, pid ${server.pid}` : 'not started by amto';
            console.log(
              `${server.name.padEnd(9)} ${server.healthy ? 'up  ' : 'down'}  ${server.endpoints.join('  ')}  (${owner})`,
            );
          }
          for (const [key, value] of Object.entries(describeEnvironment(environment)))
            console.log(`${key}=${value}`);
          console.log(`compute backend: ${compute.backend} — ${compute.detail}`);
        }
        return servers.every((server) => server.healthy) ? 0 : 1;
      }
      default:
        throw new UsageError(
          `amto infra: unknown action "${action}"; expected up, down or status\n\n${usage}`,
        );
    }
  },
};
