import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateEntry } from '../../sandbox/activity-feed.ts';
import { SANDBOX_GROUPS, SANDBOX_SLUG } from '../../sandbox/sandbox-env.ts';
import { type Sandbox, startSandbox } from '../../sandbox/start-sandbox.ts';

/**
 * The sandbox as a person uses it: the real service started in-process on local stand-ins, its
 * web chat driven in a real headless Chromium (Debian's, via playwright-core). Each report is
 * checked on the page and on what crossed the wire: the Telegram stand-in's calls, the files
 * the WebDAV server wrote, the Deck stand-in's cards. Waits are Playwright's bounded ones.
 * SANDBOX_SCREENSHOT=docs/sandbox.png also saves a screenshot of the page at the end.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Album quiet period 300 ms, then downloads, uploads, a card and messages: seconds at most. */
const WAIT_MS = 15_000;
const FIXTURES = ['photo-1.jpg', 'photo-2.jpg', 'photo-3.jpg'].map((name) =>
  fileURLToPath(new URL(`../../sandbox/fixtures/${name}`, import.meta.url)),
);
const FIN_CAPTION = 'Müller / onduleur + batterie posés';
const SAV_CAPTION = 'Müller / PAC en défaut E-12 après coupure EDF';

let sandbox: Sandbox;
let page: Page;
/** What beforeAll started, stopped in reverse order even when it failed halfway. */
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'etm-sandbox-data-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const profileDir = await mkdtemp(join(tmpdir(), 'etm-sandbox-chromium-'));
  cleanups.push(() => rm(profileDir, { recursive: true, force: true }));
  sandbox = await startSandbox({ port: 0, dataDir, env: { LOG_LEVEL: 'silent', ALBUM_QUIET_MS: '300' } });
  cleanups.push(() => sandbox.close());
  // A persistent context is how Playwright takes a --user-data-dir: a fresh one per run.
  const browser: BrowserContext = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
    locale: 'fr-FR',
  });
  cleanups.push(() => browser.close());
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(`${sandbox.url}/sandbox`);
  await page.getByText('● en direct').waitFor();
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const composer = () => page.getByRole('textbox', { name: 'Message ou légende' });
const chat = () => page.getByRole('list', { name: 'Conversation avec le bot' });
const groupPanel = (title: string) => page.getByRole('region', { name: `Groupe ${title}` });
const archivedPhotos = () =>
  page.locator('#files').getByRole('link', { name: /^photo_\d{2}_\d{8}_\d{6}\.jpg$/ });

async function type(text: string): Promise<void> {
  await composer().fill(text);
  await page.getByRole('button', { name: 'Envoyer', exact: true }).click();
}

async function sendAlbum(files: readonly string[], caption: string): Promise<void> {
  await page.locator('#photo-input').setInputFiles([...files]);
  await composer().fill(caption);
  await page.getByRole('button', { name: `Envoyer ${files.length} photos` }).click();
}

/** The photo Updates the page posted to /telegram/update, as the service received them. */
function postedPhotoMessages(): Record<string, unknown>[] {
  return sandbox.feed
    .entries()
    .filter((entry): entry is UpdateEntry & { seq: number } => entry.kind === 'update')
    .map((entry) => (entry.update as { message?: Record<string, unknown> } | undefined)?.message)
    .filter((message): message is Record<string, unknown> => message?.photo !== undefined);
}

async function photosOnDisk(folder: string): Promise<Buffer[]> {
  const names = (await readdir(folder)).sort();
  return Promise.all(names.map(async (name) => readFile(join(folder, name))));
}

async function folderOf(parent: string, suffix: string): Promise<string> {
  const names = await readdir(join(sandbox.nextcloudFolder, parent));
  const name = names.find((entry) => entry.endsWith(suffix));
  if (name === undefined) throw new Error(`no folder *${suffix} in ${parent}: ${names.join(', ')}`);
  return join(sandbox.nextcloudFolder, parent, name);
}

const isJpeg = (bytes: Buffer) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

describe('the sandbox web chat', () => {
  it('greets a first visit with the /start hint, the service having only set its commands', async () => {
    expect(sandbox.feed.entries().some((entry) => entry.kind === 'update')).toBe(false);
    await chat().getByText('Tapez /start pour commencer').waitFor();
  });

  it('sends an end-of-job album: the group is told, three photos land in Nextcloud, a card opens', async () => {
    await type('/start');
    await page.getByRole('button', { name: '📸 Fin de Chantier' }).last().click();
    await chat()
      .getByText(/Fin de chantier : envoie les photos/)
      .waitFor();
    await sendAlbum(FIXTURES, FIN_CAPTION);

    // On the page: the group's message, the three files with thumbnails, the card.
    const group = groupPanel(SANDBOX_GROUPS.chantier.title);
    await group.getByText(/Chantier : Müller/).waitFor();
    await archivedPhotos().nth(2).waitFor();
    expect(await archivedPhotos().count()).toBe(3);
    expect(await page.locator('#files img').count()).toBe(3);
    await page
      .locator('#deck')
      .getByRole('heading', { name: /Müller.*FIN-\d{4}/ })
      .waitFor();
    await chat()
      .getByText(/FIN-\d{4}/)
      .first()
      .waitFor();

    // As the gateway would have posted them: one Update per photo, one album, the caption once.
    const photos = postedPhotoMessages();
    expect(photos).toHaveLength(3);
    expect(new Set(photos.map((message) => message.media_group_id)).size).toBe(1);
    expect(photos[0]!.media_group_id).toEqual(expect.any(String));
    expect(photos.filter((message) => message.caption !== undefined).map((m) => m.caption)).toEqual([
      FIN_CAPTION,
    ]);

    // On the wire and on disk.
    const groupTexts = sandbox.telegram
      .callsTo('sendMessage')
      .filter((call) => Number(call.params.chat_id) === SANDBOX_GROUPS.chantier.id)
      .map((call) => String(call.params.text));
    expect(groupTexts.join('\n')).toContain('Müller');
    const folder = join(await folderOf('Chantiers', '_Müller'), '30_Photos_Chantier');
    const files = await photosOnDisk(folder);
    expect(files).toHaveLength(3);
    expect(files.every(isJpeg)).toBe(true);
    const finStack = sandbox.deck.store.allStacks().find((stack) => stack.title === 'Fin de Chantier');
    expect(sandbox.deck.store.allCards(finStack?.id).map((card) => card.title)).toEqual([
      expect.stringMatching(/Müller.*FIN-\d{4}/),
    ]);
  }, 60_000);

  it('sends an after-sales alert with photos: ETM-SAV is told with the photos, SAV_Urgent holds them, a SAV card opens, the assistant answers', async () => {
    await page.getByRole('button', { name: '⚠️ Alerte SAV' }).last().click();
    await chat()
      .getByText(/Alerte SAV : écris/)
      .waitFor();
    await sendAlbum(FIXTURES.slice(0, 2), SAV_CAPTION);

    const group = groupPanel(SANDBOX_GROUPS.sav.title);
    await group.getByText(/SAV — Müller/).waitFor();
    await group.getByRole('img').nth(1).waitFor();
    await page
      .locator('#deck')
      .getByRole('heading', { name: /Müller.*SAV-\d{4}/ })
      .waitFor();
    await archivedPhotos().nth(4).waitFor();

    const savFolder = await folderOf('SAV_Urgent', '_Müller');
    expect(await photosOnDisk(savFolder).then((files) => files.filter(isJpeg))).toHaveLength(2);
    const savStack = sandbox.deck.store.allStacks().find((stack) => stack.title === 'SAV');
    expect(sandbox.deck.store.allCards(savStack?.id)).toHaveLength(1);

    // The queue drains and nothing died on the way.
    await page
      .locator('#job-counts', {
        hasText: /en attente : 0(?!\d).*en cours : 0(?!\d).*à réessayer : 0(?!\d).*abandonnées : 0(?!\d)/,
      })
      .waitFor();

    // The SAV assistant answers the technician after the alert, the safety line first.
    const answer = chat().getByText(/^⚠️ Sécurité : consigner avant toute intervention/);
    await answer.waitFor();
    const text = (await answer.textContent()) ?? '';
    expect(text).toMatch(/💡 Solution connue|🔎 Pistes à vérifier/u);
    expect(text).toMatch(/🎫 SAV-\d{4}/u);

    const screenshot = process.env.SANDBOX_SCREENSHOT;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  }, 60_000);

  it('replays a recorded sample from the page, as the gateway would post it', async () => {
    const menus = page.getByRole('button', { name: '📸 Fin de Chantier' });
    const before = await menus.count();
    await page.getByRole('combobox', { name: /Update de/ }).selectOption({ label: 'start' });
    await page.getByRole('button', { name: 'Rejouer' }).click();
    await menus.nth(before).waitFor();
    const starts = sandbox.feed
      .entries()
      .filter((entry) => entry.kind === 'update')
      .filter((entry) => (entry.update as { message?: { text?: string } }).message?.text === '/start');
    expect(starts).toHaveLength(2);
    expect(new Set(starts.map((entry) => (entry.update as { update_id: number }).update_id)).size).toBe(2);
  }, 60_000);

  it('replays a button sample as a tap on the menu the bot sent last, then on a message of its own', async () => {
    const replay = async (name: string) => {
      await page.getByRole('combobox', { name: /Update de/ }).selectOption({ label: name });
      await page.getByRole('button', { name: 'Rejouer' }).click();
    };
    const sentMenus = () =>
      sandbox.feed
        .entries()
        .filter((entry) => entry.kind === 'botapi' && entry.method === 'sendMessage')
        .map((entry) => (entry as { result: { message_id: number; reply_markup?: unknown } }).result)
        .filter((message) => JSON.stringify(message.reply_markup ?? {}).includes('"callback_data":"sav"'));
    const taps = () =>
      sandbox.feed
        .entries()
        .filter((entry) => entry.kind === 'update')
        .map(
          (entry) =>
            (entry.update as { callback_query?: { message: { message_id: number } } }).callback_query,
        )
        .filter((query) => query !== undefined);
    const prompts = chat().getByText('Alerte SAV : écris');
    const before = await prompts.count();
    await replay('button-sav');
    await prompts.nth(before).waitFor();
    expect(taps().at(-1)!.message.message_id).toBe(sentMenus().at(-1)!.message_id);
    // That menu lost its buttons: the next replay taps another message, never an "already handled" one.
    const answers = () =>
      sandbox.feed
        .entries()
        .filter((entry) => entry.kind === 'botapi' && entry.method === 'answerCallbackQuery');
    const answered = answers().length;
    await replay('button-sav');
    await expect.poll(() => answers().length, { timeout: WAIT_MS }).toBe(answered + 1);
    expect(taps().at(-1)!.message.message_id).not.toBe(taps().at(-2)!.message.message_id);
    expect((answers().at(-1) as { params: { text?: string } }).params.text).toBeUndefined();
  }, 60_000);

  it('survives anything in its history: an update for another bot, a body that is no Update', async () => {
    const post = (slug: string, body: string) =>
      fetch(`${sandbox.url}/telegram/update`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-bot-slug': slug },
        body,
      });
    const curl = {
      update_id: 1,
      message: { message_id: 1, date: 1, chat: { id: 5, type: 'private' }, text: '/aide' },
    };
    expect((await post('demo', JSON.stringify(curl))).status).toBe(404);
    expect((await post(SANDBOX_SLUG, '[1, 2]')).status).toBe(400);
    await page.reload();
    await page.getByText('● en direct').waitFor();
    await chat().getByText('Update pour le bot « demo » : HTTP 404').waitFor();
    await chat().getByText('Update refusée, HTTP 400').waitFor();
    const unknown = chat().getByText('Commande /inconnue inconnue');
    await type('/inconnue');
    await unknown.waitFor();
  }, 60_000);
});

describe('the sandbox web chat, in the disorder of a real day', () => {
  it('a tap on an older menu acts on the report in progress and shows back what joins it', async () => {
    // From a clean slate: the walkthrough above may have left a report open.
    await type('/annuler');
    await type('/start');
    await type('Koch');
    await chat()
      .getByText(/C’est pour quel rapport/)
      .last()
      .waitFor();
    // The very first menu of the session, long used.
    await page.getByRole('button', { name: '📸 Fin de Chantier' }).first().click();
    await chat()
      .getByText(/J’ajoute à ce rapport « Koch »/)
      .waitFor();
    await sendAlbum(FIXTURES.slice(0, 2), 'Müller / onduleur remplacé');
    const group = groupPanel(SANDBOX_GROUPS.chantier.title);
    await group.getByText(/onduleur remplacé/).waitFor();
  }, 60_000);

  it('an answer that is not a known chantier is not taken as one: the bot asks to confirm it', async () => {
    await page.getByRole('button', { name: '⚠️ Alerte SAV' }).last().click();
    await type('PAC ne démarre plus');
    await chat()
      .getByText(/Pour quel chantier/)
      .last()
      .waitFor();
    await type('cuivre 28mm et 2 coudes');
    await chat()
      .getByText(/Je ne connais pas de chantier « cuivre 28mm et 2 coudes »/)
      .waitFor();
    await page.getByRole('button', { name: '✅ Nouveau : cuivre 28mm et 2 coudes' }).waitFor();
    // The right name instead: a chantier the office has, taken at once in its spelling.
    await type('muller');
    const group = groupPanel(SANDBOX_GROUPS.sav.title);
    await group.getByText(/PAC ne démarre plus/).waitFor();
    const names = await readdir(join(sandbox.nextcloudFolder, 'SAV_Urgent'));
    expect(names.filter((name) => name.includes('cuivre'))).toEqual([]);
  }, 60_000);

  it('15 photos, which a phone sends as two albums (10 + 5): one report, one answer', async () => {
    await type('/menu');
    await page.getByRole('button', { name: '📸 Fin de Chantier' }).last().click();
    await chat()
      .getByText(/Fin de chantier : envoie les photos/)
      .last()
      .waitFor();
    const received = chat().getByText(/Bien reçu/);
    const before = await received.count();
    const fifteen = Array.from({ length: 15 }, (_, index) => FIXTURES[index % FIXTURES.length]!);
    await page.locator('#photo-input').setInputFiles(fifteen);
    await composer().fill('Weber / 15 photos du toit');
    await page.getByRole('button', { name: 'Envoyer 15 photos' }).click();
    await received.nth(before).waitFor({ timeout: 4 * WAIT_MS });
    const albums = new Set(
      postedPhotoMessages()
        .slice(-15)
        .map((message) => message.media_group_id),
    );
    expect(albums.size).toBe(2);
    // One report for both albums: answered once.
    expect(await received.count()).toBe(before + 1);
  }, 120_000);
});
