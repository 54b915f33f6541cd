/**
 * The callback data of a chantier button (`ch:<index>:<tag>`): its place among the chantiers
 * offered, and a tag of the name it shows. Buttons stay on earlier messages, and a tap on one of
 * them reaches the question open now: the tag lets a tap act only when the question open now
 * offers, at that place, the very name the button shows, so an old button never files a report
 * under a chantier nobody tapped. Well under Telegram's 64 bytes of callback data
 * (https://core.telegram.org/bots/api#inlinekeyboardbutton).
 */
export function chantierChoiceData(index: number, name: string): string {
  return `ch:${index}:${nameTag(name)}`;
}

export interface ChantierChoice {
  readonly index: number;
  readonly tag: string;
}

export function parseChantierChoice(data: string): ChantierChoice | undefined {
  const match = /^ch:(\d{1,2}):([0-9a-f]{8})$/u.exec(data);
  return match ? { index: Number(match[1]), tag: match[2]! } : undefined;
}

/** The name the tapped button showed, if the question open now offers it at the same place. */
export function chosenName(choice: ChantierChoice, offered: readonly string[]): string | undefined {
  const name = offered[choice.index];
  return name !== undefined && nameTag(name) === choice.tag ? name : undefined;
}

/** 32-bit FNV-1a of the name (http://www.isthe.com/chongo/tech/comp/fnv/), in hex. */
function nameTag(name: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}
