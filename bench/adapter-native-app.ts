import express from 'express';
import type { LeadStore } from '../app/leads/lead-store.js';
import { leadIdProblems } from '../handlers/leads.js';

/**
 * The same logic as GET /leads/:leadId — the id checked with the same rules, the lead read from
 * the same store — written as a native Express route.
 */
export function nativeApp(leads: LeadStore): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/leads/:leadId', async (req, res) => {
    const id = req.params.leadId;
    if (leadIdProblems(id).length > 0) {
      res.status(400).json({ error: { code: 'validation_failed', message: 'Invalid lead id' } });
      return;
    }
    const lead = await leads.get(id);
    if (!lead) {
      res.status(404).json({ error: { code: 'lead_not_found', message: 'not found' } });
      return;
    }
    res.json(lead);
  });
  return app;
}
