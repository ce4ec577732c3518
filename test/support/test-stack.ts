import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, loadConfig } from '@swarm/config';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { createWorkerApp } from '../../apps/worker/src/bootstrap';
import { adminDatabaseUrl, databaseUrl, TEMPLATE_DB_ENV, testRedisUrl } from './environment';
import { HttpClient } from './http-client';

export interface TestStack {
  config: AppConfig;
  baseUrl: string;
  adminKey: string;
  http: HttpClient;
  api: NestFastifyApplication;
  worker?: INestApplicationContext;
  /** Direct connections to this file's database, for asserting what was stored (a pool: tests query it concurrently). */
  db: Pool;
  /** Another api process-equivalent on the same database and Redis: for horizontal-scale tests. */
  startExtraApi(): Promise<{ baseUrl: string; http: HttpClient; close(): Promise<void> }>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  worker?: boolean;
  env?: Record<string, string>;
}

function randomAlnum(length: number): string {
  return randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(length, 'x').slice(0, length);
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

export interface IsolatedEnvironment {
  /** Environment variables for the api and worker: own database, own Redis prefix, own keys. */
  env: Record<string, string>;
  adminKey: string;
  database: string;
  dispose(): Promise<void>;
}

/** A database cloned from the migrated template plus a Redis key prefix, for one test file. */
export async function createIsolatedEnvironment(overrides: Record<string, string> = {}): Promise<IsolatedEnvironment> {
  const template = process.env[TEMPLATE_DB_ENV];
  if (!template) throw new Error(`${TEMPLATE_DB_ENV} is not set: run the e2e tests through jest (global setup)`);
  const suffix = randomBytes(5).toString('hex');
  const database = `swarm_test_${suffix}`;
  await adminQuery(`CREATE DATABASE ${database} TEMPLATE ${template}`);
  const adminKey = `sc_${randomAlnum(8)}_${randomAlnum(40)}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl(database),
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: `test-${suffix}`,
    JWT_SECRET: randomAlnum(48),
    BOOTSTRAP_ADMIN_KEY: adminKey,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    LOG_PRETTY: 'false',
    BODY_LIMIT_BYTES: String(64 * 1024),
    // Test files run in parallel: no worker binds the default metrics port unless a test asks for one.
    WORKER_METRICS_PORT: '0',
    ...overrides,
  };
  return {
    env,
    adminKey,
    database,
    async dispose() {
      await deleteKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX);
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}

/** Boots the real api (and worker) in this process on an isolated environment. */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const isolated = await createIsolatedEnvironment(options.env);
  const { adminKey } = isolated;
  const config = loadConfig(isolated.env);

  const api = await createApiApp(config);
  await api.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = (await api.getUrl()).replace('[::1]', '127.0.0.1');
  const worker = options.worker ? await createWorkerApp(config) : undefined;
  const db = new Pool({ connectionString: config.database.url, max: 4 });
  db.on('error', () => undefined);

  const extras: NestFastifyApplication[] = [];
  return {
    config,
    baseUrl,
    adminKey,
    http: new HttpClient(baseUrl),
    api,
    worker,
    db,
    async startExtraApi() {
      const extra = await createApiApp(config);
      await extra.listen({ port: 0, host: '127.0.0.1' });
      extras.push(extra);
      const url = (await extra.getUrl()).replace('[::1]', '127.0.0.1');
      return { baseUrl: url, http: new HttpClient(url), close: () => extra.close() };
    },
    async close() {
      await db.end().catch(() => undefined);
      await worker?.close();
      for (const extra of extras) await extra.close().catch(() => undefined);
      await api.close();
      await isolated.dispose();
    },
  };
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls until the check passes: tests wait for a state, never for a fixed time. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

/** Waits until the assertions in `check` pass (they throw until then). */
export function waitUntil(check: () => unknown, timeoutMs?: number): Promise<true> {
  return eventually(async () => {
    await check();
    return true as const;
  }, timeoutMs);
}
