import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { localEnvironment } from '../../local-stack/local-environment.js';

/** What the local stack gives its processes in place of what only exists on AWS. */
describe('localEnvironment', () => {
  const deployed = {
    APP_ENV: 'dev',
    CORS_ALLOWED_ORIGINS: 'http://localhost:8417',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform reference, literally, as the synthesized JSON has it.
    JOBS_QUEUE_URL: '${aws_sqs_queue.jobs.url}',
  };
  const local = { jobsDataDir: '/tmp/jobs', jobsProgram: '/build/simulation/main.mjs' };

  it("keeps the stack's CORS origins unless a local run overrides them", () => {
    // Act
    const kept = localEnvironment(deployed, local).environment;
    const overridden = localEnvironment(deployed, {
      ...local,
      corsAllowedOrigins: 'http://127.0.0.1:5173',
    }).environment;
    // Assess: the override reaches the app's CORS configuration, the stack's value otherwise.
    expect(kept.CORS_ALLOWED_ORIGINS).toBe('http://localhost:8417');
    expect(overridden.CORS_ALLOWED_ORIGINS).toBe('http://127.0.0.1:5173');
    expect(loadConfig(overridden).cors.origins).toEqual(['http://127.0.0.1:5173']);
  });

  it('runs jobs embedded, from the built simulation program', () => {
    // Act
    const { environment, dropped } = localEnvironment(deployed, local);
    const jobs = loadConfig(environment).jobs;
    // Assess: the queue URL names an AWS resource, so jobs are embedded and run the built program.
    expect(dropped).toEqual(['JOBS_QUEUE_URL']);
    expect(jobs.mode).toBe('embedded');
    expect(jobs.localProgram).toBe('/build/simulation/main.mjs');
    expect(jobs.dataDir).toBe('/tmp/jobs');
  });
});
