/**
 * How the SAV assistant fared lately, for `/readyz`: read from the outcome of its jobs, so the
 * probe makes no call to Ollama (a probe must answer at once) and never fails readiness, since
 * reports never wait for the assistant.
 */
export class AssistantStatus {
  private current: string;
  private readonly degradation: () => string | undefined;

  /**
   * `degradation`: why the assistant's last answer had to do without part of Ollama, if it did
   * (known fixes found by BM25 alone): the job succeeded, the assistant is still degraded.
   */
  constructor(enabled: boolean, degradation: () => string | undefined = () => undefined) {
    this.current = enabled ? 'ok: no answer asked yet' : 'off';
    this.degradation = degradation;
  }

  succeeded(): void {
    this.current = 'ok';
  }

  failed(reason: string): void {
    this.current = `degraded: ${reason}`;
  }

  describe(): string {
    const degradation = this.current.startsWith('ok') ? this.degradation() : undefined;
    return degradation === undefined ? this.current : `degraded: ${degradation}`;
  }
}
