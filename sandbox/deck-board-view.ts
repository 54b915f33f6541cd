import type { DeckStore } from '../stand-ins/deck/deck-store.ts';

/** The Deck stand-in's boards as the web page shows them: live stacks and cards, in Deck's order. */

export interface CardView {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly duedate: string | null;
  readonly comments: readonly string[];
}

export interface StackView {
  readonly id: number;
  readonly title: string;
  readonly cards: readonly CardView[];
}

export interface BoardView {
  readonly id: number;
  readonly title: string;
  readonly stacks: readonly StackView[];
}

export function deckBoardView(store: DeckStore): BoardView[] {
  return store
    .allBoards()
    .filter((board) => board.deletedAt === 0)
    .map((board) => ({
      id: board.id,
      title: board.title,
      stacks: store
        .allStacks(board.id)
        .filter((stack) => stack.deletedAt === 0)
        .sort((a, b) => a.order - b.order || a.id - b.id)
        .map((stack) => ({
          id: stack.id,
          title: stack.title,
          cards: store
            .allCards(stack.id)
            .filter((card) => card.deletedAt === 0 && !card.archived)
            .sort((a, b) => a.order - b.order || b.id - a.id)
            .map((card) => ({
              id: card.id,
              title: card.title,
              description: card.description,
              duedate: card.duedate,
              comments: store.allComments(card.id).map((comment) => comment.message),
            })),
        })),
    }));
}
