/** `/api/deliveries`: webhook deliveries, their state and last answer, and retrying one by hand. */
import type { Request, Response } from 'express';
import type { FieldProblem } from '../../config/numbers-schema';
import { DELIVERY_STATUSES, type Delivery, type DeliveryStatus } from '../../store/delivery-store';
import type { DeliveryService } from '../../webhooks/deliveries';
import { ref, sendProblems, withService, type ApiRoute } from './api-route';

export const MAX_DELIVERY_LIST = 200;
const DEFAULT_DELIVERY_LIST = 20;
const MAX_ID_LENGTH = 128;

/** A delivery as the API shows it: dates as ISO strings, the payload left out (it can be large; GET one to see it). */
function deliveryJson(d: Delivery, withPayload = false): Record<string, unknown> {
  return {
    id: d.id,
    callId: d.callId,
    event: d.event,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    ...(d.status === 'pending' ? { nextAttemptAt: d.nextAttemptAt.toISOString() } : {}),
    retryUntil: d.retryUntil.toISOString(),
    ...(d.lastStatus !== undefined ? { lastStatus: d.lastStatus } : {}),
    ...(d.lastError !== undefined ? { lastError: d.lastError } : {}),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    ...(d.deliveredAt ? { deliveredAt: d.deliveredAt.toISOString() } : {}),
    ...(withPayload ? { payload: JSON.parse(d.payload) as unknown } : {}),
  };
}

const NO_DELIVERIES = 'this deployment has no webhook deliveries';
const noDeliveriesDoc = { description: 'This deployment has no webhook deliveries', schema: ref('Error') };

/** The delivery the path names; none: the 404 has been answered. */
async function findDelivery(deliveries: DeliveryService, req: Request, res: Response): Promise<Delivery | undefined> {
  const id = String(req.params.id);
  const d = id.length <= MAX_ID_LENGTH ? await deliveries.get(id) : undefined;
  if (!d) res.status(404).json({ error: `delivery '${id.slice(0, MAX_ID_LENGTH)}' not found` });
  return d;
}

export const deliveryRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/deliveries',
    doc: {
      operationId: 'listDeliveries',
      summary: 'Webhook deliveries, newest first',
      query: [
        { name: 'status', description: 'Only deliveries in this state', schema: { type: 'string', enum: [...DELIVERY_STATUSES] } },
        { name: 'call', description: 'Only deliveries of this call', schema: { type: 'string' } },
        { name: 'limit', description: 'How many', schema: { type: 'integer', minimum: 1, maximum: MAX_DELIVERY_LIST, default: DEFAULT_DELIVERY_LIST } },
      ],
      responses: {
        200: { description: 'The deliveries', schema: { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: ref('Delivery') } } } },
        400: { description: 'A bad parameter, one problem per parameter', schema: ref('ValidationError') },
        501: noDeliveriesDoc,
      },
    },
    handler: ({ deliveries }) =>
      withService(deliveries, NO_DELIVERIES, (deliveries) => async (req, res) => {
        const problems: FieldProblem[] = [];
        const status = typeof req.query.status === 'string' ? req.query.status : undefined;
        const callId = typeof req.query.call === 'string' ? req.query.call : undefined;
        const limitText = typeof req.query.limit === 'string' ? req.query.limit : undefined;
        if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) problems.push({ path: ['status'], message: `must be one of ${DELIVERY_STATUSES.join(', ')}` });
        if (callId !== undefined && callId.length > MAX_ID_LENGTH) problems.push({ path: ['call'], message: `must be at most ${MAX_ID_LENGTH} characters` });
        const limit = limitText === undefined ? DEFAULT_DELIVERY_LIST : Number(limitText);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DELIVERY_LIST) problems.push({ path: ['limit'], message: `must be a whole number from 1 to ${MAX_DELIVERY_LIST}` });
        if (problems.length > 0) {
          sendProblems(res, 'invalid query', problems);
          return;
        }
        const list = await deliveries.list({ status: status as DeliveryStatus | undefined, callId, limit });
        res.json({ deliveries: list.map((d) => deliveryJson(d)) });
      }),
  },
  {
    method: 'get',
    path: '/deliveries/:id',
    doc: {
      operationId: 'getDelivery',
      summary: 'One webhook delivery, with the payload it sends',
      pathParameters: { id: { description: 'The delivery id' } },
      responses: {
        200: { description: 'The delivery', schema: ref('Delivery') },
        404: { description: 'No such delivery', schema: ref('Error') },
        501: noDeliveriesDoc,
      },
    },
    handler: ({ deliveries }) =>
      withService(deliveries, NO_DELIVERIES, (deliveries) => async (req, res) => {
        const d = await findDelivery(deliveries, req, res);
        if (d) res.json(deliveryJson(d, true));
      }),
  },
  {
    method: 'post',
    path: '/deliveries/:id/retry',
    doc: {
      operationId: 'retryDelivery',
      summary: 'Send a failed (or still pending) delivery again now, with a fresh 24 h of retries',
      pathParameters: { id: { description: 'The delivery id' } },
      responses: {
        202: { description: 'Queued again', schema: ref('Delivery') },
        404: { description: 'No such delivery', schema: ref('Error') },
        409: { description: 'It was delivered already', schema: ref('Error') },
        501: noDeliveriesDoc,
      },
    },
    handler: ({ deliveries }) =>
      withService(deliveries, NO_DELIVERIES, (deliveries) => async (req, res) => {
        const d = await findDelivery(deliveries, req, res);
        if (!d) return;
        if (d.status === 'delivered') {
          res.status(409).json({ error: `delivery '${d.id}' was delivered already` });
          return;
        }
        const next = await deliveries.redeliver(d.id);
        res.status(202).json(deliveryJson(next ?? d));
      }),
  },
];
