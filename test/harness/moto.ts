import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './net.ts';
import { startProcess } from './processes.ts';
import { toolPath } from './tools.ts';

export interface LocalAws {
  /** One endpoint for every moto-served API (SQS, EventBridge, Secrets Manager, CloudWatch). */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * moto's server, for the AWS APIs that cannot run locally any other way
 * (SQS, EventBridge, Secrets Manager, CloudWatch). DynamoDB stays on dynalite.
 */
export async function startMoto(): Promise<LocalAws> {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-moto-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const moto = startProcess(
    'moto',
    toolPath('moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    {
      logFile: join(dir, 'moto.log'),
    },
  );
  try {
    await waitUntil('moto server', async () => (await fetch(`${endpoint}/moto-api/`)).ok, {
      timeoutMs: 30_000,
      intervalMs: 100,
      abort: () => (moto.exited ? `moto exited: ${moto.logTail()}` : undefined),
    });
  } catch (err) {
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    async stop() {
      await moto.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
