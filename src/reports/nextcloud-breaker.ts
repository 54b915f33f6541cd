import { telegramJobs } from '../telegram/telegram-jobs.ts';
import type { Transaction } from 'kysely';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { type CredentialsBreaker, createCredentialsBreaker } from '../nextcloud/credentials-breaker.ts';
import { enqueue } from '../queue/enqueue.ts';
import { holdReport } from './jobs/notify-report.ts';
import { breakerAlert } from './report-messages.ts';

/**
 * The credentials breaker of the configured Nextcloud (src/nextcloud/credentials-breaker.ts),
 * or undefined when there is none. When it opens, the office hears it once, in French, in the
 * first served bot's Chantier group (else its SAV, else its Magasinier group), and every report
 * not yet announced is announced at once, its archive on hold, instead of waiting for the fix.
 */
export function nextcloudBreaker(
  config: Pick<Config, 'nextcloud' | 'bots'>,
  db: Db,
  clock: () => Date,
): CredentialsBreaker | undefined {
  const nextcloud = config.nextcloud;
  if (!nextcloud) return undefined;
  return createCredentialsBreaker({
    db,
    clock,
    credentials: nextcloud,
    onOpen: async (trx, now) => {
      await alertOffice(trx, config, nextcloud.user, now);
      await holdReceivedReports(trx, now);
    },
  });
}

async function alertOffice(
  trx: Transaction<Database>,
  config: Pick<Config, 'bots'>,
  user: string,
  now: Date,
): Promise<void> {
  for (const bot of config.bots) {
    const chatId = bot.groups.chantier ?? bot.groups.sav ?? bot.groups.magasin;
    if (!bot.token || chatId === undefined) continue;
    await enqueue(
      trx,
      telegramJobs['telegram.send-message'],
      {
        idempotencyKey: `nextcloud:breaker-opened:${now.getTime()}`,
        payload: { slug: bot.slug, chatId, text: breakerAlert(user) },
      },
      now,
    );
    return;
  }
}

/** Reports still waiting for their archive or card: announced now, on hold (report.announce-on-hold). */
async function holdReceivedReports(trx: Transaction<Database>, now: Date): Promise<void> {
  const waiting = await trx.selectFrom('reports').select('id').where('status', '=', 'received').execute();
  for (const { id } of waiting) await holdReport(trx, id, now);
}
