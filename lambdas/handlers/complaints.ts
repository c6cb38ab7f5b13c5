import { decodeCursor, planListing } from '../adapters/dynamo/audit-query.js';
import {
  fileComplaint,
  lookupComplaint,
  readComplaint,
  replyToComplaint,
  resolveComplaint,
} from '../app/complaints.js';
import { getDeps } from '../app/deps.js';
import { COMPLAINT_CATEGORIES } from '../core/complaint-categories.js';
import { type Complaint, lookupOut, MAX_COMPLAINT_TEXT } from '../core/complaints.js';
import { dateInZone } from '../core/dates.js';
import { auditDateRange } from '../core/schemas.js';
import { groupHandler } from './http/group.js';
import { clientAddress } from './http/rate-limit.js';
import { json } from './http/types.js';

/** What auditors see of a complaint; the lookup code's hash stays inside. */
function complaintOut({ codeHash: _h, ...rest }: Complaint & { contact?: string | null }) {
  return rest;
}

/** Payer complaints: the public form and lookup, and the auditors' reading, reply and resolution. */
export const handler = groupHandler('complaints', {
  supervisionChannel: async () => {
    const { config } = getDeps();
    return json(
      200,
      {
        bureau: config.bureauName,
        phone: config.supervisionPhone || null,
        categories: COMPLAINT_CATEGORIES,
        maxTextLength: MAX_COMPLAINT_TEXT,
      },
      { 'cache-control': 'public, max-age=300' },
    );
  },

  fileComplaint: async (req) => {
    const address = clientAddress(req.headers['x-forwarded-for'], req.sourceIp);
    return json(201, await fileComplaint(getDeps(), req.input.body, address));
  },

  lookupComplaint: async (req) => {
    // Malformed reads as missing (nullWhenInvalid): no lookup at all.
    const found = await lookupComplaint(
      getDeps(),
      req.input?.params.id ?? null,
      req.input?.query.code ?? null,
    );
    return json(200, lookupOut(found), { 'cache-control': 'no-store' });
  },

  listComplaints: async (req) => {
    const q = req.input.query;
    const deps = getDeps();
    const plan = planListing('COMPLAINTS', auditDateRange(q, dateInZone(deps.now())));
    const start = decodeCursor(q.cursor, plan);
    const keep = (c: Complaint) => !q.status || c.status === q.status;
    const page = await deps.audit.listingPage(plan, keep, start, q.limit, deps.now());
    return json(200, { items: page.items.map(complaintOut), cursor: page.cursor });
  },

  readComplaint: async (req) =>
    json(200, complaintOut(await readComplaint(getDeps(), req.caller!.username, req.input.params.id))),

  replyToComplaint: async (req) => {
    const { params, body } = req.input;
    return json(
      200,
      complaintOut(await replyToComplaint(getDeps(), req.caller!.username, params.id, body.reply)),
    );
  },

  resolveComplaint: async (req) => {
    const { params, body } = req.input;
    return json(
      200,
      complaintOut(await resolveComplaint(getDeps(), req.caller!.username, params.id, body.note)),
    );
  },
});
