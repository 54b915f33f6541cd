import { describe, expect, it } from 'vitest';
import { imageHint, toEvent } from '../../src/conversation/events.ts';
import type { Message, Update } from '../../src/telegram/update-schema.ts';
import { GROUP_CHAT, PRIVATE_CHAT, TECHNICIAN } from '../support/updates.ts';

/** Updates shaped as the Bot API sends them (fake ids); only the fields under test vary. */

const DATE = 1774449000;
const JEAN = { userId: TECHNICIAN.id, firstName: 'Jean', lastName: 'Test', username: undefined };
const ORIGIN = { chatId: PRIVATE_CHAT.id, messageId: 10, date: DATE };

const message = (fields: Partial<Message>): Update => ({
  update_id: 1,
  message: { message_id: 10, date: DATE, chat: PRIVATE_CHAT, from: TECHNICIAN, ...fields },
});

const sizes = [
  { file_id: 'small', file_unique_id: 'u-small', width: 90, height: 67, file_size: 1200 },
  { file_id: 'medium', file_unique_id: 'u-medium', width: 320, height: 240, file_size: 14_000 },
  { file_id: 'large', file_unique_id: 'u-large', width: 1280, height: 960, file_size: 120_000 },
];

describe('toEvent: messages', () => {
  it('a text', () => {
    expect(toEvent(message({ text: 'Müller / fuite' }))).toEqual({
      kind: 'text',
      text: 'Müller / fuite',
      sender: JEAN,
      origin: ORIGIN,
    });
  });

  it('keeps the username when the sender has one', () => {
    const event = toEvent(message({ text: 'x', from: { ...TECHNICIAN, username: 'jean_t' } }));
    expect(event).toMatchObject({ sender: { ...JEAN, username: 'jean_t' } });
  });

  it.each([
    ['/start', 'start', ''],
    ['/menu', 'menu', ''],
    ['/START', 'start', ''],
    ['/start@etm_terrain_bot', 'start', ''],
    ['/fin@etm_terrain_bot Müller / onduleur', 'fin', 'Müller / onduleur'],
    ['/sav Müller / PAC en défaut', 'sav', 'Müller / PAC en défaut'],
    ['/materiel Müller\n- cuivre\n- vis', 'materiel', 'Müller\n- cuivre\n- vis'],
    ['  /annuler  ', 'annuler', ''],
    ['/aide', 'aide', ''],
  ])('the command %j', (text, command, args) => {
    expect(toEvent(message({ text }))).toEqual({
      kind: 'command',
      command,
      args,
      sender: JEAN,
      origin: ORIGIN,
    });
  });

  it.each([
    ['a slash then a space', '/ fuite'],
    ['a site name after a slash', '/Müller fuite'],
    ['a chantier line', 'Müller / fuite'],
  ])('%s is a text, not a command', (_name, text) => {
    expect(toEvent(message({ text }))).toMatchObject({ kind: 'text', text });
  });

  it('a photo: the largest size (Telegram lists them smallest first), caption and album id', () => {
    const event = toEvent(message({ photo: sizes, caption: 'Müller / ok', media_group_id: '1300' }));
    expect(event).toEqual({
      kind: 'photo',
      sender: JEAN,
      origin: ORIGIN,
      media: {
        fileId: 'large',
        fileUniqueId: 'u-large',
        fileSize: 120_000,
        mimeType: 'image/jpeg',
        fileName: undefined,
      },
      caption: 'Müller / ok',
      mediaGroupId: '1300',
      takenAt: DATE,
    });
  });

  it('a photo without caption nor album', () => {
    expect(toEvent(message({ photo: [sizes[0]!] }))).toMatchObject({
      kind: 'photo',
      media: { fileId: 'small' },
      caption: undefined,
      mediaGroupId: undefined,
    });
  });

  it('a photo whose caption is a command stays a photo (the caption is its text)', () => {
    expect(toEvent(message({ photo: sizes, caption: '/fin' }))).toMatchObject({
      kind: 'photo',
      caption: '/fin',
    });
  });

  it.each([
    ['image/jpeg', 'IMG_0001.jpg', 'image'],
    ['image/heic', undefined, 'image'],
    ['image/png', 'capture', 'image'],
    ['application/octet-stream', 'IMG_0002.HEIC', 'image'],
    [undefined, 'photo.jpeg', 'image'],
    ['application/octet-stream', 'IMG_0003', 'unknown'],
    // The archive cannot file these: refused at once rather than made into an empty report.
    [undefined, undefined, 'not-image'],
    ['image/gif', 'anim.gif', 'not-image'],
    ['image/svg+xml', 'plan.svg', 'not-image'],
    ['image/tiff', 'scan.tiff', 'not-image'],
    ['application/pdf', 'devis.pdf', 'not-image'],
    ['application/pdf', 'scan.png', 'image'],
  ])('a document %s named %s is %s', (mime_type, file_name, hint) => {
    const document = {
      file_id: 'doc',
      file_unique_id: 'u-doc',
      file_size: 2048,
      ...(mime_type ? { mime_type } : {}),
      ...(file_name ? { file_name } : {}),
    };
    expect(toEvent(message({ document, caption: 'Müller / toit' }))).toEqual({
      kind: 'document',
      image: hint,
      sender: JEAN,
      origin: ORIGIN,
      media: {
        fileId: 'doc',
        fileUniqueId: 'u-doc',
        fileSize: 2048,
        mimeType: mime_type,
        fileName: file_name,
      },
      caption: 'Müller / toit',
      mediaGroupId: undefined,
      takenAt: DATE,
    });
    expect(imageHint(mime_type, file_name)).toBe(hint);
  });

  const clip = { file_id: 'vid', file_unique_id: 'u-vid', duration: 12, file_size: 3_000_000 };

  it.each([
    ['a video', { video: { ...clip, mime_type: 'video/quicktime', file_name: 'IMG_0004.MOV' } }],
    ['a video note', { video_note: { ...clip, length: 240 } }],
    ['a video sent as a file', { document: { ...clip, mime_type: 'video/mp4', file_name: 'pac.mp4' } }],
  ])('%s is a video, kept with the photos', (_name, fields) => {
    expect(toEvent(message({ ...(fields as Partial<Message>), caption: 'Müller / bruit' }))).toMatchObject({
      kind: 'video',
      media: { fileId: 'vid', fileSize: 3_000_000 },
      caption: 'Müller / bruit',
    });
  });

  it('a GIF (animation, with its document twin) is a document the archive cannot file', () => {
    const gif = { file_id: 'g', file_unique_id: 'u-g', mime_type: 'video/mp4', file_name: 'a.gif.mp4' };
    expect(toEvent(message({ animation: gif, document: gif }))).toMatchObject({
      kind: 'document',
      image: 'not-image',
    });
  });

  it.each([
    [
      'forward_origin (Bot API 7+)',
      { forward_origin: { type: 'hidden_user', sender_user_name: 'X', date: DATE - 86_400 } },
    ],
    ['forward_date (older clients)', { forward_date: DATE - 86_400 }],
  ])('a forwarded photo is dated by its origin: %s', (_name, fields) => {
    expect(toEvent(message({ photo: sizes, ...(fields as Partial<Message>) }))).toMatchObject({
      kind: 'photo',
      takenAt: DATE - 86_400,
    });
  });

  it('texts and captions longer than Telegram allows are cut to its limits, never half an emoji', () => {
    const long = `${'a'.repeat(4095)}😀 tail`;
    expect(toEvent(message({ text: long }))).toMatchObject({ kind: 'text', text: 'a'.repeat(4095) });
    const caption = 'b'.repeat(2000);
    expect(toEvent(message({ photo: sizes, caption }))).toMatchObject({ caption: 'b'.repeat(1024) });
  });

  it('a voice message', () => {
    const voice = { file_id: 'v', file_unique_id: 'u-v', duration: 4, mime_type: 'audio/ogg' };
    expect(toEvent(message({ voice }))).toEqual({ kind: 'voice', sender: JEAN, origin: ORIGIN });
  });

  it.each([
    ['a sticker', { sticker: { file_id: 's' } }],
    ['a location', { location: { latitude: 48.08, longitude: 7.36 } }],
    ['a contact', { contact: { phone_number: '+33000000000', first_name: 'X' } }],
  ])('%s is "other"', (_name, fields) => {
    expect(toEvent(message(fields as Partial<Message>))).toEqual({
      kind: 'other',
      sender: JEAN,
      origin: ORIGIN,
    });
  });

  it('an edited message, text or caption', () => {
    const edited = (fields: Partial<Message>): Update => ({
      update_id: 2,
      edited_message: {
        message_id: 10,
        date: DATE,
        edit_date: DATE + 60,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        ...fields,
      },
    });
    expect(toEvent(edited({ text: 'Müller / corrigé' }))).toEqual({
      kind: 'edited',
      text: 'Müller / corrigé',
      sender: JEAN,
      origin: ORIGIN,
    });
    expect(toEvent(edited({ photo: sizes, caption: 'légende' }))).toMatchObject({
      kind: 'edited',
      text: 'légende',
    });
    expect(toEvent(edited({ photo: sizes }))).toMatchObject({ kind: 'edited', text: undefined });
  });
});

describe('toEvent: what is ignored', () => {
  it.each([
    ['a group message', message({ chat: GROUP_CHAT, text: '/start' })],
    [
      'a basic group message',
      message({ chat: { id: -4001, type: 'group', title: 'G' }, text: 'Müller / x' }),
    ],
    ['a channel post in a message', message({ chat: { id: -1009, type: 'channel', title: 'C' }, text: 'x' })],
    [
      'a group edit',
      { update_id: 3, edited_message: { message_id: 1, date: DATE, chat: GROUP_CHAT, text: 'x' } },
    ],
  ])('%s: not a private chat', (_name, update) => {
    expect(toEvent(update)).toEqual({ kind: 'ignored', reason: 'not-private-chat' });
  });

  it('a button pressed in a group', () => {
    const update: Update = {
      update_id: 4,
      callback_query: {
        id: 'q',
        from: TECHNICIAN,
        data: 'fin',
        message: { message_id: 5, date: DATE, chat: GROUP_CHAT },
      },
    };
    expect(toEvent(update)).toEqual({ kind: 'ignored', reason: 'not-private-chat' });
  });

  it('a message without sender', () => {
    const update: Update = {
      update_id: 5,
      message: { message_id: 1, date: DATE, chat: PRIVATE_CHAT, text: 'x' },
    };
    expect(toEvent(update)).toEqual({ kind: 'ignored', reason: 'no-sender' });
  });

  it.each([
    ['my_chat_member', { update_id: 6, my_chat_member: { chat: PRIVATE_CHAT } }],
    ['channel_post', { update_id: 7, channel_post: { message_id: 1 } }],
    ['an update with nothing', { update_id: 8 }],
  ])('%s: an update kind we do not handle', (_name, update) => {
    expect(toEvent(update as Update)).toEqual({ kind: 'ignored', reason: 'unsupported-update' });
  });

  it.each([
    ['an auto-delete timer', { message_auto_delete_timer_changed: { message_auto_delete_time: 86400 } }],
    ['a pinned message', { pinned_message: { message_id: 3, date: DATE, chat: PRIVATE_CHAT } }],
    ['write access allowed', { write_access_allowed: { from_request: true } }],
    ['a forum topic created', { forum_topic_created: { name: 'x', icon_color: 1 } }],
  ])('%s: a service message, which the technician never typed', (_name, fields) => {
    expect(toEvent(message(fields as Partial<Message>))).toEqual({
      kind: 'ignored',
      reason: 'service-message',
    });
  });

  it('an edit of a shared live location: Telegram sends them continuously', () => {
    const update: Update = {
      update_id: 10,
      edited_message: {
        message_id: 1,
        date: DATE,
        edit_date: DATE + 30,
        chat: PRIVATE_CHAT,
        from: TECHNICIAN,
        location: { latitude: 48.08, longitude: 7.36, live_period: 900 },
      } as Message,
    };
    expect(toEvent(update)).toEqual({ kind: 'ignored', reason: 'live-location' });
  });
});

describe('toEvent: buttons', () => {
  const query = (fields: Record<string, unknown>): Update => ({
    update_id: 9,
    callback_query: { id: 'cbq-1', from: TECHNICIAN, chat_instance: '-1', data: 'sav', ...fields },
  });

  it('a tap on a message we can see', () => {
    expect(toEvent(query({ message: { message_id: 42, date: DATE, chat: PRIVATE_CHAT } }))).toEqual({
      kind: 'button',
      sender: JEAN,
      origin: { chatId: PRIVATE_CHAT.id, messageId: 42, date: DATE },
      callbackQueryId: 'cbq-1',
      data: 'sav',
      messageAccessible: true,
    });
  });

  it('a tap on an inaccessible message (Telegram gives date 0): no edit will be tried', () => {
    expect(toEvent(query({ message: { message_id: 42, date: 0, chat: PRIVATE_CHAT } }))).toEqual({
      kind: 'button',
      sender: JEAN,
      origin: { chatId: PRIVATE_CHAT.id, messageId: 42, date: 0 },
      callbackQueryId: 'cbq-1',
      data: 'sav',
      messageAccessible: false,
    });
  });

  it('a tap without message (inline message): the chat is the user, nothing to edit', () => {
    expect(toEvent(query({ inline_message_id: 'inl' }))).toMatchObject({
      kind: 'button',
      origin: { chatId: TECHNICIAN.id, messageId: 0, date: 0 },
      messageAccessible: false,
    });
  });

  it('a query without data (a game button) has empty data, which the core finds stale', () => {
    const update = query({ message: { message_id: 1, date: DATE, chat: PRIVATE_CHAT } });
    delete update.callback_query!.data;
    expect(toEvent(update)).toMatchObject({ kind: 'button', data: '' });
  });
});
