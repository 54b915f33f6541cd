import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localFolderSource } from '../../src/assistant/knowledge-source.ts';
import { embeddingText, splitNote } from '../../src/assistant/knowledge-units.ts';
import { suggestsBypass } from '../../src/assistant/safety.ts';

const SINGLE = `# Onduleur X : code 42

> Remarque de rédaction, jamais affichée.

Équipement : onduleur PV
Marque : Marque-A, Modèle B
Codes : State 42, E-7
Lien : https://wiki.example.test/x

### Symptômes
L'écran affiche 42
le matin.

### Cause
Un câble desserré.

### Solution
1. Consigner.
2. Resserrer le bornier
   au couple.
`;

const SECTIONS = `# PAC : pannes après coupure
Équipement : pompe à chaleur
Marque : Daikin

## Code U4
Codes : U4
### Symptômes
U4 à l'écran.
### Solution
Relancer les deux unités.

## Code U4
Marque : Altherma
Texte sans sous-parties.
`;

describe('splitting notes into known fixes', () => {
  it('makes one unit of a note without sections, with its metadata and parts', () => {
    const [unit, ...others] = splitNote({ path: 'onduleurs/x.md', text: SINGLE });
    expect(others).toEqual([]);
    expect(unit).toMatchObject({
      id: 'onduleurs/x.md',
      title: 'Onduleur X : code 42',
      equipment: 'onduleur PV',
      brands: ['Marque-A', 'Modèle B'],
      codes: ['42', 'E7'],
      symptoms: "L'écran affiche 42 le matin.",
      cause: 'Un câble desserré.',
      fix: '1. Consigner.\n2. Resserrer le bornier au couple.',
      link: 'https://wiki.example.test/x',
    });
    expect(unit!.body).not.toContain('Remarque de rédaction');
    expect(unit!.body).not.toContain('Marque');
  });

  it('makes one unit per ## section, inheriting the note metadata, with stable distinct ids', () => {
    const units = splitNote({ path: 'pac/coupure.md', text: SECTIONS });
    expect(units.map((unit) => unit.id)).toEqual(['pac/coupure.md#code-u4', 'pac/coupure.md#code-u4-2']);
    expect(units[0]).toMatchObject({
      title: 'PAC : pannes après coupure — Code U4',
      equipment: 'pompe à chaleur',
      brands: ['Daikin'],
      codes: ['U4'],
      fix: 'Relancer les deux unités.',
    });
    expect(units[1]).toMatchObject({ brands: ['Daikin', 'Altherma'], fix: 'Texte sans sous-parties.' });
  });

  it('embeds what a report shares with a fix (title, metadata, symptoms), not the procedure', () => {
    const [unit] = splitNote({ path: 'onduleurs/x.md', text: SINGLE });
    const text = embeddingText(unit!);
    expect(text).toContain('Onduleur X : code 42');
    expect(text).toContain('Codes : 42, E7');
    expect(text).toContain("L'écran affiche 42");
    expect(text).not.toContain('Resserrer');
  });

  it('reads metadata whether the colon is inside the bold or outside', () => {
    const plain = splitNote({
      path: 'a.md',
      text: '# Fronius State 567\n**Codes** : 567, 568\n**Marque** : Fronius\n',
    })[0]!;
    const bold = splitNote({
      path: 'b.md',
      text: '# Fronius State 567\n**Codes :** 567, 568\n**Marque :** Fronius\n',
    })[0]!;
    const listed = splitNote({
      path: 'c.md',
      text: '# Fronius State 567\n- __Codes :__ 567, 568\n* *Marque* : Fronius\n',
    })[0]!;
    for (const unit of [plain, bold, listed]) {
      expect(unit).toMatchObject({ codes: ['567', '568'], brands: ['Fronius'], makers: ['Fronius'] });
      expect(unit.body).toBe('');
    }
  });

  // Completion only, as test/text/adversarial-texts.test.ts: a reading quadratic in the line
  // takes minutes on these and fails on the test timeout.
  it('reads metadata lines of a million spaces', () => {
    const spaces = ' '.repeat(1_000_000);
    const [unit] = splitNote({
      path: 'a.md',
      text: `# T\nCodes${spaces}x\n**Codes${spaces}x\nMarque${spaces}:${spaces}Fronius${spaces}`,
    });
    expect(unit).toMatchObject({ codes: [], brands: ['Fronius'] });
  });

  it('tells the maker (Marque) from models listed alone (Modèle)', () => {
    const [unit] = splitNote({
      path: 'pac/altherma.md',
      text: '# PAC Altherma\nModèle : Altherma 3\nMarque : Daikin\nCodes : U4',
    });
    expect(unit).toMatchObject({ brands: ['Altherma 3', 'Daikin'], makers: ['Daikin'] });
    const [models] = splitNote({ path: 'pac/altherma.md', text: '# PAC Altherma\nModèle : Altherma 3' });
    expect(models).toMatchObject({ brands: ['Altherma 3'], makers: [] });
  });

  it('finds the title behind a byte order mark', () => {
    const [unit] = splitNote({
      path: 'onduleurs/fronius-567.md',
      text: '\uFEFF# Fronius State 567\n### Solution\nRedémarrer.',
    });
    expect(unit!.title).toBe('Fronius State 567');
  });

  it('reads a note saved in windows-1252 (Latin-1) with its accents, and says it was not UTF-8', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etm-knowledge-'));
    try {
      const text =
        '# Pompe à chaleur : défaut E-12\nCodes : E-12\n### Solution\nPurger le circuit ; vérifier la pression (1,5 bar).';
      await writeFile(join(dir, 'pac-e12.md'), Buffer.from(text, 'latin1'));
      await writeFile(join(dir, 'bom.md'), `\uFEFF# Onduleur : défaut 42\nCodes : 42`);
      const notes = await localFolderSource(dir).list();
      expect(notes).toEqual([
        { path: 'bom.md', text: '# Onduleur : défaut 42\nCodes : 42' },
        { path: 'pac-e12.md', text, encoding: 'windows-1252' },
      ]);
      expect(splitNote(notes[1]!)[0]!.title).toBe('Pompe à chaleur : défaut E-12');
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('takes the title from the file name when the note has none', () => {
    const [unit] = splitNote({ path: 'irve/borne_hors-service.md', text: 'Texte libre.' });
    expect(unit).toMatchObject({ title: 'borne hors service', fix: 'Texte libre.' });
  });
});

describe('the example knowledge base', () => {
  it('lists its notes, skipping the README, and every note parses into fixes with a solution', async () => {
    const files = await localFolderSource('knowledge/Wiki_SAV').list();
    expect(files.map((file) => file.path)).toContain('onduleurs/fronius-state-567.md');
    expect(files.some((file) => file.path.toLowerCase().endsWith('readme.md'))).toBe(false);
    const units = files.flatMap(splitNote);
    expect(units.length).toBeGreaterThanOrEqual(12);
    for (const unit of units) {
      expect(unit.symptoms, unit.id).not.toBe('');
      expect(unit.cause, unit.id).not.toBe('');
      expect(unit.fix, unit.id).not.toBe(unit.body);
    }
  });

  it('says nothing the safety filter would have to remove', async () => {
    const units = (await localFolderSource('knowledge/Wiki_SAV').list()).flatMap(splitNote);
    const flagged = units.flatMap((unit) => unit.body.split('\n').filter(suggestsBypass));
    expect(flagged).toEqual([]);
  });

  it('is clearly marked as examples', async () => {
    const files = await localFolderSource('knowledge/Wiki_SAV').list();
    for (const file of files) expect(file.text, file.path).toMatch(/^> Exemples? fictif/mu);
  });
});
