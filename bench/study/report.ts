/**
 * Turns the study's per-run records into docs/study.md's tables (between the generated-section markers)
 * and one Vega-Lite plot (its spec beside the records, a PNG under docs/images).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };
import { renderChartSvg } from '../../report/render-chart-svg';
import { svgToPng } from '../../report/svg-to-png';
import { writeFileAtomically } from '../../report/write-file-atomically';
import { studyCells, type StudyBudget } from './cells';
import { mean, pairedDifference, sampleStd } from './stats';

/** What bench/study.ts records for one finished run. */
export interface StudyRecord {
  cell: string;
  seed: number;
  tasks: number;
  budget: StudyBudget;
  maxIterations: number;
  backend: string;
  /** The training engine; records written before the graph engine existed (tag v2) lack it: tfjs. */
  engine?: string;
  testAccuracy: number;
  harmonicAccuracy: number;
  /** The chosen task and its model's accuracy on every task's validation set (absent in records before tag v3). */
  chosenTask?: number;
  validationAccuracies?: number[];
  /** Mean over tasks of the last round's validation loss of the model each task kept. */
  finalValLoss: number;
  rounds: number;
  stopReason: string;
  transfersTried: number;
  transfersAccepted: number;
  /** Accepted transfers in each round (index 0 = round 1). */
  acceptedPerRound: number[];
  seconds: number;
  finishedAt: string;
}

export function loadRecords(dir: string): StudyRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json') && !file.endsWith('.vl.json'));
  } catch {
    return [];
  }
  return files.map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as StudyRecord);
}

const pct = (value: number): string => (Number.isFinite(value) ? (100 * value).toFixed(2) : '–');
const num = (value: number, digits = 3): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

function byCell(records: StudyRecord[]): Map<string, StudyRecord[]> {
  const cells = new Map<string, StudyRecord[]>();
  for (const cell of studyCells) cells.set(cell.name, []);
  for (const record of records) cells.get(record.cell)?.push(record);
  for (const list of cells.values()) list.sort((a, b) => a.seed - b.seed);
  return cells;
}

/** Signed to 2 decimals; a difference that rounds to zero reads +0.00, not -0.00. */
const signed = (value: number): string => {
  const rounded = Number(value.toFixed(2));
  return `${rounded >= 0 ? '+' : ''}${num(rounded, 2)}`;
};

/** Paired test top-1 differences (points) of `compared` against `base`, one row per compared cell. */
function pairedTable(cells: Map<string, StudyRecord[]>, base: string, compared: readonly string[]): string[] {
  const baseLabel = studyCells.find((cell) => cell.name === base)?.label ?? base;
  const lines = [
    `| cell − ${baseLabel} | pairs | mean Δ (points) | 95 % CI | per seed |`,
    '|---|---|---|---|---|',
  ];
  const baseBySeed = new Map((cells.get(base) ?? []).map((r) => [r.seed, r.testAccuracy]));
  for (const cell of studyCells.filter((c) => compared.includes(c.name))) {
    const pairs = (cells.get(cell.name) ?? []).flatMap((r) => {
      const other = baseBySeed.get(r.seed);
      return other === undefined ? [] : [{ seed: r.seed, delta: 100 * (r.testAccuracy - other) }];
    });
    const difference = pairedDifference(pairs.map((p) => p.delta));
    const single = pairs.length === 1 ? num(pairs[0]?.delta ?? NaN, 2) : '–';
    lines.push(
      `| ${cell.label} | ${pairs.length} | ${difference === null ? single : num(difference.mean, 2)} | ` +
        `${difference === null ? '–' : `[${num(difference.low, 2)}, ${num(difference.high, 2)}]`} | ` +
        `${pairs.map((p) => `s${p.seed}: ${signed(p.delta)}`).join(', ')} |`,
    );
  }
  return lines;
}

export function studyTables(records: StudyRecord[]): string {
  const cells = byCell(records);
  const lines: string[] = [];
  const trainedOn = new Map<string, number>();
  for (const r of records) {
    const key = `${r.backend} backend, ${r.engine ?? 'tfjs'} engine`;
    trainedOn.set(key, (trainedOn.get(key) ?? 0) + 1);
  }
  lines.push(
    `Trained on: ${[...trainedOn].map(([key, n]) => `${key} (${n} runs)`).join('; ')}.`,
    '',
    '| cell | runs | test top-1 % (mean ± std) | harmonic acc. % | final val loss | transfers accepted / tried | rounds | minutes / run |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const cell of studyCells) {
    const list = cells.get(cell.name) ?? [];
    if (list.length === 0) {
      lines.push(`| ${cell.label} | 0 | not run | | | | | |`);
      continue;
    }
    const test = list.map((r) => r.testAccuracy);
    const harmonic = list.map((r) => r.harmonicAccuracy);
    const tried = mean(list.map((r) => r.transfersTried));
    const accepted = mean(list.map((r) => r.transfersAccepted));
    lines.push(
      `| ${cell.label} | ${list.length} | ${pct(mean(test))} ± ${pct(sampleStd(test))} | ` +
        `${pct(mean(harmonic))} ± ${pct(sampleStd(harmonic))} | ${num(mean(list.map((r) => r.finalValLoss)))} | ` +
        `${tried === 0 ? '–' : `${num(accepted, 1)} / ${num(tried, 1)}`} | ${num(mean(list.map((r) => r.rounds)), 1)} | ` +
        `${num(mean(list.map((r) => r.seconds)) / 60, 1)} |`,
    );
  }

  lines.push(
    '',
    'Paired differences against STO (same seed: same initial weights, splits seed and test subset), in',
    'test top-1 percentage points, with the 95 % confidence interval of the mean difference (Student t):',
    '',
    ...pairedTable(
      cells,
      'sto',
      studyCells.filter((cell) => cell.name !== 'sto').map((cell) => cell.name),
    ),
    '',
    'The M = 4 variants against AMTO M = 4 (same seeds):',
    '',
    ...pairedTable(
      cells,
      'amto-4',
      studyCells.filter((cell) => cell.tasks === 4 && cell.name !== 'amto-4').map((cell) => cell.name),
    ),
    '',
    'The chosen model: harmonic accuracy over the M validation sets minus its test accuracy (points;',
    'positive: the validation sets flatter it):',
    '',
    '| cell | runs | harmonic − test (mean) | per seed |',
    '|---|---|---|---|',
  );
  for (const cell of studyCells) {
    const list = cells.get(cell.name) ?? [];
    if (list.length === 0) continue;
    const gaps = list.map((r) => ({ seed: r.seed, gap: 100 * (r.harmonicAccuracy - r.testAccuracy) }));
    lines.push(
      `| ${cell.label} | ${list.length} | ${signed(mean(gaps.map((g) => g.gap)))} | ` +
        `${gaps.map((g) => `s${g.seed}: ${signed(g.gap)}`).join(', ')} |`,
    );
  }

  const withSets = studyCells.flatMap((cell) => {
    const list = (cells.get(cell.name) ?? []).filter(
      (r) => cell.tasks > 1 && r.chosenTask !== undefined && r.validationAccuracies !== undefined,
    );
    return list.length === 0 ? [] : [{ cell, list }];
  });
  if (withSets.length > 0) {
    lines.push(
      '',
      "The chosen model's accuracy on its own task's validation set and on the other tasks' (points; in",
      "`kfold` the other tasks' folds are inside the chosen task's training set):",
      '',
      '| cell | runs | own validation set % | other validation sets % (mean) | own − others | per seed (own − others) |',
      '|---|---|---|---|---|---|',
    );
    for (const { cell, list } of withSets) {
      const rows = list.map((r) => {
        const accuracies = r.validationAccuracies as number[];
        const own = accuracies[r.chosenTask as number] as number;
        const others = mean(accuracies.filter((_, task) => task !== r.chosenTask));
        return { seed: r.seed, own, others };
      });
      const owns = rows.map((row) => row.own);
      const others = rows.map((row) => row.others);
      lines.push(
        `| ${cell.label} | ${list.length} | ${pct(mean(owns))} | ${pct(mean(others))} | ` +
          `${signed(100 * (mean(owns) - mean(others)))} | ` +
          `${rows.map((row) => `s${row.seed}: ${signed(100 * (row.own - row.others))}`).join(', ')} |`,
      );
    }
  }

  const adaptive = studyCells.filter((cell) => cell.transfer !== 'none' && cell.budgetFactor === 1);
  const transferCells = new Set(adaptive.filter((c) => c.tasks > 1).map((c) => c.name));
  const maxRounds = Math.max(
    0,
    ...records.filter((r) => transferCells.has(r.cell)).map((r) => r.acceptedPerRound.length),
  );
  lines.push(
    '',
    'Transfers accepted per round (mean over seeds; out of M tasks):',
    '',
    `| round | ${adaptive
      .filter((c) => c.tasks > 1)
      .map((c) => c.label)
      .join(' | ')} |`,
    `|---|${adaptive
      .filter((c) => c.tasks > 1)
      .map(() => '---')
      .join('|')}|`,
  );
  for (let round = 0; round < maxRounds; round++) {
    const row = adaptive
      .filter((c) => c.tasks > 1)
      .map((c) => {
        const values = (cells.get(c.name) ?? []).flatMap((r) => r.acceptedPerRound[round] ?? []);
        return values.length === 0 ? '–' : `${num(mean(values), 1)} / ${c.tasks}`;
      });
    lines.push(`| ${round + 1} | ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function studyPlotSpec(records: StudyRecord[]): TopLevelSpec {
  const order = studyCells.map((cell) => cell.label);
  const labelOf = new Map(studyCells.map((cell) => [cell.name, cell.label]));
  const values = records.map((r) => ({
    cell: labelOf.get(r.cell) ?? r.cell,
    seed: `seed ${r.seed}`,
    test: 100 * r.testAccuracy,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Fashion-MNIST, small-cnn: test top-1 of the chosen model per cell',
    width: 520,
    height: 260,
    data: { values },
    layer: [
      {
        mark: { type: 'line', opacity: 0.35 },
        encoding: {
          x: { field: 'cell', type: 'nominal', sort: order, title: null, axis: { labelAngle: -25 } },
          y: { field: 'test', type: 'quantitative', title: 'test top-1 (%)', scale: { zero: false } },
          color: { field: 'seed', type: 'nominal', title: 'paired by seed' },
        },
      },
      {
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'cell', type: 'nominal', sort: order },
          y: { field: 'test', type: 'quantitative' },
          color: { field: 'seed', type: 'nominal' },
        },
      },
      {
        mark: { type: 'tick', color: 'black', thickness: 2, size: 28 },
        encoding: {
          x: { field: 'cell', type: 'nominal', sort: order },
          y: { aggregate: 'mean', field: 'test', type: 'quantitative' },
        },
      },
    ],
  };
}

/** Writes `text` formatted the way the repository's Prettier config formats that file (lint stays green). */
export async function writeFormatted(path: string, text: string): Promise<void> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(path)) ?? {};
  await writeFileAtomically(path, await prettier.format(text, { ...options, filepath: path }));
}

/** Rewrites tag's generated section of docs/study.md and its plot from the records in `resultsDir`. */
export async function writeStudyReport(
  resultsDir: string,
  tag: string,
  docPath: string,
  pngPath: string,
): Promise<void> {
  const records = loadRecords(resultsDir);
  const doc = readFileSync(docPath, 'utf8');
  const startMarker = `<!-- study-tables:start ${tag} (generated by bench/study.ts; do not edit by hand) -->`;
  const endMarker = `<!-- study-tables:end ${tag} -->`;
  const start = doc.indexOf(startMarker);
  const end = doc.indexOf(endMarker);
  const published = start >= 0 && end > start;
  if (!published) {
    // A tag without a section (a trial, a reproduction check) keeps its records and plot spec only.
    console.log(
      `[study] ${docPath} has no section for tag ${tag} (add ${startMarker} … ${endMarker}); tables not written`,
    );
  } else {
    const generated = `${startMarker}\n\n${studyTables(records)}\n\n${endMarker}`;
    await writeFormatted(docPath, doc.slice(0, start) + generated + doc.slice(end + endMarker.length));
  }
  if (records.length === 0) return;
  const spec = studyPlotSpec(records);
  await writeFormatted(join(resultsDir, 'plot.vl.json'), JSON.stringify(spec));
  if (published) await writeFileAtomically(pngPath, svgToPng(await renderChartSvg(spec)));
}
