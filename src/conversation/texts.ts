import { chantierChoiceData } from './chantier-choice.ts';
import type { ReportKind } from './state.ts';

/** Every sentence a technician reads: French, short, plain text (no parse mode). */

export interface Button {
  readonly text: string;
  readonly callback_data: string;
}
export type Keyboard = readonly (readonly Button[])[];

export const REPORT_LABELS: Record<ReportKind, string> = {
  fin: '📸 Fin de Chantier',
  sav: '⚠️ Alerte SAV',
  materiel: '📦 Matériel Manquant',
};

export const menuKeyboard: Keyboard = [
  [{ text: REPORT_LABELS.fin, callback_data: 'fin' }],
  [{ text: REPORT_LABELS.sav, callback_data: 'sav' }],
  [{ text: REPORT_LABELS.materiel, callback_data: 'materiel' }],
];

export const setAsideKeyboard: Keyboard = [
  [
    { text: '↩️ Reprendre', callback_data: 'reprendre' },
    { text: '🗑️ Abandonner', callback_data: 'abandonner' },
  ],
];

/** The name of each kind of report, as technicians and the office say it. */
export const REPORT_KIND_NAMES: Record<ReportKind, string> = {
  fin: 'Fin de chantier',
  sav: 'Alerte SAV',
  materiel: 'Matériel manquant',
};

export const texts = {
  greeting: (firstName: string, waiting?: string) =>
    waiting
      ? `Bonjour ${firstName} 👋 Que veux-tu signaler ? J’ai gardé ${waiting} : ça ira dans le rapport que tu choisis (/annuler pour l’effacer).`
      : `Bonjour ${firstName} 👋 Que veux-tu signaler ?`,
  /** The menu while a report is open: what is sent next still goes to it, and he knows it. */
  greetingInProgress: (firstName: string, report: string) =>
    `Bonjour ${firstName} 👋 Ton rapport en cours : ${report}. Envoie la suite, ou choisis un autre rapport (/annuler pour l’effacer).`,
  attached: (inputs: string) => `📎 J’ajoute à ce rapport ${inputs} (/annuler pour tout effacer).`,
  switched: (kind: ReportKind, summary: string) =>
    `🔁 Ton rapport en cours devient ${REPORT_KIND_NAMES[kind]} : ${summary}.`,
  listSetApart: (inputs: string) =>
    `📦 ${inputs} ressemble à une liste de matériel : j’en fais un rapport Matériel manquant à part, juste après.`,
  albumsSplit: (chantiers: readonly string[]) =>
    `📎 Tes albums sont pour ${chantiers.length} chantiers (${chantiers.join(', ')}) : un rapport pour chacun.`,
  confirmChantier: (proposed: string) =>
    `🏠 Je ne connais pas de chantier « ${excerpt(proposed)} ». C’est un nouveau chantier ? Touche le bon bouton, ou écris le nom exact.`,
  staleChoice: 'Ce choix n’est plus valable : plus aucun chantier n’attend de réponse.',
  albumStillComing: '⏳ Je reçois encore tes photos : je te réponds dès qu’elles sont toutes arrivées.',
  start: {
    fin: '📸 Fin de chantier : envoie les photos avec en légende « Client / Notes » (ex. Müller / onduleur + batterie posés).',
    sav: '⚠️ Alerte SAV : écris « Chantier / Description » (ex. Müller / PAC en défaut E-12). Photos bienvenues.',
    materiel:
      '📦 Matériel manquant : écris « Chantier / - article - article » (ex. Müller / - cuivre 28mm - disconnecteur).',
  } satisfies Record<ReportKind, string>,
  missing: {
    photo: '📸 Envoie au moins une photo, légende « Client / Notes » (ex. Müller / onduleur posé).',
    finChantier: '🏠 Quel client ? Réponds par ex. « Müller » ou « Müller / onduleur posé ».',
    savChantier: '🏠 Pour quel chantier ? Réponds juste le nom (ex. Müller).',
    savDescription: '📝 Décris le problème (ex. Müller / PAC en défaut E-12).',
    materielChantier: '🏠 Pour quel chantier ? Réponds juste le nom (ex. Müller).',
    materielItems: '📦 Que manque-t-il ? (ex. - cuivre 28mm - disconnecteur)',
  },
  whichReport: (photoCount: number, withText: boolean) =>
    `📎 ${receivedSoFar(photoCount, withText)}. C’est pour quel rapport ?`,
  received: '⏳ Bien reçu ! J’archive et je préviens le bureau.',
  cancelled: (summary: string) => `🗑️ Annulé. J’ai abandonné : ${summary}.`,
  notProcessed:
    '⚠️ Je n’ai pas pu traiter ce message. Réessaie plus court ; si ça recommence, appelle le bureau.',
  nothingToCancel: 'Rien à annuler. Tape /menu pour commencer un rapport.',
  setAside: (summary: string, minutes: number, justSent?: string) =>
    justSent
      ? `🕒 Ton rapport en cours (${summary}) est resté ${minutes} min sans suite : je l’ai mis de côté. ↩️ Reprendre : j’y ajoute ce que tu viens d’envoyer (${justSent}). 🗑️ Abandonner : je l’efface et on continue avec ton message.`
      : `🕒 Ton rapport en cours (${summary}) est resté ${minutes} min sans suite : je l’ai mis de côté.`,
  resumed: (summary: string) => `↩️ On reprend : ${summary}.`,
  lateCaption: (caption: string) =>
    `📝 La légende « ${excerpt(caption)} » est arrivée après l’envoi du rapport : j’y ajoute la photo, pas le texte. Renvoie-le à part s’il compte.`,
  resumeAfterAlbum: '⏳ Je reçois encore tes photos : touche ↩️ Reprendre quand elles sont toutes arrivées.',
  stillOpen: (summary: string) => `▶️ Ton rapport en cours : ${summary}.`,
  nothingToResume: 'Aucun rapport mis de côté.',
  voice: '🎤 Je ne lis pas les messages vocaux : écris-moi en texte, s’il te plaît.',
  notUnderstood: 'Je n’ai pas compris. Tape /menu pour choisir un rapport ou /aide.',
  unknownCommand: (command: string) => `Commande /${command} inconnue. Tape /aide.`,
  notAnImage: (name: string) =>
    `📄 « ${name} » n’est pas une photo : je ne peux pas l’archiver. Envoie-la en photo.`,
  videoTooLarge:
    '🎬 Cette vidéo dépasse 20 Mo, la limite de Telegram pour les bots : envoie un extrait plus court.',
  fileTooLarge: (name: string) =>
    `📄 « ${name} » dépasse 20 Mo, la limite de Telegram pour les bots : envoie-la en photo, pas en fichier.`,
  albumPartlyRefused:
    '📎 Dans cet album, je garde les photos et les vidéos de moins de 20 Mo ; les autres fichiers ne sont pas archivés.',
  edited: '✏️ Je ne vois pas les messages modifiés : renvoie le texte corrigé, s’il te plaît.',
  staleButton: 'Ce bouton n’est plus valable : tape /menu.',
  questionUsage: '🔎 Écris ta question après /question (ex. /question onduleur Fronius erreur 567).',
  questionReceived: '🔎 Je cherche des pistes, réponse d’ici une minute.',
  assistantOff: 'L’assistant SAV n’est pas disponible ici : appelle le bureau.',
  openSav: '⚠️ Ouvrir un SAV',
  askAssistant: '🔎 Demander des pistes à l’assistant',
  /** What the answer log records as the question when a known fix was picked with its button. */
  chosenKnownFix: '(solution connue choisie avec son bouton)',
  feedbackThanks: 'Merci, c’est noté : ça aide à améliorer l’assistant.',
  refused: '⛔ Ce bot est réservé aux techniciens d’ETM. Demande au bureau de t’ajouter.',
  help: [
    'ℹ️ Trois rapports :',
    '📸 /fin — photos + légende « Client / Notes »',
    '⚠️ /sav — « Chantier / Description », photos en plus si tu veux',
    '📦 /materiel — « Chantier / - article - article »',
    'Exemple : Müller / - cuivre 28mm - disconnecteur - soupape anti-gel',
    '/question <texte> : des pistes de diagnostic de l’assistant.',
    '/annuler abandonne le rapport en cours, /menu affiche les boutons.',
  ].join('\n'),
};

/** One button per chantier to choose: the known ones as they are spelt, the new name last. */
export function chantierKeyboard(choices: readonly string[]): Keyboard {
  return choices.map((name, index) => [
    {
      text: index === choices.length - 1 ? `✅ Nouveau : ${excerpt(name)}` : `🏠 ${excerpt(name)}`,
      callback_data: chantierChoiceData(index, name),
    },
  ]);
}

/** A short description of what a draft holds, for cancel and set-aside messages. */
export function describeDraft(draft: {
  kind: ReportKind | undefined;
  chantier: string | undefined;
  media: readonly unknown[];
  text: string | undefined;
}): string {
  const parts: string[] = [];
  if (draft.kind) parts.push(REPORT_KIND_NAMES[draft.kind]);
  if (draft.chantier) parts.push(draft.chantier);
  if (draft.media.length > 0) parts.push(photos(draft.media.length));
  if (draft.text && parts.length < 3) parts.push('un texte');
  return parts.length > 0 ? parts.join(', ') : 'un rapport vide';
}

/** `tes 2 photos et « Koch »`: inputs waiting for a report, quoted so the technician recognises them. */
export function describeInputs(draft: {
  media: readonly unknown[];
  inputs: readonly string[];
  text: string | undefined;
}): string {
  const parts: string[] = [];
  if (draft.media.length === 1) parts.push('ta photo');
  if (draft.media.length > 1) parts.push(`tes ${photos(draft.media.length)}`);
  const quoted = draft.inputs.length > 0 ? draft.inputs : draft.text ? [draft.text] : [];
  parts.push(...quoted.slice(0, 3).map((input) => `« ${excerpt(input)} »`));
  if (quoted.length > 3) parts.push(`${quoted.length - 3} autre(s) texte(s)`);
  if (parts.length === 0) return 'rien';
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} et ${parts.at(-1)!}`;
}

/** The first words of a text, on one line: enough to recognise it. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length <= 40 ? line : `${line.slice(0, 39).trimEnd()}…`;
}

/** `Texte reçu`, `1 photo reçue`, `3 photos et un texte reçus`: what the technician sees kept. */
function receivedSoFar(photoCount: number, withText: boolean): string {
  if (photoCount === 0) return 'Texte reçu';
  if (withText) return `${photos(photoCount)} et un texte reçus`;
  return `${photos(photoCount)} reçue${photoCount > 1 ? 's' : ''}`;
}

export const photos = (n: number) => (n === 1 ? '1 photo' : `${n} photos`);
