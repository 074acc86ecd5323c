import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyRound,
  candidateCheckpoints,
  createStream,
  donorDistribution,
  initialState,
  isFinished,
  parseRunConfig,
  planRound,
  requestStop,
  type AmtoState,
  type RoundPlan,
  type RunConfig,
  type RunConfigInput,
  type TaskRoundResult,
} from '../../../amto';

const TOLERANCE = 1e-12;

function configOf(overrides: Partial<RunConfigInput>): RunConfig {
  const result = parseRunConfig({ dataset: { kind: 'fashion-mnist' }, ...overrides });
  assert.ok(result.ok, result.ok ? '' : result.problems.join('; '));
  return result.config;
}

const initialKeys = (tasks: number): string[] => Array.from({ length: tasks }, (_, m) => `init/t${m}`);
const key = (round: number, task: number, role: 'master' | 'slave'): string => `r${round}/t${task}/${role}`;

/** A training outcome whose accuracy and training loss follow from the validation loss (diverged → 0.1). */
function outcome(round: number, task: number, role: 'master' | 'slave', valLoss: number | null) {
  const finite = valLoss !== null && Number.isFinite(valLoss);
  return {
    valLoss,
    valAccuracy: finite ? 1 / (1 + valLoss) : 0.1,
    trainLoss: finite ? valLoss - 0.05 : null,
    checkpoint: key(round, task, role),
  };
}

/** Results for a plan from per-task [master, slave] validation losses (the slave's ignored without a donor). */
function resultsFor(
  plan: RoundPlan,
  losses: readonly (readonly [number | null, number | null])[],
): TaskRoundResult[] {
  return plan.assignments.map(({ task, donor }) => {
    const [master, slave] = losses[task] ?? [null, null];
    return {
      task,
      master: outcome(plan.round, task, 'master', master),
      slave: donor === null ? null : outcome(plan.round, task, 'slave', slave),
    };
  });
}

const close = (actual: number | null | undefined, expected: number, what: string): void => {
  assert.ok(
    actual !== null && actual !== undefined && Math.abs(actual - expected) < TOLERANCE,
    `${what}: ${actual} ≠ ${expected}`,
  );
};

describe('a scripted 3-task, 5-round AMTO run, checked against a hand computation of eqs. 4–6', () => {
  // seed 11, c = 10, temperature 1, budget and patience out of reach.
  const config = configOf({ seed: 11, tasks: 3, interval: 10, maxIterations: 1000 });

  // Validation losses [master, slave] per round and task. null = the slave diverged (counts as +∞);
  // NaN = the master diverged. Decisions: accept iff slave < master, strictly.
  const LOSSES: [number | null, number | null][][] = [
    [
      [1.0, 0.8],
      [0.9, 1.1],
      [1.2, 0.7],
    ],
    [
      [0.75, 0.75],
      [0.85, 0.6],
      [0.65, 0.9],
    ],
    [
      [0.7, null],
      [0.58, 0.4],
      [0.66, 0.64],
    ],
    [
      [Number.NaN, 0.72],
      [0.45, 0.5],
      [0.7, 0.8],
    ],
    [
      [0.69, 0.68],
      [0.39, 0.41],
      [0.62, 0.61],
    ],
  ];

  // Hand computation, task by task. With M = 3, task m has two candidate donors a < b, and eq. 4 gives
  // p_a = e^{r_a} / (e^{r_a} + e^{r_b}) = 1 / (1 + e^{r_b − r_a}); the donor is a iff u < p_a, where u
  // is the first draw of createStream(11, 'donor', round, m) (inverse-CDF sampling).
  // Eq. 6: r_donor += tanh(master − slave), with +∞ for a diverged loss (tanh(±∞) = ±1).
  //
  // Round 0 — all RL zero, p_a = 0.5:
  //   t0: u = 0.4601 < 0.5 → donor 1; 0.8 < 1.0 accept;  RL0[1] = tanh(0.2)          =  0.197375320224904
  //   t1: u = 0.2602 < 0.5 → donor 0; 1.1 > 0.9 reject;  RL1[0] = tanh(-0.2)         = -0.197375320224904
  //   t2: u = 0.5323 ≥ 0.5 → donor 1; 0.7 < 1.2 accept;  RL2[1] = tanh(0.5)          =  0.462117157260010
  // Round 1:
  //   t0: RL0 = [0, 0.197375, 0]      p_1 = 1/(1+e^{-0.197375})  = 0.549184260958679; u = 0.4673 → donor 1;
  //       0.75 = 0.75 reject (not strictly lower); RL0[1] += tanh(0) → unchanged
  //   t1: RL1 = [-0.197375, 0, 0]     p_0 = 1/(1+e^{0.197375})   = 0.450815739041321; u = 0.9015 → donor 2;
  //       0.6 < 0.85 accept; RL1[2] = tanh(0.25) = 0.244918662403709
  //   t2: RL2 = [0, 0.462117, 0]      p_0 = 1/(1+e^{0.462117})   = 0.386483695641273; u = 0.9555 → donor 1;
  //       0.9 > 0.65 reject; RL2[1] = 0.462117157260010 + tanh(-0.25) = 0.217198494856301
  // Round 2:
  //   t0: RL0 = [0, 0.197375, 0]      p_1 = 0.549184260958679;                          u = 0.6994 → donor 2;
  //       slave diverged: reject; RL0[2] = 0 + tanh(0.7 − ∞) = -1
  //   t1: RL1 = [-0.197375, 0, 0.244919] p_0 = 1/(1+e^{0.442294}) = 0.391194495066845; u = 0.1813 → donor 0;
  //       0.4 < 0.58 accept; RL1[0] = -0.197375320224904 + tanh(0.18) = -0.019294452107574
  //   t2: RL2 = [0, 0.217198, 0]      p_0 = 1/(1+e^{0.217198})   = 0.445912840277480; u = 0.2038 → donor 0;
  //       0.64 < 0.66 accept; RL2[0] = tanh(0.02) = 0.019997333759931
  // Round 3:
  //   t0: RL0 = [0, 0.197375, -1]     p_1 = 1/(1+e^{-1.197375})  = 0.768057538516461; u = 0.1008 → donor 1;
  //       master diverged: accept; RL0[1] = 0.197375320224904 + tanh(∞ − 0.72) = 1.197375320224904
  //   t1: RL1 = [-0.019294, 0, 0.244919] p_0 = 1/(1+e^{0.264213}) = 0.434328314820504; u = 0.9254 → donor 2;
  //       0.5 > 0.45 reject; RL1[2] = 0.244918662403709 + tanh(-0.05) = 0.194960287445829
  //   t2: RL2 = [0.019997, 0.217198, 0] p_0 = 1/(1+e^{0.197201}) = 0.450858857885825; u = 0.8651 → donor 1;
  //       0.8 > 0.7 reject; RL2[1] = 0.217198494856301 + tanh(-0.1) = 0.117530500231345
  // Round 4:
  //   t0: RL0 = [0, 1.197375, -1]     p_1 = 1/(1+e^{-2.197375})  = 0.900013566041962; u = 0.5985 → donor 1;
  //       0.68 < 0.69 accept; RL0[1] = 1.197375320224904 + tanh(0.01) = 1.207374986904903
  //   t1: RL1 = [-0.019294, 0, 0.194960] p_0 = 1/(1+e^{0.214255}) = 0.446640282677673; u = 0.1123 → donor 0;
  //       0.41 > 0.39 reject; RL1[0] = -0.019294452107574 + tanh(-0.02) = -0.039291785867505
  //   t2: RL2 = [0.019997, 0.117531, 0] p_0 = 1/(1+e^{0.097533}) = 0.475636019294991; u = 0.3479 → donor 0;
  //       0.61 < 0.62 accept; RL2[0] = 0.019997333759931 + tanh(0.01) = 0.029997000439930
  const P_FIRST_CANDIDATE = [
    [0.5, 0.5, 0.5],
    [0.549184260958679, 0.450815739041321, 0.386483695641273],
    [0.549184260958679, 0.391194495066845, 0.44591284027748],
    [0.768057538516461, 0.434328314820504, 0.450858857885825],
    [0.900013566041962, 0.446640282677673, 0.475636019294991],
  ];
  const DONORS = [
    [1, 0, 1],
    [1, 2, 1],
    [2, 0, 0],
    [1, 2, 1],
    [1, 0, 0],
  ];
  const ACCEPTED = [
    [true, false, true],
    [false, true, false],
    [false, true, true],
    [true, false, false],
    [true, false, true],
  ];
  // r_donor before and after eq. 6, per round and task.
  const R_BEFORE_AFTER: [number, number][][] = [
    [
      [0, 0.197375320224904],
      [0, -0.197375320224904],
      [0, 0.46211715726001],
    ],
    [
      [0.197375320224904, 0.197375320224904],
      [0, 0.244918662403709],
      [0.46211715726001, 0.217198494856301],
    ],
    [
      [0, -1],
      [-0.197375320224904, -0.019294452107574],
      [0, 0.019997333759931],
    ],
    [
      [0.197375320224904, 1.197375320224904],
      [0.244918662403709, 0.194960287445829],
      [0.217198494856301, 0.117530500231345],
    ],
    [
      [1.197375320224904, 1.207374986904903],
      [-0.019294452107574, -0.039291785867505],
      [0.019997333759931, 0.02999700043993],
    ],
  ];
  const FINAL_RL = [
    [0, 1.207374986904903, -1],
    [-0.039291785867505, 0, 0.194960287445829],
    [0.02999700043993, 0.117530500231345, 0],
  ];

  function run(): { states: AmtoState[]; plans: RoundPlan[] } {
    let state = initialState(config, initialKeys(3));
    const states = [state];
    const plans: RoundPlan[] = [];
    for (const losses of LOSSES) {
      const plan = planRound(state, config);
      plans.push(plan);
      state = applyRound(state, config, plan, resultsFor(plan, losses)).state;
      states.push(state);
    }
    return { states, plans };
  }

  test('donors follow eq. 4 with the stream’s uniform draws', () => {
    const { states, plans } = run();
    plans.forEach((plan, round) => {
      assert.equal(plan.round, round);
      assert.equal(plan.stepsFrom, round * 10);
      assert.equal(plan.steps, 10);
      plan.assignments.forEach(({ task, donor }) => {
        const [first, second] = [0, 1, 2].filter((j) => j !== task) as [number, number];
        const pFirst = P_FIRST_CANDIDATE[round]?.[task] as number;
        const probabilities = donorDistribution(
          'adaptive',
          states[round]?.tasks[task]?.relationship ?? [],
          task,
          1,
        );
        close(probabilities[first], pFirst, `round ${round} task ${task} p_${first}`);
        const u = createStream(11, 'donor', round, task).nextFloat();
        const expected = u < pFirst ? first : second;
        assert.equal(expected, DONORS[round]?.[task], `hand-noted donor, round ${round} task ${task}`);
        assert.equal(donor, expected, `round ${round} task ${task}`);
      });
    });
  });

  test('transfer decisions, eq. 6 updates and checkpoint hand-over match the hand computation', () => {
    const { states, plans } = run();
    plans.forEach((plan, round) => {
      const before = states[round] as AmtoState;
      const after = states[round + 1] as AmtoState;
      const decisions = after.history[round]?.decisions ?? [];
      plan.assignments.forEach(({ task, donor, masterFrom, slaveFrom }) => {
        assert.equal(masterFrom, before.tasks[task]?.checkpoint);
        assert.equal(slaveFrom, before.tasks[donor as number]?.checkpoint);
        const decision = decisions[task];
        const accepted = ACCEPTED[round]?.[task] as boolean;
        const [rBefore, rAfter] = R_BEFORE_AFTER[round]?.[task] as [number, number];
        assert.equal(decision?.donor, donor);
        assert.equal(decision?.accepted, accepted, `round ${round} task ${task} accepted`);
        close(decision?.relationshipBefore, rBefore, `round ${round} task ${task} r before`);
        close(decision?.relationshipAfter, rAfter, `round ${round} task ${task} r after`);
        close(
          after.tasks[task]?.relationship[donor as number],
          rAfter,
          `RL${task}[${donor}] after round ${round}`,
        );
        assert.equal(after.tasks[task]?.relationship[task], 0, 'r_m of the task itself stays 0');
        assert.equal(after.tasks[task]?.checkpoint, key(round, task, accepted ? 'slave' : 'master'));
      });
    });
    const last = states[5] as AmtoState;
    FINAL_RL.forEach((row, m) =>
      row.forEach((r, j) => close(last.tasks[m]?.relationship[j], r, `RL${m}[${j}]`)),
    );
  });

  test('bookkeeping: losses, best checkpoints, early-stopping counters, counts and iterations', () => {
    const { states } = run();
    const last = states[5] as AmtoState;
    assert.equal(last.round, 5);
    assert.equal(last.iteration, 50);
    assert.equal(last.transfersTried, 15);
    assert.equal(last.transfersAccepted, 8);
    assert.equal(last.stopReason, null);
    assert.equal(last.history.length, 5);
    // Kept losses per task: t0 0.8, 0.75, 0.7, 0.72, 0.68; t1 0.9, 0.6, 0.4, 0.45, 0.39; t2 0.7, 0.65, 0.64, 0.7, 0.61.
    // Round 3 worsens every task (stale 1), round 4 improves every task (stale 0, new best).
    assert.deepEqual(
      states.slice(1).map((state) => state.tasks.map((task) => task.stale)),
      [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 1, 1],
        [0, 0, 0],
      ],
    );
    assert.deepEqual(
      last.tasks.map(({ bestValLoss, bestCheckpoint, bestIteration, lastValLoss }) => ({
        bestValLoss,
        bestCheckpoint,
        bestIteration,
        lastValLoss,
      })),
      [
        { bestValLoss: 0.68, bestCheckpoint: 'r4/t0/slave', bestIteration: 50, lastValLoss: 0.68 },
        { bestValLoss: 0.39, bestCheckpoint: 'r4/t1/master', bestIteration: 50, lastValLoss: 0.39 },
        { bestValLoss: 0.61, bestCheckpoint: 'r4/t2/slave', bestIteration: 50, lastValLoss: 0.61 },
      ],
    );
    // After round 3, task 0 kept its slave (0.72), worse than its best 0.7 from round 2.
    const afterRound3 = states[4]?.tasks[0];
    assert.equal(afterRound3?.checkpoint, 'r3/t0/slave');
    assert.equal(afterRound3?.bestCheckpoint, 'r2/t0/master');
    assert.equal(afterRound3?.bestValLoss, 0.7);
    assert.equal(afterRound3?.bestIteration, 30);
    // The diverged master of round 3 is recorded as null, not NaN.
    assert.equal(states[4]?.history[3]?.decisions[0]?.masterValLoss, null);
    assert.equal(states[3]?.history[2]?.decisions[0]?.slaveValLoss, null);
    assert.deepEqual(candidateCheckpoints(last), ['r4/t0/slave', 'r4/t1/master', 'r4/t2/slave']);
  });

  test('is reproducible, JSON-safe and leaves its inputs untouched', () => {
    const first = run();
    assert.deepEqual(run(), first);
    for (const state of first.states) assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
    const state = first.states[2] as AmtoState;
    const snapshot = structuredClone(state);
    const plan = planRound(state, config);
    const results = resultsFor(plan, LOSSES[2] ?? []);
    const resultsSnapshot = structuredClone(results);
    applyRound(state, config, plan, results);
    assert.deepEqual(state, snapshot);
    assert.deepEqual(results, resultsSnapshot);
  });
});

/** Runs rounds with the given per-round losses (same for every task) until the state finishes or losses run out. */
function runLosses(config: RunConfig, perRound: readonly [number | null, number | null][]): AmtoState {
  let state = initialState(config, initialKeys(config.tasks));
  for (const losses of perRound) {
    if (isFinished(state)) break;
    const plan = planRound(state, config);
    state = applyRound(
      state,
      config,
      plan,
      resultsFor(
        plan,
        plan.assignments.map(() => losses),
      ),
    ).state;
  }
  return state;
}

describe('stopping', () => {
  test('the budget: the last round is shortened to what is left, then the run stops with "budget"', () => {
    const config = configOf({ tasks: 2, interval: 100, maxIterations: 250 });
    let state = initialState(config, initialKeys(2));
    const steps: number[] = [];
    let losses = 1;
    while (!isFinished(state)) {
      const plan = planRound(state, config);
      steps.push(plan.steps);
      losses -= 0.1;
      state = applyRound(
        state,
        config,
        plan,
        resultsFor(plan, [
          [losses, 2],
          [losses, 2],
        ]),
      ).state;
    }
    assert.deepEqual(steps, [100, 100, 50]);
    assert.equal(state.iteration, 250);
    assert.equal(state.stopReason, 'budget');
    assert.throws(() => planRound(state, config), /already finished \(budget\)/);
  });

  test('early stopping "any" fires when one task has gone patience validations without improving', () => {
    const config = configOf({ tasks: 2, earlyStopping: { patience: 2 } });
    let state = initialState(config, initialKeys(2));
    // Task 0 improves every round; task 1 stalls from round 1 on.
    const script = [
      [
        [1.0, 2],
        [1.0, 2],
      ],
      [
        [0.9, 2],
        [1.1, 2],
      ],
      [
        [0.8, 2],
        [1.2, 2],
      ],
    ] as [number, number][][];
    const reasons: (string | null)[] = [];
    for (const losses of script) {
      const plan = planRound(state, config);
      state = applyRound(state, config, plan, resultsFor(plan, losses)).state;
      reasons.push(state.stopReason);
    }
    assert.deepEqual(reasons, [null, null, 'early-stopping']);
    assert.deepEqual(
      state.tasks.map((task) => task.stale),
      [0, 2],
    );
  });

  test('early stopping "all" waits for every task', () => {
    const config = configOf({ tasks: 2, earlyStopping: { patience: 2, mode: 'all' } });
    let state = initialState(config, initialKeys(2));
    const script = [
      [
        [1.0, 2],
        [1.0, 2],
      ],
      [
        [0.9, 2],
        [1.1, 2],
      ],
      [
        [0.8, 2],
        [1.2, 2],
      ],
      [
        [0.85, 2],
        [1.2, 2],
      ],
      [
        [0.85, 2],
        [1.2, 2],
      ],
    ] as [number, number][][];
    const reasons: (string | null)[] = [];
    for (const losses of script) {
      const plan = planRound(state, config);
      state = applyRound(state, config, plan, resultsFor(plan, losses)).state;
      reasons.push(state.stopReason);
    }
    assert.deepEqual(reasons, [null, null, null, null, 'early-stopping']);
  });

  test('early stopping wins over the budget when both hold after the same round', () => {
    const config = configOf({ tasks: 2, interval: 10, maxIterations: 20, earlyStopping: { patience: 1 } });
    const state = runLosses(config, [
      [1, 2],
      [1, 2],
    ]);
    assert.equal(state.iteration, 20);
    assert.equal(state.stopReason, 'early-stopping');
  });

  test('a user stop lets the round in flight finish, keeps its reason, and is idempotent', () => {
    const config = configOf({ tasks: 2, interval: 10, maxIterations: 10 });
    const state = initialState(config, initialKeys(2));
    const plan = planRound(state, config);
    const stopped = requestStop(state);
    assert.equal(requestStop(stopped), stopped);
    assert.ok(isFinished(stopped));
    const after = applyRound(
      stopped,
      config,
      plan,
      resultsFor(plan, [
        [1, 2],
        [1, 2],
      ]),
    ).state;
    assert.equal(after.round, 1);
    assert.equal(after.stopReason, 'stopped-by-user');
    assert.throws(() => planRound(after, config), /already finished \(stopped-by-user\)/);
  });
});

describe('transfer modes and STO in the loop', () => {
  test('"none": no donors, no slaves, relationships stay zero', () => {
    const config = configOf({ tasks: 3, transfer: { mode: 'none' } });
    const state = runLosses(config, [
      [1, null],
      [0.9, null],
    ]);
    assert.equal(state.transfersTried, 0);
    state.history.forEach((record) =>
      record.decisions.forEach((decision) => assert.equal(decision.donor, null)),
    );
    state.tasks.forEach((task) => assert.deepEqual(task.relationship, [0, 0, 0]));
  });

  test('"uniform": donors drawn evenly, transfers happen, relationships stay frozen', () => {
    const config = configOf({ tasks: 3, transfer: { mode: 'uniform' }, maxIterations: 100_000 });
    const rounds = 300;
    const state = runLosses(
      config,
      Array.from({ length: rounds }, (_, r) => [1 - r / 1000, 0.5 - r / 1000]),
    );
    assert.equal(state.transfersTried, 3 * rounds);
    assert.equal(state.transfersAccepted, 3 * rounds);
    state.tasks.forEach((task) => assert.deepEqual(task.relationship, [0, 0, 0]));
    // Each task has two possible donors; either should come up about half the time (±5 standard deviations).
    for (let task = 0; task < 3; task++) {
      const firstCandidate = task === 0 ? 1 : 0;
      const count = state.history.filter((record) => record.decisions[task]?.donor === firstCandidate).length;
      assert.ok(
        Math.abs(count - rounds / 2) < 5 * Math.sqrt(rounds / 4),
        `task ${task}: ${count} of ${rounds}`,
      );
    }
  });

  test('STO (tasks = 1) never has a donor, even in adaptive mode', () => {
    const config = configOf({ tasks: 1 });
    const state = runLosses(config, [
      [1, null],
      [0.8, null],
    ]);
    assert.equal(state.transfersTried, 0);
    assert.equal(state.tasks[0]?.bestValLoss, 0.8);
    assert.deepEqual(state.tasks[0]?.relationship, [0]);
  });
});

describe('AMTO invariants under random losses (property)', () => {
  const loss = fc.oneof(
    { weight: 9, arbitrary: fc.double({ min: 0.01, max: 5, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, null) },
  );

  test('accept iff the slave is strictly better, best = minimum kept loss, r moves by at most 1 toward the winner', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.nat(),
        fc.array(fc.array(fc.tuple(loss, loss), { minLength: 5, maxLength: 5 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (tasks, seed, script) => {
          const config = configOf({
            tasks,
            seed,
            interval: 5,
            maxIterations: 1000,
            earlyStopping: { patience: 100 },
          });
          let state = initialState(config, initialKeys(tasks));
          const keptLosses: number[][] = Array.from({ length: tasks }, () => []);
          for (const roundLosses of script) {
            const plan = planRound(state, config);
            const { state: next, decisions } = applyRound(state, config, plan, resultsFor(plan, roundLosses));
            decisions.forEach((decision, m) => {
              const [master, slave] = roundLosses[m] as [number | null, number | null];
              const usable = (x: number | null): x is number => x !== null && Number.isFinite(x);
              const slaveWins = usable(slave) && (!usable(master) || slave < master);
              assert.equal(decision.accepted, slaveWins);
              assert.ok(
                decision.donor !== null && decision.donor !== m,
                `donor ${decision.donor} of task ${m}`,
              );
              const step = (decision.relationshipAfter as number) - (decision.relationshipBefore as number);
              // |tanh| ≤ 1; the difference of two rounded sums may exceed 1 by an ulp.
              assert.ok(Math.abs(step) <= 1 + 1e-12, `r moved by ${step}`);
              // Eq. 6 never lowers r after a win nor raises it after a loss (a tiny tanh may round away).
              assert.ok(slaveWins ? step >= 0 : step <= 0, `r moved by ${step}; slave won: ${slaveWins}`);
              const kept = slaveWins ? slave : master;
              if (usable(kept)) keptLosses[m]?.push(kept);
              const best = keptLosses[m]?.length ? Math.min(...(keptLosses[m] as number[])) : null;
              assert.equal(next.tasks[m]?.bestValLoss, best);
              next.tasks[m]?.relationship.forEach((r) => assert.ok(Number.isFinite(r), `r = ${r}`));
            });
            assert.deepEqual(JSON.parse(JSON.stringify(next)), next);
            state = next;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('applyRound and initialState reject inconsistent input', () => {
  const config = configOf({ tasks: 2 });
  const state = initialState(config, initialKeys(2));
  const plan = planRound(state, config);
  const good = resultsFor(plan, [
    [1, 2],
    [1, 2],
  ]);

  test('initialState needs one non-empty key per task', () => {
    assert.throws(() => initialState(config, ['a']), /one key per task \(got 1 for tasks = 2\)/);
    assert.throws(
      () => initialState(config, ['a', '']),
      /initialCheckpointKeys\[1\] must be a non-empty storage key/,
    );
  });

  test('a plan from another round is refused (no double application)', () => {
    const next = applyRound(state, config, plan, good).state;
    assert.throws(
      () => applyRound(next, config, plan, good),
      /the plan is for round 0 from iteration 0, but the state is at round 1/,
    );
  });

  test('results must answer every task of the plan exactly once', () => {
    assert.throws(() => applyRound(state, config, plan, good.slice(0, 1)), /no result for task 1 in round 0/);
    assert.throws(() => applyRound(state, config, plan, [good[0]!, good[0]!]), /two results for task 0/);
    assert.throws(
      () => applyRound(state, config, plan, [...good, { ...good[0]!, task: 5 }]),
      /unknown task 5/,
    );
  });

  test('a slave outcome must be present exactly when the plan gave a donor', () => {
    const withoutSlave = good.map((result) => ({ ...result, slave: null }));
    assert.throws(
      () => applyRound(state, config, plan, withoutSlave),
      /the plan has donor \d but the result has no slave outcome/,
    );
  });

  test('accuracies and checkpoint keys are checked', () => {
    const badAccuracy = good.map((result) => ({ ...result, master: { ...result.master, valAccuracy: 1.5 } }));
    assert.throws(
      () => applyRound(state, config, plan, badAccuracy),
      /task 0 master.valAccuracy must be in \[0, 1\] \(got 1.5\)/,
    );
    const badKey = good.map((result) => ({ ...result, master: { ...result.master, checkpoint: '' } }));
    assert.throws(
      () => applyRound(state, config, plan, badKey),
      /task 0 master.checkpoint must be a non-empty storage key/,
    );
  });

  test('the config must match the state', () => {
    assert.throws(
      () => planRound(state, configOf({ tasks: 3 })),
      /the state has 2 tasks but the config says tasks = 3/,
    );
  });
});
