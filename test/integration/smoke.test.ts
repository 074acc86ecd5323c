import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadEnvironment } from '../../infra/environment';
import * as activities from '../fixtures/smoke-activities';
import { smokeWorkflow } from '../fixtures/smoke-workflow';

test('a workflow on a real worker round-trips an object through MinIO', async () => {
  const { temporal } = loadEnvironment();
  const taskQueue = `smoke-${randomUUID()}`;
  const workerConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const worker = await Worker.create({
      connection: workerConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/smoke-workflow'),
      activities,
    });
    const client = new Client({ connection, namespace: temporal.namespace });
    const text = `hello ${randomUUID()}`;
    const result = await worker.runUntil(
      client.workflow.execute(smokeWorkflow, {
        taskQueue,
        workflowId: `smoke-${randomUUID()}`,
        args: [text],
      }),
    );
    assert.equal(result, text);
  } finally {
    await connection.close();
    await workerConnection.close();
  }
});
