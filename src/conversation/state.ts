/** A technician's conversation state, persisted per (slug, chat, user) as JSON. */
export type ConversationState = { readonly step: 'idle' };

export const INITIAL_STATE: ConversationState = { step: 'idle' };
