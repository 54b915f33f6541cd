import type { Transaction } from 'kysely';
import { assistantJobs } from '../../assistant/assistant-job-kinds.ts';
import type { Database } from '../../db/schema.ts';
import { enqueue } from '../../queue/enqueue.ts';
import { reportKind } from '../report-facts.ts';
import type { ReportDeps } from '../report-deps.ts';
import { reportJobKey } from '../report-jobs.ts';
import type { ReportRow } from '../report-store.ts';

/**
 * The SAV assistant's leads on a report (`assistant.answer-report`), when the assistant runs.
 * Enqueued by the report's plan, and earlier by its announcement on hold: the leads need Ollama,
 * not Nextcloud, and a technician on site should not wait for the office to fix a password.
 */
export async function enqueueSavLeads(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  now: Date,
): Promise<void> {
  if (!deps.assistant || reportKind(report) !== 'sav') return;
  await enqueue(
    trx,
    assistantJobs['assistant.answer-report'],
    { idempotencyKey: reportJobKey(report.id, 'assistant'), payload: { reportId: report.id } },
    now,
  );
}

/**
 * The leads summed up under the report's Deck card, once both the card's job and the leads' job
 * have ended: enqueued by the plan, which creates the card's job (the leads may have come first,
 * while the report was on hold).
 */
export async function enqueueSavLeadsComment(
  trx: Transaction<Database>,
  deps: ReportDeps,
  report: ReportRow,
  now: Date,
): Promise<void> {
  if (!deps.assistant || !deps.cards || reportKind(report) !== 'sav') return;
  await enqueue(
    trx,
    assistantJobs['assistant.deck-comment'],
    {
      idempotencyKey: reportJobKey(report.id, 'assistant-comment'),
      payload: { reportId: report.id },
      after: [reportJobKey(report.id, 'deck'), reportJobKey(report.id, 'assistant')],
    },
    now,
  );
}
