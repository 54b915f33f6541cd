import { createHash } from 'node:crypto';

/**
 * The data and rules of Nextcloud Deck that our service meets through its REST API v1.0, in
 * memory and without I/O: what the Deck stand-in serves. Rules follow nextcloud/deck
 * (CardService, StackService, BaseValidator, ExceptionMiddleware), and its docs/API.md
 * (https://github.com/nextcloud/deck/blob/main/docs/API.md):
 * - an id that does not exist, or belongs to a board of another user, is 403 "Permission denied";
 * - writes under an archived board are 500 "Operation not allowed. This board is archived.";
 * - a card update replaces the card: description, order, duedate and done not sent are reset;
 * - deletes are soft (deletedAt), and deleted stacks and cards leave the listings;
 * - a board shared with the user (ACL, PermissionService) is read with the rights given: cards
 *   need "edit", stacks and labels "manage" (403 "Permission denied" otherwise), sharing "share".
 */

export class DeckError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'DeckError';
    this.status = status;
  }
}

const permissionDenied = () => new DeckError(403, 'Permission denied');
const boardArchived = () => new DeckError(500, 'Operation not allowed. This board is archived.');

export interface LabelRecord {
  id: number;
  boardId: number;
  title: string;
  color: string;
}

/** One share of a board: type 0 a user, 1 a group (Deck's Acl entity). */
export interface AclRecord {
  id: number;
  type: 0 | 1;
  participant: string;
  permissionEdit: boolean;
  permissionShare: boolean;
  permissionManage: boolean;
}

type Permission = 'edit' | 'share' | 'manage';

export interface BoardRecord {
  id: number;
  title: string;
  color: string;
  ownerUid: string;
  acl: AclRecord[];
  archived: boolean;
  deletedAt: number;
  lastModified: number;
  revision: number;
  labels: LabelRecord[];
}

export interface StackRecord {
  id: number;
  boardId: number;
  title: string;
  order: number;
  deletedAt: number;
  lastModified: number;
  revision: number;
}

export interface CardRecord {
  id: number;
  stackId: number;
  title: string;
  description: string;
  type: string;
  ownerUid: string;
  order: number;
  duedate: string | null;
  archived: boolean;
  done: string | null;
  labelIds: number[];
  createdAt: number;
  lastModified: number;
  deletedAt: number;
  revision: number;
}

export interface CommentRecord {
  id: number;
  cardId: number;
  message: string;
  actorId: string;
  parentId: number | null;
  creationDateTime: string;
}

export type Json = Record<string, unknown>;

/** Request bodies as parsed JSON: anything may be missing or of the wrong type. */
export type Body = Record<string, unknown>;

const DEFAULT_LABELS = [
  ['Finished', '31CC7C'],
  ['To review', '317CCC'],
  ['Action needed', 'FF7A66'],
  ['Later', 'F1DB50'],
] as const;

export const COMMENT_MAX_LENGTH = 1000;

export class DeckStore {
  readonly user: string;
  private readonly displayName: string;
  private readonly now: () => Date;
  private readonly boards = new Map<number, BoardRecord>();
  private readonly stacks = new Map<number, StackRecord>();
  private readonly cards = new Map<number, CardRecord>();
  private readonly comments: CommentRecord[] = [];
  private readonly nextIds = { board: 1, stack: 1, card: 1, label: 1, comment: 1, acl: 1 };

  constructor(user: string, displayName: string, now: () => Date) {
    this.user = user;
    this.displayName = displayName;
    this.now = now;
  }

  // ---- seeding and inspection (no permission checks: the test sets the scene) ----

  addBoard(seed: {
    title: string;
    owner?: string;
    color?: string;
    archived?: boolean;
    deletedAt?: number;
    /** Shares, e.g. the office's board shared with our user with edit but not manage rights. */
    acl?: Omit<AclRecord, 'id'>[];
  }): BoardRecord {
    const id = this.nextIds.board++;
    const board: BoardRecord = {
      id,
      title: seed.title,
      color: seed.color ?? '0082c9',
      ownerUid: seed.owner ?? this.user,
      acl: (seed.acl ?? []).map((entry) => ({ ...entry, id: this.nextIds.acl++ })),
      archived: seed.archived ?? false,
      deletedAt: seed.deletedAt ?? 0,
      lastModified: this.seconds(),
      revision: 1,
      labels: DEFAULT_LABELS.map(([title, color]) => ({
        id: this.nextIds.label++,
        boardId: id,
        title,
        color,
      })),
    };
    this.boards.set(id, board);
    return board;
  }

  addStack(boardId: number, seed: { title: string; order?: number; deletedAt?: number }): StackRecord {
    if (!this.boards.has(boardId)) throw new Error(`no board ${boardId}`);
    const stack: StackRecord = {
      id: this.nextIds.stack++,
      boardId,
      title: seed.title,
      order: seed.order ?? 0,
      deletedAt: seed.deletedAt ?? 0,
      lastModified: this.seconds(),
      revision: 1,
    };
    this.stacks.set(stack.id, stack);
    return stack;
  }

  addCard(
    stackId: number,
    seed: Partial<Omit<CardRecord, 'id' | 'stackId' | 'revision'>> & { title: string },
  ): CardRecord {
    if (!this.stacks.has(stackId)) throw new Error(`no stack ${stackId}`);
    const card: CardRecord = {
      description: '',
      type: 'plain',
      ownerUid: this.user,
      order: 999,
      duedate: null,
      archived: false,
      done: null,
      labelIds: [],
      createdAt: this.seconds(),
      lastModified: this.seconds(),
      deletedAt: 0,
      ...seed,
      id: this.nextIds.card++,
      stackId,
      revision: 1,
    };
    this.cards.set(card.id, card);
    this.touchStack(stackId);
    return card;
  }

  allBoards(): BoardRecord[] {
    return [...this.boards.values()];
  }

  allStacks(boardId?: number): StackRecord[] {
    return [...this.stacks.values()].filter((stack) => boardId === undefined || stack.boardId === boardId);
  }

  allCards(stackId?: number): CardRecord[] {
    return [...this.cards.values()].filter((card) => stackId === undefined || card.stackId === stackId);
  }

  allComments(cardId?: number): CommentRecord[] {
    return this.comments.filter((comment) => cardId === undefined || comment.cardId === cardId);
  }

  // ---- boards ----

  listBoards(): Json[] {
    return this.allBoards()
      .filter((board) => this.rights(board) !== undefined)
      .map((board) => this.boardJson(board));
  }

  createBoard(body: Body): Json {
    const title = requireTitle(body.title, 100);
    const color = typeof body.color === 'string' && body.color.trim() !== '' ? body.color : undefined;
    if (color === undefined) throw new DeckError(400, 'color must be provided and must be not empty');
    return this.boardJson(this.addBoard({ title, color }));
  }

  getBoard(boardId: number): Json {
    return this.boardJson(this.board(boardId));
  }

  /** PUT /boards/{id}: how a board is renamed, archived or unarchived (allowed while archived). */
  updateBoard(boardId: number, body: Body): Json {
    const board = this.board(boardId);
    board.title = requireTitle(body.title, 100);
    if (typeof body.color === 'string') board.color = body.color;
    if (typeof body.archived === 'boolean') board.archived = body.archived;
    this.touchBoard(board.id);
    return this.boardJson(board);
  }

  deleteBoard(boardId: number): Json {
    const board = this.board(boardId);
    board.deletedAt = this.seconds();
    this.touchBoard(board.id);
    return this.boardJson(board);
  }

  /** POST /boards/{id}/acl: shares the board (needs "share"); the participant is not checked. */
  addAcl(boardId: number, body: Body): Json {
    const board = this.writableBoard(boardId, 'share');
    if (body.type !== 0 && body.type !== 1) throw new DeckError(400, 'type must be 0 (user) or 1 (group)');
    const participant = requireNonEmpty(body.participant, 'participant');
    const acl: AclRecord = {
      id: this.nextIds.acl++,
      type: body.type,
      participant,
      permissionEdit: body.permissionEdit === true,
      permissionShare: body.permissionShare === true,
      permissionManage: body.permissionManage === true,
    };
    board.acl.push(acl);
    this.touchBoard(boardId);
    return aclJson(acl, boardId);
  }

  createLabel(boardId: number, body: Body): Json {
    const board = this.writableBoard(boardId, 'manage');
    const label: LabelRecord = {
      id: this.nextIds.label++,
      boardId,
      title: requireTitle(body.title, 100),
      color: typeof body.color === 'string' ? body.color : '31CC7C',
    };
    board.labels.push(label);
    this.touchBoard(boardId);
    return labelJson(label, null);
  }

  // ---- stacks ----

  listStacks(boardId: number): Json[] {
    this.board(boardId);
    return this.allStacks(boardId)
      .filter((stack) => stack.deletedAt === 0)
      .sort((a, b) => a.order - b.order || a.id - b.id)
      .map((stack) => this.stackJson(stack));
  }

  getStack(boardId: number, stackId: number): Json {
    return this.stackJson(this.stack(boardId, stackId));
  }

  createStack(boardId: number, body: Body): Json {
    this.writableBoard(boardId, 'manage');
    const title = requireTitle(body.title, 100);
    return this.stackJson(this.addStack(boardId, { title, order: requireInteger(body.order, 'order') }));
  }

  updateStack(boardId: number, stackId: number, body: Body): Json {
    const stack = this.stack(boardId, stackId);
    this.writableBoard(boardId);
    stack.title = requireTitle(body.title, 100);
    stack.order = requireInteger(body.order, 'order');
    this.touchStack(stack.id);
    return this.stackJson(stack);
  }

  deleteStack(boardId: number, stackId: number): Json {
    const stack = this.stack(boardId, stackId);
    this.writableBoard(boardId);
    stack.deletedAt = this.seconds();
    this.touchStack(stack.id);
    return this.stackJson(stack);
  }

  // ---- cards ----

  getCard(boardId: number, stackId: number, cardId: number): Json {
    return this.cardJson(this.card(boardId, stackId, cardId), 'enriched');
  }

  /** POST …/cards. Deck's controller defaults: type 'plain', order 999, description ''. */
  createCard(boardId: number, stackId: number, body: Body): Json {
    this.stack(boardId, stackId);
    const title = requireTitle(body.title, 255);
    const type = optionalString(body.type, 'type') ?? 'plain';
    const order = body.order === undefined ? 999 : requireInteger(body.order, 'order');
    const description = optionalString(body.description, 'description') ?? '';
    const duedate = parseDate(body.duedate, 'duedate');
    this.writableBoard(boardId);
    const card = this.addCard(stackId, { title, type, order, description, duedate });
    return this.cardJson(card, 'plain');
  }

  /** PUT …/cards/{id}: replaces the card; the stack in the URL becomes the card's stack. */
  updateCard(boardId: number, stackId: number, cardId: number, body: Body): Json {
    const card = this.cardOfBoard(boardId, cardId);
    this.stack(boardId, stackId);
    const title = requireTitle(body.title, 255);
    const type = requireNonEmpty(body.type, 'type');
    const owner =
      typeof body.owner === 'object' && body.owner !== null
        ? this.user
        : requireNonEmpty(body.owner, 'owner');
    const order = body.order === undefined ? 0 : requireInteger(body.order, 'order');
    const description = optionalString(body.description, 'description') ?? '';
    const duedate = parseDate(body.duedate, 'duedate');
    const done = parseDate(body.done, 'done');
    this.writableBoard(boardId);
    if (card.archived && body.archived === true) {
      throw new DeckError(500, 'Operation not allowed. This card is archived.');
    }
    if (card.deletedAt !== 0) throw new DeckError(403, 'Operation not allowed. This card was deleted.');
    const previousStack = card.stackId;
    Object.assign(card, { title, type, ownerUid: owner, order, description, duedate, done, stackId });
    if (typeof body.archived === 'boolean') card.archived = body.archived;
    this.touchCard(card, previousStack);
    return this.cardJson(card, 'plain');
  }

  deleteCard(boardId: number, stackId: number, cardId: number): Json {
    const card = this.card(boardId, stackId, cardId);
    this.writableBoard(boardId);
    card.deletedAt = this.seconds();
    this.touchCard(card);
    return this.cardJson(card, 'plain');
  }

  setCardArchived(boardId: number, stackId: number, cardId: number, archived: boolean): Json {
    const card = this.card(boardId, stackId, cardId);
    this.writableBoard(boardId);
    card.archived = archived;
    this.touchCard(card);
    return this.cardJson(card, 'plain');
  }

  /** A label of another board is a bare StatusException in Deck: 500 "Label does not exist." */
  setCardLabel(boardId: number, stackId: number, cardId: number, body: Body, assigned: boolean): Json {
    const card = this.card(boardId, stackId, cardId);
    const board = this.writableBoard(boardId);
    const labelId = requireInteger(body.labelId, 'labelId');
    if (!board.labels.some((label) => label.id === labelId))
      throw new DeckError(500, 'Label does not exist.');
    const has = card.labelIds.includes(labelId);
    if (assigned && has) throw new DeckError(400, 'The label is already assigned to the card');
    card.labelIds = assigned ? [...card.labelIds, labelId] : card.labelIds.filter((id) => id !== labelId);
    this.touchCard(card);
    return this.cardJson(card, 'enriched');
  }

  // ---- comments (OCS API) ----

  listComments(cardId: number, limit: number, offset: number): Json[] {
    this.commentableCard(cardId);
    return this.allComments(cardId)
      .slice()
      .reverse()
      .slice(offset, offset + limit)
      .map((comment) => this.commentJson(comment, false));
  }

  /** The docs' POST example has string ids where the list has numbers: clients must take both. */
  createComment(cardId: number, body: Body): Json {
    this.commentableCard(cardId);
    const message = requireNonEmpty(body.message, 'message');
    if (characterCount(message) > COMMENT_MAX_LENGTH)
      throw new DeckError(400, 'The comment has been too long');
    const parentId =
      body.parentId === undefined || body.parentId === null || body.parentId === 0
        ? null
        : requireInteger(body.parentId, 'parentId');
    if (
      parentId !== null &&
      !this.comments.some((comment) => comment.id === parentId && comment.cardId === cardId)
    ) {
      throw new DeckError(404, 'Comment not found');
    }
    const comment: CommentRecord = {
      id: this.nextIds.comment++,
      cardId,
      message,
      actorId: this.user,
      parentId,
      creationDateTime: atom(this.now()),
    };
    this.comments.push(comment);
    return this.commentJson(comment, true);
  }

  // ---- ETags, as Deck sends them in the ETag header and field ----

  boardsEtag(): string {
    return md5(
      this.allBoards()
        .map((board) => this.etagOf('board', board))
        .join(),
    );
  }

  stacksEtag(boardId: number): string {
    return md5(
      this.allStacks(boardId)
        .map((stack) => this.etagOf('stack', stack))
        .join(),
    );
  }

  // ---- lookups that enforce Deck's permissions ----

  private board(boardId: number): BoardRecord {
    const board = this.boards.get(boardId);
    if (!board || this.rights(board) === undefined) throw permissionDenied();
    return board;
  }

  /** Writes need "edit" (cards), or "manage" (stacks, labels) or "share" (ACL). */
  private writableBoard(boardId: number, needs: Permission = 'edit'): BoardRecord {
    const board = this.board(boardId);
    if (!this.rights(board)![needs]) throw permissionDenied();
    if (board.archived) throw boardArchived();
    return board;
  }

  /** The user's rights on a board: all as its owner, else those of a share to the user; undefined: none. */
  private rights(board: BoardRecord): Record<Permission, boolean> | undefined {
    if (board.ownerUid === this.user) return { edit: true, share: true, manage: true };
    const share = board.acl.find((entry) => entry.type === 0 && entry.participant === this.user);
    if (share === undefined) return undefined;
    return { edit: share.permissionEdit, share: share.permissionShare, manage: share.permissionManage };
  }

  private stack(boardId: number, stackId: number): StackRecord {
    this.board(boardId);
    const stack = this.stacks.get(stackId);
    if (!stack || stack.boardId !== boardId || stack.deletedAt !== 0) throw permissionDenied();
    return stack;
  }

  private card(boardId: number, stackId: number, cardId: number): CardRecord {
    this.stack(boardId, stackId);
    const card = this.cards.get(cardId);
    if (!card || card.stackId !== stackId) throw permissionDenied();
    return card;
  }

  /** For updates, which may move a card to another stack of its board. */
  private cardOfBoard(boardId: number, cardId: number): CardRecord {
    this.board(boardId);
    const card = this.cards.get(cardId);
    if (!card || this.stacks.get(card.stackId)?.boardId !== boardId) throw permissionDenied();
    return card;
  }

  private commentableCard(cardId: number): CardRecord {
    const card = this.cards.get(cardId);
    const stack = card && this.stacks.get(card.stackId);
    const board = stack && this.boards.get(stack.boardId);
    if (!card || !board || this.rights(board) === undefined || card.deletedAt !== 0) {
      throw new DeckError(404, 'Card not found');
    }
    return card;
  }

  // ---- change propagation: a card change changes its stack and board (ETag, lastModified) ----

  private touchBoard(boardId: number): void {
    const board = this.boards.get(boardId)!;
    board.revision++;
    board.lastModified = this.seconds();
  }

  private touchStack(stackId: number): void {
    const stack = this.stacks.get(stackId)!;
    stack.revision++;
    stack.lastModified = this.seconds();
    this.touchBoard(stack.boardId);
  }

  private touchCard(card: CardRecord, previousStack?: number): void {
    card.revision++;
    card.lastModified = this.seconds();
    this.touchStack(card.stackId);
    if (previousStack !== undefined && previousStack !== card.stackId) this.touchStack(previousStack);
  }

  // ---- JSON as Deck serialises it ----

  private userJson(uid: string): Json {
    return { primaryKey: uid, uid, displayname: uid === this.user ? this.displayName : uid };
  }

  private etagOf(kind: string, record: { id: number; revision: number }): string {
    return md5(`${kind}:${record.id}:${record.revision}`);
  }

  private boardJson(board: BoardRecord): Json {
    return {
      title: board.title,
      owner: this.userJson(board.ownerUid),
      color: board.color,
      archived: board.archived,
      labels: board.labels.map((label) => labelJson(label, null)),
      acl: board.acl.map((entry) => aclJson(entry, board.id)),
      permissions: {
        PERMISSION_READ: true,
        PERMISSION_EDIT: this.rights(board)?.edit ?? false,
        PERMISSION_MANAGE: this.rights(board)?.manage ?? false,
        PERMISSION_SHARE: this.rights(board)?.share ?? false,
      },
      users: [],
      shared: 0,
      deletedAt: board.deletedAt,
      id: board.id,
      lastModified: board.lastModified,
      ETag: this.etagOf('board', board),
      settings: { 'notify-due': 'off', calendar: true },
    };
  }

  /** Deck's Stack::jsonSerialize drops `cards` when there are none; archived and deleted cards are not listed. */
  private stackJson(stack: StackRecord): Json {
    const cards = this.allCards(stack.id)
      .filter((card) => !card.archived && card.deletedAt === 0)
      .sort((a, b) => a.order - b.order || a.id - b.id)
      .map((card) => this.cardJson(card, 'enriched'));
    return {
      title: stack.title,
      boardId: stack.boardId,
      deletedAt: stack.deletedAt,
      lastModified: stack.lastModified,
      ...(cards.length > 0 ? { cards } : {}),
      order: stack.order,
      id: stack.id,
      ETag: this.etagOf('stack', stack),
    };
  }

  /** Create and update answer the bare entity (owner as a uid); reads answer it enriched. */
  private cardJson(card: CardRecord, shape: 'plain' | 'enriched'): Json {
    const board = this.boards.get(this.stacks.get(card.stackId)!.boardId)!;
    const labels = board.labels
      .filter((label) => card.labelIds.includes(label.id))
      .map((label) => labelJson(label, card.id));
    return {
      title: card.title,
      description: card.description,
      stackId: card.stackId,
      type: card.type,
      lastModified: card.lastModified,
      createdAt: card.createdAt,
      labels,
      assignedUsers: [],
      attachments: null,
      attachmentCount: 0,
      owner: shape === 'enriched' ? this.userJson(card.ownerUid) : card.ownerUid,
      order: card.order,
      archived: card.archived,
      done: card.done,
      duedate: card.duedate,
      deletedAt: card.deletedAt,
      commentsUnread: 0,
      commentsCount: this.allComments(card.id).length,
      id: card.id,
      ETag: this.etagOf('card', card),
      overdue: 0,
    };
  }

  private commentJson(comment: CommentRecord, idsAsStrings: boolean): Json {
    const id = (value: number) => (idsAsStrings ? String(value) : value);
    const parent = this.comments.find((candidate) => candidate.id === comment.parentId);
    return {
      id: id(comment.id),
      objectId: id(comment.cardId),
      message: comment.message,
      actorId: comment.actorId,
      actorType: 'users',
      actorDisplayName: this.displayName,
      creationDateTime: comment.creationDateTime,
      mentions: [],
      ...(parent ? { replyTo: this.commentJson(parent, idsAsStrings) } : {}),
    };
  }

  private seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

function labelJson(label: LabelRecord, cardId: number | null): Json {
  return { title: label.title, color: label.color, boardId: label.boardId, cardId, id: label.id };
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** Deck's date format: ISO 8601 with a numeric offset, e.g. 2026-03-25T14:32:01+00:00. */
function atom(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

// ---- validation, with Deck's BaseValidator messages ----

/** Deck measures with mb_strlen, which counts code points, not UTF-16 units. */
function characterCount(text: string): number {
  return Array.from(text).length;
}

function requireTitle(value: unknown, maxLength: number): string {
  const title = requireNonEmpty(value, 'title');
  if (characterCount(title) > maxLength)
    throw new DeckError(400, `title cannot be longer than ${maxLength} characters `);
  return title;
}

function requireNonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new DeckError(400, `${field} must be provided and must be not empty`);
  }
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new DeckError(400, `${field} must be a string`);
  return value;
}

function requireInteger(value: unknown, field: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new DeckError(400, `${field} must be provided and must be numeric`);
  }
  return number;
}

function parseDate(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new DeckError(400, `${field} must be a valid date`);
  return atom(new Date(time));
}

function aclJson(acl: AclRecord, boardId: number): Json {
  return {
    id: acl.id,
    participant: {
      primaryKey: acl.participant,
      uid: acl.participant,
      displayname: acl.participant,
      type: acl.type,
    },
    type: acl.type,
    boardId,
    permissionEdit: acl.permissionEdit,
    permissionShare: acl.permissionShare,
    permissionManage: acl.permissionManage,
    owner: false,
  };
}
