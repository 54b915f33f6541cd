import Type from 'typebox';
import { defineJobs, type PayloadOf } from '../queue/job-kind.ts';

const ReportId = Type.Object({ reportId: Type.Integer() });

/** A report's background work, from its plan to the office's message (handlers in ./jobs/). */
export const reportJobs = defineJobs({
  'report.process': { schema: ReportId, priority: 50, maxAttempts: 12 },
  'report.archive-photo': {
    schema: Type.Object({ reportId: Type.Integer(), messageId: Type.Integer() }),
    priority: 20,
    maxAttempts: 12,
  },
  'report.write-markdown': { schema: ReportId, priority: 20, maxAttempts: 12 },
  'report.deck-card': { schema: ReportId, priority: 30, maxAttempts: 12 },
  'report.notify': { schema: ReportId, priority: 40, maxAttempts: 12 },
  'report.announce-on-hold': { schema: ReportId, priority: 40, maxAttempts: 12 },
  'report.confirm': { schema: ReportId, priority: 40, maxAttempts: 12 },
  /**
   * A milestone, no work: it ends once the technician's confirmation has left (or failed for
   * good). What must reach the technician after it waits on it (`reportConfirmedKey`).
   */
  'report.confirmed': { schema: ReportId, priority: 40, maxAttempts: 12 },
  'report.delay-notice': { schema: ReportId, priority: 40, maxAttempts: 12 },
  'report.add-media': {
    schema: Type.Object({
      reportId: Type.Integer(),
      messageIds: Type.Array(Type.Integer(), { minItems: 1 }),
    }),
    priority: 50,
    maxAttempts: 12,
  },
  'report.refresh-chantiers': { schema: Type.Object({}), priority: 5, maxAttempts: 3 },
  'report.late-photos': {
    schema: Type.Object({
      reportId: Type.Integer(),
      messageIds: Type.Array(Type.Integer(), { minItems: 1 }),
      /** The office group's message had already been written without these photos. */
      groupTold: Type.Boolean(),
    }),
    priority: 40,
    maxAttempts: 12,
  },
});

export type ReportPayload<T extends keyof typeof reportJobs> = PayloadOf<(typeof reportJobs)[T]>;

/** The idempotency key of one step of a report's work: `report:<id>:<step>`. */
export const reportJobKey = (reportId: number, step: string) => `report:${reportId}:${step}`;

/**
 * The milestone a message to the technician waits on (`after`) so that it never overtakes the
 * report's confirmation: it waits on the report's announcement, which makes it wait on the
 * confirmation's job, which makes it wait on the confirmation's message (src/reports/jobs/).
 */
export const reportConfirmedKey = (reportId: number) => reportJobKey(reportId, 'confirmed');
