/**
 * How the SAV assistant fared lately, for `/readyz`: read from the outcome of its jobs, so the
 * probe makes no call to Ollama (a probe must answer at once) and never fails readiness, since
 * reports never wait for the assistant.
 */
export class AssistantStatus {
  private current: string;

  constructor(enabled: boolean) {
    this.current = enabled ? 'ok: no answer asked yet' : 'off';
  }

  succeeded(): void {
    this.current = 'ok';
  }

  failed(reason: string): void {
    this.current = `degraded: ${reason}`;
  }

  describe(): string {
    return this.current;
  }
}
