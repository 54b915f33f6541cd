/* global document, window, fetch, EventSource, URL, createImageBitmap, console, structuredClone */
// The sandbox's web chat: a fake technician talks to the real service exactly as the gateway
// would (POST /telegram/update), and the page shows what came back, live, from the sandbox's
// feed (SSE): the synchronous replies, the Bot API calls, and the archive, board and queue.
'use strict';

const PHOTO_MAX_SIDE = 1280; // Telegram re-encodes photos to at most 1280 px, as JPEG.
const JPEG_QUALITY = 0.87;

const page = {
  config: undefined,
  /** `${chatId}:${messageId}` → { message, keyboardHost } for messages the bot sent. */
  botMessages: new Map(),
  groupLists: new Map(),
  lastId: 0,
  tray: [],
  closedFolders: new Set(),
  refreshing: false,
  refreshAgain: false,
};

const $ = (selector) => document.querySelector(selector);

/** A small element builder: el('p', { class: 'x' }, 'text', child). Text is never parsed as HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

// ---- ids, users, chats ----

/** Increasing and unique across reloads: Telegram's ids only grow, and the service dedupes update_id. */
function nextId() {
  page.lastId = Math.max(Date.now(), page.lastId + 1);
  return page.lastId;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function technicianUser() {
  const { id, first_name, last_name } = page.config.technician;
  return { id, is_bot: false, first_name, last_name, language_code: 'fr' };
}

function privateChat() {
  const { id, first_name, last_name } = page.config.technician;
  return { id, type: 'private', first_name, last_name };
}

// ---- talking to the service as the gateway does ----

async function postUpdate(update) {
  try {
    const response = await fetch('/telegram/update', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bot-slug': page.config.slug },
      body: JSON.stringify(update),
    });
    return response.status;
  } catch (error) {
    appendChat(systemLine(`Le service ne répond pas : ${String(error)}`, true));
    return 0;
  }
}

/** A new message of the technician in the private chat, with fresh ids, as Telegram delivers it. */
function technicianUpdate(fields) {
  return {
    update_id: nextId(),
    message: {
      message_id: nextId(),
      from: technicianUser(),
      chat: privateChat(),
      date: nowSeconds(),
      ...fields,
    },
  };
}

function textUpdate(text) {
  const command = /^\/[a-z0-9_]+/i.exec(text);
  return technicianUpdate({
    text,
    ...(command ? { entities: [{ offset: 0, length: command[0].length, type: 'bot_command' }] } : {}),
  });
}

function buttonUpdate(message, data) {
  return {
    update_id: nextId(),
    callback_query: {
      id: String(nextId()),
      from: technicianUser(),
      chat_instance: '-4242424242424242',
      message,
      data,
    },
  };
}

/** Telegram albums hold at most 10 items: a phone sends more as several albums, back to back. */
const ALBUM_MAX_ITEMS = 10;

/**
 * One Update per photo, as Telegram delivers an album; the caption rides on the first one. More
 * than 10 photos leave as albums of 10 (and the rest), each with its own media_group_id.
 */
function albumUpdates(photos, caption) {
  const albums = [];
  for (let start = 0; start < photos.length; start += ALBUM_MAX_ITEMS) {
    albums.push(photos.slice(start, start + ALBUM_MAX_ITEMS));
  }
  return albums.flatMap((album, albumIndex) => {
    const mediaGroupId = album.length > 1 ? `${nextId()}${Math.floor(Math.random() * 1000)}` : undefined;
    return album.map((photo, index) =>
      technicianUpdate({
        ...(mediaGroupId ? { media_group_id: mediaGroupId } : {}),
        photo: [photo],
        ...(albumIndex === 0 && index === 0 && caption ? { caption } : {}),
      }),
    );
  });
}

async function sendAlbum(files, caption) {
  const jpegs = await Promise.all(files.map(toTelegramJpeg));
  const response = await fetch('/sandbox/api/photos', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ photos: jpegs.map((jpeg) => ({ jpegBase64: jpeg.base64 })) }),
  });
  if (!response.ok) throw new Error(`enregistrement des photos refusé (HTTP ${response.status})`);
  const { photos } = await response.json();
  const sizes = photos.map((photo, index) => ({
    ...photo,
    width: jpegs[index].width,
    height: jpegs[index].height,
  }));
  // In order, one at a time: Telegram delivers one update per chat at a time.
  for (const update of albumUpdates(sizes, caption)) await postUpdate(update);
}

/** What Telegram does to a photo: at most 1280 px on the long side, re-encoded as JPEG. */
async function toTelegramJpeg(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = el('canvas', { width, height });
  canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
  const dataUrl = canvas.toDataURL('image/jpeg', JPEG_QUALITY);
  return { base64: dataUrl.slice(dataUrl.indexOf(',') + 1), width, height };
}

// ---- the chat ----

const fileUrl = (fileId) => `/sandbox/api/telegram-files/${encodeURIComponent(fileId)}`;
const timeOf = (ms) => new Date(ms).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });

function appendChat(node) {
  const chat = $('#chat');
  const nearBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  chat.append(node);
  if (nearBottom) chat.scrollTop = chat.scrollHeight;
}

function systemLine(text, error = false) {
  return el('li', { class: error ? 'system error' : 'system' }, text);
}

function photoGrid(fileIds) {
  if (fileIds.length === 0) return undefined;
  return el(
    'div',
    { class: 'photos', 'data-count': fileIds.length },
    fileIds.map((fileId, index) =>
      el('img', {
        src: fileUrl(fileId),
        alt: `Photo ${index + 1}`,
        loading: 'lazy',
        width: 160,
        height: 120,
      }),
    ),
  );
}

/** The largest size of a Telegram photo (sizes come smallest first). */
const largest = (sizes) =>
  Array.isArray(sizes) && sizes.length > 0 ? sizes[sizes.length - 1].file_id : undefined;

function bubble({ mine, via, text, fileIds = [], at, mediaGroup }) {
  return el(
    'li',
    { class: mine ? 'bubble mine' : 'bubble', 'data-media-group': mediaGroup },
    via ? el('span', { class: 'via' }, via) : undefined,
    photoGrid(fileIds),
    text ? el('span', { class: 'text' }, text) : undefined,
    el('span', { class: 'meta' }, timeOf(at)),
  );
}

/** Telegram shows an album as one bubble: the next photo of the same album joins the last one. */
function joinAlbum(node, fileId, text) {
  const grid = node.querySelector('.photos');
  if (grid && fileId) {
    grid.append(
      el('img', { src: fileUrl(fileId), alt: `Photo ${grid.children.length + 1}`, loading: 'lazy' }),
    );
    grid.dataset.count = String(grid.children.length);
  }
  if (text) node.insertBefore(el('span', { class: 'text' }, text), node.querySelector('.meta'));
}

function keyboardFor(message, markup) {
  const rows = markup && Array.isArray(markup.inline_keyboard) ? markup.inline_keyboard : [];
  if (rows.length === 0) return undefined;
  return el(
    'div',
    { class: 'keyboard', role: 'group', 'aria-label': 'Boutons du bot' },
    rows.map((row) =>
      el(
        'div',
        { class: 'row' },
        row.map((button) =>
          el(
            'button',
            {
              type: 'button',
              onclick: async (event) => {
                const target = event.currentTarget;
                target.disabled = true;
                await postUpdate(buttonUpdate(message, button.callback_data));
                target.disabled = false;
              },
            },
            button.text,
          ),
        ),
      ),
    ),
  );
}

function renderUpdate(entry) {
  if (entry.slug !== page.config.slug) {
    // Posted by hand (curl, make send) to another bot: not this chat's, but shown, with its answer.
    const answer = entry.error
      ? `HTTP ${entry.status} : ${entry.error}`
      : (entry.reply ?? `HTTP ${entry.status}`);
    appendChat(
      systemLine(`Update pour le bot « ${entry.slug || '(sans X-Bot-Slug)'} » : ${answer}`, !!entry.error),
    );
    return;
  }
  if (entry.status >= 400) {
    appendChat(systemLine(`Update refusée, HTTP ${entry.status} : ${entry.error ?? ''}`, true));
    return;
  }
  const update = entry.update !== null && typeof entry.update === 'object' ? entry.update : {};
  const message = update.message ?? update.edited_message;
  if (message) renderTechnicianMessage(message, entry, Boolean(update.edited_message));
  else if (update.callback_query) renderButtonPress(update.callback_query);
  else appendChat(systemLine(`Update sans message ni bouton (${Object.keys(update).join(', ')})`));
  if (entry.reply)
    appendChat(bubble({ via: 'réponse immédiate (passerelle)', text: entry.reply, at: entry.at }));
  if (entry.error) appendChat(systemLine(`HTTP ${entry.status} : ${entry.error}`, true));
}

function renderTechnicianMessage(message, entry, edited) {
  if (message.chat.id !== page.config.technician.id) {
    appendChat(
      systemLine(
        `Message dans le groupe « ${message.chat.title ?? message.chat.id} » : ${message.text ?? '…'}`,
      ),
    );
    return;
  }
  const attachments = [];
  if (message.document) attachments.push(`📄 ${message.document.file_name ?? 'document'}`);
  if (message.voice) attachments.push(`🎤 message vocal (${message.voice.duration} s)`);
  const text = [message.text ?? message.caption, ...attachments].filter(Boolean).join('\n');
  const photo = largest(message.photo);
  const last = $('#chat').lastElementChild;
  if (message.media_group_id && last?.dataset.mediaGroup === message.media_group_id) {
    joinAlbum(last, photo, text);
    return;
  }
  appendChat(
    bubble({
      mine: true,
      via: edited ? 'modifié' : message.media_group_id ? 'album' : undefined,
      text,
      fileIds: photo ? [photo] : [],
      at: entry.at,
      mediaGroup: message.media_group_id,
    }),
  );
}

function renderButtonPress(query) {
  const known = query.message
    ? page.botMessages.get(`${query.message.chat.id}:${query.message.message_id}`)
    : undefined;
  const buttons = known?.message.reply_markup?.inline_keyboard?.flat() ?? [];
  const label = buttons.find((button) => button.callback_data === query.data)?.text ?? query.data;
  appendChat(systemLine(`Appui sur « ${label} »`));
}

function renderBotApi(entry) {
  if (!entry.ok && /message to edit not found/i.test(entry.description ?? '')) {
    // A replayed button sample taps a menu the bot never sent here: the service takes it as done.
    appendChat(
      systemLine('Boutons d’un message que le bot n’a pas envoyé ici (exemple rejoué) : rien à retirer.'),
    );
    return;
  }
  if (!entry.ok) {
    appendChat(systemLine(`Bot API ${entry.method} refusé : ${entry.description}`, true));
    return;
  }
  switch (entry.method) {
    case 'sendMessage':
    case 'sendPhoto':
      renderBotMessages([entry.result], entry.at);
      break;
    case 'sendMediaGroup':
      renderBotMessages(entry.result, entry.at);
      break;
    case 'editMessageReplyMarkup':
      replaceKeyboard(entry.params);
      break;
    case 'answerCallbackQuery':
      if (entry.params.text) appendChat(systemLine(`🔔 ${entry.params.text}`));
      break;
    default:
      break; // getFile, setMyCommands: the service's plumbing, not something a technician sees.
  }
}

/** One bubble for one message, or for all the messages of one album. */
function renderBotMessages(messages, at) {
  const first = messages[0];
  const fileIds = messages.map((message) => largest(message.photo)).filter(Boolean);
  const text = messages
    .map((message) => message.text ?? message.caption)
    .filter(Boolean)
    .join('\n');
  const node = bubble({ text, fileIds, at });
  const keyboardHost = el('div');
  node.insertBefore(keyboardHost, node.lastChild);
  const keyboard = keyboardFor(first, first.reply_markup);
  if (keyboard) keyboardHost.append(keyboard);
  for (const message of messages) {
    page.botMessages.set(`${message.chat.id}:${message.message_id}`, { message, keyboardHost });
  }
  if (first.chat.id === page.config.technician.id) appendChat(node);
  else if (page.groupLists.has(first.chat.id)) page.groupLists.get(first.chat.id).append(node);
  else
    appendChat(systemLine(`Message vers le chat ${first.chat.id}, qui n’est ni le technicien ni un groupe`));
}

function replaceKeyboard(params) {
  const known = page.botMessages.get(`${params.chat_id}:${params.message_id}`);
  if (!known) return;
  const message = { ...known.message, reply_markup: params.reply_markup };
  known.message = message;
  const keyboard = keyboardFor(message, params.reply_markup);
  known.keyboardHost.replaceChildren(...(keyboard ? [keyboard] : []));
}

/** One entry of the feed; one the page cannot draw (anything may be posted) is named, not fatal. */
function renderEntry(entry) {
  try {
    if (entry.kind === 'update') renderUpdate(entry);
    else renderBotApi(entry);
  } catch (error) {
    console.warn('feed entry not shown', entry, error);
    appendChat(systemLine(`Entrée du journal illisible (${String(error)})`, true));
  }
}

function resetConversation(entries) {
  $('#chat').replaceChildren();
  for (const list of page.groupLists.values()) list.replaceChildren();
  page.botMessages.clear();
  for (const entry of entries) renderEntry(entry);
  // The service's own plumbing (setMyCommands…) shows nothing: an empty chat still gets the hint.
  if ($('#chat').children.length === 0)
    appendChat(systemLine('Tapez /start pour commencer, ou rejouez un exemple.'));
  const chat = $('#chat');
  chat.scrollTop = chat.scrollHeight;
}

// ---- the composer: text, photos picked or dropped ----

function renderTray() {
  const tray = $('#tray');
  const list = $('#tray-photos');
  for (const image of list.querySelectorAll('img')) URL.revokeObjectURL(image.src);
  list.replaceChildren(
    ...page.tray.map((file, index) =>
      el(
        'li',
        {},
        el('img', { src: URL.createObjectURL(file), alt: file.name }),
        el(
          'button',
          {
            type: 'button',
            'aria-label': `Retirer ${file.name}`,
            onclick: () => {
              page.tray.splice(index, 1);
              renderTray();
            },
          },
          '✕',
        ),
      ),
    ),
  );
  tray.hidden = page.tray.length === 0;
  $('#send').textContent =
    page.tray.length > 0 ? `Envoyer ${page.tray.length} photo${page.tray.length > 1 ? 's' : ''}` : 'Envoyer';
}

function addToTray(files) {
  const images = [...files].filter((file) => file.type.startsWith('image/'));
  // A phone lets one pick more than 10 photos; they leave as several albums (albumUpdates).
  page.tray.push(...images.slice(0, Math.max(0, 3 * ALBUM_MAX_ITEMS - page.tray.length)));
  renderTray();
}

async function submitComposer(event) {
  event.preventDefault();
  const input = $('#text-input');
  const text = input.value.trim();
  if (page.tray.length === 0 && text === '') return;
  const button = $('#send');
  button.disabled = true;
  try {
    if (page.tray.length > 0) {
      const files = page.tray.splice(0);
      renderTray();
      await sendAlbum(files, text);
    } else {
      await postUpdate(textUpdate(text));
    }
    input.value = '';
  } catch (error) {
    appendChat(systemLine(String(error), true));
  } finally {
    button.disabled = false;
    input.focus();
  }
}

function setUpComposer() {
  $('#composer').addEventListener('submit', submitComposer);
  $('#text-input').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      $('#composer').requestSubmit();
    }
  });
  $('#photo-input').addEventListener('change', (event) => {
    addToTray(event.target.files);
    event.target.value = '';
  });
  const phone = $('.phone');
  phone.addEventListener('dragover', (event) => {
    event.preventDefault();
    phone.classList.add('dropping');
  });
  phone.addEventListener('dragleave', () => phone.classList.remove('dropping'));
  phone.addEventListener('drop', (event) => {
    event.preventDefault();
    phone.classList.remove('dropping');
    addToTray(event.dataTransfer.files);
  });
}

// ---- the panels: groups, Nextcloud, Deck, jobs ----

function setUpGroups() {
  const host = $('#groups');
  for (const group of page.config.groups) {
    const list = el('ol', { 'aria-live': 'polite' });
    page.groupLists.set(group.id, list);
    host.append(
      el(
        'section',
        { class: 'group', 'aria-label': `Groupe ${group.title}`, 'data-group': group.key },
        el('h3', {}, group.title, ' ', el('small', {}, String(group.id))),
        list,
      ),
    );
  }
}

async function refreshState() {
  if (page.refreshing) {
    page.refreshAgain = true;
    return;
  }
  page.refreshing = true;
  try {
    const response = await fetch('/sandbox/api/state');
    if (response.ok) {
      const state = await response.json();
      renderFiles(state.nextcloud);
      renderDeck(state.deck);
      renderJobs(state.jobs);
    }
  } catch (error) {
    console.warn('state refresh failed', error);
  } finally {
    page.refreshing = false;
    if (page.refreshAgain) {
      page.refreshAgain = false;
      void refreshState();
    }
  }
}

const isImage = (name) => /\.(jpe?g|png|webp|gif)$/i.test(name);
const nextcloudUrl = (path) => `/sandbox/nextcloud/${path.split('/').map(encodeURIComponent).join('/')}`;
const sizeText = (bytes) => (bytes < 1024 ? `${bytes} o` : `${Math.round(bytes / 1024)} Ko`);

function countFiles(entries) {
  return entries.reduce(
    (total, entry) => total + (entry.type === 'file' ? 1 : countFiles(entry.children ?? [])),
    0,
  );
}

function treeList(entries) {
  return el(
    'ul',
    {},
    entries.map((entry) => {
      if (entry.type === 'directory') {
        const details = el(
          'details',
          { open: !page.closedFolders.has(entry.path) },
          el('summary', {}, `📁 ${entry.name}`),
          treeList(entry.children ?? []),
        );
        details.addEventListener('toggle', () => {
          if (details.open) page.closedFolders.delete(entry.path);
          else page.closedFolders.add(entry.path);
        });
        return el('li', {}, details);
      }
      const url = nextcloudUrl(entry.path);
      return el(
        'li',
        { class: 'file' },
        isImage(entry.name)
          ? el(
              'a',
              { href: url, target: '_blank', tabindex: '-1' },
              el('img', { src: url, alt: '', loading: 'lazy' }),
            )
          : el('span', { 'aria-hidden': 'true' }, '📄'),
        el('a', { href: url, target: '_blank' }, entry.name),
        el('span', { class: 'size' }, sizeText(entry.size)),
      );
    }),
  );
}

function renderFiles(tree) {
  const host = $('#files');
  const files = countFiles(tree);
  $('#files-count').textContent = files > 0 ? `(${files} fichier${files > 1 ? 's' : ''})` : '';
  host.replaceChildren(
    tree.length === 0 ? el('p', { class: 'empty' }, 'Aucun fichier pour l’instant.') : treeList(tree),
  );
}

function renderDeck(boards) {
  const host = $('#deck');
  if (boards.length === 0) {
    host.replaceChildren(
      el('p', { class: 'empty' }, `Le tableau « ${page.config.deckBoard} » n’existe pas encore.`),
    );
    return;
  }
  host.replaceChildren(
    ...boards.map((board) =>
      el(
        'section',
        { class: 'board', 'aria-label': `Tableau ${board.title}` },
        el('h3', {}, `🗂️ ${board.title}`),
        el(
          'div',
          { class: 'stacks' },
          board.stacks.map((stack) =>
            el(
              'section',
              { class: 'stack', 'aria-label': `Liste ${stack.title}` },
              el('h4', {}, `${stack.title} (${stack.cards.length})`),
              stack.cards.map((card) =>
                el(
                  'article',
                  { class: 'card' },
                  el('h5', {}, card.title),
                  card.duedate
                    ? el(
                        'p',
                        { class: 'due' },
                        `⏰ échéance ${new Date(card.duedate).toLocaleString('fr-FR')}`,
                      )
                    : undefined,
                  el(
                    'details',
                    {},
                    el('summary', {}, 'Description'),
                    el('pre', {}, card.description),
                    card.comments.map((comment) => el('pre', {}, `💬 ${comment}`)),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

const JOB_COLUMNS = [
  ['pending', 'en attente'],
  ['running', 'en cours'],
  ['retrying', 'à réessayer'],
  ['dead', 'abandonnées'],
  ['done', 'faites'],
];
const COLUMN_LABELS = Object.fromEntries(JOB_COLUMNS);

function renderJobs(queue) {
  $('#job-counts').replaceChildren(
    ...JOB_COLUMNS.map(([column, label]) =>
      el(
        'li',
        { class: queue.counts[column] > 0 ? column : undefined },
        `${label} : ${queue.counts[column]}`,
      ),
    ),
  );
  $('#jobs tbody').replaceChildren(
    ...queue.jobs.map((job) =>
      el(
        'tr',
        {},
        el('td', {}, String(job.id)),
        el('td', {}, job.type),
        el('td', { class: `state-${job.column}` }, COLUMN_LABELS[job.column] ?? job.column),
        el('td', {}, `${job.attempts}/${job.maxAttempts}`),
        el('td', {}, new Date(job.at).toLocaleTimeString('fr-FR')),
        el('td', { class: job.lastError ? 'error' : undefined }, job.lastError ?? ''),
      ),
    ),
  );
}

// ---- samples ----

async function setUpSamples() {
  const samples = await (await fetch('/sandbox/api/samples')).json();
  const select = $('#sample-select');
  const albums = samples.filter((sample) => /^album-\d+$/.test(sample.name));
  const choices = [
    ...(albums.length > 1
      ? [{ name: `${albums.map((a) => a.name).join(' + ')} (un album)`, updates: albums }]
      : []),
    ...samples.map((sample) => ({ name: sample.name, updates: [sample] })),
  ];
  select.replaceChildren(...choices.map((choice, index) => el('option', { value: index }, choice.name)));
  $('#samples').addEventListener('submit', async (event) => {
    event.preventDefault();
    const choice = choices[Number(select.value)];
    const mediaGroupId = `${nextId()}`;
    for (const sample of choice.updates) await postUpdate(freshened(sample.update, mediaGroupId));
  });
}

/** The newest message the bot sent the technician that still shows a button for `data`. */
function lastMenuWith(data) {
  let found;
  for (const { message } of page.botMessages.values()) {
    const buttons = message.reply_markup?.inline_keyboard?.flat() ?? [];
    if (message.chat.id === page.config.technician.id && buttons.some((b) => b.callback_data === data))
      found = message;
  }
  return found;
}

/**
 * A sample as new: fresh ids and dates (the service skips a repeated update_id, and a second tap
 * on one message). A button sample taps the menu the bot sent last, as a person would; with no
 * such menu on screen, it taps a message of its own with a fresh id.
 */
function freshened(sample, mediaGroupId) {
  const update = structuredClone(sample);
  update.update_id = nextId();
  for (const key of ['message', 'edited_message']) {
    const message = update[key];
    if (!message) continue;
    message.message_id = nextId();
    message.date = nowSeconds();
    if (message.edit_date) message.edit_date = nowSeconds();
    if (message.media_group_id) message.media_group_id = mediaGroupId;
  }
  const query = update.callback_query;
  if (query) {
    query.id = String(nextId());
    query.message = lastMenuWith(query.data) ?? {
      ...query.message,
      message_id: nextId(),
      date: nowSeconds(),
    };
  }
  return update;
}

// ---- live feed ----

function connectFeed() {
  const status = $('#connection');
  const events = new EventSource('/sandbox/api/events');
  events.addEventListener('open', () => {
    status.textContent = '● en direct';
    status.className = 'connection live';
  });
  events.addEventListener('error', () => {
    status.textContent = '● déconnecté (nouvel essai…)';
    status.className = 'connection down';
  });
  events.addEventListener('history', (event) => {
    resetConversation(JSON.parse(event.data));
    void refreshState();
  });
  events.addEventListener('entry', (event) => renderEntry(JSON.parse(event.data)));
  events.addEventListener('changed', () => void refreshState());
}

async function main() {
  page.config = await (await fetch('/sandbox/api/config')).json();
  const { first_name, last_name } = page.config.technician;
  $('#phone-subtitle').textContent = `bot · vous êtes ${first_name} ${last_name}, technicien`;
  setUpGroups();
  setUpComposer();
  connectFeed();
  await setUpSamples();
}

window.addEventListener('DOMContentLoaded', () => {
  main().catch((error) => appendChat(systemLine(`La page n’a pas pu démarrer : ${String(error)}`, true)));
});
