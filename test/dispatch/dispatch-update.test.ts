import { describe, expect, it } from 'vitest';
import type { BotConfig } from '../../src/config.ts';
import { DEFAULT_SETTINGS } from '../../src/conversation/settings.ts';
import { texts } from '../../src/conversation/texts.ts';
import { dispatchUpdate } from '../../src/dispatch/dispatch-update.ts';
import { InvalidJobPayloadError } from '../../src/queue/enqueue.ts';
import type { Update } from '../../src/telegram/update-schema.ts';
import { databaseEachTest } from '../support/database.ts';
import { FAKE_TOKEN } from '../support/test-app.ts';
import { TECHNICIAN, textUpdate } from '../support/updates.ts';

// Telegram sends an update again when our 200 did not reach the gateway (a time-out, a crash
// between the commit and the response): the second delivery is a `duplicate` that changes
// nothing, but gets the synchronous answer of the first, which is kept nowhere else.

const t = databaseEachTest();

const BOT: BotConfig = {
  slug: 'etm-terrain',
  token: FAKE_TOKEN,
  allowedUsers: [],
  groups: { chantier: undefined, sav: undefined, magasin: undefined },
};

const dispatch = (update: Update, bot = BOT) =>
  dispatchUpdate(t.db, bot, update, t.clock.now(), DEFAULT_SETTINGS);

const kept = () => t.db.selectFrom('processed_updates').select(['update_id', 'reply']).execute();
const conversations = () => t.db.selectFrom('conversations').select('version').execute();
const jobs = () => t.db.selectFrom('jobs').select('idempotency_key').execute();

describe('an update sent again', () => {
  it('gets the plain line it was answered with, and changes nothing', async () => {
    const update = textUpdate('/sav PAC en défaut E-12');
    const first = await dispatch(update);
    expect(first).toEqual({ outcome: 'handled', reply: expect.stringContaining('Pour quel chantier') });
    expect(await kept()).toEqual([{ update_id: update.update_id, reply: first.reply }]);

    expect(await dispatch(update)).toEqual({ outcome: 'duplicate', reply: first.reply });
    expect(await conversations()).toEqual([{ version: 1 }]);
    expect(await jobs()).toEqual([]);
  });

  it('gets nothing when its answer went out as a Bot API job, whose key keeps it once', async () => {
    const update = textUpdate('/start');
    expect(await dispatch(update)).toEqual({ outcome: 'handled', reply: undefined });
    expect(await kept()).toEqual([{ update_id: update.update_id, reply: null }]);

    expect(await dispatch(update)).toEqual({ outcome: 'duplicate', reply: undefined });
    expect(await jobs()).toHaveLength(1);
  });

  it('from a stranger gets the same refusal', async () => {
    const update = textUpdate('/sav PAC en défaut E-12');
    const bot = { ...BOT, allowedUsers: [TECHNICIAN.id + 1] };
    expect(await dispatch(update, bot)).toEqual({ outcome: 'refused', reply: texts.refused });
    expect(await dispatch(update, bot)).toEqual({ outcome: 'duplicate', reply: texts.refused });
    expect(await conversations()).toEqual([]);
  });

  it('that could not be processed gets the same notice, and the error is not reported twice', async () => {
    // A slug out of the job payloads' schema (src/telegram/telegram-jobs.ts): the menu's job is
    // refused as a bug would make it, and the update is answered with the notice instead.
    const bot = { ...BOT, slug: 'Etm_Terrain' };
    const update = textUpdate('/start');
    const first = await dispatch(update, bot);
    expect(first).toMatchObject({ outcome: 'failed', reply: texts.notProcessed });
    expect(first.error).toBeInstanceOf(InvalidJobPayloadError);
    expect(await kept()).toEqual([{ update_id: update.update_id, reply: texts.notProcessed }]);
    expect(await conversations()).toEqual([]);

    expect(await dispatch(update, bot)).toEqual({ outcome: 'duplicate', reply: texts.notProcessed });
    expect(await conversations()).toEqual([]);
  });
});
