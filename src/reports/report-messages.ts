import { photos } from '../conversation/texts.ts';
import type { ReportKind } from '../conversation/state.ts';
import { localDateTime } from '../nextcloud/report-paths.ts';

/** What the office and the technician read about a report (content fixed by the business: README, "What the office gets"). */

export interface ReportFacts {
  readonly publicId: string;
  readonly kind: ReportKind;
  readonly technician: string;
  readonly chantier: string;
  readonly text: string;
  readonly items: readonly string[];
  /** Photos filed in Nextcloud (or received, when the archive is off). */
  readonly photoCount: number;
  /** Nextcloud folder, relative to the user's root; undefined when the archive is off. */
  readonly folder: string | undefined;
}

export const GROUP_NAMES: Record<ReportKind, string> = {
  fin: 'Chat Chantier',
  sav: 'ETM-SAV',
  materiel: 'ETM-Magasinier',
};

export function groupMessage(report: ReportFacts): string {
  const lines = GROUP_LAYOUTS[report.kind](report);
  return lines.filter((line) => line !== undefined).join('\n');
}

const GROUP_LAYOUTS: Record<ReportKind, (r: ReportFacts) => (string | undefined)[]> = {
  fin: (r) => [
    '✅ Fin de chantier',
    `👷 ${r.technician}`,
    `🏠 Chantier : ${r.chantier}`,
    r.folder ? `📸 ${archived(r.photoCount)} → Nextcloud/${r.folder}/` : `📸 ${photos(r.photoCount)}`,
    r.text ? `📝 ${r.text}` : undefined,
    '💶 Tu peux préparer la facture finale.',
    `🎫 ${r.publicId}`,
  ],
  sav: (r) => [
    `🚨 SAV — ${r.chantier}`,
    `👷 ${r.technician}`,
    `📝 ${r.text}`,
    r.photoCount > 0 ? `📸 ${photos(r.photoCount)}${r.folder ? ` → ${r.folder}/` : ''}` : undefined,
    `🎫 ${r.publicId}`,
  ],
  materiel: (r) => [
    `📦 Matériel manquant — ${r.chantier}`,
    `👷 ${r.technician}`,
    ...r.items.map((item) => `- ${item}`),
    r.photoCount > 0 ? `📸 ${photos(r.photoCount)}${r.folder ? ` → ${r.folder}/` : ''}` : undefined,
    `🎫 ${r.publicId}`,
  ],
};

export interface ConfirmationFacts extends ReportFacts {
  /** The office group was told; 'no-group': none is configured for this kind; 'failed': Telegram refused. */
  readonly groupNotified: 'yes' | 'no-group' | 'failed';
  readonly problems: readonly string[];
}

/** The technician's confirmation once the report's work is done. */
export function confirmation(report: ConfirmationFacts): string {
  const lines = [`✅ ${report.publicId} — ${report.chantier}`];
  if (report.folder && report.photoCount > 0) {
    lines.push(`📁 ${archived(report.photoCount)} → ${report.folder}/`);
  } else if (!report.folder && report.photoCount > 0) {
    lines.push(
      `📸 ${photos(report.photoCount)} reçue${report.photoCount > 1 ? 's' : ''} (archivage Nextcloud non configuré)`,
    );
  }
  lines.push(GROUP_LINES[report.groupNotified](GROUP_NAMES[report.kind]));
  lines.push(...report.problems.map((problem) => `⚠️ ${problem}`));
  return lines.join('\n');
}

/** `aucune photo archivée`, `1 photo archivée`, `3 photos archivées`. */
function archived(count: number): string {
  if (count === 0) return 'aucune photo archivée';
  return `${photos(count)} archivée${count > 1 ? 's' : ''}`;
}

/** "prévenu" only for a group message Telegram took. */
const GROUP_LINES: Record<ConfirmationFacts['groupNotified'], (group: string) => string> = {
  yes: (group) => `📣 ${group} prévenu.`,
  'no-group': (group) =>
    `⚠️ Le bureau n’a pas été prévenu : aucun groupe ${group} n’est configuré. Appelle-le si c’est urgent.`,
  failed: (group) =>
    `⚠️ Le message au groupe ${group} n’a pas pu être envoyé : appelle le bureau si c’est urgent.`,
};

/** Why one file of a report was not archived: a line of the technician's confirmation. */
export const archiveTexts = {
  notAnImage: (fileName: string | undefined) =>
    `« ${fileName ?? 'un fichier'} » n’est pas une image : non archivé.`,
  tooLarge: (fileName: string | undefined) =>
    `« ${fileName ?? 'une photo'} » dépasse 20 Mo (limite de Telegram) : non archivée, envoie-la au bureau autrement.`,
};

export const delayNotice = (publicId: string) =>
  `⏳ ${publicId} : archivage en cours, je réessaie. Je te confirme dès que c’est fait.`;

/** To the office, once, when Nextcloud refuses the service's app password. */
export const breakerAlert = (user: string) =>
  [
    `⚠️ Nextcloud refuse le mot de passe d’application du compte « ${user} ».`,
    'Archivage des photos, cartes Deck et fiches Wiki_SAV sont en pause : rien n’est perdu, tout partira à la reprise.',
    'À faire : créer un nouveau mot de passe d’application pour ce compte (Paramètres personnels → Sécurité), le mettre dans NEXTCLOUD_PASSWORD et redémarrer le service.',
    'Si le même mot de passe remarche (compte débloqué), reprendre avec POST /admin/nextcloud/resume.',
  ].join('\n');

/** A problem line: the archive waits for the office to fix Nextcloud's password. */
export const archiveOnHold =
  'Archivage Nextcloud en attente : Nextcloud refuse le mot de passe du service. Le bureau est prévenu, tes photos seront archivées dès la reprise.';

/** To the technician and the office, once the archive of a report announced on hold has ended. */
export function heldArchiveEnded(
  publicId: string,
  folder: string | undefined,
  stored: number,
  problems: readonly string[],
): string {
  const first = folder
    ? `📁 ${publicId} : ${archived(stored)} → ${folder}/`
    : `📁 ${publicId} : archivage repris.`;
  return [first, ...problems.map((problem) => `⚠️ ${problem}`)].join('\n');
}

export const lateItemsNote = (publicId: string, count: number) =>
  `📎 +${photos(count)} ajoutée${count > 1 ? 's' : ''} à ${publicId}.`;

/**
 * To the office group, once per late join, when its message went out before these photos came:
 * `➕ 2 photos ajoutées à FIN-0042 (6 au total) → Nextcloud/<dossier>/`.
 */
export function latePhotosLine(
  report: { publicId: string; folder: string | undefined },
  added: number,
  total: number,
): string {
  const where = report.folder ? ` → Nextcloud/${report.folder}/` : '';
  return `➕ ${photos(added)} ajoutée${added > 1 ? 's' : ''} à ${report.publicId} (${total} au total)${where}`;
}

/** To the office group and the technician, when photos that joined a report could not be archived. */
export const latePhotosLost = (publicId: string, lost: number) =>
  lost > 1
    ? `⚠️ ${publicId} : ${photos(lost)} ajoutées après coup n’ont pas pu être archivées.`
    : `⚠️ ${publicId} : 1 photo ajoutée après coup n’a pas pu être archivée.`;

/** What the technician can do about them: the office has the rest. */
export const lostPhotosAdvice = (lost: number) =>
  lost > 1 ? 'Envoie-les au bureau autrement.' : 'Envoie-la au bureau autrement.';

/** The small Markdown report written next to SAV and material photos. */
export function markdownReport(report: ReportFacts, createdAt: Date, timeZone: string): string {
  const t = localDateTime(Math.floor(createdAt.getTime() / 1000), timeZone);
  const title = report.kind === 'sav' ? `SAV — ${report.chantier}` : `Matériel manquant — ${report.chantier}`;
  const body =
    report.kind === 'materiel' ? report.items.map((item) => `- [ ] ${item}`).join('\n') : report.text;
  return [
    `# ${report.publicId} · ${title}`,
    '',
    `- Technicien : ${report.technician}`,
    `- Date : ${t.day}/${t.month}/${t.year} ${t.hour}:${t.minute}`,
    `- Photos : ${report.photoCount}`,
    '',
    body,
    '',
  ].join('\n');
}
