import { configure as serverlessExpress } from '@vendia/serverless-express';
import express from 'express';

/** The cold-start baseline: bare serverless-express around one native Express route. */
const app = express();
app.get('/leads/:leadId', (req, res) => {
  res.status(404).json({ error: { code: 'lead_not_found', message: `No lead ${req.params.leadId}` } });
});

export const handler = serverlessExpress({ app, logSettings: { level: 'error' } });
