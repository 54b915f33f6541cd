/**
 * One note with two cases that share their symptoms but for the part that fails (fan or
 * compressor): a question matches both about as well, and below the context threshold with the
 * default thresholds (src/assistant/answer-policy.ts).
 */
export const CLOSE_CASES_NOTE = {
  path: 'pac/pac-bruit.md',
  text: [
    '# PAC bruyante',
    '## Ventilateur',
    '### Symptômes',
    'bruit de sifflement ventilateur unité extérieure',
    '## Compresseur',
    '### Symptômes',
    'bruit de sifflement compresseur unité extérieure',
  ].join('\n'),
};
