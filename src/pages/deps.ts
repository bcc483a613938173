// What the gateway's pages are built from: assembled once in src/gateway/gateway.ts.
import type { Registry } from 'prom-client';
import type { Config } from '../config/types.ts';
import type { Logger } from '../logger.ts';
import type { RuleMatcher } from '../policy/rules.ts';
import type { Sessions } from '../auth/sessions.ts';
import type { Throttle } from '../auth/throttle.ts';
import type { UserDirectory } from '../auth/users.ts';
import type { Devices } from '../otp/devices.ts';
import type { Store } from '../store/types.ts';
import type { SessionCookie } from '../gateway/session-cookie.ts';
import type { EventType, EventData } from '../webhooks/events.ts';

export interface EventSink {
  emit(type: EventType, data: EventData): Promise<void>;
}

export interface PageDeps {
  config: Config;
  store: Store;
  sessions: Sessions;
  sessionCookie: SessionCookie;
  users: UserDirectory;
  devices: Devices;
  throttle: Throttle;
  events: EventSink;
  rules: RuleMatcher;
  registry: Registry;
  logger: Logger;
  now: () => number;
}
