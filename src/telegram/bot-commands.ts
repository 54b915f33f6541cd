/** The commands shown in Telegram's menu (setMyCommands), in French. */
export const BOT_COMMANDS = [
  { command: 'menu', description: 'Choisir un rapport' },
  { command: 'fin', description: '📸 Fin de chantier' },
  { command: 'sav', description: '⚠️ Alerte SAV' },
  { command: 'materiel', description: '📦 Matériel manquant' },
  { command: 'question', description: '🔎 Demander des pistes à l’assistant SAV' },
  { command: 'annuler', description: 'Abandonner le rapport en cours' },
  { command: 'aide', description: 'Formats et exemples' },
] as const;

/** Changes whenever the list does, so the registration job runs again after an upgrade. */
export const BOT_COMMANDS_VERSION = BOT_COMMANDS.map((c) => c.command).join(',');
