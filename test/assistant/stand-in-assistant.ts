import { localFolderSource } from '../../src/assistant/knowledge-source.ts';
import type { AssistantDatabase } from '../../src/assistant/assistant-schema.ts';
import {
  createSavAssistant,
  type SavAssistant,
  type SavAssistantOptions,
} from '../../src/assistant/sav-assistant.ts';
import { STAND_IN_CHAT_MODEL, STAND_IN_EMBED_MODEL } from '../../stand-ins/ollama-stand-in.ts';

/** The assistant on the Ollama stand-in's two models, over the example notes of knowledge/Wiki_SAV unless told otherwise. */
export function standInAssistant<DB extends AssistantDatabase>(
  ollamaUrl: string,
  db: SavAssistantOptions<DB>['db'],
  options: Partial<Omit<SavAssistantOptions<DB>, 'ollamaUrl' | 'db'>> = {},
): SavAssistant {
  return createSavAssistant({
    ollamaUrl,
    chatModel: STAND_IN_CHAT_MODEL,
    embedModel: STAND_IN_EMBED_MODEL,
    db,
    knowledge: { source: localFolderSource('knowledge/Wiki_SAV') },
    ...options,
  });
}
