/** The conversation's tunables, from configuration; passed to the pure core with each event. */
export interface ConversationSettings {
  /** An album closes after this much silence. */
  readonly albumQuietMs: number;
  /** A draft untouched for this long is set aside: the technician may resume or cancel it. */
  readonly draftTimeoutMs: number;
  /** A late album item joins its report if it arrives within this time after the close. */
  readonly lateItemWindowMs: number;
  /** The SAV assistant answers `/question`. */
  readonly assistant: boolean;
}

/** The settings a configuration asks for (only the fields used, so the core stays config-free). */
export function conversationSettings(config: {
  albumQuietMs: number;
  conversationTimeoutMinutes: number;
  assistant: { enabled: boolean };
}): ConversationSettings {
  return {
    ...DEFAULT_SETTINGS,
    albumQuietMs: config.albumQuietMs,
    draftTimeoutMs: config.conversationTimeoutMinutes * 60_000,
    assistant: config.assistant.enabled,
  };
}

export const DEFAULT_SETTINGS: ConversationSettings = {
  albumQuietMs: 2500,
  draftTimeoutMs: 30 * 60_000,
  lateItemWindowMs: 5 * 60_000,
  assistant: false,
};

/** Bots may download files of at most 20 MB (https://core.telegram.org/bots/api#getfile). */
export const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024;
