import { fold } from './text-fold.ts';

/**
 * Safety in code, not in the prompt: every answer starts with this line, whatever
 * the model wrote, and no line that suggests defeating a protection reaches a technician.
 */

/** Consignation per NF C 18-510, with the PV specifics: DC stays live while there is light. */
export const SAFETY_LINE =
  "⚠️ Sécurité : consigner avant toute intervention — couper et cadenasser l'AC (pancarte), " +
  "côté PV le DC reste sous tension tant qu'il fait jour, vérifier l'absence de tension (VAT) " +
  'avant de toucher. Habilitation requise ; ne jamais shunter une protection.';

/** Telegram takes 4096 characters (https://core.telegram.org/bots/api#sendmessage); the rest is room for markup. */
export const MAX_ANSWER_CHARS = 3500;

const PROTECTED =
  "(?:la |le |les |l'|une |un |des |sa |son |ses )?(?:protection|securite|differentiel|interrupteur differentiel|ddr|rcd|rcm|disjoncteur|parafoudre|sectionneur|fusible|pressostat|thermostat de securite|limiteur|anti-?ilotage|decouplage|controle d'isolement|detection d'isolement|detecteur de fuite|arret d'urgence|coupure d'urgence)";

/** Folded (lower case, no accents) patterns of advice that defeats a protection. */
const BYPASS_PATTERNS: readonly RegExp[] = [
  /\bshunt/u,
  /\bpont(?:er|ez|age|ant|e|es)\b/u,
  /\bfaire un pont\b/u,
  /\bstrap\w*\s+(?:le |la |les |l')?(?:contact|securite|protection|pressostat|thermostat|differentiel)/u,
  /\bby-?pass/u,
  new RegExp(`\\bcourt-?circuit(?:er|ez|ant)\\s+${PROTECTED}`, 'u'),
  new RegExp(`\\b(?:contourn|desactiv|neutralis|supprim|inhib|desarm)\\w*\\s+(?:\\w+\\s+)?${PROTECTED}`, 'u'),
  /\b(?:forcer|forcez)\s+(?:le |la |l')?(?:contacteur|relais|sectionneur|disjoncteur|differentiel)/u,
  /\bcalibre\s+(?:plus\s+)?(?:superieur|eleve|gros|fort)/u,
  /\bfusibles?\s+par\s+(?:un\s+)?(?:fil|cable|cuivre|barrette|clou)/u,
];

/** True when a line suggests shunting, bypassing or disabling a protection. */
export function suggestsBypass(line: string): boolean {
  const folded = fold(line);
  return BYPASS_PATTERNS.some((pattern) => pattern.test(folded));
}

export interface BoundedText {
  readonly text: string;
  /** Lines were left out to stay within the limit. */
  readonly cut: boolean;
}

/**
 * `head`, then as much of `body` as fits, then `tail`, within `maxChars`, cut between lines. When
 * something is left out, `cutNotice` replaces it; a single line too long for what is left is cut
 * at a word and ends with `…`. `head` and `tail` are short and always kept.
 */
export function boundLines(
  head: readonly string[],
  body: readonly string[],
  tail: readonly string[],
  cutNotice: string,
  maxChars: number = MAX_ANSWER_CHARS,
): BoundedText {
  const whole = [...head, ...body, ...tail].join('\n');
  if (whole.length <= maxChars) return { text: whole, cut: false };
  // Room for the body once head, tail and the notice are in, newlines included.
  let room = [...head, ...tail, cutNotice].join('\n').length + 1;
  room = maxChars - room;
  const kept: string[] = [];
  for (const line of body) {
    const cost = line.length + 1;
    if (cost <= room) {
      kept.push(line);
      room -= cost;
      continue;
    }
    if (kept.length === 0 && room > 40) kept.push(cutAtWord(line, room - 1));
    break;
  }
  return { text: [...head, ...kept, cutNotice, ...tail].join('\n'), cut: true };
}

function cutAtWord(line: string, maxChars: number): string {
  const slice = line.slice(0, maxChars - 1);
  const space = slice.lastIndexOf(' ');
  return `${(space > maxChars / 2 ? slice.slice(0, space) : slice).trimEnd()}…`;
}
