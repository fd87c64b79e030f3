/** `/api/jobs`: the background job queues, their counts and their jobs; one job, with its result. */
import { JOB_STATES, isJobState, type JobView } from '../../jobs/queue';
import { ref, sendProblems, withService, type ApiRoute } from './api-route';
import type { FieldProblem } from '../../config/numbers-schema';

export const MAX_JOB_LIST = 200;
const DEFAULT_JOB_LIST = 20;
/** Longest job id looked up (ids tolk makes are far shorter). */
const MAX_JOB_ID = 200;

const NO_JOBS = 'this deployment has no job queues';
const noJobsDoc = { description: 'This deployment has no job queues', schema: ref('Error') };

/** A job as the API answers it: its times as ISO 8601. */
function jobJson(j: JobView): Record<string, unknown> {
  return {
    ...j,
    createdAt: new Date(j.createdAt).toISOString(),
    ...(j.runAt !== undefined ? { runAt: new Date(j.runAt).toISOString() } : {}),
    ...(j.finishedAt !== undefined ? { finishedAt: new Date(j.finishedAt).toISOString() } : {}),
  };
}

export const jobRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/jobs',
    doc: {
      operationId: 'listJobs',
      summary: 'Background job queues: counts per queue and the newest jobs',
      query: [
        { name: 'queue', description: 'Only jobs of this queue', schema: { type: 'string' } },
        { name: 'state', description: 'Only jobs in this state', schema: { type: 'string', enum: [...JOB_STATES] } },
        { name: 'limit', description: 'How many jobs', schema: { type: 'integer', minimum: 1, maximum: MAX_JOB_LIST, default: DEFAULT_JOB_LIST } },
      ],
      responses: {
        200: { description: 'The queues and jobs', schema: ref('JobList') },
        400: { description: 'A bad parameter, one problem per parameter', schema: ref('ValidationError') },
        501: noJobsDoc,
      },
    },
    handler: ({ jobs }) =>
      withService(jobs, NO_JOBS, (jobs) => async (req, res) => {
        const problems: FieldProblem[] = [];
        const queue = typeof req.query.queue === 'string' ? req.query.queue : undefined;
        const state = typeof req.query.state === 'string' ? req.query.state : undefined;
        const limitText = typeof req.query.limit === 'string' ? req.query.limit : undefined;
        if (queue !== undefined && !jobs.queueNames.includes(queue)) problems.push({ path: ['queue'], message: `must be one of ${jobs.queueNames.join(', ')}` });
        if (state !== undefined && !isJobState(state)) problems.push({ path: ['state'], message: `must be one of ${JOB_STATES.join(', ')}` });
        const limit = limitText === undefined ? DEFAULT_JOB_LIST : Number(limitText);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_JOB_LIST) problems.push({ path: ['limit'], message: `must be a whole number from 1 to ${MAX_JOB_LIST}` });
        if (problems.length > 0) {
          sendProblems(res, 'invalid query', problems);
          return;
        }
        const [counts, list] = await Promise.all([jobs.counts(), jobs.list({ queue, state: state as (typeof JOB_STATES)[number] | undefined, limit })]);
        res.json({ backend: jobs.kind, queues: counts, jobs: list.map(jobJson) });
      }),
  },
  {
    method: 'get',
    path: '/jobs/:queue/:id',
    doc: {
      operationId: 'getJob',
      summary: 'One job: its state, and once it completed what it returned (a sweep by hand: what it erased)',
      pathParameters: { queue: { description: 'The queue, one of those GET /api/jobs lists' }, id: { description: 'The job id' } },
      responses: {
        200: { description: 'The job', schema: ref('Job') },
        404: { description: 'No such queue or job (a finished job is kept until newer ones push it out)', schema: ref('Error') },
        501: noJobsDoc,
      },
    },
    handler: ({ jobs }) =>
      withService(jobs, NO_JOBS, (jobs) => async (req, res) => {
        const queue = String(req.params.queue);
        const id = String(req.params.id);
        if (!jobs.queueNames.includes(queue)) {
          res.status(404).json({ error: `no queue '${queue.slice(0, 40)}' (the queues: ${jobs.queueNames.join(', ')})` });
          return;
        }
        const job = id.length <= MAX_JOB_ID ? await jobs.get(queue, id) : undefined;
        if (!job) {
          res.status(404).json({ error: `no job '${id.slice(0, 40)}' in queue ${queue}` });
          return;
        }
        res.json(jobJson(job));
      }),
  },
];
