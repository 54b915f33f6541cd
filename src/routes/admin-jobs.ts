import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { JobSchema, JobStateSchema, jobView } from '../admin/job-view.ts';
import type { Db } from '../db/database.ts';
import { HttpError } from '../http-error.ts';
import { listJobs, retryDeadJob } from '../queue/job-store.ts';
import { ErrorSchema } from './telegram-update.ts';

export interface AdminJobRoutesOptions {
  readonly db: Db;
  readonly clock: () => Date;
  readonly wakeWorker: () => void;
}

export const JobListQuerySchema = Type.Object({
  state: Type.Optional(JobStateSchema),
  type: Type.Optional(Type.String({ pattern: '^[a-z0-9.-]{1,64}$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export const JobListSchema = Type.Object({ jobs: Type.Array(JobSchema) });
/** Up to the largest safe integer: a larger id made PostgreSQL's bigint comparison fail with a 500. */
export const JobIdParamsSchema = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

/** The job queue for whoever runs the service: what waits, what failed, and a retry. */
export const adminJobRoutes: FastifyPluginAsyncTypebox<AdminJobRoutesOptions> = async (app, options) => {
  app.get(
    '/jobs',
    { schema: { querystring: JobListQuerySchema, response: { 200: JobListSchema } } },
    async (request) => {
      const jobs = await listJobs(options.db, request.query);
      return { jobs: jobs.map(jobView) };
    },
  );

  app.post(
    '/jobs/:id/retry',
    {
      schema: {
        params: JobIdParamsSchema,
        response: { 200: JobSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const job = await findJob(options.db, id);
      if (!job) throw new HttpError(404, 'job_not_found', `no job ${id}`);
      if (!(await retryDeadJob(options.db, id, options.clock()))) {
        throw new HttpError(409, 'job_not_dead', `job ${id} is ${job.state}; only dead jobs can be retried`);
      }
      request.log.info({ jobId: id, jobType: job.type }, 'dead job retried by an admin');
      options.wakeWorker();
      return jobView((await findJob(options.db, id))!);
    },
  );
};

const findJob = (db: Db, id: number) =>
  db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
