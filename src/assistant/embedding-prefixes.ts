/**
 * Some embedding models expect a task prefix, and relevance degrades without it
 * (https://huggingface.co/nomic-ai/nomic-embed-text-v1.5, https://huggingface.co/mixedbread-ai/mxbai-embed-large-v1):
 * nomic-embed-text wants `search_document: ` / `search_query: `, mxbai-embed-large an instruction
 * before queries only. The prefix is part of what is hashed, so changing it re-embeds the notes.
 */
export interface EmbeddingPrefixes {
  readonly document: string;
  readonly query: string;
}

const NONE: EmbeddingPrefixes = { document: '', query: '' };

const KNOWN: readonly { readonly family: string; readonly prefixes: EmbeddingPrefixes }[] = [
  { family: 'nomic-embed-text', prefixes: { document: 'search_document: ', query: 'search_query: ' } },
  {
    family: 'mxbai-embed-large',
    prefixes: { document: '', query: 'Represent this sentence for searching relevant passages: ' },
  },
];

/** The prefixes the model's card asks for; none for models that need none (bge-m3…). */
export function prefixesFor(model: string): EmbeddingPrefixes {
  const name = model.split('/').at(-1)!.split(':')[0]!.toLowerCase();
  return (
    KNOWN.find((known) => name === known.family || name.startsWith(`${known.family}-`))?.prefixes ?? NONE
  );
}
