import { describe, expect, it } from 'vitest';
import { deckComment } from '../../src/assistant/assistant-jobs.ts';

describe('deckComment', () => {
  it('keeps whole lines within Deck’s 1000 characters and says the technician has the rest', () => {
    const answer = Array.from({ length: 80 }, (_, i) => `${i + 1}. Cause : ligne numéro ${i + 1}`).join('\n');
    const comment = deckComment(answer, 'SAV-0042');
    expect(comment.length).toBeLessThanOrEqual(1000);
    expect(comment.split('\n')[0]).toBe(
      '🤖 Pistes de l’assistant (réponse complète envoyée au technicien) :',
    );
    expect(comment.split('\n').at(-1)).toBe('🎫 SAV-0042');
    const kept = comment.split('\n').slice(1, -1);
    expect(kept[0]).toBe('1. Cause : ligne numéro 1');
    expect(answer.startsWith(kept.join('\n'))).toBe(true);
    expect(kept.length).toBeLessThan(80);
  });

  it('keeps a short answer whole', () => {
    expect(deckComment('⚠️ Sécurité\n1. Cause', 'SAV-0042')).toBe(
      '🤖 Pistes de l’assistant (réponse complète envoyée au technicien) :\n⚠️ Sécurité\n1. Cause\n🎫 SAV-0042',
    );
  });
});
