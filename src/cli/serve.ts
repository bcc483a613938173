// `otpgate serve --config FILE`
import type { Command } from './io.ts';
import { EXIT_USAGE } from './io.ts';
import { parseFlags } from './args.ts';
import { loadConfigFile } from '../config/load.ts';
import { createGateway } from '../gateway/gateway.ts';

export const serveCommand: Command = async (args, io) => {
  const parsed = parseFlags(args, { config: { type: 'string' } });
  if ('error' in parsed || typeof parsed.values.config !== 'string') {
    io.stderr.write(`usage: otpgate serve --config FILE\n${'error' in parsed ? `${parsed.error}\n` : ''}`);
    return EXIT_USAGE;
  }
  const config = loadConfigFile(parsed.values.config, io.env);
  const level = io.env.OTPGATE_LOG_LEVEL ?? 'info';
  const gateway = await createGateway(config, { log: { level } });
  const address = await gateway.listen();
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
