import type { Command } from './command';
import { UsageError } from './usage-error';

/**
 * The commands, loaded only when called: `amto --help` and light commands stay fast and never load
 * TensorFlow.js.
 */
const commands: Array<{ name: string; summary: string; load: () => Promise<Command> }> = [
  {
    name: 'demo',
    summary: 'train the tiny example end to end (servers, workers, run, report)',
    load: async () => (await import('./commands/demo')).demoCommand,
  },
  {
    name: 'run',
    summary: 'start a training run from a JSON config and follow its progress',
    load: async () => (await import('./commands/run')).runCommand,
  },
  {
    name: 'status',
    summary: "show a run's progress or result (--follow to watch it)",
    load: async () => (await import('./commands/status')).statusCommand,
  },
  {
    name: 'list',
    summary: 'list training runs with status, round, best validation loss, model and dataset',
    load: async () => (await import('./commands/list')).listCommand,
  },
  {
    name: 'stop',
    summary: 'stop a run: finish the round in flight, then select the final model',
    load: async () => (await import('./commands/run-control')).stopCommand,
  },
  {
    name: 'pause',
    summary: 'pause a run before its next round (the round in flight completes)',
    load: async () => (await import('./commands/run-control')).pauseCommand,
  },
  {
    name: 'unpause',
    summary: 'continue a paused run',
    load: async () => (await import('./commands/run-control')).unpauseCommand,
  },
  {
    name: 'resume',
    summary: 'restart a dead run from its saved state as a new workflow',
    load: async () => (await import('./commands/resume')).resumeCommand,
  },
  {
    name: 'report',
    summary: 'write an HTML report with charts of a run',
    load: async () => (await import('./commands/report')).reportCommand,
  },
  {
    name: 'export',
    summary: "write a run's chosen model as tfjs model.json + weights.bin",
    load: async () => (await import('./commands/export')).exportCommand,
  },
  {
    name: 'import-weights',
    summary: 'import Keras Applications (.h5/.keras) or torchvision (.pth/.safetensors) weights',
    load: async () => (await import('./commands/import-weights')).importWeightsCommand,
  },
  {
    name: 'models',
    summary: 'list the model zoo with parameters and GFLOPs',
    load: async () => (await import('./commands/models')).modelsCommand,
  },
  {
    name: 'worker',
    summary: 'run a control, master or slave worker',
    load: async () => (await import('./commands/worker')).workerCommand,
  },
  {
    name: 'infra',
    summary: 'start, stop or inspect the local Temporal and MinIO servers',
    load: async () => (await import('./commands/infra')).infraCommand,
  },
];

function help(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'amto — Adaptive Multi-Task Optimization training on Temporal, TensorFlow.js and MinIO',
    '',
    'Usage: amto <command> [options]   (amto <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
  ].join('\n');
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) throw new UsageError(`amto: unknown command "${name}"\n\n${help()}`);
  const loaded = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(loaded.usage);
    return 0;
  }
  return loaded.run(rest);
}

run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exitCode = 2;
    } else {
      console.error(error instanceof Error ? `amto: ${error.message}` : error);
      process.exitCode = 1;
    }
  });
