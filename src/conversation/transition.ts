import { sameClient } from '../nextcloud/names.ts';
import { type ChantierChoice, chosenName, parseChantierChoice } from './chantier-choice.ts';
import { addMedia, addText, confirmChantier, isBlank, mergeDrafts, missingPiece } from './draft.ts';
import { type Event, type MediaFile, type Sender, TEXT_MAX } from './events.ts';
import { OutcomeBuilder, type Outcome } from './outcome.ts';
import { parseReportText } from './parser.ts';
import { type ConversationSettings, TELEGRAM_DOWNLOAD_LIMIT } from './settings.ts';
import {
  type ConversationState,
  type Draft,
  type DraftMedia,
  emptyDraft,
  REPORT_KINDS,
  type ReportKind,
} from './state.ts';
import {
  chantierKeyboard,
  describeDraft,
  describeInputs,
  type Keyboard,
  menuKeyboard,
  setAsideKeyboard,
  texts,
} from './texts.ts';

/** An album's quiet period is over: raised by the album-close job. */
export interface AlbumClosedEvent {
  readonly kind: 'album-closed';
  readonly mediaGroupId: string;
}

export type ConversationEvent = Event | AlbumClosedEvent;

export interface TransitionContext {
  readonly slug: string;
  readonly now: Date;
  readonly settings: ConversationSettings;
  /**
   * Chantiers the office already has (Nextcloud folders, earlier reports), read by the caller
   * from its cache: a typed name is matched against them, never against the network.
   */
  readonly knownChantiers?: readonly string[];
}

type TechnicianEvent = Event;
/** What a command (typed, or a button's data) does. */
type Step = (out: Turn, event: TechnicianEvent, ctx: TransitionContext) => void;

/** Albums already told that some of their files are not kept (one line per album). */
const ALBUM_MEMORY = 20;
/** Texts kept for showing back before a report is chosen: enough for any real sequence. */
const INPUT_MEMORY = 20;

/**
 * One event's handling. `deferKindQuestion`: the draft was just set aside for its time-out, and
 * the set-aside message (with its buttons) is the question; "which report?" would be a second one.
 */
class Turn extends OutcomeBuilder {
  deferKindQuestion = false;
}

/**
 * The conversation: a pure function of (state, event, clock). No I/O.
 *
 * Its promises, checked after every step by test/conversation/conversation-model.test.ts:
 * every message the technician sends is answered; a report holds exactly the inputs the
 * technician saw attached to it; nothing is dropped without telling him.
 */
export function transition(
  state: ConversationState,
  event: ConversationEvent,
  ctx: TransitionContext,
): Outcome {
  const out = new Turn(forgetOldAlbums(state, ctx));
  if (event.kind === 'album-closed') {
    onAlbumClosed(out, event.mediaGroupId, ctx);
    return out.build();
  }
  const stale = leavesDraftAlone(event) ? undefined : setAsideIfStale(out, ctx);
  if (!stale) {
    onTechnicianEvent(out, event, ctx);
    return out.build();
  }
  out.deferKindQuestion = true;
  onTechnicianEvent(out, event, ctx);
  // Unless the event itself took up or dropped the set-aside report, say it was set aside, first.
  if (out.state.setAside === stale.draft) {
    const current = out.state.draft;
    const justSent = current && !current.kind && !isBlank(current) ? describeDraft(current) : undefined;
    out.sayFirst(texts.setAside(describeDraft(stale.draft), stale.minutes, justSent), setAsideKeyboard);
  }
  if (stale.replaced) out.sayFirst(texts.cancelled(describeDraft(stale.replaced)));
  return out.build();
}

/**
 * Events answered without touching the draft: an edit, a voice note, a message of a kind we do not
 * read, a dead button, a 👍 / 👎, a known fix picked. They leave a stale draft where it is: setting
 * it aside would drop an older set-aside report, which such an event must never do.
 */
function leavesDraftAlone(event: TechnicianEvent): boolean {
  if (event.kind === 'edited' || event.kind === 'voice' || event.kind === 'other') return true;
  if (event.kind !== 'button') return false;
  const { data } = event;
  if (parseFeedback(data) || parseKnownFixChoice(data)) return true;
  return parseChantierChoice(data) === undefined && !BUTTONS.has(data);
}

function onTechnicianEvent(out: Turn, event: TechnicianEvent, ctx: TransitionContext): void {
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
      else if ((event.media.fileSize ?? 0) > TELEGRAM_DOWNLOAD_LIMIT)
        refuseFile(out, event, texts.fileTooLarge(event.media.fileName ?? 'ce fichier'));
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
function refuseFile(out: Turn, event: Extract<Event, { kind: 'video' | 'document' }>, line: string): void {
  const album = event.mediaGroupId;
  if (album === undefined) return void out.say(line);
  if (out.state.albumsWithRefusal.includes(album)) return;
  out.state = {
    ...out.state,
    albumsWithRefusal: [...out.state.albumsWithRefusal, album].slice(-ALBUM_MEMORY),
  };
  out.say(texts.albumPartlyRefused);
}

/**
 * The menu; inputs waiting for a report are named, and so is a report still open, so that what
 * is sent next is never attached unseen.
 */
const showMenu: Step = (out, event) => {
  const draft = out.state.draft;
  const name = event.sender.firstName;
  if (draft?.kind) return void out.say(texts.greetingInProgress(name, describeDraft(draft)), menuKeyboard);
  const waiting = draft && !isBlank(draft) ? describeInputs(draft) : undefined;
  out.say(texts.greeting(name, waiting), menuKeyboard);
};
const showHelp: Step = (out) => out.say(texts.help);

const COMMANDS: Record<string, Step> = {
  // The same greeting by first name for both.
  start: showMenu,
  menu: showMenu,
  fin: (out, event, ctx) => chooseKind(out, event, 'fin', ctx),
  sav: (out, event, ctx) => chooseKind(out, event, 'sav', ctx),
  materiel: (out, event, ctx) => chooseKind(out, event, 'materiel', ctx),
  annuler: (out, _event, ctx) => cancel(out, ctx),
  aide: showHelp,
  help: showHelp,
  question: (out, event, ctx) => askAssistant(out, event, ctx),
  reprendre: (out, _event, ctx) => resume(out, ctx),
  abandonner: (out, _event, ctx) => dropSetAside(out, ctx),
};

function onCommand(out: Turn, event: TechnicianEvent, command: string, ctx: TransitionContext): void {
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

/**
 * A tap always acts on the situation as it is now, whichever message carried the button (an old
 * menu, a second phone): a report button chooses or switches the current report and says so.
 * Nothing is swallowed as "already handled".
 */
function onButton(out: Turn, event: Extract<Event, { kind: 'button' }>, ctx: TransitionContext): void {
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
  const chosenChantier = parseChantierChoice(event.data);
  if (!feedback && !chosenFix && chosenChantier === undefined && !BUTTONS.has(event.data))
    return void answer(texts.staleButton);
  answer(feedback ? texts.feedbackThanks : undefined);
  retireButtons(out, event, ctx);
  if (feedback) out.effect({ kind: 'feedback', ...feedback });
  else if (chosenFix) askForChosenFix(out, event, chosenFix, ctx);
  else if (chosenChantier !== undefined) chooseChantier(out, chosenChantier, ctx);
  else onCommand(out, event, event.data, ctx);
}

/** Removes the tapped buttons from the chat, where Telegram still lets us edit the message. */
function retireButtons(out: Turn, event: Extract<Event, { kind: 'button' }>, ctx: TransitionContext) {
  if (!event.messageAccessible) return;
  out.effect({
    kind: 'job',
    job: 'telegram.edit-reply-markup',
    key: 'remove-buttons',
    scope: 'update',
    payload: { slug: ctx.slug, chatId: event.origin.chatId, messageId: event.origin.messageId },
  });
}

/**
 * A chantier confirmed by a tap: the one the button named, if the question open now offers it
 * (src/conversation/chantier-choice.ts); a button of an earlier question is stale.
 */
function chooseChantier(out: Turn, choice: ChantierChoice, ctx: TransitionContext): void {
  const draft = out.state.draft;
  const offered = draft?.proposedChantier === undefined ? undefined : draft.chantierChoices;
  const name = offered ? chosenName(choice, offered) : undefined;
  if (!draft || name === undefined) return void out.say(texts.staleChoice);
  evaluate(out, confirmChantier(draft, name, ctx.now.getTime()), ctx, true);
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
      // One answer per fix picked: another of the same message (tapped on a second phone) is sent too.
      key: `fix:${event.origin.chatId}:${event.origin.messageId}:${note}`,
    },
  });
}

/**
 * `/question <texte>`, or the 🔎 button under a free text that is not a report yet: the SAV
 * assistant answers in the background. A typed question leaves the draft alone; the button
 * takes the draft's text as the question, so that text is answered rather than left pending.
 */
function askAssistant(out: Turn, event: TechnicianEvent, ctx: TransitionContext): void {
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
    afterAnswer: true,
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

function chooseKind(out: Turn, event: TechnicianEvent, kind: ReportKind, ctx: TransitionContext): void {
  const now = ctx.now.getTime();
  const before = out.state.draft ?? newDraft(event, ctx);
  let current = before;
  if (!before.kind && !isBlank(before)) {
    // What was sent before choosing is shown back as it joins this report: never attached unseen.
    const { kept, lists } =
      kind === 'materiel' ? { kept: current, lists: undefined } : splitLists(current, now, known(ctx));
    if (lists) {
      out.state = { ...out.state, queued: [...out.state.queued, lists] };
      out.say(texts.listSetApart(describeInputs(lists)));
    }
    current = kept;
    out.say(texts.attached(describeInputs(current)));
  } else if (before.kind && before.kind !== kind && !isBlank(before)) {
    out.say(texts.switched(kind, describeDraft(before)));
  }
  // `/sav Müller / PAC en défaut`: what follows the command is the report's text, never lost.
  if (event.kind === 'command' && event.args.trim() !== '')
    current = addText(current, event.args, now, known(ctx));
  const draft: Draft = { ...current, kind, askedKind: true, inputs: [], updatedAt: now };
  if (isBlank(draft) && draft.openAlbums.length === 0) {
    out.setDraft({ ...draft, awaiting: undefined }).say(texts.start[kind]);
    return;
  }
  evaluate(out, draft, ctx, true);
}

/**
 * Two texts typed before choosing a Fin or SAV report, one of them a list (`Meyer / - 2 rails -
 * 4 crochets`): the list is a material report of its own, not the other report's notes.
 */
function splitLists(
  draft: Draft,
  now: number,
  chantiers: readonly string[],
): { kept: Draft; lists: Draft | undefined } {
  const isList = (input: string) => parseReportText(input).items.length > 0;
  const lists = draft.inputs.filter(isList);
  const others = draft.inputs.filter((input) => !isList(input));
  if (lists.length === 0 || others.length === 0) return { kept: draft, lists: undefined };
  const blank: Draft = { ...draft, chantier: undefined, text: undefined, awaiting: undefined, inputs: [] };
  const kept = others.reduce((d, input) => addText(d, input, now, chantiers), blank);
  const fresh: Draft = {
    ...emptyDraft(now, draft.chatId, draft.technician),
    kind: 'materiel',
    askedKind: true,
  };
  const material = lists.reduce(
    (d, input) => ({ ...addText(d, input, now, chantiers), inputs: [...d.inputs, input] }),
    fresh,
  );
  return { kept: { ...kept, inputs: others }, lists: material };
}

function onText(out: Turn, event: TechnicianEvent, text: string, ctx: TransitionContext): void {
  const draft = addInput(out.state.draft ?? newDraft(event, ctx), text, ctx.now.getTime(), known(ctx));
  evaluate(out, draft, ctx, true);
}

/** A text or a caption; remembered for showing back while no report is chosen. */
function addInput(draft: Draft, text: string, now: number, chantiers: readonly string[]): Draft {
  const added = addText(draft, text, now, chantiers);
  return draft.kind ? added : { ...added, inputs: [...draft.inputs, text].slice(-INPUT_MEMORY) };
}

function onMedia(
  out: Turn,
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
    // Its report exists: the photo joins it, and the add-media job tells the technician. Its
    // text is already filed with the report: a caption that comes this late is said, not lost.
    out.effect({ kind: 'report-addition', reportKey: lateAlbum.reportKey, media: [media] });
    if (caption) out.say(texts.lateCaption(caption));
    return;
  }
  let draft = addMedia(out.state.draft ?? newDraft(event, ctx), media, now);
  if (!media.mediaGroupId) {
    if (caption) draft = addInput(draft, caption, now, known(ctx));
    evaluate(out, draft, ctx, true);
    return;
  }
  if (caption) {
    draft = {
      ...draft,
      albumCaptions: [...draft.albumCaptions, { mediaGroupId: media.mediaGroupId, text: caption }],
    };
  }
  draft = trackAlbumItem(out, draft, media.mediaGroupId, ctx);
  // An item of an album is answered once, when the album is in: not at each of its photos.
  evaluate(out, draft, ctx, false);
}

/** Records an album item; the first one schedules the album's close. */
function trackAlbumItem(out: Turn, draft: Draft, mediaGroupId: string, ctx: TransitionContext): Draft {
  const now = ctx.now.getTime();
  const open = draft.openAlbums.find((album) => album.mediaGroupId === mediaGroupId);
  const others = draft.openAlbums.filter((album) => album.mediaGroupId !== mediaGroupId);
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
  const album = open
    ? {
        mediaGroupId,
        lastItemAt: Math.max(open.lastItemAt, now),
        count: open.count + 1,
        longestGapMs: Math.max(open.longestGapMs, now - open.lastItemAt),
      }
    : { mediaGroupId, lastItemAt: now, count: 1, longestGapMs: 0 };
  return { ...draft, openAlbums: [...others, album] };
}

function onAlbumClosed(out: Turn, mediaGroupId: string, ctx: TransitionContext): void {
  const draft = out.state.draft;
  if (!draft?.openAlbums.some((album) => album.mediaGroupId === mediaGroupId)) return;
  const openAlbums = draft.openAlbums.filter((a) => a.mediaGroupId !== mediaGroupId);
  // Back-to-back albums (a phone sends 15 photos as 10 + 5) are answered once, when the last is in.
  evaluate(out, { ...draft, openAlbums }, ctx, openAlbums.length === 0);
}

/**
 * Decides what a changed draft leads to: wait, ask one thing, or create the report.
 * `mustAnswer`: the event was a message of its own (not one item of an album), so something
 * is always said, even when the answer is "still waiting".
 */
function evaluate(out: Turn, changed: Draft, ctx: TransitionContext, mustAnswer: boolean): void {
  if (changed.openAlbums.length > 0) {
    out.setDraft(changed);
    if (mustAnswer) out.say(texts.albumStillComing);
    return;
  }
  const draft = settleAlbumCaptions(out, changed, ctx);
  if (!draft.kind) {
    const withText = draft.text !== undefined || draft.chantier !== undefined;
    const ask = !out.deferKindQuestion && (mustAnswer || !draft.askedKind);
    if (ask) out.say(texts.whichReport(draft.media.length, withText), whichReportKeyboard(draft, ctx));
    out.setDraft({ ...draft, askedKind: ask || draft.askedKind });
    return;
  }
  const missing = missingPiece(draft, known(ctx));
  if (missing) {
    const awaiting = missing.awaitsChantier ? 'chantier' : undefined;
    out.setDraft({ ...draft, awaiting, chantierChoices: missing.choices });
    if (missing.choices) out.say(missing.prompt, chantierKeyboard(missing.choices));
    else out.say(missing.prompt);
    return;
  }
  createReport(out, draft, draft.kind, ctx);
}

/**
 * Once every album of the draft is in, its captions apply. Captions naming different chantiers
 * (two albums sent interleaved, `Müller / toiture` and `Schmidt / cave`) make separate reports:
 * the first album's stays current, each other chantier's album is queued as its own report.
 */
function settleAlbumCaptions(out: Turn, draft: Draft, ctx: TransitionContext): Draft {
  if (draft.albumCaptions.length === 0) return draft;
  const now = ctx.now.getTime();
  const groups: { chantier: string | undefined; albums: string[]; captions: string[] }[] = [];
  for (const caption of draft.albumCaptions) {
    const chantier = parseReportText(caption.text).chantier;
    const group =
      groups.find((g) => g.albums.includes(caption.mediaGroupId)) ??
      groups.find(
        (g) => chantier === undefined || g.chantier === undefined || sameClient(g.chantier, chantier),
      );
    if (group) {
      group.chantier ??= chantier;
      if (!group.albums.includes(caption.mediaGroupId)) group.albums.push(caption.mediaGroupId);
      group.captions.push(caption.text);
    } else groups.push({ chantier, albums: [caption.mediaGroupId], captions: [caption.text] });
  }
  const [first, ...others] = groups;
  const moved = new Set(others.flatMap((g) => g.albums));
  const apply = (d: Draft, captions: string[]) =>
    captions.reduce((acc, c) => addInput(acc, c, now, known(ctx)), d);
  const kept = apply(
    { ...draft, media: draft.media.filter((m) => !moved.has(m.mediaGroupId ?? '')), albumCaptions: [] },
    first!.captions,
  );
  if (others.length === 0) return kept;
  const split = others.map((group, index) =>
    apply(
      {
        ...emptyDraft(now + index + 1, draft.chatId, draft.technician),
        kind: draft.kind,
        askedKind: draft.askedKind,
        media: draft.media.filter((m) => group.albums.includes(m.mediaGroupId ?? '')),
      },
      group.captions,
    ),
  );
  out.state = { ...out.state, queued: [...split, ...out.state.queued] };
  out.say(texts.albumsSplit(groups.map((g) => g.chantier ?? '?')));
  return kept;
}

function createReport(out: Turn, draft: Draft, kind: ReportKind, ctx: TransitionContext): void {
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
  takeUpQueued(out, ctx);
}

/** When no report is in progress, the next one the technician started becomes current. */
function takeUpQueued(out: Turn, ctx: TransitionContext): void {
  const [next, ...rest] = out.state.queued;
  if (!next || (out.state.draft && !isBlank(out.state.draft))) return;
  out.state = { ...out.state, queued: rest };
  evaluate(out, { ...next, updatedAt: ctx.now.getTime() }, ctx, true);
}

function cancel(out: Turn, ctx: TransitionContext): void {
  const { draft, setAside } = out.state;
  const dropped = draft && !isBlank(draft) ? draft : setAside;
  if (!dropped) {
    out.setDraft(undefined).say(texts.nothingToCancel);
    takeUpQueued(out, ctx);
    return;
  }
  // An open report with nothing in it yet goes too: after « Annulé », nothing is left open unseen.
  const emptyOpen = draft && isBlank(draft) && draft.openAlbums.length === 0;
  out.state =
    dropped === draft
      ? { ...out.state, draft: undefined }
      : { ...out.state, setAside: undefined, ...(emptyOpen ? { draft: undefined } : {}) };
  out.say(texts.cancelled(describeDraft(dropped)));
  takeUpQueued(out, ctx);
}

function dropSetAside(out: Turn, ctx: TransitionContext): void {
  const { setAside, draft } = out.state;
  if (!setAside) {
    out.say(texts.nothingToResume);
    return;
  }
  out.state = { ...out.state, setAside: undefined };
  out.say(texts.cancelled(describeDraft(setAside)));
  // What the technician sent since is still there: ask what it is for.
  // A report opened since (/fin after the time-out) stays open: said again, so that what comes
  // next is not read as going nowhere after « Annulé ».
  if (draft && !isBlank(draft)) {
    if (draft.kind) out.say(texts.stillOpen(describeDraft(draft)));
    evaluate(out, { ...draft, updatedAt: ctx.now.getTime() }, ctx, true);
  } else {
    if (draft?.kind) out.say(texts.start[draft.kind]);
    takeUpQueued(out, ctx);
  }
}

/**
 * ↩️ Reprendre: the set-aside report becomes current again, with what the technician sent since
 * (the answer he typed after the time-out is used, not asked again). A report of another kind
 * started since takes the set-aside place instead: nothing is dropped.
 */
function resume(out: Turn, ctx: TransitionContext): void {
  const { draft, setAside } = out.state;
  if (!setAside) {
    out.say(texts.nothingToResume);
    return;
  }
  const since = draft && !isBlank(draft) ? draft : undefined;
  const joins = since !== undefined && (!since.kind || since.kind === setAside.kind);
  // Set aside while its album comes in, the report started since would wait for the album for
  // ever: an album closes in the current report only (src/dispatch/album-close-job.ts).
  if (since && !joins && since.openAlbums.length > 0)
    return void out.say(texts.resumeAfterAlbum, setAsideKeyboard);
  const resumed = joins ? mergeDrafts(setAside, since) : setAside;
  out.state = { ...out.state, setAside: joins ? undefined : since };
  out.say(texts.resumed(describeDraft(resumed)));
  evaluate(out, { ...resumed, askedKind: false, updatedAt: ctx.now.getTime() }, ctx, true);
}

/** A draft untouched past the time-out is set aside; the caller tells the technician. */
function setAsideIfStale(
  out: Turn,
  ctx: TransitionContext,
): { draft: Draft; minutes: number; replaced: Draft | undefined } | undefined {
  const { draft } = out.state;
  const now = ctx.now.getTime();
  if (!draft || draft.openAlbums.length > 0 || now - draft.updatedAt < ctx.settings.draftTimeoutMs) return;
  if (isBlank(draft)) {
    out.setDraft(undefined);
    return;
  }
  const replaced = out.state.setAside;
  out.state = { ...out.state, draft: undefined, setAside: draft };
  return { draft, minutes: Math.round((now - draft.updatedAt) / 60_000), replaced };
}

function forgetOldAlbums(state: ConversationState, ctx: TransitionContext): ConversationState {
  const oldest = ctx.now.getTime() - ctx.settings.lateItemWindowMs;
  const closedAlbums = state.closedAlbums.filter((album) => album.closedAt >= oldest);
  return closedAlbums.length === state.closedAlbums.length ? state : { ...state, closedAlbums };
}

const known = (ctx: TransitionContext): readonly string[] => ctx.knownChantiers ?? [];

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
