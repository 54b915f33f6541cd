import { describe, expect, it } from 'vitest';
import { parseLeads, renderLeads, screenLeads } from '../../src/assistant/leads-screen.ts';

const MODEL_TEXT = `Voici quelques pistes :

**1. Cause :** disjoncteur de l'unité extérieure déclenché [N1]
   Vérifier : état du disjoncteur au tableau.
2) Cause : temporisation du compresseur
- Vérifier : attendre 10 minutes.
3. Cause : le code E-99 signifie une panne de ventilateur
   Vérifier : remplacer le ventilateur.
4. Cause : pressostat défaillant
   Vérifier : ponter le pressostat pour voir si la PAC repart.
5. Cause : le code E-98 ne figure pas dans nos notes
   Vérifier : consulter la documentation du fabricant.
6. Cause : contact de délestage ouvert
   Vérifier : position du contacteur jour/nuit.
7. Cause : sonde extérieure
   Vérifier : valeur de la sonde.`;

describe('leads from the model', () => {
  it('reads numbered leads in the usual shapes and drops the preamble and markdown', () => {
    const leads = parseLeads(MODEL_TEXT);
    expect(leads).toHaveLength(7);
    expect(leads[0]!.lines).toEqual([
      "Cause : disjoncteur de l'unité extérieure déclenché [N1]",
      'Vérifier : état du disjoncteur au tableau.',
    ]);
    expect(leads[1]!.lines).toEqual([
      'Cause : temporisation du compresseur',
      'Vérifier : attendre 10 minutes.',
    ]);
  });

  it('does not take a decimal at the start of a line for a new lead', () => {
    expect(
      parseLeads('1. Cause : pression basse\n1.5 bar lus au manomètre\nPiste 2 : purge').map((l) => l.lines),
    ).toEqual([['Cause : pression basse', '1.5 bar lus au manomètre'], ['purge']]);
  });

  it('drops the lead being written when the model hit its length limit', () => {
    const leads = parseLeads('1. Cause : a\n   Vérifier : b\n2. Cause : c\n   Vérifier : la moit', {
      truncated: true,
    });
    expect(leads.map((lead) => lead.lines[0])).toEqual(['Cause : a']);
  });

  it('keeps paragraphs as leads when the model ignored the numbering', () => {
    expect(parseLeads('Cause : a\nVérifier : b\n\nCause : c').map((lead) => lead.lines)).toEqual([
      ['Cause : a', 'Vérifier : b'],
      ['Cause : c'],
    ]);
  });

  it('removes whole leads that bypass a protection or invent a code meaning, keeps honest ones, at most five', () => {
    const { kept, dropped } = screenLeads(parseLeads(MODEL_TEXT), new Set(), new Set());
    expect(dropped.map((d) => [d.lead.lines[0], d.reason])).toEqual([
      ['Cause : le code E-99 signifie une panne de ventilateur', 'unknown-code'],
      ['Cause : pressostat défaillant', 'bypass'],
    ]);
    expect(kept).toHaveLength(5);
    expect(kept.map((lead) => lead.lines[0])).toContain('Cause : le code E-98 ne figure pas dans nos notes');
  });

  it('accepts a code meaning that the notes given to the model explain', () => {
    const { kept, dropped } = screenLeads(
      [{ lines: ['Cause : le code E-99 signifie une panne de ventilateur'] }],
      new Set(['E99']),
      new Set(['E99']),
    );
    expect(kept).toHaveLength(1);
    expect(dropped).toEqual([]);
  });

  it('numbers the leads again after drops', () => {
    expect(renderLeads([{ lines: ['Cause : a', 'Vérifier : b'] }, { lines: ['Cause : c'] }])).toEqual([
      '1. Cause : a',
      '   Vérifier : b',
      '2. Cause : c',
    ]);
  });
});
