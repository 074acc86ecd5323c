import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import {
  RUN_REPORT_CHART_NAMES,
  RUN_REPORT_HTML_FILE,
  RunReportInputError,
  renderRunReport,
  type RunReportFiles,
  type RunReportInput,
} from '../../../report';
import { syntheticRun } from './synthetic-run';

const HOSTILE_RUN_ID = 'run <script>alert("x")</script> & co';

/** The HTML of each `<figure id="...">` on the page, by id. */
function figures(html: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of html.matchAll(/<figure id="([^"]+)">([\s\S]*?)<\/figure>/g)) {
    found.set(match[1] ?? '', match[2] ?? '');
  }
  return found;
}

async function assertReadablePng(path: string): Promise<void> {
  const image = sharp(await readFile(path));
  const { width = 0, height = 0, format } = await image.metadata();
  assert.equal(format, 'png', path);
  assert.ok(width >= 400 && width <= 6000, `${basename(path)}: width ${width}`);
  assert.ok(height >= 250 && height <= 6000, `${basename(path)}: height ${height}`);
  const { channels } = await image.stats();
  assert.ok(
    channels.slice(0, 3).some((channel) => channel.stdev > 0),
    `${basename(path)} is a single flat colour`,
  );
  // The title sits alone in the top-left corner: dark pixels there mean resvg found a font and drew text.
  // (Decoded to raw pixels first: sharp's stats() would ignore the extract and describe the whole image.)
  const corner = await sharp(await readFile(path))
    .extract({ left: 0, top: 0, width: Math.min(width, 400), height: 60 })
    .greyscale()
    .raw()
    .toBuffer();
  assert.ok(Math.min(...corner) < 100, `${basename(path)}: no text drawn in the title area`);
}

describe('renderRunReport', () => {
  let outDir: string;
  let input: RunReportInput;
  let files: RunReportFiles;
  let html: string;

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'amto-report-'));
    input = syntheticRun({ runId: HOSTILE_RUN_ID, tasks: 3, rounds: 5 });
    files = await renderRunReport(input, outDir);
    html = await readFile(files.html, 'utf8');
  });

  after(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  test('writes the page and one PNG per chart into the output directory, nothing else', async () => {
    assert.equal(files.html, join(outDir, RUN_REPORT_HTML_FILE));
    assert.deepEqual(
      files.pngs,
      RUN_REPORT_CHART_NAMES.map((name) => join(outDir, `${name}.png`)),
    );
    const written = (await readdir(outDir)).sort();
    assert.deepEqual(
      written,
      [RUN_REPORT_HTML_FILE, ...RUN_REPORT_CHART_NAMES.map((name) => `${name}.png`)].sort(),
    );
  });

  test('the page inlines every chart as SVG and references no outside file', () => {
    const byId = figures(html);
    assert.deepEqual([...byId.keys()], [...RUN_REPORT_CHART_NAMES]);
    for (const [name, body] of byId) {
      assert.match(body, /<svg[^>]*class="marks"[\s\S]*<\/svg>/, `${name} has no inline SVG`);
    }
    assert.doesNotMatch(html, /<(img|script|link)\b/i);
    assert.doesNotMatch(html, /(src|href)="(?!#)/);
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((match) => match[1]);
    assert.equal(new Set(ids).size, ids.length, 'element ids collide between inline SVGs');
  });

  test('the run id and all other text are escaped', () => {
    assert.ok(!html.includes('<script>'), 'raw <script> from the run id reached the page');
    assert.ok(html.includes('run &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'));
    assert.ok(html.includes(`<title>AMTO run run &lt;script&gt;`));
  });

  test('the header shows the run, the final result and the transfer counts', () => {
    const entries = input.rounds.flatMap((round) => round.tasks);
    const tried = entries.filter((entry) => entry.donor !== null).length;
    const accepted = entries.filter((entry) => entry.accepted).length;
    assert.ok(tried > accepted && accepted > 0, 'the synthetic run should both accept and decline transfers');
    assert.ok(
      html.includes(`Transfers tried: <strong>${tried}</strong>; accepted: <strong>${accepted}</strong>`),
    );
    const final = input.final;
    assert.ok(final);
    for (const [name, value] of [
      ['architecture', input.arch],
      ['dataset', input.dataset],
      ['tasks (M)', String(input.tasks)],
      ['interval (c iterations per round)', String(input.interval)],
      ['chosen task', String(final.chosenTask)],
      ['harmonic accuracy', final.harmonicAccuracy.toFixed(4)],
      ['test accuracy', final.testAccuracy?.toFixed(4) ?? ''],
      ['stop reason', final.stopReason],
    ]) {
      assert.ok(html.includes(`<tr><th>${name}</th><td>${value}</td></tr>`), `header row ${name}`);
    }
  });

  test('every PNG decodes, has a plausible size, is not blank and has its text drawn', async () => {
    for (const path of files.pngs) await assertReadablePng(path);
  });

  test('a run without a final result has no final chart, and a stale one is removed', async () => {
    const unfinished = await renderRunReport({ ...input, final: null }, outDir);
    const names = unfinished.pngs.map((path) => basename(path, '.png'));
    assert.deepEqual(
      names,
      RUN_REPORT_CHART_NAMES.filter((name) => name !== 'final-accuracy'),
    );
    assert.ok(!(await readdir(outDir)).includes('final-accuracy.png'));
    const page = await readFile(unfinished.html, 'utf8');
    assert.ok(!figures(page).has('final-accuracy'));
    assert.match(page, /No final model yet/);
  });

  test('a single-task run (STO) gets no transfer charts', async () => {
    const singleDir = await mkdtemp(join(tmpdir(), 'amto-report-sto-'));
    try {
      const single = await renderRunReport(syntheticRun({ tasks: 1, rounds: 3 }), singleDir);
      assert.deepEqual(
        single.pngs.map((path) => basename(path, '.png')),
        ['validation-loss', 'final-accuracy'],
      );
      for (const path of single.pngs) await assertReadablePng(path);
      assert.match(await readFile(single.html, 'utf8'), /single-task run \(STO\)/);
    } finally {
      await rm(singleDir, { recursive: true, force: true });
    }
  });

  test('bad input fails with an error naming the field, before anything is written', async () => {
    const emptyDir = join(outDir, 'never-created');
    await assert.rejects(renderRunReport({ ...input, rounds: [] }, emptyDir), (error: unknown) => {
      assert.ok(error instanceof RunReportInputError);
      assert.match(error.message, /rounds: must list at least one finished round/);
      return true;
    });
    await assert.rejects(readdir(emptyDir), { code: 'ENOENT' });
  });
});
