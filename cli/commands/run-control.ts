import { loadEnvironment } from '../../infra/environment';
import type { amtoTraining } from '../../workflows/amto-training';
import { pauseSignal, resumeSignal, stopUpdate } from '../../workflows/messages';
import { type Command, parseCommandArgs, runIdArgument } from '../command';
import { requireRunWorkflow } from '../run-workflows';
import { connectTemporal } from '../temporal-client';
import { UsageError } from '../usage-error';

type Action = 'stop' | 'pause' | 'unpause';

const descriptions: Record<Action, { usage: string }> = {
  stop: {
    usage: `Usage: amto stop <runId | workflowId>

Asks the run to finish the round in flight, then select and return its final model (the 'stop' update).
Waits until the workflow has accepted the request, so a control worker must be running.`,
  },
  pause: {
    usage: `Usage: amto pause <runId | workflowId>

Holds the run before its next round; the round in flight completes. Continue with 'amto unpause'.`,
  },
  unpause: {
    usage: `Usage: amto unpause <runId | workflowId>

Continues a run held by 'amto pause'. (To restart a run whose workflow died, use 'amto resume'.)`,
  },
};

function runControlCommand(action: Action): Command {
  const { usage } = descriptions[action];
  return {
    name: action,
    usage,
    async run(argv) {
      const { positionals } = parseCommandArgs(this, argv, {});
      const id = runIdArgument(this, positionals);
      const session = await connectTemporal(loadEnvironment());
      try {
        const { runId, workflowId } = await requireRunWorkflow(session.client, id);
        const handle = session.client.workflow.getHandle<typeof amtoTraining>(workflowId);
        const status = (await handle.describe()).status.name;
        if (status !== 'RUNNING') {
          throw new UsageError(`amto ${action}: run ${runId} is not running (${status.toLowerCase()})`);
        }
        if (action === 'stop') {
          const { finishingRound } = await handle.executeUpdate(stopUpdate);
          console.log(`Run ${runId} will stop after round ${finishingRound}, then select its final model.`);
        } else if (action === 'pause') {
          await handle.signal(pauseSignal);
          console.log(`Run ${runId} will pause before its next round. Continue: amto unpause ${runId}`);
        } else {
          await handle.signal(resumeSignal);
          console.log(`Run ${runId} continues.`);
        }
        return 0;
      } finally {
        await session.close();
      }
    },
  };
}

export const stopCommand = runControlCommand('stop');
export const pauseCommand = runControlCommand('pause');
export const unpauseCommand = runControlCommand('unpause');
