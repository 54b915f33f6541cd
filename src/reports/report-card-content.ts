import type { ReportKind } from '../conversation/state.ts';
import { photos } from '../conversation/texts.ts';
import { localDateTime } from '../nextcloud/report-paths.ts';
import type { ReportFacts } from './report-messages.ts';

/** The Deck card of a report: stack, title (≤ 255) and Markdown description. */

export const STACKS: Record<ReportKind, string> = {
  fin: 'Fin de Chantier',
  sav: 'SAV',
  materiel: 'Matériel',
};
const TITLES: Record<ReportKind, [string, string]> = {
  fin: ['📸', 'Fin de chantier'],
  sav: ['🚨', 'SAV'],
  materiel: ['📦', 'Matériel manquant'],
};
const DECK_TITLE_MAX = 255;
/** SAV cards are due the next day: the office must call back quickly. */
export const SAV_DUE_DELAY_MS = 24 * 60 * 60 * 1000;

export function cardTitle(report: ReportFacts): string {
  const [emoji, kind] = TITLES[report.kind];
  const fixed = `${emoji}  — ${kind}`;
  const room = DECK_TITLE_MAX - [...fixed].length;
  const chantier = [...report.chantier].slice(0, room).join('');
  return `${emoji} ${chantier} — ${kind}`;
}

export function cardDescription(
  report: ReportFacts,
  createdAt: Date,
  timeZone: string,
  folderLink: string | undefined,
): string {
  const t = localDateTime(Math.floor(createdAt.getTime() / 1000), timeZone);
  const lines = [
    `**${report.publicId}**`,
    '',
    `- Technicien : ${report.technician}`,
    `- Date : ${t.day}/${t.month}/${t.year} ${t.hour}:${t.minute}`,
    `- Photos : ${photos(report.photoCount)}`,
  ];
  if (folderLink) lines.push(`- Dossier : [${report.folder ?? 'Nextcloud'}](${folderLink})`);
  lines.push('');
  if (report.kind === 'materiel') lines.push(...report.items.map((item) => `- [ ] ${item}`));
  else if (report.text) lines.push(report.text);
  return lines.join('\n');
}
