// Durable webhook delivery. `emit` only writes to the store (so it never
// delays a user's response); a background worker in every gateway instance
// claims due deliveries atomically, POSTs them, and retries or dead-letters
// failures. Delivery is at least once: a delivery whose worker died is claimed
// again when its lease ends, and receivers de-duplicate on `webhook-id`.
import { randomBytes } from 'node:crypto';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { WebhookEndpoint } from '../config/types.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/types.ts';
import { DEFAULT_SCHEDULE_MS, nextRetryDelay } from './backoff.ts';
import type { DeliveryRecord } from './delivery.ts';
import {
  DEAD_KEY,
  DELIVERY_TTL_MS,
  DUE_KEY,
  deliveryKey,
  displayUrl,
  parseDelivery,
  serializeDelivery,
} from './delivery.ts';
import type { EventData, EventType } from './events.ts';
import { buildEvent, eventBody } from './events.ts';
import { sendWebhook } from './send.ts';

export interface DispatcherOptions {
  logger: Logger;
  registry?: Registry;
  /** Delays (ms) before the 2nd, 3rd, … attempt; its length + 1 attempts in all. */
  schedule?: number[];
  /** How long a claimed delivery is reserved for this worker; must exceed timeoutMs. */
  leaseMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Idle poll interval of the worker. */
  pollMs?: number;
  /** Requests in flight at once per instance. */
  concurrency?: number;
  now?: () => number;
  random?: () => number;
}

export interface FailedDelivery {
  id: string;
  eventId: string;
  type: EventType;
  url: string;
  attempts: number;
  lastError: string | null;
  failedAt: Date;
}

type DeliveryResult = 'delivered' | 'retried' | 'failed';

const METRIC_NAME = 'otpgate_webhook_deliveries_total';
// Time a worker needs after the response to record the outcome before its
// lease could run out and another instance could send the event again.
const LEASE_MARGIN_MS = 500;

export class WebhookDispatcher {
  private readonly logger: Logger;
  private readonly schedule: readonly number[];
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly counter: Counter<'result'> | null;

  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private wakePending = false;
  private queueState: 'unknown' | 'up' | 'down' = 'unknown';
  private stopController = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly endpoints: readonly WebhookEndpoint[],
    opts: DispatcherOptions,
  ) {
    this.logger = opts.logger;
    this.schedule = opts.schedule ?? DEFAULT_SCHEDULE_MS;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.leaseMs = opts.leaseMs ?? Math.max(60_000, this.timeoutMs + 10_000);
    this.pollMs = opts.pollMs ?? 1_000;
    this.concurrency = opts.concurrency ?? 8;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    if (this.leaseMs < this.timeoutMs + LEASE_MARGIN_MS) {
      // Otherwise a slow receiver would see the same delivery from two workers.
      throw new RangeError(`webhook leaseMs (${this.leaseMs}) must exceed timeoutMs (${this.timeoutMs}) by ${LEASE_MARGIN_MS} ms`);
    }
    this.counter = opts.registry ? deliveryCounter(opts.registry) : null;
  }

  /**
   * Queues the event for every subscribed endpoint and resolves once the store
   * holds it; rejects (StoreUnavailableError) only when it could not be queued.
   */
  async emit(type: EventType, data: EventData): Promise<void> {
    const targets = this.endpoints
      .map((endpoint, index) => ({ endpoint, index }))
      .filter(({ endpoint }) => endpoint.events.includes('*') || endpoint.events.includes(type));
    if (targets.length === 0) return;
    const now = this.now();
    const event = buildEvent(type, data, new Date(now));
    const body = eventBody(event);
    await Promise.all(
      targets.map(async ({ endpoint, index }) => {
        const id = `dlv_${randomBytes(12).toString('base64url')}`;
        const record: DeliveryRecord = {
          eventId: event.id,
          type,
          body,
          endpoint: index,
          url: displayUrl(endpoint.url),
          attempts: 0,
          createdAt: now,
          lastError: null,
          failedAt: null,
        };
        // Record first, then the queue entry: a worker never sees an id without its record.
        await this.store.set(deliveryKey(id), serializeDelivery(record), DELIVERY_TTL_MS);
        await this.store.zadd(DUE_KEY, now, id);
      }),
    );
    this.wake();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /**
   * Stops the worker. Requests in flight are abandoned and put back in the
   * queue as due now, so another instance (or this one after a restart) sends
   * them without waiting for the lease to end.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopController.abort();
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.inFlight]);
    this.stopController = new AbortController();
  }

  /**
   * Claims what is due now and delivers it, once, without the background loop;
   * resolves with the number of deliveries attempted. For tests and tools.
   */
  async runOnce(limit = this.concurrency): Promise<number> {
    const ids = await this.store.claimDue(DUE_KEY, this.now(), this.leaseMs, limit);
    await Promise.all(ids.map((id) => this.process(id)));
    return ids.length;
  }

  async listFailed(): Promise<FailedDelivery[]> {
    const entries = await this.store.zrange(DEAD_KEY, 10_000);
    const out: FailedDelivery[] = [];
    for (const { member, score } of entries) {
      const text = await this.store.get(deliveryKey(member));
      const record = text === null ? null : parseDelivery(text);
      if (record === null) {
        // Its record expired: nothing left to retry or show.
        await this.store.zrem(DEAD_KEY, member);
        continue;
      }
      out.push({
        id: member,
        eventId: record.eventId,
        type: record.type,
        url: record.url,
        attempts: record.attempts,
        lastError: record.lastError,
        failedAt: new Date(record.failedAt ?? score),
      });
    }
    return out;
  }

  /** Puts dead-lettered deliveries back in the queue with a fresh schedule; returns how many. */
  async retry(id: string | 'all'): Promise<number> {
    const ids = id === 'all' ? (await this.store.zrange(DEAD_KEY, 10_000)).map((e) => e.member) : [id];
    let count = 0;
    for (const deliveryId of ids) {
      // zrem is the claim: two operators retrying at once re-queue it once.
      if (!(await this.store.zrem(DEAD_KEY, deliveryId))) continue;
      const text = await this.store.get(deliveryKey(deliveryId));
      const record = text === null ? null : parseDelivery(text);
      if (record === null) continue;
      const requeued: DeliveryRecord = { ...record, attempts: 0, failedAt: null };
      await this.store.set(deliveryKey(deliveryId), serializeDelivery(requeued), DELIVERY_TTL_MS);
      await this.store.zadd(DUE_KEY, this.now(), deliveryId);
      count += 1;
    }
    if (count > 0) this.wake();
    return count;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let idle = true;
      const room = this.concurrency - this.inFlight.size;
      if (room > 0) {
        try {
          const ids = await this.store.claimDue(DUE_KEY, this.now(), this.leaseMs, room);
          for (const id of ids) this.track(this.process(id));
          // A full batch suggests more is due: claim again without waiting.
          idle = ids.length < room;
          if (this.queueState === 'down') this.logger.info({}, 'webhook queue reachable again');
          this.queueState = 'up';
        } catch (err) {
          // Once per outage, not once per poll; a store still connecting at
          // start-up is not an outage (the store logs a real one itself).
          if (this.queueState === 'up') this.logger.warn({ err: errorMessage(err) }, 'webhook queue unavailable; will retry');
          else if (this.queueState === 'unknown') this.logger.debug({ err: errorMessage(err) }, 'webhook queue not reachable yet');
          this.queueState = 'down';
        }
      }
      if (idle && this.running) await this.sleep(this.pollMs);
    }
  }

  private track(job: Promise<void>): void {
    this.inFlight.add(job);
    void job.finally(() => {
      this.inFlight.delete(job);
      this.wake();
    });
  }

  private async process(id: string): Promise<void> {
    try {
      await this.attempt(id);
    } catch (err) {
      // The store failed mid-way: the lease runs out and the delivery is claimed again.
      this.logger.warn({ deliveryId: id, err: errorMessage(err) }, 'webhook delivery bookkeeping failed; will retry');
    }
  }

  private async attempt(id: string): Promise<void> {
    const text = await this.store.get(deliveryKey(id));
    const record = text === null ? null : parseDelivery(text);
    if (record === null) {
      await this.store.zrem(DUE_KEY, id);
      return;
    }
    const endpoint = this.endpointFor(record);
    if (endpoint === null) {
      await this.deadLetter(id, { ...record, lastError: 'endpoint no longer configured' });
      return;
    }
    const stopping = this.stopController.signal;
    const outcome = await sendWebhook(endpoint.url, endpoint.secret, record.eventId, record.body, {
      timeoutMs: this.timeoutMs,
      now: this.now(),
      signal: stopping,
    });
    if (outcome.ok) {
      await this.store.zrem(DUE_KEY, id);
      await this.store.del(deliveryKey(id));
      this.count('delivered');
      this.logger.debug({ deliveryId: id, eventId: record.eventId, type: record.type, url: record.url }, 'webhook delivered');
      return;
    }
    if (outcome.status === null && stopping.aborted) {
      // Abandoned by stop(), not failed by the receiver: no attempt counted.
      await this.store.zadd(DUE_KEY, this.now(), id);
      return;
    }
    const failed: DeliveryRecord = { ...record, attempts: record.attempts + 1, lastError: outcome.error };
    const delay = nextRetryDelay(this.schedule, failed.attempts, outcome.retryAfterMs, this.random);
    if (delay === null) {
      await this.deadLetter(id, failed);
      return;
    }
    await this.store.set(deliveryKey(id), serializeDelivery(failed), DELIVERY_TTL_MS);
    await this.store.zadd(DUE_KEY, this.now() + delay, id);
    this.count('retried');
    // Warn on every failed attempt: an operator should hear of a broken receiver
    // now, not when the last retry gives up hours later.
    this.logger.warn(
      { deliveryId: id, eventId: record.eventId, url: record.url, attempts: failed.attempts, err: outcome.error, retryInMs: delay },
      'webhook delivery failed; will retry',
    );
  }

  private async deadLetter(id: string, record: DeliveryRecord): Promise<void> {
    const failedAt = this.now();
    await this.store.set(deliveryKey(id), serializeDelivery({ ...record, failedAt }), DELIVERY_TTL_MS);
    await this.store.zadd(DEAD_KEY, failedAt, id);
    await this.store.zrem(DUE_KEY, id);
    this.count('failed');
    this.logger.warn(
      { deliveryId: id, eventId: record.eventId, type: record.type, url: record.url, attempts: record.attempts, err: record.lastError },
      'webhook delivery failed permanently',
    );
  }

  /** The configured endpoint a record was queued for, matched by position and URL. */
  private endpointFor(record: DeliveryRecord): WebhookEndpoint | null {
    const byIndex = this.endpoints[record.endpoint];
    if (byIndex && displayUrl(byIndex.url) === record.url) return byIndex;
    // The config was reordered since: the same receiver under another position.
    return this.endpoints.find((e) => displayUrl(e.url) === record.url) ?? null;
  }

  private count(result: DeliveryResult): void {
    this.counter?.inc({ result });
  }

  private wake(): void {
    if (this.wakeUp) {
      const resolve = this.wakeUp;
      this.wakeUp = null;
      resolve();
    } else {
      this.wakePending = true;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // The poll alone should not keep a process alive.
      timer.unref();
      this.wakeUp = done;
    });
  }
}

function deliveryCounter(registry: Registry): Counter<'result'> {
  // Several dispatchers may share a registry (tests, a reload): reuse the metric.
  const existing = registry.getSingleMetric(METRIC_NAME);
  if (existing) return existing as Counter<'result'>;
  return new Counter({
    name: METRIC_NAME,
    help: 'Webhook delivery attempts by result: delivered, retried (failed, will retry) or failed (dead-lettered).',
    labelNames: ['result'],
    registers: [registry],
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
