/** Every sentence a technician reads, in French, plain text (no parse mode). */
export const texts = {
  greeting: (firstName: string) => `Bonjour ${firstName} 👋 Je suis le bot terrain d'ETM.`,
};
