import { describe, expect, it } from 'vitest';
import { printRoutes } from '../../app/print-routes.js';
import { routes } from '../../app/routes.js';

describe('npm run routes', () => {
  it('prints an aligned table with the source of each target and the ALB rules', () => {
    const text = printRoutes(['--env', 'prod'], {});

    const lines = text.split('\n');
    expect(lines[0]).toBe('Routes (prod):');
    expect(lines[1]).toMatch(/^METHOD\s+PATH\s+TARGET\s+LAMBDA GROUP\s+RATE CLASS\s+SOURCE$/);
    expect(text).toMatch(/POST\s+\/leads\/:leadId\s+ecs\s+leads\s+\S+( x\d)?\s+environment/);
    expect(text).toContain('ALB rules in priority order');
    expect(text).toMatch(/\d+\s+any other\s+\/leads\/\*\s+→ lambda:leads \(405 with Allow, OPTIONS\)/);
  });

  it('prints JSON with --json, applying ROUTE_TARGETS', () => {
    const parsed = JSON.parse(
      printRoutes(['--env', 'dev', '--json'], { ROUTE_TARGETS: 'GET /healthz=lambda' }),
    ) as {
      id: string;
      target: string;
      source: string;
      rule: { priority: number; pathPatterns: string[] };
    }[];

    expect(parsed).toHaveLength(routes.length);
    expect(parsed.find((r) => r.id === 'GET /healthz')).toMatchObject({
      target: 'lambda',
      source: 'ROUTE_TARGETS',
      rule: { pathPatterns: ['/healthz'] },
    });
  });

  it('names the known environments when given an unknown one', () => {
    expect(() => printRoutes(['--env', 'qa'], {})).toThrow(
      /unknown environment "qa" \(known: local, dev, prod\)/,
    );
  });
});
