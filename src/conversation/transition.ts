import { addMedia, addText, isBlank, missingPiece } from './draft.ts';
import { type Event, type MediaFile, type Sender, TEXT_MAX } from './events.ts';
import { OutcomeBuilder, type Outcome } from './outcome.ts';
import { ALBUM_MAX_ITEMS, type ConversationSettings, TELEGRAM_DOWNLOAD_LIMIT } from './settings.ts';
import {
  type ConversationState,
  type Draft,
  type DraftMedia,
  emptyDraft,
  REPORT_KINDS,
  type ReportKind,
} from './state.ts';
import { describeDraft, type Keyboard, menuKeyboard, setAsideKeyboard, texts } from './texts.ts';

/** An album's quiet period is over (or it reached 10 items): raised by the album-close job. */
export interface AlbumClosedEvent {
  readonly kind: 'album-closed';
  readonly mediaGroupId: string;
}

export type ConversationEvent = Event | AlbumClosedEvent;

export interface TransitionContext {
  readonly slug: string;
  readonly now: Date;
  readonly settings: ConversationSettings;
}

type TechnicianEvent = Event;
/** What a command (typed, or a button's data) does. */
type Step = (out: OutcomeBuilder, event: TechnicianEvent, ctx: TransitionContext) => void;

const BUTTON_MEMORY = 20;
/** Albums already told that some of their files are not kept (one line per album). */
const ALBUM_MEMORY = 20;

/** The conversation: a pure function of (state, event, clock). No I/O. */
export function transition(
  state: ConversationState,
  event: ConversationEvent,
  ctx: TransitionContext,
): Outcome {
  const out = new OutcomeBuilder(forgetOldAlbums(state, ctx));
  if (event.kind === 'album-closed') {
    onAlbumClosed(out, event.mediaGroupId, ctx);
    return out.build();
  }
  setAsideIfStale(out, ctx);
  onTechnicianEvent(out, event, ctx);
  return out.build();
}

function onTechnicianEvent(out: OutcomeBuilder, event: TechnicianEvent, ctx: TransitionContext): void {
  switch (event.kind) {
    case 'command':
      onCommand(out, event, event.command, ctx);
      break;
    case 'button':
      onButton(out, event, ctx);
      break;
    case 'text':
      onText(out, event, event.text, ctx);
      break;
    case 'photo':
      onMedia(out, event, toDraftMedia(event, 'photo'), event.caption, ctx);
      break;
    case 'video':
      if ((event.media.fileSize ?? 0) > TELEGRAM_DOWNLOAD_LIMIT) refuseFile(out, event, texts.videoTooLarge);
      else onMedia(out, event, toDraftMedia(event, 'video'), event.caption, ctx);
      break;
    case 'document':
      if (event.image === 'not-image')
        refuseFile(out, event, texts.notAnImage(event.media.fileName ?? 'ce fichier'));
      else onMedia(out, event, toDraftMedia(event, 'document'), event.caption, ctx);
      break;
    case 'voice':
      out.say(texts.voice);
      break;
    case 'edited':
      out.say(texts.edited);
      break;
    case 'other':
      out.say(texts.notUnderstood);
      break;
  }
}

/**
 * A file we cannot keep is refused at once, in one line, and nothing of it enters the draft (a
 * Fin report keeps waiting for a real photo). In an album, one line for the whole album.
 */
function refuseFile(
  out: OutcomeBuilder,
  event: Extract<Event, { kind: 'video' | 'document' }>,
  line: string,
): void {
  const album = event.mediaGroupId;
  if (album === undefined) return void out.say(line);
  if (out.state.albumsWithRefusal.includes(album)) return;
  out.state = {
    ...out.state,
    albumsWithRefusal: [...out.state.albumsWithRefusal, album].slice(-ALBUM_MEMORY),
  };
  out.say(texts.albumPartlyRefused);
}

const showMenu: Step = (out, event) => out.say(texts.greeting(event.sender.firstName), menuKeyboard);
const showHelp: Step = (out) => out.say(texts.help);

const COMMANDS: Record<string, Step> = {
  // The issue asks the same greeting by first name for both.
  start: showMenu,
  menu: showMenu,
  fin: (out, event, ctx) => chooseKind(out, event, 'fin', ctx),
  sav: (out, event, ctx) => chooseKind(out, event, 'sav', ctx),
  materiel: (out, event, ctx) => chooseKind(out, event, 'materiel', ctx),
  annuler: (out) => cancel(out),
  aide: showHelp,
  help: showHelp,
  question: (out, event, ctx) => askAssistant(out, event, ctx),
  reprendre: (out, _event, ctx) => resume(out, ctx),
  abandonner: (out) => dropSetAside(out),
};

function onCommand(
  out: OutcomeBuilder,
  event: TechnicianEvent,
  command: string,
  ctx: TransitionContext,
): void {
  const step = COMMANDS[command];
  if (step) step(out, event, ctx);
  else out.say(texts.unknownCommand(command));
}

/** Button data we accept (Telegram may deliver data of buttons we no longer show). */
const BUTTONS = new Set<string>([...REPORT_KINDS, 'reprendre', 'abandonner', 'question']);

/** A free text alone may be a question rather than a report: the assistant is one tap away. */
function whichReportKeyboard(draft: Draft, ctx: TransitionContext): Keyboard {
  const question = ctx.settings.assistant && draft.media.length === 0 && draft.text !== undefined;
  return question
    ? [...menuKeyboard, [{ text: texts.askAssistant, callback_data: 'question' }]]
    : menuKeyboard;
}

function onButton(
  out: OutcomeBuilder,
  event: Extract<Event, { kind: 'button' }>,
  ctx: TransitionContext,
): void {
  const answer = (text?: string) =>
    out.effect({
      kind: 'job',
      job: 'telegram.answer-callback',
      key: 'answer',
      scope: 'update',
      payload: text
        ? { slug: ctx.slug, callbackQueryId: event.callbackQueryId, text }
        : { slug: ctx.slug, callbackQueryId: event.callbackQueryId },
    });
  const feedback = parseFeedback(event.data);
  const chosenFix = parseKnownFixChoice(event.data);
  if (!feedback && !chosenFix && !BUTTONS.has(event.data)) return void answer(texts.staleButton);
  if (out.state.handledButtonMessages.includes(event.origin.messageId))
    return void answer(texts.buttonAlreadyHandled);

  answer(feedback ? texts.feedbackThanks : undefined);
  retireButtons(out, event, ctx);
  if (feedback) out.effect({ kind: 'feedback', ...feedback });
  else if (chosenFix) askForChosenFix(out, event, chosenFix, ctx);
  else onCommand(out, event, event.data, ctx);
}

/** Removes the tapped buttons and remembers their message, so a second tap does nothing more. */
function retireButtons(
  out: OutcomeBuilder,
  event: Extract<Event, { kind: 'button' }>,
  ctx: TransitionContext,
) {
  if (event.messageAccessible) {
    out.effect({
      kind: 'job',
      job: 'telegram.edit-reply-markup',
      key: 'remove-buttons',
      scope: 'update',
      payload: { slug: ctx.slug, chatId: event.origin.chatId, messageId: event.origin.messageId },
    });
  }
  // An inaccessible message still has its id: its buttons stay on screen (we cannot edit it),
  // so a second tap on it is all the more likely and must not prompt again. Id 0: no message.
  if (event.origin.messageId !== 0) {
    out.state = {
      ...out.state,
      handledButtonMessages: [...out.state.handledButtonMessages, event.origin.messageId].slice(
        -BUTTON_MEMORY,
      ),
    };
  }
}

/** `afb:<answer id>:<1|0>`: the 👍 / 👎 buttons under an assistant's answer. */
export function feedbackData(answerId: number, helpful: boolean): string {
  return `afb:${answerId}:${helpful ? 1 : 0}`;
}

function parseFeedback(data: string): { answerId: number; helpful: boolean } | undefined {
  const match = /^afb:(\d{1,15}):([01])$/u.exec(data);
  return match ? { answerId: Number(match[1]), helpful: match[2] === '1' } : undefined;
}

/** `afx:<note ref>`: one button per known fix when the assistant asks which one fits. */
export function knownFixChoiceData(note: string): string {
  return `afx:${note}`;
}

function parseKnownFixChoice(data: string): string | undefined {
  return /^afx:([0-9a-f]{12})$/u.exec(data)?.[1];
}

/** The technician picked one of the known fixes offered: the assistant sends that one. */
function askForChosenFix(
  out: OutcomeBuilder,
  event: Extract<Event, { kind: 'button' }>,
  note: string,
  ctx: TransitionContext,
): void {
  if (!ctx.settings.assistant) return void out.say(texts.assistantOff);
  out.effect({
    kind: 'job',
    job: 'assistant.answer-question',
    key: 'known-fix-choice',
    scope: 'update',
    payload: {
      slug: ctx.slug,
      chatId: event.origin.chatId,
      question: texts.chosenKnownFix,
      note,
      key: `fix:${event.origin.chatId}:${event.origin.messageId}`,
    },
  });
}

/**
 * `/question <texte>`, or the 🔎 button under a free text that is not a report yet: the SAV
 * assistant answers in the background. A typed question leaves the draft alone; the button
 * takes the draft's text as the question, so that text is answered rather than left pending.
 */
function askAssistant(out: OutcomeBuilder, event: TechnicianEvent, ctx: TransitionContext): void {
  const fromDraft = event.kind === 'button' ? out.state.draft : undefined;
  // A draft may hold several texts: the job's payload takes at most one Telegram message's worth.
  const asked = event.kind === 'command' ? event.args.trim() : (fromDraft?.text?.trim() ?? '');
  const question = asked.slice(0, TEXT_MAX).trim();
  if (!ctx.settings.assistant) return void out.say(texts.assistantOff);
  if (question === '') return void out.say(texts.questionUsage);
  out.effect({
    kind: 'job',
    job: 'assistant.answer-question',
    key: 'question',
    scope: 'update',
    payload: {
      slug: ctx.slug,
      chatId: event.origin.chatId,
      question,
      key: `q:${event.origin.chatId}:${event.origin.messageId}`,
    },
  });
  if (fromDraft && !fromDraft.kind && fromDraft.media.length === 0) out.setDraft(undefined);
  out.say(texts.questionReceived);
}

function chooseKind(
  out: OutcomeBuilder,
  event: TechnicianEvent,
  kind: ReportKind,
  ctx: TransitionContext,
): void {
  const now = ctx.now.getTime();
  let current = out.state.draft ?? newDraft(event, ctx);
  // `/sav Müller / PAC en défaut`: what follows the command is the report's text, never lost.
  if (event.kind === 'command' && event.args.trim() !== '') current = addText(current, event.args, now);
  const draft: Draft = { ...current, kind, askedKind: true, updatedAt: now };
  if (isBlank(draft)) {
    out.setDraft({ ...draft, awaiting: undefined }).say(texts.start[kind]);
    return;
  }
  evaluate(out, draft, ctx);
}

function onText(out: OutcomeBuilder, event: TechnicianEvent, text: string, ctx: TransitionContext): void {
  const draft = addText(out.state.draft ?? newDraft(event, ctx), text, ctx.now.getTime());
  // A typed text always gets an answer: if the report is still unknown, ask again with the
  // buttons (only photos, which come in bursts, are not asked about each time).
  evaluate(out, draft.kind ? draft : { ...draft, askedKind: false }, ctx);
}

function onMedia(
  out: OutcomeBuilder,
  event: TechnicianEvent,
  media: DraftMedia,
  caption: string | undefined,
  ctx: TransitionContext,
): void {
  const now = ctx.now.getTime();
  const lateAlbum = media.mediaGroupId
    ? out.state.closedAlbums.find((album) => album.mediaGroupId === media.mediaGroupId)
    : undefined;
  if (lateAlbum) {
    out.effect({ kind: 'report-addition', reportKey: lateAlbum.reportKey, media: [media] });
    return;
  }
  let draft = addMedia(out.state.draft ?? newDraft(event, ctx), media, now);
  if (caption) draft = addText(draft, caption, now);
  if (media.mediaGroupId) draft = trackAlbumItem(out, draft, media.mediaGroupId, ctx);
  evaluate(out, draft, ctx);
}

/** Records an album item; the first one schedules the album's close, the tenth closes it. */
function trackAlbumItem(
  out: OutcomeBuilder,
  draft: Draft,
  mediaGroupId: string,
  ctx: TransitionContext,
): Draft {
  const now = ctx.now.getTime();
  const open = draft.openAlbums.find((album) => album.mediaGroupId === mediaGroupId);
  const others = draft.openAlbums.filter((album) => album.mediaGroupId !== mediaGroupId);
  const count = draft.media.filter((m) => m.mediaGroupId === mediaGroupId).length;
  // A straggler of an album this draft already closed (slow upload): reopening it would wait
  // for a close that never comes, so it joins the draft like a single photo.
  if (!open && count > 1) return draft;
  if (!open) {
    out.effect({
      kind: 'job',
      job: 'conversation.album-close',
      // Keyed by the opening time too: the same album may open again in a later draft (after
      // a cancel, or past the late-item window) and needs a close job of its own.
      key: `album-close:${mediaGroupId}:${now}`,
      scope: 'conversation',
      payload: { slug: ctx.slug, chatId: draft.chatId, userId: draft.technician.userId, mediaGroupId },
      runAt: now + ctx.settings.albumQuietMs,
    });
  }
  if (count >= ALBUM_MAX_ITEMS) return { ...draft, openAlbums: others };
  return { ...draft, openAlbums: [...others, { mediaGroupId, lastItemAt: now, count }] };
}

function onAlbumClosed(out: OutcomeBuilder, mediaGroupId: string, ctx: TransitionContext): void {
  const draft = out.state.draft;
  if (!draft?.openAlbums.some((album) => album.mediaGroupId === mediaGroupId)) return;
  evaluate(
    out,
    { ...draft, openAlbums: draft.openAlbums.filter((a) => a.mediaGroupId !== mediaGroupId) },
    ctx,
  );
}

/** Decides what a changed draft leads to: wait, ask one thing, or create the report. */
function evaluate(out: OutcomeBuilder, draft: Draft, ctx: TransitionContext): void {
  if (draft.openAlbums.length > 0) {
    out.setDraft(draft);
    return;
  }
  if (!draft.kind) {
    const withText = draft.text !== undefined || draft.chantier !== undefined;
    if (!draft.askedKind)
      out.say(texts.whichReport(draft.media.length, withText), whichReportKeyboard(draft, ctx));
    out.setDraft({ ...draft, askedKind: true });
    return;
  }
  const missing = missingPiece(draft);
  if (missing) {
    out.setDraft({ ...draft, awaiting: missing.awaitsChantier ? 'chantier' : undefined }).say(missing.prompt);
    return;
  }
  createReport(out, draft, draft.kind, ctx);
}

function createReport(out: OutcomeBuilder, draft: Draft, kind: ReportKind, ctx: TransitionContext): void {
  const key = `${draft.chatId}:${draft.startedAt}`;
  const albums = [...new Set(draft.media.flatMap((m) => (m.mediaGroupId ? [m.mediaGroupId] : [])))];
  out.effect({
    kind: 'report',
    key,
    report: {
      kind,
      chantier: draft.chantier!,
      text: draft.text ?? '',
      media: [...draft.media].sort((a, b) => a.messageId - b.messageId),
      technician: draft.technician,
      chatId: draft.chatId,
    },
  });
  out.state = {
    ...out.state,
    draft: undefined,
    closedAlbums: [
      ...out.state.closedAlbums,
      ...albums.map((mediaGroupId) => ({ mediaGroupId, reportKey: key, closedAt: ctx.now.getTime() })),
    ],
  };
  out.say(texts.received);
}

function cancel(out: OutcomeBuilder): void {
  const { draft, setAside } = out.state;
  const dropped = draft && !isBlank(draft) ? draft : setAside;
  if (!dropped) {
    out.setDraft(undefined).say(texts.nothingToCancel);
    return;
  }
  out.state = dropped === draft ? { ...out.state, draft: undefined } : { ...out.state, setAside: undefined };
  out.say(texts.cancelled(describeDraft(dropped)));
}

function dropSetAside(out: OutcomeBuilder): void {
  const { setAside } = out.state;
  if (!setAside) {
    out.say(texts.nothingToResume);
    return;
  }
  out.state = { ...out.state, setAside: undefined };
  out.say(texts.cancelled(describeDraft(setAside)));
}

function resume(out: OutcomeBuilder, ctx: TransitionContext): void {
  const { draft, setAside } = out.state;
  if (!setAside) {
    out.say(texts.nothingToResume);
    return;
  }
  // The current draft, if it holds anything, takes the set-aside place: nothing is dropped.
  out.state = { ...out.state, setAside: draft && !isBlank(draft) ? draft : undefined };
  out.say(texts.resumed(describeDraft(setAside)));
  evaluate(out, { ...setAside, askedKind: false, updatedAt: ctx.now.getTime() }, ctx);
}

/** A draft untouched past the time-out is set aside, and the technician told once. */
function setAsideIfStale(out: OutcomeBuilder, ctx: TransitionContext): void {
  const { draft } = out.state;
  const now = ctx.now.getTime();
  if (!draft || draft.openAlbums.length > 0 || now - draft.updatedAt < ctx.settings.draftTimeoutMs) return;
  if (isBlank(draft)) {
    out.setDraft(undefined);
    return;
  }
  const replaced = out.state.setAside;
  if (replaced) out.say(texts.cancelled(describeDraft(replaced)));
  out.state = { ...out.state, draft: undefined, setAside: draft };
  const minutes = Math.round((now - draft.updatedAt) / 60_000);
  out.say(texts.setAside(describeDraft(draft), minutes), setAsideKeyboard);
}

function forgetOldAlbums(state: ConversationState, ctx: TransitionContext): ConversationState {
  const oldest = ctx.now.getTime() - ctx.settings.lateItemWindowMs;
  const closedAlbums = state.closedAlbums.filter((album) => album.closedAt >= oldest);
  return closedAlbums.length === state.closedAlbums.length ? state : { ...state, closedAlbums };
}

function newDraft(event: TechnicianEvent, ctx: TransitionContext): Draft {
  return emptyDraft(ctx.now.getTime(), event.origin.chatId, technicianOf(event.sender));
}

function technicianOf(sender: Sender): { userId: number; name: string } {
  return { userId: sender.userId, name: [sender.firstName, sender.lastName].filter(Boolean).join(' ') };
}

function toDraftMedia(
  event: {
    media: MediaFile;
    origin: { messageId: number };
    mediaGroupId: string | undefined;
    takenAt: number;
  },
  source: DraftMedia['source'],
): DraftMedia {
  return {
    fileId: event.media.fileId,
    fileUniqueId: event.media.fileUniqueId,
    messageId: event.origin.messageId,
    date: event.takenAt,
    source,
    mimeType: event.media.mimeType,
    fileName: event.media.fileName,
    fileSize: event.media.fileSize,
    mediaGroupId: event.mediaGroupId,
  };
}
