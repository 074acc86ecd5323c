import { applyRetention } from '../storage/retention';
import type { ActivityDeps } from './activity-deps';
import type { AmtoActivities } from './contracts';
import { evaluateCheckpoint } from './evaluate-checkpoint';
import { prepareRun } from './prepare-run';
import { trainInterval } from './train-interval';

/** The workflow's activities over explicit dependencies (stores, cache), so workers and tests choose them. */
export function createActivities(deps: ActivityDeps): AmtoActivities {
  return {
    prepareRun: (input) => prepareRun(deps, input),
    trainInterval: (input) => trainInterval(deps, input),
    evaluate: (input) => evaluateCheckpoint(deps, input),
    async writeRunState({ runId, round, document }) {
      await deps.runStates.writeRunState(runId, round, document);
    },
    async applyRetention(input) {
      const outcome = await applyRetention(deps.store, input);
      return { deleted: outcome.deletedObjects };
    },
  };
}
