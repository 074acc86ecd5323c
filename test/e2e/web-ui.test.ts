/**
 * The Temporal web UI shows an AMTO run the way a user watches it: the run's page names the workflow and
 * its type, the timeline lists every activity by its summary ("round 1: task 0 master, 5 steps"), and
 * the Search Attributes tab carries the round the workflow upserted. Looks at the run the CLI test just
 * finished (see tiny-run.ts), in headless Chromium.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AmtoTrainingResult } from '../../activities/contracts';
import { loadEnvironment } from '../../infra/environment';
import { completedTinyRun, tinyRunRounds } from './tiny-run';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}: install it with \`apt-get install -y chromium\` (infra/setup.sh does)`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * The tiny run's training intervals by their timeline summary. With sameInit (the default) both tasks
 * start round 1 from one initial checkpoint, so each round-1 slave would start from its master's own
 * checkpoint: it is not scheduled, it reuses the master's result.
 */
function trainingSummaries(): { shown: string[]; notScheduled: string[] } {
  const shown: string[] = [];
  const notScheduled: string[] = [];
  for (let round = 1; round <= tinyRunRounds; round++) {
    for (const task of [0, 1]) {
      shown.push(`trainInterval • round ${round}: task ${task} master, 5 steps`);
      // With two tasks the donor of task m is always the other task.
      const slave = `trainInterval • round ${round}: task ${task} slave from task ${1 - task}, 5 steps`;
      (round === 1 ? notScheduled : shown).push(slave);
    }
  }
  return { shown, notScheduled };
}

describe('the Temporal web UI shows an AMTO run', { timeout: 180_000 }, () => {
  const { temporal } = loadEnvironment();
  const screenshotDir = mkdtempSync(join(tmpdir(), 'amto-web-ui-'));
  let browser: Browser | undefined;
  let page: Page;
  let workflowId: string;
  let result: AmtoTrainingResult;

  before(async () => {
    browser = await launchChromium();
    const run = await completedTinyRun('ui');
    workflowId = run.workflowId;
    result = run.result;
    page = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
  });

  after(async () => {
    await browser?.close();
  });

  test("the run's page shows its id, type, status and every activity summary in the timeline", async (t) => {
    const url = `${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows/${workflowId}`;
    // The page keeps polling the server, so wait for content rather than for network idle.
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const lastSummary = `round ${tinyRunRounds}: task 1 slave from task 0`;
    await page.getByText(lastSummary).first().waitFor({ timeout: 60_000 });
    const screenshot = join(screenshotDir, 'web-ui-run.png');
    await page.screenshot({ path: screenshot });
    t.diagnostic(`screenshot: ${screenshot}`);
    assert.deepEqual([...readFileSync(screenshot).subarray(1, 4)], [...Buffer.from('PNG')]);

    const text = await page.locator('main').innerText();
    assert.ok(text.includes(workflowId), `the page does not name ${workflowId}`);
    assert.match(text, /Workflow Type\s+amtoTraining/);
    assert.match(text, /\bCompleted\b/);
    const training = trainingSummaries();
    const expected = [
      'prepareRun • prepare 2 splits and initial checkpoints',
      ...training.shown,
      `evaluate • test: the chosen model (task ${result.chosenTask}) on the test set`,
    ];
    const missing = expected.filter((summary) => !text.includes(summary));
    assert.deepEqual(missing, [], `summaries missing from the timeline:\n${missing.join('\n')}`);
    const unexpected = training.notScheduled.filter((summary) => text.includes(summary));
    assert.deepEqual(unexpected, [], `slaves that start from their master's checkpoint were scheduled`);
  });

  test('the Search Attributes tab shows the round, arch and dataset the workflow upserted', async () => {
    await page.getByRole('tab', { name: 'Search Attributes' }).click();
    await page.getByText('AmtoRound').first().waitFor({ timeout: 30_000 });
    const text = await page.locator('main').innerText();
    assert.equal(Number(/"AmtoRound":\s*(\d+)/.exec(text)?.[1]), result.rounds);
    assert.match(text, /"AmtoArch":\s*"small-cnn"/);
    assert.match(text, /"AmtoDataset":\s*"fashion-mnist"/);
    assert.match(text, /"AmtoBestValLoss":\s*\d/);
  });
});
