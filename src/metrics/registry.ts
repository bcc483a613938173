// One Prometheus registry per gateway instance (not prom-client's global one,
// so tests can build several gateways in one process). Modules register their
// own metrics on it.
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'otpgate_' });
  return registry;
}
