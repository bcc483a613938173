// `otpgate users reset-2fa NAME --config FILE`: the administrator's recovery
// for a user who lost their phone and their backup codes. Removes the TOTP
// device, the backup codes and every remembered browser, ends all the user's
// sessions, and queues a `device.removed` event for the running gateways.
import type { Command } from './io.ts';
import { EXIT_BAD_INPUT, EXIT_USAGE } from './io.ts';
import { parseFlags } from './args.ts';
import { loadConfigFile } from '../config/load.ts';
import { createStore, waitForStore } from '../store/index.ts';
import { Devices } from '../otp/devices.ts';
import { Sessions } from '../auth/sessions.ts';
import { UserDirectory } from '../auth/users.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { silentLogger } from '../logger.ts';

export const usersResetCommand: Command = async (args, io) => {
  const parsed = parseFlags(args, { config: { type: 'string' } });
  if ('error' in parsed || typeof parsed.values.config !== 'string' || parsed.positionals.length !== 1) {
    io.stderr.write(`usage: otpgate users reset-2fa NAME --config FILE\n${'error' in parsed ? `${parsed.error}\n` : ''}`);
    return EXIT_USAGE;
  }
  const username = parsed.positionals[0] as string;
  const config = loadConfigFile(parsed.values.config, io.env);
  if (!config.store.redis) {
    io.stderr.write(
      'otpgate: store: the config uses the embedded in-memory store, which lives inside the running gateway; ' +
        'reset-2fa needs a shared store (store.redis)\n',
    );
    return EXIT_BAD_INPUT;
  }
  const users = await UserDirectory.load(config.users.file, silentLogger);
  const user = users.get(username);
  users.close();
  if (!user) {
    io.stderr.write(`otpgate: users.file: no user "${username}" in ${config.users.file}\n`);
    return EXIT_BAD_INPUT;
  }
  const store = createStore(config.store, silentLogger);
  try {
    await waitForStore(store);
    const devices = new Devices(store, {
      encryptionKey: config.secrets.encryptionKey,
      totp: config.twoFactor.totp,
      backupCodes: config.twoFactor.backupCodes,
    });
    const sessions = new Sessions(store, config.session);
    const had = await devices.status(username);
    await devices.removeAll(username);
    const ended = await sessions.destroyAllFor(username);
    // Only a real removal is an event: a second run must not raise a false alarm.
    if (had.totp !== null || had.backupCodesLeft > 0) {
      await new WebhookDispatcher(store, config.webhooks, { logger: silentLogger }).emit('device.removed', {
        user: { username, email: user.email },
        device: { name: 'totp', type: 'totp' },
        request: { ip: '', user_agent: 'otpgate users reset-2fa', path: '', site: config.server.publicUrl?.host ?? '' },
        reason: 'reset by an administrator',
      });
    }
    io.stdout.write(
      `reset two-factor for ${username}: ${had.totp ? 'removed the TOTP device' : 'no TOTP device'}, ` +
        `${had.backupCodesLeft} backup code(s) removed, remembered browsers forgotten, ${ended} session(s) ended\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
};
