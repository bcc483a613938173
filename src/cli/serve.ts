// `otpgate serve --config FILE`
import type { Command } from './io.ts';
import { EXIT_BAD_INPUT, EXIT_USAGE } from './io.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
import { parseFlags } from './args.ts';
import { loadConfigFile } from '../config/load.ts';
import { createGateway } from '../gateway/gateway.ts';

export const serveCommand: Command = async (args, io) => {
  const parsed = parseFlags(args, { config: { type: 'string' } });
  if ('error' in parsed || typeof parsed.values.config !== 'string') {
    io.stderr.write(`usage: otpgate serve --config FILE\n${'error' in parsed ? `${parsed.error}\n` : ''}`);
    return EXIT_USAGE;
  }
  const level = io.env.OTPGATE_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(level)) {
    io.stderr.write(`otpgate: OTPGATE_LOG_LEVEL: "${level}" is not one of ${LOG_LEVELS.join(', ')}\n`);
    return EXIT_BAD_INPUT;
  }
  const config = loadConfigFile(parsed.values.config, io.env);
  const gateway = await createGateway(config, { log: { level } });
  let address;
  try {
    address = await gateway.listen();
  } catch (err) {
    // Nothing is served: stop the workers and timers too, or the process would linger.
    await gateway.close();
    throw err;
  }
  gateway.logger.info(
    { listen: `${address.address}:${address.port}`, upstream: config.upstream.url.href, store: gateway.store.kind },
    'otpgate is listening',
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      gateway.logger.info('shutting down');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await gateway.close();
  return 0;
};
